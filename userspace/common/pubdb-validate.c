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
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
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
 * What the checks of one record share, so that each part is decoded and
 * each chain verified once per record, not once per check: the record's
 * SignedData (format 2), the writer certificate, and the writer's chain
 * as X509_verify_cert built it.
 */
struct checks {
	const struct pubdb_record *r;
	X509_STORE *cas;
	struct pubdb_cms_decoded d;	/* format 2; all NULL for format 1 */
	int d_borrowed;			/* @d is the caller's: not freed */
	X509 *w;			/* the writer certificate */
	STACK_OF(X509) *w_chain;	/* its verified chain to @cas, leaf first */
	struct pubdb_writer_cache *wc;	/* NULL: none */
};

static void checks_free(struct checks *c)
{
	if (!c->d_borrowed)
		pubdb_cms_decoded_free(&c->d);
	X509_free(c->w);
	sk_X509_pop_free(c->w_chain, X509_free);
}

/*
 * @x chains to @cas (X509_verify_cert, with @untrusted offered as
 * intermediates, and the CRLs and flags of @cas: revocation).  0 with
 * *chain the verified chain (leaf first, a new stack), or -EKEYREJECTED
 * with the reason in err.
 */
static int chain_to(X509 *x, X509_STORE *cas, STACK_OF(X509) *untrusted,
		    STACK_OF(X509) **chain, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -EKEYREJECTED;

	*chain = NULL;
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
	*chain = X509_STORE_CTX_get1_chain(ctx);
	if (!*chain) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

/* The certificate that signed the leaf of @chain (NULL if the leaf is
 * itself a trust anchor) and the trust anchor. */
static X509 *chain_issuer(STACK_OF(X509) *chain)
{
	return sk_X509_num(chain) < 2 ? NULL : sk_X509_value(chain, 1);
}

static X509 *chain_root(STACK_OF(X509) *chain)
{
	return sk_X509_value(chain, sk_X509_num(chain) - 1);
}

void pubdb_writer_cache_free(struct pubdb_writer_cache *wc)
{
	sk_X509_pop_free(wc->chain, X509_free);
	memset(wc, 0, sizeof(*wc));
}

/* chain_to for the writer, through c->wc when there is one: a chain
 * verified before for the same writer, other certificates and store,
 * still within every validity of it, is taken as verified. */
static int writer_chain(struct checks *c, char *why, size_t whylen)
{
	struct pubdb_writer_cache *wc = c->wc;
	uint8_t key[32];
	time_t now = time(NULL), from = 0, until = (time_t)INT64_MAX, t;
	int rc;

	if (!wc || pki_certs_sha256(c->w, c->d.extra, key))
		return chain_to(c->w, c->cas, c->d.extra, &c->w_chain, why, whylen);
	if (wc->chain && wc->cas == c->cas && !memcmp(wc->key, key, sizeof(key)) &&
	    now >= wc->from && now < wc->until) {
		c->w_chain = X509_chain_up_ref(wc->chain);
		if (c->w_chain)
			return 0;
	}
	rc = chain_to(c->w, c->cas, c->d.extra, &c->w_chain, why, whylen);
	if (rc)
		return rc;
	for (int i = 0; i < sk_X509_num(c->w_chain); i++) {
		X509 *x = sk_X509_value(c->w_chain, i);

		if (pki_asn1_time(X509_get0_notBefore(x), &t))
			return 0;
		if (t > from)
			from = t;
		if (pki_asn1_time(X509_get0_notAfter(x), &t))
			return 0;
		if (t < until)
			until = t;
	}
	pubdb_writer_cache_free(wc);
	wc->chain = X509_chain_up_ref(c->w_chain);
	if (wc->chain) {
		wc->cas = c->cas;
		memcpy(wc->key, key, sizeof(key));
		wc->from = from;
		wc->until = until;
	}
	return 0;
}

/* 1. who signed: the writer certificate, its signature, its chain */
static enum pubdb_verdict verify_writer(struct checks *c, char *err, size_t errlen)
{
	const struct pubdb_record *r = c->r;
	enum pubdb_verdict v;
	char why[160];

	if (!r->writer_cert_len || !r->sig_len)
		return verdict(PUBDB_UNSIGNED, err, errlen, "record is not signed");
	if (r->format == PUBDB_FORMAT_CMS) {
		if (!c->d.cms && pubdb_cms_decode(r, &c->d, err, errlen))
			return PUBDB_BAD_SIGNATURE;
		/* the SignedData's certificate of the same DER, decoded already */
		if (c->d.writer && X509_up_ref(c->d.writer))
			c->w = c->d.writer;
	}
	if (!c->w)
		c->w = pki_cert_from_der(r->writer_cert, r->writer_cert_len);
	if (!c->w)
		return verdict(PUBDB_BAD_SIGNATURE, err, errlen,
			       "writer certificate is not one DER X.509 certificate");
	if (r->format == PUBDB_FORMAT_CMS)
		v = pubdb_cms_check_signature(&c->d, c->w, err, errlen);
	else
		v = check_signature(r, c->w, err, errlen);
	if (v == PUBDB_VALID && writer_chain(c, why, sizeof(why)))
		v = verdict(PUBDB_UNTRUSTED, err, errlen, "writer certificate: %s", why);
	ERR_clear_error();
	return v;
}

enum pubdb_verdict pubdb_record_verify(const struct pubdb_record *r, X509_STORE *cas,
				       char *err, size_t errlen)
{
	struct checks c = { .r = r, .cas = cas };
	enum pubdb_verdict v = verify_writer(&c, err, errlen);

	checks_free(&c);
	return v;
}

/*
 * @x is a device certificate for @chip and @identity: it chains to @cas
 * (through an issuing CA of the record's certificates or of @cas; @chain,
 * if not NULL, is that chain, verified already) and passes
 * pki_verify_device_cert() (what a device checks: issuing CA under the
 * root, device role) against that issuing CA and the root's key, the
 * signatures that chain check verified not verified twice.  0, or -1
 * with the reason in err.
 */
static int device_cert_ok(X509 *x, STACK_OF(X509) *chain, struct checks *c,
			  const uint8_t *chip, const char *identity, char *err, size_t errlen)
{
	STACK_OF(X509) *own = NULL;
	X509 *issuer, *root;
	char why[160];
	int rc;

	if (!chain) {
		rc = chain_to(x, c->cas, c->d.extra, &own, why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "not issued by the manufacturer CA: %s", why);
			return -1;
		}
		chain = own;
	}
	issuer = chain_issuer(chain);
	root = chain_root(chain);
	if (!issuer) {
		sk_X509_pop_free(own, X509_free);
		snprintf(err, errlen, "not issued by the manufacturer CA: %s",
			 "certificate is itself in the CA file");
		return -1;
	}
	/*
	 * X509_verify_cert has just verified every signature of @chain: with
	 * @chain exactly leaf, issuing CA, root (or leaf, root: signed by the
	 * root itself, before the key hierarchy; no issuing CA, as at
	 * recovery) pki_verify_device_cert's checks need not verify them a
	 * second time.  Any other chain: the full check (the root's key,
	 * decoded with its certificate), which verifies them again.
	 */
	if (sk_X509_num(chain) == 2 ||
	    (sk_X509_num(chain) == 3 && X509_cmp(issuer, root)))
		rc = pki_verify_device_cert_chained(chain, identity, chip, 0);
	else
		rc = pki_verify_device_cert_key(x, X509_cmp(issuer, root) ? issuer : NULL,
						X509_get0_pubkey(root), identity, chip, 0);
	sk_X509_pop_free(own, X509_free);
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

/* 3. generation 1: an SPP; later ones: the device of @prev itself */
static enum pubdb_verdict check_writer(struct checks *c, const struct pubdb_prev *prev,
				       char *err, size_t errlen)
{
	const struct pubdb_record *r = c->r;
	X509 *w = c->w, *issuer;
	char why[200];
	int ok;

	if (!w)		/* set up in step 1 */
		return verdict(PUBDB_BAD_SIGNATURE, err, errlen, "writer certificate unreadable");
	if (!prev) {
		/* the SPP's record signer; never its TLS credential */
		ok = has_role(w, PKI_RECORD_OU) && !has_role(w, PUBDB_ROLE_SPP) &&
		     X509_check_ca(w) == 0;
		/* issued by an issuing CA, not by the trust anchor itself: the
		 * writer's chain as verified in step 1 */
		issuer = chain_issuer(c->w_chain);
		if (ok && (!issuer || !X509_cmp(issuer, chain_root(c->w_chain))))
			return verdict(PUBDB_NOT_WRITER, err, errlen,
				       "the record signer is not issued by an issuing CA (one "
				       "signed by the root itself cannot be revoked)");
		if (!ok)
			return verdict(PUBDB_NOT_WRITER, err, errlen,
				       "generation 1 is written by the SPP's record signer "
				       "(OU=" PKI_RECORD_OU ")");
		return PUBDB_VALID;
	}
	ok = r->writer_cert_len == prev->cert_len &&
	     !memcmp(r->writer_cert, prev->cert, prev->cert_len);
	if (!ok)
		return verdict(PUBDB_NOT_WRITER, err, errlen,
			       "generation %llu must be signed by the device certificate of "
			       "generation %llu", (unsigned long long)r->generation,
			       (unsigned long long)prev->generation);
	/* the writer's chain, verified in step 1 */
	ok = !device_cert_ok(w, c->w_chain, c, r->chip_id, prev->identity, why, sizeof(why));
	if (!ok)
		return verdict(PUBDB_NOT_WRITER, err, errlen, "writer: %s", why);
	return PUBDB_VALID;
}

/* 4. identity, backup header, device certificate */
static enum pubdb_verdict check_content(struct checks *c, const struct pubdb_prev *prev,
					char *err, size_t errlen)
{
	const struct pubdb_record *r = c->r;
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
	ok = !device_cert_ok(dev, NULL, c, r->chip_id, r->identity, why, sizeof(why));
	X509_free(dev);
	if (!ok)
		return verdict(PUBDB_BAD_CONTENT, err, errlen, "device certificate: %s", why);
	return PUBDB_VALID;
}

static enum pubdb_verdict validate(struct checks *c, const struct pubdb_prev *prev,
				   char *err, size_t errlen)
{
	const struct pubdb_record *r = c->r;
	enum pubdb_verdict v = verify_writer(c, err, errlen);
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
				       "generation %llu is not the next one: the newest stored is %llu, the next %llu",
				       (unsigned long long)r->generation,
				       (unsigned long long)newest,
				       (unsigned long long)newest + 1);
		return verdict(PUBDB_WRONG_GENERATION, err, errlen,
			       "the chip has no record: generation %llu is not 1",
			       (unsigned long long)r->generation);
	}
	v = check_writer(c, prev, err, errlen);
	if (v == PUBDB_VALID)
		v = check_content(c, prev, err, errlen);
	return v;
}

