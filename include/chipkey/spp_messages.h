/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chipkey provisioning protocol: the messages exchanged between a device
 * (chipkey-agent) and the secure processing point (chipkey-spp) over TLS 1.3,
 * as typed structures.  The bytes of every message are tabled in
 * docs/provisioning-protocol.md; the one encoder/decoder pair per message is
 * userspace/proto/messages.c (framing: proto/frame.c, SEALED_WRAP context: proto/context.c).
 * Callers fill and read these structures, never byte offsets.
 *
 * Every message is one frame (struct ck_spp_header, then the body), all
 * integers big endian.
 *
 * The exchange (version 2, attested provisioning):
 *
 *   device                                   SPP
 *   HELLO(chip ID, ROM key fingerprint,
 *         attestation key Q)            ->   chip must be in a loaded batch
 *                                        <- OFFER(nonce, device certificate,
 *                                                 data package sealed to Q)
 *                                           | ALREADY(identity, backup, cert)
 *                                           | ERROR(code, text)
 *   BACKUP(backup package, chip MAC)    ->
 *                                        <- DONE(identity, generation)
 *                                           | ERROR(code, text)
 *
 * The device opens nothing itself: SEALED_WRAP (include/uapi/linux/chipkey.h)
 * has the chip open the sealed package, wrap it (generation 1) and answer
 * the backup and
 *   MAC = HMAC(K2, SHA-256(backup) || SHA-256(data package) || context),
 *   context = CK_SPP_WRAP_LABEL || nonce
 * where K2 comes from ECDH with the SPP's ephemeral sealing key
 * (docs/attestation.md).  Only a chip holding Q's private key makes it.
 */
#ifndef _CHIPKEY_SPP_MESSAGES_H
#define _CHIPKEY_SPP_MESSAGES_H

#include <stddef.h>
#include <stdint.h>
#include <linux/chipkey.h>

#define CK_SPP_VERSION		2
/* the label that starts the SEALED_WRAP context of a provisioning session */
#define CK_SPP_WRAP_LABEL	"chipkey v2 provisioning"

enum ck_spp_type {
	CK_SPP_HELLO	= 0x0001,	/* device -> SPP */
	CK_SPP_OFFER	= 0x0002,	/* SPP -> device */
	CK_SPP_BACKUP	= 0x0003,	/* device -> SPP */
	CK_SPP_DONE	= 0x0004,	/* SPP -> device */
	CK_SPP_ALREADY	= 0x0005,	/* SPP -> device: already provisioned */
	CK_SPP_ERROR	= 0x00ff,	/* either direction */
};

/* Field sizes on the wire. */
enum ck_spp_field_lengths {
	CK_SPP_LEN_U16		= 2,
	CK_SPP_LEN_U32		= 4,	/* lengths and flags */
	CK_SPP_LEN_U64		= 8,	/* generations */
	CK_SPP_NONCE_LEN	= 32,
	CK_SPP_FP_LEN		= 32,	/* SHA-256 */
	CK_SPP_MAC_LEN		= CHIPKEY_MAC_LEN,	/* the chip's MAC */
	CK_SPP_ATTEST_PUB_LEN	= CHIPKEY_EC_POINT_LEN,	/* Q, uncompressed */
	CK_SPP_IDENTITY_LEN	= 15,	/* ASCII digits */
	CK_SPP_WRAP_LABEL_LEN	= sizeof(CK_SPP_WRAP_LABEL) - 1,
	/* the SEALED_WRAP context: label || nonce */
	CK_SPP_WRAP_CTX_LEN	= CK_SPP_WRAP_LABEL_LEN + CK_SPP_NONCE_LEN,
};

/* Message lengths and limits. */
enum ck_spp_message_lengths {
	/* length u32 + type u16 + version u16 */
	CK_SPP_FRAME_HDR_LEN	= CK_SPP_LEN_U32 + 2 * CK_SPP_LEN_U16,
	CK_SPP_MAX_CERT		= 16384,
	/* largest body: an OFFER with the largest certificate and sealed
	 * package (a BACKUP is smaller), with room */
	CK_SPP_MAX_BODY		= CHIPKEY_MAX_SEALED + 2 * CK_SPP_MAX_CERT + 1024,
	/* chip ID + ROM key fingerprint + Q + flags: exact */
	CK_SPP_HELLO_LEN	= CHIPKEY_CHIP_ID_LEN + CK_SPP_FP_LEN +
				  CK_SPP_ATTEST_PUB_LEN + CK_SPP_LEN_U32,
	/* nonce + certificate length (+ certificate) + issuing CA certificate
	 * length (+ it) + sealed length (+ sealed) */
	CK_SPP_OFFER_FIXED	= CK_SPP_NONCE_LEN + 3 * CK_SPP_LEN_U32,
	/* backup length, the backup package, then the chip's MAC */
	CK_SPP_BACKUP_FIXED	= CK_SPP_LEN_U32 + CK_SPP_MAC_LEN,
	/* identity + generation: exact */
	CK_SPP_DONE_LEN		= CK_SPP_IDENTITY_LEN + CK_SPP_LEN_U64,
	/* identity + generation + backup length + certificate length */
	CK_SPP_ALREADY_FIXED	= CK_SPP_IDENTITY_LEN + CK_SPP_LEN_U64 + 2 * CK_SPP_LEN_U32,
	/* code u16 + text length u16, then the text */
	CK_SPP_ERROR_FIXED	= 2 * CK_SPP_LEN_U16,
	CK_SPP_MAX_ERROR_TEXT	= 256,
};

