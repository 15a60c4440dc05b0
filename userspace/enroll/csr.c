// SPDX-License-Identifier: GPL-2.0-or-later
/* The PKCS#10 body of simpleenroll (csr.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/pki.h"
#include "csr.h"

int csr_decode(const uint8_t *body, size_t len, X509_REQ **req, uint8_t spki_sha256[32])
{
	EVP_ENCODE_CTX *ctx = NULL;
	unsigned char *der = NULL, *spki = NULL;
	const unsigned char *p;
	int n = 0, m = 0, spki_len, err = -EINVAL;
	X509_REQ *r = NULL;
	EVP_PKEY *pub;

	*req = NULL;
	if (len > CSR_MAX_BODY)
		return -EMSGSIZE;
	der = malloc(len / 4 * 3 + 3 + 1);
	ctx = EVP_ENCODE_CTX_new();
	if (!der || !ctx) {
		err = -ENOMEM;
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, der, &n, body, (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, der + n, &m) != 1)
		goto out;
	n += m;
	p = der;
	r = d2i_X509_REQ(NULL, &p, n);
	if (!r || p != der + n)
		goto out;
	pub = X509_REQ_get0_pubkey(r);
	if (!pub || !pki_is_p256(pub))
		goto out;
	if (X509_REQ_verify(r, pub) != 1) {
		err = -EBADMSG;
		goto out;
	}
	spki_len = i2d_PUBKEY(pub, &spki);
	if (spki_len <= 0 || !EVP_Digest(spki, (size_t)spki_len, spki_sha256, NULL,
					 EVP_sha256(), NULL))
		goto out;
	*req = r;
	r = NULL;
	err = 0;
out:
	OPENSSL_free(spki);
	X509_REQ_free(r);
	EVP_ENCODE_CTX_free(ctx);
	free(der);
	return err;
}
