// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chipkey pair sync (pair.h, docs/pairing.md "Sync"): inside the pairing
 * session (both device certificates verified against this device's ROM
 * key, both chips' ATTEST), each side says whether it keeps a pairing
 * record of the other, with a tag that proves the record's link key
 * without revealing it: HKDF-SHA256 of the link key, with an info bound to
 * this session (a TLS exporter value) and to the sender's role, so a tag
 * is neither the key nor usable in another session or by the other role.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "common/kdf.h"
#include "pair.h"

static const char sync_label[] = "chipkey pair sync v1";	/* and its NUL */

int ck_pair_sync_tag(SSL *ssl, enum ck_pair_role sender, const uint8_t link_key[CK_PAIR_KEY_LEN],
		     uint8_t tag[CK_PAIR_NONCE_SIZE])
{
	const char *who = sender == CK_PAIR_LISTEN ? "listen" : "connect";
	uint8_t info[sizeof(sync_label) + 32];
	int err = 0;

	memcpy(info, sync_label, sizeof(sync_label));
	if (SSL_export_keying_material(ssl, info + sizeof(sync_label), 32, CK_PAIR_LABEL_SYNC,
				       strlen(CK_PAIR_LABEL_SYNC), (const uint8_t *)who,
				       strlen(who), 1) != 1)
		err = -EIO;
	if (!err)
		err = ck_hkdf_sha256(link_key, CK_PAIR_KEY_LEN, info, sizeof(info), tag);
	OPENSSL_cleanse(info, sizeof(info));
	return err;
}

int ck_pair_sync_exchange(struct ck_pair_session *s, const uint8_t *link_key, int *peer_held,
			  int *same)
{
	enum ck_pair_role peer = s->role == CK_PAIR_LISTEN ? CK_PAIR_CONNECT : CK_PAIR_LISTEN;
	struct ck_pair_msg mine = { .type = CK_PAIR_SYNC }, theirs = { 0 };
	uint8_t want[CK_PAIR_NONCE_SIZE];
	int err = 0;

	*peer_held = *same = 0;
	if (link_key) {
		mine.sync.held = 1;
		err = ck_pair_sync_tag(s->ssl, s->role, link_key, mine.sync.tag);
	}
	if (!err && s->role == CK_PAIR_CONNECT) {
		err = ck_pair_msg_send(s->ssl, &mine);
		if (!err)
			err = ck_pair_msg_recv(s->ssl, CK_PAIR_SYNC, &theirs);
	} else if (!err) {
		err = ck_pair_msg_recv(s->ssl, CK_PAIR_SYNC, &theirs);
		if (!err)
			err = ck_pair_msg_send(s->ssl, &mine);
	}
	if (!err && link_key && theirs.sync.held)
		err = ck_pair_sync_tag(s->ssl, peer, link_key, want);
	if (!err) {
		*peer_held = theirs.sync.held;
		*same = link_key && theirs.sync.held &&
			!CRYPTO_memcmp(want, theirs.sync.tag, sizeof(want));
	}
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(&mine, sizeof(mine));
	OPENSSL_cleanse(&theirs, sizeof(theirs));
	return err;
}