/* The frame header (8 bytes). */
struct ck_spp_header {
	uint32_t body_len;		/* <= CK_SPP_MAX_BODY */
	uint16_t type;			/* enum ck_spp_type */
	uint16_t version;		/* CK_SPP_VERSION */
};

/* HELLO (device -> SPP): which chip asks, for which manufacturer. */
struct ck_spp_hello {
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];	/* as read from the chip */
	uint8_t rom_fp[CK_SPP_FP_LEN];		/* SHA-256 of the ROM key (DER SPKI) */
	uint8_t attest_pub[CK_SPP_ATTEST_PUB_LEN]; /* Q (CHIPKEY_IOC_ATTEST_KEY) */
	uint32_t flags;				/* 0 */
};

/*
 * The variable parts of the messages below are pointers into the frame body
 * they were decoded from (valid until that frame is cleared), or into the
 * caller's buffers when encoding.
 */

/*
 * OFFER (SPP -> device): the device certificate and the issuing CA
 * certificate that signed it (public: the device checks the chain up to
 * its ROM key before anything is wrapped) and the data package sealed to
 * the chip, in this session.
 */
struct ck_spp_offer {
	uint8_t nonce[CK_SPP_NONCE_LEN];	/* random per session */
	const uint8_t *cert;			/* device certificate, DER */
	size_t cert_len;			/* 1 .. CK_SPP_MAX_CERT */
	const uint8_t *ca_cert;			/* issuing CA certificate, DER */
	size_t ca_cert_len;			/* 1 .. CK_SPP_MAX_CERT */
	const uint8_t *sealed;			/* CKSEALED package, chipkey/attest.h */
	size_t sealed_len;			/* CHIPKEY_SEAL_OVERHEAD + 1 .. */
};						/* ... CHIPKEY_MAX_SEALED */

/* BACKUP (device -> SPP): what SEALED_WRAP answered: backup and MAC. */
struct ck_spp_backup {
	const uint8_t *backup;			/* include/chipkey/backup_package.h */
	size_t backup_len;
	uint8_t mac[CK_SPP_MAC_LEN];
};

/* DONE (SPP -> device): committed. */
struct ck_spp_done {
	char identity[CK_SPP_IDENTITY_LEN + 1];	/* NUL-terminated */
	uint64_t generation;
};

/* ALREADY (SPP -> device): provisioned before; the latest public record. */
struct ck_spp_already {
	char identity[CK_SPP_IDENTITY_LEN + 1];	/* NUL-terminated */
	uint64_t generation;
	const uint8_t *backup;
	size_t backup_len;
	const uint8_t *cert;			/* device certificate, DER */
	size_t cert_len;
};

/* ERROR (either direction): why the sender gives up; then both close. */
struct ck_spp_error {
	uint16_t code;				/* enum ck_spp_err */
	/* printable ASCII, never secret; decoded: NUL-terminated, sanitized */
	char text[CK_SPP_MAX_ERROR_TEXT + 1];
};

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
	CK_SPP_E_BAD_PROOF	= 10,	/* the chip's MAC does not verify */
	CK_SPP_E_CONFLICT	= 11,	/* store refused the commit */
	CK_SPP_E_INTERNAL	= 12,	/* SPP-side failure, retry later */
	CK_SPP_E_TIMEOUT	= 13,	/* a step took too long */
	CK_SPP_E_DEVICE		= 14,	/* device-side failure (device -> SPP) */
	CK_SPP_E_NOT_IN_BATCH	= 15,	/* chip not in a loaded batch, or another Q */
};

/* Per-step timeouts (seconds); chipkey-spp --timeout overrides the step one. */
enum ck_spp_timeouts {
	CK_SPP_TIMEOUT_HANDSHAKE	= 10,
	CK_SPP_TIMEOUT_STEP		= 10,	/* each frame read / write */
	CK_SPP_TIMEOUT_SESSION		= 60,	/* whole connection */
};

#endif /* _CHIPKEY_SPP_MESSAGES_H */
