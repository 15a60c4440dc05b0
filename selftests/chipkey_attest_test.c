// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey attestation ioctls against the real module (ABI v2):
 * ATTEST_KEY, ATTEST, SEALED_WRAP and CHIP_MAC, raw ioctls only.
 *
 * The expected values come from the host (selftests/qemu/attest.sh, made
 * with the independent Python oracle scripts/ck_attest_oracle.py) in
 * $CK_ATTEST_DIR (default /expect/attest):
 *   chip_id.hex q.hex scalar.hex   chip A's ID, attestation key Q, scalar k
 *   v1.hex v2.hex                  verifier ephemeral public keys
 *   ctx0.bin ctx1.bin ctx2.bin     contexts (0, 37 and 256 bytes)
 *   sealed-N.bin plain-N.bin       packages sealed to chip A, N = 0, 1,
 *                                  1000, 65536, and their plaintexts
 *   sealed-other.bin               a package sealed to another chip ID
 *   swctx.bin gen.txt              context and generation of SEALED_WRAP
 *   macin.bin                      input of CHIP_MAC
 * What only the host can check is printed as "attest-NAME: hex" lines
 * (the 32-bit build: "attest32-NAME: hex"); the backups of SEALED_WRAP are
 * written to $CK_ATTEST_OUT (default /tmp/attest-out) as sw-N.ckb, which
 * guest-run.sh hands to the host.  The host then checks every MAC and
 * backup with the oracle (attest.sh).
 *
 * The 32-bit build (chipkey_attest_test_32, -DCK_ATTEST_32) runs the ABI
 * layout checks and the single-threaded cases through the compat path; the
 * threads, unbind and secret search cases are the 64-bit build's.
 */
#include "chipkey_common.h"
#include "chipkey_caps.h"
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <chipkey/attest.h>

#include "kselftest_harness.h"

#ifdef CK_ATTEST_32
#define PFX "attest32-"
#else
#define PFX "attest-"
#endif

#define MAXBUF		(CHIPKEY_MAX_SEALED + 16)
#define CK_DRV		"/sys/bus/platform/drivers/chipkey"

static const size_t seal_sizes[] = { 0, 1, 1000, 65536 };
#define NSEAL (sizeof(seal_sizes) / sizeof(seal_sizes[0]))

/* P-256: the field prime p and the base point G */
static const uint8_t P256_P[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};
/* y0: (0, y0) is on P-256, so (p, y0) is refused only by the range check */
static const uint8_t P256_Y0[32] = {
	0x66, 0x48, 0x5c, 0x78, 0x0e, 0x2f, 0x83, 0xd7, 0x24, 0x33, 0xbd, 0x5d,
	0x84, 0xa0, 0x6b, 0xb6, 0x54, 0x1c, 0x2a, 0xf3, 0x1d, 0xae, 0x87, 0x17,
	0x28, 0xbf, 0x85, 0x6a, 0x17, 0x4f, 0x93, 0xf4,
};
static uint8_t P256_G[CHIPKEY_EC_POINT_LEN];

__attribute__((constructor)) static void p256_g_init(void)
{
	ck_att_p256_generator(P256_G);
}

/* the invalid points: each refused with EINVAL */
enum { BAD_ZERO, BAD_X_IS_P, BAD_Y_IS_P, BAD_OFF_CURVE, BAD_PFX_00, BAD_PFX_02,
       BAD_PFX_05, BAD_X_IS_P_Y0, NBAD };
static const char *const bad_names[NBAD] = {
	"(0,0)", "x = p", "y = p", "not on the curve", "prefix 0x00",
	"prefix 0x02", "prefix 0x05", "(p, y0), on the curve mod p",
};

static void bad_point(int which, uint8_t pt[65])
{
	memcpy(pt, P256_G, 65);
	switch (which) {
	case BAD_ZERO: memset(pt + 1, 0, 64); break;
	case BAD_X_IS_P: memcpy(pt + 1, P256_P, 32); break;
	case BAD_Y_IS_P: memcpy(pt + 33, P256_P, 32); break;
	case BAD_OFF_CURVE: pt[64] ^= 1; break;
	case BAD_PFX_00: pt[0] = 0x00; break;
	case BAD_PFX_02: pt[0] = 0x02; break;
	case BAD_PFX_05: pt[0] = 0x05; break;
	case BAD_X_IS_P_Y0:
		memcpy(pt + 1, P256_P, 32);
		memcpy(pt + 33, P256_Y0, 32);
		break;
	}
}

/* ------------------------------------------------------------ files */

static const char *exp_dir(void)
{
	return ck_env("CK_ATTEST_DIR", "/expect/attest");
}

static const char *out_dir(void)
{
	return ck_env("CK_ATTEST_OUT", "/tmp/attest-out");
}

/* Read $CK_ATTEST_DIR/NAME; length or -errno. */
static ssize_t exp_read(const char *name, void *buf, size_t cap)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", exp_dir(), name);
	return ck_read_file(path, buf, cap);
}

static int unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
	size_t i;

	while (slen && (s[slen - 1] == '\n' || s[slen - 1] == '\r' || s[slen - 1] == ' '))
		slen--;
	if (slen != 2 * n)
		return -EINVAL;
	for (i = 0; i < 2 * n; i++) {
		int c = s[i], v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -EINVAL;
		if (i & 1)
			out[i / 2] |= (uint8_t)v;
		else
			out[i / 2] = (uint8_t)(v << 4);
	}
	return 0;
}

/* Read a hex file of exactly @n bytes. */
static int exp_hex(const char *name, uint8_t *out, size_t n)
{
	char buf[300];
	ssize_t len = exp_read(name, buf, sizeof(buf));

	if (len < 0)
		return (int)len;
	return unhex(buf, (size_t)len, out, n);
}

static void print_hex(const char *name, const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);

	if (!h)
		return;
	ck_hex(p, n, h);
	printf(PFX "%s: %s\n", name, h);
	fflush(stdout);
	free(h);
}

