// SPDX-License-Identifier: GPL-2.0
/*
 * The public database's write rules (docs/pubdb-api.md, "Who may write"):
 * who signed a record (pubdb_record_verify) and whether it may be stored as
 * its chip's next generation (pubdb_record_validate).  The one home of these
 * checks: chipkey-pubdb runs them on every POST, chipkey-pubdb-put --verify
 * on what it fetches.  The codec is pubdb-record.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "chipkey/backup_package.h"
#include "common/identity.h"
#include "common/pki.h"
#include "common/pubdb-cms.h"
#include "common/pubdb-record.h"
#include "common/pubdb-void.h"

/* @v, with its detail in err (pubdb_fail, the one message helper) */
#define verdict(v, err, errlen, ...) \
	((enum pubdb_verdict)pubdb_fail(err, errlen, v, __VA_ARGS__))

const char *pubdb_verdict_str(enum pubdb_verdict v)
{
	switch (v) {
	case PUBDB_VALID: return "valid";
	case PUBDB_UNSIGNED: return "unsigned";
	case PUBDB_BAD_SIGNATURE: return "bad signature";
	case PUBDB_UNTRUSTED: return "writer not trusted";
	case PUBDB_WRONG_GENERATION: return "wrong generation";
	case PUBDB_NOT_WRITER: return "writer not allowed";
	case PUBDB_BAD_CONTENT: return "bad content";
	}
	return "?";
}

/* true if the subject has an OU equal to @role */
static bool has_role(X509 *x, const char *role)
{
	X509_NAME *name = X509_get_subject_name(x);
	int idx = -1;

	while ((idx = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName, idx)) >= 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
		unsigned char *u = NULL;
		int n = ASN1_STRING_to_UTF8(&u, s);
		bool match = n == (int)strlen(role) && !memcmp(u, role, (size_t)n);

		OPENSSL_free(u);
		if (match)
			return true;
	}
	return false;
}

/* Format 1: the signature over r->raw[0 .. signed_len) by @w's key
 * (EC P-256).  Format 2: pubdb-cms.c. */
static enum pubdb_verdict check_signature(const struct pubdb_record *r, X509 *w,
					  char *err, size_t errlen)
{
	EVP_PKEY *pk = X509_get0_pubkey(w);
	EVP_MD_CTX *md;
	int ok;

	if (!pki_is_p256(pk))
		return verdict(PUBDB_BAD_SIGNATURE, err, errlen, "writer key is not EC P-256");
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pk, NULL) == 1 &&
	     EVP_DigestVerify(md, r->sig, r->sig_len, r->raw, r->signed_len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return verdict(PUBDB_BAD_SIGNATURE, err, errlen, "signature does not verify");
	return PUBDB_VALID;
}

/*
 * @x chains to @cas (X509_verify_cert, with @untrusted offered as
 * intermediates, and the CRLs and flags of @cas: revocation).  0, or
 * -EKEYREJECTED with the reason in err.  *issuer (if not NULL) gets the
 * certificate that signed @x (a new reference), *root (if not NULL) the
 * trust anchor.
 */
