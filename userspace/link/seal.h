/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A 32-byte secret encrypted to a P-256 public key (seal.c; ECIES as in
 * docs/service-link.md "Sealed secret"): an ephemeral key E, Z = ECDH(E,
 * recipient), K = HKDF-SHA256(Z, CK_LINK_CERT_SECRET_LABEL || E || R),
 * AES-256-GCM under K with a zero nonce (K is used once), AAD @aad.
 * 0 or -errno; ck_link_open: -EBADMSG if the tag does not verify.
 */
#ifndef CHIPKEY_LINK_SEAL_H
#define CHIPKEY_LINK_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <chipkey/link_messages.h>

int ck_link_seal(EVP_PKEY *to, const uint8_t secret[CK_LINK_SECRET_LEN],
		 const void *aad, size_t aad_len, uint8_t eph[CK_LINK_POINT_LEN],
		 uint8_t ct[CK_LINK_SECRET_LEN], uint8_t tag[CK_LINK_TAG_LEN]);
int ck_link_open(EVP_PKEY *own, const uint8_t eph[CK_LINK_POINT_LEN],
		 const uint8_t ct[CK_LINK_SECRET_LEN], const uint8_t tag[CK_LINK_TAG_LEN],
		 const void *aad, size_t aad_len, uint8_t secret[CK_LINK_SECRET_LEN]);

#endif /* CHIPKEY_LINK_SEAL_H */
