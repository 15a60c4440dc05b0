/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PEM text of DER data (RFC 7468): the one PEM encoder of userspace (keys
 * directory, chipkey rom-key --pem).
 */
#ifndef CHIPKEY_COMMON_PEM_H
#define CHIPKEY_COMMON_PEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * "-----BEGIN @label-----", base64 of @der in lines of 64 characters,
 * "-----END @label-----", each line ending in a newline, into a new buffer
 * *@out of *@out_len bytes plus a NUL (OPENSSL_cleanse and free() it when
 * it holds a secret).  0 or -ENOMEM.  Intermediate buffers are wiped.
 */
int ck_pem_encode(const char *label, const uint8_t *der, size_t len, char **out,
		  size_t *out_len);

#endif /* CHIPKEY_COMMON_PEM_H */
