// SPDX-License-Identifier: GPL-2.0
/*
 * The public database write record (include/chipkey/pubdb_record.h,
 * common/pubdb-record.c): the wire layout, round trips of unsigned and
 * signed records, the order of the writer checks (common/pubdb-validate.c;
 * with real certificates and backups: pubdb/tests/run.sh), and the decoder against every
 * truncation, a trailing byte, an empty buffer and each refused header
 * value.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/pubdb-cms.h"
#include "common/pubdb-record.h"
#include "common/tap.h"

#define ID "490154203237518"

static uint8_t backup[300], devcert[2];

/* A self-signed EC P-256 certificate with subject OU=@ou. */
static X509 *make_cert(EVP_PKEY *k, const char *ou)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test writer",
				   -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (!X509_sign(x, k, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void fill_fields(struct pubdb_fields *f, const uint8_t *cert, size_t cert_len)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < sizeof(f->chip_id); i++)
		f->chip_id[i] = (uint8_t)(0x10 * i);
	f->generation = 0x0102030405060708ull;
	f->identity = ID;
	for (i = 0; i < sizeof(backup); i++)
		backup[i] = (uint8_t)i;
	f->backup = backup;
	f->backup_len = sizeof(backup);
	f->cert = cert;
	f->cert_len = cert_len;
}

static void test_unsigned(void)
{
	struct pubdb_wire_head h;
	struct pubdb_fields f;
	struct pubdb_record r;
	uint8_t *rec, *bad;
	size_t len, i, n_ok = 0;
	char err[200];

	devcert[0] = 0x30;
	fill_fields(&f, devcert, sizeof(devcert));
	tap_ok(pubdb_record_build(&f, NULL, NULL, &rec, &len, err, sizeof(err)) == 0,
	       "an unsigned record is built");
	tap_eq_int((long long)len, (long long)(sizeof(h) + 3 * 4 + sizeof(backup) +
					       sizeof(devcert) + 2),
		   "its length: head, three lengths, backup, certificate, signature length");
	memcpy(&h, rec, sizeof(h));
	tap_ok(!memcmp(h.magic, PUBDB_MAGIC, PUBDB_MAGIC_LEN) &&
	       be16toh(h.version) == PUBDB_VERSION && h.flags == 0 &&
	       be64toh(h.generation) == f.generation && h.identity_len == PUBDB_IDENTITY_LEN &&
	       !memcmp(h.identity, ID, PUBDB_IDENTITY_LEN) &&
	       !memcmp(h.chip_id, f.chip_id, sizeof(h.chip_id)),
	       "the head is struct pubdb_wire_head, big endian");
	tap_ok(pubdb_record_parse(rec, len, &r, err, sizeof(err)) == 0 &&
	       r.generation == f.generation && !strcmp(r.identity, ID) &&
	       !memcmp(r.chip_id, f.chip_id, sizeof(r.chip_id)) &&
	       r.backup_len == sizeof(backup) && !memcmp(r.backup, backup, sizeof(backup)) &&
	       r.cert_len == sizeof(devcert) && !r.writer_cert && !r.sig &&
	       r.signed_len == len - 2,
	       "it parses back to the same fields, unsigned");
	tap_ok(pubdb_record_verify(&r, NULL, err, sizeof(err)) == PUBDB_UNSIGNED,
	       "verify: unsigned");

	for (i = 0; i < len; i++)
		n_ok += pubdb_record_parse(rec, i, &r, err, sizeof(err)) == -EBADMSG;
	tap_eq_int((long long)n_ok, (long long)len, "every truncation is refused");
	bad = malloc(len + 1);
	memcpy(bad, rec, len);
	bad[len] = 0;
	tap_ok(pubdb_record_parse(bad, len + 1, &r, err, sizeof(err)) == -EBADMSG,
	       "a trailing byte is refused (%s)", err);
	tap_ok(pubdb_record_parse(NULL, 0, &r, err, sizeof(err)) == -EBADMSG &&
	       strstr(err, "empty"), "NULL, 0 is an empty record, refused");
	tap_ok(pubdb_record_parse(bad, 0, &r, err, sizeof(err)) == -EBADMSG,
	       "0 bytes are refused");

#define MUTATE(field, value, what) do {						\
		struct pubdb_wire_head m = h;					\
		m.field = value;						\
		memcpy(bad, &m, sizeof(m));					\
		tap_ok(pubdb_record_parse(bad, len, &r, err, sizeof(err)) == -EBADMSG, \
		       "%s is refused (%s)", what, err);			\
	} while (0)
	MUTATE(magic[0], 'X', "another magic");
	MUTATE(version, htobe16(2), "version 2");
	MUTATE(flags, htobe16(1), "a flag");
	MUTATE(generation, 0, "generation 0");
	MUTATE(generation, htobe64(1ull << 63), "generation 2^63");
	MUTATE(identity_len, 14, "identity length 14");
