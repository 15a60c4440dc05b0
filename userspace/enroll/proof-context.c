// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The context the chip MACs for an enrollment (proof.h): one definition,
 * linked into both chipkey-enroll (which checks it) and chipkey enroll
 * (whose chip answers it).
 */
#include <string.h>

#include "proof.h"

_Static_assert(sizeof(PROOF_LABEL_KEYGEN) == sizeof(PROOF_LABEL), "labels of one length");

void proof_context(uint8_t out[PROOF_CONTEXT_LEN], const uint8_t nonce[PROOF_NONCE_LEN],
		   const uint8_t cert_sha256[32], const uint8_t spki_sha256[32])
{
	proof_context_label(out, PROOF_LABEL, nonce, cert_sha256, spki_sha256);
}

void proof_context_label(uint8_t out[PROOF_CONTEXT_LEN], const char *label,
			 const uint8_t nonce[PROOF_NONCE_LEN], const uint8_t cert_sha256[32],
			 const uint8_t spki_sha256[32])
{
	memcpy(out, label, PROOF_LABEL_LEN);
	memcpy(out + PROOF_LABEL_LEN, nonce, PROOF_NONCE_LEN);
	memcpy(out + PROOF_LABEL_LEN + PROOF_NONCE_LEN, cert_sha256, 32);
	memcpy(out + PROOF_LABEL_LEN + PROOF_NONCE_LEN + 32, spki_sha256, 32);
}
