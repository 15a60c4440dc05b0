/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: the gate (gate.c): what a connection passes between accept
 * and the worker queue.  One thread (main's) accepts, enforces the
 * per-address connection limit, waits (poll, no worker) until the client's
 * TLS ClientHello has fully arrived, then runs the rest of the TLS
 * handshake (non-blocking) and the station checks, all within the
 * handshake deadline; only then is the connection queued for a worker.
 */
#ifndef CHIPKEY_SPP_GATE_H
#define CHIPKEY_SPP_GATE_H

#define SPP_HANDSHAKE_TIMEOUT	5	/* s, --handshake-timeout */
#define SPP_MAX_PER_ADDR	4	/* --max-per-ip */
#define SPP_MAX_PENDING		1024	/* --max-pending */
#define SPP_CLIENT_HELLO_MAX	16384	/* larger: closed by the gate */

#include <openssl/ssl.h>

struct spp_gate_opts {
	int handshake_timeout;	/* s: accept -> handshake done */
	int session_timeout;	/* s: caps handshake_timeout (and names it
				 * in the log when it is the smaller one) */
	int max_per_addr;	/* open connections per source address */
	int max_pending;	/* connections in their handshake */
	int workers;
	SSL_CTX *ctx;		/* the server's TLS context */
	int station_auth;	/* spp_station_refusal()'s @required */
};

/* 0 or -ENOMEM. */
int spp_gate_init(const struct spp_gate_opts *o);

/*
 * Accept on @lfd until the pool stops (spp_workers_is_stopping(); @stop_fd
 * becomes readable then), handing connections whose TLS handshake is done
 * and whose client passed the station checks to spp_workers_try_submit().
 * Closes what it still holds.
 */
void spp_gate_run(int lfd, int stop_fd);

/* A connection from @peer that the gate let through has been closed
 * (called by the worker; thread-safe). */
void spp_gate_release(const char *peer);

void spp_gate_free(void);

#endif /* CHIPKEY_SPP_GATE_H */
