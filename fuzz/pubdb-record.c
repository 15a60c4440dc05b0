// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the public database record (userspace/common/pubdb-record.c),
 * the body of every POST to chipkey-pubdb and every record chipkey-pubdb-put
 * and recovery fetch: parse, then the write rules of common/pubdb-validate.c
 * against a trust store holding one fixed CA: pubdb_record_validate (the
 * signature fails first on almost every input), and its writer and content
 * checks directly (backup header, device certificate), with the record's
 * own fields as the previous generation.  An empty body is passed as
 * (NULL, 0), as the daemon does.  The same bytes as a void entry
 * (common/pubdb-void.c): parse, then who signed it.
 */
#include "common/pubdb-cms.c"
#include "common/pubdb-record.c"
#include "common/pubdb-validate.c"
#include "common/pubdb-void.c"

static X509_STORE *cas;

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
	struct pubdb_record r;
	struct pubdb_prev prev;
	struct pubdb_void v;
	char err[256];

	if (!cas)
		cas = make_cas();
	if (size && !pubdb_void_parse(data, size, &v, err, sizeof(err))) {
		if (v.sig.raw != data || v.sig.raw_len != size || !v.reason[0])
			abort();
		pubdb_verdict_str(pubdb_void_verify(&v, cas, err, sizeof(err)));
	}
	if (pubdb_record_parse(size ? data : NULL, size, &r, err, sizeof(err)))
		return 0;
	if (r.signed_len > size || r.backup_len > size || r.cert_len > size)
		abort();
	prev.generation = r.generation - 1;
	prev.identity = r.identity;
	prev.cert = r.writer_cert_len ? r.writer_cert : r.cert;
	prev.cert_len = r.writer_cert_len ? r.writer_cert_len : r.cert_len;
	pubdb_verdict_str(pubdb_record_validate(&r, r.generation > 1 ? &prev : NULL, cas, err,
						sizeof(err)));
	if (r.writer_cert_len)
		check_writer(&r, r.generation > 1 ? &prev : NULL, cas, err, sizeof(err));
	check_content(&r, &prev, cas, err, sizeof(err));
	ERR_clear_error();
	return 0;
}
