// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The EST operations (est.h): cacerts, csrattrs, simpleenroll,
 * serverkeygen, simplereenroll, the CRL, and the chip challenge that
 * simpleenroll and serverkeygen need (docs/enrollment.md).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "common/crashpoint.h"
#include "common/hex.h"
#include "common/x509-issue.h"
#include "auth.h"
#include "crl.h"
#include "csr.h"
#include "est.h"

/*
 * csrattrs (RFC 7030 4.5.2): ecdsa-with-SHA256, and the attribute
 * id-ecPublicKey with the curve prime256v1: a P-256 key is asked for.
 */
static const uint8_t csr_attrs[] = {
	0x30, 0x21,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
	0x30, 0x15, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x31, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
};

static void text(struct est_response *res, int status, const char *reason, const char *msg)
{
	size_t n = strlen(msg);

	res->status = status;
	res->reason = reason;
	res->type = "text/plain";
	res->body = malloc(n + 1);
	res->len = res->body ? n + 1 : 0;
	if (res->body) {
		memcpy(res->body, msg, n);
		res->body[n] = '\n';
	}
}

/* base64 of @der in lines of 64 characters (RFC 7030 / RFC 2045): *@out (malloc'd). */
static int b64(const uint8_t *der, int len, char **out, size_t *outlen)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int n = 0, m = 0;

	*out = malloc((size_t)len / 48 * 65 + 70);
	if (!ctx || !*out) {
		EVP_ENCODE_CTX_free(ctx);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	EVP_EncodeInit(ctx);
	if (EVP_EncodeUpdate(ctx, (unsigned char *)*out, &n, der, len) != 1) {
		EVP_ENCODE_CTX_free(ctx);
		free(*out);
		*out = NULL;
		return -EIO;
	}
	EVP_EncodeFinal(ctx, (unsigned char *)*out + n, &m);
	EVP_ENCODE_CTX_free(ctx);
	*outlen = (size_t)(n + m);
	return 0;
}

/* base64 of @der as @res's body. */
static int base64(struct est_response *res, const uint8_t *der, int len, const char *type)
{
	int err = b64(der, len, &res->body, &res->len);

	if (err)
		return err;
	res->status = 200;
	res->reason = "OK";
	res->type = type;
	res->base64 = 1;
	return 0;
}

/* A certs-only PKCS#7 SignedData (RFC 7030 4.1.3, 4.2.3) of @cert, DER: its length or -1. */
static int certs_only_der(X509 *cert, unsigned char **der)
{
	PKCS7 *p7 = PKCS7_new();
	int len = -1;

	*der = NULL;
	if (p7 && PKCS7_set_type(p7, NID_pkcs7_signed) &&
	    PKCS7_content_new(p7, NID_pkcs7_data) && PKCS7_add_certificate(p7, cert))
		len = i2d_PKCS7(p7, der);
	PKCS7_free(p7);
	return len;
}

/* The same, base64, as @res's body. */
static int certs_only(struct est_response *res, X509 *cert)
{
	unsigned char *der = NULL;
	int len = certs_only_der(cert, &der), err;

	if (len <= 0)
		return -EIO;
	err = base64(res, der, len, "application/pkcs7-mime; smime-type=certs-only");
	OPENSSL_free(der);
	return err;
}

/* The device on the connection, or a 401/403 answer in @res. */
static int authenticate(struct enroll_node *n, const struct est_request *req,
			struct est_response *res, struct enroll_peer *p)
{
	char why[256];
	int err = enroll_auth_peer(req->ssl, &n->ca, n->crls, p, why, sizeof(why));

	if (err) {
		fprintf(stderr, "chipkey-enroll: %s %s: refused: %s\n", req->addr, req->path, why);
		if (err == -ENOENT)
			text(res, 401, "Unauthorized", why);
		else
			text(res, 403, "Forbidden", why);
	}
	return err;
}

static void refuse(const struct est_request *req, const struct enroll_peer *p,
		   struct est_response *res, int status, const char *reason, const char *why);

/*
 * A re-delivery of what the ledger recorded for the device @p, in @res: 0,
 * or -1 when there is none to make (then 409).
 */
typedef int redeliver_fn(struct enroll_node *n, const struct est_request *req,
			 const struct enroll_peer *p, X509_REQ *csr, struct est_response *res);