static int write_out(const char *name, const void *buf, size_t len)
{
	char path[512];
	int fd;
	ssize_t n;

	mkdir(out_dir(), 0700);
	snprintf(path, sizeof(path), "%s/%s", out_dir(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* ------------------------------------------------------------ ioctls */

static int do_attest(int fd, const uint8_t v[65], const void *ctx, size_t len,
		     uint8_t mac[32])
{
	struct chipkey_attest a;
	int r;

	memset(&a, 0, sizeof(a));
	a.context_ptr = (uintptr_t)ctx;
	a.context_len = (uint32_t)len;
	memcpy(a.verifier_pub, v, 65);
	memset(a.mac, 0x5a, sizeof(a.mac));
	r = ioctl(fd, CHIPKEY_IOC_ATTEST, &a) ? -errno : 0;
	if (mac)
		memcpy(mac, a.mac, 32);
	return r;
}

static int do_sealed_wrap(int fd, const void *in, size_t in_len, uint64_t gen,
			  const void *ctx, size_t ctx_len, void *out,
			  size_t *out_len, uint8_t mac[32])
{
	struct chipkey_sealed_wrap s;
	int r;

	memset(&s, 0, sizeof(s));
	s.in_ptr = (uintptr_t)in;
	s.in_len = (uint32_t)in_len;
	s.out_ptr = (uintptr_t)out;
	s.out_len = (uint32_t)*out_len;
	s.context_ptr = (uintptr_t)ctx;
	s.context_len = (uint32_t)ctx_len;
	s.generation = gen;
	memset(s.mac, 0x5a, sizeof(s.mac));
	r = ioctl(fd, CHIPKEY_IOC_SEALED_WRAP, &s) ? -errno : 0;
	*out_len = s.out_len;
	if (mac)
		memcpy(mac, s.mac, 32);
	return r;
}

static int do_chip_mac(int fd, uint32_t purpose, const void *in, size_t len,
		       uint8_t mac[32])
{
	struct chipkey_chip_mac m;
	int r;

	memset(&m, 0, sizeof(m));
	m.in_ptr = (uintptr_t)in;
	m.in_len = (uint32_t)len;
	m.purpose = purpose;
	memset(m.mac, 0x5a, sizeof(m.mac));
	r = ioctl(fd, CHIPKEY_IOC_CHIP_MAC, &m) ? -errno : 0;
	if (mac)
		memcpy(mac, m.mac, 32);
	return r;
}

static int do_attest_key(int fd, struct chipkey_attest_key *k)
{
	memset(k, 0xa5, sizeof(*k));
	return ioctl(fd, CHIPKEY_IOC_ATTEST_KEY, k) ? -errno : 0;
}

static int all_bytes(const void *p, int c, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++ != (uint8_t)c)
			return 0;
	return 1;
}

/* ------------------------------------------------------------ fixture */

FIXTURE(att)
{
	int fd;
	int missing;		/* no expected values from the host */
	uint8_t chip_id[16], q[65], v1[65], v2[65];
	uint8_t ctx0[8], ctx1[CHIPKEY_MAX_CONTEXT], ctx2[CHIPKEY_MAX_CONTEXT];
	size_t ctx1_len, ctx2_len;
	uint8_t swctx[CHIPKEY_MAX_CONTEXT];
	size_t swctx_len;
	uint64_t gen;
	uint8_t *sealed[NSEAL], *plain[NSEAL];
	size_t sealed_len[NSEAL], plain_len[NSEAL];
	uint8_t *other;
	size_t other_len;
	uint8_t macin[4096];
	size_t macin_len;
	uint8_t *out, *out2;
};

#define NEED_EXPECT() do { \
	if (self->missing) \
		SKIP(return, "no expected values in %s (made by the host's attest.sh)", \
		     exp_dir()); \
} while (0)

FIXTURE_SETUP(att)
{
	char name[64], num[32];
	ssize_t n;
	unsigned int i;

	self->fd = ck_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", ck_dev_path(), strerror(errno));
	self->out = malloc(MAXBUF);
	self->out2 = malloc(MAXBUF);
	ASSERT_TRUE(self->out && self->out2);
	if (exp_hex("q.hex", self->q, 65)) {
		self->missing = 1;
		return;
	}
	ASSERT_EQ(0, exp_hex("chip_id.hex", self->chip_id, 16));
	ASSERT_EQ(0, exp_hex("v1.hex", self->v1, 65));
	ASSERT_EQ(0, exp_hex("v2.hex", self->v2, 65));
	ASSERT_EQ(0, exp_read("ctx0.bin", self->ctx0, sizeof(self->ctx0)));
	n = exp_read("ctx1.bin", self->ctx1, sizeof(self->ctx1));
	ASSERT_LT(0, n);
	self->ctx1_len = (size_t)n;
	n = exp_read("ctx2.bin", self->ctx2, sizeof(self->ctx2));
	ASSERT_EQ(CHIPKEY_MAX_CONTEXT, n);
	self->ctx2_len = (size_t)n;
	n = exp_read("swctx.bin", self->swctx, sizeof(self->swctx));
	ASSERT_LE(0, n);
	self->swctx_len = (size_t)n;
	n = exp_read("gen.txt", num, sizeof(num) - 1);
	ASSERT_LT(0, n);
	num[n] = 0;
	self->gen = strtoull(num, NULL, 10);
	n = exp_read("macin.bin", self->macin, sizeof(self->macin));
	ASSERT_LE(0, n);
	self->macin_len = (size_t)n;
	for (i = 0; i < NSEAL; i++) {
		self->sealed[i] = malloc(MAXBUF);
		self->plain[i] = malloc(CHIPKEY_MAX_PAYLOAD + 1);
		ASSERT_TRUE(self->sealed[i] && self->plain[i]);
		snprintf(name, sizeof(name), "sealed-%zu.bin", seal_sizes[i]);
		n = exp_read(name, self->sealed[i], MAXBUF);
		ASSERT_EQ(ck_seal_size(seal_sizes[i]), n) TH_LOG("%s", name);
		self->sealed_len[i] = (size_t)n;
		snprintf(name, sizeof(name), "plain-%zu.bin", seal_sizes[i]);
		n = exp_read(name, self->plain[i], CHIPKEY_MAX_PAYLOAD + 1);
		ASSERT_EQ(seal_sizes[i], n) TH_LOG("%s", name);
		self->plain_len[i] = (size_t)n;
	}
	self->other = malloc(MAXBUF);
	ASSERT_TRUE(self->other != NULL);
	n = exp_read("sealed-other.bin", self->other, MAXBUF);
	ASSERT_LT(CHIPKEY_SEAL_OVERHEAD - 1, n);
	self->other_len = (size_t)n;
}

FIXTURE_TEARDOWN(att)
{
	unsigned int i;

	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < NSEAL; i++) {
		free(self->sealed[i]);
		free(self->plain[i]);
	}
	free(self->other);
	free(self->out);
	free(self->out2);
}

/* index of the 1-byte sealed package */
#define S1 1

/* --------------------------------------------------------- ABI layout */

