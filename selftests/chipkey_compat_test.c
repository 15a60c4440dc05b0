// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey cross-compatibility: the userspace emulator (chipkey-emu, through
 * libchipkey's "emu:" backend) and the kernel module, given the SAME fuse
 * image, read each other's backup packages; a package of another chip
 * (emulator on fuse image B) is "not ours" (ENOKEY) for the kernel, and the
 * two backends report the same errors for the same bad input.
 */
#include "chipkey_common.h"
#include "libchipkey.h"

#include "kselftest_harness.h"

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

TEST_F(compat, same_chip_info)
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

TEST_F_TIMEOUT(compat, emulator_to_kernel, 120)
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

TEST_F_TIMEOUT(compat, kernel_to_emulator, 120)
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

TEST_F(compat, libchipkey_kernel_backend)
{
	size_t plen = CHIPKEY_MAX_PACKAGE, olen = CHIPKEY_MAX_PACKAGE;

	ck_fill(self->in, 777, 5);
	ASSERT_EQ(0, chipkey_wrap(self->kl, self->in, 777, 1, self->pkg, &plen));
	ASSERT_EQ(0, chipkey_unwrap(self->ea, self->pkg, plen, self->out, &olen, NULL));
	EXPECT_EQ(777, olen);
	EXPECT_EQ(0, memcmp(self->in, self->out, 777));
}

TEST_F(compat, other_chip_is_enokey)
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
TEST_F(compat, same_errors)
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

TEST_F(compat, rom_key_equal)
{
	uint8_t kb[CHIPKEY_MAX_ROM_KEY], eb[CHIPKEY_MAX_ROM_KEY];
	size_t kl = sizeof(kb), el = sizeof(eb);

	ASSERT_EQ(0, chipkey_get_rom_key(self->kl, kb, &kl));
	ASSERT_EQ(0, chipkey_get_rom_key(self->ea, eb, &el));
	EXPECT_EQ(kl, el);
	EXPECT_EQ(0, memcmp(kb, eb, kl));
}

TEST_HARNESS_MAIN