static redeliver_fn redeliver_cert, redeliver_key;

/* An operation that issues a certificate (and what the ledger records of it). */
struct est_op {
	const char *name;	/* simpleenroll, serverkeygen, simplereenroll */
	const char *label;	/* of the chip proof (simplereenroll: none) */
	redeliver_fn *redeliver;	/* a device asking again after an issuance, or NULL */
	const char *conflict;	/* why, with 409 */
};
#define ISSUED_BEFORE	"a certificate was issued to this device before"
static const struct est_op op_enroll = { "simpleenroll", PROOF_LABEL, redeliver_cert,
					 ISSUED_BEFORE };
static const struct est_op op_keygen = { "serverkeygen", PROOF_LABEL_KEYGEN, redeliver_key,
					 ISSUED_BEFORE };
static const struct est_op op_reenroll = { "simplereenroll", NULL, NULL,
					   "the certificate was renewed before (superseded)" };

/* The refusal of ledger_may_issue()'s @err, in @res. */
static void refuse_issue(const struct est_request *req, const struct enroll_peer *p,
			 struct est_response *res, int err)
{
	if (err == -EACCES)
		refuse(req, p, res, 403, "Forbidden", "the device is not on the whitelist");
	else if (err == -EEXIST)
		refuse(req, p, res, 409, "Conflict", ISSUED_BEFORE);
	else
		text(res, 500, "Internal Server Error", "database error");
}

static void challenge(struct enroll_node *n, const struct est_request *req,
		      struct est_response *res)
{
	uint8_t nonce[PROOF_NONCE_LEN], v[CHIPKEY_EC_POINT_LEN];
	char nh[2 * PROOF_NONCE_LEN + 1], vh[2 * CHIPKEY_EC_POINT_LEN + 1], msg[400];
	struct enroll_peer p;
	time_t expires;
	int err;

	if (authenticate(n, req, res, &p))
		return;
	/*
	 * No table slot for a device simpleenroll would refuse anyway; the
	 * device the recorded certificate was issued to (this identity and
	 * this chip) may still ask for it again with the same key, so it gets
	 * a challenge (one slot per certificate all the same).
	 */
	err = ledger_may_issue(n->ledger, p.identity, p.chip_hex);
	if (err == -EEXIST) {
		char *pem = ledger_issued_cert(n->ledger, p.identity, p.chip_hex);

		if (pem)
			err = 0;
		free(pem);
	}
	if (err) {
		refuse_issue(req, &p, res, err);
		return;
	}
	err = proof_challenge(n->proofs, p.cert_sha256, time(NULL), n->challenge_ttl,
			      nonce, v, &expires);
	if (err) {
		text(res, 503, "Service Unavailable", "too many challenges outstanding");
		return;
	}
	ck_hex_encode(nonce, sizeof(nonce), nh);
	ck_hex_encode(v, sizeof(v), vh);
	snprintf(msg, sizeof(msg), "nonce %s\npeer %s\nexpires %lld", nh, vh, (long long)expires);
	text(res, 200, "OK", msg);
}

static void refuse(const struct est_request *req, const struct enroll_peer *p,
		   struct est_response *res, int status, const char *reason, const char *why)
{
	fprintf(stderr, "chipkey-enroll: %s device %s: refused: %s\n", req->addr, p->identity, why);
	text(res, status, reason, why);
}

/* The chip's answer to the challenge named in the Chipkey-Attest header. */
static int chip_proof(struct enroll_node *n, const struct est_request *req,
		      const struct enroll_peer *p, const char *label,
		      const uint8_t spki_sha256[32], struct est_response *res)
{
	uint8_t nonce[PROOF_NONCE_LEN], mac[CHIPKEY_MAC_LEN], q[PKI_ATTEST_PUB_LEN];
	const char *why = NULL;
	int err;

	if (!req->attest || proof_parse_header(req->attest, nonce, mac))
		why = "no chip proof (" PROOF_HEADER ": NONCE MAC)";
	else if (pki_cert_attest_key(p->cert, q))
		why = "the device certificate names no chip attestation key";
	else if ((err = proof_verify_label(n->proofs, label, nonce, p->cert_sha256, spki_sha256,
					   q, p->chip_id, time(NULL), mac)))
		why = err == -ENOENT ? "unknown or used challenge" :
		      err == -ETIME ? "the challenge expired" :
		      err == -EKEYREJECTED ? "the challenge was handed to another certificate" :
		      "the chip proof is wrong (not this chip, or another request)";
	if (why) {
		refuse(req, p, res, 403, "Forbidden", why);
		return -EACCES;
	}
	return 0;
}