/* The x86-64 layout; a 32-bit build must see the same (no compat code). */
TEST(abi_layout)
{
	EXPECT_EQ(96, sizeof(struct chipkey_attest_key));
	EXPECT_EQ(0, offsetof(struct chipkey_attest_key, pub));
	EXPECT_EQ(65, offsetof(struct chipkey_attest_key, pad));
	EXPECT_EQ(72, offsetof(struct chipkey_attest_key, flags));
	EXPECT_EQ(76, offsetof(struct chipkey_attest_key, reserved));

	EXPECT_EQ(136, sizeof(struct chipkey_attest));
	EXPECT_EQ(0, offsetof(struct chipkey_attest, context_ptr));
	EXPECT_EQ(8, offsetof(struct chipkey_attest, context_len));
	EXPECT_EQ(12, offsetof(struct chipkey_attest, flags));
	EXPECT_EQ(16, offsetof(struct chipkey_attest, verifier_pub));
	EXPECT_EQ(81, offsetof(struct chipkey_attest, pad));
	EXPECT_EQ(88, offsetof(struct chipkey_attest, mac));
	EXPECT_EQ(120, offsetof(struct chipkey_attest, reserved));

	EXPECT_EQ(96, sizeof(struct chipkey_sealed_wrap));
	EXPECT_EQ(0, offsetof(struct chipkey_sealed_wrap, in_ptr));
	EXPECT_EQ(8, offsetof(struct chipkey_sealed_wrap, out_ptr));
	EXPECT_EQ(16, offsetof(struct chipkey_sealed_wrap, context_ptr));
	EXPECT_EQ(24, offsetof(struct chipkey_sealed_wrap, in_len));
	EXPECT_EQ(28, offsetof(struct chipkey_sealed_wrap, out_len));
	EXPECT_EQ(32, offsetof(struct chipkey_sealed_wrap, generation));
	EXPECT_EQ(40, offsetof(struct chipkey_sealed_wrap, context_len));
	EXPECT_EQ(44, offsetof(struct chipkey_sealed_wrap, flags));
	EXPECT_EQ(48, offsetof(struct chipkey_sealed_wrap, mac));
	EXPECT_EQ(80, offsetof(struct chipkey_sealed_wrap, reserved));

	EXPECT_EQ(72, sizeof(struct chipkey_chip_mac));
	EXPECT_EQ(0, offsetof(struct chipkey_chip_mac, in_ptr));
	EXPECT_EQ(8, offsetof(struct chipkey_chip_mac, in_len));
	EXPECT_EQ(12, offsetof(struct chipkey_chip_mac, purpose));
	EXPECT_EQ(16, offsetof(struct chipkey_chip_mac, flags));
	EXPECT_EQ(20, offsetof(struct chipkey_chip_mac, reserved));
	EXPECT_EQ(40, offsetof(struct chipkey_chip_mac, mac));

	EXPECT_EQ(0xC7, _IOC_TYPE(CHIPKEY_IOC_ATTEST_KEY));
	EXPECT_EQ(4, _IOC_NR(CHIPKEY_IOC_ATTEST_KEY));
	EXPECT_EQ(_IOC_READ, _IOC_DIR(CHIPKEY_IOC_ATTEST_KEY));
	EXPECT_EQ(5, _IOC_NR(CHIPKEY_IOC_ATTEST));
	EXPECT_EQ(6, _IOC_NR(CHIPKEY_IOC_SEALED_WRAP));
	EXPECT_EQ(7, _IOC_NR(CHIPKEY_IOC_CHIP_MAC));
	EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(CHIPKEY_IOC_CHIP_MAC));
}

TEST(abi_version_2)
{
	struct chipkey_info info;
	int fd = ck_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ck_info(fd, &info));
	EXPECT_EQ(2, info.abi_version);
	close(fd);
}

/* --------------------------------------------------------- ATTEST_KEY */

TEST_F(att, attest_key_is_q)
{
	struct chipkey_attest_key k;

	NEED_EXPECT();
	ASSERT_EQ(0, do_attest_key(self->fd, &k));
	print_hex("key", k.pub, 65);
	EXPECT_EQ(0, memcmp(k.pub, self->q, 65)) TH_LOG("ATTEST_KEY differs from the oracle's Q");
	EXPECT_TRUE(all_bytes(k.pad, 0, sizeof(k.pad)));
	EXPECT_EQ(0, k.flags);
	EXPECT_TRUE(all_bytes(k.reserved, 0, sizeof(k.reserved)));
	/* and it never changes */
	ASSERT_EQ(0, do_attest_key(self->fd, &k));
	EXPECT_EQ(0, memcmp(k.pub, self->q, 65));
	/* a bad pointer */
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST_KEY, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* ------------------------------------------------------------- ATTEST */

TEST_F(att, attest_macs_for_the_host)
{
	uint8_t m1[32], m2[32];

	NEED_EXPECT();
	/* empty context: pointer 0 */
	ASSERT_EQ(0, do_attest(self->fd, self->v1, NULL, 0, m1));
	print_hex("mac-v1-ctx0", m1, 32);
	/* an empty context at a real pointer: the same MAC */
	ASSERT_EQ(0, do_attest(self->fd, self->v1, self->ctx0, 0, m2));
	EXPECT_EQ(0, memcmp(m1, m2, 32));

	ASSERT_EQ(0, do_attest(self->fd, self->v1, self->ctx1, self->ctx1_len, m1));
	print_hex("mac-v1-ctx1", m1, 32);
	ASSERT_EQ(0, do_attest(self->fd, self->v1, self->ctx1, self->ctx1_len, m2));
	EXPECT_EQ(0, memcmp(m1, m2, 32)) TH_LOG("same input twice, different MACs");
	EXPECT_FALSE(all_bytes(m1, 0x5a, 32));

	ASSERT_EQ(0, do_attest(self->fd, self->v2, self->ctx2, self->ctx2_len, m2));
	print_hex("mac-v2-ctx2", m2, 32);
	EXPECT_NE(0, memcmp(m1, m2, 32));
	ASSERT_EQ(0, do_attest(self->fd, self->v2, self->ctx1, self->ctx1_len, m2));
	print_hex("mac-v2-ctx1", m2, 32);
	EXPECT_NE(0, memcmp(m1, m2, 32)) TH_LOG("other verifier key, same MAC");
	/* one context bit changes the MAC */
	self->ctx1[0] ^= 1;
	ASSERT_EQ(0, do_attest(self->fd, self->v1, self->ctx1, self->ctx1_len, m2));
	EXPECT_NE(0, memcmp(m1, m2, 32));
}

TEST_F(att, attest_invalid_points)
{
	uint8_t pt[65], mac[32];
	int i;

	NEED_EXPECT();
	for (i = 0; i < NBAD; i++) {
		bad_point(i, pt);
		EXPECT_EQ(-EINVAL, do_attest(self->fd, pt, self->ctx1, self->ctx1_len, mac))
			TH_LOG("verifier key %s", bad_names[i]);
		EXPECT_TRUE(all_bytes(mac, 0x5a, 32)) TH_LOG("MAC written for %s", bad_names[i]);
	}
	/* the base point itself is a valid key */
	EXPECT_EQ(0, do_attest(self->fd, P256_G, NULL, 0, mac));
}

TEST_F(att, attest_fields_and_order)
{
	struct chipkey_attest a, tmpl;
	unsigned int i;

	NEED_EXPECT();
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.context_ptr = (uintptr_t)self->ctx2;
	tmpl.context_len = CHIPKEY_MAX_CONTEXT;
	memcpy(tmpl.verifier_pub, self->v1, 65);

	a = tmpl;
	EXPECT_EQ(0, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));	/* 256: fine */
	a = tmpl;
	a.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EINVAL, errno);
	a = tmpl;
	a.flags = 0x80000000u;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < sizeof(a.pad); i++) {
		a = tmpl;
		a.pad[i] = 1;
		EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a)) TH_LOG("pad[%u]", i);
		EXPECT_EQ(EINVAL, errno);
	}
	for (i = 0; i < 4; i++) {
		a = tmpl;
		a.reserved[i] = 1u << (i * 8);
		EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a)) TH_LOG("reserved[%u]", i);
		EXPECT_EQ(EINVAL, errno);
	}
	a = tmpl;
	a.context_len = CHIPKEY_MAX_CONTEXT + 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EMSGSIZE, errno);
	a = tmpl;
	a.context_len = 0xffffffffu;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EMSGSIZE, errno);
	/* the mac field on input is ignored (it is output only) */
	a = tmpl;
	memset(a.mac, 0xff, sizeof(a.mac));
	EXPECT_EQ(0, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));

	/* order: flags (3) before length (4) */
	a = tmpl;
	a.flags = 1;
	a.context_len = CHIPKEY_MAX_CONTEXT + 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EINVAL, errno);
	/* length (4) before the point prefix (5) */
	a = tmpl;
	a.context_len = CHIPKEY_MAX_CONTEXT + 1;
	a.verifier_pub[0] = 0x05;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EMSGSIZE, errno);
	/* the prefix (5) before the context copy (6) */
	a = tmpl;
	a.verifier_pub[0] = 0x02;
	a.context_ptr = 8;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EINVAL, errno);
	/* the context copy (6) */
	a = tmpl;
	a.context_ptr = 8;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EFAULT, errno);
	/* ... before the curve check (7) */
	a = tmpl;
	a.context_ptr = 8;
	a.verifier_pub[64] ^= 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, &a));
	EXPECT_EQ(EFAULT, errno);
	/* the structure itself (2) */
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_ATTEST, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* -------------------------------------------------------- SEALED_WRAP */

