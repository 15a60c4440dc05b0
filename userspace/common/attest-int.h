/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the attestation code (attest-crypto.c, attest-chip.c,
 * attest-sender.c): what more than one of its files uses.  Not an API.
 */
#ifndef CHIPKEY_COMMON_ATTEST_INT_H
#define CHIPKEY_COMMON_ATTEST_INT_H

#include <stdint.h>
#include <stddef.h>

#include "common/attest.h"

#define P256_NAME "prime256v1"

/* K = HKDF(Z, label || chip ID || p1 || p2) */
int ck_att_derive_points(const uint8_t z[CK_ATT_SECRET_LEN], const char *label,
			 const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			 const uint8_t p1[CHIPKEY_EC_POINT_LEN],
			 const uint8_t p2[CHIPKEY_EC_POINT_LEN],
			 uint8_t key[CK_ATT_KEY_LEN]);

/* ATTEST MAC from Z: both sides. */
int ck_att_attest_mac(const uint8_t z[CK_ATT_SECRET_LEN],
		      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		      const uint8_t q[CHIPKEY_EC_POINT_LEN],
		      const uint8_t v[CHIPKEY_EC_POINT_LEN], const void *ctx,
		      size_t ctx_len, uint8_t mac[CHIPKEY_MAC_LEN]);

/*
 * One AES-256-GCM pass over a sealed package body.  @enc: encrypt and write
 * the tag; else decrypt and check it (-EBADMSG).
 */
int ck_att_seal_gcm(int enc, const uint8_t key[CK_ATT_KEY_LEN],
		    const uint8_t nonce[CK_SEAL_NONCE_LEN],
		    const uint8_t aad[CHIPKEY_SEAL_HEADER_LEN], const uint8_t *in,
		    size_t len, uint8_t *out, uint8_t tag[CHIPKEY_PKG_TAG_LEN]);

#endif /* CHIPKEY_COMMON_ATTEST_INT_H */
