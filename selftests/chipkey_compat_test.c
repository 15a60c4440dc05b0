// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey cross-compatibility: the userspace emulator (chipkey-emu, through
 * libchipkey's "emu:" backend) and the kernel module, given the SAME fuse
 * image, read each other's backup packages; a package of another chip
 * (emulator on fuse image B) is "not ours" (ENOKEY) for the kernel, and the
 * two backends report the same errors for the same bad input.
 *
 * Attestation (ABI v2): ATTEST_KEY, ATTEST and CHIP_MAC answers are byte
 * for byte the same; a backup made by the kernel's SEALED_WRAP unwraps in
 * the emulator and the emulator's in the kernel.  The sealed packages are
 * the host's ($CK_ATTEST_DIR, default /expect/attest, made by
 * selftests/qemu/attest.sh with the Python oracle); without them those
 * cases are skipped.
 */
#include "chipkey_common.h"
#include "libchipkey.h"
#include <chipkey/attest.h>

#include "kselftest_harness.h"

/*
 * Every case starts two emulators in its fixture (up to 60 s each, see
 * ck_emu_start): more than the harness's default 30 s allows on a debug
 * kernel under TCG on a busy host.
 */
#define CK_COMPAT_TIMEOUT	300

#define STATE_A	"/tmp/ck-compat-a.state"
#define SOCK_A	"/tmp/ck-compat-a.sock"
#define STATE_B	"/tmp/ck-compat-b.state"
#define SOCK_B	"/tmp/ck-compat-b.sock"

static const size_t sizes[] = { 0, 1, 15, 16, 17, 4095, 4096, CHIPKEY_MAX_PAYLOAD };

FIXTURE(compat)
{
	pid_t emu_a, emu_b;
	struct chipkey *ea, *eb, *kl;	/* emulator A, emulator B, kernel (lib) */
	int fd;				/* kernel, raw ioctls */
	uint8_t *in, *pkg, *out;
};

FIXTURE_SETUP(compat)
{
	self->fd = ck_open();
	ASSERT_LE(0, self->fd);
	self->emu_a = ck_emu_start(ck_fuse_a(), STATE_A, SOCK_A);
	ASSERT_LT(0, self->emu_a) TH_LOG("chipkey-emu on %s: %s", ck_fuse_a(),
					 strerror(-self->emu_a));
	self->emu_b = ck_emu_start(ck_fuse_b(), STATE_B, SOCK_B);
	ASSERT_LT(0, self->emu_b) TH_LOG("chipkey-emu on %s: %s", ck_fuse_b(),
					 strerror(-self->emu_b));
	ASSERT_EQ(0, chipkey_open(CHIPKEY_EMU_PREFIX SOCK_A, &self->ea));
	ASSERT_EQ(0, chipkey_open(CHIPKEY_EMU_PREFIX SOCK_B, &self->eb));
	ASSERT_EQ(0, chipkey_open(ck_dev_path(), &self->kl));
	self->in = malloc(CHIPKEY_MAX_PAYLOAD);
	self->pkg = malloc(CHIPKEY_MAX_PACKAGE);
	self->out = malloc(CHIPKEY_MAX_PACKAGE);
	ASSERT_TRUE(self->in && self->pkg && self->out);
}

FIXTURE_TEARDOWN(compat)
{
	if (self->ea)
		chipkey_close(self->ea);
	if (self->eb)
		chipkey_close(self->eb);
	if (self->kl)
		chipkey_close(self->kl);
	ck_emu_stop(self->emu_a, STATE_A, SOCK_A);
	ck_emu_stop(self->emu_b, STATE_B, SOCK_B);
	if (self->fd >= 0)
		close(self->fd);
	free(self->in);
	free(self->pkg);
	free(self->out);
}

