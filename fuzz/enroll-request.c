// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: what chipkey-enroll reads from a device before it issues
 * (userspace/enroll/): the simpleenroll body, csr_decode (base64 and
 * PKCS#10 by OpenSSL, then the P-256 and signature checks), and the
 * Chipkey-Attest header, proof_parse_header, checked by proof_verify
 * against a table holding one real challenge.  Input: selector byte (bit 0:
 * 0 body, 1 header) + bytes.  A request that decodes has a P-256 key whose
 * SPKI hashes to what csr_decode returned; a header that parses encodes
 * back to the same hex (either case); a MAC the fuzzer made never passes.
 */
#include <ctype.h>

#include "enroll/csr.c"
#include "enroll/proof.c"
#include "enroll/proof-context.c"

static void body(const uint8_t *data, size_t size)
{
	uint8_t h[32], again[32];
	unsigned char *spki = NULL;
	X509_REQ *r = NULL;
	int n;

	if (csr_decode(data, size, &r, h))
		return;
	if (!pki_is_p256(X509_REQ_get0_pubkey(r)))
		abort();
	n = i2d_PUBKEY(X509_REQ_get0_pubkey(r), &spki);
	if (n <= 0 || !EVP_Digest(spki, (size_t)n, again, NULL, EVP_sha256(), NULL) ||
	    memcmp(h, again, 32))
		abort();
	OPENSSL_free(spki);
	X509_REQ_free(r);
}

static void header(const uint8_t *data, size_t size)
{
	uint8_t nonce[PROOF_NONCE_LEN], mac[CHIPKEY_MAC_LEN], cert[32] = { 1 }, spki[32] = { 2 };
	uint8_t q[CHIPKEY_EC_POINT_LEN], v[CHIPKEY_EC_POINT_LEN], real[PROOF_NONCE_LEN];
	uint8_t chip[CHIPKEY_CHIP_ID_LEN] = { 3 };
	char s[2 * PROOF_NONCE_LEN + 2 + 2 * CHIPKEY_MAC_LEN], hex[65];
	struct proof_table *t;
	EVP_PKEY *k = NULL;
	time_t exp;
	size_t i;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (proof_parse_header(s, nonce, mac))
		return;
	ck_hex_encode(nonce, sizeof(nonce), hex);
	for (i = 0; i < 64; i++)
		if (hex[i] != (char)tolower((unsigned char)s[i]))
			abort();
	ck_hex_encode(mac, sizeof(mac), hex);
	for (i = 0; i < 64; i++)
		if (hex[i] != (char)tolower((unsigned char)s[65 + i]))
			abort();
	/* against a real challenge: the fuzzer's nonce is unknown; with the
	 * real nonce its MAC is wrong; either way the challenge is used up */
	t = proof_table_new();
	if (!t || ck_att_ephemeral(&k, q) ||
	    proof_challenge(t, cert, 1000, 60, real, v, &exp))
		abort();
	if (proof_verify(t, nonce, cert, spki, q, chip, 1001, mac) !=
	    (memcmp(nonce, real, sizeof(real)) ? -ENOENT : -EBADMSG))
		abort();
	if (proof_verify(t, real, cert, spki, q, chip, 1001, mac) != -ENOENT &&
	    !memcmp(nonce, real, sizeof(real)))
		abort();
	EVP_PKEY_free(k);
	proof_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		header(data + 1, size - 1);
	else
		body(data + 1, size - 1);
	return 0;
}
