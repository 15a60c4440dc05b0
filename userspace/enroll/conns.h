/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The open connections of chipkey-enroll serve (conns.c; docs/enrollment.md,
 * "Limits"): at most --max-conns at once and --max-per-ip from one address
 * (the others are shut down at once), each with a deadline of
 * --request-timeout seconds from accept (then from each answer) that no
 * progress resets: a silent or trickling client is cut when it passes.
 * A connection is the SSL of its bufferevent: its slot is freed with it.
 */
#ifndef CHIPKEY_ENROLL_CONNS_H
#define CHIPKEY_ENROLL_CONNS_H

#include <event2/event.h>
#include <openssl/ssl.h>

#define CONNS_MAX		256
#define CONNS_MAX_PER_ADDR	8
#define CONNS_REQUEST_TIMEOUT	10	/* s */

/* 0 or -ENOMEM. */
int conns_init(struct event_base *base, int max, int per_addr, int timeout);
/* Track the new connection of @ssl (whose socket is set later): its
 * admission is decided on the next loop turn.  0 or -ENOMEM. */
int conns_attach(SSL *ssl);
/* An answer went out on @ssl: a new deadline for the next request. */
void conns_rearm(SSL *ssl);
/* Forget the table (at exit, after the connections are freed). */
void conns_done(void);
/* At most one line a second on stderr (the others are counted). */
void conns_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* CHIPKEY_ENROLL_CONNS_H */
