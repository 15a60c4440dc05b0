/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The secure link between a device and the device service server
 * (chipkey-service): the messages sent on the TCP connection before TLS
 * 1.3 starts, as typed structures.  Bytes of every message: docs/service-link.md;
 * the one encoder/decoder pair of each: userspace/link/messages.c.  All
 * integers big endian.  Callers fill and read these structures, never
 * byte offsets.
 *
 *   mode 1 (channel key):  nothing; the connection starts with the TLS
 *                          ClientHello (first byte 0x16), PSK identity
 *                          CK_LINK_CK_PSK_ID_PREFIX || identity
 *   modes 2-4:             HELLO (8 bytes), then the mode's pre-exchange
 *   mode 2 (certificates): server -> device  CERTS (its certificate, chain)
 *                          device -> server  AUTH(type DEVICE)
 *                          server -> device  AUTH(type SERVER) | RESYNC | ERROR
 *
 * Every mode-2 message is one frame: a 4-byte length, then the body (at
 * most CK_LINK_FRAME_MAX bytes).
 */
#ifndef _CHIPKEY_LINK_MESSAGES_H
#define _CHIPKEY_LINK_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

/* ---- HELLO: the first 8 bytes of a mode-2..4 connection */
#define CK_LINK_MAGIC		"CKLN"	/* never 0x16: a TLS record starts so */
#define CK_LINK_VERSION		1
#define CK_LINK_TLS_FIRST_BYTE	0x16	/* TLS handshake record: mode 1 */

enum ck_link_hello_lengths {
	CK_LINK_MAGIC_LEN	= 4,
	CK_LINK_HELLO_LEN	= 8,	/* magic, version, mode, 2 reserved (0) */
};

struct ck_link_hello {
	uint8_t version;
	uint8_t mode;		/* enum ck_link_mode_id (userspace/link/link.h) */
};

/* ---- mode 1: PSK identities (ASCII, followed by the 15-digit identity) */
#define CK_LINK_CK_PSK_ID_PREFIX	"chipkey-ck1:"		/* SHA-256 suites */
#define CK_LINK_CK384_PSK_ID_PREFIX	"chipkey-ck1-384:"	/* SHA-384 suites */
/* the 48-byte PSK of the SHA-384 identity: HKDF-SHA384(channel key, this) */
#define CK_LINK_CK384_LABEL		"chipkey link v1 channel key sha384"

/* ---- mode 2: AUTH */
#define CK_LINK_CERT_PSK_ID_PREFIX	"chipkey-cert:"
#define CK_LINK_CERT_SIG_LABEL		"chipkey link v1 cert auth"	/* signed first */
#define CK_LINK_CERT_SECRET_LABEL	"chipkey link v1 cert secret"	/* ECIES HKDF info */
#define CK_LINK_CERT_PSK_LABEL		"chipkey link v1 cert psk"	/* PSK HKDF info */
#define CK_LINK_RESYNC_SIG_LABEL	"chipkey link v1 cert resync"	/* signed first */
/* AUTH's own version byte: 2 added the seen field (an AUTH of version 1,
 * without it, is refused as malformed before anything else is checked) */
#define CK_LINK_AUTH_VERSION		2

enum ck_link_auth_type {
	CK_LINK_AUTH_DEVICE	= 0x01,	/* device -> server */
	CK_LINK_AUTH_SERVER	= 0x02,	/* server -> device */
	CK_LINK_AUTH_CERTS	= 0x03,	/* server -> device, first */
	CK_LINK_AUTH_RESYNC	= 0x04,	/* server -> device: counter stale or out of range */
	CK_LINK_AUTH_ERROR	= 0xff,	/* server -> device: refused */
};

enum ck_link_auth_lengths {
	CK_LINK_FRAME_HDR	= 4,		/* u32 body length */
	CK_LINK_FRAME_MAX	= 8192,		/* larger: refused before reading */
	CK_LINK_CERT_MAX	= 3072,		/* one DER certificate */
	CK_LINK_ID_MAX		= 64,		/* identifier, peer */
	CK_LINK_NONCE_LEN	= 32,
	CK_LINK_HASH_LEN	= 32,		/* SHA-256 */
	CK_LINK_POINT_LEN	= 65,		/* uncompressed P-256 */
	CK_LINK_SECRET_LEN	= 32,
	CK_LINK_TAG_LEN		= 16,		/* AES-256-GCM */
	CK_LINK_SIG_MAX		= 80,		/* DER ECDSA P-256 (<= 72) */
	CK_LINK_ERR_TEXT_MAX	= 200,
};

