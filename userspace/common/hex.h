/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one home of hex encodings in userspace (chip IDs, digests, keys in
 * text formats).  Output is lowercase; input takes either case.
 */
#ifndef CHIPKEY_COMMON_HEX_H
#define CHIPKEY_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Value of one hex digit, or -1. */
int ck_hex_digit(int c);

/* Write @n bytes as 2n lowercase digits plus a NUL into @out (2n+1 bytes). */
void ck_hex_encode(const uint8_t *b, size_t n, char *out);

/* Decode exactly 2n digits (the whole string) into @out.  0 or -EINVAL. */
int ck_hex_decode(const char *hex, uint8_t *out, size_t n);

/* Decode the first 2n characters of @hex (no NUL needed).  0 or -EINVAL. */
int ck_hex_decode_n(const char *hex, uint8_t *out, size_t n);

/*
 * Decode a whole string of even length into a new buffer (free() it).
 * 0, -EINVAL (odd length or a non-hex digit) or -ENOMEM.
 */
int ck_hex_decode_alloc(const char *hex, uint8_t **out, size_t *len);

#endif /* CHIPKEY_COMMON_HEX_H */
