// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the secure processing point daemon.
 *
 *   chipkey-spp --factory DIR --db URL [--listen HOST:PORT] [--port-file F]
 *               [--workers N] [--timeout S] [--session-timeout S]
 *               [--station-ca FILE | --no-station-auth]
 *
 * A fixed pool of worker threads (each with its own store handle, all
 * opened before the daemon listens: a store that cannot be opened fails
 * the start) takes accepted connections from a bounded queue; each
 * connection runs the session state machine of session.c with socket
 * timeouts, and a watchdog thread shuts down the socket of any session past
 * its deadline (handshake included), so a slow, dead or trickling peer
 * holds one worker for at most the session timeout.  Clients must present
 * a factory station certificate (mutual TLS, chained to --station-ca, by
 * default the factory's manufacturer CA) unless --no-station-auth.
 * SIGTERM/SIGINT stop accepting and exit after the running sessions; if
 * every worker is gone, the daemon exits with status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "session.h"
#include "wire.h"

#define QUEUE_MAX 256

struct job { int fd; char peer[64]; };

static struct spp_server srv;
static const char *db_url;
static struct store **stores;	/* one per worker, opened by main() */
static atomic_int live_workers;
static volatile sig_atomic_t all_workers_gone;

/* The watchdog's view of the running sessions: one slot per worker. */
struct slot {
	int fd;			/* -1: idle */
	int64_t deadline_ms;	/* CLOCK_MONOTONIC */
	int cut;
	char peer[64];
};
static struct slot *slots;
static int nslots;
static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;
static int wd_stop;
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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Every 100 ms: shut down (SHUT_RDWR) the socket of every session past its
 * deadline.  The blocked SSL_accept / SSL_read / SSL_write in the worker
 * then fails at once, whatever the peer trickles (SO_RCVTIMEO alone is
 * reset by every byte received).  The fd stays open (the worker closes it
 * after clearing its slot under wd_lock), so it is never a reused fd.
 */
static void *watchdog(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wd_lock);
	while (!wd_stop) {
		struct timespec ts;
		int64_t now = now_ms();

		for (int i = 0; i < nslots; i++) {
			struct slot *sl = &slots[i];

			if (sl->fd < 0 || sl->cut || now < sl->deadline_ms)
				continue;
			shutdown(sl->fd, SHUT_RDWR);
			sl->cut = 1;
			fprintf(stderr, "chipkey-spp: %s: session deadline (%d s) passed: connection cut\n",
				sl->peer, srv.session_timeout);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wd_cond, &wd_lock, &ts);
	}
	pthread_mutex_unlock(&wd_lock);
	return NULL;
}

static void worker_gone(void)
{
	if (atomic_fetch_sub(&live_workers, 1) == 1 && !stopping) {
		/* nobody left to serve connections: stop the daemon */
		all_workers_gone = 1;
		on_signal(0);
	}
}

static void *worker(void *arg)
{
	int idx = (int)(intptr_t)arg;
	struct store *st = stores[idx];

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

		pthread_mutex_lock(&wd_lock);
		slots[idx].fd = j.fd;
		slots[idx].cut = 0;
		slots[idx].deadline_ms = now_ms() + (int64_t)srv.session_timeout * 1000;
		snprintf(slots[idx].peer, sizeof(slots[idx].peer), "%s", j.peer);
		pthread_mutex_unlock(&wd_lock);
		spp_session_run(&srv, st, j.fd, j.peer);
		pthread_mutex_lock(&wd_lock);
		slots[idx].fd = -1;
		pthread_mutex_unlock(&wd_lock);
		close(j.fd);
	}
	store_close(st);
	stores[idx] = NULL;
	worker_gone();
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

/*
 * @station_ca (NULL: no client authentication): the CA file client
 * certificates must chain to; OpenSSL verifies the chain (purpose: TLS
 * client) in the handshake and fails it without a certificate; the
 * station role is checked by the session after the handshake.
 */