/*
 * The certificate @pem (malloc'd, freed here) recorded before, sent again
 * if it is still current (not revoked, not renewed) and for the very key
 * of this request: the device lost the answer and asks again
 * (docs/enrollment.md "Re-delivery"): 0, nothing issued.  -1: not so.
 * @what names it in the log.
 */
static int resend(struct enroll_node *n, const struct est_request *req,
		  const struct enroll_peer *p, char *pem, X509_REQ *csr, const char *what,
		  struct est_response *res)
{
	BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *old = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIGNUM *bn = old ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(old), NULL) : NULL;
	char *s = bn ? BN_bn2hex(bn) : NULL;
	int rc = -1;

	if (s && ledger_cert_state(n->ledger, s) == 0 &&
	    EVP_PKEY_eq(X509_get0_pubkey(old), X509_REQ_get0_pubkey(csr)) == 1 &&
	    !certs_only(res, old)) {
		fprintf(stderr, "chipkey-enroll: %s device %s chip %s: re-delivered %s %s"
			" (same key)\n", req->addr, p->identity, p->chip_hex, what, s);
		rc = 0;
	}
	OPENSSL_free(s);
	BN_free(bn);
	X509_free(old);
	BIO_free(b);
	free(pem);
	ERR_clear_error();
	return rc;
}

/* simpleenroll: the certificate issued to this identity on this chip, if
 * for this key and neither revoked nor renewed (then simplereenroll is the
 * way). */
static int redeliver_cert(struct enroll_node *n, const struct est_request *req,
			  const struct enroll_peer *p, X509_REQ *csr, struct est_response *res)
{
	return resend(n, req, p, ledger_issued_cert(n->ledger, p->identity, p->chip_hex), csr,
		      "the recorded certificate", res);
}

/*
 * A customer certificate for @pub, the identity and chip ID taken from
 * the authenticated certificate @from (factory or current customer one):
 * *@cert, its serial (hex as the ledger writes it) and PEM (malloc'd).
 */
static int issue(struct enroll_node *n, X509 *from, EVP_PKEY *pub, X509 **cert,
		 char serial[2 * 20 + 1], char **pem)
{
	BIGNUM *bn = NULL;
	size_t pem_len;
	char *s = NULL;
	int err = -EIO;

	*pem = NULL;
	*cert = enroll_ca_issue(&n->ca, from, pub, n->days);
	bn = *cert ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(*cert), NULL) : NULL;
	s = bn ? BN_bn2hex(bn) : NULL;
	if (s && strlen(s) <= 2 * 20 && !ck_x509_to_pem(*cert, pem, &pem_len)) {
		strcpy(serial, s);
		err = 0;
	}
	OPENSSL_free(s);
	BN_free(bn);
	return err;
}

/* The request's PKCS#10 body (csr_decode), or a 400 in @res. */
static int decode(const struct est_request *req, const struct enroll_peer *p, X509_REQ **csr,
		  uint8_t spki_sha256[32], struct est_response *res)
{
	int err = csr_decode(req->body, req->body_len, csr, spki_sha256);

	if (err)
		refuse(req, p, res, 400, "Bad Request", err == -EBADMSG ?
		       "the request's signature fails" :
		       "not a base64 PKCS#10 request with a P-256 key");
	return err;
}

/*
 * simpleenroll and serverkeygen up to the issuing, the one path of both:
 * the device authenticated by its factory certificate, the request
 * decoded, the chip proof with @op's label, the whitelist, the ledger.
 * 0: issue (*@p, *@csr for the caller to free); else the answer is in
 * @res (a refusal, or with @op->redeliver the recorded certificate again).
 */
static int admit(struct enroll_node *n, const struct est_request *req, const struct est_op *op,
		 struct enroll_peer *p, X509_REQ **csr, struct est_response *res)
{
	uint8_t spki_sha256[32];
	int err;

