// SPDX-License-Identifier: GPL-2.0
/*
 * The CMS containers of modes 3 and 4 (docs/service-link-cms.md):
 * SignedData with attached content of a chipkey eContentType, and
 * AuthEnvelopedData (RFC 5083, AES-256-GCM, RFC 5084) with ECDH key
 * agreement (kari) around it.  The content of a mode-3 SignedData is a
 * secret: every copy of it is wiped before it is freed.  OpenSSL 3 CMS
 * only; `openssl cms -sign/-verify/-encrypt/-decrypt` make and read the
 * same structures (link/tests/run-modes34.sh).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "common/pki.h"
#include "link/link-cms.h"

#define SIGN_FLAGS	(CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP)

/* Wipe the attached content of @cms (a copy of a secret) and free it. */
static void cms_free_wiped(CMS_ContentInfo *cms)
{
	ASN1_OCTET_STRING **pos = cms ? CMS_get0_content(cms) : NULL;

	if (pos && *pos && ASN1_STRING_length(*pos) > 0)
		OPENSSL_cleanse((unsigned char *)ASN1_STRING_get0_data(*pos),
				(size_t)ASN1_STRING_length(*pos));
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
}

static int to_der(CMS_ContentInfo *cms, uint8_t **out, size_t *out_len)
{
	unsigned char *der = NULL;
	int n = i2d_CMS_ContentInfo(cms, &der);

	if (n <= 0)
		return ck_link_fail(-EIO, "CMS: cannot encode");
	*out = der;
	*out_len = (size_t)n;
	return 0;
}

int ck_link_cms_sign(const char *oid, const uint8_t *content, size_t len,
		     EVP_PKEY *key, X509 *cert, STACK_OF(X509) *extra,
		     uint8_t **out, size_t *out_len)
{
	ASN1_OBJECT *type = OBJ_txt2obj(oid, 1);
	BIO *in = BIO_new_mem_buf(content, (int)len);
	CMS_ContentInfo *cms = NULL;
	int i, rc = -EIO;

	if (!type || !in)
		goto out;
	if (!pki_is_p256(key) || X509_check_private_key(cert, key) != 1) {
		rc = ck_link_fail(-EINVAL, "CMS: the key is not P-256 or not its certificate's");
		goto out2;
	}
	cms = CMS_sign(NULL, NULL, NULL, NULL, SIGN_FLAGS);
	if (!cms || !CMS_add1_signer(cms, cert, key, EVP_sha256(), SIGN_FLAGS) ||
	    CMS_set1_eContentType(cms, type) != 1)
		goto out;
	for (i = 0; i < sk_X509_num(extra); i++)
		if (X509_cmp(sk_X509_value(extra, i), cert) &&
		    CMS_add1_cert(cms, sk_X509_value(extra, i)) != 1)
			goto out;
	if (CMS_final(cms, in, NULL, CMS_BINARY) != 1)
		goto out;
	rc = to_der(cms, out, out_len);
out:
	if (rc)
		ck_link_fail(rc, "CMS: cannot sign");
out2:
	cms_free_wiped(cms);
	BIO_free(in);
	ASN1_OBJECT_free(type);
	return rc;
}

/* A whole CMS ContentInfo of content type @nid (BER accepted: what
 * `openssl cms` writes), nothing after it. */
static CMS_ContentInfo *decode(const uint8_t *der, size_t len, int nid, const char *what)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;

	if (len > CK_LINK_CMS_MSG_MAX) {
		ck_link_fail(-EMSGSIZE, "%s: %zu bytes, over %d", what, len, CK_LINK_CMS_MSG_MAX);
		return NULL;
	}
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms) {
		ck_link_fail(-EBADMSG, "%s: not a CMS structure", what);
		return NULL;
	}
	if (p != der + len) {
		ck_link_fail(-EBADMSG, "%s: %zu bytes after the CMS structure", what,
			     (size_t)(der + len - p));
		goto bad;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != nid) {
		ck_link_fail(-EBADMSG, "%s: a CMS %s, not %s", what,
			     OBJ_nid2sn(OBJ_obj2nid(CMS_get0_type(cms))), OBJ_nid2sn(nid));
		goto bad;
	}
	return cms;
bad:
	CMS_ContentInfo_free(cms);
	return NULL;
}

static int fail_rc(void)
{
	/* decode() recorded why; map "too large" apart from "malformed" */
	return strstr(ck_link_cms_why(), "over ") ? -EMSGSIZE : -EBADMSG;
}

