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
 * Nothing in it is trusted unless the chip vouches for it: store.json
 * carries a MAC the chip made (CHIP_MAC, CHIPKEY_MAC_FLASH_MANIFEST) over
 * the manifest's canonical encoding, and a reader asks the same chip to
 * recompute it.  Directory and symlink names are never trusted.
 * flash.c holds the store, manifest.c the format of store.json.
 */
#ifndef CHIPKEY_FLASH_H
#define CHIPKEY_FLASH_H
#include <stddef.h>
#include <stdint.h>

struct chipkey;

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
	struct chipkey *chip;		/* this chip: MACs the manifest */
	uint8_t chip_id[16];		/* must be @chip's */
	const char *identity;
	uint64_t generation;
	const uint8_t *backup;
	size_t backup_len;
	const uint8_t *cert;
	size_t cert_len;
	int below_floor;		/* may be older than the store it
					 * replaces (recover --force) */
	int must_advance;		/* a change of the store read before
					 * (enroll, pair, unpair): the store
					 * there must still be below
					 * @generation, not of it */
};

/*
 * The store directory @dir itself (dir.c): never followed (a symlink, a
 * file or anything but a directory at that path, trailing slashes
 * ignored; a path ending in "." or ".." is -EINVAL).  flash_dir_open: the
 * open directory, or -errno (-ELOOP, -ENOTDIR: not a directory there).
 * flash_dir_make: 0 once @dir is a directory (anything else in its place
 * is removed, the entry, never what it points at), or -errno.
 */
int flash_dir_open(const char *dir);
int flash_dir_make(const char *dir);

/*
 * Replace the whole store in @dir atomically (creates @dir if needed).
 * 0 or -errno (-EINVAL: identity not 15 digits, generation above
 * INT64_MAX, chip_id not @chip's; an error of the chip's MAC, e.g. -EPERM;
 * -ESTALE: the store there now, looked at under the writer's lock, is of a
 * later generation this chip authenticates (of the same one too, with
 * c->must_advance: another writer stored it meanwhile), and
 * !c->below_floor).  On failure the previous store (if any) is still
 * current.
 */
int flash_write_store(const char *dir, const struct flash_contents *c);

/* What flash_read_store found. */
struct flash_store {
	char target[64];		/* where DIR/current points */
	int manifest_ok;		/* the manifest parsed (fields below; not
					 * trusted unless authenticated) */
	int authenticated;		/* this chip recomputed the manifest's MAC */
	uint8_t chip_id[16];
	char identity[16];
	uint64_t generation;		/* at most INT64_MAX */
	uint8_t *backup;		/* malloc'd, on success only */
	size_t backup_len;
	uint8_t *cert;
	size_t cert_len;
	char why[256];			/* reason, on -ENOENT / -EUCLEAN / ... */
};

/*
 * Read and check the current store of @dir, under a shared flock of
 * DIR/.lock (a writer in progress is waited for; if the lock file cannot be
 * opened, e.g. a read-only store of another user, it reads unlocked).
 * @chip (may be NULL) is asked to recompute the manifest's MAC.
 *   0          healthy: the manifest parses, names @chip, and @chip
 *              recomputes its MAC (constant-time compare); every file it
 *              names exists with its size and SHA-256; identity and backup
 *              header agree with it
 *   -ENOENT    no store at all (nothing provisioned, or flash wiped)
 *   -EUCLEAN   a store exists but is corrupt or unauthenticated: not to be
 *              trusted (s->why; s->authenticated says whether s->generation
 *              is still proven, e.g. a damaged file under a genuine manifest)
 *   -EXDEV     the files agree with a manifest that names another chip:
 *              its MAC cannot be checked here (most likely the wrong device)
 *   -ENOKEY    @chip is NULL: the files agree with the manifest, the MAC
 *              was not checked
 *   other      -errno of an I/O error or of the chip (e.g. -EPERM: not
 *              allowed to ask for the MAC); do not trust
 */
int flash_read_store(const char *dir, struct chipkey *chip, struct flash_store *s);
void flash_store_release(struct flash_store *s);

/*
 * The rollback floor a store proves: the generation of its manifest if
 * this chip authenticated it (even when a file is damaged), else 0.  Names
 * of directories and symlinks never count.
 */
uint64_t flash_store_floor(const struct flash_store *s);

/*
 * Fault injection for the power-loss tests (built with -DCK_FLASH_FAULTS):
 * $CHIPKEY_FLASH_KILL_AT=N makes the N-th step boundary of
 * flash_write_store (counted from 1) raise SIGKILL.  Returns the number of
 * boundaries passed so far in this process.
 */
unsigned int flash_fault_steps(void);

#endif /* CHIPKEY_FLASH_H */
