/* SPDX-License-Identifier: GPL-2.0-or-later */
/* chipkey-spp: one provisioning session (state machine in session.c). */
#ifndef CHIPKEY_SPP_SESSION_H
#define CHIPKEY_SPP_SESSION_H

#include <stdint.h>
#include <openssl/ssl.h>
#include "common/pki.h"
#include "factory/factory.h"	/* libck-factory: the factory directory, packages */
#include "store/store.h"

struct spp_server {
	struct ck_factory *factory;
	SSL_CTX *ctx;
	int step_timeout;		/* seconds per frame */
	int session_timeout;		/* seconds per connection (workers.c's
					 * watchdog cuts the socket then) */
	int station_auth;		/* require a factory station client
					 * certificate (ctx verifies the chain,
					 * the gate checks the role) */
	uint8_t rom_fp[32];		/* SHA-256 of the manufacturer SPKI */
};

/* Outcome of a session (for the log line and the counters). */
enum spp_outcome {
	SPP_OUT_DONE = 0,	/* committed now (or idempotently re-committed) */
	SPP_OUT_ALREADY,	/* chip was provisioned before: record resent */
	SPP_OUT_REFUSED,	/* ERROR sent, nothing committed */
	SPP_OUT_DROPPED,	/* TLS failure, timeout, peer gone */
};

/* Runs one session on @ssl, whose TLS handshake (on the blocking socket
 * @fd) is done and whose client passed the station checks (gate.c); frees
 * @ssl.  The caller closes @fd (after making sure its watchdog no longer
 * refers to it). */
enum spp_outcome spp_session_run(struct spp_server *srv, struct store *st,
				 SSL *ssl, int fd, const char *peer);

#endif