TEST_F_TIMEOUT(compat, same_chip_info, CK_COMPAT_TIMEOUT)
{
	struct chipkey_info ki, ei, bi;

	ASSERT_EQ(0, ck_info(self->fd, &ki));
	ASSERT_EQ(0, chipkey_get_info(self->ea, &ei));
	ASSERT_EQ(0, chipkey_get_info(self->eb, &bi));
	EXPECT_STREQ("emulator", chipkey_backend_name(self->ea));
	EXPECT_STREQ("kernel", chipkey_backend_name(self->kl));
	EXPECT_EQ(0, memcmp(ki.chip_id, ei.chip_id, CHIPKEY_CHIP_ID_LEN));
	EXPECT_NE(0, memcmp(ki.chip_id, bi.chip_id, CHIPKEY_CHIP_ID_LEN));
	EXPECT_EQ(CHIPKEY_SRC_EMULATOR, ei.key_source);
	EXPECT_EQ(ki.abi_version, ei.abi_version);
	EXPECT_EQ(ki.max_payload, ei.max_payload);
	EXPECT_EQ(ki.max_package, ei.max_package);
	EXPECT_EQ(ki.pkg_overhead, ei.pkg_overhead);
	EXPECT_EQ(ki.rom_key_len, ei.rom_key_len);
}

TEST_F_TIMEOUT(compat, emulator_to_kernel, CK_COMPAT_TIMEOUT)
{
	unsigned int k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], plen = CHIPKEY_MAX_PACKAGE, olen = CHIPKEY_MAX_PACKAGE;
		uint64_t gen = 0;

		ck_fill(self->in, len, 3000 + k);
		ASSERT_EQ(0, chipkey_wrap(self->ea, self->in, len, 100 + k,
					  self->pkg, &plen));
		ASSERT_EQ(ck_pkg_size(len), plen);
		ASSERT_EQ(0, ck_unwrap(self->fd, self->pkg, plen, self->out, &olen, &gen))
			TH_LOG("size %zu", len);
		EXPECT_EQ(len, olen);
		EXPECT_EQ(0, memcmp(self->in, self->out, len));
		EXPECT_EQ(100 + k, gen);
	}
}

TEST_F_TIMEOUT(compat, kernel_to_emulator, CK_COMPAT_TIMEOUT)
{
	unsigned int k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], plen = CHIPKEY_MAX_PACKAGE, olen = CHIPKEY_MAX_PACKAGE;
		uint64_t gen = 0;

		ck_fill(self->in, len, 4000 + k);
		ASSERT_EQ(0, ck_wrap(self->fd, self->in, len, 200 + k, self->pkg, &plen));
		ASSERT_EQ(0, chipkey_unwrap(self->ea, self->pkg, plen, self->out,
					    &olen, &gen)) TH_LOG("size %zu", len);
		EXPECT_EQ(len, olen);
		EXPECT_EQ(0, memcmp(self->in, self->out, len));
		EXPECT_EQ(200 + k, gen);
	}
}

TEST_F_TIMEOUT(compat, libchipkey_kernel_backend, CK_COMPAT_TIMEOUT)
{
	size_t plen = CHIPKEY_MAX_PACKAGE, olen = CHIPKEY_MAX_PACKAGE;

	ck_fill(self->in, 777, 5);
	ASSERT_EQ(0, chipkey_wrap(self->kl, self->in, 777, 1, self->pkg, &plen));
	ASSERT_EQ(0, chipkey_unwrap(self->ea, self->pkg, plen, self->out, &olen, NULL));
	EXPECT_EQ(777, olen);
	EXPECT_EQ(0, memcmp(self->in, self->out, 777));
}

TEST_F_TIMEOUT(compat, other_chip_is_enokey, CK_COMPAT_TIMEOUT)
{
	size_t plen = CHIPKEY_MAX_PACKAGE, olen = CHIPKEY_MAX_PACKAGE;

	/* made by chip B (emulator), refused by the kernel (chip A) */
	ck_fill(self->in, 100, 6);
	ASSERT_EQ(0, chipkey_wrap(self->eb, self->in, 100, 1, self->pkg, &plen));
	EXPECT_EQ(-ENOKEY, ck_unwrap(self->fd, self->pkg, plen, self->out, &olen, NULL));
	EXPECT_TRUE(memmem(self->out, CHIPKEY_MAX_PACKAGE, self->in, 100) == NULL);
	/* made by the kernel (chip A), refused by emulator B */
	plen = CHIPKEY_MAX_PACKAGE;
	olen = CHIPKEY_MAX_PACKAGE;
	ASSERT_EQ(0, ck_wrap(self->fd, self->in, 100, 1, self->pkg, &plen));
	EXPECT_EQ(-ENOKEY, chipkey_unwrap(self->eb, self->pkg, plen, self->out, &olen, NULL));
}

