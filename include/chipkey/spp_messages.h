/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chipkey provisioning protocol: the messages exchanged between a device
 * (chipkey-agent) and the secure processing point (chipkey-spp) over TLS 1.3.
 * Written down message by message in docs/provisioning-protocol.md.
 *
 * Every message is one frame, all integers big endian:
 *
 *   off len  field
 *     0   4  body length (bytes after this 8-byte header), <= CK_SPP_MAX_BODY
 *     4   2  message type (enum ck_spp_type)
 *     6   2  protocol version (CK_SPP_VERSION)
 *     8   n  body
 *
 * The exchange:
 *
 *   device                                   SPP
 *   HELLO(chip ID, ROM key fingerprint) ->
 *                                        <- OFFER(nonce, data package)
 *                                           | ALREADY(identity, backup, cert)
 *                                           | ERROR(code, text)
 *   BACKUP(backup package, proof)       ->
 *                                        <- DONE(identity, generation)
 *                                           | ERROR(code, text)
 *
 * proof = HMAC-SHA256(key = the data package's channel key,
 *                     CK_SPP_PROOF_LABEL || nonce || chip ID ||
 *                     SHA-256(data package as unwrapped from the backup) ||
 *                     SHA-256(backup package as sent in BACKUP))
 */
#ifndef _CHIPKEY_SPP_MESSAGES_H
#define _CHIPKEY_SPP_MESSAGES_H

#include <stdint.h>
#include <linux/chipkey.h>

#define CK_SPP_VERSION		1
#define CK_SPP_FRAME_HDR_LEN	8
/* Largest body: a BACKUP carrying the largest backup package, with room. */
#define CK_SPP_MAX_BODY		(CHIPKEY_MAX_PACKAGE + 1024)

enum ck_spp_type {
	CK_SPP_HELLO	= 0x0001,	/* device -> SPP */
	CK_SPP_OFFER	= 0x0002,	/* SPP -> device */
	CK_SPP_BACKUP	= 0x0003,	/* device -> SPP */
	CK_SPP_DONE	= 0x0004,	/* SPP -> device */
	CK_SPP_ALREADY	= 0x0005,	/* SPP -> device: already provisioned */
	CK_SPP_ERROR	= 0x00ff,	/* either direction */
};

#define CK_SPP_NONCE_LEN	32
#define CK_SPP_FP_LEN		32	/* SHA-256 */
#define CK_SPP_PROOF_LEN	32	/* HMAC-SHA256 */
#define CK_SPP_IDENTITY_LEN	15
#define CK_SPP_PROOF_LABEL	"chipkey v1 provisioning proof"
#define CK_SPP_PROOF_LABEL_LEN	(sizeof(CK_SPP_PROOF_LABEL) - 1)

/*
 * HELLO body (52 bytes, exact):
 *   0  16 chip ID (as read from the chip)
 *  16  32 SHA-256 of the ROM manufacturer public key (canonical DER SPKI)
 *  48   4 flags (0)
 */
#define CK_SPP_HELLO_LEN	(CHIPKEY_CHIP_ID_LEN + CK_SPP_FP_LEN + 4)

/*
 * OFFER body (36 + n bytes):
 *   0  32 nonce (random per session)
 *  32   4 data package length n (1 .. CHIPKEY_MAX_PAYLOAD)
 *  36   n data package (include/chipkey/data_package.h)
 */
#define CK_SPP_OFFER_FIXED	(CK_SPP_NONCE_LEN + 4)

/*
 * BACKUP body (4 + m + 32 bytes, exact):
 *   0   4 backup package length m (CHIPKEY_PKG_OVERHEAD+1 .. CHIPKEY_MAX_PACKAGE)
 *   4   m backup package (include/chipkey/backup_package.h)
 * 4+m  32 proof
 */
#define CK_SPP_BACKUP_FIXED	(4 + CK_SPP_PROOF_LEN)

/*
 * DONE body (23 bytes, exact):
 *   0  15 device identity (ASCII digits)
 *  15   8 generation
 */
#define CK_SPP_DONE_LEN		(CK_SPP_IDENTITY_LEN + 8)

/*
 * ALREADY body (31 + m + c bytes, exact):
 *   0  15 device identity
 *  15   8 generation of the latest public record
 *  23   4 backup length m, then m bytes of backup package
 *  27+m 4 certificate length c, then c bytes of device certificate (DER)
 */
#define CK_SPP_ALREADY_FIXED	(CK_SPP_IDENTITY_LEN + 8 + 4 + 4)
#define CK_SPP_MAX_CERT		16384

/*
 * ERROR body (4 + t bytes, exact):
 *   0   2 error code (enum ck_spp_err)
 *   2   2 text length t (0 .. CK_SPP_MAX_ERROR_TEXT), then t bytes of
 *         printable ASCII (never secret)
 */
#define CK_SPP_ERROR_FIXED	4
#define CK_SPP_MAX_ERROR_TEXT	256

enum ck_spp_err {
	CK_SPP_E_MALFORMED	= 1,	/* a frame or body does not parse */
	CK_SPP_E_VERSION	= 2,	/* unsupported protocol version */
	CK_SPP_E_UNEXPECTED	= 3,	/* wrong message type for this step */
	CK_SPP_E_TOO_LARGE	= 4,	/* body length over the limit */
	CK_SPP_E_WRONG_MFR	= 5,	/* ROM key fingerprint is not ours */
	CK_SPP_E_EXHAUSTED	= 6,	/* identity pool empty */
	CK_SPP_E_BAD_BACKUP	= 7,	/* not a backup package (code/version) */
	CK_SPP_E_WRONG_CHIP	= 8,	/* backup made for another chip */
	CK_SPP_E_BAD_LENGTH	= 9,	/* backup length != package + overhead */
	CK_SPP_E_BAD_PROOF	= 10,	/* unwrap proof does not verify */
	CK_SPP_E_CONFLICT	= 11,	/* store refused the commit */
	CK_SPP_E_INTERNAL	= 12,	/* SPP-side failure, retry later */
	CK_SPP_E_TIMEOUT	= 13,	/* a step took too long */
	CK_SPP_E_DEVICE		= 14,	/* device-side failure (device -> SPP) */
};

/* Per-step timeouts (seconds); chipkey-spp --timeout overrides the step one. */
#define CK_SPP_TIMEOUT_HANDSHAKE	10
#define CK_SPP_TIMEOUT_STEP		10	/* each frame read / write */
#define CK_SPP_TIMEOUT_SESSION		60	/* whole connection */

#endif /* _CHIPKEY_SPP_MESSAGES_H */
