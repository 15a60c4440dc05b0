// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the gate (see gate.h).
 *
 * A worker blocked in SSL_accept on a client that trickles its handshake,
 * or sends its ClientHello and then stalls, is a worker lost; a few such
 * clients stop the line, and they need no credential.  So no worker sees
 * a connection before its TLS handshake is done and its client passed the
 * station checks (station-auth.c): the accepting thread keeps new
 * connections in a table and polls them.  First it peeks (client-hello.c;
 * MSG_PEEK: nothing is consumed, OpenSSL reads the same bytes later) until
 * the TLS records hold a complete ClientHello, closing at once what is not
 * a TLS handshake; then it runs SSL_accept non-blocking, one step each
 * time the socket is ready for it, and checks the station role
 * (handshake.c).  Waiting costs a descriptor, a table entry and (after the
 * ClientHello) an SSL object, no thread.  A connection is cut (one log
 * line) if its handshake is not done by the handshake deadline (from
 * accept).
 *
 * At accept, a source address that already has --max-per-ip connections
 * open (in the handshake here, queued, or in a worker) gets its new one
 * closed at once (log rate-limited).  At most --max-pending connections
 * are here; a new one then pushes out the one in its handshake that has
 * waited longest (a real station's handshake takes two round trips).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client-hello.h"
#include "gate.h"
#include "handshake.h"
#include "workers.h"

#define PEER_LEN	48
#define ACCEPT_BURST	64

/* One connection waiting for its ClientHello (ssl NULL), in the rest of
 * its handshake, or, ready (authenticated), for queue room. */
struct pend {
	int fd;
	SSL *ssl;
	int want_write;		/* SSL_accept waits to write, not to read */
	int ready;
	int64_t deadline_ms;
	char peer[PEER_LEN];
};

/* Open connections of one source address. */
struct addr_n {
	char addr[PEER_LEN];
	int n;
};

/* At most one line a second for events an attacker can repeat at will. */
struct ratelog {
	int64_t last_ms;
	long n;
};

static struct spp_gate_opts opt;
static int hs_ms;			/* effective handshake deadline */
static struct pend *pend;
static int npend;
static struct pollfd *pfd;
static int *pidx;

static struct addr_n *addrs;
static int naddrs, addrs_cap;
static pthread_mutex_t addr_lock = PTHREAD_MUTEX_INITIALIZER;

static struct ratelog rl_limit, rl_evict;

int spp_gate_init(const struct spp_gate_opts *o)
{
	opt = *o;
	hs_ms = 1000 * (opt.handshake_timeout < opt.session_timeout ?
			opt.handshake_timeout : opt.session_timeout);
	/* every open connection is here, in the queue or in a worker */
	addrs_cap = opt.max_pending + SPP_QUEUE_MAX + opt.workers;
	pend = calloc((size_t)opt.max_pending, sizeof(*pend));
	pfd = calloc((size_t)opt.max_pending + 2, sizeof(*pfd));
	pidx = calloc((size_t)opt.max_pending + 2, sizeof(*pidx));
	addrs = calloc((size_t)addrs_cap, sizeof(*addrs));
	if (!pend || !pfd || !pidx || !addrs) {
		spp_gate_free();
		return -ENOMEM;
	}
	return 0;
}

void spp_gate_free(void)
{
	free(pend);
	free(pfd);
	free(pidx);
	free(addrs);
	pend = NULL;
	pfd = NULL;
	pidx = NULL;
	addrs = NULL;
}

/* How many events to report now (0: stay quiet, counted for later). */
static long ratelog_due(struct ratelog *r)
{
	int64_t now = spp_now_ms();
	long k;

	r->n++;
	if (r->last_ms && now - r->last_ms < 1000)
		return 0;
	r->last_ms = now;
	k = r->n;
	r->n = 0;
	return k;
}

static struct addr_n *addr_find(const char *peer)
{
	for (int i = 0; i < naddrs; i++)
		if (!strcmp(addrs[i].addr, peer))
			return &addrs[i];
	return NULL;
}

/* Count a new connection of @peer: 0, or -EBUSY over the limit. */
static int addr_take(const char *peer)
{
	struct addr_n *a;
	int err = 0;

	pthread_mutex_lock(&addr_lock);
	a = addr_find(peer);
	if (!a && naddrs < addrs_cap) {
		a = &addrs[naddrs++];
		snprintf(a->addr, sizeof(a->addr), "%s", peer);
		a->n = 0;
	}
	if (!a || a->n >= opt.max_per_addr)
		err = -EBUSY;
	else
		a->n++;
	pthread_mutex_unlock(&addr_lock);
	return err;
}

void spp_gate_release(const char *peer)
{
	struct addr_n *a;

	pthread_mutex_lock(&addr_lock);
	a = addr_find(peer);
	if (a && --a->n <= 0)
		*a = addrs[--naddrs];
	pthread_mutex_unlock(&addr_lock);
}

/* Close pending connection @i (its slot is reclaimed by compact()). */
static void pend_close(int i)
{
	SSL_free(pend[i].ssl);
	pend[i].ssl = NULL;
	close(pend[i].fd);
	spp_gate_release(pend[i].peer);
	pend[i].fd = -1;
}

static void compact(void)
{
	int k = 0;

	for (int i = 0; i < npend; i++)
		if (pend[i].fd >= 0)
			pend[k++] = pend[i];
	npend = k;
}

static void log_deadline(const struct pend *p)
{
	int clamped = opt.session_timeout <= opt.handshake_timeout;

	fprintf(stderr, "chipkey-spp: %s: %s deadline (%d s) passed before the ClientHello: connection cut\n",
		p->peer, clamped ? "session" : "TLS handshake", hs_ms / 1000);
}

/* Queue the ready connections, oldest first, while the queue has room.
 * -ECANCELED when the pool stops. */
static int submit_ready(void)
{
	int err = 0;

	for (int i = 0; i < npend; i++) {
		if (!pend[i].ready)
			continue;
		err = spp_workers_try_submit(pend[i].fd, pend[i].ssl, pend[i].peer);
		if (err)
			break;
		pend[i].fd = -1;	/* the worker owns them now */
		pend[i].ssl = NULL;
	}
	compact();
	return err == -ECANCELED ? err : 0;
}

/* Make room for one more: cut the oldest connection still in its
 * handshake (there is one: accept_some() checked). */
static void evict_oldest(void)
{
	long k;

	for (int i = 0; i < npend; i++) {
		if (pend[i].ready)
			continue;
		k = ratelog_due(&rl_evict);
		if (k)
			fprintf(stderr, "chipkey-spp: %s: %d connections wait for their %s: "
				"the oldest cut (%ld such cut since the last line)\n",
				pend[i].peer, opt.max_pending,
				pend[i].ssl ? "TLS handshake" : "ClientHello", k);
		pend_close(i);
		compact();
		return;
	}
}

static int any_waiting(void)
{
	for (int i = 0; i < npend; i++)
		if (!pend[i].ready)
			return 1;
	return 0;
}

static void accept_some(int lfd, int64_t now)
{
	for (int b = 0; b < ACCEPT_BURST; b++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[PEER_LEN] = "?";
		struct pend *p;
		int cfd;
		long k;

		if (npend == opt.max_pending && !any_waiting())
			return;
		cfd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
			    NULL, 0, NI_NUMERICHOST);
		if (addr_take(host)) {
			close(cfd);
			k = ratelog_due(&rl_limit);
			if (k)
				fprintf(stderr, "chipkey-spp: %s: per-address limit (%d connections) reached: "
					"connection closed (%ld such closed since the last line)\n",
					host, opt.max_per_addr, k);
			continue;
		}
		if (npend == opt.max_pending)
			evict_oldest();
		p = &pend[npend++];
		p->fd = cfd;
		p->ssl = NULL;
		p->want_write = 0;
		p->ready = 0;
		p->deadline_ms = now + hs_ms;
		snprintf(p->peer, sizeof(p->peer), "%s", host);
	}
}

