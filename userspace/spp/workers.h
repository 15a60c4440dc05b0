/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: the worker pool (workers.c): a fixed set of worker threads,
 * each with its own store handle, taking accepted connections from a
 * bounded queue, and the watchdog that cuts sessions past their deadline.
 */
#ifndef CHIPKEY_SPP_WORKERS_H
#define CHIPKEY_SPP_WORKERS_H

#include "session.h"

#define SPP_QUEUE_MAX	256	/* accepted connections waiting for a worker */

/*
 * Start the watchdog and one worker per store in @stores[0..@n) (opened by
 * the caller; each worker closes its own when it exits).  When the last
 * worker exits while the pool is not stopping, @all_gone is called (from
 * that worker's thread).  0 or -errno.
 */
int spp_workers_start(struct spp_server *srv, struct store **stores, int n,
		      void (*all_gone)(void));

/*
 * Queue the accepted socket @fd (blocks while the queue is full).  0, or
 * -ECANCELED if the pool is stopping (then @fd was not taken).
 */
int spp_workers_submit(int fd, const char *peer);

/* Stop taking connections; wait for the running sessions, the workers and
 * the watchdog to end. */
void spp_workers_stop(void);

/* Tell waiting workers and spp_workers_submit() that the daemon stops
 * (async-signal-safe: only sets a flag; spp_workers_stop() wakes them). */
void spp_workers_stopping(void);
int spp_workers_is_stopping(void);

#endif /* CHIPKEY_SPP_WORKERS_H */
