// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the secure processing point daemon.
 *
 *   chipkey-spp --factory DIR --db URL [--listen HOST:PORT] [--port-file F]
 *               [--workers N] [--timeout S] [--session-timeout S]
 *
 * A fixed pool of worker threads (each with its own store handle) takes
 * accepted connections from a bounded queue; each connection runs the
 * session state machine of session.c with socket timeouts, so a slow or
 * dead device holds one worker for at most the session timeout.
 * SIGTERM/SIGINT stop accepting and exit after the running sessions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "session.h"
#include "wire.h"

#define QUEUE_MAX 256

struct job { int fd; char peer[64]; };

static struct spp_server srv;
static const char *db_url;
static struct job queue[QUEUE_MAX];
static size_t q_head, q_len;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_nonfull = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t stopping;
static int stop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	if (stop_pipe[1] >= 0) {
		ssize_t r = write(stop_pipe[1], "x", 1);
		(void)r;
	}
}

static void *worker(void *arg)
{
	struct store *st = NULL;
	char err[256];

	(void)arg;
	if (store_open(db_url, &st, err, sizeof(err))) {
		fprintf(stderr, "chipkey-spp: worker: cannot open store: %s\n", err);
		return NULL;
	}
	for (;;) {
		struct job j;

		pthread_mutex_lock(&q_lock);
		while (!q_len && !stopping)
			pthread_cond_wait(&q_nonempty, &q_lock);
		if (!q_len && stopping) {
			pthread_mutex_unlock(&q_lock);
			break;
		}
		j = queue[q_head];
		q_head = (q_head + 1) % QUEUE_MAX;
		q_len--;
		pthread_cond_signal(&q_nonfull);
		pthread_mutex_unlock(&q_lock);
		spp_session_run(&srv, st, j.fd, j.peer);
	}
	store_close(st);
	return NULL;
}

static int parse_hostport(const char *s, char *host, size_t hl, char *port, size_t pl)
{
	const char *c = strrchr(s, ':');

	if (!c || (size_t)(c - s) >= hl || strlen(c + 1) >= pl || !c[1])
		return -EINVAL;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	strcpy(port, c + 1);
	return 0;
}

static int listen_on(const char *spec, int *port_out)
{
	char host[256], port[16];
	struct addrinfo hints, *ai = NULL;
	int fd = -1, one = 1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (parse_hostport(spec, host, sizeof(host), port, sizeof(port)))
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &ai))
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		int e = -errno;

		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return e;
	}
	freeaddrinfo(ai);
	*port_out = ntohs(ss.ss_family == AF_INET6 ?
			  ((struct sockaddr_in6 *)&ss)->sin6_port :
			  ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", port);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

static SSL_CTX *make_ctx(struct ck_factory *f)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, f->spp_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, f->spp_key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_add1_chain_cert(ctx, f->mfr_cert) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
}

static void usage(FILE *o)
{
	fprintf(o,
"usage: chipkey-spp --factory DIR --db URL [--listen HOST:PORT]\n"
"                   [--port-file FILE] [--workers N] [--timeout S]\n"
"                   [--session-timeout S]\n"
"  --listen   address to listen on (default 127.0.0.1:7465; port 0 = any)\n"
"  --port-file write the bound port there once listening\n"
"  --workers  concurrent sessions (default 16)\n"
"  --timeout  per-step timeout in seconds (default %d)\n"
"  --session-timeout whole-connection timeout (default %d)\n",
		CK_SPP_TIMEOUT_STEP, CK_SPP_TIMEOUT_SESSION);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "factory", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "session-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *fdir = NULL, *listen_spec = "127.0.0.1:7465", *pfile = NULL;
	int workers = 16, lfd, port = 0, c, err;
	pthread_t *th;
	struct store *st;
	char errbuf[256];
	struct sigaction sa;

	srv.step_timeout = CK_SPP_TIMEOUT_STEP;
	srv.session_timeout = CK_SPP_TIMEOUT_SESSION;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fdir = optarg; break;
		case 'd': db_url = optarg; break;
		case 'l': listen_spec = optarg; break;
		case 'p': pfile = optarg; break;
		case 'w': workers = atoi(optarg); break;
		case 't': srv.step_timeout = atoi(optarg); break;
		case 'T': srv.session_timeout = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!fdir || !db_url || optind != argc || workers < 1 || workers > 1024 ||
	    srv.step_timeout < 1 || srv.session_timeout < 1) {
		usage(stderr);
		return 2;
	}
	err = ck_factory_open(fdir, &srv.factory);
	if (err) {
		fprintf(stderr, "chipkey-spp: factory %s: %s\n", fdir, strerror(-err));
		return 1;
	}
	if (!srv.factory->spp_key || !srv.factory->spp_cert) {
		fprintf(stderr, "chipkey-spp: factory %s has no SPP credential\n", fdir);
		return 1;
	}
	if (spp_sha256(srv.factory->rom_key, srv.factory->rom_key_len, srv.rom_fp))
		return 1;
	srv.ctx = make_ctx(srv.factory);
	if (!srv.ctx) {
		fprintf(stderr, "chipkey-spp: TLS setup failed\n");
		ERR_print_errors_fp(stderr);
		return 1;
	}
	/* Open the store once up front: create the schema, fail early. */
	if (store_open(db_url, &st, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "chipkey-spp: store: %s\n", errbuf);
		return 1;
	}
	store_close(st);

	lfd = listen_on(listen_spec, &port);
	if (lfd < 0) {
		fprintf(stderr, "chipkey-spp: listen %s: %s\n", listen_spec, strerror(-lfd));
		return 1;
	}
	if (pipe(stop_pipe))
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	th = calloc((size_t)workers, sizeof(*th));
	if (!th)
		return 1;
	for (int i = 0; i < workers; i++)
		if (pthread_create(&th[i], NULL, worker, NULL))
			return 1;
	if (pfile && write_port_file(pfile, port)) {
		fprintf(stderr, "chipkey-spp: cannot write %s\n", pfile);
		return 1;
	}
	fprintf(stderr, "chipkey-spp: listening on port %d, %d workers\n", port, workers);

	while (!stopping) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		fd_set rf;
		int cfd, maxfd = lfd > stop_pipe[0] ? lfd : stop_pipe[0];
		char host[48] = "?";
		struct job j;

		FD_ZERO(&rf);
		FD_SET(lfd, &rf);
		FD_SET(stop_pipe[0], &rf);
		if (select(maxfd + 1, &rf, NULL, NULL, NULL) < 0)
			continue;
		if (!FD_ISSET(lfd, &rf))
			continue;
		cfd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
			    NULL, 0, NI_NUMERICHOST);
		j.fd = cfd;
		snprintf(j.peer, sizeof(j.peer), "%s", host);
		pthread_mutex_lock(&q_lock);
		while (q_len == QUEUE_MAX && !stopping)
			pthread_cond_wait(&q_nonfull, &q_lock);
		if (stopping) {
			pthread_mutex_unlock(&q_lock);
			close(cfd);
			break;
		}
		queue[(q_head + q_len) % QUEUE_MAX] = j;
		q_len++;
		pthread_cond_signal(&q_nonempty);
		pthread_mutex_unlock(&q_lock);
	}
	pthread_mutex_lock(&q_lock);
	stopping = 1;
	pthread_cond_broadcast(&q_nonempty);
	pthread_mutex_unlock(&q_lock);
	for (int i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	free(th);
	close(lfd);
	SSL_CTX_free(srv.ctx);
	ck_factory_close(srv.factory);
	fprintf(stderr, "chipkey-spp: stopped\n");
	return 0;
}
