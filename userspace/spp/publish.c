// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the publisher (see publish.h).  One thread runs passes: a
 * pass publishes the whole outbox (store_publish() in batches of
 * SPP_PUBLISH_BATCH: one public and one factory transaction per batch).  A
 * session that committed waits for the first pass that starts after its
 * commit (spp_publish_wait), so the records of concurrent sessions share
 * the transactions of one pass.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "publish.h"
#include "store/store.h"

static struct store *fac, *pub;
static pthread_t thread;
static bool running, stop, kicked;
static uint64_t started, finished;	/* passes */
static int last_rc;			/* of the last pass */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;	/* to the thread */
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;	/* to the waiters */

/* Publishes batch after batch while a batch publishes something (a record
 * that cannot be published stays first in the outbox, the next batch
 * takes the records after it): 0 if the outbox is empty now. */
static int drain(void)
{
	size_t n, total = 0;
	int rc, first = 0;

	do {
		rc = store_publish(fac, pub, SPP_PUBLISH_BATCH, &n);
		if (rc && !first)
			first = rc;
		total += n;
	} while (n);
	rc = first;
	if (rc)
		fprintf(stderr, "chipkey-spp: publish: %s (%zu published; the rest stays in the"
			" outbox, retried in %d s)\n", store_error(fac), total, SPP_PUBLISH_RETRY);
	return rc;
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
		retry = rc != 0;
		pthread_mutex_lock(&lock);
		finished = started;
		last_rc = rc;
		pthread_cond_broadcast(&done);
		if (stop)
			break;
	}
	finished = UINT64_MAX;	/* nobody waits for a stopped publisher */
	pthread_cond_broadcast(&done);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int spp_publish_start(const char *factory_url, const char *public_url)
{
	char err[256];

	if (store_open_kind(factory_url, STORE_FACTORY, &fac, err, sizeof(err))) {
		fprintf(stderr, "chipkey-spp: factory store (publisher): %s\n", err);
		return -1;
	}
	if (store_open_kind(public_url, STORE_PUBLIC, &pub, err, sizeof(err))) {
		fprintf(stderr, "chipkey-spp: public store %s: %s\n", public_url, err);
		store_close(fac);
		fac = NULL;
		return -1;
	}
	kicked = drain() != 0;	/* the thread retries at once, then every few s */
	if (pthread_create(&thread, NULL, run, NULL)) {
		fprintf(stderr, "chipkey-spp: cannot start the publisher\n");
		store_close(pub);
		store_close(fac);
		pub = fac = NULL;
		return -1;
	}
	running = true;
	return 0;
}

int spp_publish_wait(void)
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
}
