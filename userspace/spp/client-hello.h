/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-spp: has the client's whole TLS ClientHello arrived?
 * (client-hello.c: peeks, MSG_PEEK, so OpenSSL reads the same bytes later;
 * for the gate, gate.c, before its TLS handshake starts).
 */
#ifndef CHIPKEY_SPP_CLIENT_HELLO_H
#define CHIPKEY_SPP_CLIENT_HELLO_H

enum spp_hello { HELLO_WAIT, HELLO_READY, HELLO_GONE, HELLO_BAD };

/*
 * Peek at what the client sent on @fd: WAIT (and *@peeked bytes so far),
 * READY (the whole ClientHello is there), GONE (closed or failed), BAD
 * (not a TLS handshake, a ClientHello over SPP_CLIENT_HELLO_MAX, ...: *@why).
 */
enum spp_hello spp_client_hello(int fd, const char **why, int *peeked);

/* After WAIT with @have bytes peeked: make poll() report @fd readable only
 * once more has arrived (or at end of stream). */
void spp_client_hello_want_more(int fd, int have);

#endif /* CHIPKEY_SPP_CLIENT_HELLO_H */