	*csr = NULL;
	if (authenticate(n, req, res, p))
		return -EACCES;
	if (decode(req, p, csr, spki_sha256, res))
		return -EINVAL;
	if (chip_proof(n, req, p, op->label, spki_sha256, res))
		return -EACCES;
	err = ledger_may_issue(n->ledger, p->identity, p->chip_hex);
	if (err == -EEXIST && op->redeliver && !op->redeliver(n, req, p, *csr, res))
		return err;
	if (err)
		refuse_issue(req, p, res, err);
	return err;
}

/*
 * Record the certificate @serial (@pem) issued by @op to the device @p
 * (a renewal of @previous, or NULL), the one step of every operation: 0,
 * or the refusal in @res.  Nothing leaves the node unless this committed.
 */
static int record(struct enroll_node *n, const struct est_request *req, const struct est_op *op,
		  const struct enroll_peer *p, const char *serial, const char *pem,
		  const char *previous, const unsigned char *env, int env_len,
		  struct est_response *res)
{
	char sha[65];
	struct ledger_issuance li = {
		.identity = p->identity, .chip_hex = p->chip_hex, .serial_hex = serial,
		.auth_sha256 = sha, .cert_pem = pem, .issued_at = time(NULL),
		.operation = op->name, .previous_hex = previous,
		.envelope = env, .envelope_len = env && env_len > 0 ? (size_t)env_len : 0,
	};
	int err;

	ck_hex_encode(p->cert_sha256, 32, sha);
	err = ledger_record(n->ledger, &li);
	if (err == -EEXIST)
		refuse(req, p, res, 409, "Conflict", op->conflict);
	else if (err == -EKEYREVOKED)	/* revoked while this request ran */
		refuse(req, p, res, 403, "Forbidden", "the certificate is revoked");
	else if (err)
		text(res, 500, "Internal Server Error", "database error");
	return err;
}

/*
 * Issue for the request's key as @op, record, answer certs-only
 * (simpleenroll, simplereenroll): 0 issued, or the answer in @res.
 * The crash points of every issuing operation (serverkeygen too; only in
 * the crash-test build chipkey-enroll-crash, common/crashpoint.h):
 * est-admitted (before issuing), est-issued (signed, not recorded),
 * est-recorded (committed, not answered); enroll/tests/crash.sh.
 */
static int issue_and_send(struct enroll_node *n, const struct est_request *req,
			  const struct est_op *op, const struct enroll_peer *p, X509_REQ *csr,
			  const char *previous, char serial[2 * 20 + 1], struct est_response *res)
{
	char *pem = NULL;
	X509 *cert = NULL;
	int err = -EIO;

	CK_CRASH_POINT("est-admitted");
	if (issue(n, p->cert, X509_REQ_get0_pubkey(csr), &cert, serial, &pem)) {
		text(res, 500, "Internal Server Error", "issuing failed");
	} else {
		CK_CRASH_POINT("est-issued");
		if (!record(n, req, op, p, serial, pem, previous, NULL, 0, res)) {
			CK_CRASH_POINT("est-recorded");
			if ((err = certs_only(res, cert)))
				text(res, 500, "Internal Server Error", "encoding failed");
		}
	}
	free(pem);
	X509_free(cert);
	return err;
}

static void simpleenroll(struct enroll_node *n, const struct est_request *req,
			 struct est_response *res)
{
	char serial[2 * 20 + 1] = "";
	struct enroll_peer p;
	X509_REQ *csr = NULL;

	if (!admit(n, req, &op_enroll, &p, &csr, res) &&
	    !issue_and_send(n, req, &op_enroll, &p, csr, NULL, serial, res))
		fprintf(stderr, "chipkey-enroll: %s device %s chip %s: issued serial %s\n",
			req->addr, p.identity, p.chip_hex, serial);
	X509_REQ_free(csr);
}

/*
 * @key as PKCS#8 PrivateKeyInfo DER inside a CMS EnvelopedData to the
 * certificate @to (EC: ECDH key agreement, ephemeral-static, X9.63 KDF with
 * SHA-256, AES-256 key wrap; content AES-256-CBC): DER in *@der
 * (OPENSSL_free), its length, or -1.  The PKCS#8 copy is cleansed.
 */
