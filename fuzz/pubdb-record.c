// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the public database record (userspace/common/pubdb-record.c),
 * the body of every POST to chipkey-pubdb and every record chipkey-pubdb-put
 * and recovery fetch: parse, then the write rules of common/pubdb-validate.c
 * against a trust store holding one fixed CA: pubdb_record_validate (the
 * signature fails first on almost every input), and its writer and content
 * checks directly (backup header, device certificate), with the record's
 * own fields as the previous generation; and the SPP's vet, which parses
 * and validates with one decode (pubdb_cms_parse_decoded,
 * pubdb_record_validate_decoded), with its writer cache kept from input
 * to input (pubdb_record_validate_cached): the same record and the same
 * verdict, else abort.  An empty body is passed as
 * (NULL, 0), as the daemon does.  The same bytes as a void entry
 * (common/pubdb-void.c): parse, then who signed it.
 */
#include "common/pubdb-cms.c"
#include "common/pubdb-record.c"
#include "common/pubdb-validate.c"
#include "common/pubdb-void.c"

static X509_STORE *cas;
static struct pubdb_writer_cache wc;	/* the vet's, across inputs */

/* A self-signed P-256 CA, made once (the records the corpus holds are
 * signed by other CAs: the chain check fails on them, as it should). */
static X509_STORE *make_cas(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *ca = X509_new();
	X509_STORE *st = X509_STORE_new();
	X509_NAME *n;

	if (!k || !ca || !st)
		abort();
	ASN1_INTEGER_set(X509_get_serialNumber(ca), 1);
	X509_gmtime_adj(X509_getm_notBefore(ca), 0);
	X509_gmtime_adj(X509_getm_notAfter(ca), 3600);
	X509_set_pubkey(ca, k);
	n = X509_get_subject_name(ca);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz CA", -1, -1, 0);
	X509_set_issuer_name(ca, n);
	if (!X509_sign(ca, k, EVP_sha256()) || !X509_STORE_add_cert(st, ca))
		abort();
	X509_free(ca);
	EVP_PKEY_free(k);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pubdb_cms_decoded dec;
	struct pubdb_record r, r2;
	struct pubdb_prev prev;
	struct pubdb_void v;
	struct checks c;
	enum pubdb_verdict vd;
	char err[256], why[160];
	int rc;

	if (!cas)
		cas = make_cas();
	if (size && !pubdb_void_parse(data, size, &v, err, sizeof(err))) {
		if (v.sig.raw != data || v.sig.raw_len != size || !v.reason[0])
			abort();
		pubdb_verdict_str(pubdb_void_verify(&v, cas, err, sizeof(err)));
	}
	/* the SPP's vet: parsed keeping the decoded SignedData */
	rc = pubdb_cms_parse_decoded(size ? data : NULL, size, &r2, &dec, err, sizeof(err));
	if (pubdb_record_parse(size ? data : NULL, size, &r, err, sizeof(err))) {
		if (!rc)	/* the two parsers disagree */
			abort();
		pubdb_cms_decoded_free(&dec);
		return 0;
	}
	if (rc || memcmp(&r, &r2, sizeof(r)))
		abort();
	if (r.signed_len > size || r.backup_len > size || r.cert_len > size)
		abort();
	prev.generation = r.generation - 1;
	prev.newest = 0;
	prev.identity = r.identity;
	prev.cert = r.writer_cert_len ? r.writer_cert : r.cert;
	prev.cert_len = r.writer_cert_len ? r.writer_cert_len : r.cert_len;
	vd = pubdb_record_validate(&r, r.generation > 1 ? &prev : NULL, cas, err, sizeof(err));
	pubdb_verdict_str(vd);
	/* decoding once, and the writer cache, must not change a verdict */
	if (pubdb_record_validate_cached(&r2, &dec, r.generation > 1 ? &prev : NULL, cas, &wc,
					 err, sizeof(err)) != vd)
		abort();
	pubdb_cms_decoded_free(&dec);
	/* the writer and content checks on their own, whatever the signature:
	 * the writer certificate and its chain set up as step 1 does */
	memset(&c, 0, sizeof(c));
	c.r = &r;
	c.cas = cas;
	if (r.format == PUBDB_FORMAT_CMS && !pubdb_cms_decode(&r, &c.d, err, sizeof(err)) &&
	    c.d.writer && X509_up_ref(c.d.writer))
		c.w = c.d.writer;
	if (!c.w && r.writer_cert_len)
		c.w = pki_cert_from_der(r.writer_cert, r.writer_cert_len);
	if (c.w)
		chain_to(c.w, cas, c.d.extra, &c.w_chain, why, sizeof(why));
	if (r.writer_cert_len)
		check_writer(&c, r.generation > 1 ? &prev : NULL, err, sizeof(err));
	check_content(&c, &prev, err, sizeof(err));
	checks_free(&c);
	ERR_clear_error();
	return 0;
}
