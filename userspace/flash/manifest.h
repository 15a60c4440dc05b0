/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flash store manifest, store.json (docs/flash-store.md, "The
 * manifest"): a JSON object naming the chip, identity and generation of a
 * store and the size and SHA-256 of each of its files, and the chip MAC
 * over the canonical encoding of those fields ("The chip MAC").  One
 * encoder, one decoder, one canonical encoding; the rest of flash/ works on
 * struct flash_manifest.
 */
#ifndef CHIPKEY_FLASH_MANIFEST_H
#define CHIPKEY_FLASH_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

enum {
	FLASH_MANIFEST_FORMAT = 3,	/* "format" written: with "mac" */
	FLASH_MANIFEST_FORMAT_NOMAC = 2,/* read, never trusted: no "mac" */
	FLASH_MANIFEST_MAX = 4096,	/* largest store.json read or written */
	FLASH_MANIFEST_CHIP_LEN = 16,	/* chip ID, bytes ("chip_id": 32 hex) */
	FLASH_MANIFEST_ID_LEN = 15,	/* device identity, decimal digits */
	FLASH_MANIFEST_SHA_LEN = 32,	/* SHA-256, bytes ("sha256": 64 hex) */
	FLASH_MANIFEST_MAC_LEN = 32,	/* chip MAC, bytes ("mac": 64 hex) */
};

/*
 * The canonical encoding the chip MAC is computed over (docs/flash-store.md,
 * "The chip MAC"): fixed offsets, integers big-endian.
 */
#define FLASH_MAC_LABEL "chipkey-manifest"	/* 16 bytes, no NUL */
enum {
	FLASH_MAC_OFF_LABEL = 0,	/* FLASH_MAC_LABEL */
	FLASH_MAC_OFF_FORMAT = 16,	/* u32 format (3) */
	FLASH_MAC_OFF_CHIP = 20,	/* chip ID, 16 bytes */
	FLASH_MAC_OFF_IDENTITY = 36,	/* 15 ASCII digits */
	FLASH_MAC_OFF_GENERATION = 51,	/* u64 */
	FLASH_MAC_OFF_FILES = 59,	/* per file: u64 size, SHA-256 */
	FLASH_MAC_FILE_LEN = 8 + FLASH_MANIFEST_SHA_LEN,
	FLASH_MAC_INPUT_LEN = FLASH_MAC_OFF_FILES + 3 * FLASH_MAC_FILE_LEN,	/* 179 */
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
	int format;			/* 3, or 2 (read only: no mac) */
	uint8_t chip_id[FLASH_MANIFEST_CHIP_LEN];
	char identity[FLASH_MANIFEST_ID_LEN + 1];
	uint64_t generation;		/* at most INT64_MAX (a JSON integer) */
	struct {
		uint64_t size;
		uint8_t sha256[FLASH_MANIFEST_SHA_LEN];
	} file[FLASH_MF_FILES];
	uint8_t mac[FLASH_MANIFEST_MAC_LEN];	/* format 3 only */
};

/* The chip MAC's input for @m (format 3 is encoded, whatever m->format). */
void flash_manifest_mac_input(const struct flash_manifest *m,
			      uint8_t out[FLASH_MAC_INPUT_LEN]);

/*
 * Write @m as store.json text of m->format (3: with m->mac, what the store
 * writes; 2: without, the decoder's round trip) into @out, no NUL.  Its length, or -EINVAL
 * (identity not 15 digits, generation above INT64_MAX), -EOVERFLOW (more
 * than @cap bytes) or -ENOMEM.
 */
int flash_manifest_encode(const struct flash_manifest *m, char *out, size_t cap);

/*
 * Parse store.json text.  Any JSON layout of the same object is accepted
 * (the compact file entries written before jansson, too), but nothing else:
 * duplicate or unknown keys, a missing key, another type, upper-case hex, a
 * file out of order are -EINVAL; a "format" other than 2 or 3 is -EPROTO.
 * Format 3 has a "mac"; format 2 (written before the chip MAC) has none
 * and m->format says so: such a manifest is never trusted.
 */
int flash_manifest_decode(const char *text, size_t len, struct flash_manifest *m);

/* ---- the chip MAC (mac.c) */
struct chipkey;

/* Set m->mac: @chip's MAC of @m.  -EXDEV if @m names another chip; else
 * 0 or the chip's -errno (e.g. -EPERM). */
int flash_manifest_sign(struct chipkey *chip, struct flash_manifest *m);

/*
 * Ask @chip to recompute m->mac and compare in constant time: 0 if it
 * matches, -EBADMSG if not, -ENOKEY for a manifest without a MAC (format
 * 2), -EXDEV if @m names another chip (its MAC cannot be checked here),
 * or the chip's -errno.
 */
int flash_manifest_verify(struct chipkey *chip, const struct flash_manifest *m);

#endif /* CHIPKEY_FLASH_MANIFEST_H */