static int envelope_key(EVP_PKEY *key, X509 *to, unsigned char **der)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
	unsigned char *plain = NULL;
	int plain_len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &plain) : -1, len = -1;
	BIO *in = plain_len > 0 ? BIO_new_mem_buf(plain, plain_len) : NULL;
	CMS_ContentInfo *cms = in ? CMS_encrypt(NULL, NULL, EVP_aes_256_cbc(),
					       CMS_BINARY | CMS_PARTIAL) : NULL;
	CMS_RecipientInfo *ri = cms ? CMS_add1_recipient_cert(cms, to, CMS_KEY_PARAM) : NULL;
	EVP_PKEY_CTX *pctx = ri ? CMS_RecipientInfo_get0_pkey_ctx(ri) : NULL;

	*der = NULL;
	if (pctx && CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_AGREE &&
	    EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) > 0 &&
	    CMS_final(cms, in, NULL, CMS_BINARY) == 1)
		len = i2d_CMS_ContentInfo(cms, der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	if (plain)
		OPENSSL_clear_free(plain, (size_t)plain_len);
	PKCS8_PRIV_KEY_INFO_free(p8);	/* clears its key octets */
	return len;
}

#define SKG_BOUNDARY	"chipkey-est-serverkeygen"	/* no base64 character is '-' */

/*
 * The serverkeygen answer (RFC 7030 4.4.2): multipart/mixed, first the
 * EnvelopedData @key (smime-type=server-generated-key), then the
 * certs-only PKCS#7 @p7, both base64.
 */
static int multipart(struct est_response *res, const unsigned char *key, int key_len,
		     const unsigned char *p7, int p7_len)
{
	static const char head[] = "--" SKG_BOUNDARY "\r\n"
		"Content-Type: application/pkcs7-mime; smime-type=server-generated-key\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n";
	static const char mid[] = "\r\n--" SKG_BOUNDARY "\r\n"
		"Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n";
	static const char tail[] = "\r\n--" SKG_BOUNDARY "--\r\n";
	char *a = NULL, *b = NULL;
	size_t al, bl, n;
	int err = b64(key, key_len, &a, &al);

	if (!err)
		err = b64(p7, p7_len, &b, &bl);
	if (!err) {
		n = strlen(head) + al + strlen(mid) + bl + strlen(tail);
		res->body = malloc(n);
		if (res->body) {
			char *w = res->body;

			memcpy(w, head, strlen(head)), w += strlen(head);
			memcpy(w, a, al), w += al;
			memcpy(w, mid, strlen(mid)), w += strlen(mid);
			memcpy(w, b, bl), w += bl;
			memcpy(w, tail, strlen(tail));
			res->len = n;
			res->status = 200;
			res->reason = "OK";
			res->type = "multipart/mixed; boundary=" SKG_BOUNDARY;
		} else {
			err = -ENOMEM;
		}
	}
	free(a);
	free(b);
	return err;
}

/*
 * serverkeygen asked again by a device that was issued a certificate by
 * serverkeygen (its answer lost on the way, docs/enrollment.md "Once per
 * device, and lost answers"): the recorded answer again, byte for byte --
 * the key envelope as it was sent (the node never had it in any other
 * form after the issuing) and the certificate -- if the request is
 * authenticated by the same factory certificate the envelope is for and
 * that certificate is neither revoked nor renewed.
 */
static int redeliver_key(struct enroll_node *n, const struct est_request *req,
			 const struct enroll_peer *p, X509_REQ *csr, struct est_response *res)
{
	char sha[65], *pem = NULL, *s = NULL;
	uint8_t *env = NULL;
	unsigned char *p7 = NULL;
	size_t env_len = 0;
	int p7_len = -1, rc = -1;
	BIO *b = NULL;
	X509 *cert = NULL;
	BIGNUM *bn = NULL;

	(void)csr;	/* a throwaway key: only what the chip proof bound */
	ck_hex_encode(p->cert_sha256, 32, sha);
	if (ledger_keygen_answer(n->ledger, p->identity, p->chip_hex, sha, &pem, &env, &env_len))
		return -1;
	b = BIO_new_mem_buf(pem, -1);
	cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	bn = cert ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL) : NULL;
	s = bn ? BN_bn2hex(bn) : NULL;
	if (s && ledger_cert_state(n->ledger, s) == 0 && env_len <= INT_MAX &&
	    (p7_len = certs_only_der(cert, &p7)) > 0 &&
	    !multipart(res, env, (int)env_len, p7, p7_len)) {
		fprintf(stderr, "chipkey-enroll: %s device %s chip %s: re-delivered the recorded"
			" server-generated key and certificate %s\n", req->addr, p->identity,
			p->chip_hex, s);
		rc = 0;
	}
	OPENSSL_free(s);
	OPENSSL_free(p7);
	BN_free(bn);
	X509_free(cert);
	BIO_free(b);
	free(env);
	free(pem);
	ERR_clear_error();
	return rc;
}