/* Both backends give the same error for the same bad input. */
TEST_F_TIMEOUT(compat, same_errors, CK_COMPAT_TIMEOUT)
{
	size_t plen = CHIPKEY_MAX_PACKAGE, olen, klen, elen;
	uint8_t *big;
	int kr, er;

	ck_fill(self->in, 64, 7);
	ASSERT_EQ(0, chipkey_wrap(self->ea, self->in, 64, 1, self->pkg, &plen));

	self->pkg[plen - 1] ^= 1;		/* tag */
	olen = CHIPKEY_MAX_PACKAGE;
	kr = ck_unwrap(self->fd, self->pkg, plen, self->out, &olen, NULL);
	olen = CHIPKEY_MAX_PACKAGE;
	er = chipkey_unwrap(self->ea, self->pkg, plen, self->out, &olen, NULL);
	EXPECT_EQ(-EBADMSG, kr);
	EXPECT_EQ(kr, er);
	self->pkg[plen - 1] ^= 1;

	self->pkg[CK_PKG_OFF_VERSION + 1] ^= 1;	/* malformed */
	olen = CHIPKEY_MAX_PACKAGE;
	kr = ck_unwrap(self->fd, self->pkg, plen, self->out, &olen, NULL);
	olen = CHIPKEY_MAX_PACKAGE;
	er = chipkey_unwrap(self->ea, self->pkg, plen, self->out, &olen, NULL);
	EXPECT_EQ(-EINVAL, kr);
	EXPECT_EQ(kr, er);
	self->pkg[CK_PKG_OFF_VERSION + 1] ^= 1;

	klen = 10;				/* ENOSPC with needed size */
	elen = 10;
	kr = ck_unwrap(self->fd, self->pkg, plen, self->out, &klen, NULL);
	er = chipkey_unwrap(self->ea, self->pkg, plen, self->out, &elen, NULL);
	EXPECT_EQ(-ENOSPC, kr);
	EXPECT_EQ(kr, er);
	EXPECT_EQ(64, klen);
	EXPECT_EQ(klen, elen);

	big = calloc(1, CHIPKEY_MAX_PAYLOAD + 1);	/* too large */
	ASSERT_TRUE(big != NULL);
	klen = CHIPKEY_MAX_PACKAGE;
	elen = CHIPKEY_MAX_PACKAGE;
	kr = ck_wrap(self->fd, big, CHIPKEY_MAX_PAYLOAD + 1, 0, self->pkg, &klen);
	er = chipkey_wrap(self->ea, big, CHIPKEY_MAX_PAYLOAD + 1, 0, self->pkg, &elen);
	free(big);
	EXPECT_EQ(-EMSGSIZE, kr);
	EXPECT_EQ(kr, er);
}

TEST_F_TIMEOUT(compat, rom_key_equal, CK_COMPAT_TIMEOUT)
{
	uint8_t kb[CHIPKEY_MAX_ROM_KEY], eb[CHIPKEY_MAX_ROM_KEY];
	size_t kl = sizeof(kb), el = sizeof(eb);

	ASSERT_EQ(0, chipkey_get_rom_key(self->kl, kb, &kl));
	ASSERT_EQ(0, chipkey_get_rom_key(self->ea, eb, &el));
	EXPECT_EQ(kl, el);
	EXPECT_EQ(0, memcmp(kb, eb, kl));
}

/* ------------------------------------------------------- attestation */

/* P-256 base point: a valid verifier key that needs no key generation */
static uint8_t p256_g[CHIPKEY_EC_POINT_LEN];

__attribute__((constructor)) static void p256_g_init(void)
{
	ck_att_p256_generator(p256_g);
}

static int k_attest_key(int fd, uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	struct chipkey_attest_key k;

	memset(&k, 0, sizeof(k));
	if (ioctl(fd, CHIPKEY_IOC_ATTEST_KEY, &k))
		return -errno;
	memcpy(pub, k.pub, CHIPKEY_EC_POINT_LEN);
	return 0;
}

