// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Revocation as devices check it (pki_crls_*, common/pki.h): CRLs of the
 * manufacturer root (revoked issuing CAs) and of issuing CAs (revoked SPP
 * TLS, record-signing and station credentials, device certificates).  A
 * CRL counts only for the CA whose key signed it; once CRLs are given, an
 * issuer without one, or with only stale ones, fails closed.
 * docs/factory-pki.md, "Revocation".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/file.h"
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

int pki_crl_file_read(const char *path, STACK_OF(X509_CRL) *out)
{
	const unsigned char *p;
	uint8_t *buf = NULL;
	X509_CRL *crl;
	size_t len = 0;
	BIO *b;
	int n = 0;

	/* a regular file of at most PKI_CRL_FILE_MAX: a FIFO or a device
	 * named here is refused, never waited on */
	n = ck_file_read_regular(path, PKI_CRL_FILE_MAX, &buf, &len);
	if (n)
		return n == -EFBIG ? -EINVAL : n;
	b = BIO_new_mem_buf(buf, (int)len);
	if (!b) {
		free(buf);
		return -ENOMEM;
	}
	/* every CRL of a PEM bundle (other PEM blocks are skipped) */
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL))) {
		if (!sk_X509_CRL_push(out, crl)) {
			X509_CRL_free(crl);
			n = -ENOMEM;
			break;
		}
		n++;
	}
	BIO_free(b);
	if (n == 0) {
		p = buf;
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl && !sk_X509_CRL_push(out, crl)) {
			X509_CRL_free(crl);
			n = -ENOMEM;
		} else if (crl) {
			n = 1;
		}
	}
	free(buf);
	ERR_clear_error();
	return n == 0 ? -EINVAL : n;
}

int pki_crl_older(X509_CRL *a, X509_CRL *b)
{
	ASN1_INTEGER *na, *nb;
	int older;

	if (X509_NAME_cmp(X509_CRL_get_issuer(a), X509_CRL_get_issuer(b)))
		return 0;
	na = X509_CRL_get_ext_d2i(a, NID_crl_number, NULL, NULL);
	nb = X509_CRL_get_ext_d2i(b, NID_crl_number, NULL, NULL);
	older = na && nb && ASN1_INTEGER_cmp(na, nb) < 0;
	ASN1_INTEGER_free(na);
	ASN1_INTEGER_free(nb);
	ERR_clear_error();
	return older;
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
		if (pki_crl_file_read(paths[i], c->crls) <= 0) {
			snprintf(err, errlen, "%s: not a readable CRL", paths[i]);
			pki_crls_free(c);
			return NULL;
		}
	}
	return c;
}

int pki_crls_add(struct pki_crls **c, const char *path, char *err, size_t errlen)
{
	int n;

	if (!*c && !(*c = pki_crls_load(NULL, 0, err, errlen)))
		return -ENOMEM;
	n = pki_crl_file_read(path, (*c)->crls);
	if (n <= 0) {
		snprintf(err, errlen, "%s: not a readable CRL", path);
		return n < 0 ? n : -EINVAL;
	}
	return 0;
}

/*
 * @cert against every CRL of @c that @issuer_key signed with @cert's issuer
 * name: -EKEYREVOKED if one lists it, -EKEYEXPIRED if none of them is
 * current at @now, -ENOKEY (a message naming the issuer in @why) if there
 * is no such CRL at all.
 */
static int check_one(const struct pki_crls *c, X509 *cert, EVP_PKEY *issuer_key,
		     time_t now, char *why, size_t whylen)
{
	int found = 0, current = 0, revoked = 0;
	char name[256];

	for (int i = 0; i < sk_X509_CRL_num(c->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(c->crls, i);
		X509_REVOKED *rev = NULL;
		const ASN1_TIME *next;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) ||
		    X509_CRL_verify(crl, issuer_key) != 1)
			continue;	/* another CA's */
		found = 1;
		next = X509_CRL_get0_nextUpdate(crl);
		if (now == PKI_TIME_IGNORE || (next && X509_cmp_time(next, &now) == 1))
			current = 1;
		if (X509_CRL_get0_by_cert(crl, &rev, cert) == 1)
			revoked = 1;
	}
	ERR_clear_error();
	if (revoked)
		return -EKEYREVOKED;
	if (!found) {
		X509_NAME_oneline(X509_get_issuer_name(cert), name, sizeof(name));
		if (why)
			snprintf(why, whylen, "no CRL of the issuer %s among the CRLs given "
				 "(with --crl, every issuer of the chain needs its CRL)", name);
		return -ENOKEY;
	}
	return current ? 0 : -EKEYEXPIRED;
}

int pki_crls_check(const struct pki_crls *c, X509 *cert, X509 *ica,
		   const uint8_t *rom_key, size_t rom_key_len, time_t now,
		   char *why, size_t whylen)
{
	EVP_PKEY *rom;
	int err;

	if (why && whylen)
		why[0] = 0;
	if (!c || sk_X509_CRL_num(c->crls) == 0)
		return 0;
	if (!cert || !rom_key)
		return -EINVAL;
	rom = pki_public_from_der(rom_key, rom_key_len);
	if (!rom)
		return -EINVAL;
	if (!now)
		now = time(NULL);
	err = ica ? check_one(c, ica, rom, now, why, whylen) : 0;
	/* a listing wins over a missing or stale CRL of the other issuer */
	if (err != -EKEYREVOKED) {
		int e2 = check_one(c, cert, ica ? X509_get0_pubkey(ica) : rom, now,
				   err ? NULL : why, whylen);

		if (!err || e2 == -EKEYREVOKED)
			err = e2;
	}
	EVP_PKEY_free(rom);
	return err;
}
