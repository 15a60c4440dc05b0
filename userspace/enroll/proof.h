/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The chip proof of an enrollment (docs/enrollment.md, "The chip proof"):
 * the one-time challenges the node hands out, the context the chip MACs
 * with ATTEST, and the Chipkey-Attest header that carries the answer.
 */
#ifndef CHIPKEY_ENROLL_PROOF_H
#define CHIPKEY_ENROLL_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/chipkey.h>
#include <openssl/evp.h>

#define PROOF_NONCE_LEN		32
#define PROOF_LABEL		"chipkey est enroll v1"
#define PROOF_LABEL_LEN		(sizeof(PROOF_LABEL) - 1)
/* serverkeygen's label: its own, of the same length (docs/enrollment.md) */
#define PROOF_LABEL_KEYGEN	"chipkey est keygen v1"
/* label || nonce || SHA-256(factory cert DER) || SHA-256(CSR SPKI DER) */
#define PROOF_CONTEXT_LEN	(PROOF_LABEL_LEN + PROOF_NONCE_LEN + 32 + 32)
#define PROOF_HEADER		"Chipkey-Attest"
#define PROOF_MAX_PENDING	2048	/* challenges outstanding at once */
#define PROOF_PER_CERT		2	/* of one certificate (proof_challenge) */

/*
 * The value of the Chipkey-Attest header: the nonce (64 hex digits), one
 * space, the MAC (64 hex digits), nothing else.  0 or -EINVAL.
 */
int proof_parse_header(const char *s, uint8_t nonce[PROOF_NONCE_LEN],
		       uint8_t mac[CHIPKEY_MAC_LEN]);

/* The context the chip MACs (simpleenroll: PROOF_LABEL). */
void proof_context(uint8_t out[PROOF_CONTEXT_LEN], const uint8_t nonce[PROOF_NONCE_LEN],
		   const uint8_t cert_sha256[32], const uint8_t spki_sha256[32]);
/* The same with @label (PROOF_LABEL or PROOF_LABEL_KEYGEN: PROOF_LABEL_LEN bytes). */
void proof_context_label(uint8_t out[PROOF_CONTEXT_LEN], const char *label,
			 const uint8_t nonce[PROOF_NONCE_LEN], const uint8_t cert_sha256[32],
			 const uint8_t spki_sha256[32]);

/* The pending challenges of a running node (single-threaded). */
struct proof_table;
struct proof_table *proof_table_new(void);
void proof_table_free(struct proof_table *t);

/*
 * A challenge for the device whose certificate hashes to @cert_sha256: its
 * nonce, the verifier key V (the node keeps v) and its expiry.  The
 * device's newest challenge again while more than @ttl / 2 seconds of it
 * are left, else a new one valid until @now + @ttl; a device's challenge
 * is never forgotten before it expires (at most PROOF_PER_CERT at once).
 * 0, -EBUSY (PROOF_MAX_PENDING challenges unexpired) or -EIO.
 */
int proof_challenge(struct proof_table *t, const uint8_t cert_sha256[32], time_t now,
		    int ttl, uint8_t nonce[PROOF_NONCE_LEN], uint8_t v[CHIPKEY_EC_POINT_LEN],
		    time_t *expires);

/*
 * Check the chip's answer: the challenge @nonce exists, was handed to this
 * certificate, has not expired, and @mac is the ATTEST answer of the chip
 * (Q, chip ID) to the context of (@nonce, @cert_sha256, @spki_sha256).
 * 0, and the challenge is used up; -ENOENT unknown or used; -ETIME expired
 * (forgotten); -EKEYREJECTED handed to another certificate; -EBADMSG wrong
 * MAC; -EINVAL bad Q.  A refusal other than -ETIME leaves the challenge to
 * its device.
 */
int proof_verify(struct proof_table *t, const uint8_t nonce[PROOF_NONCE_LEN],
		 const uint8_t cert_sha256[32], const uint8_t spki_sha256[32],
		 const uint8_t q[CHIPKEY_EC_POINT_LEN],
		 const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN], time_t now,
		 const uint8_t mac[CHIPKEY_MAC_LEN]);
/* The same for the context of @label (proof_context_label). */
int proof_verify_label(struct proof_table *t, const char *label,
		       const uint8_t nonce[PROOF_NONCE_LEN], const uint8_t cert_sha256[32],
		       const uint8_t spki_sha256[32], const uint8_t q[CHIPKEY_EC_POINT_LEN],
		       const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN], time_t now,
		       const uint8_t mac[CHIPKEY_MAC_LEN]);

#endif /* CHIPKEY_ENROLL_PROOF_H */
