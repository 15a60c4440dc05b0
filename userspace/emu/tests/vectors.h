/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Parser for docs/test-vectors/backup-v1.txt (made by
 * scripts/gen-test-vectors.py).  Plain C99 + libc, no OpenSSL, so the VM
 * selftests can reuse it (with userspace/common/hex.c, its hex decoder).
 *
 * File format: blocks of "key = value" lines separated by blank lines;
 * '#' starts a comment line.  Values are hex, except "name" (text) and
 * "generation" (decimal).  Every block has all of: name, chip_key, chip_id,
 * generation, salt, nonce, derived_key, plaintext, package.
 */
#ifndef CHIPKEY_VECTORS_H
#define CHIPKEY_VECTORS_H

#include <stddef.h>
#include <stdint.h>

struct ck_vector {
	char name[64];
	uint8_t chip_key[32];
	uint8_t chip_id[16];
	uint64_t generation;
	uint8_t salt[16];
	uint8_t nonce[12];
	uint8_t derived_key[32];
	uint8_t *plaintext;	/* malloc'ed; may be non-NULL with len 0 */
	size_t plaintext_len;
	uint8_t *package;	/* malloc'ed */
	size_t package_len;
};

/*
 * Load every vector of @path into a malloc'ed array *@out of *@count.
 * Returns 0, or a negative errno (-ENOENT, -EINVAL for a malformed file:
 * a message naming the line is printed to stderr prefixed with "# ").
 */
int ck_vectors_load(const char *path, struct ck_vector **out, size_t *count);
void ck_vectors_free(struct ck_vector *v, size_t count);

#endif /* CHIPKEY_VECTORS_H */