/*
 * serverkeygen (RFC 7030 4.4): as simpleenroll (factory certificate, chip
 * proof with its own label, whitelist, once per device in the one ledger),
 * but the node makes the P-256 key pair, sends the private key encrypted
 * to the factory certificate and forgets it: what it keeps is that
 * envelope, which only the device's factory key opens, recorded with the
 * issuance for a re-delivery (redeliver_key).  The request's key is only
 * what the chip proof binds; the certificate is for the new key.
 */
static void serverkeygen(struct enroll_node *n, const struct est_request *req,
			 struct est_response *res)
{
	char serial[2 * 20 + 1] = "", *pem = NULL;
	unsigned char *env = NULL, *p7 = NULL;
	int env_len = -1, p7_len = -1;
	struct enroll_peer p;
	X509_REQ *csr = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (admit(n, req, &op_keygen, &p, &csr, res))
		goto out;
	CK_CRASH_POINT("est-admitted");
	key = EVP_EC_gen("P-256");
	if (!key || issue(n, p.cert, key, &cert, serial, &pem) ||
	    (env_len = envelope_key(key, p.cert, &env)) <= 0 ||
	    (p7_len = certs_only_der(cert, &p7)) <= 0) {
		ERR_clear_error();
		text(res, 500, "Internal Server Error", "key generation or issuing failed");
		goto out;
	}
	EVP_PKEY_free(key);	/* the private key is gone before anything is recorded */
	key = NULL;
	CK_CRASH_POINT("est-issued");
	if (record(n, req, &op_keygen, &p, serial, pem, NULL, env, env_len, res))
		goto out;
	CK_CRASH_POINT("est-recorded");
	if (multipart(res, env, env_len, p7, p7_len)) {
		text(res, 500, "Internal Server Error", "encoding failed");
		goto out;
	}
	fprintf(stderr, "chipkey-enroll: %s device %s chip %s: issued serial %s"
		" (server-generated key)\n", req->addr, p.identity, p.chip_hex, serial);
out:
	EVP_PKEY_free(key);	/* EC private scalars are cleared when freed */
	OPENSSL_free(env);
	OPENSSL_free(p7);
	free(pem);
	X509_free(cert);
	X509_REQ_free(csr);
}

/*
 * Whether @cert is younger than @min seconds (by its notBefore, which the
 * node sets ENROLL_NOT_BEFORE_SLACK before it issues): a new renewal of it
 * waits, so that one copied customer key cannot mint certificates (and CRL
 * entries) as fast as it asks.  1 with the reason in @why, else 0.
 */
static int too_young(X509 *cert, int min, char *why, size_t len)
{
	int days = 0, secs = 0;
	long age;

	if (min <= 0)
		return 0;
	if (!ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), NULL))
		days = secs = 0;
	age = (long)days * 86400 + secs - ENROLL_NOT_BEFORE_SLACK;
	if (age >= min)
		return 0;
	snprintf(why, len, "the certificate is %ld s old: it renews once it is %d s old"
		 " (serve --renew-after)", age < 0 ? 0 : age, min);
	return 1;
}

/*
 * simplereenroll (RFC 7030 4.2.2): the client authenticates with its
 * current customer certificate; the request's subject is that
 * certificate's; the new certificate (new key allowed) is recorded as the
 * renewal of the old one, which is superseded (docs/enrollment.md,
 * "Renewal").
 */
static void simplereenroll(struct enroll_node *n, const struct est_request *req,
			   struct est_response *res)
{
	uint8_t spki_sha256[32];
	char serial[2 * 20 + 1], nserial[2 * 20 + 1] = "", why[256];
	struct enroll_peer p;
	X509_REQ *csr = NULL;
	int err;

