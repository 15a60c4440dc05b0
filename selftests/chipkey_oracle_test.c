// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey independent oracle: decrypt packages made by the kernel with
 * libkcapi (AF_ALG "gcm(aes)" + "hmac(sha256)"), using the chip key read
 * from the fuse image file, and make packages with libkcapi that the kernel
 * must unwrap.  The derivation is re-implemented here from the documented
 * format (include/chipkey/backup_package.h), not taken from the module.
 */
#include "chipkey_common.h"
#include <kcapi.h>

#include "kselftest_harness.h"

/* HKDF-SHA256 by hand: RFC 5869 extract + expand, one HMAC per block. */
static int hkdf_by_hmac(const uint8_t *ikm, size_t ikm_len,
			const uint8_t *salt, size_t salt_len,
			const uint8_t *info, size_t info_len,
			uint8_t *okm, size_t okm_len)
{
	uint8_t prk[32], t[32 + 256 + 1], block[32];
	size_t done = 0, tlen = 0;
	uint8_t ctr = 1;

	if (info_len > 256)
		return -EINVAL;
	if (kcapi_md_hmac_sha256(salt, salt_len, ikm, ikm_len, prk, 32) != 32)
		return -EIO;
	while (done < okm_len) {
		/* T(n) = HMAC(PRK, T(n-1) || info || n) */
		memcpy(t + tlen, info, info_len);
		t[tlen + info_len] = ctr++;
		if (kcapi_md_hmac_sha256(prk, 32, t, tlen + info_len + 1, block, 32) != 32)
			return -EIO;
		memcpy(okm + done, block, okm_len - done < 32 ? okm_len - done : 32);
		done += 32;
		memcpy(t, block, 32);
		tlen = 32;
	}
	return 0;
}

static int hkdf_kcapi(const uint8_t *ikm, size_t ikm_len,
		      const uint8_t *salt, size_t salt_len,
		      const uint8_t *info, size_t info_len,
		      uint8_t *okm, size_t okm_len)
{
	ssize_t r = kcapi_hkdf("hmac(sha256)", ikm, ikm_len, salt, salt_len,
			       info, info_len, okm, okm_len);

	return r < 0 ? (int)r : 0;
}

/* Package key from the fuse image's chip key and the package's salt. */
static int package_key(const uint8_t *fuse, const uint8_t *salt, uint8_t key[32])
{
	uint8_t info[CK_PKG_KDF_INFO_LEN], k2[32];
	int r;

	ck_pkg_kdf_info(fuse + CK_FUSE_OFF_CHIP_ID, info);
	r = hkdf_kcapi(fuse + CK_FUSE_OFF_CHIP_KEY, CHIPKEY_CHIP_KEY_LEN,
		       salt, CK_PKG_SALT_LEN, info, sizeof(info), key, 32);
	if (r)
		return r;
	r = hkdf_by_hmac(fuse + CK_FUSE_OFF_CHIP_KEY, CHIPKEY_CHIP_KEY_LEN,
			 salt, CK_PKG_SALT_LEN, info, sizeof(info), k2, 32);
	if (r)
		return r;
	return memcmp(key, k2, 32) ? -EDOM : 0;
}

/*
 * One AES-256-GCM operation through AF_ALG.  AF_ALG's buffer layout:
 * encrypt in = AAD||pt, out = AAD||ct||tag; decrypt in = AAD||ct||tag,
 * out = AAD||pt.  Returns bytes written or -errno (-EBADMSG on bad tag).
 */
static ssize_t kcapi_gcm(int enc, const uint8_t key[32], const uint8_t *iv,
			 const uint8_t *in, size_t in_len, uint8_t *out,
			 size_t out_len)
{
	struct kcapi_handle *h;
	uint8_t iv16[12];
	ssize_t r;

	if (kcapi_aead_init(&h, "gcm(aes)", 0))
		return -ENOENT;
	memcpy(iv16, iv, 12);
	r = kcapi_aead_setkey(h, key, 32);
	if (!r)
		r = kcapi_aead_settaglen(h, CHIPKEY_PKG_TAG_LEN);
	if (!r) {
		kcapi_aead_setassoclen(h, CHIPKEY_PKG_HEADER_LEN);
		r = enc ? kcapi_aead_encrypt(h, in, in_len, iv16, out, out_len,
					     KCAPI_ACCESS_SENDMSG)
			: kcapi_aead_decrypt(h, in, in_len, iv16, out, out_len,
					     KCAPI_ACCESS_SENDMSG);
	}
	kcapi_aead_destroy(h);
	return r;
}

