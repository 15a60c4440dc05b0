// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the worker pool (see workers.h).
 *
 * The gate (gate.c) queues connections whose TLS handshake is done and
 * whose client passed the station checks (bounded: SPP_QUEUE_MAX); a fixed
 * pool of worker threads takes them one at a time and runs one session
 * each (session.c) on the worker's own store handle.  While a session
 * runs, its socket and deadline (--session-timeout after the worker took
 * the connection) sit in the worker's watchdog slot.  The watchdog thread
 * cuts every session past its deadline, so a slow, dead or trickling
 * (authenticated) peer holds one worker for at most the session timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "workers.h"

struct job {
	int fd;
	SSL *ssl;
	char peer[64];
};

/* The watchdog's view of the running sessions: one slot per worker. */
struct slot {
	int fd;			/* -1: idle */
	int64_t deadline_ms;	/* CLOCK_MONOTONIC */
	int cut;
	char peer[64];
};

static struct spp_server *srv;
static struct store **stores;	/* one per worker */
static int nworkers;
static pthread_t *threads;
static void (*on_all_gone)(void);
static atomic_int live_workers;
static volatile sig_atomic_t stopping;

static struct slot *slots;
static pthread_t wd_thread;
static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;
static int wd_stop;

static struct job queue[SPP_QUEUE_MAX];
static size_t q_head, q_len;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;

int64_t spp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void spp_workers_stopping(void)
{
	stopping = 1;
}

int spp_workers_is_stopping(void)
{
	return stopping;
}

/*
 * Every 100 ms: shut down (SHUT_RDWR) the socket of every session past its
 * deadline.  The blocked SSL_read / SSL_write in the worker
 * then fails at once, whatever the peer trickles (SO_RCVTIMEO alone is
 * reset by every byte received).  The fd stays open (the worker closes it
 * after clearing its slot under wd_lock), so it is never a reused fd.
 */
static void *watchdog(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wd_lock);
	while (!wd_stop) {
		struct timespec ts;
		int64_t now = spp_now_ms();

		for (int i = 0; i < nworkers; i++) {
			struct slot *sl = &slots[i];

			if (sl->fd < 0 || sl->cut || now < sl->deadline_ms)
				continue;
			shutdown(sl->fd, SHUT_RDWR);
			sl->cut = 1;
			fprintf(stderr, "chipkey-spp: %s: session deadline (%d s) passed: connection cut\n",
				sl->peer, srv->session_timeout);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
	}
	pthread_mutex_unlock(&wd_lock);
	return NULL;
}

static void worker_gone(void)
{
	/* nobody left to serve connections: stop the daemon */
	if (atomic_fetch_sub(&live_workers, 1) == 1 && !stopping && on_all_gone)
		on_all_gone();
}

/* The next job, or 0 when the pool stops and the queue is empty. */
static int take_job(struct job *j)
{
	pthread_mutex_lock(&q_lock);
	while (!q_len && !stopping)
		pthread_cond_wait(&q_nonempty, &q_lock);
	if (!q_len) {
		pthread_mutex_unlock(&q_lock);
		return 0;
	}
	*j = queue[q_head];
	q_head = (q_head + 1) % SPP_QUEUE_MAX;
	q_len--;
	pthread_mutex_unlock(&q_lock);
	return 1;
}

static void *worker(void *arg)
{
	int idx = (int)(intptr_t)arg;
	struct slot *sl = &slots[idx];
	struct job j;

	while (take_job(&j)) {
		int64_t now = spp_now_ms();

		pthread_mutex_lock(&wd_lock);
		sl->fd = j.fd;
		sl->cut = 0;
		sl->deadline_ms = now + (int64_t)srv->session_timeout * 1000;
		snprintf(sl->peer, sizeof(sl->peer), "%s", j.peer);
		pthread_mutex_unlock(&wd_lock);
		spp_session_run(srv, stores[idx], j.ssl, j.fd, j.peer);
		pthread_mutex_lock(&wd_lock);
		sl->fd = -1;
		pthread_mutex_unlock(&wd_lock);
		close(j.fd);
		spp_gate_release(j.peer);
	}
	store_close(stores[idx]);
	stores[idx] = NULL;
	worker_gone();
	return NULL;
}

int spp_workers_start(struct spp_server *server, struct store **st, int n,
		      void (*all_gone)(void))
{
	int err;

	srv = server;
	stores = st;
	on_all_gone = all_gone;
	slots = calloc((size_t)n, sizeof(*slots));
	threads = calloc((size_t)n, sizeof(*threads));
	if (!slots || !threads)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		slots[i].fd = -1;
	nworkers = n;
	err = pthread_create(&wd_thread, NULL, watchdog, NULL);
	if (err) {
		fprintf(stderr, "chipkey-spp: cannot start the watchdog\n");
		return -err;
	}
	atomic_store(&live_workers, n);
	for (int i = 0; i < n; i++) {
		err = pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i);
		if (err) {
			fprintf(stderr, "chipkey-spp: cannot start worker %d\n", i + 1);
			return -err;
		}
	}
	return 0;
}

int spp_workers_try_submit(int fd, SSL *ssl, const char *peer)
{
	struct job j = { .fd = fd, .ssl = ssl };

	snprintf(j.peer, sizeof(j.peer), "%s", peer);
	pthread_mutex_lock(&q_lock);
	if (stopping || q_len == SPP_QUEUE_MAX) {
		pthread_mutex_unlock(&q_lock);
		return stopping ? -ECANCELED : -EAGAIN;
	}
	queue[(q_head + q_len) % SPP_QUEUE_MAX] = j;
	q_len++;
	pthread_cond_signal(&q_nonempty);
	pthread_mutex_unlock(&q_lock);
	return 0;
}

void spp_workers_stop(void)
{
	pthread_mutex_lock(&q_lock);
	stopping = 1;
	pthread_cond_broadcast(&q_nonempty);
	pthread_mutex_unlock(&q_lock);
	for (int i = 0; i < nworkers; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_lock(&wd_lock);
	wd_stop = 1;
	pthread_cond_signal(&wd_cond);
	pthread_mutex_unlock(&wd_lock);
	pthread_join(wd_thread, NULL);
	free(threads);
	free(slots);
	threads = NULL;
	slots = NULL;
}
