/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: the server's TLS handshake, non-blocking, one step at a
 * time (handshake.c), for the gate (gate.c): no thread waits for a client.
 */
#ifndef CHIPKEY_SPP_HANDSHAKE_H
#define CHIPKEY_SPP_HANDSHAKE_H

#include <openssl/ssl.h>

enum spp_hs {
	SPP_HS_READ,		/* wait until @fd is readable, then step again */
	SPP_HS_WRITE,		/* ... writable */
	SPP_HS_DONE,		/* authenticated; @fd is blocking again */
	SPP_HS_FAILED,		/* logged; free the SSL, close @fd */
};

/* An SSL server connection on @fd (made non-blocking), or NULL (logged). */
SSL *spp_handshake_new(SSL_CTX *ctx, int fd, const char *peer);

/*
 * One step of the handshake (SSL_accept; the station's chain and CRL are
 * checked in it, station-auth.c).  Done: then the station role
 * (spp_station_refusal(@station_auth)).  A failed handshake or a refused
 * client is logged as the session would (chip=- id=-).
 */
enum spp_hs spp_handshake_step(SSL *ssl, int fd, const char *peer, int station_auth);

#endif /* CHIPKEY_SPP_HANDSHAKE_H */