TEST_F_TIMEOUT(att, sealed_wrap_for_the_host, 120)
{
	uint8_t mac[32], mac2[32];
	unsigned int i;

	NEED_EXPECT();
	for (i = 0; i < NSEAL; i++) {
		size_t olen = MAXBUF, ulen = MAXBUF;
		uint64_t gen = 0;
		char name[64];

		memset(self->out, 0xa5, MAXBUF);
		ASSERT_EQ(0, do_sealed_wrap(self->fd, self->sealed[i], self->sealed_len[i],
					    self->gen, self->swctx, self->swctx_len,
					    self->out, &olen, mac))
			TH_LOG("payload %zu", seal_sizes[i]);
		EXPECT_EQ(ck_pkg_size(seal_sizes[i]), olen);
		EXPECT_FALSE(all_bytes(mac, 0x5a, 32));
		/* a backup package of this chip, with the generation asked for */
		EXPECT_EQ(0, memcmp(self->out, CK_PKG_MAGIC, CK_PKG_MAGIC_LEN));
		EXPECT_EQ(0, memcmp(self->out + CK_PKG_OFF_CHIP_ID, self->chip_id, 16));
		/* the plaintext never leaves the chip in clear */
		if (seal_sizes[i] >= 16)
			EXPECT_TRUE(memmem(self->out, olen, self->plain[i], 16) == NULL);
		snprintf(name, sizeof(name), "sw-mac-%zu", seal_sizes[i]);
		print_hex(name, mac, 32);
		snprintf(name, sizeof(name), "sw-%zu.ckb", seal_sizes[i]);
		EXPECT_EQ(0, write_out(name, self->out, olen));

		/* the backup unwraps to the sealed plaintext */
		ASSERT_EQ(0, ck_unwrap(self->fd, self->out, olen, self->out2, &ulen, &gen));
		EXPECT_EQ(seal_sizes[i], ulen);
		EXPECT_EQ(0, memcmp(self->out2, self->plain[i], seal_sizes[i]));
		EXPECT_EQ(self->gen, gen);

		/* again: a fresh backup (random salt/nonce), so another MAC */
		olen = MAXBUF;
		ASSERT_EQ(0, do_sealed_wrap(self->fd, self->sealed[i], self->sealed_len[i],
					    self->gen, self->swctx, self->swctx_len,
					    self->out2, &olen, mac2));
		EXPECT_NE(0, memcmp(self->out, self->out2, olen));
		EXPECT_NE(0, memcmp(mac, mac2, 32));
	}
}

TEST_F(att, sealed_wrap_empty_context_and_generations)
{
	uint64_t gens[] = { 0, 1, 0xffffffffffffffffull };
	uint8_t mac[32];
	unsigned int i;

	NEED_EXPECT();
	for (i = 0; i < 3; i++) {
		size_t olen = MAXBUF, ulen = MAXBUF;
		uint64_t gen = 7;

		ASSERT_EQ(0, do_sealed_wrap(self->fd, self->sealed[S1], self->sealed_len[S1],
					    gens[i], NULL, 0, self->out, &olen, mac));
		ASSERT_EQ(0, ck_unwrap(self->fd, self->out, olen, self->out2, &ulen, &gen));
		EXPECT_EQ(gens[i], gen);
		EXPECT_EQ(1, ulen);
		EXPECT_EQ(self->plain[S1][0], self->out2[0]);
	}
	/* 256 bytes of context are fine */
	{
		size_t olen = MAXBUF;

		EXPECT_EQ(0, do_sealed_wrap(self->fd, self->sealed[S1], self->sealed_len[S1],
					    1, self->ctx2, CHIPKEY_MAX_CONTEXT,
					    self->out, &olen, mac));
	}
}

/* Expected errno of a sealed package with byte @i flipped (xor 0x01). */
static int flip_expect(size_t i, size_t len, int *alt)
{
	*alt = 0;
	if (i < CK_SEAL_OFF_CHIP_ID)
		return EINVAL;		/* magic, version, algorithm, flags */
	if (i < CK_SEAL_OFF_EPH)
		return ENOKEY;		/* chip ID */
	if (i == CK_SEAL_OFF_EPH)
		return EINVAL;		/* 0x04 -> 0x05 */
	if (i < CK_SEAL_OFF_RESERVED1) {
		*alt = EBADMSG;		/* a coordinate: off the curve, or */
		return EINVAL;		/* (very unlikely) another point */
	}
	if (i < CK_SEAL_OFF_NONCE)
		return EINVAL;		/* reserved */
	if (i < CK_SEAL_OFF_PAYLOAD_LEN)
		return EBADMSG;		/* nonce */
	if (i < CK_SEAL_OFF_RESERVED2)
		return EINVAL;		/* payload length vs package length */
	if (i < CHIPKEY_SEAL_HEADER_LEN)
		return EINVAL;		/* reserved */
	(void)len;
	return EBADMSG;			/* ciphertext, tag */
}

