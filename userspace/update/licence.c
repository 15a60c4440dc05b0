// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The codec of the licence content, ChipkeyLicence (include/chipkey/licence.h,
 * docs/software-update.md "Licence content"): OpenSSL ASN.1 templates, DER
 * only.  The one encoder and decoder; everything else uses struct
 * ck_licence.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>

#include "common/identity.h"
#include "common/pubdb-cms.h"
#include "update/update.h"

typedef struct {
	ASN1_INTEGER *version;
	ASN1_INTEGER *sequence;
	ASN1_INTEGER *image_size;
	ASN1_OCTET_STRING *image_digest;
	ASN1_GENERALIZEDTIME *not_before;
	ASN1_GENERALIZEDTIME *not_after;
	ASN1_UTF8STRING *device_class;
	/* every member is an ASN1_STRING: PrintableString / OCTET STRING */
	STACK_OF(ASN1_UTF8STRING) *identities;
	STACK_OF(ASN1_UTF8STRING) *chip_ids;
} CK_LICENCE_DER;

ASN1_SEQUENCE(CK_LICENCE_DER) = {
	ASN1_SIMPLE(CK_LICENCE_DER, version, ASN1_INTEGER),
	ASN1_SIMPLE(CK_LICENCE_DER, sequence, ASN1_INTEGER),
	ASN1_SIMPLE(CK_LICENCE_DER, image_size, ASN1_INTEGER),
	ASN1_SIMPLE(CK_LICENCE_DER, image_digest, ASN1_OCTET_STRING),
	ASN1_SIMPLE(CK_LICENCE_DER, not_before, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(CK_LICENCE_DER, not_after, ASN1_GENERALIZEDTIME),
	ASN1_IMP_OPT(CK_LICENCE_DER, device_class, ASN1_UTF8STRING, 0),
	ASN1_IMP_SEQUENCE_OF_OPT(CK_LICENCE_DER, identities, ASN1_PRINTABLESTRING, 1),
	ASN1_IMP_SEQUENCE_OF_OPT(CK_LICENCE_DER, chip_ids, ASN1_OCTET_STRING, 2),
} ASN1_SEQUENCE_END(CK_LICENCE_DER)

DECLARE_ASN1_FUNCTIONS(CK_LICENCE_DER)
IMPLEMENT_ASN1_FUNCTIONS(CK_LICENCE_DER)

/* A reason in @err, OpenSSL's error queue cleared, -EINVAL. */
#define fail(err, errlen, ...) pubdb_fail(err, errlen, -EINVAL, __VA_ARGS__)

int ck_licence_class_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= CK_LICENCE_CLASS_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._-") == n;
}

/* Every check the decoder makes of the decoded fields, also made by the
 * encoder of what it is asked to encode. */
static int check_fields(const struct ck_licence *l, char *err, size_t errlen)
{
	if (l->sequence < 1 || l->sequence > INT64_MAX)
		return fail(err, errlen, "sequence out of range (1..2^63-1)");
	if (l->image_size > INT64_MAX)
		return fail(err, errlen, "image size out of range");
	if (l->not_before > l->not_after)
		return fail(err, errlen, "notBefore is after notAfter");
	switch (l->audience) {
	case CK_LICENCE_FOR_CLASS:
		if (!ck_licence_class_valid(l->device_class))
			return fail(err, errlen, "device class is not 1..64 of A-Za-z0-9._-");
		return 0;
	case CK_LICENCE_FOR_IDENTITIES:
		if (l->n_targets < 1 || l->n_targets > CK_LICENCE_MAX_TARGETS)
			return fail(err, errlen, "1..%d identities", CK_LICENCE_MAX_TARGETS);
		for (size_t i = 0; i < l->n_targets; i++)
			if (!ck_identity_valid(l->identities[i]))
				return fail(err, errlen, "identity %zu is not 15 digits with "
					    "a Luhn check digit", i + 1);
		return 0;
	case CK_LICENCE_FOR_CHIP_IDS:
		if (l->n_targets < 1 || l->n_targets > CK_LICENCE_MAX_TARGETS)
			return fail(err, errlen, "1..%d chip IDs", CK_LICENCE_MAX_TARGETS);
		return 0;
	}
	return fail(err, errlen, "no audience");
}

