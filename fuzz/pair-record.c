// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: a pairing record file, userspace/pair/record.c:
 * ck_pair_record_decode (what `chipkey pairs` reads from the pairing
 * store, docs/pairing.md).  A record that decodes must encode to a text
 * that decodes to the same record and encodes to the same text.
 */
#include "pair/record.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_pair_record r, r2;
	char *t1 = NULL, *t2 = NULL;
	size_t l1 = 0, l2 = 0;

	if (ck_pair_record_decode((const char *)data, size, &r))
		return 0;
	if (ck_pair_record_encode(&r, &t1, &l1) || ck_pair_record_decode(t1, l1, &r2) ||
	    ck_pair_record_encode(&r2, &t2, &l2) || l1 != l2 || memcmp(t1, t2, l1) ||
	    strcmp(r.identity, r2.identity) || memcmp(r.chip_id, r2.chip_id, sizeof(r.chip_id)) ||
	    r.role != r2.role || r.paired_at != r2.paired_at ||
	    memcmp(r.link_key, r2.link_key, sizeof(r.link_key)) || strcmp(r.cert_pem, r2.cert_pem))
		abort();
	OPENSSL_clear_free(t1, l1);
	OPENSSL_clear_free(t2, l2);
	ck_pair_record_free(&r);
	ck_pair_record_free(&r2);
	return 0;
}