/* Oracle unwrap: plaintext into @out (cap >= 72 + payload); 0 or -errno. */
static int oracle_unwrap(const uint8_t *fuse, const uint8_t *pkg, size_t len,
			 uint8_t *out, size_t *pt_len)
{
	struct ck_pkg_header h;
	uint8_t key[32];
	ssize_t r;

	r = ck_pkg_header_parse(pkg, len, &h);
	if (r)
		return (int)r;
	if (memcmp(h.chip_id, fuse + CK_FUSE_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN))
		return -ENOKEY;
	r = package_key(fuse, h.salt, key);
	if (r)
		return (int)r;
	r = kcapi_gcm(0, key, h.nonce, pkg, len, out,
		      CHIPKEY_PKG_HEADER_LEN + h.payload_len);
	if (r < 0)
		return (int)r;
	if ((size_t)r != CHIPKEY_PKG_HEADER_LEN + h.payload_len)
		return -EIO;
	memmove(out, out + CHIPKEY_PKG_HEADER_LEN, h.payload_len);
	*pt_len = h.payload_len;
	return 0;
}

FIXTURE(oracle)
{
	int fd;
	uint8_t fuse[CK_FUSE_IMAGE_SIZE];
};

FIXTURE_SETUP(oracle)
{
	struct kcapi_handle *h;

	/* AF_ALG (algif_aead, crypto_user) is part of the VM image: required */
	ASSERT_EQ(0, kcapi_aead_init(&h, "gcm(aes)", 0));
	kcapi_aead_destroy(h);
	self->fd = ck_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ck_load_fuse(ck_fuse_a(), self->fuse));
}

FIXTURE_TEARDOWN(oracle)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The oracle itself: RFC 5869 test case 1, both HKDF paths. */
TEST_F(oracle, hkdf_rfc5869_case1)
{
	static const uint8_t okm_rfc[42] = {
		0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43,
		0x4f, 0x64, 0xd0, 0x36, 0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90,
		0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56, 0xec, 0xc4,
		0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18,
		0x58, 0x65 };
	uint8_t ikm[22], salt[13], info[10], okm[42];
	int i;

	memset(ikm, 0x0b, sizeof(ikm));
	for (i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	ASSERT_EQ(0, hkdf_by_hmac(ikm, 22, salt, 13, info, 10, okm, 42));
	EXPECT_EQ(0, memcmp(okm, okm_rfc, 42));
	memset(okm, 0, sizeof(okm));
	ASSERT_EQ(0, hkdf_kcapi(ikm, 22, salt, 13, info, 10, okm, 42));
	EXPECT_EQ(0, memcmp(okm, okm_rfc, 42));
}

TEST_F(oracle, kernel_packages_decrypt)
{
	static const size_t sizes[] = { 0, 1, 16, 17, 4096, CHIPKEY_MAX_PAYLOAD };
	uint8_t *in = malloc(CHIPKEY_MAX_PAYLOAD);
	uint8_t *pkg = malloc(CHIPKEY_MAX_PACKAGE);
	uint8_t *out = malloc(CHIPKEY_MAX_PACKAGE);
	unsigned int k;

	ASSERT_TRUE(in && pkg && out);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], plen = CHIPKEY_MAX_PACKAGE, pt = 0;

		ck_fill(in, len, 500 + k);
		ASSERT_EQ(0, ck_wrap(self->fd, in, len, k, pkg, &plen));
		ASSERT_EQ(0, oracle_unwrap(self->fuse, pkg, plen, out, &pt))
			TH_LOG("size %zu", len);
		EXPECT_EQ(len, pt);
		EXPECT_EQ(0, memcmp(in, out, len));
	}
	free(in);
	free(pkg);
	free(out);
}

TEST_F(oracle, oracle_rejects_tampered)
{
	uint8_t in[100], pkg[100 + CHIPKEY_PKG_OVERHEAD], out[sizeof(pkg)];
	size_t plen = sizeof(pkg), pt;

	ck_fill(in, sizeof(in), 3);
	ASSERT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 0, pkg, &plen));
	pkg[CK_PKG_OFF_GENERATION] ^= 1;	/* AAD */
	EXPECT_EQ(-EBADMSG, oracle_unwrap(self->fuse, pkg, plen, out, &pt));
	pkg[CK_PKG_OFF_GENERATION] ^= 1;
	pkg[plen - 1] ^= 1;			/* tag */
	EXPECT_EQ(-EBADMSG, oracle_unwrap(self->fuse, pkg, plen, out, &pt));
}

