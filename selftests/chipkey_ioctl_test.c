// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey ioctl ABI: info, round trips at every interesting size, limits,
 * ENOSPC sizing, malformed packages, bad pointers and non-zero reserved
 * fields.  Also built with -m32 to exercise the compat ioctl path.
 *
 * Expectations come from include/uapi/linux/chipkey.h and the fuse image
 * the module was loaded with (CK_FUSE_A), never from the module itself.
 */
#include "chipkey_common.h"
#include <sys/mman.h>

#include "kselftest_harness.h"

FIXTURE(ck)
{
	int fd;
	struct chipkey_info info;
	uint8_t fuse[CK_FUSE_IMAGE_SIZE];
};

FIXTURE_SETUP(ck)
{
	self->fd = ck_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", ck_dev_path(), strerror(errno));
	ASSERT_EQ(0, ck_info(self->fd, &self->info));
	ASSERT_EQ(0, ck_load_fuse(ck_fuse_a(), self->fuse))
		TH_LOG("cannot read fuse image %s", ck_fuse_a());
}

FIXTURE_TEARDOWN(ck)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(ck, info_fields)
{
	struct chipkey_info *i = &self->info;
	int k;

	EXPECT_EQ(CHIPKEY_ABI_VERSION, i->abi_version);
	EXPECT_EQ(CHIPKEY_SRC_VIRTUAL_FUSE, i->key_source);
	EXPECT_EQ(0, memcmp(i->chip_id, self->fuse + CK_FUSE_OFF_CHIP_ID,
			    CHIPKEY_CHIP_ID_LEN));
	EXPECT_EQ(CHIPKEY_MAX_PAYLOAD, i->max_payload);
	EXPECT_EQ(CHIPKEY_MAX_PACKAGE, i->max_package);
	EXPECT_EQ(CHIPKEY_PKG_OVERHEAD, i->pkg_overhead);
	EXPECT_EQ(ck_der_len(self->fuse + CK_FUSE_OFF_ROM_KEY,
			     CK_FUSE_ROM_KEY_SIZE), i->rom_key_len);
	EXPECT_EQ(0, i->flags);
	for (k = 0; k < 5; k++)
		EXPECT_EQ(0, i->reserved[k]);
}

TEST_F(ck, info_is_stable)
{
	struct chipkey_info again;

	ASSERT_EQ(0, ck_info(self->fd, &again));
	EXPECT_EQ(0, memcmp(&again, &self->info, sizeof(again)));
}

