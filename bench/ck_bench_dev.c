// SPDX-License-Identifier: GPL-2.0
/*
 * ck_bench_dev: /dev/chipkey wrap+unwrap versus libkcapi AF_ALG gcm(aes),
 * run inside the test VM (selftests/qemu/run.sh --bench).  Not a test: it
 * prints a table of '#' lines.
 *
 * One "op" is one wrap plus one unwrap of a payload of the given size.
 *
 * chipkey:  CHIPKEY_IOC_WRAP then CHIPKEY_IOC_UNWRAP (each: copy in,
 *           HKDF-SHA256 package key, setkey, AES-256-GCM with a 72-byte
 *           header as AAD, copy out; wrap also draws salt and nonce).
 * baseline: per op, a fresh libkcapi handle: kcapi_aead_init("gcm(aes)")
 *           (AF_ALG socket + bind + accept, plus libkcapi's NETLINK_CRYPTO
 *           query), kcapi_aead_setkey(fresh 32-byte key), settaglen(16),
 *           setassoclen(72), encrypt (72-byte AAD + payload, sendmsg),
 *           decrypt + verify with the same handle, kcapi_aead_destroy.
 *           A fresh handle per key is forced by AF_ALG: setkey on a tfm
 *           that already has an accepted op socket fails with EBUSY, and
 *           every package has its own derived key.  No key derivation
 *           (HKDF) and no randomness: the bare kernel AEAD from userspace.
 *
 * Then the attestation table (issue 8): CHIPKEY_IOC_ATTEST (verifier point:
 * the base point G, 32-byte context) and CHIPKEY_IOC_SEALED_WRAP of
 * packages sealed once, before timing, to this chip's attestation key
 * (ck_att_seal of libck-common), against the kernel's own ECDH measured in
 * the same boot by bench/kmod/ck_ecdh_bench.ko (its ns/op is the first
 * argument; guest-run.sh reads it from the kernel log).  Each op's result is
 * checked once before timing: the ATTEST MAC against the verifier side
 * (private key 1, so V = G), the SEALED_WRAP MAC with the sender's
 * ephemeral key.
 *
 *   ck_bench_dev [ECDH_NS_PER_OP [ECDH_DRIVER]]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <kcapi.h>
#include <linux/chipkey.h>
#include <chipkey/attest.h>
#include <openssl/evp.h>
#include "common/attest.h"

#include "ck_bench.h"

static int fd;
static uint8_t *in, *pkg, *out;

static int ck_op(uint64_t n, size_t len)
{
	struct chipkey_xfer x;

	(void)n;
	memset(&x, 0, sizeof(x));
	x.in_ptr = (uintptr_t)in;
	x.in_len = len;
	x.out_ptr = (uintptr_t)pkg;
	x.out_len = len + AAD + TAG;
	if (ioctl(fd, CHIPKEY_IOC_WRAP, &x))
		return -errno;
	x.in_ptr = (uintptr_t)pkg;
	x.in_len = x.out_len;
	x.out_ptr = (uintptr_t)out;
	x.out_len = len;
	x.generation = 0;
	if (ioctl(fd, CHIPKEY_IOC_UNWRAP, &x))
		return -errno;
	return x.out_len == len && !memcmp(in, out, len) ? 0 : -EIO;
}

static int kc_op(uint64_t n, size_t len)
{
	uint8_t *buf = in, *ct = pkg, *pt = out;
	struct kcapi_handle *h;
	uint8_t key[32], iv[12];
	ssize_t r;

	memset(key, 0x5a, sizeof(key));
	memcpy(key, &n, sizeof(n));		/* a different key every op */
	memset(iv, 0, sizeof(iv));
	memcpy(iv, &n, sizeof(n));
	if (kcapi_aead_init(&h, "gcm(aes)", 0))
		return -ENOENT;
	r = kcapi_aead_setkey(h, key, sizeof(key));
	if (!r)
		r = kcapi_aead_settaglen(h, TAG);
	if (r) {
		kcapi_aead_destroy(h);
		return (int)r;
	}
	kcapi_aead_setassoclen(h, AAD);
	r = kcapi_aead_encrypt(h, buf, AAD + len, iv, ct, AAD + len + TAG,
			       KCAPI_ACCESS_SENDMSG);
	if (r == (ssize_t)(AAD + len + TAG))
		r = kcapi_aead_decrypt(h, ct, AAD + len + TAG, iv, pt, AAD + len,
				       KCAPI_ACCESS_SENDMSG);
	else if (r >= 0)
		r = -EIO;
	kcapi_aead_destroy(h);
	if (r != (ssize_t)(AAD + len))
		return r < 0 ? (int)r : -EIO;
	return memcmp(pt + AAD, buf + AAD, len) ? -EIO : 0;
}