/* Packages built entirely by the oracle unwrap in the kernel. */
TEST_F(oracle, oracle_packages_unwrap)
{
	static const size_t sizes[] = { 0, 1, 33, 4096, CHIPKEY_MAX_PAYLOAD };
	uint8_t *buf = malloc(CHIPKEY_MAX_PACKAGE), *pkg = malloc(CHIPKEY_MAX_PACKAGE);
	uint8_t *out = malloc(CHIPKEY_MAX_PAYLOAD);
	unsigned int k;

	ASSERT_TRUE(buf && pkg && out);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], olen = CHIPKEY_MAX_PAYLOAD;
		struct ck_pkg_header h;
		uint8_t key[32];
		uint64_t gen = 0;
		ssize_t r;

		memset(&h, 0, sizeof(h));
		h.version = CK_PKG_VERSION;
		h.alg = CK_PKG_ALG_HKDF_SHA256_AES256GCM;
		memcpy(h.chip_id, self->fuse + CK_FUSE_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN);
		h.generation = 0x1122334455667788ULL + k;
		ck_fill(h.salt, sizeof(h.salt), 900 + k);
		ck_fill(h.nonce, sizeof(h.nonce), 950 + k);
		h.payload_len = (uint32_t)len;
		ck_pkg_header_encode(&h, buf);
		ck_fill(buf + CHIPKEY_PKG_HEADER_LEN, len, 1000 + k);
		ASSERT_EQ(0, package_key(self->fuse, h.salt, key));
		r = kcapi_gcm(1, key, h.nonce, buf, CHIPKEY_PKG_HEADER_LEN + len,
			      pkg, ck_pkg_size(len));
		ASSERT_EQ((ssize_t)ck_pkg_size(len), r);
		/* AF_ALG copies the AAD through; the header must be ours */
		memcpy(pkg, buf, CHIPKEY_PKG_HEADER_LEN);

		ASSERT_EQ(0, ck_unwrap(self->fd, pkg, ck_pkg_size(len), out, &olen, &gen))
			TH_LOG("size %zu", len);
		EXPECT_EQ(len, olen);
		EXPECT_EQ(0, memcmp(out, buf + CHIPKEY_PKG_HEADER_LEN, len));
		EXPECT_EQ(h.generation, gen);
	}
	free(buf);
	free(pkg);
	free(out);
}

/*
 * Packages around the driver's kmalloc/vmalloc switch (a package of at most
 * 4 pages is one kmalloc block, larger ones are vmalloc'd and described page
 * by page), checked in both directions against the oracle: a scatterlist
 * that missed a page would still round-trip through the kernel alone.
 */
TEST_F(oracle, large_packages_both_ways)
{
	size_t four = 4 * (size_t)sysconf(_SC_PAGESIZE);
	size_t sizes[] = { four - CHIPKEY_PKG_OVERHEAD,
			   four - CHIPKEY_PKG_OVERHEAD + 1, 20000,
			   CHIPKEY_MAX_PAYLOAD - 1, CHIPKEY_MAX_PAYLOAD };
	uint8_t *in = malloc(CHIPKEY_MAX_PACKAGE), *pkg = malloc(CHIPKEY_MAX_PACKAGE);
	uint8_t *out = malloc(CHIPKEY_MAX_PACKAGE);
	unsigned int k;

	ASSERT_TRUE(in && pkg && out);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], plen = CHIPKEY_MAX_PACKAGE, pt = 0;
		size_t olen = CHIPKEY_MAX_PACKAGE;
		struct ck_pkg_header h;
		uint8_t key[32];
		uint64_t gen = 0;

		if (len > CHIPKEY_MAX_PAYLOAD)
			continue;	/* huge pages: no vmalloc'd package */
		/* kernel wraps, oracle unwraps */
		ck_fill(in, len, 700 + k);
		ASSERT_EQ(0, ck_wrap(self->fd, in, len, k, pkg, &plen));
		ASSERT_EQ(ck_pkg_size(len), plen);
		ASSERT_EQ(0, oracle_unwrap(self->fuse, pkg, plen, out, &pt))
			TH_LOG("size %zu", len);
		EXPECT_EQ(len, pt);
		EXPECT_EQ(0, memcmp(in, out, len));

		/* oracle wraps, kernel unwraps */
		memset(&h, 0, sizeof(h));
		h.version = CK_PKG_VERSION;
		h.alg = CK_PKG_ALG_HKDF_SHA256_AES256GCM;
		memcpy(h.chip_id, self->fuse + CK_FUSE_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN);
		h.generation = 77 + k;
		ck_fill(h.salt, sizeof(h.salt), 710 + k);
		ck_fill(h.nonce, sizeof(h.nonce), 720 + k);
		h.payload_len = (uint32_t)len;
		ck_pkg_header_encode(&h, in);
		ck_fill(in + CHIPKEY_PKG_HEADER_LEN, len, 730 + k);
		ASSERT_EQ(0, package_key(self->fuse, h.salt, key));
		ASSERT_EQ((ssize_t)ck_pkg_size(len),
			  kcapi_gcm(1, key, h.nonce, in, CHIPKEY_PKG_HEADER_LEN + len,
				    pkg, ck_pkg_size(len)));
		memcpy(pkg, in, CHIPKEY_PKG_HEADER_LEN);
		ASSERT_EQ(0, ck_unwrap(self->fd, pkg, ck_pkg_size(len), out, &olen, &gen))
			TH_LOG("size %zu", len);
		EXPECT_EQ(len, olen);
		EXPECT_EQ(0, memcmp(out, in + CHIPKEY_PKG_HEADER_LEN, len));
		EXPECT_EQ(h.generation, gen);
	}
	free(in);
	free(pkg);
	free(out);
}

TEST_HARNESS_MAIN
