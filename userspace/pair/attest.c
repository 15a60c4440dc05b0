// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Each chip proves it is live (pair.h, docs/pairing.md "Live chip"): the
 * verifier sends a fresh point V; the prover's chip answers ATTEST(V,
 * context = the session's attest exporter for the prover's role); the
 * verifier recomputes the MAC with its ephemeral key and the attestation
 * key Q and chip ID the prover's device certificate names
 * (ck_att_expected_attest, docs/attestation.md).  A copied device key and
 * certificate without the chip cannot answer; an answer cannot be replayed
 * into another session (the context is that session's exporter).
 *
 * Order: connector CHALLENGE; listener CHALLENGE + RESPONSE; connector
 * RESPONSE (after it checked the listener's).
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/attest.h"
#include "pair.h"

/* Our chip's answer to the peer's challenge @v. */
static int answer(struct ck_pair_session *s, struct chipkey *ck, const uint8_t *v)
{
	struct ck_pair_msg m = { .type = CK_PAIR_RESPONSE };
	uint8_t ctx[32];
	int err;

	err = ck_pair_attest_context(s->ssl, s->role, ctx);
	if (!err)
		err = chipkey_attest(ck, v, ctx, sizeof(ctx), m.mac);
	if (!err)
		err = ck_pair_msg_send(s->ssl, &m);
	return err;
}

/* The peer's answer @mac to our challenge (ephemeral key @eph). */
static int check(struct ck_pair_session *s, EVP_PKEY *eph, const uint8_t *mac)
{
	enum ck_pair_role peer = s->role == CK_PAIR_LISTEN ? CK_PAIR_CONNECT : CK_PAIR_LISTEN;
	uint8_t ctx[32], want[CHIPKEY_MAC_LEN];
	int err;

	err = ck_pair_attest_context(s->ssl, peer, ctx);
	if (!err)
		err = ck_att_expected_attest(eph, s->peer.attest_q, s->peer.chip_id, ctx,
					     sizeof(ctx), want);
	if (!err && CRYPTO_memcmp(want, mac, sizeof(want)))
		err = -EKEYREJECTED;
	OPENSSL_cleanse(want, sizeof(want));
	return err == -EINVAL ? -EKEYREJECTED : err;
}

int ck_pair_attest_exchange(struct ck_pair_session *s, struct chipkey *ck)
{
	struct ck_pair_msg mine = { .type = CK_PAIR_CHALLENGE }, in;
	EVP_PKEY *eph = NULL;
	int err;

	err = ck_att_ephemeral(&eph, mine.v);
	if (err)
		return err;
	if (s->role == CK_PAIR_CONNECT) {
		err = ck_pair_msg_send(s->ssl, &mine);
		if (!err)
			err = ck_pair_msg_recv(s->ssl, CK_PAIR_CHALLENGE, &in);
		if (!err) {
			struct ck_pair_msg resp;

			err = ck_pair_msg_recv(s->ssl, CK_PAIR_RESPONSE, &resp);
			if (!err)
				err = check(s, eph, resp.mac);
		}
		if (!err)
			err = answer(s, ck, in.v);
	} else {
		err = ck_pair_msg_recv(s->ssl, CK_PAIR_CHALLENGE, &in);
		if (!err)
			err = ck_pair_msg_send(s->ssl, &mine);
		if (!err)
			err = answer(s, ck, in.v);
		if (!err)
			err = ck_pair_msg_recv(s->ssl, CK_PAIR_RESPONSE, &in);
		if (!err)
			err = check(s, eph, in.mac);
	}
	EVP_PKEY_free(eph);
	return err;
}
