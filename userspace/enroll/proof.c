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
	uint8_t v_pub[CHIPKEY_EC_POINT_LEN];	/* V, handed out again */
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

/*
 * A device's challenges: the newest is handed out again while more than
 * half of @ttl is left, so whoever else holds a copy of the device's
 * certificate and key gets the same one and cannot take the device's away.
 * Only then is a new one made; the previous one stays valid until it
 * expires, which is before the new one is past half its life, so a
 * certificate holds at most PROOF_PER_CERT = 2 unexpired challenges and
 * one is never forgotten before it expires.
 */
int proof_challenge(struct proof_table *t, const uint8_t cert_sha256[32], time_t now,
		    int ttl, uint8_t nonce[PROOF_NONCE_LEN], uint8_t v[CHIPKEY_EC_POINT_LEN],
		    time_t *expires)
{
	struct proof_pending *slot = NULL, *newest = NULL, *oldest = NULL;
	int mine = 0;
	size_t i;

	for (i = 0; i < PROOF_MAX_PENDING; i++) {
		struct proof_pending *p = &t->p[i];

		if (p->v && p->expires <= now)
			drop(p);
		if (!p->v) {
			if (!slot)
				slot = p;
			continue;
		}
		if (CRYPTO_memcmp(p->cert_sha256, cert_sha256, 32))
			continue;
		mine++;
		if (!newest || p->expires > newest->expires)
			newest = p;
		if (!oldest || p->expires < oldest->expires)
			oldest = p;
	}
	if (newest && newest->expires - now > ttl / 2) {
		memcpy(nonce, newest->nonce, PROOF_NONCE_LEN);
		memcpy(v, newest->v_pub, CHIPKEY_EC_POINT_LEN);
		*expires = newest->expires;
		return 0;
	}
	if (mine >= PROOF_PER_CERT) {
		/* not reached: a new one is made only once the newest is past
		 * half its life, when any older one has expired; kept so that
		 * the bound holds whatever the code above becomes */
		drop(oldest);
		if (!slot)
			slot = oldest;
	}
	if (!slot)
		return -EBUSY;
	if (RAND_bytes(slot->nonce, PROOF_NONCE_LEN) != 1 || ck_att_ephemeral(&slot->v, v)) {
		drop(slot);
		return -EIO;
	}
	memcpy(slot->v_pub, v, CHIPKEY_EC_POINT_LEN);
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
	if (p->expires <= now) {
		drop(p);
		return -ETIME;
	}
	/*
	 * Another certificate's challenge, or a wrong MAC, leaves the
	 * challenge to the device it was handed to: a copy of its factory
	 * credential without the chip cannot use it up.  A right MAC uses it
	 * up, whatever the enrollment then does: a proof counts once.
	 */
	if (CRYPTO_memcmp(p->cert_sha256, cert_sha256, 32))
		return -EKEYREJECTED;
	proof_context_label(ctx, label, nonce, cert_sha256, spki_sha256);
	err = ck_att_expected_attest(p->v, q, chip_id, ctx, sizeof(ctx), want);
	if (!err && CRYPTO_memcmp(want, mac, CHIPKEY_MAC_LEN))
		err = -EBADMSG;
	OPENSSL_cleanse(want, sizeof(want));
	if (!err)
		drop(p);
	return err;
}