static ASN1_GENERALIZEDTIME *time_to_der(int64_t t)
{
	/* year 0000..9999 only: GeneralizedTime has four digits */
	if (t < -62167219200LL || t > 253402300799LL)
		return NULL;
	return ASN1_GENERALIZEDTIME_set(NULL, (time_t)t);
}

/* DER GeneralizedTime is exactly YYYYMMDDHHMMSSZ. */
static int time_from_der(const ASN1_GENERALIZEDTIME *g, int64_t *t)
{
	struct tm tm;

	if (ASN1_STRING_length(g) != 15 || ASN1_STRING_get0_data(g)[14] != 'Z' ||
	    !ASN1_TIME_to_tm(g, &tm))
		return -EINVAL;
	*t = (int64_t)timegm(&tm);
	return 0;
}

int ck_licence_encode(const struct ck_licence *l, uint8_t **der, size_t *len)
{
	CK_LICENCE_DER *d = CK_LICENCE_DER_new();
	unsigned char *p = NULL;
	int n, err = -ENOMEM, ok = 1;

	*der = NULL;
	*len = 0;
	if (!d)
		return -ENOMEM;
	if (check_fields(l, NULL, 0)) {
		err = -EINVAL;
		goto out;
	}
	ok = ASN1_INTEGER_set_uint64(d->version, CK_LICENCE_VERSION) &&
	     ASN1_INTEGER_set_uint64(d->sequence, l->sequence) &&
	     ASN1_INTEGER_set_uint64(d->image_size, l->image_size) &&
	     ASN1_OCTET_STRING_set(d->image_digest, l->image_digest, CK_LICENCE_DIGEST_LEN);
	ASN1_GENERALIZEDTIME_free(d->not_before);
	ASN1_GENERALIZEDTIME_free(d->not_after);
	d->not_before = time_to_der(l->not_before);
	d->not_after = time_to_der(l->not_after);
	if (!ok || !d->not_before || !d->not_after) {
		err = -EINVAL;
		goto out;
	}
	if (l->audience == CK_LICENCE_FOR_CLASS) {
		d->device_class = ASN1_UTF8STRING_new();
		if (!d->device_class || !ASN1_STRING_set(d->device_class, l->device_class, -1))
			goto out;
	} else {
		STACK_OF(ASN1_UTF8STRING) *sk = sk_ASN1_UTF8STRING_new_null();
		int ids = l->audience == CK_LICENCE_FOR_IDENTITIES;

		if (!sk)
			goto out;
		if (ids)
			d->identities = sk;
		else
			d->chip_ids = sk;
		for (size_t i = 0; i < l->n_targets; i++) {
			ASN1_STRING *s = ASN1_STRING_type_new(ids ? V_ASN1_PRINTABLESTRING
							       : V_ASN1_OCTET_STRING);

			if (!s || !(ids ? ASN1_STRING_set(s, l->identities[i], -1)
				    : ASN1_STRING_set(s, l->chip_ids[i], CK_LICENCE_CHIP_ID_LEN)) ||
			    !sk_ASN1_UTF8STRING_push(sk, s)) {
				ASN1_STRING_free(s);
				goto out;
			}
		}
	}
	n = i2d_CK_LICENCE_DER(d, &p);
	if (n <= 0) {
		err = -EIO;
		goto out;
	}
	*der = malloc((size_t)n);
	if (*der) {
		memcpy(*der, p, (size_t)n);
		*len = (size_t)n;
		err = 0;
	}
out:
	OPENSSL_free(p);
	CK_LICENCE_DER_free(d);
	ERR_clear_error();
	return err;
}

static int get_u64(const ASN1_INTEGER *i, uint64_t *v)
{
	return ASN1_INTEGER_get_uint64(v, i) == 1 && *v <= INT64_MAX ? 0 : -EINVAL;
}

