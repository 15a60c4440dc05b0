// SPDX-License-Identifier: GPL-2.0
/*
 * Hex encodings: see hex.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

int ck_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void ck_hex_encode(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int ck_hex_decode_n(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = ck_hex_digit((unsigned char)hex[2 * i]);
		int lo;

		if (hi < 0)
			return -EINVAL;
		lo = ck_hex_digit((unsigned char)hex[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int ck_hex_decode(const char *hex, uint8_t *out, size_t n)
{
	if (!hex || strlen(hex) != 2 * n)
		return -EINVAL;
	return ck_hex_decode_n(hex, out, n);
}

int ck_hex_decode_alloc(const char *hex, uint8_t **out, size_t *len)
{
	size_t n;

	*out = NULL;
	*len = 0;
	if (!hex)
		return -EINVAL;
	n = strlen(hex);
	if (n % 2)
		return -EINVAL;
	*out = malloc(n / 2 ? n / 2 : 1);
	if (!*out)
		return -ENOMEM;
	if (ck_hex_decode_n(hex, *out, n / 2)) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	*len = n / 2;
	return 0;
}
