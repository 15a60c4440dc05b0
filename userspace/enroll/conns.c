// SPDX-License-Identifier: GPL-2.0-or-later
/* chipkey-enroll serve: connection limits and deadlines (conns.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#include "conns.h"

struct conn {
	SSL *ssl;
	struct event *timer;	/* admission, then the deadline */
	int admitted;		/* counted in the limits */
	char addr[INET6_ADDRSTRLEN];
};

static struct event_base *base;
static struct conn **open_conns;	/* the admitted ones */
static int max_conns, max_per_addr, deadline_s, n_open, ex_idx = -1;

void conns_log(const char *fmt, ...)
{
	static time_t last;
	static unsigned long skipped;
	time_t now = time(NULL);
	va_list ap;

	if (now == last) {
		skipped++;
		return;
	}
	last = now;
	if (skipped)
		fprintf(stderr, "chipkey-enroll: (%lu similar lines not logged)\n", skipped);
	skipped = 0;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void leave(struct conn *c)
{
	int i;

	if (!c->admitted)
		return;
	c->admitted = 0;
	for (i = 0; i < n_open; i++)
		if (open_conns[i] == c) {
			open_conns[i] = open_conns[--n_open];
			break;
		}
}

/* The SSL (hence the connection) is freed: so is its slot. */
static void on_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			void *argp)
{
	struct conn *c = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!c)
		return;
	leave(c);
	if (c->timer)
		event_free(c->timer);
	free(c);
}

/* Shut the socket down: evhttp sees the end of the stream and frees it. */
static void cut(struct conn *c)
{
	int fd = SSL_get_fd(c->ssl);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	leave(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd, (void)what;
	conns_log("chipkey-enroll: %s: no complete request within %d s: closed\n", c->addr,
		  deadline_s);
	cut(c);
}

static void arm(struct conn *c)
{
	struct timeval tv = { deadline_s, 0 };

	event_del(c->timer);
	event_assign(c->timer, base, -1, 0, on_deadline, c);
	event_add(c->timer, &tv);
}

static void on_admit(evutil_socket_t unused, short what, void *arg)
{
	struct conn *c = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = SSL_get_fd(c->ssl), i, same = 0;

	(void)unused, (void)what;
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl)) {
		cut(c);
		return;
	}
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->addr, sizeof(c->addr));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->addr, sizeof(c->addr));
	for (i = 0; i < n_open; i++)
		same += !strcmp(open_conns[i]->addr, c->addr);
	if (n_open >= max_conns || same >= max_per_addr) {
		conns_log("chipkey-enroll: %s: refused: %s\n", c->addr, n_open >= max_conns ?
			  "too many connections (--max-conns)" :
			  "too many connections from this address (--max-per-ip)");
		cut(c);
		return;
	}
	open_conns[n_open++] = c;
	c->admitted = 1;
	arm(c);
}

int conns_init(struct event_base *b, int max, int per_addr, int timeout)
{
	base = b;
	max_conns = max;
	max_per_addr = per_addr;
	deadline_s = timeout;
	open_conns = calloc((size_t)max + 1, sizeof(*open_conns));
	if (!open_conns)
		return -ENOMEM;
	ex_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, on_ssl_free);
	return ex_idx < 0 ? -ENOMEM : 0;
}

void conns_done(void)
{
	free(open_conns);
	open_conns = NULL;
	n_open = 0;
}

int conns_attach(SSL *ssl)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct timeval now = { 0, 0 };

	if (!c)
		return -ENOMEM;
	c->ssl = ssl;
	strcpy(c->addr, "?");
	c->timer = event_new(base, -1, 0, on_admit, c);
	if (!c->timer || !SSL_set_ex_data(ssl, ex_idx, c)) {
		if (c->timer)
			event_free(c->timer);
		free(c);
		return -ENOMEM;
	}
	event_add(c->timer, &now);
	return 0;
}

void conns_rearm(SSL *ssl)
{
	struct conn *c = SSL_get_ex_data(ssl, ex_idx);

	if (c && c->admitted)
		arm(c);
}
