// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the server's TLS handshake, one non-blocking step at a time
 * (see handshake.h).  The gate calls a step each time poll() says the
 * socket is ready for what the last step waited for; a client that stalls
 * costs nothing until it sends again or its deadline (the gate's) passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "handshake.h"
#include "station-auth.h"

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

SSL *spp_handshake_new(SSL_CTX *ctx, int fd, const char *peer)
{
	SSL *ssl = set_nonblock(fd, 1) ? NULL : SSL_new(ctx);

	if (ssl && SSL_set_fd(ssl, fd) == 1)
		return ssl;
	SSL_free(ssl);
	ERR_clear_error();
	fprintf(stderr, "chipkey-spp: %s: cannot start the TLS handshake: connection closed\n",
		peer);
	return NULL;
}

static enum spp_hs step(SSL *ssl, int fd, const char *peer, int station_auth)
{
	int r = SSL_accept(ssl);
	unsigned long e;
	const char *why;

	if (r == 1) {
		why = spp_station_refusal(ssl, station_auth);
		if (why) {
			fprintf(stderr, "chipkey-spp: %s chip=- id=-: refused: the TLS client is "
				"not a factory station (%s)\n", peer, why);
			return SPP_HS_FAILED;
		}
		if (set_nonblock(fd, 0)) {
			fprintf(stderr, "chipkey-spp: %s: fcntl: %s: connection closed\n",
				peer, strerror(errno));
			return SPP_HS_FAILED;
		}
		return SPP_HS_DONE;
	}
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return SPP_HS_READ;
	case SSL_ERROR_WANT_WRITE:
		return SPP_HS_WRITE;
	default:
		e = ERR_peek_last_error();
		why = e ? ERR_reason_error_string(e) : NULL;
		fprintf(stderr, "chipkey-spp: %s chip=- id=-: TLS handshake failed%s%s%s\n",
			peer, why ? " (" : "", why ? why : "", why ? ")" : "");
		return SPP_HS_FAILED;
	}
}

enum spp_hs spp_handshake_step(SSL *ssl, int fd, const char *peer, int station_auth)
{
	enum spp_hs h = step(ssl, fd, peer, station_auth);

	ERR_clear_error();
	return h;
}
