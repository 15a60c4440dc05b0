/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Secure link mode 3 (docs/service-link-cms.md): a signed secret, sent
 * encrypted to the receiver (Toshiba claims 1-8), in a standard container,
 * CMS SignedData inside EnvelopedData with ECDH key agreement (kari), so
 * that `openssl cms` makes and reads these messages.
 *
 * This header holds the wire formats of modes 3 and 4: the frame every
 * pre-exchange message travels in (shared with mode 4,
 * <chipkey/link_bcast.h>), the signed content (eContent) of a mode-3
 * message, and the device's persisted high-water mark.  The one
 * encoder/decoder pair of each is userspace/link/link-cms-msg.c.  All
 * integers big endian.
 *
 *   device                                   server
 *   HELLO(device certificate DER)       ->   chained to the ROM key?
 *                                        <-  SECRET: Env(kari to device cert,
 *                                              Signed(service key,
 *                                                body{to=device, identity,
 *                                                issued_at, valid_for, seq,
 *                                                nonce, secret_s}))
 *   SECRET: Env(kari to service cert,   ->   signer == HELLO's certificate,
 *     Signed(device key, body{to=server,      echoes identity, issued_at,
 *       same identity, issued_at, valid_for,  valid_for, seq, nonce
 *       seq, nonce, secret_d}))
 *   PSK = HKDF-SHA256(secret_s || secret_d, CK_LINK_CMS_LABEL || nonce
 *                     || identity)
 */
#ifndef _CHIPKEY_LINK_CMS_H
#define _CHIPKEY_LINK_CMS_H

#include <stddef.h>
#include <stdint.h>

/* ---- the frame: 4-byte header, then the body ---- */
enum ck_link_frame_type {
	CK_LINK_CMS_HELLO	= 0x31,	/* device -> server: certificate DER */
	CK_LINK_CMS_SECRET	= 0x32,	/* either way: EnvelopedData DER */
	CK_LINK_BCAST_OFFER	= 0x41,	/* server -> device: broadcast DER */
	CK_LINK_BCAST_SHARE	= 0x42,	/* device -> server: SignedData DER */
	CK_LINK_BCAST_NONCE	= 0x43,	/* server -> device: 16 random bytes */
};

enum ck_link_frame_lengths {
	CK_LINK_FRAME_HDR_LEN	= 4,	/* type u8, zero u8, body length u16 */
	CK_LINK_FRAME_MAX	= 16384,	/* largest body accepted */
};

struct ck_link_frame_hdr {
	uint8_t type;		/* enum ck_link_frame_type */
	uint16_t len;		/* body length, <= CK_LINK_FRAME_MAX */
};

/* ---- the signed content of a mode-3 SECRET ---- */

/* eContentType of the SignedData: under the UUID arc 2.25 (X.667). */
#define CK_LINK_CMS_BODY_OID	"2.25.50593145492255432379104894009516897939"
#define CK_LINK_CMS_MAGIC	"CKL3"
#define CK_LINK_CMS_VERSION	1
/* HKDF info label of the mode-3 PSK */
#define CK_LINK_CMS_LABEL	"chipkey link mode 3 psk v1"
/* the latest issued_at of modes 3 and 4 (2106-02-07): the bound of the
 * high-water marks (docs/service-link-cms.md "Counter limits") */
#define CK_LINK_TIME_MAX	UINT64_C(0xffffffff)

enum ck_link_cms_dir {
	CK_LINK_CMS_TO_DEVICE	= 1,	/* claims 1-7: server -> terminal */
	CK_LINK_CMS_TO_SERVER	= 2,	/* claim 8: terminal -> server */
};

enum ck_link_cms_lengths {
	CK_LINK_CMS_ID_LEN	= 16,	/* 15 digits + NUL */
	CK_LINK_CMS_NONCE_LEN	= 16,
	CK_LINK_CMS_SECRET_LEN	= 32,
	CK_LINK_CMS_BODY_LEN	= 96,
	/* a message is valid for at most this long after issued_at */
	CK_LINK_CMS_VALID_MAX	= 3600,
	/* issued_at may be this far ahead of a set device clock */
	CK_LINK_CMS_SKEW	= 300,
	/* seq units per second of issued_at: seq <= (issued_at + valid_for)
	 * * CK_LINK_SEQ_PER_SEC, so that no signed message can push the mark
	 * further than its own time (docs "Counter limits") */
	CK_LINK_SEQ_PER_SEC	= 1000000,
	/* the largest EnvelopedData / SignedData accepted */
	CK_LINK_CMS_MSG_MAX	= CK_LINK_FRAME_MAX,
};

/*
 * offset len
 *   0     4  magic "CKL3"
 *   4     1  version (1)
 *   5     1  dir (enum ck_link_cms_dir)
 *   6     2  zero
 *   8    16  identity: 15 ASCII digits (Luhn), NUL
 *  24     8  issued_at: server's clock, unix seconds
 *  32     4  valid_for: seconds, 1..CK_LINK_CMS_VALID_MAX
 *  36     4  zero
 *  40     8  seq: server's sequence, strictly increasing per device,
 *            at most (issued_at + valid_for) * CK_LINK_SEQ_PER_SEC
 *  48    16  nonce: server's, fresh per connection
 *  64    32  secret
 */
struct ck_link_cms_body {
	uint8_t dir;
	char identity[CK_LINK_CMS_ID_LEN];
	uint64_t issued_at;
	uint32_t valid_for;
	uint64_t seq;
	uint8_t nonce[CK_LINK_CMS_NONCE_LEN];
	uint8_t secret[CK_LINK_CMS_SECRET_LEN];
};

/* ---- the device's high-water mark, in its state directory ---- */
/* 8 bytes: the highest seq (mode 3) / version (mode 4) accepted */
#define CK_LINK_CMS_STATE_FILE	"link-cms.seq"
#define CK_LINK_HW_LEN		8

/* 1 if the @n bytes at @p are all zero (the reserved fields). */
static inline int ck_link_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n--)
		acc |= *p++;
	return acc == 0;
}

/*
 * The one encoder/decoder pair (link-cms-msg.c).  Decoding checks the
 * length, magic, version, zero fields, dir, the identity's form (15
 * digits, Luhn, NUL), 1 <= valid_for <= CK_LINK_CMS_VALID_MAX,
 * issued_at <= CK_LINK_TIME_MAX and the seq bound above: 0 or -EBADMSG.
 */
void ck_link_cms_body_encode(const struct ck_link_cms_body *b,
			     uint8_t out[CK_LINK_CMS_BODY_LEN]);
int ck_link_cms_body_decode(const uint8_t *in, size_t len, struct ck_link_cms_body *b);

void ck_link_frame_hdr_encode(const struct ck_link_frame_hdr *h,
			      uint8_t out[CK_LINK_FRAME_HDR_LEN]);
/* 0, or -EBADMSG (nonzero reserved byte), -EMSGSIZE (too long). */
int ck_link_frame_hdr_decode(const uint8_t in[CK_LINK_FRAME_HDR_LEN],
			     struct ck_link_frame_hdr *h);

#endif /* _CHIPKEY_LINK_CMS_H */
