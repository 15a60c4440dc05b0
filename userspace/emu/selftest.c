// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu: the power-on self-test.  Before it serves anything the
 * emulator takes a test payload through SEALED_WRAP's whole path with its
 * own keys: sealed to its attestation key Q (as an SPP seals), opened with
 * k (ECDH, HKDF, AES-256-GCM), wrapped under the chip key, the sealed-wrap
 * MAC made and checked as the sender checks it, and unwrapped again.  It
 * refuses to start if any step fails or any byte differs.  chipkey.ko
 * likewise runs an ECDH with the attestation key when it probes (it derives
 * Q that way); here the self-test also puts OpenSSL's code and algorithm
 * caches in place, so the first client's request does not pay for them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "emu.h"

#define SELFTEST_LEN 64

int ck_emu_self_test(const struct ck_emu_chip *chip)
{
	static const char ctx[] = "chipkey-emu self-test";
	uint8_t plain[SELFTEST_LEN], opened[SELFTEST_LEN], back[SELFTEST_LEN];
	uint8_t sealed[ck_seal_size(SELFTEST_LEN)], pkg[ck_pkg_size(SELFTEST_LEN)];
	uint8_t k2[CK_ATT_KEY_LEN], k2_sender[CK_ATT_KEY_LEN], mac[CHIPKEY_MAC_LEN];
	size_t pkg_len = sizeof(pkg), back_len = sizeof(back);
	struct ck_seal_header h;
	uint64_t gen = 0;
	int ret;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(0xa5 ^ i);
	ret = ck_att_seal_k2(chip->att.pub, chip->fuses.chip_id, plain, sizeof(plain), sealed,
			     k2_sender);
	if (!ret)
		ret = ck_seal_header_parse(sealed, sizeof(sealed), &h);
	if (!ret && h.payload_len != sizeof(plain))
		ret = -EBADMSG;
	if (!ret)
		ret = ck_att_seal_open(&chip->att, sealed, &h, opened, k2);
	if (!ret && (memcmp(opened, plain, sizeof(plain)) ||
		     CRYPTO_memcmp(k2, k2_sender, sizeof(k2))))
		ret = -EBADMSG;
	if (!ret)
		ret = ck_wrap(&chip->fuses, 1, opened, sizeof(opened), pkg, &pkg_len);
	if (!ret)
		ret = ck_att_sealed_wrap_mac(k2, pkg, pkg_len, opened, sizeof(opened), ctx,
					     sizeof(ctx), mac);
	if (!ret)
		ret = ck_att_sealed_wrap_verify_key(k2_sender, chip->fuses.chip_id, pkg, pkg_len,
						    1, plain, sizeof(plain), ctx, sizeof(ctx),
						    mac);
	if (!ret)
		ret = ck_unwrap(&chip->fuses, pkg, pkg_len, back, &back_len, &gen);
	if (!ret && (back_len != sizeof(plain) || gen != 1 || memcmp(back, plain, sizeof(plain))))
		ret = -EBADMSG;
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k2_sender, sizeof(k2_sender));
	OPENSSL_cleanse(opened, sizeof(opened));
	OPENSSL_cleanse(back, sizeof(back));
	return ret;
}