TEST_F_TIMEOUT(att, sealed_wrap_every_byte_flip_refused, 300)
{
	uint8_t pkg[CHIPKEY_SEAL_OVERHEAD + 1], mac[32];
	size_t len = self->sealed_len[S1], i;
	unsigned int counts[4] = { 0 };

	NEED_EXPECT();
	ASSERT_EQ(sizeof(pkg), len);
	for (i = 0; i < len; i++) {
		size_t olen = MAXBUF;
		int r, want, alt;

		memcpy(pkg, self->sealed[S1], len);
		pkg[i] ^= 0x01;
		memset(self->out, 0xa5, 4096);
		r = do_sealed_wrap(self->fd, pkg, len, self->gen, self->swctx,
				   self->swctx_len, self->out, &olen, mac);
		want = flip_expect(i, len, &alt);
		EXPECT_TRUE(r == -want || (alt && r == -alt))
			TH_LOG("byte %zu flipped: %d (%s), want %s", i, r, strerror(-r),
			       strerror(want));
		EXPECT_TRUE(all_bytes(self->out, 0xa5, 4096)) TH_LOG("byte %zu: output written", i);
		EXPECT_TRUE(all_bytes(mac, 0x5a, 32)) TH_LOG("byte %zu: MAC written", i);
		counts[r == -EINVAL ? 0 : r == -ENOKEY ? 1 : r == -EBADMSG ? 2 : 3]++;
	}
	ksft_print_msg("%zu flips: %u EINVAL, %u ENOKEY, %u EBADMSG, %u other\n",
		       len, counts[0], counts[1], counts[2], counts[3]);
	/* the package itself is fine */
	{
		size_t olen = MAXBUF;

		EXPECT_EQ(0, do_sealed_wrap(self->fd, self->sealed[S1], len, 1, NULL, 0,
					    self->out, &olen, mac));
	}
}

TEST_F(att, sealed_wrap_other_chip_and_lengths)
{
	uint8_t *pkg = self->out2, mac[32];
	size_t len = self->sealed_len[2], olen;	/* 1000 bytes */

	NEED_EXPECT();
	olen = MAXBUF;
	memset(self->out, 0xa5, 4096);
	EXPECT_EQ(-ENOKEY, do_sealed_wrap(self->fd, self->other, self->other_len, 1,
					  NULL, 0, self->out, &olen, mac));
	EXPECT_TRUE(all_bytes(self->out, 0xa5, 4096));
	/* ENOKEY (8) before ENOSPC (9) */
	olen = 1;
	EXPECT_EQ(-ENOKEY, do_sealed_wrap(self->fd, self->other, self->other_len, 1,
					  NULL, 0, self->out, &olen, mac));

	/* truncated or extended: the payload length no longer matches */
	memcpy(pkg, self->sealed[2], len);
	olen = MAXBUF;
	EXPECT_EQ(-EINVAL, do_sealed_wrap(self->fd, pkg, len - 1, 1, NULL, 0,
					  self->out, &olen, mac));
	olen = MAXBUF;
	EXPECT_EQ(-EINVAL, do_sealed_wrap(self->fd, pkg, len + 1, 1, NULL, 0,
					  self->out, &olen, mac));
	olen = MAXBUF;
	EXPECT_EQ(-EINVAL, do_sealed_wrap(self->fd, pkg, CHIPKEY_SEAL_OVERHEAD - 1, 1,
					  NULL, 0, self->out, &olen, mac));
	olen = MAXBUF;
	EXPECT_EQ(-EINVAL, do_sealed_wrap(self->fd, pkg, 0, 1, NULL, 0,
					  self->out, &olen, mac));
	olen = MAXBUF;
	EXPECT_EQ(-EMSGSIZE, do_sealed_wrap(self->fd, pkg, CHIPKEY_MAX_SEALED + 1, 1,
					    NULL, 0, self->out, &olen, mac));
	olen = MAXBUF;
	EXPECT_EQ(-EMSGSIZE, do_sealed_wrap(self->fd, pkg, 0xffffffffu, 1,
					    NULL, 0, self->out, &olen, mac));
}

TEST_F(att, sealed_wrap_invalid_points)
{
	uint8_t *pkg = self->out2, mac[32];
	size_t len = self->sealed_len[S1];
	int i;

	NEED_EXPECT();
	for (i = 0; i < NBAD; i++) {
		size_t olen = MAXBUF;

		memcpy(pkg, self->sealed[S1], len);
		bad_point(i, pkg + CK_SEAL_OFF_EPH);
		memset(self->out, 0xa5, 4096);
		EXPECT_EQ(-EINVAL, do_sealed_wrap(self->fd, pkg, len, 1, NULL, 0,
						  self->out, &olen, mac))
			TH_LOG("E = %s", bad_names[i]);
		EXPECT_TRUE(all_bytes(self->out, 0xa5, 4096));
		EXPECT_TRUE(all_bytes(mac, 0x5a, 32));
	}
	/* order: ENOSPC (9) before the curve check (10) */
	{
		size_t olen = 10;

		memcpy(pkg, self->sealed[S1], len);
		bad_point(BAD_OFF_CURVE, pkg + CK_SEAL_OFF_EPH);
		EXPECT_EQ(-ENOSPC, do_sealed_wrap(self->fd, pkg, len, 1, NULL, 0,
						  self->out, &olen, mac));
		EXPECT_EQ(ck_pkg_size(1), olen);
		/* the curve check (10) before the tag (11) */
		pkg[len - 1] ^= 1;
		olen = MAXBUF;
		EXPECT_EQ(-EINVAL, do_sealed_wrap(self->fd, pkg, len, 1, NULL, 0,
						  self->out, &olen, mac));
	}
}

TEST_F(att, sealed_wrap_enospc_fields_and_order)
{
	struct chipkey_sealed_wrap s, tmpl;
	unsigned int i, k;

	NEED_EXPECT();
	for (k = 0; k < NSEAL; k++) {
		size_t need = ck_pkg_size(seal_sizes[k]);

		memset(&s, 0, sizeof(s));
		s.in_ptr = (uintptr_t)self->sealed[k];
		s.in_len = (uint32_t)self->sealed_len[k];
		s.out_ptr = (uintptr_t)self->out;
		s.out_len = (uint32_t)need - 1;
		memset(self->out, 0xa5, MAXBUF);
		EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
		EXPECT_EQ(ENOSPC, errno);
		EXPECT_EQ(need, s.out_len) TH_LOG("payload %zu", seal_sizes[k]);
		EXPECT_TRUE(all_bytes(self->out, 0xa5, MAXBUF));
		s.out_ptr = 0;
		s.out_len = 0;
		EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
		EXPECT_EQ(ENOSPC, errno);
		EXPECT_EQ(need, s.out_len);
		/* exactly the size needed is enough */
		s.out_ptr = (uintptr_t)self->out;
		s.out_len = (uint32_t)need;
		EXPECT_EQ(0, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
		EXPECT_EQ(need, s.out_len);
	}

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.in_ptr = (uintptr_t)self->sealed[S1];
	tmpl.in_len = (uint32_t)self->sealed_len[S1];
	tmpl.out_ptr = (uintptr_t)self->out;
	tmpl.out_len = MAXBUF;
	tmpl.context_ptr = (uintptr_t)self->ctx2;
	tmpl.context_len = 10;
	s = tmpl;
	EXPECT_EQ(0, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	s = tmpl;
	s.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < 4; i++) {
		s = tmpl;
		s.reserved[i] = 0x100u << i;
		EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s)) TH_LOG("reserved[%u]", i);
		EXPECT_EQ(EINVAL, errno);
	}
	s = tmpl;
	s.context_len = CHIPKEY_MAX_CONTEXT + 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	EXPECT_EQ(EMSGSIZE, errno);
	/* order: flags (3) before sizes (4, 5) */
	s = tmpl;
	s.flags = 2;
	s.in_len = CHIPKEY_MAX_SEALED + 1;
	s.context_len = CHIPKEY_MAX_CONTEXT + 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	EXPECT_EQ(EINVAL, errno);
	/* context size (5) before the minimum package size (6) */
	s = tmpl;
	s.in_len = 3;
	s.context_len = CHIPKEY_MAX_CONTEXT + 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	EXPECT_EQ(EMSGSIZE, errno);
	/* bad pointers */
	s = tmpl;
	s.in_ptr = 8;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	EXPECT_EQ(EFAULT, errno);
	s = tmpl;
	s.context_ptr = 8;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	EXPECT_EQ(EFAULT, errno);
	s = tmpl;
	s.out_ptr = 8;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, &s));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_SEALED_WRAP, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* ----------------------------------------------------------- CHIP_MAC */

