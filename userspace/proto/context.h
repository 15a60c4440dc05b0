/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What both ends of the provisioning protocol compute alike
 * (include/chipkey/spp_messages.h): the context the device gives SEALED_WRAP
 * and the SPP checks the chip's MAC with, and the SHA-256 of the ROM key.
 *
 *   context = CK_SPP_WRAP_LABEL || nonce of the OFFER
 *
 * The MAC itself is the chip's (docs/attestation.md, "SEALED_WRAP"); the
 * SPP checks it with ck_att_sealed_wrap_verify() (common/attest.h).
 */
#ifndef CHIPKEY_PROTO_CONTEXT_H
#define CHIPKEY_PROTO_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include <chipkey/spp_messages.h>

/* The SEALED_WRAP context of the session whose OFFER carried @nonce. */
void spp_wrap_context(const uint8_t nonce[CK_SPP_NONCE_LEN],
		      uint8_t out[CK_SPP_WRAP_CTX_LEN]);

/* SHA-256 of @buf.  0 or -EIO. */
int spp_sha256(const void *buf, size_t len, uint8_t out[CK_SPP_FP_LEN]);

#endif /* CHIPKEY_PROTO_CONTEXT_H */
