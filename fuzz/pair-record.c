// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the pairing records, userspace/pair/record.c:
 * ck_pair_list_decode (the value of the data package entry
 * pairing-records that `chipkey pairs`, `pair` and `unpair` read,
 * docs/pairing.md "The pairing records").  A list that decodes must encode
 * to exactly the input (one encoding per list), and decode again to the
 * same records.
 */
#include "pair/record.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_pair_list l, l2;
	uint8_t *out = NULL;
	size_t len = 0;

	if (ck_pair_list_decode(data, size, &l))
		return 0;
	if (ck_pair_list_encode(&l, &out, &len) || len != size || memcmp(out, data, size) ||
	    ck_pair_list_decode(out, len, &l2) || l2.n != l.n)
		abort();
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.v[i].identity, l2.v[i].identity) || l.v[i].role != l2.v[i].role ||
		    l.v[i].paired_at != l2.v[i].paired_at || l.v[i].cert_len != l2.v[i].cert_len ||
		    memcmp(l.v[i].link_key, l2.v[i].link_key, CK_PAIR_KEY_LEN))
			abort();
	OPENSSL_clear_free(out, len);
	ck_pair_list_free(&l);
	ck_pair_list_free(&l2);
	return 0;
}