	err = enroll_auth_customer(req->ssl, &n->ca, &p, serial, why, sizeof(why));
	if (err) {
		fprintf(stderr, "chipkey-enroll: %s %s: refused: %s\n", req->addr, req->path, why);
		text(res, err == -ENOENT ? 401 : 403, err == -ENOENT ? "Unauthorized" : "Forbidden",
		     why);
		return;
	}
	if (decode(req, &p, &csr, spki_sha256, res))
		return;
	if (X509_NAME_cmp(X509_REQ_get_subject_name(csr), X509_get_subject_name(p.cert))) {
		refuse(req, &p, res, 403, "Forbidden",
		       "the request's subject is not the current certificate's");
		goto out;
	}
	err = ledger_cert_state(n->ledger, serial);
	/* superseded: the renewal of @serial again, if current and for this key */
	if (err == -ESTALE && !resend(n, req, &p, ledger_renewal_cert(n->ledger, serial), csr,
				      "the renewal", res))
		goto out;
	if (err) {
		if (err == -ENOENT)
			refuse(req, &p, res, 403, "Forbidden", "the certificate is not in the ledger");
		else if (err == -EKEYREVOKED)
			refuse(req, &p, res, 403, "Forbidden", "the certificate is revoked");
		else if (err == -ESTALE)
			refuse(req, &p, res, 409, "Conflict", op_reenroll.conflict);
		else
			text(res, 500, "Internal Server Error", "database error");
		goto out;
	}
	if (too_young(p.cert, n->renew_after, why, sizeof(why))) {
		refuse(req, &p, res, 403, "Forbidden", why);
		goto out;
	}
	if (!issue_and_send(n, req, &op_reenroll, &p, csr, serial, nserial, res))
		fprintf(stderr, "chipkey-enroll: %s device %s chip %s: renewed serial %s as %s\n",
			req->addr, p.identity, p.chip_hex, serial, nserial);
out:
	X509_REQ_free(csr);
}

/* GET ENROLL_CRL_PATH: the customer CA's newest CRL, DER (RFC 5280 / 2585). */
static void crl(struct enroll_node *n, struct est_response *res)
{
	uint8_t *der = NULL;
	size_t len = 0;

	if (enroll_crl_current(n->ledger, &n->ca, n->crl_days, &der, &len)) {
		text(res, 500, "Internal Server Error", "no CRL");
		return;
	}
	res->status = 200;
	res->reason = "OK";
	res->type = "application/pkix-crl";
	res->body = (char *)der;
	res->len = len;
}

void est_handle(struct enroll_node *n, const struct est_request *req,
		struct est_response *res)
{
	const char *op = NULL;

	memset(res, 0, sizeof(*res));
	if (!strncmp(req->path, EST_PREFIX, strlen(EST_PREFIX)))
		op = req->path + strlen(EST_PREFIX);
	if (op && !strcmp(op, "cacerts") && !req->post) {
		if (certs_only(res, n->ca.cert))
			text(res, 500, "Internal Server Error", "encoding failed");
	} else if (op && !strcmp(op, "csrattrs") && !req->post) {
		if (base64(res, csr_attrs, (int)sizeof(csr_attrs), "application/csrattrs"))
			text(res, 500, "Internal Server Error", "encoding failed");
	} else if (op && !strcmp(op, "simpleenroll") && req->post) {
		simpleenroll(n, req, res);
	} else if (op && !strcmp(op, "simplereenroll") && req->post) {
		simplereenroll(n, req, res);
	} else if (op && !strcmp(op, "serverkeygen") && req->post) {
		serverkeygen(n, req, res);
	} else if (!strcmp(req->path, EST_CHALLENGE_PATH) && req->post) {
		challenge(n, req, res);
	} else if (!strcmp(req->path, ENROLL_CRL_PATH) && !req->post) {
		crl(n, res);
	} else if (op && (!strcmp(op, "cacerts") || !strcmp(op, "csrattrs") ||
			  !strcmp(op, "simpleenroll") || !strcmp(op, "simplereenroll") ||
			  !strcmp(op, "serverkeygen"))) {
		text(res, 405, "Method Not Allowed", "method not allowed");
	} else if (!strcmp(req->path, EST_CHALLENGE_PATH) || !strcmp(req->path, ENROLL_CRL_PATH)) {
		text(res, 405, "Method Not Allowed", "method not allowed");
	} else {
		text(res, 404, "Not Found", "no such operation");
	}
}
