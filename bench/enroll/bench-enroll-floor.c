// SPDX-License-Identifier: GPL-2.0
/*
 * The crypto floor of one enrollment on the node (bench/enroll/run.sh; not
 * a test, no thresholds): each operation the node's crypto needs for one
 * `chipkey enroll`, timed on one thread with the OpenSSL the node links
 * (this thread's CPU time, at least one second of it each; the fsync in
 * wall time), and their sum as the node pays it per enrollment
 * (docs/enrollment.md "Benchmark"):
 *
 *   3 TLS 1.3 handshakes, server side (cacerts, challenge, simpleenroll:
 *     one connection each), 2 of them with a client certificate
 *   1 P-256 keygen (the challenge's verifier key)
 *   1 ECDH + HKDF + HMAC (the chip proof, ck_att_expected_attest)
 *   3 ECDSA P-256 verifications (the request's signature; the device
 *     certificate by the issuing CA, the issuing CA by the root)
 *   1 ECDSA P-256 signature (the customer certificate)
 *   1 fdatasync of a 4 KiB append in DIR (the ledger's WAL commit; printed
 *     apart: the floor is given with and without it)
 *
 *   bench-enroll-floor SERVER-CERT SERVER-KEY CLIENT-CERT CLIENT-KEY DIR
 *
 * Prints "name us_per_op" lines, then "floor_us X" and "floor_fsync_us Y".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "common/attest.h"

static const char *srv_cert, *srv_key, *cli_cert, *cli_key;
static SSL_CTX *sctx, *cctx, *cctx_anon;
static EVP_PKEY *ka, *kb;
static uint8_t q[CHIPKEY_EC_POINT_LEN], sig[80];
static size_t sig_len;
static int fd;

/*
 * The clock of a measurement: this thread's CPU time (comparable with the
 * node's CPU time, and little disturbed by other load on the machine),
 * but the wall clock for the fsync (its cost is the wait).
 */
static clockid_t clk = CLOCK_THREAD_CPUTIME_ID;

static double now(void)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* One TLS 1.3 handshake over a BIO pair; *@srv the server's share (s). */
static int handshake(SSL_CTX *client, double *srv)
{
	SSL *s = SSL_new(sctx), *c = SSL_new(client);
	BIO *bs = NULL, *bc = NULL;
	int ds = 0, dc = 0, n, ok = 0;
	double t;

	*srv = 0;
	if (!s || !c || !BIO_new_bio_pair(&bs, 0, &bc, 0))
		goto out;
	SSL_set_bio(s, bs, bs);
	SSL_set_bio(c, bc, bc);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	for (n = 0; n < 20 && !(ds && dc); n++) {
		if (!dc) {
			int r = SSL_do_handshake(c);

			if (r == 1)
				dc = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				goto out;
		}
		if (!ds) {
			int r;

			t = now();
			r = SSL_do_handshake(s);
			*srv += now() - t;
			if (r == 1)
				ds = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				goto out;
		}
	}
	ok = ds && dc;
out:
	SSL_free(s);
	SSL_free(c);
	ERR_clear_error();
	return ok ? 0 : -1;
}

static double srv_share;

static int tls_cert(void)
{
	double s;
	int err = handshake(cctx, &s);

	srv_share += s;
	return err;
}

static int tls_anon(void)
{
	double s;
	int err = handshake(cctx_anon, &s);

	srv_share += s;
	return err;
}

static int keygen(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	EVP_PKEY_free(k);
	return k ? 0 : -1;
}

static int proof(void)
{
	static const uint8_t chip[CHIPKEY_CHIP_ID_LEN], ctx[100];
	uint8_t mac[CHIPKEY_MAC_LEN];

	return ck_att_expected_attest(ka, q, chip, ctx, sizeof(ctx), mac);
}

static int sign(void)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	sig_len = sizeof(sig);
	ok = m && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, kb) == 1 &&
	     EVP_DigestSign(m, sig, &sig_len, (const uint8_t *)"tbsCertificate", 14) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

static int verify(void)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	ok = m && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, kb) == 1 &&
	     EVP_DigestVerify(m, sig, sig_len, (const uint8_t *)"tbsCertificate", 14) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

static int commit(void)
{
	static uint8_t page[4096];

	return write(fd, page, sizeof(page)) == (ssize_t)sizeof(page) && !fdatasync(fd) ? 0 : -1;
}