TEST_F(att, chip_mac)
{
	struct chipkey_chip_mac m, tmpl;
	uint8_t mac[32], mac2[32], *big = self->out;
	unsigned int i;

	NEED_EXPECT();
	ASSERT_EQ(0, do_chip_mac(self->fd, CHIPKEY_MAC_FLASH_MANIFEST, self->macin,
				 self->macin_len, mac));
	print_hex("chip-mac", mac, 32);
	ASSERT_EQ(0, do_chip_mac(self->fd, CHIPKEY_MAC_FLASH_MANIFEST, self->macin,
				 self->macin_len, mac2));
	EXPECT_EQ(0, memcmp(mac, mac2, 32));
	ASSERT_EQ(0, do_chip_mac(self->fd, CHIPKEY_MAC_FLASH_MANIFEST, NULL, 0, mac2));
	print_hex("chip-mac-empty", mac2, 32);
	EXPECT_NE(0, memcmp(mac, mac2, 32));

	EXPECT_EQ(-EINVAL, do_chip_mac(self->fd, 0, self->macin, self->macin_len, mac2));
	EXPECT_TRUE(all_bytes(mac2, 0x5a, 32));
	EXPECT_EQ(-EINVAL, do_chip_mac(self->fd, 2, self->macin, self->macin_len, mac2));
	EXPECT_EQ(-EINVAL, do_chip_mac(self->fd, 0xffffffffu, NULL, 0, mac2));
	memset(big, 0x33, CHIPKEY_MAX_MAC_INPUT + 1);
	EXPECT_EQ(-EMSGSIZE, do_chip_mac(self->fd, 1, big, CHIPKEY_MAX_MAC_INPUT + 1, mac2));
	EXPECT_EQ(0, do_chip_mac(self->fd, 1, big, CHIPKEY_MAX_MAC_INPUT, mac2));
	/* order: purpose (4) before size (5) */
	EXPECT_EQ(-EINVAL, do_chip_mac(self->fd, 2, big, CHIPKEY_MAX_MAC_INPUT + 1, mac2));
	/* the input copy (6) */
	EXPECT_EQ(-EFAULT, do_chip_mac(self->fd, 1, (void *)8, 10, mac2));

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.in_ptr = (uintptr_t)self->macin;
	tmpl.in_len = (uint32_t)self->macin_len;
	tmpl.purpose = CHIPKEY_MAC_FLASH_MANIFEST;
	m = tmpl;
	EXPECT_EQ(0, ioctl(self->fd, CHIPKEY_IOC_CHIP_MAC, &m));
	EXPECT_EQ(0, memcmp(m.mac, mac, 32));
	m = tmpl;
	m.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_CHIP_MAC, &m));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < 5; i++) {
		m = tmpl;
		m.reserved[i] = 1;
		EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_CHIP_MAC, &m)) TH_LOG("reserved[%u]", i);
		EXPECT_EQ(EINVAL, errno);
	}
	/* order: flags (3) before purpose (4) — both EINVAL — and size (5) */
	m = tmpl;
	m.flags = 1;
	m.in_len = CHIPKEY_MAX_MAC_INPUT + 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_CHIP_MAC, &m));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_CHIP_MAC, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* ------------------------------------------------------- unprivileged */


/* Child body: 0, or the number of the step that misbehaved. */
static int unprivileged_checks(FIXTURE_DATA(att) *self)
{
	struct chipkey_attest_key k;
	struct chipkey_attest a;
	struct chipkey_sealed_wrap s;
	struct chipkey_chip_mac m;
	uint8_t mac[32];
	size_t olen = MAXBUF;
	int fd = ck_open();

	if (fd < 0)
		return 10;
	if (do_attest_key(fd, &k) || memcmp(k.pub, self->q, 65))
		return 11;
	if (do_attest(fd, self->v1, self->ctx1, self->ctx1_len, mac) != -EPERM)
		return 12;
	if (!all_bytes(mac, 0x5a, 32))
		return 13;
	memset(self->out, 0xa5, MAXBUF);
	if (do_sealed_wrap(fd, self->sealed[S1], self->sealed_len[S1], 1, NULL, 0,
			   self->out, &olen, mac) != -EPERM)
		return 14;
	if (!all_bytes(self->out, 0xa5, MAXBUF) || !all_bytes(mac, 0x5a, 32))
		return 15;
	/* ENOSPC would leak the payload size: EPERM comes first */
	olen = 0;
	if (do_sealed_wrap(fd, self->sealed[S1], self->sealed_len[S1], 1, NULL, 0,
			   NULL, &olen, mac) != -EPERM || olen != 0)
		return 16;
	if (do_chip_mac(fd, CHIPKEY_MAC_FLASH_MANIFEST, self->macin, self->macin_len,
			mac) != -EPERM || !all_bytes(mac, 0x5a, 32))
		return 17;
	/* EPERM before everything else */
	memset(&a, 0, sizeof(a));
	a.flags = 1;
	a.context_len = 100000;
	if (ioctl(fd, CHIPKEY_IOC_ATTEST, &a) != -1 || errno != EPERM)
		return 18;
	if (ioctl(fd, CHIPKEY_IOC_ATTEST, (void *)8) != -1 || errno != EPERM)
		return 19;
	memset(&s, 0, sizeof(s));
	s.flags = 1;
	if (ioctl(fd, CHIPKEY_IOC_SEALED_WRAP, &s) != -1 || errno != EPERM)
		return 20;
	memset(&m, 0, sizeof(m));
	m.purpose = 99;
	if (ioctl(fd, CHIPKEY_IOC_CHIP_MAC, &m) != -1 || errno != EPERM)
		return 21;
	close(fd);
	return 0;
}

