// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The factory's station CRL: making, reading, checking and writing it
 * (station-crl.h).  OpenSSL 3 X509_CRL only; nothing secret in it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/file.h"
#include "station-crl.h"

/* crlNumber of @prev plus one, or 1. */
static ASN1_INTEGER *next_number(const X509_CRL *prev)
{
	ASN1_INTEGER *num = prev ? X509_CRL_get_ext_d2i(prev, NID_crl_number,
							NULL, NULL) : NULL;
	BIGNUM *bn = num ? ASN1_INTEGER_to_BN(num, NULL) : BN_new();
	ASN1_INTEGER *next = NULL;

	/* BN_new() is zero */
	if (bn && BN_add_word(bn, 1))
		next = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	return next;
}

static int add_entry(X509_CRL *crl, const ASN1_INTEGER *serial,
		     const ASN1_TIME *when, int reason)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_ENUMERATED *e = NULL;
	int ok = r && X509_REVOKED_set_serialNumber(r, (ASN1_INTEGER *)serial) &&
		 X509_REVOKED_set_revocationDate(r, (ASN1_TIME *)when);

	if (ok && reason != CRL_REASON_NONE) {
		e = ASN1_ENUMERATED_new();
		ok = e && ASN1_ENUMERATED_set(e, reason) &&
		     X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) == 1;
	}
	ASN1_ENUMERATED_free(e);
	if (ok && X509_CRL_add0_revoked(crl, r))
		return 1;
	X509_REVOKED_free(r);
	return 0;
}

static int add_akid(X509_CRL *crl, X509 *issuer)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer, NULL, NULL, crl, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier,
				  "keyid:always");
	ok = ext && X509_CRL_add_ext(crl, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

X509_CRL *station_crl_make(EVP_PKEY *mfr_key, X509 *mfr_cert,
			   const X509_CRL *prev, const ASN1_INTEGER *serial,
			   int reason, int days)
{
	return station_crl_make_n(mfr_key, mfr_cert, prev, &serial, serial ? 1 : 0, reason, days);
}

X509_CRL *station_crl_make_n(EVP_PKEY *mfr_key, X509 *mfr_cert,
			     const X509_CRL *prev, const ASN1_INTEGER *const *serials,
			     size_t n, int reason, int days)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *now = X509_time_adj_ex(NULL, 0, 0, NULL);
	ASN1_TIME *next = X509_time_adj_ex(NULL, days, 0, NULL);
	ASN1_INTEGER *num = next_number(prev);
	STACK_OF(X509_REVOKED) *old = prev ? X509_CRL_get_REVOKED((X509_CRL *)prev) : NULL;
	int ok = crl && now && next && num && mfr_key && mfr_cert && days > 0 &&
		 X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
		 X509_CRL_set_issuer_name(crl, X509_get_subject_name(mfr_cert)) &&
		 X509_CRL_set1_lastUpdate(crl, now) &&
		 X509_CRL_set1_nextUpdate(crl, next);

	for (int i = 0; ok && i < sk_X509_REVOKED_num(old); i++) {
		X509_REVOKED *r = X509_REVOKED_dup(sk_X509_REVOKED_value(old, i));

		ok = r && X509_CRL_add0_revoked(crl, r);
		if (!ok)
			X509_REVOKED_free(r);
	}
	for (size_t i = 0; ok && i < n; i++)
		ok = add_entry(crl, serials[i], now, reason);
	ok = ok && X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1 &&
	     add_akid(crl, mfr_cert) && X509_CRL_sort(crl) &&
	     X509_CRL_sign(crl, mfr_key, EVP_sha256()) > 0;
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	if (!ok) {
		X509_CRL_free(crl);
		return NULL;
	}
	return crl;
}

int station_crl_read(const char *path, X509_CRL **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int err = ck_file_read(path, &buf, &len, CK_STATION_CRL_MAX);

	*out = NULL;
	if (err)
		return err;
	if (len > CK_STATION_CRL_MAX) {
		free(buf);
		return -EFBIG;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		*out = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(buf);
	return *out ? 0 : -EINVAL;
}

int station_crl_check(X509_CRL *crl, X509 *issuer, time_t now)
{
	EVP_PKEY *pub = X509_get0_pubkey(issuer);
	const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl);
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

	if (!pub || X509_NAME_cmp(X509_CRL_get_issuer(crl),
				  X509_get_subject_name(issuer)) ||
	    X509_CRL_verify(crl, pub) != 1)
		return -EKEYREJECTED;
	if (X509_CRL_get_version(crl) != X509_CRL_VERSION_2 || !last || !next)
		return -EINVAL;
	if (X509_cmp_time(last, &now) > 0 || X509_cmp_time(next, &now) <= 0)
		return -EKEYEXPIRED;
	return 0;
}

int station_crl_write(const char *path, X509_CRL *crl)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int err = -EIO;

	if (!bio)
		return -ENOMEM;
	if (PEM_write_bio_X509_CRL(bio, crl) && (n = BIO_get_mem_data(bio, &data)) > 0)
		err = ck_file_write_atomic(path, data, (size_t)n, 0644, 1);
	BIO_free(bio);
	return err;
}

int station_crl_lists(X509_CRL *crl, const ASN1_INTEGER *serial)
{
	X509_REVOKED *r = NULL;

	return X509_CRL_get0_by_serial(crl, &r, serial) == 1;
}

int station_crl_reason(const char *name)
{
	static const struct { const char *name; int code; } reasons[] = {
		{ "unspecified", CRL_REASON_NONE },
		{ "keyCompromise", CRL_REASON_KEY_COMPROMISE },
		{ "affiliationChanged", CRL_REASON_AFFILIATION_CHANGED },
		{ "superseded", CRL_REASON_SUPERSEDED },
		{ "cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION },
	};

	for (size_t i = 0; name && i < sizeof(reasons) / sizeof(*reasons); i++)
		if (!strcmp(name, reasons[i].name))
			return reasons[i].code;
	return -2;
}