/* Microseconds per call of @op over at least one second and 10 calls (-1: failed). */
static double us(int (*op)(void))
{
	double t0 = now(), t;
	long n = 0;

	do {
		if (op())
			return -1;
		n++;
	} while ((t = now()) - t0 < 1.0 || n < 10);
	return (t - t0) * 1e6 / n;
}

static SSL_CTX *ctx(const SSL_METHOD *m, const char *cert, const char *key)
{
	SSL_CTX *c = SSL_CTX_new(m);

	if (!c || !SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) ||
	    (cert && (SSL_CTX_use_certificate_chain_file(c, cert) != 1 ||
		      SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1))) {
		fprintf(stderr, "bench-enroll-floor: TLS context (%s)\n", cert ? cert : "-");
		ERR_print_errors_fp(stderr);
		exit(2);
	}
	return c;
}

int main(int argc, char **argv)
{
	char path[4096];
	double hs_cert, hs_anon, srv_cert_us, srv_anon_us, kg, pr, sg, vf, fs, floor_us;
	long n;
	double t0;
	EVP_PKEY *chip = NULL;

	if (argc != 6) {
		fprintf(stderr, "usage: bench-enroll-floor SERVER-CERT SERVER-KEY CLIENT-CERT CLIENT-KEY DIR\n");
		return 2;
	}
	srv_cert = argv[1], srv_key = argv[2], cli_cert = argv[3], cli_key = argv[4];
	sctx = ctx(TLS_server_method(), srv_cert, srv_key);
	SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, accept_any);	/* as the node: asked, not required */
	cctx = ctx(TLS_client_method(), cli_cert, cli_key);
	cctx_anon = ctx(TLS_client_method(), NULL, NULL);
	ka = EVP_EC_gen("P-256");
	kb = EVP_EC_gen("P-256");
	snprintf(path, sizeof(path), "%s/bench-fsync", argv[5]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (!ka || !kb || ck_att_ephemeral(&chip, q) || fd < 0 || sign()) {
		fprintf(stderr, "bench-enroll-floor: set-up failed\n");
		return 2;
	}
	/* the handshakes: the server's share of each, averaged */
	srv_share = 0, n = 0, t0 = now();
	do {
		if (tls_cert())
			return fprintf(stderr, "bench-enroll-floor: handshake failed\n"), 1;
		n++;
	} while (now() - t0 < 1.0 || n < 10);
	hs_cert = (now() - t0) * 1e6 / n, srv_cert_us = srv_share * 1e6 / n;
	srv_share = 0, n = 0, t0 = now();
	do {
		if (tls_anon())
			return fprintf(stderr, "bench-enroll-floor: handshake failed\n"), 1;
		n++;
	} while (now() - t0 < 1.0 || n < 10);
	hs_anon = (now() - t0) * 1e6 / n, srv_anon_us = srv_share * 1e6 / n;
	kg = us(keygen), pr = us(proof), sg = us(sign), vf = us(verify);
	clk = CLOCK_MONOTONIC;
	fs = us(commit);
	unlink(path);
	if (kg < 0 || pr < 0 || sg < 0 || vf < 0 || fs < 0)
		return fprintf(stderr, "bench-enroll-floor: an operation failed\n"), 1;
	printf("tls13_handshake_client_cert_both_sides %.1f\n", hs_cert);
	printf("tls13_handshake_client_cert_server %.1f\n", srv_cert_us);
	printf("tls13_handshake_no_client_cert_both_sides %.1f\n", hs_anon);
	printf("tls13_handshake_no_client_cert_server %.1f\n", srv_anon_us);
	printf("p256_keygen %.1f\n", kg);
	printf("chip_proof_ecdh_hkdf_hmac %.1f\n", pr);
	printf("ecdsa_p256_sign %.1f\n", sg);
	printf("ecdsa_p256_verify %.1f\n", vf);
	printf("fdatasync_4k %.1f\n", fs);
	floor_us = 2 * srv_cert_us + srv_anon_us + kg + pr + 3 * vf + sg;
	printf("floor_us %.1f\n", floor_us);
	printf("floor_fsync_us %.1f\n", floor_us + fs);
	EVP_PKEY_free(chip);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	SSL_CTX_free(cctx_anon);
	close(fd);
	return 0;
}
