// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The commitment round (pair.h, docs/pairing.md "The code"), as Bluetooth
 * LE numeric comparison does it: after the TLS handshake and the ATTESTs,
 * inside the session, before any code is shown.  The listener picks a
 * random Nl and sends COMMIT = SHA-256("chipkey-pair-commit" || 0x00 ||
 * Nl) (a labelled hash); the connector, having received it, picks a random
 * Nc and sends it; the listener reveals Nl; the connector refuses an Nl
 * that does not hash to COMMIT.  The code is the exporter over Nl || Nc
 * (secrets.c).  The listener is bound to Nl before it sees Nc, and Nc is
 * picked after the handshake is complete, so neither end (nor a relay
 * playing either end) can choose the handshake or the nonces to steer the
 * code towards a value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "pair.h"

static const char commit_label[] = "chipkey-pair-commit";	/* and its NUL */

static int commitment(const uint8_t nl[CK_PAIR_NONCE_SIZE], uint8_t out[CK_PAIR_NONCE_SIZE])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(md, commit_label, sizeof(commit_label)) &&
		 EVP_DigestUpdate(md, nl, CK_PAIR_NONCE_SIZE) &&
		 EVP_DigestFinal_ex(md, out, &n) && n == CK_PAIR_NONCE_SIZE;

	EVP_MD_CTX_free(md);
	return ok ? 0 : -EIO;
}

static int listener(struct ck_pair_session *s, uint8_t nl[CK_PAIR_NONCE_SIZE],
		    uint8_t nc[CK_PAIR_NONCE_SIZE])
{
	struct ck_pair_msg m = { .type = CK_PAIR_COMMIT }, in;
	int err;

	if (RAND_bytes(nl, CK_PAIR_NONCE_SIZE) != 1)
		return -EIO;
	err = commitment(nl, m.commit);
	if (!err)
		err = ck_pair_msg_send(s->ssl, &m);
	if (!err)
		err = ck_pair_msg_recv(s->ssl, CK_PAIR_NONCE, &in);
	if (err)
		return err;
	memcpy(nc, in.nonce, CK_PAIR_NONCE_SIZE);
	m.type = CK_PAIR_REVEAL;
	memcpy(m.nonce, nl, CK_PAIR_NONCE_SIZE);
#ifdef CK_PAIR_FAULTS
	/* test build only (pair/tests): a listener that breaks its commitment */
	if (getenv("CHIPKEY_PAIR_FAULT") && !strcmp(getenv("CHIPKEY_PAIR_FAULT"), "reveal"))
		m.nonce[0] ^= 1;
#endif
	err = ck_pair_msg_send(s->ssl, &m);
	OPENSSL_cleanse(&m, sizeof(m));
	return err;
}

static int connector(struct ck_pair_session *s, uint8_t nl[CK_PAIR_NONCE_SIZE],
		     uint8_t nc[CK_PAIR_NONCE_SIZE])
{
	struct ck_pair_msg com, m = { .type = CK_PAIR_NONCE };
	uint8_t want[CK_PAIR_NONCE_SIZE];
	int err;

	err = ck_pair_msg_recv(s->ssl, CK_PAIR_COMMIT, &com);
	if (err)
		return err;
	/* Nc only now: after the handshake and the listener's commitment */
	if (RAND_bytes(nc, CK_PAIR_NONCE_SIZE) != 1)
		return -EIO;
	memcpy(m.nonce, nc, CK_PAIR_NONCE_SIZE);
	err = ck_pair_msg_send(s->ssl, &m);
	if (!err)
		err = ck_pair_msg_recv(s->ssl, CK_PAIR_REVEAL, &m);
	if (!err)
		err = commitment(m.nonce, want);
	if (!err && CRYPTO_memcmp(want, com.commit, sizeof(want)))
		err = -EBADE;
	if (!err)
		memcpy(nl, m.nonce, CK_PAIR_NONCE_SIZE);
	OPENSSL_cleanse(&m, sizeof(m));
	return err;
}

int ck_pair_commit_round(struct ck_pair_session *s, uint8_t nl[CK_PAIR_NONCE_SIZE],
			 uint8_t nc[CK_PAIR_NONCE_SIZE])
{
	return s->role == CK_PAIR_LISTEN ? listener(s, nl, nc) : connector(s, nl, nc);
}
