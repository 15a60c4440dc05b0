/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device flash store (docs/flash-store.md).
 *
 *   DIR/current -> store-<generation>-<16 hex>   the one trusted store
 *   DIR/store-<generation>-<16 hex>/             backup.pkg, device-cert.der,
 *                                                identity, store.json
 *   DIR/backup.pkg, DIR/device-cert.der,         convenience symlinks
 *   DIR/identity, DIR/store.json                 (-> current/NAME)
 *   DIR/.lock                                    flock(2): writers LOCK_EX,
 *                                                readers LOCK_SH
 *
 * A new store is built complete in DIR/.new-<id>/ (every file and the
 * directory fsync'd), renamed to store-<gen>-<id>, and then switched in by
 * renaming a temporary symlink over DIR/current: one rename is the commit
 * point, so after a power cut DIR/current names either the complete old
 * store or the complete new one.
 *
 * Nothing in the store is secret: the keys exist only inside backup.pkg.
 * flash.c holds the store, manifest.c the format of store.json.
 */
#ifndef CHIPKEY_FLASH_H
#define CHIPKEY_FLASH_H
#include <stddef.h>
#include <stdint.h>

#define FLASH_BACKUP	"backup.pkg"
#define FLASH_CERT	"device-cert.der"
#define FLASH_IDENTITY	"identity"
#define FLASH_MANIFEST	"store.json"
#define FLASH_CURRENT	"current"
#define FLASH_LOCK	".lock"

/* Upper bounds of what the reader accepts. */
#define FLASH_MAX_BACKUP	(1u << 20)
#define FLASH_MAX_CERT		16384

struct flash_contents {
	uint8_t chip_id[16];
	const char *identity;
	uint64_t generation;
	const uint8_t *backup;
	size_t backup_len;
	const uint8_t *cert;
	size_t cert_len;
};

/*
 * Replace the whole store in @dir atomically (creates @dir if needed).
 * 0 or -errno (-EINVAL: identity not 15 digits, generation above
 * INT64_MAX).  On failure the previous store (if any) is still current.
 */
int flash_write_store(const char *dir, const struct flash_contents *c);

/* What flash_read_store found. */
struct flash_store {
	char target[64];		/* where DIR/current points */
	int target_ok;			/* target is a well-formed store-<gen>-<id> */
	uint64_t target_generation;	/* <gen> of that name (if target_ok) */
	uint64_t max_dir_generation;	/* largest <gen> of any store-<gen>-<id>
					 * directory in DIR (0: none) */
	int manifest_ok;		/* the manifest parsed (fields below) */
	uint8_t chip_id[16];
	char identity[16];
	uint64_t generation;		/* at most INT64_MAX */
	uint8_t *backup;		/* malloc'd, on success only */
	size_t backup_len;
	uint8_t *cert;
	size_t cert_len;
	char why[256];			/* reason, on -ENOENT / -EUCLEAN */
};

/*
 * Read and check the current store of @dir, under a shared flock of
 * DIR/.lock (a writer in progress is waited for; if the lock file cannot be
 * opened, e.g. a read-only store of another user, it reads unlocked).
 *   0          intact: the manifest parses, every file it names exists with
 *              its size and SHA-256, identity and backup header agree with it
 *   -ENOENT    no store at all (nothing provisioned, or flash wiped)
 *   -EUCLEAN   a store exists but is corrupt: not to be trusted (s->why;
 *              s->manifest_ok says whether s->generation is still known)
 *   other      -errno of an I/O error (also: do not trust)
 */
int flash_read_store(const char *dir, struct flash_store *s);
void flash_store_release(struct flash_store *s);

/*
 * The rollback floor a store still proves when it is not intact: the
 * larger of target_generation and max_dir_generation (0 if neither is
 * known, e.g. a wiped flash).  Names, not contents: it does not depend on
 * the manifest.
 */
uint64_t flash_store_name_floor(const struct flash_store *s);

/*
 * Fault injection for the power-loss tests (built with -DCK_FLASH_FAULTS):
 * $CHIPKEY_FLASH_KILL_AT=N makes the N-th step boundary of
 * flash_write_store (counted from 1) raise SIGKILL.  Returns the number of
 * boundaries passed so far in this process.
 */
unsigned int flash_fault_steps(void);

#endif /* CHIPKEY_FLASH_H */
