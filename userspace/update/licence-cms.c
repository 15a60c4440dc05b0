// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The licence container (docs/software-update.md "Licence container"): a
 * DER CMS SignedData, content attached, eContentType id-ct-chipkeyLicence,
 * one signer (the licence-signing credential), its certificate and the
 * issuing CA's in the SignedData, so that
 *   openssl cms -verify -inform DER -binary -CAfile mfr-ca.pem
 * verifies it with the manufacturer root alone.  A device verifies it
 * against the ROM key, not a CA file: ck_licence_verify().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "common/pki.h"
#include "common/pubdb-cms.h"
#include "update/update.h"

/* The signer's certificate, the issuing CA's, nothing else. */
#define LICENCE_MAX_CERTS 2

int ck_licence_sign(const uint8_t *content, size_t content_len, EVP_PKEY *key,
		    X509 *cert, X509 *ica, uint8_t **out, size_t *out_len)
{
	char why[160];

	if (ck_licence_signer_role(cert))
		return -EKEYREJECTED;	/* sign with the licence credential only */
	return pubdb_cms_sign_chain(CK_LICENCE_CONTENT_OID, content, content_len, key, cert,
				    ica, out, out_len, why, sizeof(why));
}

/* The DER SignedData of the whole buffer @buf, eContentType checked. */
static CMS_ContentInfo *decode(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	ASN1_OBJECT *want = OBJ_txt2obj(CK_LICENCE_CONTENT_OID, 1);
	ASN1_OCTET_STRING **content;

	if (!cms || p != buf + len) {
		pubdb_fail(err, errlen, -EINVAL, "not a licence: not one DER CMS structure");
		goto bad;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		pubdb_fail(err, errlen, -EINVAL, "not a licence: not a CMS SignedData");
		goto bad;
	}
	if (!want || OBJ_cmp(CMS_get0_eContentType(cms), want)) {
		pubdb_fail(err, errlen, -EINVAL, "not a licence: eContentType is not "
			   "id-ct-chipkeyLicence (%s)", CK_LICENCE_CONTENT_OID);
		goto bad;
	}
	content = CMS_get0_content(cms);
	if (!content || !*content) {
		pubdb_fail(err, errlen, -EINVAL, "not a licence: the content is not attached");
		goto bad;
	}
	ASN1_OBJECT_free(want);
	return cms;
bad:
	ASN1_OBJECT_free(want);
	CMS_ContentInfo_free(cms);
	return NULL;
}

/* @x is valid at @t (its notBefore <= @t <= its notAfter). */
static int valid_at(X509 *x, int64_t t)
{
	time_t tt = (time_t)t;

	return X509_cmp_time(X509_get0_notBefore(x), &tt) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &tt) > 0;
}

int ck_licence_covered(X509 *signer, X509 *ica, const struct ck_licence *l, char *err,
		       size_t errlen)
{
	if (!valid_at(signer, l->not_before) || !valid_at(ica, l->not_before))
		return pubdb_fail(err, errlen, -EKEYEXPIRED, "the %s was not valid at the "
				  "licence's notBefore", valid_at(ica, l->not_before) ?
				  "signer's certificate" : "issuing CA");
	if (!valid_at(signer, l->not_after) || !valid_at(ica, l->not_after))
		return pubdb_fail(err, errlen, -EKEYEXPIRED, "the licence outlives its %s "
				  "(notAfter after the certificate's)", valid_at(ica, l->not_after) ?
				  "signer's certificate" : "issuing CA");
	if (l->not_after - l->not_before > CK_LICENCE_MAX_VALIDITY)
		return pubdb_fail(err, errlen, -EKEYEXPIRED, "the licence's validity is longer "
				  "than %lld days", CK_LICENCE_MAX_VALIDITY / 86400);
	return 0;
}

