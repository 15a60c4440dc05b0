// SPDX-License-Identifier: GPL-2.0
/*
 * ck_ecdh_bench: the cost of one ECDH in this kernel, the baseline of the
 * chipkey attestation benchmark (bench/ck_bench_dev.c).  AF_ALG does not
 * expose kpp, so the kernel's "ecdh-nist-p256" is timed from here.
 *
 *   modprobe ck_ecdh_bench iterations=N
 *
 * generates a random private key (set_secret with key_size 0), checks that
 * the shared secret with the base point G is the x coordinate of the public
 * key, then times N crypto_kpp_compute_shared_secret() calls against G and
 * N crypto_kpp_generate_public_key() calls, prints
 *
 *   ck_ecdh_bench: ecdh N ops in T ns (X ns/op), by DRIVER
 *   ck_ecdh_bench: pubkey N ops in T ns (X ns/op), by DRIVER
 *
 * and stays loaded doing nothing (rmmod it after).  Not a test.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/ecdh.h>
#include <crypto/kpp.h>
#include <linux/crypto.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#define CK_COORD_LEN	32
#define CK_POINT_LEN	(2 * CK_COORD_LEN)	/* X || Y, big endian */

static unsigned int iterations = 100;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "operations timed per measurement (1..1000000, default 100)");

/* The P-256 base point G, X || Y: a valid public point that needs no RNG. */
static const u8 ck_p256_g[CK_POINT_LEN] = {
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47,
	0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
	0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0,
	0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b,
	0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
	0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce,
	0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

struct ck_bench {
	struct crypto_kpp *tfm;
	struct kpp_request *req;
	struct crypto_wait wait;
	struct scatterlist src, dst;
	u8 *peer;	/* CK_POINT_LEN, heap: scatterlists need linear memory */
	u8 *out;	/* CK_POINT_LEN */
};

/* One operation: the shared secret with @b->peer, or the public key. */
static int ck_bench_op(struct ck_bench *b, bool shared)
{
	unsigned int out_len = shared ? CK_COORD_LEN : CK_POINT_LEN;

	sg_init_one(&b->src, b->peer, CK_POINT_LEN);
	sg_init_one(&b->dst, b->out, out_len);
	kpp_request_set_input(b->req, shared ? &b->src : NULL,
			      shared ? CK_POINT_LEN : 0);
	kpp_request_set_output(b->req, &b->dst, out_len);
	kpp_request_set_callback(b->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				 CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done, &b->wait);
	if (shared)
		return crypto_wait_req(crypto_kpp_compute_shared_secret(b->req), &b->wait);
	return crypto_wait_req(crypto_kpp_generate_public_key(b->req), &b->wait);
}

/* Time @iterations operations and print one line named @what. */
static int ck_bench_time(struct ck_bench *b, bool shared, const char *what)
{
	unsigned int i;
	u64 t0, ns;
	int ret;

	t0 = ktime_get_ns();
	for (i = 0; i < iterations; i++) {
		ret = ck_bench_op(b, shared);
		if (ret) {
			pr_err("%s op %u failed: %d\n", what, i, ret);
			return ret;
		}
		cond_resched();
	}
	ns = ktime_get_ns() - t0;
	pr_info("%s %u ops in %llu ns (%llu ns/op), by %s\n", what, iterations,
		ns, div_u64(ns, iterations),
		crypto_tfm_alg_driver_name(crypto_kpp_tfm(b->tfm)));
	return 0;
}

/* A random private key, and the check x(k G) == x(public key). */
static int ck_bench_key(struct ck_bench *b)
{
	struct ecdh p = { .key = NULL, .key_size = 0 };
	unsigned int len = crypto_ecdh_key_len(&p);
	u8 pub_x[CK_COORD_LEN];
	char *secret;
	int ret;

	secret = kmalloc(len, GFP_KERNEL);
	if (!secret)
		return -ENOMEM;
	ret = crypto_ecdh_encode_key(secret, len, &p);
	if (!ret)
		ret = crypto_kpp_set_secret(b->tfm, secret, len);
	kfree_sensitive(secret);
	if (ret)
		return ret;
	ret = ck_bench_op(b, false);
	if (ret)
		return ret;
	memcpy(pub_x, b->out, CK_COORD_LEN);
	ret = ck_bench_op(b, true);
	if (ret)
		return ret;
	if (memcmp(pub_x, b->out, CK_COORD_LEN)) {
		pr_err("x(k G) differs from the public key's x\n");
		return -EIO;
	}
	return 0;
}

static int __init ck_ecdh_bench_init(void)
{
	struct ck_bench b = { };
	int ret;

	if (!iterations || iterations > 1000000)
		return -EINVAL;
	crypto_init_wait(&b.wait);
	b.tfm = crypto_alloc_kpp("ecdh-nist-p256", 0, 0);
	if (IS_ERR(b.tfm)) {
		ret = PTR_ERR(b.tfm);
		pr_err("ecdh-nist-p256 unavailable: %d\n", ret);
		return ret;
	}
	ret = -ENOMEM;
	b.req = kpp_request_alloc(b.tfm, GFP_KERNEL);
	b.peer = kmemdup(ck_p256_g, CK_POINT_LEN, GFP_KERNEL);
	b.out = kzalloc(CK_POINT_LEN, GFP_KERNEL);
	if (!b.req || !b.peer || !b.out)
		goto out;
	ret = ck_bench_key(&b);
	if (ret) {
		pr_err("key setup failed: %d\n", ret);
		goto out;
	}
	ret = ck_bench_time(&b, true, "ecdh");
	if (!ret)
		ret = ck_bench_time(&b, false, "pubkey");
out:
	kfree(b.out);
	kfree(b.peer);
	kpp_request_free(b.req);
	crypto_free_kpp(b.tfm);
	return ret;
}

static void __exit ck_ecdh_bench_exit(void)
{
}

module_init(ck_ecdh_bench_init);
module_exit(ck_ecdh_bench_exit);

MODULE_DESCRIPTION("chipkey benchmark baseline: time the kernel's ecdh-nist-p256");
MODULE_LICENSE("GPL");
