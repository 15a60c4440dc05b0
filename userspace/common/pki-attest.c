// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The chipkeyChipAttestationKey extension of device certificates, as
 * verifiers read it (pki_cert_attest_key, common/pki.h): the chip's
 * attestation key Q.  Issued by factory/pki-issue.c; docs/factory-pki.md,
 * "Device certificate".
 */
#include <errno.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "common/attest.h"
#include "common/pki.h"

/* Q of a DER SubjectPublicKeyInfo that is exactly @len bytes, of an
 * id-ecPublicKey on prime256v1 with a valid uncompressed point. */
static int attest_spki_point(const unsigned char *der, long len,
			     uint8_t q[PKI_ATTEST_PUB_LEN])
{
	const unsigned char *p = der, *pt;
	ASN1_OBJECT *alg;
	X509_ALGOR *algor;
	const void *pval;
	X509_PUBKEY *xpk;
	EVP_PKEY *pk = NULL;
	int ptype, ptlen, err = -EINVAL;

	/* the one DER form of such a key, read without OpenSSL's decoders
	 * (common/pki.c); the same verdict as the generic way below */
	pt = len > 0 ? pki_p256_spki_point(der, (size_t)len) : NULL;
	if (pt) {
		err = ck_att_point_check(pt);
		if (!err)
			memcpy(q, pt, PKI_ATTEST_PUB_LEN);
		return err;
	}
	xpk = d2i_X509_PUBKEY(NULL, &p, len);
	if (!xpk || p != der + len ||
	    !X509_PUBKEY_get0_param(&alg, &pt, &ptlen, &algor, xpk))
		goto out;
	X509_ALGOR_get0(NULL, &ptype, &pval, algor);
	if (OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey || ptype != V_ASN1_OBJECT ||
	    OBJ_obj2nid(pval) != NID_X9_62_prime256v1 || ptlen != PKI_ATTEST_PUB_LEN ||
	    ck_att_pub_to_pkey(pt, &pk))
		goto out;
	memcpy(q, pt, PKI_ATTEST_PUB_LEN);
	err = 0;
out:
	EVP_PKEY_free(pk);
	X509_PUBKEY_free(xpk);
	return err;
}

int pki_cert_attest_key(X509 *cert, uint8_t q[PKI_ATTEST_PUB_LEN])
{
	const ASN1_OCTET_STRING *v;
	ASN1_OBJECT *oid;
	int loc, err = -EINVAL;

	if (!cert || !q)
		return -EINVAL;
	oid = OBJ_txt2obj(PKI_ATTEST_KEY_OID, 1);
	if (!oid)
		return -ENOMEM;
	loc = X509_get_ext_by_OBJ(cert, oid, -1);
	if (loc < 0)
		err = -ENOENT;
	else if (X509_get_ext_by_OBJ(cert, oid, loc) < 0 &&	/* exactly once */
		 (v = X509_EXTENSION_get_data(X509_get_ext(cert, loc))) != NULL)
		err = attest_spki_point(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), q);
	ASN1_OBJECT_free(oid);
	return err;
}
