// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Revocation as devices check it (pki_crls_*, common/pki.h): CRLs of the
 * manufacturer root (revoked issuing CAs) and of issuing CAs (revoked SPP
 * TLS, record-signing and station credentials, device certificates).  A
 * CRL counts only for the CA whose key signed it; a stale one fails closed.
 * docs/factory-pki.md, "Revocation".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/pki.h"

struct pki_crls {
	STACK_OF(X509_CRL) *crls;
};

void pki_crls_free(struct pki_crls *c)
{
	if (!c)
		return;
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	free(c);
}

/* One CRL, PEM or DER, from @path. */
static X509_CRL *read_crl(const char *path)
{
	FILE *f = fopen(path, "rb");
	X509_CRL *crl;

	if (!f)
		return NULL;
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	if (!crl) {
		rewind(f);
		crl = d2i_X509_CRL_fp(f, NULL);
	}
	fclose(f);
	ERR_clear_error();
	return crl;
}

struct pki_crls *pki_crls_load(const char *const *paths, size_t n, char *err,
			       size_t errlen)
{
	struct pki_crls *c = calloc(1, sizeof(*c));

	if (!c || !(c->crls = sk_X509_CRL_new_null())) {
		snprintf(err, errlen, "out of memory");
		pki_crls_free(c);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		X509_CRL *crl = read_crl(paths[i]);

		if (!crl || !sk_X509_CRL_push(c->crls, crl)) {
			snprintf(err, errlen, "%s: not a readable CRL", paths[i]);
			X509_CRL_free(crl);
			pki_crls_free(c);
			return NULL;
		}
	}
	return c;
}

int pki_crls_add(struct pki_crls **c, const char *path, char *err, size_t errlen)
{
	X509_CRL *crl;

	if (!*c && !(*c = pki_crls_load(NULL, 0, err, errlen)))
		return -ENOMEM;
	crl = read_crl(path);
	if (!crl || !sk_X509_CRL_push((*c)->crls, crl)) {
		snprintf(err, errlen, "%s: not a readable CRL", path);
		X509_CRL_free(crl);
		return -EINVAL;
	}
	return 0;
}

/*
 * @cert against every CRL of @c that @issuer_key signed with @cert's issuer
 * name: -EKEYREVOKED if listed, -EKEYEXPIRED if such a CRL is stale.
 */
static int check_one(const struct pki_crls *c, X509 *cert, EVP_PKEY *issuer_key,
		     time_t now)
{
	int err = 0;

	for (int i = 0; i < sk_X509_CRL_num(c->crls) && !err; i++) {
		X509_CRL *crl = sk_X509_CRL_value(c->crls, i);
		X509_REVOKED *rev = NULL;
		const ASN1_TIME *next;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) ||
		    X509_CRL_verify(crl, issuer_key) != 1)
			continue;	/* another CA's */
		next = X509_CRL_get0_nextUpdate(crl);
		if (now != PKI_TIME_IGNORE &&
		    (!next || X509_cmp_time(next, &now) != 1))
			err = -EKEYEXPIRED;
		else if (X509_CRL_get0_by_cert(crl, &rev, cert) == 1)
			err = -EKEYREVOKED;
	}
	ERR_clear_error();
	return err;
}

int pki_crls_check(const struct pki_crls *c, X509 *cert, X509 *ica,
		   const uint8_t *rom_key, size_t rom_key_len, time_t now)
{
	EVP_PKEY *rom;
	int err;

	if (!c || sk_X509_CRL_num(c->crls) == 0)
		return 0;
	if (!cert || !rom_key)
		return -EINVAL;
	rom = pki_public_from_der(rom_key, rom_key_len);
	if (!rom)
		return -EINVAL;
	if (!now)
		now = time(NULL);
	err = ica ? check_one(c, ica, rom, now) : 0;
	if (!err)
		err = check_one(c, cert, ica ? X509_get0_pubkey(ica) : rom, now);
	EVP_PKEY_free(rom);
	return err;
}
