/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Secure link mode 4 (docs/service-link-cms.md): an anonymous signed
 * broadcast of the server's Diffie-Hellman value and an authenticated
 * Diffie-Hellman exchange (Toshiba claims 9-14).  Frames: <chipkey/link_cms.h>.
 *
 *   device                                   server
 *                                        <-  OFFER: the broadcast, a CMS
 *                                              SignedData (service key) of
 *                                              body{version, issued_at,
 *                                              valid_for, server_id, Q_s}
 *                                        <-  NONCE: 16 random bytes, fresh
 *   chained to the ROM key? version >= highest seen? valid?
 *   SHARE: SignedData(device key,       ->   chained to the ROM key? names
 *     share{identity, SHA-256(OFFER),        this OFFER and this NONCE?
 *     Q_d, nonce})                            identity = cert's?
 *   Z   = ECDH(d_d, Q_s) = ECDH(d_s, Q_d)     (the corrected equation 4:
 *         the device's own ephemeral private key d_d is in the secret)
 *   PSK = HKDF-SHA256(Z, CK_LINK_BCAST_LABEL || SHA-256(OFFER) || Q_d
 *                     || identity)
 *
 * The one encoder/decoder pair of each body: userspace/link/link-bcast-msg.c.
 */
#ifndef _CHIPKEY_LINK_BCAST_H
#define _CHIPKEY_LINK_BCAST_H

#include <stddef.h>
#include <stdint.h>

#include <chipkey/link_cms.h>

/* eContentTypes (UUID arc 2.25) */
#define CK_LINK_BCAST_OID	"2.25.61883693501537110133294442699525149482"
#define CK_LINK_SHARE_OID	"2.25.61883693501537110133294442699525149483"
#define CK_LINK_BCAST_MAGIC	"CKB4"
#define CK_LINK_SHARE_MAGIC	"CKD4"
#define CK_LINK_BCAST_VERSION_FMT	1
#define CK_LINK_BCAST_LABEL	"chipkey link mode 4 psk v1"

/* Files of the server's state directory (written by ck_link_bcast_publish). */
#define CK_LINK_BCAST_FILE	"link-bcast.der"	/* the broadcast, 0644 */
#define CK_LINK_BCAST_KEY_FILE	"link-bcast-key.der"	/* d_s, PKCS#8, 0600 */
/* The device's state directory: the highest version seen of each server
 * (8 bytes), in PREFIX + hex SHA-256 of the signer's SubjectPublicKeyInfo
 * DER + SUFFIX, so that servers with their own versions do not lock each
 * other out while each one's rollback stays refused. */
#define CK_LINK_BCAST_STATE_PREFIX "link-bcast-"
#define CK_LINK_BCAST_STATE_SUFFIX ".version"

enum ck_link_bcast_lengths {
	CK_LINK_BCAST_PUB_LEN	= 65,	/* uncompressed P-256 point */
	CK_LINK_BCAST_SID_LEN	= 32,	/* SHA-256 of the signer's cert DER */
	CK_LINK_BCAST_BODY_LEN	= 125,
	CK_LINK_SHARE_LEN	= 137,
	CK_LINK_BCAST_NONCE_LEN	= 16,	/* the body of a NONCE frame */
	/* a broadcast is valid for at most this long after issued_at */
	CK_LINK_BCAST_VALID_MAX	= 7 * 24 * 3600,
};

/*
 * The broadcast body, eContent of CK_LINK_BCAST_OID:
 * offset len
 *   0     4  magic "CKB4"
 *   4     1  format (1)
 *   5     3  zero
 *   8     8  version: 1..issued_at + valid_for (the counter limit)
 *  16     8  issued_at: unix seconds, server clock
 *  24     4  valid_for: seconds, 1..CK_LINK_BCAST_VALID_MAX
 *  28    32  server_id: SHA-256 of the signer certificate's DER
 *  60    65  Q_s: the server's ephemeral P-256 public key, uncompressed
 */
struct ck_link_bcast_body {
	uint64_t version;
	uint64_t issued_at;
	uint32_t valid_for;
	uint8_t server_id[CK_LINK_BCAST_SID_LEN];
	uint8_t pub[CK_LINK_BCAST_PUB_LEN];
};

/*
 * The device's share, eContent of CK_LINK_SHARE_OID:
 * offset len
 *   0     4  magic "CKD4"
 *   4     1  format (1)
 *   5     3  zero
 *   8    16  identity: 15 ASCII digits (Luhn), NUL
 *  24    32  SHA-256 of the OFFER body (the broadcast's DER)
 *  56    65  Q_d: the device's ephemeral P-256 public key, uncompressed
 * 121    16  the server's nonce of this connection (the NONCE frame)
 */
struct ck_link_share_body {
	char identity[CK_LINK_CMS_ID_LEN];
	uint8_t bcast_digest[32];
	uint8_t pub[CK_LINK_BCAST_PUB_LEN];
	uint8_t nonce[CK_LINK_BCAST_NONCE_LEN];
};

/* 0 or -EBADMSG (length, magic, format, zero fields, limits, identity). */
void ck_link_bcast_body_encode(const struct ck_link_bcast_body *b,
			       uint8_t out[CK_LINK_BCAST_BODY_LEN]);
int ck_link_bcast_body_decode(const uint8_t *in, size_t len, struct ck_link_bcast_body *b);
void ck_link_share_body_encode(const struct ck_link_share_body *b,
			       uint8_t out[CK_LINK_SHARE_LEN]);
int ck_link_share_body_decode(const uint8_t *in, size_t len, struct ck_link_share_body *b);

#endif /* _CHIPKEY_LINK_BCAST_H */