static int k_attest(int fd, const uint8_t *v, const void *ctx, size_t len,
		    uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct chipkey_attest a;

	memset(&a, 0, sizeof(a));
	a.context_ptr = (uintptr_t)ctx;
	a.context_len = (uint32_t)len;
	memcpy(a.verifier_pub, v, CHIPKEY_EC_POINT_LEN);
	if (ioctl(fd, CHIPKEY_IOC_ATTEST, &a))
		return -errno;
	memcpy(mac, a.mac, CHIPKEY_MAC_LEN);
	return 0;
}

static int k_sealed_wrap(int fd, const void *in, size_t len, uint64_t gen,
			 const void *ctx, size_t ctx_len, void *out,
			 size_t *out_len, uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct chipkey_sealed_wrap s;
	int r;

	memset(&s, 0, sizeof(s));
	s.in_ptr = (uintptr_t)in;
	s.in_len = (uint32_t)len;
	s.out_ptr = (uintptr_t)out;
	s.out_len = (uint32_t)*out_len;
	s.context_ptr = (uintptr_t)ctx;
	s.context_len = (uint32_t)ctx_len;
	s.generation = gen;
	r = ioctl(fd, CHIPKEY_IOC_SEALED_WRAP, &s) ? -errno : 0;
	*out_len = s.out_len;
	memcpy(mac, s.mac, CHIPKEY_MAC_LEN);
	return r;
}

static int k_chip_mac(int fd, uint32_t purpose, const void *in, size_t len,
		      uint8_t mac[CHIPKEY_MAC_LEN])
{
	struct chipkey_chip_mac m;

	memset(&m, 0, sizeof(m));
	m.in_ptr = (uintptr_t)in;
	m.in_len = (uint32_t)len;
	m.purpose = purpose;
	if (ioctl(fd, CHIPKEY_IOC_CHIP_MAC, &m))
		return -errno;
	memcpy(mac, m.mac, CHIPKEY_MAC_LEN);
	return 0;
}

/* $CK_ATTEST_DIR/NAME into @buf; its length, or -errno */
static ssize_t attest_file(const char *name, void *buf, size_t cap)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s",
		 ck_env("CK_ATTEST_DIR", "/expect/attest"), name);
	return ck_read_file(path, buf, cap);
}

TEST_F_TIMEOUT(compat, attest_key_equal, CK_COMPAT_TIMEOUT)
{
	uint8_t kq[CHIPKEY_EC_POINT_LEN], eq[CHIPKEY_EC_POINT_LEN];
	uint8_t lq[CHIPKEY_EC_POINT_LEN], bq[CHIPKEY_EC_POINT_LEN];

	ASSERT_EQ(0, k_attest_key(self->fd, kq));
	ASSERT_EQ(0, chipkey_get_attest_key(self->ea, eq));
	ASSERT_EQ(0, chipkey_get_attest_key(self->kl, lq));
	ASSERT_EQ(0, chipkey_get_attest_key(self->eb, bq));
	EXPECT_EQ(0x04, kq[0]);
	EXPECT_EQ(0, memcmp(kq, eq, sizeof(kq))) TH_LOG("kernel and emulator disagree on Q");
	EXPECT_EQ(0, memcmp(kq, lq, sizeof(kq)));
	EXPECT_NE(0, memcmp(kq, bq, sizeof(kq)));
}

