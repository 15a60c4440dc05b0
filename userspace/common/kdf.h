/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one userspace HKDF: HKDF-SHA256 (RFC 5869) with a salt of 32 zero
 * bytes (the same as no salt) and a 32-byte output, as used by the channel
 * key (docs/factory-pki.md) and every attestation derivation
 * (docs/attestation.md).  OpenSSL 3 EVP_KDF.  The emulator's backup wrap
 * keeps its own per-thread HKDF context (a random salt per package, and a
 * fetch per call would cost more than the crypto: emu/wrap.c).
 */
#ifndef CHIPKEY_COMMON_KDF_H
#define CHIPKEY_COMMON_KDF_H

#include <stddef.h>
#include <stdint.h>

#define CK_HKDF_OUT_LEN	32

/* 0, -ENOSYS (no HKDF in OpenSSL), -ENOMEM or -EIO (@out then zeroed). */
int ck_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		   size_t info_len, uint8_t out[CK_HKDF_OUT_LEN]);

/*
 * HKDF (RFC 5869) with the digest @md ("SHA256", "SHA384"), no salt (HashLen
 * zero bytes) and @out_len bytes of output.  Same errors as above.
 */
int ck_hkdf(const char *md, const uint8_t *ikm, size_t ikm_len,
	    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

#endif /* CHIPKEY_COMMON_KDF_H */
