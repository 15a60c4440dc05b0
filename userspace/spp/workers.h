/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: the worker pool (workers.c): a fixed set of worker threads,
 * each with its own store handle, taking connections from a bounded queue
 * (filled by the gate, gate.c, with authenticated TLS connections), and
 * the watchdog that cuts sessions past their session deadline.
 */
#ifndef CHIPKEY_SPP_WORKERS_H
#define CHIPKEY_SPP_WORKERS_H

#include <stdint.h>
#include <openssl/ssl.h>
#include "session.h"

#define SPP_QUEUE_MAX	256	/* accepted connections waiting for a worker */

/*
 * Start the watchdog and one worker per store in @stores[0..@n) (opened by
 * the caller; each worker closes its own when it exits).  A session is
 * cut srv->session_timeout seconds after its worker took the connection.
 * When the last worker exits while
 * the pool is not stopping, @all_gone is called (from that worker's
 * thread).  0 or -errno.
 */
int spp_workers_start(struct spp_server *srv, struct store **stores, int n,
		      void (*all_gone)(void));

/*
 * Queue the blocking socket @fd of @peer with its TLS connection @ssl
 * (handshake done, client authenticated); the worker runs the session,
 * frees @ssl, closes @fd, then calls spp_gate_release(@peer).  0; -EAGAIN
 * if the queue is full, -ECANCELED if the pool is stopping (then neither
 * was taken).  Never blocks.
 */
int spp_workers_try_submit(int fd, SSL *ssl, const char *peer);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t spp_now_ms(void);

/* Stop taking connections; wait for the running sessions, the workers and
 * the watchdog to end. */
void spp_workers_stop(void);

/* Tell waiting workers and spp_workers_submit() that the daemon stops
 * (async-signal-safe: only sets a flag; spp_workers_stop() wakes them). */
void spp_workers_stopping(void);
int spp_workers_is_stopping(void);

#endif /* CHIPKEY_SPP_WORKERS_H */
