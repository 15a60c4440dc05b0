/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device flash store (docs/flash-store.md). */
#ifndef CHIPKEY_AGENT_FLASH_H
#define CHIPKEY_AGENT_FLASH_H
#include <stddef.h>
#include <stdint.h>

#define FLASH_BACKUP	"backup.pkg"
#define FLASH_CERT	"device-cert.der"
#define FLASH_IDENTITY	"identity"
#define FLASH_MANIFEST	"store.json"
#define FLASH_FORMAT	1

struct flash_contents {
	uint8_t chip_id[16];
	const char *identity;
	uint64_t generation;
	const uint8_t *backup;
	size_t backup_len;
	const uint8_t *cert;
	size_t cert_len;
};

/* Write one file atomically into @dir (temp + fsync + rename). */
int flash_write_file(int dirfd, const char *name, const void *buf, size_t len,
		     unsigned int mode);
/* Write the whole store: data files first, the manifest last, fsync dir. */
int flash_write_store(const char *dir, const struct flash_contents *c);
#endif
