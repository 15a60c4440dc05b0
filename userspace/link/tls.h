/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TLS 1.3 keyed by an external PSK (tls.c): the record layer of every link
 * mode.  OpenSSL's TLS 1.3 PSK session callbacks carry the PSK, so that
 * SHA-384 suites work (a 32-byte PSK selects the SHA-256 suites, a 48-byte
 * one TLS_AES_256_GCM_SHA384); psk_dhe_ke only (ECDHE, forward secrecy),
 * no certificates, no session tickets.
 */
#ifndef CHIPKEY_LINK_TLS_H
#define CHIPKEY_LINK_TLS_H

#include "link.h"

/* TLS over c->fd with c->secret (device: the client; server: c->server
 * set, mode 1 derives the PSK from the ClientHello's identity).  0 or
 * -ECONNREFUSED (the handshake failed: wrong key, not PSK, ...),
 * -ETIMEDOUT (the socket's send/receive timeout ran out), -ECONNRESET
 * (closed during it) / -errno. */
int ck_link_tls_client(struct ck_link_conn *c);
int ck_link_tls_server(struct ck_link_conn *c);

/* Mode 1, server (link-channel-key.c): the PSK for a ClientHello's PSK
 * @identity.  0, -EINVAL (not a channel-key identity) or -errno. */
int ck_link_channel_key_psk(const struct ck_link_server *s, const uint8_t *identity,
			    size_t len, struct ck_link_secret *out);

#endif /* CHIPKEY_LINK_TLS_H */
