// SPDX-License-Identifier: GPL-2.0
/*
 * Link setups per second against chipkey-service (not a test; no
 * thresholds): THREADS devices (keys directories KEYS0..KEYS<T-1>) each set
 * up N links in MODE, concurrently; then the crypto floor of the same
 * OpenSSL in this process: P-256 ECDH, ECDSA sign and verify per second.
 *
 *   bench-link HOST:PORT channel-key|cert|cms|broadcast N THREADS KEYSPREFIX ROM.der STATEPREFIX
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/file.h"
#include "link/device-keys.h"
#include "link/link.h"

static const char *server, *keys_prefix, *state_prefix;
static const struct ck_link_mode *mode;
static uint8_t *rom;
static size_t rom_len;
static int per_thread;
static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *device(void *arg)
{
	char dir[512], state[512];
	struct ck_link_device d;
	struct ck_link_conn c;
	const char *what;
	int i, fd, err, bad = 0;

	snprintf(dir, sizeof(dir), "%s%ld", keys_prefix, (long)arg);
	snprintf(state, sizeof(state), "%s%ld", state_prefix, (long)arg);
	if (ck_link_device_load(&d, dir, rom, rom_len, &what)) {
		fprintf(stderr, "bench-link: %s/%s\n", dir, what);
		bad = per_thread;
		goto out;
	}
	d.state_dir = state;
	if (mkdir(state, 0700) < 0 && errno != EEXIST) {	/* modes 3 and 4 need it */
		perror(state);
		bad = per_thread;
		ck_link_device_free(&d);
		goto out;
	}
	for (i = 0; i < per_thread; i++) {
		fd = ck_link_dial(server, 0);
		err = fd < 0 ? -EIO : ck_link_device_open(&d, mode, fd, &c);
		if (err) {
			if (!bad)
				fprintf(stderr, "bench-link: %s\n", ck_link_strerror(err));
			bad++;
		} else {
			SSL_shutdown(c.ssl);
			ck_link_conn_free(&c);
		}
		if (fd >= 0)
			close(fd);
	}
	ck_link_device_free(&d);
out:
	pthread_mutex_lock(&lock);
	failures += bad;
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* ops/s of @op over about one second */
static double rate(int (*op)(EVP_PKEY *, EVP_PKEY *), EVP_PKEY *a, EVP_PKEY *b)
{
	double t0 = now(), t;
	long n = 0;

	do {
		if (op(a, b))
			return -1;
		n++;
	} while ((t = now()) - t0 < 1.0);
	return n / (t - t0);
}

static int ecdh(EVP_PKEY *a, EVP_PKEY *b)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(a, NULL);
	uint8_t z[32];
	size_t zl = sizeof(z);
	int ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, b) == 1 &&
		 EVP_PKEY_derive(c, z, &zl) == 1;

	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -1;
}

static uint8_t sig[80];
static size_t sig_len;

static int sign(EVP_PKEY *a, EVP_PKEY *b)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	(void)b;
	sig_len = sizeof(sig);
	ok = m && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, a) == 1 &&
	     EVP_DigestSign(m, sig, &sig_len, (const uint8_t *)"msg", 3) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

static int verify(EVP_PKEY *a, EVP_PKEY *b)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	(void)b;
	ok = m && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, a) == 1 &&
	     EVP_DigestVerify(m, sig, sig_len, (const uint8_t *)"msg", 3) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	pthread_t *t;
	EVP_PKEY *a, *b;
	long i, threads;
	double t0, dt;

	if (argc != 8) {
		fprintf(stderr, "usage: bench-link HOST:PORT MODE N THREADS KEYSPREFIX ROM.der STATEPREFIX\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	server = argv[1];
	mode = ck_link_mode_by_name(argv[2]);
	threads = atol(argv[4]);
	per_thread = atoi(argv[3]) / (int)threads;
	keys_prefix = argv[5];
	state_prefix = argv[7];
	if (!mode || threads < 1 || per_thread < 1 || ck_file_read(argv[6], &rom, &rom_len, 4096))
		return 2;
	t = calloc((size_t)threads, sizeof(*t));
	t0 = now();
	for (i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, device, (void *)i);
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	dt = now() - t0;
	printf("mode %s: %ld devices x %d links: %.0f setups/s (%d failed)\n", mode->name, threads,
	       per_thread, threads * per_thread / dt, failures);
	a = EVP_EC_gen("P-256");
	b = EVP_EC_gen("P-256");
	sign(a, NULL);
	printf("floor (1 thread): P-256 ECDH %.0f/s, ECDSA sign %.0f/s, verify %.0f/s\n",
	       rate(ecdh, a, b), rate(sign, a, NULL), rate(verify, a, NULL));
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	free(t);
	free(rom);
	return failures ? 1 : 0;
}
