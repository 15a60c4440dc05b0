// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PEM text of DER data (pem.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/pem.h"

int ck_pem_encode(const char *label, const uint8_t *der, size_t len, char **out,
		  size_t *out_len)
{
	size_t b64len = 4 * ((len + 2) / 3), cap, n = 0, i;
	unsigned char *b64 = malloc(b64len + 1);
	char *p;

	if (!b64)
		return -ENOMEM;
	EVP_EncodeBlock(b64, der, (int)len);
	cap = b64len + b64len / 64 + 2 + 2 * (strlen(label) + 32);
	p = malloc(cap);
	if (!p) {
		OPENSSL_cleanse(b64, b64len);
		free(b64);
		return -ENOMEM;
	}
	n += (size_t)snprintf(p + n, cap - n, "-----BEGIN %s-----\n", label);
	for (i = 0; i < b64len; i += 64) {
		size_t l = b64len - i < 64 ? b64len - i : 64;

		memcpy(p + n, b64 + i, l);
		n += l;
		p[n++] = '\n';
	}
	n += (size_t)snprintf(p + n, cap - n, "-----END %s-----\n", label);
	OPENSSL_cleanse(b64, b64len);
	free(b64);
	*out = p;
	*out_len = n;
	return 0;
}
