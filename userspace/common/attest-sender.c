// SPDX-License-Identifier: GPL-2.0
/*
 * The chip attestation key (attest.h), part 3: the other side, i.e. a
 * verifier of ATTEST and of the sealed wrap MAC, and the sender who seals a
 * package to a chip's attestation key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <chipkey/backup_package.h>

#include "common/attest.h"
#include "common/attest-int.h"
#include "common/kdf.h"
#include "common/hex.h"
#include "common/pem.h"
#include "common/pki.h"

int ck_att_expected_attest(EVP_PKEY *eph, const uint8_t q[CHIPKEY_EC_POINT_LEN],
			   const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			   const void *ctx, size_t ctx_len,
			   uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t v[CHIPKEY_EC_POINT_LEN], z[CK_ATT_SECRET_LEN];
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	ret = ck_att_pkey_to_pub(eph, v);
	if (ret)
		return ret;
	ret = ck_att_ecdh(eph, q, z);
	if (!ret)
		ret = ck_att_attest_mac(z, chip_id, q, v, ctx, ctx_len, mac);
	OPENSSL_cleanse(z, sizeof(z));
	return ret;
}

/* ck_att_seal_with; with @k2 not NULL also K2 of this seal (the
 * SEALED_WRAP MAC key, ck_att_seal_k2) from the same ECDH */