#undef MUTATE
	{
		struct pubdb_wire_len32 l = { .len = htobe32(0) };

		memcpy(bad, rec, len);
		memcpy(bad + sizeof(h), &l, sizeof(l));
		tap_ok(pubdb_record_parse(bad, len, &r, err, sizeof(err)) == -EBADMSG,
		       "an empty backup is refused");
		l.len = htobe32(PUBDB_MAX_BACKUP + 1);
		memcpy(bad + sizeof(h), &l, sizeof(l));
		tap_ok(pubdb_record_parse(bad, len, &r, err, sizeof(err)) == -EBADMSG,
		       "a backup over PUBDB_MAX_BACKUP is refused");
	}
	free(bad);
	free(rec);

	f.identity = "490154203237519";
	tap_ok(pubdb_record_build(&f, NULL, NULL, &rec, &len, err, sizeof(err)) == -EINVAL,
	       "build: a bad Luhn check digit is refused");
	f.identity = ID;
	f.generation = 0;
	tap_ok(pubdb_record_build(&f, NULL, NULL, &rec, &len, err, sizeof(err)) == -EINVAL,
	       "build: generation 0 is refused");
	f.generation = 1;
	f.backup_len = 0;
	tap_ok(pubdb_record_build(&f, NULL, NULL, &rec, &len, err, sizeof(err)) == -EINVAL,
	       "build: an empty backup is refused");
}

static X509_STORE *store_of(X509 *x)
{
	X509_STORE *s = X509_STORE_new();

	if (s && X509_STORE_add_cert(s, x) != 1) {
		X509_STORE_free(s);
		s = NULL;
	}
	return s;
}

/* A format-2 record: every truncation and a trailing byte are refused;
 * a flipped signature byte is a bad signature. */
static void test_cms_mutations(uint8_t *rec, size_t len, const struct pubdb_record *r,
			       X509_STORE *cas)
{
	struct pubdb_record t;
	size_t i, n_ok = 0;
	uint8_t *bad;
	char err[200];

	for (i = 0; i < len; i++)
		n_ok += pubdb_record_parse(rec, i, &t, err, sizeof(err)) == -EBADMSG;
	tap_eq_int((long long)n_ok, (long long)len, "format 2: every truncation is refused");
	bad = malloc(len + 1);
	if (!bad)
		return;
	memcpy(bad, rec, len);
	bad[len] = 0;
	tap_ok(pubdb_record_parse(bad, len + 1, &t, err, sizeof(err)) == -EBADMSG,
	       "format 2: a trailing byte is refused (%s)", err);
	free(bad);
	rec[(size_t)(r->sig - rec) + r->sig_len - 1] ^= 1;
	tap_ok(pubdb_record_verify(r, cas, err, sizeof(err)) == PUBDB_BAD_SIGNATURE,
	       "format 2: a flipped signature byte breaks the signature (%s)", err);
	rec[(size_t)(r->sig - rec) + r->sig_len - 1] ^= 1;
}