TEST_F(ck, sysfs_attributes)
{
	char buf[256], want[2 * CHIPKEY_CHIP_ID_LEN + 1], norm[256];
	ssize_t n;
	size_t j = 0;
	int k;

	n = ck_read_file("/sys/class/misc/chipkey/chip_id", buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = 0;
	/* Accept any separators / case: compare the hex digits only. */
	for (k = 0; k < n && j < sizeof(norm) - 1; k++) {
		char c = buf[k];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
			norm[j++] = c;
	}
	norm[j] = 0;
	ck_hex(self->fuse + CK_FUSE_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN, want);
	EXPECT_STREQ(want, norm);

	n = ck_read_file("/sys/class/misc/chipkey/abi_version", buf, sizeof(buf) - 1);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_EQ(CHIPKEY_ABI_VERSION, atoi(buf));
	EXPECT_LT(0, ck_read_file("/sys/class/misc/chipkey/key_source", buf, sizeof(buf)));
	EXPECT_LT(0, ck_read_file("/sys/class/misc/chipkey/state", buf, sizeof(buf)));
}

TEST_F(ck, devnode_mode)
{
	struct stat st;

	ASSERT_EQ(0, stat(ck_dev_path(), &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

static void check_round_trip(struct __test_metadata *_metadata, int fd,
			     const struct chipkey_info *info, size_t len,
			     uint64_t gen)
{
	size_t plen = ck_pkg_size(len), olen, back_len;
	uint8_t *in = malloc(len + 1), *pkg = malloc(plen + 1);
	uint8_t *back = malloc(len + 16);
	struct ck_pkg_header h;
	uint64_t gen_out = ~0ULL;

	ASSERT_TRUE(in && pkg && back);
	ck_fill(in, len, (uint32_t)len + 7);
	olen = plen;
	ASSERT_EQ(0, ck_wrap(fd, in, len, gen, pkg, &olen)) TH_LOG("len %zu", len);
	ASSERT_EQ(plen, olen);
	ASSERT_EQ(0, ck_pkg_header_parse(pkg, olen, &h));
	EXPECT_EQ(0, memcmp(h.chip_id, info->chip_id, CHIPKEY_CHIP_ID_LEN));
	EXPECT_EQ(gen, h.generation);
	EXPECT_EQ(len, h.payload_len);
	if (len >= 16)	/* the ciphertext is not the plaintext */
		EXPECT_NE(0, memcmp(pkg + CHIPKEY_PKG_HEADER_LEN, in, len));

	back_len = len + 16;
	memset(back, 0xee, back_len);
	ASSERT_EQ(0, ck_unwrap(fd, pkg, olen, back, &back_len, &gen_out));
	ASSERT_EQ(len, back_len);
	EXPECT_EQ(0, memcmp(back, in, len));
	EXPECT_EQ(gen, gen_out);
	free(in);
	free(pkg);
	free(back);
}

TEST_F(ck, round_trip_sizes)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 4095, 4096,
					CHIPKEY_MAX_PAYLOAD };
	unsigned int k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		check_round_trip(_metadata, self->fd, &self->info, sizes[k],
				 0x0102030405060708ULL + k);
}

TEST_F(ck, generation_extremes)
{
	check_round_trip(_metadata, self->fd, &self->info, 33, 0);
	check_round_trip(_metadata, self->fd, &self->info, 33, ~0ULL);
}

TEST_F(ck, wrap_is_randomised)
{
	uint8_t in[100], p1[100 + CHIPKEY_PKG_OVERHEAD], p2[sizeof(p1)];
	size_t l1 = sizeof(p1), l2 = sizeof(p2);

	ck_fill(in, sizeof(in), 1);
	ASSERT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 1, p1, &l1));
	ASSERT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 1, p2, &l2));
	/* fresh salt and nonce, hence a different ciphertext */
	EXPECT_NE(0, memcmp(p1 + CK_PKG_OFF_SALT, p2 + CK_PKG_OFF_SALT, CK_PKG_SALT_LEN));
	EXPECT_NE(0, memcmp(p1 + CK_PKG_OFF_NONCE, p2 + CK_PKG_OFF_NONCE, CK_PKG_NONCE_LEN));
	EXPECT_NE(0, memcmp(p1 + CHIPKEY_PKG_HEADER_LEN, p2 + CHIPKEY_PKG_HEADER_LEN,
			    sizeof(in)));
}

TEST_F(ck, wrap_too_large)
{
	size_t len = CHIPKEY_MAX_PAYLOAD + 1, olen = ck_pkg_size(len);
	uint8_t *in = calloc(1, len), *out = malloc(olen);

	ASSERT_TRUE(in && out);
	EXPECT_EQ(-EMSGSIZE, ck_wrap(self->fd, in, len, 0, out, &olen));
	olen = ck_pkg_size(len);
	EXPECT_EQ(-EMSGSIZE, ck_wrap(self->fd, in, 0xffffffffu, 0, out, &olen));
	free(in);
	free(out);
}

TEST_F(ck, unwrap_too_large)
{
	size_t len = CHIPKEY_MAX_PACKAGE + 1, olen = len;
	uint8_t *in = calloc(1, len), *out = malloc(len);

	ASSERT_TRUE(in && out);
	memcpy(in, CK_PKG_MAGIC, CK_PKG_MAGIC_LEN);
	EXPECT_EQ(-EMSGSIZE, ck_unwrap(self->fd, in, len, out, &olen, NULL));
	free(in);
	free(out);
}

TEST_F(ck, wrap_enospc_reports_size)
{
	uint8_t in[300], out[400];
	size_t need = ck_pkg_size(sizeof(in)), olen;

	ck_fill(in, sizeof(in), 3);
	olen = need - 1;
	EXPECT_EQ(-ENOSPC, ck_wrap(self->fd, in, sizeof(in), 0, out, &olen));
	EXPECT_EQ(need, olen);
	olen = 0;
	EXPECT_EQ(-ENOSPC, ck_wrap(self->fd, in, sizeof(in), 0, out, &olen));
	EXPECT_EQ(need, olen);
	olen = need;
	EXPECT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 0, out, &olen));
	EXPECT_EQ(need, olen);
}