TEST_F_TIMEOUT(compat, attest_equal, CK_COMPAT_TIMEOUT)
{
	static const size_t lens[] = { 0, 1, 77, CHIPKEY_MAX_CONTEXT };
	uint8_t kq[CHIPKEY_EC_POINT_LEN], km[32], em[32], lm[32], bm[32];
	const uint8_t *verifiers[2] = { p256_g, kq };
	unsigned int i, v;

	ASSERT_EQ(0, k_attest_key(self->fd, kq));
	for (v = 0; v < 2; v++) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			ck_fill(self->in, lens[i], 500 + i);
			ASSERT_EQ(0, k_attest(self->fd, verifiers[v], self->in, lens[i], km));
			ASSERT_EQ(0, chipkey_attest(self->ea, verifiers[v], self->in, lens[i], em));
			ASSERT_EQ(0, chipkey_attest(self->kl, verifiers[v], self->in, lens[i], lm));
			ASSERT_EQ(0, chipkey_attest(self->eb, verifiers[v], self->in, lens[i], bm));
			EXPECT_EQ(0, memcmp(km, em, 32)) TH_LOG("verifier %u, context %zu", v, lens[i]);
			EXPECT_EQ(0, memcmp(km, lm, 32));
			EXPECT_NE(0, memcmp(km, bm, 32));
		}
	}
	/* the same refusals */
	memcpy(self->in, p256_g, CHIPKEY_EC_POINT_LEN);
	self->in[64] ^= 1;			/* off the curve */
	EXPECT_EQ(-EINVAL, k_attest(self->fd, self->in, NULL, 0, km));
	EXPECT_EQ(-EINVAL, chipkey_attest(self->ea, self->in, NULL, 0, em));
	self->in[64] ^= 1;
	self->in[0] = 0x02;			/* compressed: not accepted */
	EXPECT_EQ(-EINVAL, k_attest(self->fd, self->in, NULL, 0, km));
	EXPECT_EQ(-EINVAL, chipkey_attest(self->ea, self->in, NULL, 0, em));
	memset(self->in + 1, 0, 64);		/* (0,0) */
	self->in[0] = 0x04;
	EXPECT_EQ(-EINVAL, k_attest(self->fd, self->in, NULL, 0, km));
	EXPECT_EQ(-EINVAL, chipkey_attest(self->ea, self->in, NULL, 0, em));
	EXPECT_EQ(-EMSGSIZE, k_attest(self->fd, p256_g, self->out, CHIPKEY_MAX_CONTEXT + 1, km));
	EXPECT_EQ(-EMSGSIZE, chipkey_attest(self->ea, p256_g, self->out,
					    CHIPKEY_MAX_CONTEXT + 1, em));
}

TEST_F_TIMEOUT(compat, chip_mac_equal, CK_COMPAT_TIMEOUT)
{
	static const size_t lens[] = { 0, 1, 1000, CHIPKEY_MAX_MAC_INPUT };
	uint8_t km[32], em[32], bm[32];
	unsigned int i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_fill(self->in, lens[i], 600 + i);
		ASSERT_EQ(0, k_chip_mac(self->fd, CHIPKEY_MAC_FLASH_MANIFEST, self->in, lens[i], km));
		ASSERT_EQ(0, chipkey_chip_mac(self->ea, CHIPKEY_MAC_FLASH_MANIFEST, self->in,
					      lens[i], em));
		ASSERT_EQ(0, chipkey_chip_mac(self->eb, CHIPKEY_MAC_FLASH_MANIFEST, self->in,
					      lens[i], bm));
		EXPECT_EQ(0, memcmp(km, em, 32)) TH_LOG("input of %zu bytes", lens[i]);
		EXPECT_NE(0, memcmp(km, bm, 32));
	}
	EXPECT_EQ(-EINVAL, k_chip_mac(self->fd, 2, self->in, 1, km));
	EXPECT_EQ(-EINVAL, chipkey_chip_mac(self->ea, 2, self->in, 1, em));
	EXPECT_EQ(-EMSGSIZE, k_chip_mac(self->fd, 1, self->in, CHIPKEY_MAX_MAC_INPUT + 1, km));
	EXPECT_EQ(-EMSGSIZE, chipkey_chip_mac(self->ea, 1, self->in, CHIPKEY_MAX_MAC_INPUT + 1, em));
}

