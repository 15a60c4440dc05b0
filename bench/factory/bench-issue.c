// SPDX-License-Identifier: GPL-2.0
/*
 * Time pki_issue_device_cert() and pki_issue_device_cert_der() (without
 * and with the chip's attestation key Q): N issuances each (default 1000),
 * each timed on its own; prints the median,
 * the 10th and 90th percentile in microseconds, and the same for one bare
 * ECDSA P-256 signature for comparison.  `make -C bench/factory run`
 *
 *   build/bench/bench-issue [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "factory/pki-issue.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-28s n=%d median %.1f us  p10 %.1f us  p90 %.1f us\n", what, n,
	       t[n / 2], t[n / 10], t[n - 1 - n / 10]);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, i;
	EVP_PKEY *ca_key = pki_ec_keygen(), *dev = pki_ec_keygen();
	X509 *ca = pki_make_mfr_ca(ca_key, "Bench", NULL, 0);
	uint8_t chip[16] = { 1, 2, 3 };
	unsigned char sig[80], msg[32] = { 0 };
	double *t = calloc((size_t)(n > 0 ? n : 1), sizeof(*t));

	if (!ca || !dev || !t || n <= 0) {
		fprintf(stderr, "bench_issue: setup failed\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		double t0 = now_us();
		X509 *c = pki_issue_device_cert(ca_key, ca, "352099001761481",
						chip, dev, NULL, 0);

		t[i] = now_us() - t0;
		if (!c || !X509_get0_pubkey(c)) {
			fprintf(stderr, "bench_issue: issuance %d failed\n", i);
			return 1;
		}
		X509_free(c);
	}
	report("pki_issue_device_cert", t, n);
	for (i = 0; i < n; i++) {
		uint8_t *der = NULL;
		size_t len = 0;
		double t0 = now_us();

		if (pki_issue_device_cert_der(ca_key, ca, "352099001761481",
					      chip, dev, NULL, 0, &der, &len)) {
			fprintf(stderr, "bench_issue: DER issuance %d failed\n", i);
			return 1;
		}
		t[i] = now_us() - t0;
		OPENSSL_free(der);
	}
	report("pki_issue_device_cert_der", t, n);
	{
		uint8_t *spki = NULL;
		size_t sl = 0;
		EVP_PKEY *qk = pki_ec_keygen();

		if (!qk || pki_public_to_der(qk, &spki, &sl) || sl != 91) {
			fprintf(stderr, "bench_issue: Q setup failed\n");
			return 1;
		}
		for (i = 0; i < n; i++) {
			uint8_t *der = NULL;
			size_t len = 0;
			double t0 = now_us();

			if (pki_issue_device_cert_der(ca_key, ca, "352099001761481", chip, dev,
						      spki + 26, 0, &der, &len)) {
				fprintf(stderr, "bench_issue: DER issuance with Q %d failed\n", i);
				return 1;
			}
			t[i] = now_us() - t0;
			OPENSSL_free(der);
		}
		report("pki_issue_device_cert_der+Q", t, n);
		OPENSSL_free(spki);
		EVP_PKEY_free(qk);
	}
	for (i = 0; i < n; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		size_t sl = sizeof(sig);
		double t0 = now_us();

		if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ca_key) != 1 ||
		    EVP_DigestSign(md, sig, &sl, msg, sizeof(msg)) != 1) {
			fprintf(stderr, "bench_issue: sign failed\n");
			return 1;
		}
		t[i] = now_us() - t0;
		EVP_MD_CTX_free(md);
	}
	report("one ECDSA P-256 signature", t, n);
	free(t);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(dev);
	return 0;
}
