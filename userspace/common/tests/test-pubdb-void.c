// SPDX-License-Identifier: GPL-2.0
/*
 * The void entry of the public database (common/pubdb-void.[ch],
 * docs/pubdb-api.md "Voiding a generation"): its body against the byte
 * table (read out with OpenSSL's CMS API, compared with bytes written
 * here), the bodies the parser refuses (each signed here with OpenSSL
 * directly), and who may sign one (pubdb_void_verify).  End to end, with
 * the real programs: pubdb/tests/void.sh.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/pubdb-void.h"
#include "common/tap.h"

static const uint8_t chip[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

/* A P-256 certificate of @k named @cn, issued by @ca/@cak (NULL: itself). */
static X509 *make_cert(EVP_PKEY *k, const char *cn, X509 *ca, EVP_PKEY *cak)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : n);
	if (!ca) {	/* a CA */
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
							"critical,CA:TRUE");

		if (!e || !X509_add_ext(x, e, -1)) {
			X509_EXTENSION_free(e);
			X509_free(x);
			return NULL;
		}
		X509_EXTENSION_free(e);
	}
	if (!X509_sign(x, ca ? cak : k, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* @body signed here (OpenSSL CMS API) with content type @oid. */
static uint8_t *sign_body(const uint8_t *body, size_t blen, const char *oid, EVP_PKEY *k,
			  X509 *w, size_t *len)
{
	unsigned int fl = CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP;
	ASN1_OBJECT *type = OBJ_txt2obj(oid, 1);
	BIO *in = BIO_new_mem_buf(body, (int)blen);
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, fl);
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int n = 0;

	if (cms && CMS_add1_signer(cms, w, k, EVP_sha256(), fl) &&
	    CMS_set1_eContentType(cms, type) && CMS_final(cms, in, NULL, fl) == 1)
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

/* The body of the byte table: "CKVD", version, chip, generation, R, reason. */
static size_t table_body(uint8_t *b, unsigned int version, uint64_t gen, const char *reason,
			 size_t r)
{
	int i;

	memcpy(b, "CKVD", 4);
	b[4] = (uint8_t)(version >> 8);
	b[5] = (uint8_t)version;
	memcpy(b + 6, chip, 16);
	for (i = 0; i < 8; i++)
		b[22 + i] = (uint8_t)(gen >> (56 - 8 * i));
	b[30] = (uint8_t)r;
	memcpy(b + 31, reason, strlen(reason));
	return 31 + strlen(reason);
}

static X509_STORE *store_of(X509 *x)
{
	X509_STORE *st = X509_STORE_new();

	if (st)
		X509_STORE_add_cert(st, x);
	return st;
}

int main(void)
{
	EVP_PKEY *cak = EVP_EC_gen("P-256"), *lk = EVP_EC_gen("P-256"), *rk = EVP_EC_gen("P-256");
	X509 *ca = cak ? make_cert(cak, "manufacturer CA", NULL, NULL) : NULL;
	X509 *leaf = lk && ca ? make_cert(lk, "spp", ca, cak) : NULL;
	X509 *rogue = rk ? make_cert(rk, "manufacturer CA", NULL, NULL) : NULL;
	X509_STORE *cas = ca ? store_of(ca) : NULL;
	uint8_t *ent = NULL, *e2, want[300], long_reason[202];
	ASN1_OCTET_STRING **pos;
	const unsigned char *p;
	CMS_ContentInfo *cms;
	struct pubdb_void v;
	char err[256];
	size_t len = 0, l2 = 0, n, i;
	char *at;

	if (!tap_ok(ca && leaf && rogue && cas, "setup: CA, a certificate it issued, a rogue CA"))
		return tap_exit_status();

	/* round trip, and the body is the byte table */
	tap_ok(pubdb_void_build(chip, 5, "bad backup", cak, ca, &ent, &len, err, sizeof(err)) == 0,
	       "build: a void of generation 5 signed by the CA (%s)", err);
	p = ent;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	pos = cms ? CMS_get0_content(cms) : NULL;
	n = table_body(want, 1, 5, "bad backup", 10);
	tap_ok(pos && *pos && (size_t)ASN1_STRING_length(*pos) == n &&
	       !memcmp(ASN1_STRING_get0_data(*pos), want, n) &&
	       OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed,
	       "build: the SignedData's content is the documented CKVD body");
	{
		char oid[80];

		OBJ_obj2txt(oid, sizeof(oid), CMS_get0_eContentType(cms), 1);
		tap_ok(!strcmp(oid, PUBDB_VOID_OID) &&
		       !strcmp(oid, "2.25.229363804765724754328020138349983341488"),
		       "build: content type is id-ct-chipkeyVoid (%s)", oid);
	}
	CMS_ContentInfo_free(cms);
	tap_ok(pubdb_void_parse(ent, len, &v, err, sizeof(err)) == 0 && v.generation == 5 &&
	       !memcmp(v.chip_id, chip, 16) && !strcmp(v.reason, "bad backup") &&
	       v.sig.raw == ent && v.sig.raw_len == len, "parse: chip, generation, reason back");
	tap_ok(pubdb_void_verify(&v, cas, err, sizeof(err)) == PUBDB_VALID,
	       "verify: signed by the CA of the store itself -> valid (%s)", err);
	tap_ok(pubdb_void_verify(&v, NULL, err, sizeof(err)) != PUBDB_VALID,
	       "verify: no store -> not valid");

	/* tampered: one byte of the reason */
	at = memmem(ent, len, "bad backup", 10);
	if (at)
		*at = 'B';
	tap_ok(at && pubdb_void_parse(ent, len, &v, err, sizeof(err)) == 0 &&
	       pubdb_void_verify(&v, cas, err, sizeof(err)) == PUBDB_BAD_SIGNATURE,
	       "verify: one reason byte changed -> bad signature (%s)", err);
	free(ent);

	/* who signed */
	ent = NULL;
	tap_ok(pubdb_void_build(chip, 5, "x", lk, leaf, &ent, &len, err, sizeof(err)) == 0 &&
	       pubdb_void_parse(ent, len, &v, err, sizeof(err)) == 0 &&
	       pubdb_void_verify(&v, cas, err, sizeof(err)) == PUBDB_NOT_WRITER,
	       "verify: signed by a certificate the CA issued -> not the writer (%s)", err);
	free(ent);
	ent = NULL;
	tap_ok(pubdb_void_build(chip, 5, "x", rk, rogue, &ent, &len, err, sizeof(err)) == 0 &&
	       pubdb_void_parse(ent, len, &v, err, sizeof(err)) == 0 &&
	       pubdb_void_verify(&v, cas, err, sizeof(err)) == PUBDB_UNTRUSTED,
	       "verify: a rogue CA with the same name -> untrusted (%s)", err);
	free(ent);

	/* what build refuses */
	memset(long_reason, 'a', sizeof(long_reason));
	long_reason[201] = 0;
	tap_ok(pubdb_void_build(chip, 5, "", cak, ca, &ent, &len, err, sizeof(err)) == -EINVAL &&
	       pubdb_void_build(chip, 5, (char *)long_reason, cak, ca, &ent, &len, err,
				sizeof(err)) == -EINVAL &&
	       pubdb_void_build(chip, 5, "line\nbreak", cak, ca, &ent, &len, err,
				sizeof(err)) == -EINVAL &&
	       pubdb_void_build(chip, 0, "x", cak, ca, &ent, &len, err, sizeof(err)) == -EINVAL &&
	       pubdb_void_build(chip, 5, "x", NULL, NULL, &ent, &len, err, sizeof(err)) == -EINVAL,
	       "build: empty, 201-character or non-printable reason, generation 0, unsigned refused");
	long_reason[200] = 0;
	ent = NULL;
	tap_ok(pubdb_void_build(chip, 5, (char *)long_reason, cak, ca, &ent, &len, err,
				sizeof(err)) == 0 &&
	       pubdb_void_parse(ent, len, &v, err, sizeof(err)) == 0 && strlen(v.reason) == 200,
	       "build: a 200-character reason round-trips");
	free(ent);

	/* bodies the parser refuses, each signed here by the CA */
	{
		static const struct {
			unsigned int version;
			uint64_t gen;
			const char *reason;
			size_t r;
			int magic_bad, trailing;
			const char *what;
		} bad[] = {
			{ 1, 5, "ok", 2, 1, 0, "another magic" },
			{ 2, 5, "ok", 2, 0, 0, "version 2" },
			{ 1, 0, "ok", 2, 0, 0, "generation 0" },
			{ 1, 1ull << 63, "ok", 2, 0, 0, "generation 2^63" },
			{ 1, 5, "ok", 3, 0, 0, "R longer than the reason" },
			{ 1, 5, "ok", 1, 0, 0, "R shorter than the reason" },
			{ 1, 5, "", 0, 0, 0, "empty reason" },
			{ 1, 5, "tab\there", 8, 0, 0, "a control character" },
			{ 1, 5, "ok", 2, 0, 1, "a trailing byte" },
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			n = table_body(want, bad[i].version, bad[i].gen, bad[i].reason, bad[i].r);
			if (bad[i].magic_bad)
				want[3] = 'R';
			if (bad[i].trailing)
				want[n++] = 0;
			e2 = sign_body(want, n, PUBDB_VOID_OID, cak, ca, &l2);
			tap_ok(e2 && pubdb_void_parse(e2, l2, &v, err, sizeof(err)) == -EBADMSG,
			       "parse: %s -> malformed (%s)", bad[i].what, err);
			free(e2);
		}
		n = table_body(want, 1, 5, "ok", 2);
		e2 = sign_body(want, n, PUBDB_VOID_OID, cak, ca, &l2);
		tap_ok(e2 && pubdb_void_parse(e2, l2, &v, err, sizeof(err)) == 0 &&
		       pubdb_void_verify(&v, cas, err, sizeof(err)) == PUBDB_VALID,
		       "parse: the same body signed by OpenSSL directly is accepted");
		free(e2);
		e2 = sign_body(want, n, PUBDB_CMS_CONTENT_OID, cak, ca, &l2);
		tap_ok(e2 && pubdb_void_parse(e2, l2, &v, err, sizeof(err)) == -EBADMSG,
		       "parse: the body under the record content type -> malformed (%s)", err);
		free(e2);
	}

	X509_STORE_free(cas);
	X509_free(ca);
	X509_free(leaf);
	X509_free(rogue);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(rk);
	return tap_exit_status();
}