/*
 * AUTH body:
 *   type u8, version u8 (CK_LINK_AUTH_VERSION),
 *   cert_len u16, cert (DER), chain_len u16, chain (DER issuing CA, or none),
 *   id_len u8, id, peer_len u8, peer,
 *   counter u64, seen u64, nonce[32], transcript[32],
 *   eph[65], sealed[32], tag[16],          (the secret, to the peer's key)
 *   sig_len u16, sig                      (over LABEL || body up to sig_len)
 */
struct ck_link_auth {
	uint8_t type;			/* DEVICE or SERVER */
	const uint8_t *cert;		/* decode: points into the buffer */
	size_t cert_len;
	const uint8_t *chain;
	size_t chain_len;		/* 0: none */
	char id[CK_LINK_ID_MAX + 1];	/* the sender: device identity, server CN */
	char peer[CK_LINK_ID_MAX + 1];	/* the receiver ("" from a device) */
	uint64_t counter;		/* the sender's, strictly increasing */
	uint64_t seen;			/* DEVICE: the highest server counter it
					 * has stored (0: none); SERVER: 0 */
	uint8_t nonce[CK_LINK_NONCE_LEN];
	uint8_t transcript[CK_LINK_HASH_LEN];	/* SERVER: SHA-256(device body) */
	uint8_t eph[CK_LINK_POINT_LEN];
	uint8_t sealed[CK_LINK_SECRET_LEN];
	uint8_t tag[CK_LINK_TAG_LEN];
	size_t signed_len;		/* decode: body bytes the signature covers */
	uint8_t sig[CK_LINK_SIG_MAX];
	size_t sig_len;
};

/* CERTS body: type u8 (0x03), version u8, cert_len u16, cert, chain_len
 * u16, chain (both DER; the chain is the issuing CA). */
struct ck_link_certs {
	const uint8_t *cert;
	size_t cert_len;
	const uint8_t *chain;
	size_t chain_len;
};

/*
 * RESYNC body: type u8 (0x04), version u8, highest u64 (the device's
 * highest counter the server has accepted), transcript[32] (SHA-256 of the
 * refused AUTH body), sig_len u16, sig (service key, over
 * CK_LINK_RESYNC_SIG_LABEL || the body up to sig_len).
 */
struct ck_link_resync {
	uint64_t highest;
	uint8_t transcript[CK_LINK_HASH_LEN];
	size_t signed_len;	/* decode */
	uint8_t sig[CK_LINK_SIG_MAX];
	size_t sig_len;
};

/* ERROR body: type u8 (0xff), version u8, code u8, text_len u8, text. */
enum ck_link_error_code {
	CK_LINK_ERR_MALFORMED	= 1,
	CK_LINK_ERR_CERT	= 2,	/* certificate refused */
	CK_LINK_ERR_SIGNATURE	= 3,
	CK_LINK_ERR_REPLAY	= 4,	/* counter refused (server: seen out of range) */
	CK_LINK_ERR_SECRET	= 5,	/* the secret does not open */
	CK_LINK_ERR_INTERNAL	= 6,
};

struct ck_link_error {
	uint8_t code;
	char text[CK_LINK_ERR_TEXT_MAX + 1];
};

/*
 * ---- the persistent counters of mode 2 (a storage format; files of the
 * state directory, docs/service-link.md "Replay protection"):
 *   highest u64, window u64 (bit i: highest - 1 - i seen; server per-device
 *   files only, else 0)
 */
enum ck_link_counter_file {
	CK_LINK_COUNTER_FILE_LEN	= 16,
	CK_LINK_COUNTER_WINDOW_BITS	= 64,
};

#endif /* _CHIPKEY_LINK_MESSAGES_H */