enum pubdb_verdict pubdb_record_validate(const struct pubdb_record *r,
					 const struct pubdb_prev *prev, X509_STORE *cas,
					 char *err, size_t errlen)
{
	struct checks c = { .r = r, .cas = cas };
	enum pubdb_verdict v = validate(&c, prev, err, errlen);

	checks_free(&c);
	return v;
}

enum pubdb_verdict pubdb_record_validate_decoded(const struct pubdb_record *r,
						 const struct pubdb_cms_decoded *d,
						 const struct pubdb_prev *prev,
						 X509_STORE *cas, char *err, size_t errlen)
{
	return pubdb_record_validate_cached(r, d, prev, cas, NULL, err, errlen);
}

enum pubdb_verdict pubdb_record_validate_cached(const struct pubdb_record *r,
						const struct pubdb_cms_decoded *d,
						const struct pubdb_prev *prev, X509_STORE *cas,
						struct pubdb_writer_cache *wc,
						char *err, size_t errlen)
{
	struct checks c = { .r = r, .cas = cas, .wc = wc };
	enum pubdb_verdict v;

	/* what pubdb_cms_parse_decoded decoded of this record's raw bytes */
	if (r->format == PUBDB_FORMAT_CMS && d && d->cms) {
		c.d = *d;
		c.d_borrowed = 1;
	}
	v = validate(&c, prev, err, errlen);
	checks_free(&c);
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
