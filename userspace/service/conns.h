/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-service: the open connections (conns.c): at most --max-conns at
 * once, --max-per-ip from one address, and a deadline per connection
 * (--handshake-timeout until the link is up, then --session-timeout) that
 * a watchdog thread enforces by shutting the socket down, so a silent or
 * trickling peer holds its thread for at most that long.
 */
#ifndef CHIPKEY_SERVICE_CONNS_H
#define CHIPKEY_SERVICE_CONNS_H

#define SVC_MAX_CONNS		256
#define SVC_MAX_PER_ADDR	8
#define SVC_HANDSHAKE_TIMEOUT	10	/* s */
#define SVC_SESSION_TIMEOUT	300	/* s */

/* 0 or -errno (starts the watchdog). */
int svc_conns_init(int max, int per_addr);
/* A slot for @fd from @addr with a deadline @seconds away, or -EBUSY. */
int svc_conn_enter(int fd, const char *addr, int seconds);
void svc_conn_rearm(int slot, int seconds);
void svc_conn_leave(int slot);

#endif /* CHIPKEY_SERVICE_CONNS_H */