static int decode_targets(CK_LICENCE_DER *d, struct ck_licence *l, char *err, size_t errlen)
{
	int ids = d->identities != NULL;
	STACK_OF(ASN1_UTF8STRING) *sk = ids ? d->identities : d->chip_ids;
	int n = sk_ASN1_UTF8STRING_num(sk);

	l->audience = ids ? CK_LICENCE_FOR_IDENTITIES : CK_LICENCE_FOR_CHIP_IDS;
	if (n < 1 || n > CK_LICENCE_MAX_TARGETS)
		return fail(err, errlen, "1..%d %s", CK_LICENCE_MAX_TARGETS,
			    ids ? "identities" : "chip IDs");
	if (ids)
		l->identities = calloc((size_t)n, sizeof(*l->identities));
	else
		l->chip_ids = calloc((size_t)n, sizeof(*l->chip_ids));
	if (ids ? !l->identities : !l->chip_ids)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const ASN1_STRING *s = sk_ASN1_UTF8STRING_value(sk, i);
		size_t want = ids ? CK_LICENCE_IDENTITY_LEN : CK_LICENCE_CHIP_ID_LEN;

		if ((size_t)ASN1_STRING_length(s) != want)
			return fail(err, errlen, "%s %d is not %zu bytes",
				    ids ? "identity" : "chip ID", i + 1, want);
		if (ids)
			memcpy(l->identities[i], ASN1_STRING_get0_data(s), want);
		else
			memcpy(l->chip_ids[i], ASN1_STRING_get0_data(s), want);
	}
	l->n_targets = (size_t)n;
	return 0;
}

int ck_licence_decode(const uint8_t *der, size_t len, struct ck_licence *l,
		      char *err, size_t errlen)
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	CK_LICENCE_DER *d = NULL;
	uint64_t version;
	int n, rc, present;

	memset(l, 0, sizeof(*l));
	if (len > CK_LICENCE_MAX_CONTENT)
		return fail(err, errlen, "licence content larger than %d bytes",
			    CK_LICENCE_MAX_CONTENT);
	d = d2i_CK_LICENCE_DER(NULL, &p, (long)len);
	if (!d || p != der + len) {
		rc = fail(err, errlen, "licence content is not a ChipkeyLicence (DER)");
		goto out;
	}
	n = i2d_CK_LICENCE_DER(d, &again);
	if (n <= 0 || (size_t)n != len || memcmp(again, der, len)) {
		rc = fail(err, errlen, "licence content is not DER");
		goto out;
	}
	if (get_u64(d->version, &version) || version != CK_LICENCE_VERSION) {
		rc = fail(err, errlen, "licence version is not %d", CK_LICENCE_VERSION);
		goto out;
	}
	if (get_u64(d->sequence, &l->sequence) || get_u64(d->image_size, &l->image_size)) {
		rc = fail(err, errlen, "sequence or image size out of range");
		goto out;
	}
	if (ASN1_STRING_length(d->image_digest) != CK_LICENCE_DIGEST_LEN) {
		rc = fail(err, errlen, "image digest is not %d bytes (SHA-256)",
			  CK_LICENCE_DIGEST_LEN);
		goto out;
	}
	memcpy(l->image_digest, ASN1_STRING_get0_data(d->image_digest), CK_LICENCE_DIGEST_LEN);
	if (time_from_der(d->not_before, &l->not_before) ||
	    time_from_der(d->not_after, &l->not_after)) {
		rc = fail(err, errlen, "notBefore/notAfter is not YYYYMMDDHHMMSSZ");
		goto out;
	}
	present = !!d->device_class + !!d->identities + !!d->chip_ids;
	if (present != 1) {
		rc = fail(err, errlen, "licence names %s of deviceClass, identities, chipIds "
			  "(exactly one)", present ? "more than one" : "none");
		goto out;
	}
	if (d->device_class) {
		int cl = ASN1_STRING_length(d->device_class);

		l->audience = CK_LICENCE_FOR_CLASS;
		if (cl < 1 || cl > CK_LICENCE_CLASS_MAX ||
		    memchr(ASN1_STRING_get0_data(d->device_class), 0, (size_t)cl)) {
			rc = fail(err, errlen, "device class is not 1..64 bytes");
			goto out;
		}
		memcpy(l->device_class, ASN1_STRING_get0_data(d->device_class), (size_t)cl);
		l->device_class[cl] = 0;
	} else {
		rc = decode_targets(d, l, err, errlen);
		if (rc)
			goto out;
	}
	rc = check_fields(l, err, errlen);
out:
	OPENSSL_free(again);
	CK_LICENCE_DER_free(d);
	ERR_clear_error();
	return rc;
}

void ck_licence_free(struct ck_licence *l)
{
	free(l->identities);
	free(l->chip_ids);
	l->identities = NULL;
	l->chip_ids = NULL;
	l->n_targets = 0;
}