TEST_F(ck, unwrap_enospc_reports_size)
{
	uint8_t in[300], pkg[400], out[300];
	size_t plen = sizeof(pkg), olen;

	ck_fill(in, sizeof(in), 4);
	ASSERT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 0, pkg, &plen));
	olen = sizeof(in) - 1;
	memset(out, 0, sizeof(out));
	EXPECT_EQ(-ENOSPC, ck_unwrap(self->fd, pkg, plen, out, &olen, NULL));
	EXPECT_EQ(sizeof(in), olen);
	/* nothing of the plaintext leaks into a too-small buffer */
	EXPECT_TRUE(memmem(out, sizeof(out), in, 16) == NULL);
	olen = sizeof(in);
	EXPECT_EQ(0, ck_unwrap(self->fd, pkg, plen, out, &olen, NULL));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
}

TEST_F(ck, unwrap_malformed)
{
	uint8_t in[64], pkg[64 + CHIPKEY_PKG_OVERHEAD + 1], out[256], junk[256];
	size_t plen = sizeof(pkg), olen;

	ck_fill(in, sizeof(in), 5);
	ASSERT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 0, pkg, &plen));

	olen = sizeof(out);	/* zero length */
	EXPECT_EQ(-EINVAL, ck_unwrap(self->fd, pkg, 0, out, &olen, NULL));
	olen = sizeof(out);	/* truncated by one byte */
	EXPECT_EQ(-EINVAL, ck_unwrap(self->fd, pkg, plen - 1, out, &olen, NULL));
	olen = sizeof(out);	/* header only */
	EXPECT_EQ(-EINVAL, ck_unwrap(self->fd, pkg, CHIPKEY_PKG_HEADER_LEN, out, &olen, NULL));
	olen = sizeof(out);	/* one trailing byte too many */
	pkg[plen] = 0;
	EXPECT_EQ(-EINVAL, ck_unwrap(self->fd, pkg, plen + 1, out, &olen, NULL));
	olen = sizeof(out);	/* shorter than the fixed overhead */
	EXPECT_EQ(-EINVAL, ck_unwrap(self->fd, pkg, CHIPKEY_PKG_OVERHEAD - 1, out, &olen, NULL));
	olen = sizeof(out);	/* garbage of a plausible size */
	ck_fill(junk, sizeof(junk), 6);
	EXPECT_EQ(-EINVAL, ck_unwrap(self->fd, junk, plen, out, &olen, NULL));
	olen = sizeof(out);	/* all zero */
	memset(junk, 0, sizeof(junk));
	EXPECT_EQ(-EINVAL, ck_unwrap(self->fd, junk, plen, out, &olen, NULL));
	olen = sizeof(out);	/* the untouched package still works */
	EXPECT_EQ(0, ck_unwrap(self->fd, pkg, plen, out, &olen, NULL));
	EXPECT_EQ(sizeof(in), olen);
}

TEST_F(ck, bad_pointers_efault)
{
	uint8_t in[64], pkg[64 + CHIPKEY_PKG_OVERHEAD], out[256];
	size_t plen = sizeof(pkg), olen;
	void *unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct chipkey_rom_key rk;

	ASSERT_TRUE(unmapped != MAP_FAILED);
	ck_fill(in, sizeof(in), 8);
	ASSERT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 0, pkg, &plen));

	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_INFO, unmapped));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_WRAP, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_UNWRAP, unmapped));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ROM_KEY, NULL));
	EXPECT_EQ(EFAULT, errno);

	olen = sizeof(out);
	EXPECT_EQ(-EFAULT, ck_wrap(self->fd, unmapped, sizeof(in), 0, out, &olen));
	olen = sizeof(out);
	EXPECT_EQ(-EFAULT, ck_wrap(self->fd, in, sizeof(in), 0, unmapped, &olen));
	olen = sizeof(out);
	EXPECT_EQ(-EFAULT, ck_wrap(self->fd, (void *)8, sizeof(in), 0, out, &olen));
	olen = sizeof(out);
	EXPECT_EQ(-EFAULT, ck_unwrap(self->fd, unmapped, plen, out, &olen, NULL));
	olen = sizeof(out);
	EXPECT_EQ(-EFAULT, ck_unwrap(self->fd, pkg, plen, unmapped, &olen, NULL));
	/* a kernel address is not a user pointer */
	olen = sizeof(out);
	EXPECT_EQ(-EFAULT, ck_unwrap(self->fd, pkg, plen,
				     (void *)(uintptr_t)0xffffffff81000000ULL, &olen, NULL));

	memset(&rk, 0, sizeof(rk));
	rk.buf_ptr = (uintptr_t)unmapped;
	rk.buf_len = CHIPKEY_MAX_ROM_KEY;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ROM_KEY, &rk));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);

	/* the device still works afterwards */
	olen = sizeof(out);
	EXPECT_EQ(0, ck_unwrap(self->fd, pkg, plen, out, &olen, NULL));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
}