typedef int (*build_fn)(const struct pubdb_fields *f, EVP_PKEY *key, X509 *writer,
			uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* The signed checks, on records of format @fmt built by @build. */
static void test_signed(build_fn build, enum pubdb_format fmt)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
	X509 *w = k ? make_cert(k, PUBDB_ROLE_SPP) : NULL;
	X509 *other = k2 ? make_cert(k2, PUBDB_ROLE_SPP) : NULL;
	X509 *norole = k2 ? make_cert(k2, "marketing") : NULL;
	X509_STORE *cas = w ? store_of(w) : NULL, *wrong = other ? store_of(other) : NULL;
	X509_STORE *cas2 = norole ? store_of(norole) : NULL;
	unsigned char *der = NULL;
	struct pubdb_fields f;
	struct pubdb_record r;
	uint8_t *rec = NULL;
	size_t len = 0;
	char err[200];
	int dlen;

	if (!cas || !wrong || !cas2) {
		tap_ok(0, "test credentials");
		goto out;
	}
	dlen = i2d_X509(w, &der);
	fill_fields(&f, der, (size_t)dlen);
	tap_ok(build(&f, k, NULL, &rec, &len, err, sizeof(err)) == -EINVAL,
	       "build: a key without its certificate is refused");
	tap_ok(build(&f, k, other, &rec, &len, err, sizeof(err)) == -EINVAL,
	       "build: a key that does not match the certificate is refused");
	tap_ok(build(&f, k, w, &rec, &len, err, sizeof(err)) == 0,
	       "a signed record is built");
	tap_ok(rec && pubdb_record_parse(rec, len, &r, err, sizeof(err)) == 0 &&
	       r.format == fmt && r.writer_cert_len == (size_t)dlen &&
	       !memcmp(r.writer_cert, der, (size_t)dlen) && r.sig_len > 0 &&
	       r.generation == f.generation && !strcmp(r.identity, ID) &&
	       r.backup_len == sizeof(backup) && !memcmp(r.backup, backup, sizeof(backup)) &&
	       (fmt == PUBDB_FORMAT_CMS ? r.signed_len == 0 && r.signing_time > 0
					: r.signed_len == len - 2 - r.sig_len),
	       "format %d: it parses, with its fields, writer and signature", fmt);
	tap_eq_int(pubdb_record_verify(&r, cas, err, sizeof(err)), PUBDB_VALID,
		   "format %d: verify: valid against its CA", fmt);
	tap_eq_int(pubdb_record_verify(&r, wrong, err, sizeof(err)), PUBDB_UNTRUSTED,
		   "verify: untrusted against another CA");
	if (fmt == PUBDB_FORMAT_CMS)
		test_cms_mutations(rec, len, &r, cas);
	rec[(size_t)(r.backup - rec) + 7] ^= 1;	/* a backup byte */
	tap_eq_int(pubdb_record_verify(&r, cas, err, sizeof(err)), PUBDB_BAD_SIGNATURE,
		   "format %d: verify: a changed backup byte breaks the signature", fmt);
	free(rec);
	rec = NULL;
	OPENSSL_free(der);
	der = NULL;

	dlen = i2d_X509(norole, &der);
	fill_fields(&f, der, (size_t)dlen);
	f.generation = 1;
	tap_ok(build(&f, k2, norole, &rec, &len, err, sizeof(err)) == 0 &&
	       pubdb_record_parse(rec, len, &r, err, sizeof(err)) == 0 &&
	       pubdb_record_verify(&r, cas2, err, sizeof(err)) == PUBDB_VALID &&
	       pubdb_record_validate(&r, NULL, cas2, err, sizeof(err)) == PUBDB_NOT_WRITER,
	       "validate: generation 1 by a writer without OU=" PUBDB_ROLE_SPP
	       " is refused (%s)", err);
	{
		struct pubdb_prev prev = { .generation = 1, .identity = ID,
					   .cert = r.writer_cert, .cert_len = r.writer_cert_len };

		tap_eq_int(pubdb_record_validate(&r, &prev, cas2, err, sizeof(err)),
			   PUBDB_WRONG_GENERATION, "validate: generation 1 after 1 (%s)", err);
		rec[(size_t)(r.backup - rec) + 1] ^= 1;
		tap_eq_int(pubdb_record_validate(&r, NULL, cas2, err, sizeof(err)),
			   PUBDB_BAD_SIGNATURE, "validate: the signature is checked first");
		rec[(size_t)(r.backup - rec) + 1] ^= 1;
		tap_eq_int(pubdb_record_validate(&r, NULL, NULL, err, sizeof(err)),
			   PUBDB_UNTRUSTED, "validate: no CA, not trusted");
	}
	free(rec);
	rec = NULL;
	f.generation = 3;
	tap_ok(build(&f, k2, norole, &rec, &len, err, sizeof(err)) == 0 &&
	       pubdb_record_parse(rec, len, &r, err, sizeof(err)) == 0 &&
	       pubdb_record_validate(&r, NULL, cas2, err, sizeof(err)) == PUBDB_WRONG_GENERATION,
	       "validate: a first record must be generation 1 (%s)", err);
	{
		struct pubdb_prev prev = { .generation = INT64_MAX, .identity = ID,
					   .cert = r.writer_cert, .cert_len = r.writer_cert_len };

		tap_eq_int(pubdb_record_validate(&r, &prev, cas2, err, sizeof(err)),
			   PUBDB_WRONG_GENERATION, "validate: nothing follows 2^63-1");
		prev.generation = 2;
		tap_ok(pubdb_record_validate(&r, &prev, cas2, err, sizeof(err)) ==
		       PUBDB_NOT_WRITER && strstr(err, "writer: not issued"),
		       "validate: the certificate of generation 2 writes 3 only if it "
		       "passes the device checks (%s)", err);
		prev.cert_len--;
		tap_ok(pubdb_record_validate(&r, &prev, cas2, err, sizeof(err)) ==
		       PUBDB_NOT_WRITER && strstr(err, "must be signed by the device"),
		       "validate: generation 3 by another certificate than generation 2's "
		       "device certificate (%s)", err);
	}
out:
	free(rec);
	OPENSSL_free(der);
	X509_STORE_free(cas);
	X509_STORE_free(cas2);
	X509_STORE_free(wrong);
	X509_free(w);
	X509_free(other);
	X509_free(norole);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

/*
 * A SignedData made here with OpenSSL's CMS API, not pubdb_record_build:
 * @content signed by @k/@w (and @k2/@w2 as a second signer if given),
 * with our content type if @ours, @flags added to the signing flags.
 */
static uint8_t *make_cms(const uint8_t *content, size_t clen, EVP_PKEY *k, X509 *w,
			 EVP_PKEY *k2, X509 *w2, int ours, unsigned int flags, size_t *len)
{
	unsigned int fl = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP | flags;
	ASN1_OBJECT *type = OBJ_txt2obj(PUBDB_CMS_CONTENT_OID, 1);
	BIO *in = BIO_new_mem_buf(content, (int)clen);
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, fl);
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int n = 0;

	if (cms && CMS_add1_signer(cms, w, k, EVP_sha256(), fl) &&
	    (!k2 || CMS_add1_signer(cms, w2, k2, EVP_sha256(), fl)) &&
	    (!ours || CMS_set1_eContentType(cms, type)) && CMS_final(cms, in, NULL, fl) == 1)
		n = i2d_CMS_ContentInfo(cms, &der);
	if (n > 0 && (out = malloc((size_t)n)) != NULL) {
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	ASN1_OBJECT_free(type);
	return out;
}

/* parse @rec (freed): -EBADMSG with @want in the message? */
static int refused(uint8_t *rec, size_t len, const char *want, char *err, size_t errlen)
{
	struct pubdb_record r;
	int ok;

	snprintf(err, errlen, "not built");
	ok = rec && pubdb_record_parse(rec, len, &r, err, errlen) == -EBADMSG &&
	     strstr(err, want);
	free(rec);
	return ok;
}

/* Format-2 shapes the parser refuses, each made by OpenSSL directly. */
static void test_cms_shapes(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
	X509 *w = k ? make_cert(k, PUBDB_ROLE_SPP) : NULL;
	X509 *w2 = k2 ? make_cert(k2, PUBDB_ROLE_SPP) : NULL;
	uint8_t *content = NULL, *signed_v1 = NULL, *rec;
	struct pubdb_fields f;
	struct pubdb_record r;
	size_t clen = 0, slen = 0, len = 0;
	char err[200];

	devcert[0] = 0x30;
	fill_fields(&f, devcert, sizeof(devcert));
	if (!w || !w2 || pubdb_record_build(&f, NULL, NULL, &content, &clen, err, sizeof(err)) ||
	    pubdb_record_build_v1(&f, k, w, &signed_v1, &slen, err, sizeof(err))) {
		tap_ok(0, "format 2 shapes: test credentials");
		goto out;
	}
	rec = make_cms(content, clen, k, w, NULL, NULL, 1, 0, &len);
	tap_ok(rec && pubdb_record_parse(rec, len, &r, err, sizeof(err)) == 0 &&
	       r.format == PUBDB_FORMAT_CMS, "format 2: a record made by OpenSSL parses (%s)", err);
	free(rec);
	rec = make_cms(content, clen, k, w, NULL, NULL, 0, 0, &len);
	tap_ok(refused(rec, len, "content type", err, sizeof(err)),
	       "format 2: content type id-data is refused (%s)", err);
	rec = make_cms(content, clen, k, w, NULL, NULL, 1, CMS_DETACHED, &len);
	tap_ok(refused(rec, len, "detached", err, sizeof(err)),
	       "format 2: detached content is refused (%s)", err);
	rec = make_cms(content, clen, k, w, k2, w2, 1, 0, &len);
	tap_ok(refused(rec, len, "2 signers", err, sizeof(err)),
	       "format 2: a second signer is refused (%s)", err);
	rec = make_cms(content, clen, k, w, NULL, NULL, 1, CMS_NOCERTS, &len);
	tap_ok(refused(rec, len, "the writer's certificate", err, sizeof(err)),
	       "format 2: no certificate is refused (%s)", err);
	rec = make_cms(content, clen, k, w, NULL, NULL, 1, CMS_NOATTR, &len);
	tap_ok(refused(rec, len, "contentType", err, sizeof(err)),
	       "format 2: no signed attributes is refused (%s)", err);
	rec = make_cms(signed_v1, slen, k, w, NULL, NULL, 1, 0, &len);
	tap_ok(refused(rec, len, "unsigned", err, sizeof(err)),
	       "format 2: a signed format-1 record as content is refused (%s)", err);
out:
	free(content);
	free(signed_v1);
	X509_free(w);
	X509_free(w2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

/* pubdb_cms_parse_decoded + pubdb_record_validate_cached of @rec */
static enum pubdb_verdict validate_with(const uint8_t *rec, size_t len, X509_STORE *cas,
					struct pubdb_writer_cache *wc)
{
	struct pubdb_cms_decoded d;
	struct pubdb_record r;
	enum pubdb_verdict v = PUBDB_BAD_SIGNATURE;	/* does not parse */
	char err[200];

	if (!pubdb_cms_parse_decoded(rec, len, &r, &d, err, sizeof(err)))
		v = pubdb_record_validate_cached(&r, &d, NULL, cas, wc, err, sizeof(err));
	pubdb_cms_decoded_free(&d);
	return v;
}

/*
 * The writer cache (pubdb_record_validate_cached, the SPP's vet): a chain
 * remembered for one writer is never taken for another writer with the
 * same names, nor against another store, nor outside its validity.
 */
static void test_writer_cache(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
	X509 *w = k ? make_cert(k, PUBDB_ROLE_SPP) : NULL;
	X509 *other = k2 ? make_cert(k2, PUBDB_ROLE_SPP) : NULL;	/* the same names */
	X509_STORE *cas = w ? store_of(w) : NULL, *cas_o = other ? store_of(other) : NULL;
	struct pubdb_writer_cache wc = { 0 };
	uint8_t *rw = NULL, *ro = NULL;
	size_t lw = 0, lo = 0;
	unsigned char *der = NULL, *der2 = NULL;
	struct pubdb_fields f;
	enum pubdb_verdict vw = PUBDB_VALID;
	char err[200];
	int dlen, dlen2;

	if (!cas || !cas_o || (dlen = i2d_X509(w, &der)) <= 0 ||
	    (dlen2 = i2d_X509(other, &der2)) <= 0) {
		tap_ok(0, "writer cache: test credentials");
		goto out;
	}
	fill_fields(&f, der, (size_t)dlen);
	f.generation = 1;
	tap_ok(pubdb_record_build(&f, k, w, &rw, &lw, err, sizeof(err)) == 0 &&
	       pubdb_record_build(&f, k2, other, &ro, &lo, err, sizeof(err)) == 0,
	       "writer cache: two records, by two writers with the same names");
	if (!rw || !ro)
		goto out;
	vw = validate_with(rw, lw, cas, NULL);
	tap_ok(vw != PUBDB_UNTRUSTED && validate_with(rw, lw, cas, &wc) == vw && wc.chain,
	       "writer cache: the trusted writer's verdict (%s) with the cache, which keeps "
	       "its chain", pubdb_verdict_str(vw));
	tap_ok(validate_with(ro, lo, cas, NULL) == PUBDB_UNTRUSTED &&
	       validate_with(ro, lo, cas, &wc) == PUBDB_UNTRUSTED,
	       "writer cache: another writer with the same names stays untrusted");
	tap_ok(validate_with(rw, lw, cas_o, &wc) == PUBDB_UNTRUSTED,
	       "writer cache: the remembered writer against another store: untrusted");
	tap_ok(validate_with(rw, lw, cas, &wc) == vw,
	       "writer cache: the remembered writer again: the same verdict");
	wc.until = time(NULL) - 1;
	tap_ok(validate_with(rw, lw, cas, &wc) == vw && wc.until > time(NULL),
	       "writer cache: an entry past its validity is verified again (renewed)");
	wc.from = time(NULL) + 100;
	tap_ok(validate_with(rw, lw, cas, &wc) == vw && wc.from <= time(NULL),
	       "writer cache: an entry before its validity is verified again (renewed)");
out:
	pubdb_writer_cache_free(&wc);
	free(rw);
	free(ro);
	OPENSSL_free(der);
	OPENSSL_free(der2);
	X509_STORE_free(cas);
	X509_STORE_free(cas_o);
	X509_free(w);
	X509_free(other);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

/* The DER of @x at @rec (of @len), or NULL; its length in *n */
static uint8_t *cert_in(uint8_t *rec, size_t len, X509 *x, size_t *n)
{
	unsigned char *der = NULL;
	int dl = i2d_X509(x, &der);
	uint8_t *at = dl > 0 ? memmem(rec, len, der, (size_t)dl) : NULL;

	OPENSSL_free(der);
	*n = at ? (size_t)dl : 0;
	return at;
}

/*
 * The certificates a SignedData carries are decoded once and taken again
 * by their exact DER (pubdb-cms.c, decode_cached): a certificate that
 * differs from a remembered one in one byte is its own, and a record
 * whose certificates are not in DER order stays refused when both are
 * remembered.
 */
static void test_cert_cache(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
	X509 *w = k ? make_cert(k, PUBDB_ROLE_SPP) : NULL;
	X509 *ca = k2 ? make_cert(k2, "test CA") : NULL;
	X509_STORE *cas = w ? store_of(w) : NULL;
	uint8_t *rec = NULL, *a, *b, *swapped = NULL;
	size_t len = 0, na, nb;
	struct pubdb_fields f;
	struct pubdb_record r;
	enum pubdb_verdict v;
	char err[200];

	if (!cas || !ca) {
		tap_ok(0, "certificate cache: test credentials");
		goto out;
	}
	devcert[0] = 0x30;	/* not the writer's: its DER is found once */
	fill_fields(&f, devcert, sizeof(devcert));
	f.generation = 1;
	if (pubdb_record_build_chain(&f, k, w, ca, &rec, &len, err, sizeof(err)) ||
	    !(a = cert_in(rec, len, w, &na)) || !(b = cert_in(rec, len, ca, &nb))) {
		tap_ok(0, "certificate cache: a record with two certificates (%s)", err);
		goto out;
	}
	v = validate_with(rec, len, cas, NULL);
	tap_ok(v != PUBDB_UNTRUSTED && v != PUBDB_BAD_SIGNATURE &&
	       validate_with(rec, len, cas, NULL) == v,
	       "certificate cache: a record with two certificates, twice: the same verdict (%s)",
	       pubdb_verdict_str(v));
	/* the two certificates in the other order (not DER: a SET OF sorts) */
	swapped = malloc(len);
	if (swapped) {
		uint8_t *lo = a < b ? a : b, *hi = a < b ? b : a;
		size_t nlo = a < b ? na : nb, nhi = a < b ? nb : na;

		memcpy(swapped, rec, len);
		if (lo + nlo == hi) {
			memcpy(swapped + (lo - rec), hi, nhi);
			memcpy(swapped + (lo - rec) + nhi, lo, nlo);
		}
		tap_ok(lo + nlo == hi &&
		       pubdb_record_parse(swapped, len, &r, err, sizeof(err)) == -EBADMSG &&
		       strstr(err, "not DER") &&
		       validate_with(swapped, len, cas, NULL) == PUBDB_BAD_SIGNATURE,
		       "certificate cache: the remembered certificates out of DER order: refused "
		       "(%s)", err);
	}
	/* the writer's certificate with the last byte of its signature changed */
	a[na - 1] ^= 1;
	tap_ok(validate_with(rec, len, cas, NULL) == PUBDB_UNTRUSTED,
	       "certificate cache: a remembered certificate with one byte changed is not "
	       "taken for it: untrusted");
	a[na - 1] ^= 1;
	tap_ok(validate_with(rec, len, cas, NULL) == v,
	       "certificate cache: the record as built again: the same verdict");
out:
	free(rec);
	free(swapped);
	X509_STORE_free(cas);
	X509_free(w);
	X509_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

int main(void)
{
	test_unsigned();
	test_signed(pubdb_record_build_v1, PUBDB_FORMAT_V1);
	test_signed(pubdb_record_build, PUBDB_FORMAT_CMS);
	test_cms_shapes();
	test_writer_cache();
	test_cert_cache();
	return tap_exit_status();
}
