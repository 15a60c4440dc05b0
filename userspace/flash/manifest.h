/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flash store manifest, store.json (docs/flash-store.md, "The
 * manifest"): a JSON object naming the chip, identity and generation of a
 * store and the size and SHA-256 of each of its files.  One encoder, one
 * decoder; the rest of flash/ works on struct flash_manifest.
 */
#ifndef CHIPKEY_FLASH_MANIFEST_H
#define CHIPKEY_FLASH_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

enum {
	FLASH_MANIFEST_FORMAT = 2,	/* "format" of the layout it describes */
	FLASH_MANIFEST_MAX = 4096,	/* largest store.json read or written */
	FLASH_MANIFEST_CHIP_LEN = 16,	/* chip ID, bytes ("chip_id": 32 hex) */
	FLASH_MANIFEST_ID_LEN = 15,	/* device identity, decimal digits */
	FLASH_MANIFEST_SHA_LEN = 32,	/* SHA-256, bytes ("sha256": 64 hex) */
};

/* The files a manifest describes, in the order of its "files" array. */
enum flash_manifest_file {
	FLASH_MF_BACKUP,	/* backup.pkg */
	FLASH_MF_CERT,		/* device-cert.der */
	FLASH_MF_IDENTITY,	/* identity */
	FLASH_MF_FILES
};

/* Their names ("backup.pkg", "device-cert.der", "identity"). */
extern const char *const flash_manifest_names[FLASH_MF_FILES];

struct flash_manifest {
	uint8_t chip_id[FLASH_MANIFEST_CHIP_LEN];
	char identity[FLASH_MANIFEST_ID_LEN + 1];
	uint64_t generation;		/* at most INT64_MAX (a JSON integer) */
	struct {
		uint64_t size;
		uint8_t sha256[FLASH_MANIFEST_SHA_LEN];
	} file[FLASH_MF_FILES];
};

/*
 * Write @m as store.json text (no NUL) into @out.  Its length, or -EINVAL
 * (identity not 15 digits, generation above INT64_MAX), -EOVERFLOW (more
 * than @cap bytes) or -ENOMEM.
 */
int flash_manifest_encode(const struct flash_manifest *m, char *out, size_t cap);

/*
 * Parse store.json text.  Any JSON layout of the same object is accepted
 * (the compact file entries written before jansson, too), but nothing else:
 * duplicate or unknown keys, a missing key, another type, upper-case hex, a
 * file out of order are -EINVAL; a "format" other than 2 is -EPROTO.
 */
int flash_manifest_decode(const char *text, size_t len, struct flash_manifest *m);

#endif /* CHIPKEY_FLASH_MANIFEST_H */
