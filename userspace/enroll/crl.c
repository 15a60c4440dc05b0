// SPDX-License-Identifier: GPL-2.0-or-later
/* Revocation and the customer CA's CRL (crl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "factory/station-crl.h"
#include "crl.h"

/* The CRL of @der, or NULL. */
static X509_CRL *crl_parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *c = der ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;

	return c;
}

/* Store @crl in the ledger under its cRLNumber. */
static int store(struct ledger *l, X509_CRL *crl)
{
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	unsigned char *der = NULL;
	int64_t v = 0;
	int len, err = -EIO;

	if (num && ASN1_INTEGER_get_int64(&v, num) == 1 && (len = i2d_X509_CRL(crl, &der)) > 0)
		err = ledger_crl_store(l, (long long)v, der, (size_t)len);
	ASN1_INTEGER_free(num);
	OPENSSL_free(der);
	return err;
}

/* The newest CRL of the ledger (NULL: none) in *@out: 0 or -errno. */
static int latest(struct ledger *l, X509_CRL **out)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int err = ledger_crl_latest(l, &der, &len);

	*out = NULL;
	if (err == -ENOENT)
		return 0;
	if (!err && !(*out = crl_parse(der, len)))
		err = -EIO;
	free(der);
	return err;
}

int enroll_crl_revoke(struct ledger *l, const struct enroll_ca *ca, const char *serial,
		      const char *identity, const char *reason, const char *by, int days)
{
	char (*serials)[LEDGER_SERIAL_MAX + 1] = NULL;
	char up[LEDGER_SERIAL_MAX + 1];
	int code = station_crl_reason(reason);
	ASN1_INTEGER **sn = NULL;
	X509_CRL *crl = NULL, *next = NULL;
	size_t n = 0, k;
	int err;

	if (code == -2 || days <= 0)
		return -EINVAL;
	if (serial) {
		/* as the ledger writes it: BN_bn2hex (upper case, whole bytes) */
		BIGNUM *bn = NULL;
		size_t m = strlen(serial);
		char *h = m && m <= LEDGER_SERIAL_MAX && strspn(serial, "0123456789abcdefABCDEF") == m &&
			  BN_hex2bn(&bn, serial) == (int)m ? BN_bn2hex(bn) : NULL;

		BN_free(bn);
		if (!h || strlen(h) > LEDGER_SERIAL_MAX) {
			OPENSSL_free(h);
			return -EINVAL;
		}
		strcpy(up, h);
		OPENSSL_free(h);
		serial = up;
	}
	err = ledger_begin(l);
	if (err)
		return err;
	err = ledger_revoke(l, serial, identity, reason, by, time(NULL), &serials, &n);
	if (!err)
		err = latest(l, &crl);
	if (!err && !(sn = calloc(n, sizeof(*sn))))
		err = -ENOMEM;
	for (k = 0; !err && k < n; k++) {
		BIGNUM *bn = NULL;

		if (!BN_hex2bn(&bn, serials[k]) || !(sn[k] = BN_to_ASN1_INTEGER(bn, NULL)))
			err = -EIO;
		BN_free(bn);
	}
	/* one CRL: the newest plus every new entry, cRLNumber + 1 */
	if (!err && !(next = station_crl_make_n(ca->key, ca->cert, crl,
						(const ASN1_INTEGER *const *)sn, n, code, days)))
		err = -EIO;
	if (!err)
		err = store(l, next);
	if (!err)
		err = ledger_commit(l);
	if (err)
		ledger_rollback(l);
	else
		for (k = 0; k < n; k++)
			printf("revoked %s\n", serials[k]);
	for (k = 0; sn && k < n; k++)
		ASN1_INTEGER_free(sn[k]);
	free(sn);
	X509_CRL_free(next);
	X509_CRL_free(crl);
	free(serials);
	ERR_clear_error();
	return err;
}

/* Whether @crl is past half of its validity (or has no nextUpdate). */
static int stale(X509_CRL *crl, time_t now)
{
	const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl), *next = X509_CRL_get0_nextUpdate(crl);
	int d1, s1, d2, s2;

	if (!last || !next || !ASN1_TIME_diff(&d1, &s1, last, next))
		return 1;
	{
		ASN1_TIME *t = ASN1_TIME_set(NULL, now);
		int ok = t && ASN1_TIME_diff(&d2, &s2, t, next);

		ASN1_TIME_free(t);
		if (!ok)
			return 1;
	}
	/* remaining < half of the whole */
	return (long long)d2 * 86400 + s2 < ((long long)d1 * 86400 + s1) / 2;
}

int enroll_crl_current(struct ledger *l, const struct enroll_ca *ca, int days,
		       uint8_t **der, size_t *len)
{
	X509_CRL *crl = NULL, *next = NULL;
	unsigned char *out = NULL;
	int err, n;

	err = latest(l, &crl);
	if (err)
		return err;
	if (!crl || stale(crl, time(NULL))) {
		X509_CRL_free(crl);
		crl = NULL;
		/* again inside the transaction: another process may have made one */
		err = ledger_begin(l);
		if (!err)
			err = latest(l, &crl);
		if (!err && (!crl || stale(crl, time(NULL)))) {
			next = station_crl_make(ca->key, ca->cert, crl, NULL, CRL_REASON_NONE, days);
			err = next ? store(l, next) : -EIO;
			if (!err) {
				X509_CRL_free(crl);
				crl = next;
				next = NULL;
			}
		}
		if (!err)
			err = ledger_commit(l);
		if (err)
			ledger_rollback(l);
		X509_CRL_free(next);
	}
	*der = NULL;
	*len = 0;
	n = !err && crl ? i2d_X509_CRL(crl, &out) : -1;
	if (!err && (n <= 0 || !(*der = malloc((size_t)n))))
		err = n <= 0 ? -EIO : -ENOMEM;
	if (!err) {
		memcpy(*der, out, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(out);
	X509_CRL_free(crl);
	ERR_clear_error();
	return err;
}