/* ---- attestation */

/* The P-256 base point G: a valid verifier point (private key 1). */
static uint8_t p256_g[CHIPKEY_EC_POINT_LEN];

__attribute__((constructor)) static void p256_g_init(void)
{
	ck_att_p256_generator(p256_g);
}
#define CTX_LEN 32
static const size_t seal_sizes[] = { 64, 4096, 65536 };
#define NSEAL (sizeof(seal_sizes) / sizeof(seal_sizes[0]))
static uint8_t context[CTX_LEN];
static uint8_t *sealed[NSEAL];
static EVP_PKEY *seal_eph[NSEAL];

static int attest(struct chipkey_attest *a)
{
	memset(a, 0, sizeof(*a));
	a->context_ptr = (uintptr_t)context;
	a->context_len = CTX_LEN;
	memcpy(a->verifier_pub, p256_g, sizeof(p256_g));
	return ioctl(fd, CHIPKEY_IOC_ATTEST, a) ? -errno : 0;
}

static int attest_op(uint64_t n, size_t len)
{
	struct chipkey_attest a;

	(void)n;
	(void)len;
	return attest(&a);
}

static int sealed_wrap(uint64_t n, size_t len, struct chipkey_sealed_wrap *w)
{
	size_t k;

	for (k = 0; k < NSEAL && seal_sizes[k] != len; k++)
		;
	if (k == NSEAL)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->in_ptr = (uintptr_t)sealed[k];
	w->in_len = ck_seal_size(len);
	w->out_ptr = (uintptr_t)pkg;
	w->out_len = CK_BENCH_MAX;
	w->generation = n;
	w->context_ptr = (uintptr_t)context;
	w->context_len = CTX_LEN;
	if (ioctl(fd, CHIPKEY_IOC_SEALED_WRAP, w))
		return -errno;
	return w->out_len == len + AAD + TAG ? 0 : -EIO;
}

static int sealed_wrap_op(uint64_t n, size_t len)
{
	struct chipkey_sealed_wrap w;

	return sealed_wrap(n, len, &w);
}

/* Seal the packages and check one ATTEST and one SEALED_WRAP of each. */
static int attest_setup(void)
{
	static const uint8_t one[CK_ATT_SCALAR_LEN] = { [CK_ATT_SCALAR_LEN - 1] = 1 };
	struct chipkey_attest_key q;
	struct chipkey_info info;
	struct chipkey_attest a;
	struct chipkey_sealed_wrap w;
	uint8_t g[CHIPKEY_EC_POINT_LEN], want[CHIPKEY_MAC_LEN];
	const char *step;
	EVP_PKEY *v = NULL;
	size_t k;
	int r;

	for (k = 0; k < CTX_LEN; k++)
		context[k] = (uint8_t)(0xc0 + k);
	if (ioctl(fd, CHIPKEY_IOC_INFO, &info) || ioctl(fd, CHIPKEY_IOC_ATTEST_KEY, &q)) {
		printf("# INFO / ATTEST_KEY: %s\n", strerror(errno));
		return -1;
	}
	step = "verifier key 1";
	r = ck_att_key_from_scalar(one, &v, g);
	if (!r && memcmp(g, p256_g, sizeof(g)))
		r = -EIO;
	if (!r) {
		step = "CHIPKEY_IOC_ATTEST";
		r = attest(&a);
	}
	if (!r) {
		step = "expected MAC";
		r = ck_att_expected_attest(v, q.pub, info.chip_id, context, CTX_LEN, want);
	}
	EVP_PKEY_free(v);
	if (!r && memcmp(want, a.mac, sizeof(want))) {
		step = "MAC differs from the verifier's";
		r = -EBADMSG;
	}
	if (r) {
		printf("# ATTEST check failed: %s: %s\n", step, strerror(-r));
		return -1;
	}
	for (k = 0; k < NSEAL; k++) {
		sealed[k] = malloc(ck_seal_size(seal_sizes[k]));
		r = sealed[k] ? ck_att_seal(q.pub, info.chip_id, in, seal_sizes[k],
					    sealed[k], &seal_eph[k]) : -ENOMEM;
		if (!r)
			r = sealed_wrap(7, seal_sizes[k], &w);
		if (!r)
			r = ck_att_sealed_wrap_verify(seal_eph[k], q.pub, info.chip_id,
						      pkg, w.out_len, 7, in, seal_sizes[k],
						      context, CTX_LEN, w.mac);
		if (r) {
			printf("# SEALED_WRAP check failed (%zu B): %s\n", seal_sizes[k],
			       strerror(-r));
			return -1;
		}
	}
	return 0;
}

