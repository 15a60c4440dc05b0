// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What a pairing derives from its TLS 1.3 session (pair.h): one exporter
 * label per use (RFC 8446 7.5, RFC 5705), so the ATTEST context, the link
 * key and the code are independent values of the same handshake, and a
 * different handshake (another session, a relay's second session) gives
 * different ones.  The code's context is Nl || Nc of the commitment round
 * (commit.c), so no end can grind the handshake towards a code.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <chipkey/byteorder.h>
#include "pair.h"

static int export(SSL *ssl, const char *label, const uint8_t *ctx, size_t ctx_len,
		  uint8_t *out, size_t len)
{
	return SSL_export_keying_material(ssl, out, len, label, strlen(label), ctx,
					  ctx_len, 1) == 1 ? 0 : -EIO;
}

int ck_pair_attest_context(SSL *ssl, enum ck_pair_role prover, uint8_t out[32])
{
	const char *who = prover == CK_PAIR_LISTEN ? "listen" : "connect";

	return export(ssl, CK_PAIR_LABEL_ATTEST, (const uint8_t *)who, strlen(who), out, 32);
}

static int cert_hash(X509 *cert, uint8_t out[32])
{
	unsigned int n = 0;

	return X509_digest(cert, EVP_sha256(), out, &n) == 1 && n == 32 ? 0 : -EIO;
}

int ck_pair_link_key(SSL *ssl, X509 *listener, X509 *connector,
		     uint8_t key[CK_PAIR_KEY_LEN])
{
	uint8_t ctx[64];
	int err;

	err = cert_hash(listener, ctx);
	if (!err)
		err = cert_hash(connector, ctx + 32);
	if (!err)
		err = export(ssl, CK_PAIR_LABEL_LINK_KEY, ctx, sizeof(ctx), key,
			     CK_PAIR_KEY_LEN);
	return err;
}

int ck_pair_code(SSL *ssl, const uint8_t nl[CK_PAIR_NONCE_SIZE],
		 const uint8_t nc[CK_PAIR_NONCE_SIZE], char code[CK_PAIR_CODE_DIGITS + 1])
{
	uint8_t ctx[2 * CK_PAIR_NONCE_SIZE], v[8];
	int err;

	memcpy(ctx, nl, CK_PAIR_NONCE_SIZE);
	memcpy(ctx + CK_PAIR_NONCE_SIZE, nc, CK_PAIR_NONCE_SIZE);
	err = export(ssl, CK_PAIR_LABEL_CODE, ctx, sizeof(ctx), v, sizeof(v));
	OPENSSL_cleanse(ctx, sizeof(ctx));
	if (err)
		return err;
	/* 2^64 mod 10^6 is tiny against 2^64: no digit noticeably biased */
	snprintf(code, CK_PAIR_CODE_DIGITS + 1, "%06u",
		 (unsigned int)(ck_get_be64(v) % 1000000u));
	OPENSSL_cleanse(v, sizeof(v));
	return 0;
}