TEST_F_TIMEOUT(compat, sealed_wrap_crosses, CK_COMPAT_TIMEOUT)
{
	static const char *const sizes_s[] = { "0", "1", "1000", "65536" };
	uint8_t *sealed = malloc(CHIPKEY_MAX_SEALED), *plain = malloc(CHIPKEY_MAX_PAYLOAD);
	uint8_t *ctx = (uint8_t *)"compat sealed wrap", km[32], em[32];
	size_t ctx_len = 18;
	unsigned int i;

	ASSERT_TRUE(sealed && plain);
	if (attest_file("sealed-1.bin", sealed, CHIPKEY_MAX_SEALED) < 0) {
		free(sealed);
		free(plain);
		SKIP(return, "no sealed packages from the host in $CK_ATTEST_DIR");
	}
	for (i = 0; i < 4; i++) {
		char name[64];
		ssize_t slen, plen;
		size_t klen = CHIPKEY_MAX_PACKAGE, elen = CHIPKEY_MAX_PACKAGE, olen;
		uint64_t gen = 0;

		snprintf(name, sizeof(name), "sealed-%s.bin", sizes_s[i]);
		slen = attest_file(name, sealed, CHIPKEY_MAX_SEALED);
		snprintf(name, sizeof(name), "plain-%s.bin", sizes_s[i]);
		plen = attest_file(name, plain, CHIPKEY_MAX_PAYLOAD);
		ASSERT_LT(0, slen);
		ASSERT_LE(0, plen);

		/* the kernel's backup opens in the emulator ... */
		ASSERT_EQ(0, k_sealed_wrap(self->fd, sealed, slen, 300 + i, ctx, ctx_len,
					   self->pkg, &klen, km)) TH_LOG("%s bytes", sizes_s[i]);
		EXPECT_EQ(ck_pkg_size(plen), klen);
		olen = CHIPKEY_MAX_PACKAGE;
		ASSERT_EQ(0, chipkey_unwrap(self->ea, self->pkg, klen, self->out, &olen, &gen));
		EXPECT_EQ(plen, olen);
		EXPECT_EQ(0, memcmp(self->out, plain, plen));
		EXPECT_EQ(300 + i, gen);

		/* ... and the emulator's in the kernel */
		ASSERT_EQ(0, chipkey_sealed_wrap(self->ea, sealed, slen, 400 + i, ctx, ctx_len,
						 self->pkg, &elen, em));
		EXPECT_EQ(klen, elen);
		olen = CHIPKEY_MAX_PACKAGE;
		ASSERT_EQ(0, ck_unwrap(self->fd, self->pkg, elen, self->out, &olen, &gen));
		EXPECT_EQ(plen, olen);
		EXPECT_EQ(0, memcmp(self->out, plain, plen));
		EXPECT_EQ(400 + i, gen);

		/* not chip B's */
		elen = CHIPKEY_MAX_PACKAGE;
		EXPECT_EQ(-ENOKEY, chipkey_sealed_wrap(self->eb, sealed, slen, 1, NULL, 0,
						       self->pkg, &elen, em));
		/* the same ENOSPC with the same size needed */
		klen = 5;
		elen = 5;
		EXPECT_EQ(-ENOSPC, k_sealed_wrap(self->fd, sealed, slen, 1, NULL, 0,
						 self->pkg, &klen, km));
		EXPECT_EQ(-ENOSPC, chipkey_sealed_wrap(self->ea, sealed, slen, 1, NULL, 0,
						       self->pkg, &elen, em));
		EXPECT_EQ(klen, elen);
		/* the same refusal of a tampered package */
		sealed[slen - 1] ^= 1;
		klen = elen = CHIPKEY_MAX_PACKAGE;
		EXPECT_EQ(-EBADMSG, k_sealed_wrap(self->fd, sealed, slen, 1, NULL, 0,
						  self->pkg, &klen, km));
		EXPECT_EQ(-EBADMSG, chipkey_sealed_wrap(self->ea, sealed, slen, 1, NULL, 0,
							self->pkg, &elen, em));
		sealed[CK_SEAL_OFF_CHIP_ID] ^= 1;	/* another chip ID */
		klen = elen = CHIPKEY_MAX_PACKAGE;
		EXPECT_EQ(-ENOKEY, k_sealed_wrap(self->fd, sealed, slen, 1, NULL, 0,
						 self->pkg, &klen, km));
		EXPECT_EQ(-ENOKEY, chipkey_sealed_wrap(self->ea, sealed, slen, 1, NULL, 0,
						       self->pkg, &elen, em));
	}
	free(sealed);
	free(plain);
}

TEST_HARNESS_MAIN
