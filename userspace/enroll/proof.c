// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The chip proof (proof.h): one-time challenges bound to the device
 * certificate and to an expiry, checked with the verifier side of ATTEST
 * (common/attest.h, docs/attestation.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/attest.h"
#include "common/hex.h"
#include "proof.h"

struct proof_pending {
	uint8_t nonce[PROOF_NONCE_LEN];
	uint8_t cert_sha256[32];
	time_t expires;
	EVP_PKEY *v;		/* the verifier's ephemeral key; NULL: slot free */
};

struct proof_table {
	struct proof_pending p[PROOF_MAX_PENDING];
};

int proof_parse_header(const char *s, uint8_t nonce[PROOF_NONCE_LEN],
		       uint8_t mac[CHIPKEY_MAC_LEN])
{
	if (!s || strlen(s) != 2 * PROOF_NONCE_LEN + 1 + 2 * CHIPKEY_MAC_LEN ||
	    s[2 * PROOF_NONCE_LEN] != ' ' ||
	    ck_hex_decode_n(s, nonce, PROOF_NONCE_LEN) ||
	    ck_hex_decode_n(s + 2 * PROOF_NONCE_LEN + 1, mac, CHIPKEY_MAC_LEN))
		return -EINVAL;
	return 0;
}

struct proof_table *proof_table_new(void)
{
	return calloc(1, sizeof(struct proof_table));
}

static void drop(struct proof_pending *p)
{
	EVP_PKEY_free(p->v);
	OPENSSL_cleanse(p, sizeof(*p));
}

void proof_table_free(struct proof_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < PROOF_MAX_PENDING; i++)
		drop(&t->p[i]);
	free(t);
}

int proof_challenge(struct proof_table *t, const uint8_t cert_sha256[32], time_t now,
		    int ttl, uint8_t nonce[PROOF_NONCE_LEN], uint8_t v[CHIPKEY_EC_POINT_LEN],
		    time_t *expires)
{
	struct proof_pending *slot = NULL;
	size_t i;

	for (i = 0; i < PROOF_MAX_PENDING; i++) {
		if (t->p[i].v && (t->p[i].expires <= now ||
				  !CRYPTO_memcmp(t->p[i].cert_sha256, cert_sha256, 32)))
			drop(&t->p[i]);	/* expired, or this device's old one: forget it */
		if (!t->p[i].v && !slot)
			slot = &t->p[i];
	}
	if (!slot)
		return -EBUSY;
	if (RAND_bytes(slot->nonce, PROOF_NONCE_LEN) != 1 || ck_att_ephemeral(&slot->v, v)) {
		drop(slot);
		return -EIO;
	}
	memcpy(slot->cert_sha256, cert_sha256, 32);
	slot->expires = now + ttl;
	memcpy(nonce, slot->nonce, PROOF_NONCE_LEN);
	*expires = slot->expires;
	return 0;
}

int proof_verify(struct proof_table *t, const uint8_t nonce[PROOF_NONCE_LEN],
		 const uint8_t cert_sha256[32], const uint8_t spki_sha256[32],
		 const uint8_t q[CHIPKEY_EC_POINT_LEN],
		 const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN], time_t now,
		 const uint8_t mac[CHIPKEY_MAC_LEN])
{
	return proof_verify_label(t, PROOF_LABEL, nonce, cert_sha256, spki_sha256, q, chip_id,
				  now, mac);
}

int proof_verify_label(struct proof_table *t, const char *label,
		       const uint8_t nonce[PROOF_NONCE_LEN], const uint8_t cert_sha256[32],
		       const uint8_t spki_sha256[32], const uint8_t q[CHIPKEY_EC_POINT_LEN],
		       const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN], time_t now,
		       const uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t ctx[PROOF_CONTEXT_LEN], want[CHIPKEY_MAC_LEN];
	struct proof_pending *p = NULL;
	size_t i;
	int err;

	for (i = 0; i < PROOF_MAX_PENDING && !p; i++)
		if (t->p[i].v && !CRYPTO_memcmp(t->p[i].nonce, nonce, PROOF_NONCE_LEN))
			p = &t->p[i];
	if (!p)
		return -ENOENT;
	if (p->expires <= now)
		err = -ETIME;
	else if (CRYPTO_memcmp(p->cert_sha256, cert_sha256, 32))
		err = -EKEYREJECTED;
	else {
		proof_context_label(ctx, label, nonce, cert_sha256, spki_sha256);
		err = ck_att_expected_attest(p->v, q, chip_id, ctx, sizeof(ctx), want);
		if (!err && CRYPTO_memcmp(want, mac, CHIPKEY_MAC_LEN))
			err = -EBADMSG;
		OPENSSL_cleanse(want, sizeof(want));
	}
	drop(p);	/* one use, whatever the outcome */
	return err;
}
