/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: the worker pool (workers.c): a fixed set of worker threads,
 * each with its own store handle, taking connections from a bounded queue
 * (filled by the gate, gate.c), and the watchdog that cuts sessions past
 * their handshake or session deadline.
 */
#ifndef CHIPKEY_SPP_WORKERS_H
#define CHIPKEY_SPP_WORKERS_H

#include <stdint.h>
#include <openssl/ssl.h>
#include "session.h"

#define SPP_QUEUE_MAX	256	/* accepted connections waiting for a worker */

/*
 * Start the watchdog and one worker per store in @stores[0..@n) (opened by
 * the caller; each worker closes its own when it exits).  A worker's TLS
 * handshake must be done @handshake_timeout seconds (capped by the session
 * timeout) after it took the connection.  When the last worker exits while
 * the pool is not stopping, @all_gone is called (from that worker's
 * thread).  0 or -errno.
 */
int spp_workers_start(struct spp_server *srv, struct store **stores, int n,
		      int handshake_timeout, void (*all_gone)(void));

/*
 * Queue the socket @fd of @peer; the worker closes it, then calls
 * spp_gate_release(@peer).  0; -EAGAIN if the queue is full, -ECANCELED if
 * the pool is stopping (then @fd was not taken).  Never blocks.
 */
int spp_workers_try_submit(int fd, const char *peer);

/* The SSL_CTX info callback that ends a worker's handshake deadline
 * (SSL_CTX_set_info_callback on the server context). */
void spp_workers_tls_info(const SSL *ssl, int where, int ret);

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
