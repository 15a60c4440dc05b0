/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ck_prov_stages: what its two parts share (a benchmark, not a test): the
 * table of timed operations, the timing macro, and the plain-OpenSSL TLS
 * helpers both the chipkey stages (ck_prov_stages.c) and the crypto-only
 * floor (ck_prov_floor.c) use.
 */
#ifndef CK_PROV_STAGES_H
#define CK_PROV_STAGES_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Every timed operation: S_* the chipkey stages, F_* the floor. */
enum {
	S_TLS_SERVER, S_TLS_CLIENT, S_CHIP_LOOKUP, S_CLAIM_ID, S_CLAIM_KP, S_KEYGEN,
	S_BUILD, S_CERT_SIGN, S_ENCODE, S_SEAL, S_DEV_CHECK, S_DEV_SEALED_WRAP,
	S_VERIFY, S_RECORD_SIGN, S_COMMIT,
	F_TLS_SERVER, F_TLS_CLIENT, F_KEYGEN, F_SIGN, F_VERIFY, F_ECDH, F_HKDF,
	F_GCM, F_HMAC, NS
};

/* seconds spent in (wall clock; and CPU time of the thread), and count
 * of, each operation (ck_prov_stages.c) */
extern double acc[NS], cpu_acc[NS];
extern int cnt[NS];

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define TIME(idx, ...) do { double t_ = now(), c_ = cpu_now(); __VA_ARGS__; \
	acc[idx] += now() - t_; cpu_acc[idx] += cpu_now() - c_; cnt[idx]++; } while (0)

/* Print @what and OpenSSL's errors, exit 1. */
void die(const char *what) __attribute__((noreturn));

/* TLS 1.3 contexts without caches or tickets (every handshake full). */
SSL_CTX *server_ctx(EVP_PKEY *key, X509 *cert, X509 *chain);
SSL_CTX *client_ctx(void);
/* One TLS 1.3 handshake over a BIO pair; the server's time goes to
 * acc[@is], the client's to acc[@ic]; *@peer (if not NULL) gets the
 * server's certificate as the client saw it. */
void handshake(SSL_CTX *sctx, SSL_CTX *cctx, int is, int ic, X509 **peer);

/* Part 2: the crypto-only floor, @iters times, GCM over @dp_len bytes. */
void floor_ops(int iters, size_t dp_len);

#endif /* CK_PROV_STAGES_H */
