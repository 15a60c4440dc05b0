// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the publisher (see publish.h).  One thread runs passes: a
 * pass pages through the whole outbox (store_publish() in batches of
 * SPP_PUBLISH_BATCH: one public and one factory transaction per batch),
 * each record vetted first (publish-vet.h).  A
 * session that committed waits for the first pass that starts after its
 * commit (spp_publish_wait), so the records of concurrent sessions share
 * the transactions of one pass.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "publish.h"
#include "publish-vet.h"
#include "store/store.h"

/* A record a pass could not publish, and why. */
struct failed {
	uint8_t chip[STORE_CHIP_ID_LEN];
	int rc;
};

static struct store *fac, *pub;
static struct store *pub_read;		/* spp_publish_current(), under read_lock */
static pthread_mutex_t read_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static bool running, stop, kicked;
static uint64_t started, finished;	/* passes */
static int last_rc;			/* of the last pass, not of a record */
static struct failed *last_failed;	/* of the last pass (lock) */
static size_t last_nfailed;
static struct failed *cur_failed;	/* of the running pass (thread) */
static size_t cur_nfailed;
static bool cur_retry;			/* a failure other than a refusal */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;	/* to the thread */
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;	/* to the waiters */

/* The fate of each record of a pass: failures are logged and kept. */
static void fate(void *arg, const struct store_pub_record *rec, int rc, const char *msg)
{
	char hex[2 * STORE_CHIP_ID_LEN + 1];
	struct failed *f;

	(void)arg;
	if (!rc)
		return;
	if (rc != -EACCES)
		cur_retry = true;
	ck_hex_encode(rec->chip_id, STORE_CHIP_ID_LEN, hex);
	fprintf(stderr, "chipkey-spp: chip %s generation %llu: %s\n", hex,
		(unsigned long long)rec->generation, msg);
	f = realloc(cur_failed, (cur_nfailed + 1) * sizeof(*f));
	if (!f)
		return;	/* the pass still reports its failure (last_rc) */
	cur_failed = f;
	memcpy(f[cur_nfailed].chip, rec->chip_id, STORE_CHIP_ID_LEN);
	f[cur_nfailed++].rc = rc;
}

/* One pass: pages through the whole outbox by chip ID, SPP_PUBLISH_BATCH
 * records at a time, past the records it cannot publish (logged and kept
 * in cur_failed; a refusal by the vet is not retried by the timer, another
 * failure is).  0, or the error of a listing, or -ENOMEM. */
static int drain(void)
{
	struct store_publish_pass pass = { .vet = spp_vet, .fate = fate };
	size_t n, total = 0;
	int rc, pass_rc = 0;

	cur_failed = NULL;
	cur_nfailed = 0;
	cur_retry = false;
	do {
		size_t before = cur_nfailed;

		rc = store_publish(fac, pub, SPP_PUBLISH_BATCH, &n, &pass);
		total += n;
		if (rc && cur_nfailed == before) {
			/* an error no record was told of: a listing or memory */
			pass_rc = rc;
			fprintf(stderr, "chipkey-spp: publish: %s\n", store_error(fac));
			break;
		}
	} while (pass.listed == SPP_PUBLISH_BATCH);
	if (pass_rc || cur_nfailed)
		fprintf(stderr, "chipkey-spp: publish: %zu published, %zu left in the outbox%s\n",
			total, cur_nfailed, pass_rc || cur_retry ? " (retried soon)" : "");
	if (pass_rc)
		cur_retry = true;
	return pass_rc;
}

static void *run(void *arg)
{
	bool retry = false;
	int rc;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!kicked && !stop) {
			if (retry) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += SPP_PUBLISH_RETRY;
				if (pthread_cond_timedwait(&cond, &lock, &ts) == ETIMEDOUT)
					break;
			} else {
				pthread_cond_wait(&cond, &lock);
			}
		}
		kicked = false;
		started++;
		pthread_mutex_unlock(&lock);
		rc = drain();
		retry = cur_retry;
		pthread_mutex_lock(&lock);
		finished = started;
		last_rc = rc;
		free(last_failed);
		last_failed = cur_failed;
		last_nfailed = cur_nfailed;
		cur_failed = NULL;
		pthread_cond_broadcast(&done);
		if (stop)
			break;
	}
	finished = UINT64_MAX;	/* nobody waits for a stopped publisher */
	pthread_cond_broadcast(&done);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int spp_publish_start(const char *factory_url, const char *public_url, X509 *root)
{
	char err[256];

	if (spp_vet_init(root)) {
		fprintf(stderr, "chipkey-spp: publisher: cannot build the trust store\n");
		return -1;
	}
	if (store_open_kind(factory_url, STORE_FACTORY, &fac, err, sizeof(err))) {
		fprintf(stderr, "chipkey-spp: factory store (publisher): %s\n", err);
		return -1;
	}
	if (store_open_kind(public_url, STORE_PUBLIC, &pub, err, sizeof(err))) {
		fprintf(stderr, "chipkey-spp: public store %s: %s\n", public_url, err);
		store_close(fac);
		fac = NULL;
		spp_vet_free();
		return -1;
	}
	if (store_open_kind(public_url, STORE_PUBLIC, &pub_read, err, sizeof(err)))
		fprintf(stderr, "chipkey-spp: public store %s (reads for ALREADY): %s\n",
			public_url, err);	/* ALREADY answers from the issued record */
	drain();
	kicked = cur_retry;	/* the thread retries at once, then every few s */
	free(cur_failed);
	cur_failed = NULL;
	if (pthread_create(&thread, NULL, run, NULL)) {
		fprintf(stderr, "chipkey-spp: cannot start the publisher\n");
		store_close(pub);
		store_close(fac);
		pub = fac = NULL;
		spp_vet_free();
		return -1;
	}
	running = true;
	return 0;
}

int spp_publish_current(const uint8_t chip_id[16], struct store_pub_record *rec)
{
	int rc;

	pthread_mutex_lock(&read_lock);
	rc = pub_read ? store_pub_current(pub_read, chip_id, rec) : -ENODEV;
	pthread_mutex_unlock(&read_lock);
	return rc;
}

int spp_publish_wait(const uint8_t chip_id[16])
{
	uint64_t target;
	int rc;

	pthread_mutex_lock(&lock);
	target = started + 1;	/* a pass that starts after the caller's commit */
	kicked = true;
	pthread_cond_signal(&cond);
	while (finished < target)
		pthread_cond_wait(&done, &lock);
	rc = finished == UINT64_MAX ? -ESHUTDOWN : last_rc;
	for (size_t i = 0; !rc && i < last_nfailed; i++)
		if (!memcmp(last_failed[i].chip, chip_id, STORE_CHIP_ID_LEN))
			rc = last_failed[i].rc;
	pthread_mutex_unlock(&lock);
	return rc;
}

void spp_publish_stop(void)
{
	if (running) {
		pthread_mutex_lock(&lock);
		stop = true;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
		pthread_join(thread, NULL);
		running = false;
	}
	store_close(pub);
	store_close(fac);
	pub = fac = NULL;
	pthread_mutex_lock(&read_lock);
	store_close(pub_read);
	pub_read = NULL;
	pthread_mutex_unlock(&read_lock);
	free(last_failed);
	last_failed = NULL;
	last_nfailed = 0;
	spp_vet_free();
}