static int attest_table(double ecdh_ns, const char *driver)
{
	static const struct ck_bench_row rows[] = {
		{ "ATTEST (ioctl, 32-B context)", attest_op, 0 },
		{ "SEALED_WRAP 64 B (ioctl)", sealed_wrap_op, 64 },
		{ "SEALED_WRAP 4096 B (ioctl)", sealed_wrap_op, 4096 },
		{ "SEALED_WRAP 65536 B (ioctl)", sealed_wrap_op, 65536 },
	};
	char base[64];
	int bad;

	if (attest_setup())
		return 1;
	snprintf(base, sizeof(base), "ECDH in kernel (%s)", driver);
	printf("# chipkey VM attestation benchmark: /dev/chipkey ioctls vs one kernel ECDH\n");
	printf("# (ck_ecdh_bench.ko, same boot); time / base = time per op / time per ECDH\n");
	bad = ck_bench_ratio_table(base, ecdh_ns, rows, sizeof(rows) / sizeof(rows[0]));
	printf("# expected: ATTEST ~ 1 ECDH + 3 HMAC (ratio near 1); SEALED_WRAP ~ 1 ECDH + 2 HKDF + GCM open + wrap\n");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	double ecdh_ns = argc > 1 ? strtod(argv[1], NULL) : 0;
	const char *driver = argc > 2 ? argv[2] : "not measured";
	struct kcapi_handle *h;
	int bad;

	in = malloc(CK_BENCH_MAX);
	pkg = malloc(CK_BENCH_MAX);
	out = malloc(CK_BENCH_MAX);
	fd = open("/dev/chipkey", O_RDWR);
	if (fd < 0 || !in || !pkg || !out) {
		perror("# /dev/chipkey");
		return 1;
	}
	if (kcapi_aead_init(&h, "gcm(aes)", 0)) {
		printf("# libkcapi gcm(aes) unavailable\n");
		return 1;
	}
	kcapi_aead_destroy(h);
	for (size_t i = 0; i < CK_BENCH_MAX; i++)
		in[i] = (uint8_t)(i * 7 + 3);

	printf("# chipkey VM benchmark: one op = wrap + unwrap (chipkey) or\n");
	printf("# new handle+setkey+encrypt+decrypt (libkcapi AF_ALG gcm(aes)), %.1f s per cell, TCG\n",
	       MIN_SECONDS);
	bad = ck_bench_table("chipkey", ck_op, "kcapi", kc_op);
	printf("# target: chipkey >= 1.0x libkcapi for 64 B - 4 KiB\n");
	bad |= attest_table(ecdh_ns, driver);
	for (size_t k = 0; k < NSEAL; k++) {
		free(sealed[k]);
		EVP_PKEY_free(seal_eph[k]);
	}
	close(fd);
	return bad ? 1 : 0;
}
