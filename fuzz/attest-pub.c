// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: decoding a P-256 public key, userspace/common/attest-crypto.c:
 * ck_att_parse_pub (the public-key file of `chipkey attest --peer` and
 * `chipkey seal --chip-key`: PEM or DER SubjectPublicKeyInfo, 65 raw bytes,
 * 130 hex digits) and ck_att_pub_to_pkey (a SEC1 point, as in ATTEST's
 * verifier_pub and a sealed package's E).  A key that parses must convert
 * back to the same point; a point is accepted by both or by neither.
 */
#include "common/attest-crypto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pub[CHIPKEY_EC_POINT_LEN], again[CHIPKEY_EC_POINT_LEN];
	EVP_PKEY *pkey = NULL;

	if (ck_att_parse_pub(data, size, pub) == 0) {
		if (ck_att_pub_to_pkey(pub, &pkey))
			abort();	/* parse_pub validated it */
		if (ck_att_pkey_to_pub(pkey, again) || memcmp(pub, again, sizeof(pub)))
			abort();
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (size >= CHIPKEY_EC_POINT_LEN) {
		int a = ck_att_pub_to_pkey(data, &pkey);

		if (a == 0) {
			if (ck_att_pkey_to_pub(pkey, again) ||
			    memcmp(data, again, sizeof(again)))
				abort();
			EVP_PKEY_free(pkey);
		}
		/* the same 65 bytes as a raw key file */
		if ((ck_att_parse_pub(data, CHIPKEY_EC_POINT_LEN, pub) == 0) != (a == 0))
			abort();
	}
	return 0;
}