static int run_child(int (*drop)(void), FIXTURE_DATA(att) *self)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (drop())
			_exit(2);
		_exit(unprivileged_checks(self));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(att, unprivileged_nobody)
{
	int r;

	NEED_EXPECT();
	r = run_child(drop_to_nobody, self);
	EXPECT_EQ(0, r) TH_LOG("child failed at step %d (2 = could not drop privileges, "
			       "11 = ATTEST_KEY, 12-21 = not EPERM or output written)", r);
}

TEST_F(att, root_without_cap_sys_admin)
{
	int r;

	NEED_EXPECT();
	r = run_child(drop_sys_admin, self);
	EXPECT_EQ(0, r) TH_LOG("child failed at step %d", r);
}

#ifndef CK_ATTEST_32
/* ---------------------------------------------------------- threads */

#define NTHREADS	4

struct worker {
	FIXTURE_DATA(att) *self;
	int fd;
	unsigned int id, iters;
	const uint8_t *ref_mac;		/* ATTEST(v1, ctx1) */
	volatile int *stop;		/* run until set (unbind case) */
	unsigned int ok, enodev, bad;
	char why[160];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	FIXTURE_DATA(att) *self = w->self;
	uint8_t *out = malloc(MAXBUF), *plain = malloc(MAXBUF), mac[32];
	unsigned int i;

	if (!out || !plain) {
		w->bad++;
		goto done;
	}
	for (i = 0; w->stop ? !*w->stop : i < w->iters; i++) {
		size_t olen = MAXBUF, ulen = MAXBUF;
		uint64_t gen = 0;
		int r;

		r = do_attest(w->fd, self->v1, self->ctx1, self->ctx1_len, mac);
		if (r == -ENODEV && w->stop) {
			w->enodev++;
		} else if (r || memcmp(mac, w->ref_mac, 32)) {
			snprintf(w->why, sizeof(w->why), "ATTEST %u: %d", i, r);
			w->bad++;
		} else {
			w->ok++;
		}
		r = do_sealed_wrap(w->fd, self->sealed[2], self->sealed_len[2],
				   1000 + w->id, self->swctx, self->swctx_len,
				   out, &olen, mac);
		if (r == -ENODEV && w->stop) {
			w->enodev++;
			continue;
		}
		if (r || olen != ck_pkg_size(1000)) {
			snprintf(w->why, sizeof(w->why), "SEALED_WRAP %u: %d", i, r);
			w->bad++;
			continue;
		}
		r = ck_unwrap(w->fd, out, olen, plain, &ulen, &gen);
		if (r == -ENODEV && w->stop) {
			w->enodev++;
			continue;
		}
		if (r || ulen != 1000 || memcmp(plain, self->plain[2], 1000) ||
		    gen != 1000 + w->id) {
			snprintf(w->why, sizeof(w->why), "UNWRAP of SEALED_WRAP %u: %d", i, r);
			w->bad++;
			continue;
		}
		w->ok++;
	}
done:
	free(out);
	free(plain);
	return NULL;
}

TEST_F_TIMEOUT(att, four_threads, 300)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	uint8_t ref[32];
	unsigned int i, ok = 0;
	double t0;

	NEED_EXPECT();
	ASSERT_EQ(0, do_attest(self->fd, self->v1, self->ctx1, self->ctx1_len, ref));
	t0 = ck_now();
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .self = self, .id = i, .iters = 12, .ref_mac = ref };
		/* two threads share the fixture's fd, two have their own */
		w[i].fd = i < 2 ? self->fd : ck_open();
		ASSERT_LE(0, w[i].fd);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, work, &w[i]));
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].bad) TH_LOG("thread %u: %u bad, last: %s", i, w[i].bad, w[i].why);
		ok += w[i].ok;
		if (i >= 2)
			close(w[i].fd);
	}
	EXPECT_EQ(NTHREADS * 12 * 2, ok);
	ksft_print_msg("%u ATTEST + SEALED_WRAP/UNWRAP results correct in %.1f s\n",
		       ok, ck_now() - t0);
}

/* Write @val to @path in a child; 0 if it finished within @ms. */
static int write_within(const char *path, const char *val, int ms)
{
	int status, i;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(path, O_WRONLY);

		_exit(fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : 1);
	}
	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -2;
		usleep(10000);
	}
	waitpid(pid, NULL, 0);
	return -3;
}

static int wait_dev(int present)
{
	int i;

	for (i = 0; i < 250; i++) {
		if ((access(ck_dev_path(), F_OK) == 0) == present)
			return 0;
		usleep(20000);
	}
	return -1;
}

TEST_F_TIMEOUT(att, unbind_while_threads_run, 300)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct chipkey_attest_key k;
	volatile int stop = 0;
	uint8_t ref[32], mac[32];
	unsigned int i, ok = 0, enodev = 0;
	int rc, fd;

	NEED_EXPECT();
	ASSERT_EQ(0, do_attest(self->fd, self->v1, self->ctx1, self->ctx1_len, ref));
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .self = self, .id = i, .ref_mac = ref, .stop = &stop };
		w[i].fd = i < 2 ? self->fd : ck_open();
		ASSERT_LE(0, w[i].fd);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, work, &w[i]));
	}
	usleep(300000);
	rc = write_within(CK_DRV "/unbind", "chipkey", 20000);
	EXPECT_EQ(0, rc) TH_LOG("unbind while ATTEST/SEALED_WRAP run: %s",
				rc == -3 ? "hangs" : "failed");
	usleep(300000);
	stop = 1;
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].bad) TH_LOG("thread %u: %u bad, last: %s", i, w[i].bad, w[i].why);
		ok += w[i].ok;
		enodev += w[i].enodev;
	}
	ksft_print_msg("around the unbind: %u calls succeeded, %u ENODEV\n", ok, enodev);
	EXPECT_LT(0, enodev);
	/* the old file is dead for every attestation call */
	EXPECT_EQ(-ENODEV, do_attest(self->fd, self->v1, NULL, 0, mac));
	EXPECT_EQ(-ENODEV, do_attest_key(self->fd, &k));
	EXPECT_EQ(-ENODEV, do_chip_mac(self->fd, 1, NULL, 0, mac));
	for (i = 2; i < NTHREADS; i++)
		close(w[i].fd);

	/* rebind: the same chip, the same key, the same MACs */
	EXPECT_EQ(0, write_within(CK_DRV "/bind", "chipkey", 20000));
	ASSERT_EQ(0, wait_dev(1));
	fd = ck_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, do_attest_key(fd, &k));
	EXPECT_EQ(0, memcmp(k.pub, self->q, 65));
	EXPECT_EQ(0, do_attest(fd, self->v1, self->ctx1, self->ctx1_len, mac));
	EXPECT_EQ(0, memcmp(mac, ref, 32));
	close(fd);
}

/* ------------------------------------------------------ secret search */

#define SEARCH_MAX	(1 << 20)
#define NNEEDLES	6