static int seal_with(EVP_PKEY *eph, const uint8_t nonce[CK_SEAL_NONCE_LEN],
		     const uint8_t q[CHIPKEY_EC_POINT_LEN],
		     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		     const uint8_t *in, size_t len, uint8_t *out, uint8_t *k2)
{
	struct ck_seal_header h;
	uint8_t z[CK_ATT_SECRET_LEN], key[CK_ATT_KEY_LEN];
	int ret;

	if (len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.version = CK_SEAL_VERSION;
	h.alg = CK_SEAL_ALG_ECDH_P256_HKDF_SHA256_AES256GCM;
	memcpy(h.chip_id, chip_id, CHIPKEY_CHIP_ID_LEN);
	ret = ck_att_pkey_to_pub(eph, h.eph);
	if (ret)
		return ret;
	memcpy(h.nonce, nonce, CK_SEAL_NONCE_LEN);
	h.payload_len = (uint32_t)len;
	ret = ck_att_ecdh(eph, q, z);
	if (ret)
		return ret;
	ck_seal_header_encode(&h, out);
	ret = ck_att_derive_points(z, CK_ATT_LABEL_SEAL, chip_id, h.eph, q, key);
	if (!ret)
		ret = ck_att_seal_gcm(1, key, nonce, out, in, len,
			       out + CHIPKEY_SEAL_HEADER_LEN,
			       out + CHIPKEY_SEAL_HEADER_LEN + len);
	if (!ret && k2)
		ret = ck_att_derive_points(z, CK_ATT_LABEL_SEALWRAP, chip_id, h.eph, q, k2);
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(key, sizeof(key));
	if (ret) {
		OPENSSL_cleanse(out, ck_seal_size(len));
		if (k2)
			OPENSSL_cleanse(k2, CK_ATT_KEY_LEN);
	}
	return ret;
}

int ck_att_seal_with(EVP_PKEY *eph, const uint8_t nonce[CK_SEAL_NONCE_LEN],
		     const uint8_t q[CHIPKEY_EC_POINT_LEN],
		     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		     const uint8_t *in, size_t len, uint8_t *out)
{
	return seal_with(eph, nonce, q, chip_id, in, len, out, NULL);
}

/* ck_att_seal and ck_att_seal_k2 */
static int seal(const uint8_t q[CHIPKEY_EC_POINT_LEN],
		const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		const uint8_t *in, size_t len, uint8_t *out, EVP_PKEY **eph_out, uint8_t *k2)
{
	uint8_t nonce[CK_SEAL_NONCE_LEN], e[CHIPKEY_EC_POINT_LEN];
	EVP_PKEY *eph;
	int ret;

	if (eph_out)
		*eph_out = NULL;
	if (len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	ret = ck_att_point_check(q);
	if (ret)
		return ret;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -EIO;
	ret = ck_att_ephemeral(&eph, e);
	if (ret)
		return ret;
	ret = seal_with(eph, nonce, q, chip_id, in, len, out, k2);
	if (!ret && eph_out)
		*eph_out = eph;
	else
		EVP_PKEY_free(eph);
	return ret;
}

int ck_att_seal(const uint8_t q[CHIPKEY_EC_POINT_LEN],
		const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		const uint8_t *in, size_t len, uint8_t *out, EVP_PKEY **eph_out)
{
	return seal(q, chip_id, in, len, out, eph_out, NULL);
}

int ck_att_seal_k2(const uint8_t q[CHIPKEY_EC_POINT_LEN],
		   const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		   const uint8_t *in, size_t len, uint8_t *out, uint8_t k2[CK_ATT_KEY_LEN])
{
	return seal(q, chip_id, in, len, out, NULL, k2);
}

/* The backup's header names @chip_id, @generation and @plain_len bytes:
 * 0, -EINVAL (malformed) or -EBADMSG */
static int wrap_header_ok(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			  const uint8_t *backup, size_t backup_len,
			  uint64_t generation, size_t plain_len)
{
	struct ck_pkg_header h;

	if (ck_pkg_header_parse(backup, backup_len, &h))
		return -EINVAL;
	if (memcmp(h.chip_id, chip_id, CHIPKEY_CHIP_ID_LEN) ||
	    h.generation != generation || h.payload_len != plain_len)
		return -EBADMSG;
	return 0;
}

int ck_att_sealed_wrap_verify_key(const uint8_t k2[CK_ATT_KEY_LEN],
				  const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
				  const uint8_t *backup, size_t backup_len,
				  uint64_t generation,
				  const uint8_t *plain, size_t plain_len,
				  const void *ctx, size_t ctx_len,
				  const uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t want[CHIPKEY_MAC_LEN];
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	/* The MAC binds the backup's bytes; its header must also be the one asked for. */
	ret = wrap_header_ok(chip_id, backup, backup_len, generation, plain_len);
	if (!ret)
		ret = ck_att_sealed_wrap_mac(k2, backup, backup_len, plain,
					     plain_len, ctx, ctx_len, want);
	if (!ret && CRYPTO_memcmp(want, mac, CHIPKEY_MAC_LEN))
		ret = -EBADMSG;
	OPENSSL_cleanse(want, sizeof(want));
	return ret;
}

int ck_att_sealed_wrap_verify(EVP_PKEY *eph, const uint8_t q[CHIPKEY_EC_POINT_LEN],
			      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			      const uint8_t *backup, size_t backup_len,
			      uint64_t generation,
			      const uint8_t *plain, size_t plain_len,
			      const void *ctx, size_t ctx_len,
			      const uint8_t mac[CHIPKEY_MAC_LEN])
{
	uint8_t e[CHIPKEY_EC_POINT_LEN], z[CK_ATT_SECRET_LEN];
	uint8_t k2[CK_ATT_KEY_LEN];
	int ret;

	if (ctx_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	ret = wrap_header_ok(chip_id, backup, backup_len, generation, plain_len);
	if (ret)
		return ret;
	ret = ck_att_pkey_to_pub(eph, e);
	if (ret)
		return ret;
	ret = ck_att_ecdh(eph, q, z);
	if (ret)
		return ret;
	ret = ck_att_derive_points(z, CK_ATT_LABEL_SEALWRAP, chip_id, e, q, k2);
	if (!ret)
		ret = ck_att_sealed_wrap_verify_key(k2, chip_id, backup, backup_len, generation,
						    plain, plain_len, ctx, ctx_len, mac);
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(k2, sizeof(k2));
	return ret;
}