TEST_F(ck, reserved_and_flags_einval)
{
	uint8_t in[32], pkg[32 + CHIPKEY_PKG_OVERHEAD], out[128];
	size_t plen = sizeof(pkg);
	struct chipkey_xfer x;
	struct chipkey_rom_key rk;
	uint8_t rkbuf[CHIPKEY_MAX_ROM_KEY];
	int k, cmd;

	ck_fill(in, sizeof(in), 9);
	ASSERT_EQ(0, ck_wrap(self->fd, in, sizeof(in), 0, pkg, &plen));

	for (cmd = 0; cmd < 2; cmd++) {
		unsigned long ioc = cmd ? CHIPKEY_IOC_UNWRAP : CHIPKEY_IOC_WRAP;

		for (k = -1; k < 5; k++) {
			memset(&x, 0, sizeof(x));
			x.in_ptr = (uintptr_t)(cmd ? pkg : in);
			x.in_len = cmd ? plen : sizeof(in);
			x.out_ptr = (uintptr_t)out;
			x.out_len = sizeof(out);
			if (k < 0)
				x.flags = 1;
			else
				x.reserved[k] = 0x80000000u;
			EXPECT_EQ(-1, ioctl(self->fd, ioc, &x))
				TH_LOG("cmd %d field %d", cmd, k);
			EXPECT_EQ(EINVAL, errno);
		}
	}
	for (k = -1; k < 4; k++) {
		memset(&rk, 0, sizeof(rk));
		rk.buf_ptr = (uintptr_t)rkbuf;
		rk.buf_len = sizeof(rkbuf);
		if (k < 0)
			rk.flags = 1;
		else
			rk.reserved[k] = 1;
		EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ROM_KEY, &rk));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(ck, unknown_ioctl)
{
	char buf[64] = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IOR(CHIPKEY_IOC_MAGIC, 0x7f, buf), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR('x', 0x01, struct chipkey_xfer), buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(ck, rom_key)
{
	uint8_t buf[CHIPKEY_MAX_ROM_KEY];
	size_t want = ck_der_len(self->fuse + CK_FUSE_OFF_ROM_KEY, CK_FUSE_ROM_KEY_SIZE);
	struct chipkey_rom_key rk;

	ASSERT_LT(0, want);
	memset(&rk, 0, sizeof(rk));
	rk.buf_ptr = (uintptr_t)buf;
	rk.buf_len = sizeof(buf);
	ASSERT_EQ(0, ioctl(self->fd, CHIPKEY_IOC_ROM_KEY, &rk));
	EXPECT_EQ(want, rk.buf_len);
	EXPECT_EQ(0, memcmp(buf, self->fuse + CK_FUSE_OFF_ROM_KEY, want));

	memset(&rk, 0, sizeof(rk));
	rk.buf_ptr = (uintptr_t)buf;
	rk.buf_len = 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ROM_KEY, &rk));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(want, rk.buf_len);
}

TEST_F(ck, readonly_open_info)
{
	int fd = open(ck_dev_path(), O_RDONLY | O_CLOEXEC);
	struct chipkey_info info;

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ck_info(fd, &info));
	EXPECT_EQ(0, memcmp(info.chip_id, self->info.chip_id, CHIPKEY_CHIP_ID_LEN));
	close(fd);
}

TEST_HARNESS_MAIN