static struct {
	uint8_t needle[NNEEDLES][64];
	size_t nlen[NNEEDLES];
	uint8_t *buf;
	unsigned long files, bytes, unreadable, hits;
	unsigned long per_root[3];
	unsigned long debugfs;
	/* control: chip A's ID (public, in sysfs) must be found by the walk */
	char control[2 * CHIPKEY_CHIP_ID_LEN + 1];
	unsigned long control_hits;
	int root;
	char hit[3][300];
} srch;

static const char *const needle_names[NNEEDLES] = {
	"raw big endian", "raw little endian", "hex big endian",
	"hex little endian", "HEX big endian", "HEX little endian",
};

static void make_needles(const uint8_t k[32])
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	int i;

	for (i = 0; i < 32; i++) {
		srch.needle[0][i] = k[i];
		srch.needle[1][i] = k[31 - i];
	}
	for (i = 0; i < 32; i++) {
		srch.needle[2][2 * i] = lo[k[i] >> 4];
		srch.needle[2][2 * i + 1] = lo[k[i] & 15];
		srch.needle[3][2 * i] = lo[k[31 - i] >> 4];
		srch.needle[3][2 * i + 1] = lo[k[31 - i] & 15];
		srch.needle[4][2 * i] = up[k[i] >> 4];
		srch.needle[4][2 * i + 1] = up[k[i] & 15];
		srch.needle[5][2 * i] = up[k[31 - i] >> 4];
		srch.needle[5][2 * i + 1] = up[k[31 - i] & 15];
	}
	srch.nlen[0] = srch.nlen[1] = 32;
	for (i = 2; i < NNEEDLES; i++)
		srch.nlen[i] = 64;
}

/* Which needle is in @buf (-1: none). */
static int find_needle(const uint8_t *buf, size_t len)
{
	int i;

	for (i = 0; i < NNEEDLES; i++)
		if (memmem(buf, len, srch.needle[i], srch.nlen[i]))
			return i;
	return -1;
}

static void note_hit(const char *where, int which)
{
	if (srch.hits < 3)
		snprintf(srch.hit[srch.hits], sizeof(srch.hit[0]), "%s (%s)", where,
			 needle_names[which]);
	srch.hits++;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int skip_path(const char *p)
{
	const char *base = strrchr(p, '/');

	base = base ? base + 1 : p;
	if (!strcmp(p, "/proc/kcore") || !strcmp(p, "/proc/kmsg") ||
	    !strncmp(base, "trace_pipe", 10))
		return 1;
	if (!strncmp(p, "/proc/", 6) &&
	    (!strcmp(base, "mem") || !strcmp(base, "pagemap")))
		return 1;
	/* PCI resource files: reads of I/O port BARs touch the devices */
	if (!strncmp(p, "/sys/", 5) && !strncmp(base, "resource", 8) && base[8])
		return 1;
	return 0;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	ssize_t n;
	size_t total = 0;
	int fd, which;

	if (type == FTW_D) {
		/* /proc/PID/task/TID repeats /proc/PID */
		if (!strncmp(path, "/proc/", 6) && !strcmp(path + ftw->base, "task"))
			return FTW_SKIP_SUBTREE;
		return FTW_CONTINUE;
	}
	if (type != FTW_F || !S_ISREG(st->st_mode) || skip_path(path))
		return FTW_CONTINUE;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		srch.unreadable++;
		return FTW_CONTINUE;
	}
	alarm(5);
	while (total < SEARCH_MAX) {
		n = read(fd, srch.buf + total, SEARCH_MAX - total);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	alarm(0);
	close(fd);
	srch.files++;
	srch.per_root[srch.root]++;
	if (!strncmp(path, "/sys/kernel/debug/", 18))
		srch.debugfs++;
	srch.bytes += total;
	which = find_needle(srch.buf, total);
	if (which >= 0)
		note_hit(path, which);
	if (memmem(srch.buf, total, srch.control, 2 * CHIPKEY_CHIP_ID_LEN))
		srch.control_hits++;
	return FTW_CONTINUE;
}

TEST_F_TIMEOUT(att, scalar_nowhere_in_sys_proc_dev_dmesg, 900)
{
	static const char *const roots[3] = { "/sys", "/proc", "/dev" };
	struct sigaction sa;
	uint8_t k[32], probe[200];
	int len, n, which, i;
	char *klog;
	double t0 = ck_now();

	NEED_EXPECT();
	ASSERT_EQ(0, exp_hex("scalar.hex", k, 32));
	make_needles(k);
	ck_hex(self->chip_id, CHIPKEY_CHIP_ID_LEN, srch.control);
	srch.buf = malloc(SEARCH_MAX);
	ASSERT_TRUE(srch.buf != NULL);

	/* the matcher finds each form (so a miss below means something) */
	for (i = 0; i < NNEEDLES; i++) {
		memset(probe, 'x', sizeof(probe));
		memcpy(probe + 7 + i, srch.needle[i], srch.nlen[i]);
		EXPECT_EQ(i, find_needle(probe, sizeof(probe)));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: a blocked read ends */
	sigaction(SIGALRM, &sa, NULL);
	if (access("/sys/kernel/debug/kmemleak", F_OK) &&
	    access("/sys/kernel/debug/tracing", F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);

	for (i = 0; i < 3; i++) {
		srch.root = i;
		EXPECT_EQ(0, ck_walk(roots[i], visit, 64, FTW_PHYS | FTW_ACTIONRETVAL)) TH_LOG("walk %s: %s", roots[i], strerror(errno));
	}
	/* the kernel log */
	len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	ASSERT_LT(0, len);
	klog = malloc((size_t)len);
	ASSERT_TRUE(klog != NULL);
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, klog, len);
	ASSERT_LE(0, n);
	which = find_needle((uint8_t *)klog, (size_t)n);
	if (which >= 0)
		note_hit("dmesg", which);
	free(klog);

	ksft_print_msg("searched %lu files (/sys %lu, of which debugfs %lu; /proc %lu; "
		       "/dev %lu), %lu MiB, %lu not openable, and %d bytes of dmesg in %.0f s; "
		       "control: chip ID found in %lu files\n",
		       srch.files, srch.per_root[0], srch.debugfs, srch.per_root[1],
		       srch.per_root[2], srch.bytes >> 20, srch.unreadable, n, ck_now() - t0,
		       srch.control_hits);
	for (i = 0; i < 3 && (unsigned long)i < srch.hits; i++)
		ksft_print_msg("scalar found in %s\n", srch.hit[i]);
	EXPECT_EQ(0, srch.hits);
	/* the walk does read what is there: the chip ID is found */
	EXPECT_LT(0, srch.control_hits) TH_LOG("control: chip ID %s not found", srch.control);
	EXPECT_LT(1000, srch.per_root[0]);
	EXPECT_LT(100, srch.per_root[1]);
	EXPECT_LT(10, srch.debugfs) TH_LOG("debugfs not mounted or not walked");
	free(srch.buf);
}
#endif /* !CK_ATTEST_32 */

TEST_HARNESS_MAIN
