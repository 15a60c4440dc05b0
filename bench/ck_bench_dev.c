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

int main(void)
{
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
	close(fd);
	return bad ? 1 : 0;
}
