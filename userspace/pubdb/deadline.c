// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: the request deadline (--request-timeout).  libmicrohttpd's
 * connection timeout only measures idleness, so a client sending one byte
 * every few seconds would hold a connection, and its share of
 * --max-per-ip, forever.  Here every connection has a clock that starts
 * when it is accepted and again when a request has been answered; a
 * watchdog thread shuts down (shutdown(2)) the socket of every connection
 * whose request head and body are not complete --request-timeout seconds
 * after its clock started.  MHD then sees the end of the stream and closes
 * the connection as it does any other.
 *
 * Each connection's state (struct conn) hangs on MHD's per-socket context
 * (MHD_OPTION_NOTIFY_CONNECTION); all of them are on one list under one
 * lock, which also keeps the socket open while the watchdog uses it: MHD
 * reports a connection closed before it closes the socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pubdb.h"

struct conn {
	struct conn *prev, *next;
	int fd;
	int64_t start_ms;	/* clock start: accepted, or last answer done */
	bool answering;		/* request complete, answer under way */
	bool cut;
	char peer[INET6_ADDRSTRLEN];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct conn *head;
static int64_t limit_ms;
static bool running, stopping;
static pthread_t watchdog;

/* At most one log line a second: a client can make cuts at will. */
static int64_t log_last_ms;
static long log_quiet;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_cut(const struct conn *c, int64_t now)
{
	if (log_last_ms && now - log_last_ms < 1000) {
		log_quiet++;
		return;
	}
	fprintf(stderr, "chipkey-pubdb: %s: request not complete within %lld s: connection cut",
		c->peer, (long long)(limit_ms / 1000));
	if (log_quiet)
		fprintf(stderr, " (and %ld more cut since the last report)", log_quiet);
	fputc('\n', stderr);
	log_last_ms = now;
	log_quiet = 0;
}

static void *watch(void *arg)
{
	struct timespec ts;
	int64_t now;

	(void)arg;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		now = now_ms();
		for (struct conn *c = head; c; c = c->next) {
			if (c->answering || c->cut || now - c->start_ms < limit_ms)
				continue;
			c->cut = true;
			shutdown(c->fd, SHUT_RDWR);
			log_cut(c, now);
		}
		/* a quarter second: a cut comes at most that late */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wake, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int pubdb_deadline_start(unsigned int seconds)
{
	int rc;

	limit_ms = (int64_t)seconds * 1000;
	stopping = false;
	rc = pthread_create(&watchdog, NULL, watch, NULL);
	if (rc)
		return -rc;
	running = true;
	return 0;
}

void pubdb_deadline_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(watchdog, NULL);
	running = false;
}

void pubdb_deadline_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
			   enum MHD_ConnectionNotificationCode toe)
{
	struct conn *c = *socket_context;
	const union MHD_ConnectionInfo *i;

	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return;	/* no deadline for it; the idle timeout stays */
		i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = i ? i->connect_fd : -1;
		i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		strcpy(c->peer, "?");
		if (i && i->client_addr && i->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)i->client_addr)->sin_addr,
				  c->peer, sizeof(c->peer));
		if (c->fd < 0) {
			free(c);
			return;
		}
		c->start_ms = now_ms();
		pthread_mutex_lock(&lock);
		c->next = head;
		if (head)
			head->prev = c;
		head = c;
		pthread_mutex_unlock(&lock);
		*socket_context = c;
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&lock);
	free(c);
	*socket_context = NULL;
}

/* The connection's struct conn (NULL: none, no deadline). */
static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *i;

	i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

void pubdb_deadline_request_done(struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);

	if (!c)
		return;
	pthread_mutex_lock(&lock);
	c->answering = true;
	pthread_mutex_unlock(&lock);
}

void pubdb_deadline_answered(struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);

	if (!c)
		return;
	pthread_mutex_lock(&lock);
	c->answering = false;
	c->start_ms = now_ms();
	pthread_mutex_unlock(&lock);
}
