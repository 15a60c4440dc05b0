/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey pairing: the messages two devices exchange inside their mutually
 * authenticated TLS 1.3 session (docs/pairing.md, "Messages").  Every
 * message is one frame:
 *
 *   offset  size  field
 *        0     4  magic "CKPR"
 *        4     1  version (CK_PAIR_VERSION)
 *        5     1  type (enum ck_pair_type)
 *        6     2  body length, big endian: exactly the size of the type's body
 *        8     n  body
 *
 *   CHALLENGE  body 65: V, the sender's fresh P-256 point (SEC1 uncompressed)
 *                       for the receiver's chip to ATTEST over
 *   RESPONSE   body 32: the MAC the receiver's chip answered to ATTEST(V,
 *                       context = the session's attest exporter)
 *   COMMIT     body 32: listener -> connector: SHA-256("chipkey-pair-commit"
 *                       || 0x00 || Nl), Nl the listener's fresh random 32 bytes
 *   NONCE      body 32: connector -> listener, after COMMIT: Nc, the
 *                       connector's fresh random 32 bytes
 *   REVEAL     body 32: listener -> connector, after NONCE: Nl; the connector
 *                       refuses it unless it hashes to COMMIT
 *   DECISION   body  1: 1 accept (the person at the sender confirmed the
 *                       code), 0 refuse
 *   SYNC       body 33: chipkey pair sync (docs/pairing.md "Sync"): held (1
 *                       byte: 1 the sender keeps a pairing record of the
 *                       receiver, 0 not) || tag (32 bytes: with held 1,
 *                       HKDF-SHA256 of the record's link key bound to this
 *                       session and the sender's role; with held 0, zeros)
 *
 * Order: CHALLENGE/RESPONSE (each chip's ATTEST), COMMIT, NONCE, REVEAL,
 * then the code is shown, then DECISION.  A sync session: CHALLENGE/RESPONSE,
 * then SYNC (connector first, then listener).
 *
 * A frame of another magic, version, type or length is refused (the
 * session ends); nothing else travels in the session.
 */
#ifndef _CHIPKEY_PAIR_MESSAGES_H
#define _CHIPKEY_PAIR_MESSAGES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/chipkey.h>

#define CK_PAIR_MAGIC		"CKPR"
#define CK_PAIR_VERSION		2	/* 2: the COMMIT/NONCE/REVEAL round */
#define CK_PAIR_HDR_LEN		8

enum ck_pair_type {
	CK_PAIR_CHALLENGE = 1,
	CK_PAIR_RESPONSE = 2,
	CK_PAIR_DECISION = 3,
	CK_PAIR_COMMIT = 4,
	CK_PAIR_NONCE = 5,
	CK_PAIR_REVEAL = 6,
	CK_PAIR_SYNC = 7,
};

#define CK_PAIR_NONCE_SIZE	32	/* Nl, Nc and the commitment */

enum ck_pair_lengths {
	CK_PAIR_CHALLENGE_LEN = CHIPKEY_EC_POINT_LEN,
	CK_PAIR_RESPONSE_LEN = CHIPKEY_MAC_LEN,
	CK_PAIR_DECISION_LEN = 1,
	CK_PAIR_COMMIT_LEN = CK_PAIR_NONCE_SIZE,
	CK_PAIR_NONCE_LEN = CK_PAIR_NONCE_SIZE,
	CK_PAIR_REVEAL_LEN = CK_PAIR_NONCE_SIZE,
	CK_PAIR_SYNC_LEN = 1 + CK_PAIR_NONCE_SIZE,
	CK_PAIR_BODY_MAX = CHIPKEY_EC_POINT_LEN,
	CK_PAIR_FRAME_MAX = CK_PAIR_HDR_LEN + CK_PAIR_BODY_MAX,
};

/* A decoded message: @type and the body of that type. */
struct ck_pair_msg {
	enum ck_pair_type type;
	union {
		uint8_t v[CHIPKEY_EC_POINT_LEN];	/* CHALLENGE */
		uint8_t mac[CHIPKEY_MAC_LEN];		/* RESPONSE */
		uint8_t accept;				/* DECISION: 0 or 1 */
		uint8_t commit[CK_PAIR_NONCE_SIZE];	/* COMMIT */
		uint8_t nonce[CK_PAIR_NONCE_SIZE];	/* NONCE (Nc), REVEAL (Nl) */
		struct {				/* SYNC */
			uint8_t held;			/* 0 or 1 */
			uint8_t tag[CK_PAIR_NONCE_SIZE];	/* zeros unless held */
		} sync;
	};
};

#endif /* _CHIPKEY_PAIR_MESSAGES_H */