static SSL_CTX *make_ctx(struct ck_factory *f, const char *station_ca)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	if (station_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(station_ca);

		if (!names || SSL_CTX_load_verify_locations(ctx, station_ca, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			fprintf(stderr, "chipkey-spp: cannot load the station CA %s\n",
				station_ca);
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
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
"                   [--station-ca FILE | --no-station-auth]\n"
"  --listen   address to listen on (default 127.0.0.1:7465; port 0 = any)\n"
"  --port-file write the bound port there once listening\n"
"  --workers  concurrent sessions (default 16)\n"
"  --timeout  per-step timeout in seconds (default %d)\n"
"  --session-timeout whole-connection timeout, TLS handshake included\n"
"             (default %d)\n"
"  --station-ca FILE  clients must present a factory station certificate\n"
"             (OU=chipkey-station, EKU clientAuth) issued by this CA\n"
"             (default: DIR/mfr-ca.pem, the manufacturer CA)\n"
"  --no-station-auth  accept any TLS client (lab only: anyone who can\n"
"             connect obtains device keys and can provision chips)\n",
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
		{ "station-ca", required_argument, NULL, 'C' },
		{ "no-station-auth", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *fdir = NULL, *listen_spec = "127.0.0.1:7465", *pfile = NULL;
	const char *station_ca = NULL;
	char ca_default[4096];
	int workers = 16, lfd, port = 0, c, err, no_station = 0;
	pthread_t *th, wd;
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
		case 'C': station_ca = optarg; break;
		case 'N': no_station = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!fdir || !db_url || optind != argc || workers < 1 || workers > 1024 ||
	    srv.step_timeout < 1 || srv.session_timeout < 1 ||
	    (station_ca && no_station)) {
		usage(stderr);
		return 2;
	}
	if (no_station) {
		fprintf(stderr,
			"chipkey-spp: WARNING: --no-station-auth: any TLS client that can connect "
			"gets device private keys and channel keys and can provision any chip ID "
			"with garbage (blocking that chip for good); lab use only\n");
	} else if (!station_ca) {
		snprintf(ca_default, sizeof(ca_default), "%s/%s", fdir, CK_FACTORY_MFR_CA_PEM);
		station_ca = ca_default;
	}
	srv.station_auth = !no_station;
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
	srv.ctx = make_ctx(srv.factory, station_ca);
	if (!srv.ctx) {
		fprintf(stderr, "chipkey-spp: TLS setup failed\n");
		ERR_print_errors_fp(stderr);
		return 1;
	}
	/* Every worker's store handle up front (the first creates the
	 * schema): a daemon that cannot serve does not start. */
	stores = calloc((size_t)workers, sizeof(*stores));
	slots = calloc((size_t)workers, sizeof(*slots));
	if (!stores || !slots)
		return 1;
	for (int i = 0; i < workers; i++) {
		slots[i].fd = -1;
		if (store_open(db_url, &stores[i], errbuf, sizeof(errbuf))) {
			fprintf(stderr, "chipkey-spp: store (worker %d of %d): %s\n",
				i + 1, workers, errbuf);
			for (int k = 0; k < i; k++)
				store_close(stores[k]);
			return 1;
		}
	}
	nslots = workers;

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
	if (pthread_create(&wd, NULL, watchdog, NULL)) {
		fprintf(stderr, "chipkey-spp: cannot start the watchdog\n");
		return 1;
	}
	atomic_store(&live_workers, workers);
	for (int i = 0; i < workers; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i)) {
			fprintf(stderr, "chipkey-spp: cannot start worker %d\n", i + 1);
			return 1;
		}
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
	pthread_mutex_lock(&wd_lock);
	wd_stop = 1;
	pthread_cond_signal(&wd_cond);
	pthread_mutex_unlock(&wd_lock);
	pthread_join(wd, NULL);
	free(th);
	free(stores);
	free(slots);
	close(lfd);
	SSL_CTX_free(srv.ctx);
	ck_factory_close(srv.factory);
	if (all_workers_gone) {
		fprintf(stderr, "chipkey-spp: no worker left: exiting with an error\n");
		return 1;
	}
	fprintf(stderr, "chipkey-spp: stopped\n");
	return 0;
}