int ck_link_cms_open_signed(const uint8_t *der, size_t len, const char *oid,
			    uint8_t *content, size_t content_len, X509 **signer,
			    STACK_OF(X509) **certs)
{
	CMS_ContentInfo *cms = decode(der, len, NID_pkcs7_signed, "SignedData");
	ASN1_OBJECT *type = OBJ_txt2obj(oid, 1);
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *all = NULL, *signers = NULL;
	const ASN1_OCTET_STRING *const *pos;
	BIO *outb = NULL;
	int rc;

	*signer = NULL;
	*certs = NULL;
	if (!cms) {
		rc = fail_rc();
		goto out;
	}
	rc = -EBADMSG;
	if (!type) {
		rc = ck_link_fail(-EIO, "bad OID %s", oid);
		goto out;
	}
	if (OBJ_cmp(CMS_get0_eContentType(cms), type)) {
		ck_link_fail(rc, "SignedData: eContentType is not %s", oid);
		goto out;
	}
	pos = (const ASN1_OCTET_STRING *const *)CMS_get0_content(cms);
	if (CMS_is_detached(cms) || !pos || !*pos ||
	    (size_t)ASN1_STRING_length(*pos) != content_len) {
		ck_link_fail(rc, "SignedData: content missing or not %zu bytes", content_len);
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	all = CMS_get1_certs(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1 || !all) {
		ck_link_fail(rc, "SignedData: %d signers (one expected) or no certificate",
			     sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	/* the signature over the signed attributes and content, by the
	 * certificate the SignerInfo names; the chain is the caller's */
	outb = BIO_new(BIO_s_secmem());	/* wiped when freed */
	if (!outb || CMS_verify(cms, NULL, NULL, NULL, outb,
				CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		rc = ck_link_fail(-EKEYREJECTED, "SignedData: the signature does not verify");
		goto out;
	}
	if (BIO_read(outb, content, (int)content_len) != (int)content_len) {
		ck_link_fail(rc, "SignedData: content unreadable");
		goto out;
	}
	signers = CMS_get0_signers(cms);
	if (sk_X509_num(signers) != 1) {
		ck_link_fail(rc, "SignedData: signer certificate not found");
		goto out;
	}
	*signer = sk_X509_value(signers, 0);
	X509_up_ref(*signer);
	*certs = all;
	all = NULL;
	rc = 0;
out:
	sk_X509_free(signers);
	sk_X509_pop_free(all, X509_free);
	BIO_free(outb);
	ASN1_OBJECT_free(type);
	cms_free_wiped(cms);
	if (rc)
		OPENSSL_cleanse(content, content_len);
	return rc;
}

int ck_link_cms_encrypt(const uint8_t *in, size_t len, X509 *recip, uint8_t **out,
			size_t *out_len)
{
	STACK_OF(X509) *rs = sk_X509_new_null();
	BIO *inb = BIO_new_mem_buf(in, (int)len);
	CMS_ContentInfo *cms = NULL;
	int rc = -EIO;

	if (!rs || !inb || !sk_X509_push(rs, recip))
		goto out;
	/* an AEAD cipher makes CMS_encrypt() write AuthEnvelopedData */
	cms = CMS_encrypt(rs, inb, EVP_aes_256_gcm(), CMS_BINARY);
	if (!cms)
		goto out;
	rc = to_der(cms, out, out_len);
out:
	if (rc)
		ck_link_fail(rc, "CMS: cannot encrypt to the peer's certificate");
	CMS_ContentInfo_free(cms);
	BIO_free(inb);
	sk_X509_free(rs);
	return rc;
}

int ck_link_cms_decrypt(const uint8_t *der, size_t len, EVP_PKEY *key, X509 *cert,
			uint8_t **out, size_t *out_len)
{
	CMS_ContentInfo *cms = decode(der, len, NID_id_smime_ct_authEnvelopedData,
				      "AuthEnvelopedData");
	BIO *outb = NULL;
	BUF_MEM *m;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!cms)
		return fail_rc();
	outb = BIO_new(BIO_s_secmem());
	if (!outb) {
		rc = -ENOMEM;
		goto out;
	}
	/* CMS_DEBUG_DECRYPT off: a wrong key fails here, not later (the
	 * random key of the MMA countermeasure would only hide it) */
	if (CMS_decrypt(cms, key, cert, NULL, outb, CMS_BINARY) != 1) {
		rc = ck_link_fail(-EBADE,
				  "AuthEnvelopedData: not for this key, or tampered");
		goto out;
	}
	BIO_get_mem_ptr(outb, &m);
	if (!m->length || m->length > CK_LINK_CMS_MSG_MAX) {
		rc = ck_link_fail(-EBADMSG, "AuthEnvelopedData: content of %zu bytes", m->length);
		goto out;
	}
	*out = OPENSSL_malloc(m->length);
	if (!*out) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(*out, m->data, m->length);
	*out_len = m->length;
	rc = 0;
out:
	BIO_free(outb);	/* secure memory: wiped */
	CMS_ContentInfo_free(cms);
	return rc;
}
