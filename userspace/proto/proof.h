/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The provisioning proof (include/chipkey/spp_messages.h): the device
 * computes it over the data package it unwrapped from its own backup; the
 * SPP checks it over the data package it offered.
 *
 *   proof = HMAC-SHA256(key = channel key of the data package,
 *                       CK_SPP_PROOF_LABEL || nonce || chip ID ||
 *                       SHA-256(data package) || SHA-256(backup package))
 */
#ifndef CHIPKEY_PROTO_PROOF_H
#define CHIPKEY_PROTO_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include <chipkey/spp_messages.h>

/* What a proof binds: this session, this chip, this package, this backup. */
struct spp_proof_input {
	const uint8_t *nonce;		/* CK_SPP_NONCE_LEN bytes (the OFFER's) */
	const uint8_t *chip_id;		/* CHIPKEY_CHIP_ID_LEN bytes */
	const uint8_t *dp;		/* encoded data package (holds the channel key) */
	size_t dp_len;
	const uint8_t *backup;		/* backup package as sent in BACKUP */
	size_t backup_len;
};

/* 0, -EINVAL (no channel key in the package) or -EIO. */
int spp_proof_compute(const struct spp_proof_input *in, uint8_t out[CK_SPP_PROOF_LEN]);

/* 0 if @proof is right (constant-time compare), -EBADMSG if not, or as above. */
int spp_proof_check(const struct spp_proof_input *in, const uint8_t proof[CK_SPP_PROOF_LEN]);

/* SHA-256 of @buf.  0 or -EIO. */
int spp_sha256(const void *buf, size_t len, uint8_t out[CK_SPP_FP_LEN]);

#endif /* CHIPKEY_PROTO_PROOF_H */