static int chain_to(X509 *x, X509_STORE *cas, STACK_OF(X509) *untrusted, X509 **issuer,
		    X509 **root, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain;
	int rc = -EKEYREJECTED;

	if (!ctx || !cas || X509_STORE_CTX_init(ctx, cas, x, untrusted) != 1) {
		snprintf(err, errlen, "cannot set up certificate verification");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
		char name[200] = "";

		/* which CRL is missing: the one of the failing certificate's issuer */
		if (e == X509_V_ERR_UNABLE_TO_GET_CRL && cur)
			X509_NAME_oneline(X509_get_issuer_name(cur), name, sizeof(name));
		snprintf(err, errlen, "%s%s%s", X509_verify_cert_error_string(e),
			 name[0] ? " (no --crl of the issuer " : "", name[0] ? name : "");
		if (name[0])
			snprintf(err + strlen(err), errlen - strlen(err), ")");
		goto out;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	if (issuer) {
		if (sk_X509_num(chain) < 2) {	/* itself a trust anchor: no issuer */
			snprintf(err, errlen, "certificate is itself in the CA file");
			goto out;
		}
		*issuer = sk_X509_value(chain, 1);
		X509_up_ref(*issuer);
	}
	if (root) {
		*root = sk_X509_value(chain, sk_X509_num(chain) - 1);
		X509_up_ref(*root);
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

enum pubdb_verdict pubdb_record_verify(const struct pubdb_record *r, X509_STORE *cas,
				       char *err, size_t errlen)
{
	enum pubdb_verdict v;
	char why[160];
	X509 *w;

	if (!r->writer_cert_len || !r->sig_len)
		return verdict(PUBDB_UNSIGNED, err, errlen, "record is not signed");
	w = pki_cert_from_der(r->writer_cert, r->writer_cert_len);
	if (!w)
		return verdict(PUBDB_BAD_SIGNATURE, err, errlen,
			       "writer certificate is not one DER X.509 certificate");
	if (r->format == PUBDB_FORMAT_CMS)
		v = pubdb_cms_check_signature(r, w, err, errlen);
	else
		v = check_signature(r, w, err, errlen);
	if (v == PUBDB_VALID) {
		STACK_OF(X509) *inter = pubdb_cms_extra_certs(r);

		if (chain_to(w, cas, inter, NULL, NULL, why, sizeof(why)))
			v = verdict(PUBDB_UNTRUSTED, err, errlen, "writer certificate: %s", why);
		sk_X509_pop_free(inter, X509_free);
	}
	X509_free(w);
	ERR_clear_error();
	return v;
}

/*
 * @x is a device certificate for @chip and @identity: it chains to @cas
 * (through an issuing CA of @r's certificates or of @cas) and passes
 * pki_verify_device_cert() (what a device checks: issuing CA under the
 * root, device role) against that issuing CA and the root's key.  0, or -1
 * with the reason in err.
 */
static int device_cert_ok(X509 *x, const struct pubdb_record *r, X509_STORE *cas,
			  const uint8_t *chip, const char *identity, char *err, size_t errlen)
{
	STACK_OF(X509) *inter = pubdb_cms_extra_certs(r);
	X509 *issuer = NULL, *root = NULL;
	uint8_t *key = NULL;
	size_t key_len = 0;
	char why[160];
	int rc;

	rc = chain_to(x, cas, inter, &issuer, &root, why, sizeof(why));
	sk_X509_pop_free(inter, X509_free);
	if (rc) {
		snprintf(err, errlen, "not issued by the manufacturer CA: %s", why);
		return -1;
	}
	rc = pki_public_to_der(X509_get0_pubkey(root), &key, &key_len);
	if (!rc)
		/* signed by the root itself (before the key hierarchy): no
		 * issuing CA, as at recovery */
		rc = pki_verify_device_cert(x, X509_cmp(issuer, root) ? issuer : NULL, key,
					    key_len, identity, chip, 0);
	OPENSSL_free(key);
	X509_free(issuer);
	X509_free(root);
	ERR_clear_error();
	if (rc == -EKEYREJECTED)
		snprintf(err, errlen, "not a device certificate naming this chip and identity %s",
			 identity);
	else if (rc == -EKEYEXPIRED)
		snprintf(err, errlen, "outside its validity period");
	else if (rc)
		snprintf(err, errlen, "not a well-formed device certificate (%s)", strerror(-rc));
	return rc ? -1 : 0;
}

/* 1 if @w chains to @cas through an issuing CA (not signed by the trust
 * anchor itself). */
static bool issued_by_ica(X509 *w, const struct pubdb_record *r, X509_STORE *cas)
{
	STACK_OF(X509) *inter = pubdb_cms_extra_certs(r);
	X509 *issuer = NULL, *root = NULL;
	char why[160];
	bool ok = !chain_to(w, cas, inter, &issuer, &root, why, sizeof(why)) &&
		  X509_cmp(issuer, root) != 0;

	sk_X509_pop_free(inter, X509_free);
	X509_free(issuer);
	X509_free(root);
	ERR_clear_error();
	return ok;
}

/* 3. generation 1: an SPP; later ones: the device of @prev itself */
static enum pubdb_verdict check_writer(const struct pubdb_record *r,
				       const struct pubdb_prev *prev, X509_STORE *cas,
				       char *err, size_t errlen)
{
	char why[200];
	X509 *w;
	int ok;

	w = pki_cert_from_der(r->writer_cert, r->writer_cert_len);
	if (!w)		/* parsed in pubdb_record_verify already */
		return verdict(PUBDB_BAD_SIGNATURE, err, errlen, "writer certificate unreadable");
	if (!prev) {
		/* the SPP's record signer; never its TLS credential */
		ok = has_role(w, PKI_RECORD_OU) && !has_role(w, PUBDB_ROLE_SPP) &&
		     X509_check_ca(w) == 0;
		if (ok && !issued_by_ica(w, r, cas)) {
			X509_free(w);
			return verdict(PUBDB_NOT_WRITER, err, errlen,
				       "the record signer is not issued by an issuing CA (one "
				       "signed by the root itself cannot be revoked)");
		}
		X509_free(w);
		if (!ok)
			return verdict(PUBDB_NOT_WRITER, err, errlen,
				       "generation 1 is written by the SPP's record signer "
				       "(OU=" PKI_RECORD_OU ")");
		return PUBDB_VALID;
	}
	ok = r->writer_cert_len == prev->cert_len &&
	     !memcmp(r->writer_cert, prev->cert, prev->cert_len);
	if (!ok) {
		X509_free(w);
		return verdict(PUBDB_NOT_WRITER, err, errlen,
			       "generation %llu must be signed by the device certificate of "
			       "generation %llu", (unsigned long long)r->generation,
			       (unsigned long long)prev->generation);
	}
	ok = !device_cert_ok(w, r, cas, r->chip_id, prev->identity, why, sizeof(why));
	X509_free(w);
	if (!ok)
		return verdict(PUBDB_NOT_WRITER, err, errlen, "writer: %s", why);
	return PUBDB_VALID;
}

/* 4. identity, backup header, device certificate */
static enum pubdb_verdict check_content(const struct pubdb_record *r,
					const struct pubdb_prev *prev, X509_STORE *cas,
					char *err, size_t errlen)
{
	struct ck_pkg_header h;
	char why[200];
	X509 *dev;
	int ok;

	if (!ck_identity_valid(r->identity))
		return verdict(PUBDB_BAD_CONTENT, err, errlen,
			       "identity is not 15 digits with a Luhn check digit");
	if (prev && strcmp(r->identity, prev->identity))
		return verdict(PUBDB_BAD_CONTENT, err, errlen,
			       "identity %s differs from %s of generation %llu", r->identity,
			       prev->identity, (unsigned long long)prev->generation);
	if (ck_pkg_header_parse(r->backup, r->backup_len, &h))
		return verdict(PUBDB_BAD_CONTENT, err, errlen,
			       "backup is not a well-formed backup package");
	if (memcmp(h.chip_id, r->chip_id, sizeof(h.chip_id)))
		return verdict(PUBDB_BAD_CONTENT, err, errlen, "backup is for another chip");
	if (h.generation != r->generation)
		return verdict(PUBDB_BAD_CONTENT, err, errlen,
			       "backup is generation %llu, the record %llu",
			       (unsigned long long)h.generation,
			       (unsigned long long)r->generation);
	dev = pki_cert_from_der(r->cert, r->cert_len);
	if (!dev)
		return verdict(PUBDB_BAD_CONTENT, err, errlen,
			       "device certificate is not one DER X.509 certificate");
	ok = !device_cert_ok(dev, r, cas, r->chip_id, r->identity, why, sizeof(why));
	X509_free(dev);
	if (!ok)
		return verdict(PUBDB_BAD_CONTENT, err, errlen, "device certificate: %s", why);
	return PUBDB_VALID;
}

enum pubdb_verdict pubdb_record_validate(const struct pubdb_record *r,
					 const struct pubdb_prev *prev, X509_STORE *cas,
					 char *err, size_t errlen)
{
	enum pubdb_verdict v = pubdb_record_verify(r, cas, err, errlen);
	uint64_t newest = 0;

	if (v != PUBDB_VALID)
		return v;
	/* 2. exactly the next generation after the newest stored, voided ones
	 * included: no jump, no rewrite */
	if (prev)
		newest = prev->newest > prev->generation ? prev->newest : prev->generation;
	if (prev ? newest >= (uint64_t)INT64_MAX || r->generation != newest + 1
		 : r->generation != 1) {
		if (prev)
			return verdict(PUBDB_WRONG_GENERATION, err, errlen,
				       "generation %llu is not %llu + 1",
				       (unsigned long long)r->generation,
				       (unsigned long long)newest);
		return verdict(PUBDB_WRONG_GENERATION, err, errlen,
			       "the chip has no record: generation %llu is not 1",
			       (unsigned long long)r->generation);
	}
	v = check_writer(r, prev, cas, err, errlen);
	if (v == PUBDB_VALID)
		v = check_content(r, prev, cas, err, errlen);
	return v;
}

enum pubdb_verdict pubdb_void_verify(const struct pubdb_void *v, X509_STORE *cas,
				     char *err, size_t errlen)
{
	enum pubdb_verdict vd;
	X509 *w = pki_cert_from_der(v->sig.writer_cert, v->sig.writer_cert_len);
	int self = w && X509_check_issued(w, w) == X509_V_OK;

	X509_free(w);
	ERR_clear_error();
	vd = pubdb_record_verify(&v->sig, cas, err, errlen);
	/* only the manufacturer root signs a void entry: anything issued
	 * under it (SPP, record signer, device) is not a writer, whether its
	 * chain is complete or not */
	if ((vd == PUBDB_VALID || vd == PUBDB_UNTRUSTED) && w && !self)
		return verdict(PUBDB_NOT_WRITER, err, errlen,
			       "a void entry is signed by the manufacturer CA itself, not by a "
			       "certificate it issued");
	return vd;
}

X509_STORE *pubdb_load_cas(const char *pem_path, char *err, size_t errlen)
{
	X509_STORE *st;
	FILE *f;
	X509 *x;
	int n = 0;

	f = fopen(pem_path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", pem_path, strerror(errno));
		return NULL;
	}
	st = X509_STORE_new();
	while (st && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(st, x) == 1)
			n++;
		X509_free(x);
	}
	fclose(f);
	ERR_clear_error();
	if (!st || n == 0) {
		X509_STORE_free(st);
		snprintf(err, errlen, "no certificate in %s", pem_path);
		return NULL;
	}
	return st;
}
