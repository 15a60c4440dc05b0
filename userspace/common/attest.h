/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The chip attestation key in userspace: the one implementation of the
 * derivations of include/chipkey/attest.h (docs/attestation.md) on OpenSSL 3
 * EVP, for both sides:
 *
 *  - the chip (chipkey-emu): derive the attestation key from the fuses,
 *    answer ATTEST, open a sealed package and MAC a sealed wrap, CHIP_MAC;
 *  - the verifier / sender (chipkey CLI, chipkey-spp): make an ephemeral
 *    key, compute the expected ATTEST MAC, seal a data package to a chip,
 *    verify a sealed-wrap MAC.
 *
 * Points are SEC1 uncompressed encodings (CHIPKEY_EC_POINT_LEN bytes).
 * Every function returns 0 or a negative errno; -EINVAL for a point that is
 * not on P-256 (bad prefix, coordinate >= p, not on the curve, infinity).
 * Every secret (scalar, shared secret, derived key, plaintext on failure) is
 * wiped with OPENSSL_cleanse before it goes out of scope.
 */
#ifndef CHIPKEY_COMMON_ATTEST_H
#define CHIPKEY_COMMON_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <linux/chipkey.h>
#include <chipkey/attest.h>
#include <openssl/evp.h>

/* ---- primitives */

/* HKDF-SHA256(ikm, salt = 32 zero bytes, info) -> 32 bytes. */
int ck_att_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		size_t info_len, uint8_t out[CK_ATT_KEY_LEN]);

/* One part of a MAC input. */
struct ck_att_part {
	const void *p;
	size_t len;
};

/* HMAC-SHA256(key, part 0 || part 1 || ...). */
int ck_att_hmac(const uint8_t key[CK_ATT_KEY_LEN], const struct ck_att_part *parts,
		size_t n, uint8_t mac[CHIPKEY_MAC_LEN]);

/* 0 if @pub encodes a point of P-256 other than infinity (uncompressed),
 * else -EINVAL: the check ck_att_pub_to_pkey makes, without a key */
int ck_att_point_check(const uint8_t pub[CHIPKEY_EC_POINT_LEN]);
/*
 * The P-256 public key of a SEC1 uncompressed point.  -EINVAL unless @pub
 * is 0x04 || X || Y with X, Y < p, on the curve (so never infinity).
 */
int ck_att_pub_to_pkey(const uint8_t pub[CHIPKEY_EC_POINT_LEN], EVP_PKEY **out);

/* The SEC1 uncompressed point of a P-256 key (-EINVAL if not P-256). */
int ck_att_pkey_to_pub(const EVP_PKEY *pkey, uint8_t pub[CHIPKEY_EC_POINT_LEN]);

/*
 * A P-256 public key as found in a file: PEM SubjectPublicKeyInfo, DER
 * SubjectPublicKeyInfo, the 65 raw bytes of the point, or its 130 hex
 * digits (optionally followed by a newline).  The point is validated.
 * 0 or -EINVAL.
 */
int ck_att_parse_pub(const uint8_t *buf, size_t len,
		     uint8_t pub[CHIPKEY_EC_POINT_LEN]);

/* x coordinate of priv * peer (32 bytes, big endian); -EINVAL for a bad peer. */
int ck_att_ecdh(EVP_PKEY *priv, const uint8_t peer[CHIPKEY_EC_POINT_LEN],
		uint8_t z[CK_ATT_SECRET_LEN]);

/* A fresh P-256 key pair (what EVP_PKEY_Q_keygen(NULL, NULL, "EC",
 * "P-256") makes, from a template of the curve made once), or NULL. */
EVP_PKEY *ck_att_p256_keygen(void);

/* A fresh P-256 key pair (ephemeral key of a verifier or sender). */
int ck_att_ephemeral(EVP_PKEY **priv, uint8_t pub[CHIPKEY_EC_POINT_LEN]);

/* PEM PKCS#8 of a private key, NUL-terminated (OPENSSL_clear_free it). */
int ck_att_priv_to_pem(const EVP_PKEY *priv, char **pem, size_t *len);

/* PEM SubjectPublicKeyInfo of a point, NUL-terminated (free() it). */
int ck_att_pub_to_pem(const uint8_t pub[CHIPKEY_EC_POINT_LEN], char **pem,
		      size_t *len);

/* ---- the chip side */

/*
 * The attestation scalar: the first HKDF output k_i, i = 1..16, for which
 * ck_att_scalar_ok() holds.  -EDOM if none (the chip is unusable).
 */
int ck_att_scalar(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		  const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN],
		  uint8_t k[CK_ATT_SCALAR_LEN]);

/* The chip's attestation key, derived once (ck_att_key_init). */
struct ck_att_key {
	EVP_PKEY *priv;					/* k */
	uint8_t pub[CHIPKEY_EC_POINT_LEN];		/* Q = k G */
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
};

/* Derive k and Q from the fuses.  0, -EDOM, -ENOMEM or -EIO. */
int ck_att_key_init(struct ck_att_key *a,
		    const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		    const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN]);

/* Private key (and Q) of a given scalar (must be in [1, n-1]). */
int ck_att_key_from_scalar(const uint8_t k[CK_ATT_SCALAR_LEN], EVP_PKEY **priv,
			   uint8_t pub[CHIPKEY_EC_POINT_LEN]);

/* Free the private key and wipe @a (safe on a zeroed struct). */
void ck_att_key_free(struct ck_att_key *a);