static void describe(X509 *x, struct ck_licence_signer_info *who)
{
	BIGNUM *bn;
	char *hex;

	if (!who)
		return;
	X509_NAME_oneline(X509_get_subject_name(x), who->subject, sizeof(who->subject));
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(who->serial, sizeof(who->serial), "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/* Signer certificate and issuing CA among @certs, chained to the ROM key. */
static int find_chain(CMS_SignerInfo *si, STACK_OF(X509) *certs, const uint8_t *rom_key,
		      size_t rom_key_len, X509 **signer, X509 **ica, char *err, size_t errlen)
{
	int i;

	*signer = *ica = NULL;
	for (i = 0; i < sk_X509_num(certs) && !*signer; i++)
		if (!CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)))
			*signer = sk_X509_value(certs, i);
	if (!*signer)
		return pubdb_fail(err, errlen, -EKEYREJECTED,
				  "the signer's certificate is not in the licence");
	for (i = 0; i < sk_X509_num(certs) && !*ica; i++) {
		X509 *c = sk_X509_value(certs, i);

		if (c != *signer && X509_check_issued(c, *signer) == X509_V_OK &&
		    !pki_verify_issuing_ca(c, rom_key, rom_key_len, PKI_TIME_IGNORE) &&
		    X509_verify(*signer, X509_get0_pubkey(c)) == 1)
			*ica = c;
	}
	if (!*ica)
		return pubdb_fail(err, errlen, -EKEYREJECTED,
				  "the signer is not issued by an issuing CA of this device's "
				  "manufacturer (ROM key)");
	if (ck_licence_signer_role(*signer))
		return pubdb_fail(err, errlen, -EKEYREJECTED,
				  "the signer is not a licence-signing credential (OU=%s)",
				  CK_LICENCE_SIGNER_OU);
	return 0;
}

int ck_licence_verify(const uint8_t *buf, size_t len, const uint8_t *rom_key,
		      size_t rom_key_len, const struct pki_crls *crls, struct ck_licence *l,
		      struct ck_licence_signer_info *who, char *err, size_t errlen)
{
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *certs = NULL, *one = NULL;
	CMS_ContentInfo *cms;
	X509 *signer, *ica;
	BIO *out = NULL;
	const uint8_t *content;
	long n;
	int rc;

	memset(l, 0, sizeof(*l));
	if (len > CK_LICENCE_MAX_LEN)
		return pubdb_fail(err, errlen, -EMSGSIZE, "licence larger than %d bytes",
				  CK_LICENCE_MAX_LEN);
	cms = decode(buf, len, err, errlen);
	if (!cms)
		return -EINVAL;
	sis = CMS_get0_SignerInfos(cms);
	certs = CMS_get1_certs(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1 || sk_X509_num(certs) > LICENCE_MAX_CERTS) {
		rc = pubdb_fail(err, errlen, -EINVAL, "not a licence: %d signers, %d "
				"certificates (one signer, at most %d certificates)",
				sk_CMS_SignerInfo_num(sis), sk_X509_num(certs), LICENCE_MAX_CERTS);
		goto out;
	}
	rc = find_chain(sk_CMS_SignerInfo_value(sis, 0), certs, rom_key, rom_key_len,
			&signer, &ica, err, errlen);
	if (rc)
		goto out;
	describe(signer, who);
	/* revocation, with the CRLs given (--crl): fails closed */
	if (crls) {
		char why[256] = "";

		rc = pki_crls_check(crls, signer, ica, rom_key, rom_key_len, pki_clock_now(),
				    why, sizeof(why));
		if (rc) {
			rc = pubdb_fail(err, errlen, rc == -EKEYEXPIRED ? -EKEYEXPIRED :
					-EKEYREJECTED, "%s%s", rc == -EKEYREVOKED ?
					"the signer or its issuing CA is revoked (--crl)" :
					rc == -EKEYEXPIRED ? "a CRL given with --crl is out of "
					"date: " : "no usable CRL (--crl): ", why);
			goto out;
		}
	}
	/* the signature over the signed attributes, and their messageDigest
	 * over the content; the chain was checked above, against the ROM key */
	one = sk_X509_new_null();
	out = BIO_new(BIO_s_mem());
	if (!one || !out || !sk_X509_push(one, signer)) {
		rc = pubdb_fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	if (CMS_verify(cms, one, NULL, NULL, out,
		       CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "the licence's signature does not verify");
		goto out;
	}
	n = BIO_get_mem_data(out, (char **)&content);
	rc = ck_licence_decode(content, n > 0 ? (size_t)n : 0, l, err, errlen);
	if (rc)
		goto out;
	/* no wall clock: the credentials must have been valid when the licence
	 * became valid, and the licence ends before they do
	 * (docs/software-update.md "Time") */
	rc = ck_licence_covered(signer, ica, l, err, errlen);
	if (rc)
		ck_licence_free(l);
out:
	BIO_free(out);
	sk_X509_free(one);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}