/* Poll the listening socket, the stop pipe and every waiting connection. */
static int wait_events(int lfd, int stop_fd, int64_t now)
{
	int n = 0, timeout = -1, queued_wait = 0;

	pfd[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
	/* full of ready connections (the queue is full): accept nothing */
	pfd[n++] = (struct pollfd){ .fd = lfd, .events =
		npend < opt.max_pending || any_waiting() ? POLLIN : 0 };
	for (int i = 0; i < npend; i++) {
		int64_t left = pend[i].deadline_ms - now;

		if (pend[i].ready) {
			queued_wait = 1;
			continue;
		}
		pidx[n] = i;
		pfd[n++] = (struct pollfd){ .fd = pend[i].fd, .events =
			!pend[i].ssl ? POLLIN | POLLRDHUP : pend[i].want_write ? POLLOUT : POLLIN };
		if (left < 0)
			left = 0;
		if (timeout < 0 || left < timeout)
			timeout = (int)left;
	}
	/* the queue is full: look again soon (workers do not wake us) */
	if (queued_wait && (timeout < 0 || timeout > 20))
		timeout = 20;
	if (poll(pfd, (nfds_t)n, timeout) < 0)
		return 0;
	return n;
}

/* One step of pending connection @i's handshake (handshake.c). */
static void handshake_step(int i)
{
	struct pend *p = &pend[i];

	switch (spp_handshake_step(p->ssl, p->fd, p->peer, opt.station_auth)) {
	case SPP_HS_READ:
		p->want_write = 0;
		break;
	case SPP_HS_WRITE:
		p->want_write = 1;
		break;
	case SPP_HS_DONE:
		p->ready = 1;
		break;
	case SPP_HS_FAILED:
		pend_close(i);
		break;
	}
}

/* Pending connection @i's ClientHello is complete: start its handshake. */
static void handshake_start(int i)
{
	struct pend *p = &pend[i];
	int one = 1;

	/* OpenSSL's reads must not wait for more than there is */
	setsockopt(p->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	p->ssl = spp_handshake_new(opt.ctx, p->fd, p->peer);
	if (p->ssl)
		handshake_step(i);
	else
		pend_close(i);
}

static void log_hs_deadline(const struct pend *p)
{
	int clamped = opt.session_timeout <= opt.handshake_timeout;

	fprintf(stderr, "chipkey-spp: %s: %s deadline (%d s) passed: connection cut\n",
		p->peer, clamped ? "session" : "TLS handshake", hs_ms / 1000);
}

void spp_gate_run(int lfd, int stop_fd)
{
	int fl = fcntl(lfd, F_GETFL);

	if (fl >= 0)
		fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
	while (!spp_workers_is_stopping()) {
		int64_t now;
		int n;

		if (submit_ready())
			break;
		n = wait_events(lfd, stop_fd, spp_now_ms());
		now = spp_now_ms();
		for (int j = 2; j < n; j++) {
			struct pend *p = &pend[pidx[j]];
			const char *why = NULL;
			int peeked = 0;
			enum spp_hello h;

			if (p->ssl) {
				if (pfd[j].revents)
					handshake_step(pidx[j]);
				if (p->fd >= 0 && !p->ready && now >= p->deadline_ms) {
					log_hs_deadline(p);
					pend_close(pidx[j]);
				}
				continue;
			}
			h = pfd[j].revents ? spp_client_hello(p->fd, &why, &peeked) : HELLO_WAIT;

			/* closed (or half-closed) with the ClientHello incomplete:
			 * it cannot complete (and poll() would report it forever) */
			if (h == HELLO_WAIT && (pfd[j].revents & (POLLRDHUP | POLLHUP | POLLERR)))
				h = HELLO_GONE;
			switch (h) {
			case HELLO_READY:
				handshake_start(pidx[j]);
				break;
			case HELLO_GONE:
				fprintf(stderr, "chipkey-spp: %s: connection closed before the ClientHello\n",
					p->peer);
				pend_close(pidx[j]);
				break;
			case HELLO_BAD:
				fprintf(stderr, "chipkey-spp: %s: %s: connection closed\n", p->peer, why);
				pend_close(pidx[j]);
				break;
			case HELLO_WAIT:
				if (peeked > 0)
					spp_client_hello_want_more(p->fd, peeked);
				if (now >= p->deadline_ms) {
					log_deadline(p);
					pend_close(pidx[j]);
				}
				break;
			}
		}
		compact();
		if (n > 1 && (pfd[1].revents & POLLIN))
			accept_some(lfd, now);
	}
	for (int i = 0; i < npend; i++)
		pend_close(i);
	npend = 0;
}