/* ATTEST: HMAC(K(Z(k, V)), context); -EINVAL if V is not a valid point. */
int ck_att_attest(const struct ck_att_key *a,
		  const uint8_t v[CHIPKEY_EC_POINT_LEN], const void *ctx,
		  size_t ctx_len, uint8_t mac[CHIPKEY_MAC_LEN]);

/*
 * Open a sealed package whose header @h was parsed and checked (chip ID
 * ours) by the caller: -EINVAL if E is not a valid point, -EBADMSG if the
 * tag fails (@plain wiped).  On success @plain holds h->payload_len bytes
 * and @k2 the sealed-wrap MAC key (secret: wipe it).
 */
int ck_att_seal_open(const struct ck_att_key *a, const uint8_t *sealed,
		     const struct ck_seal_header *h, uint8_t *plain,
		     uint8_t k2[CK_ATT_KEY_LEN]);

/* mac = HMAC(k2, SHA-256(backup) || SHA-256(plain) || context) */
int ck_att_sealed_wrap_mac(const uint8_t k2[CK_ATT_KEY_LEN],
			   const uint8_t *backup, size_t backup_len,
			   const uint8_t *plain, size_t plain_len,
			   const void *ctx, size_t ctx_len,
			   uint8_t mac[CHIPKEY_MAC_LEN]);

/* CHIP_MAC key: HKDF(chip key, label || purpose || chip ID); -EINVAL if the purpose is unknown. */
int ck_att_chip_mac_key(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN],
			uint32_t purpose, uint8_t key[CK_ATT_KEY_LEN]);

/* CHIP_MAC: HMAC-SHA256(chip MAC key, input). */
int ck_att_chip_mac(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		    const uint8_t chip_key[CHIPKEY_CHIP_KEY_LEN],
		    uint32_t purpose, const void *in, size_t len,
		    uint8_t mac[CHIPKEY_MAC_LEN]);

/* ---- the verifier / sender side */

/*
 * The MAC a genuine chip (Q, chip ID) answers to ATTEST(V = pub of @eph,
 * context).  -EINVAL if Q is not a valid point.
 */
int ck_att_expected_attest(EVP_PKEY *eph, const uint8_t q[CHIPKEY_EC_POINT_LEN],
			   const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			   const void *ctx, size_t ctx_len,
			   uint8_t mac[CHIPKEY_MAC_LEN]);

/*
 * Seal @len bytes (at most CHIPKEY_MAX_PAYLOAD) to the chip (Q, chip ID)
 * into @out (ck_seal_size(@len) bytes) with the ephemeral key @eph and
 * @nonce (both fresh for every package!).  For test vectors; others call
 * ck_att_seal().
 */
int ck_att_seal_with(EVP_PKEY *eph, const uint8_t nonce[CK_SEAL_NONCE_LEN],
		     const uint8_t q[CHIPKEY_EC_POINT_LEN],
		     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		     const uint8_t *in, size_t len, uint8_t *out);

/*
 * Seal with a fresh ephemeral key and nonce.  If @eph_out is not NULL it
 * receives the ephemeral private key (the sender needs it to verify the
 * sealed-wrap MAC; EVP_PKEY_free it).  -EMSGSIZE if @len is too large.
 */
int ck_att_seal(const uint8_t q[CHIPKEY_EC_POINT_LEN],
		const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		const uint8_t *in, size_t len, uint8_t *out, EVP_PKEY **eph_out);
/*
 * ck_att_seal, giving instead of the ephemeral key K2 of this seal (the
 * SEALED_WRAP MAC key, derived from the seal's own ECDH): the sender then
 * checks the chip's answer with ck_att_sealed_wrap_verify_key(), without
 * a second ECDH.  OPENSSL_cleanse @k2 when done.
 */
int ck_att_seal_k2(const uint8_t q[CHIPKEY_EC_POINT_LEN],
		   const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		   const uint8_t *in, size_t len, uint8_t *out, uint8_t k2[CK_ATT_KEY_LEN]);

/*
 * Check what a chip answered to SEALED_WRAP, with the sender's ephemeral
 * key: 0 if the backup's header is well formed and names @chip_id,
 * @generation and @plain_len bytes, and @mac is HMAC(K2, SHA-256(backup) ||
 * SHA-256(plain) || context) (compared in constant time).  -EINVAL if the
 * backup header is malformed or Q is not a valid point, -EBADMSG if the
 * header names another chip, generation or length, or the MAC differs.
 */
int ck_att_sealed_wrap_verify(EVP_PKEY *eph, const uint8_t q[CHIPKEY_EC_POINT_LEN],
			      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			      const uint8_t *backup, size_t backup_len,
			      uint64_t generation,
			      const uint8_t *plain, size_t plain_len,
			      const void *ctx, size_t ctx_len,
			      const uint8_t mac[CHIPKEY_MAC_LEN]);
/* The same with K2 of the seal (ck_att_seal_k2) instead of the ephemeral
 * key and Q: the same checks and return values. */
int ck_att_sealed_wrap_verify_key(const uint8_t k2[CK_ATT_KEY_LEN],
				  const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
				  const uint8_t *backup, size_t backup_len,
				  uint64_t generation,
				  const uint8_t *plain, size_t plain_len,
				  const void *ctx, size_t ctx_len,
				  const uint8_t mac[CHIPKEY_MAC_LEN]);

#endif /* CHIPKEY_COMMON_ATTEST_H */
