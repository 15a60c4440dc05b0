// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the secure processing point daemon.
 *
 *   chipkey-spp --factory DIR --db URL --public-db URL [--listen HOST:PORT] [--port-file F]
 *               [--workers N] [--timeout S] [--session-timeout S]
 *               [--reservation-timeout S]
 *               [--handshake-timeout S] [--max-per-ip N] [--max-pending N]
 *               [[--station-ca FILE] [--station-crl FILE] | --no-station-auth]
 *
 * The accepting thread (the gate, gate.c) closes connections over the
 * per-address limit and runs the whole TLS handshake of the others
 * (non-blocking, without a worker; cut at the handshake deadline), with
 * the station checks.  A fixed pool of worker threads (each with its own
 * store handle, all opened before the daemon listens: a store that cannot
 * be opened fails the start) takes the authenticated connections from a
 * bounded queue; each runs the session state machine of session.c with
 * socket timeouts, and a watchdog thread shuts down the socket of any
 * session past its session deadline, so an unauthenticated peer never
 * holds a worker, and a slow, dead or trickling station holds one for at
 * most the session timeout.  Clients must present
 * a factory station certificate (mutual TLS, chained to --station-ca, by
 * default the factory's manufacturer CA) and not revoked by --station-crl
 * (by default the factory's station-crl.pem, re-read when it changes:
 * station-auth.c) unless --no-station-auth.
 * SIGTERM/SIGINT stop accepting and exit after the running sessions.
 *
 * This file: options, startup (factory, TLS context, one store handle per
 * worker, listening socket); the accept loop is the gate (gate.c), the
 * worker pool and the watchdog are workers.c, one session is session.c.
 *
 * Exit status (common/exit.h): 0 stopped by a signal, 1 usage, 8 cannot
 * start (factory, TLS, a store handle, listen) or every worker is gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/hostport.h"
#include "proto/context.h"
#include "gate.h"
#include "session.h"
#include "station-auth.h"
#include "publish.h"
#include "workers.h"

static struct spp_server srv;
static volatile sig_atomic_t all_workers_gone;
static int stop_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	(void)sig;
	spp_workers_stopping();
	if (stop_pipe[1] >= 0) {
		ssize_t r = write(stop_pipe[1], "x", 1);
		(void)r;
	}
}

/* Every worker has exited while the daemon was not stopping. */
static void on_all_workers_gone(void)
{
	all_workers_gone = 1;
	on_signal(0);
}

static int listen_on(const char *spec, int *port_out)
{
	char host[256], port[6];
	struct addrinfo hints, *ai = NULL;
	int fd = -1, one = 1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (ck_hostport_parse(spec, CK_HOSTPORT_LISTEN, host, sizeof(host), port))
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

/* The bound port, for scripts: written atomically (they wait for the file). */
static int write_port_file(const char *path, int port)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d\n", port);

	return ck_file_write_atomic(path, buf, (size_t)n, 0644, 1);
}

/*
 * @station_ca (NULL: no client authentication): the CA file client
 * certificates must chain to, @station_crl the CRL they must not be on
 * (station-auth.c); OpenSSL verifies both in the handshake and fails it
 * without a certificate; the station role is checked by the gate after
 * the handshake.
 */
static SSL_CTX *make_ctx(struct ck_factory *f, const char *station_ca,
			 const char *station_crl)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	if (station_ca && spp_station_auth_setup(ctx, station_ca, f->ca_cert, station_crl)) {
		spp_station_auth_free();
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, f->spp_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, f->spp_key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_add1_chain_cert(ctx, f->ca_cert) != 1) {
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
"usage: chipkey-spp --factory DIR --db URL --public-db URL [--listen HOST:PORT]\n"
"                   [--port-file FILE] [--workers N] [--timeout S]\n"
"                   [--session-timeout S] [--reservation-timeout S]\n"
"                   [--handshake-timeout S] [--max-per-ip N] [--max-pending N]\n"
"                   [[--station-ca FILE] [--station-crl FILE] | --no-station-auth]\n"
"  --db       the factory database (temporary and secret databases)\n"
"  --public-db the public database, which chipkey-pubdb serves: each\n"
"             record committed in --db is published there (the outbox,\n"
"             docs/databases.md \"Databases apart\")\n"
"  --listen   address to listen on (default 127.0.0.1:7465; port 0 = any)\n"
"  --port-file write the bound port there once listening\n"
"  --workers  concurrent sessions (default 16)\n"
"  --timeout  per-step timeout in seconds (default %d)\n"
"  --session-timeout whole-session timeout, from the worker's take\n"
"             (after the TLS handshake; default %d)\n"
"  --handshake-timeout the whole TLS handshake, station checks included,\n"
"             must be done within S seconds of accept (no worker waits\n"
"             for it; default %d; at most the session timeout)\n"
"  --max-per-ip open connections per source address; more are closed\n"
"             at accept (default %d)\n"
"  --max-pending connections in their TLS handshake; a new one\n"
"             then cuts the oldest (default %d)\n"
"  --reservation-timeout an identity and key pair reserved for a chip that\n"
"             does not finish are released after S seconds (default %d;\n"
"             must be longer than the session timeout)\n"
"  --station-ca FILE  clients must present a factory station certificate\n"
"             (OU=chipkey-station, EKU clientAuth) issued by this CA\n"
"             (default: DIR/mfr-ca.pem, the manufacturer CA)\n"
"  --station-crl FILE  and not revoked by this CRL, signed by that CA\n"
"             (default: DIR/station-crl.pem; re-read at the next handshake\n"
"             after it changes; missing or invalid at start: exit 8)\n"
"  --no-station-auth  accept any TLS client (lab only: anyone who can\n"
"             connect can hold the reservations of chips of the batch)\n",
		CK_SPP_TIMEOUT_STEP, CK_SPP_TIMEOUT_SESSION, SPP_HANDSHAKE_TIMEOUT,
		SPP_MAX_PER_ADDR, SPP_MAX_PENDING, STORE_RESERVATION_TIMEOUT);
}

/*
 * Every worker's store handle up front (the first creates the schema): a
 * daemon that cannot serve does not start.
 */
static struct store **open_stores(const char *url, int n, int64_t reservation)
{
	struct store **st = calloc((size_t)n, sizeof(*st));
	char errbuf[256];

	if (!st)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (store_open_kind(url, STORE_FACTORY, &st[i], errbuf, sizeof(errbuf)) ||
		    store_set_reservation_timeout(st[i], reservation)) {
			if (st[i]) {
				snprintf(errbuf, sizeof(errbuf), "%s", store_error(st[i]));
				store_close(st[i]);
			}
			fprintf(stderr, "chipkey-spp: store (worker %d of %d): %s\n",
				i + 1, n, errbuf);
			for (int k = 0; k < i; k++)
				store_close(st[k]);
			free(st);
			return NULL;
		}
	}
	return st;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "factory", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "public-db", required_argument, NULL, 'D' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "session-timeout", required_argument, NULL, 'T' },
		{ "reservation-timeout", required_argument, NULL, 'R' },
		{ "handshake-timeout", required_argument, NULL, 'H' },
		{ "max-per-ip", required_argument, NULL, 'P' },
		{ "max-pending", required_argument, NULL, 'Q' },
		{ "station-ca", required_argument, NULL, 'C' },
		{ "no-station-auth", no_argument, NULL, 'N' },
		{ "station-crl", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *fdir = NULL, *db_url = NULL, *listen_spec = "127.0.0.1:7465";
	const char *pub_url = NULL;
	const char *pfile = NULL, *station_ca = NULL, *station_crl = NULL;
	char ca_default[4096], crl_default[4096];
	int workers = 16, lfd = -1, port = 0, c, err, no_station = 0;
	long long reservation = STORE_RESERVATION_TIMEOUT;
	int ret = CK_EXIT_OTHER;
	struct store **stores = NULL;
	struct sigaction sa;
	struct spp_gate_opts gate = {
		.handshake_timeout = SPP_HANDSHAKE_TIMEOUT,
		.max_per_addr = SPP_MAX_PER_ADDR,
		.max_pending = SPP_MAX_PENDING,
	};

	/* glibc gives the free top of a thread's heap back to the kernel
	 * (madvise) as soon as it passes 128 KiB, which a session's frees
	 * do: each a TLB shootdown on every CPU and page faults after.  Keep
	 * up to 32 MiB (the workers' heaps are reused at once). */
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
	srv.step_timeout = CK_SPP_TIMEOUT_STEP;
	srv.session_timeout = CK_SPP_TIMEOUT_SESSION;
	umask(077);	/* the factory database (secrets), its -wal/-shm, the port file */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fdir = optarg; break;
		case 'd': db_url = optarg; break;
		case 'D': pub_url = optarg; break;
		case 'l': listen_spec = optarg; break;
		case 'p': pfile = optarg; break;
		case 'w': workers = atoi(optarg); break;
		case 't': srv.step_timeout = atoi(optarg); break;
		case 'T': srv.session_timeout = atoi(optarg); break;
		case 'R': reservation = atoll(optarg); break;
		case 'H': gate.handshake_timeout = atoi(optarg); break;
		case 'P': gate.max_per_addr = atoi(optarg); break;
		case 'Q': gate.max_pending = atoi(optarg); break;
		case 'C': station_ca = optarg; break;
		case 'N': no_station = 1; break;
		case 'L': station_crl = optarg; break;
		case 'h': usage(stdout); return CK_EXIT_OK;
		default: usage(stderr); return CK_EXIT_USAGE;
		}
	}
	if (!fdir || !db_url || !pub_url || optind != argc || workers < 1 || workers > 1024 ||
	    !ck_hostport_ok(listen_spec, CK_HOSTPORT_LISTEN) ||
	    srv.step_timeout < 1 || srv.session_timeout < 1 ||
	    reservation <= srv.session_timeout ||
	    gate.handshake_timeout < 1 || gate.max_per_addr < 1 ||
	    gate.max_pending < 1 || gate.max_pending > 65536 ||
	    ((station_ca || station_crl) && no_station)) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (no_station) {
		fprintf(stderr,
			"chipkey-spp: WARNING: --no-station-auth: any TLS client that can connect "
			"can name chips of the batch and hold their reservations; lab use only\n");
	} else {
		if (!station_ca) {
			snprintf(ca_default, sizeof(ca_default), "%s/%s", fdir,
				 CK_FACTORY_MFR_CA_PEM);
			station_ca = ca_default;
		}
		if (!station_crl) {
			snprintf(crl_default, sizeof(crl_default), "%s/%s", fdir,
				 CK_FACTORY_STATION_CRL);
			station_crl = crl_default;
		}
	}
	srv.station_auth = !no_station;

	err = ck_factory_open(fdir, &srv.factory);
	if (err) {
		fprintf(stderr, "chipkey-spp: factory %s: %s\n", fdir, strerror(-err));
		return CK_EXIT_OTHER;
	}
	if (!srv.factory->spp_key || !srv.factory->spp_cert) {
		fprintf(stderr, "chipkey-spp: factory %s has no SPP credential\n", fdir);
		goto err_factory;
	}
	if (spp_sha256(srv.factory->rom_key, srv.factory->rom_key_len, srv.rom_fp))
		goto err_factory;
	srv.ctx = make_ctx(srv.factory, station_ca, station_crl);
	if (!srv.ctx) {
		fprintf(stderr, "chipkey-spp: TLS setup failed\n");
		ERR_print_errors_fp(stderr);
		goto err_factory;
	}
	gate.session_timeout = srv.session_timeout;
	gate.workers = workers;
	gate.ctx = srv.ctx;
	gate.station_auth = srv.station_auth;
	if (spp_gate_init(&gate))
		goto err_ctx;
	stores = open_stores(db_url, workers, reservation);
	if (!stores)
		goto err_ctx;
	if (spp_publish_start(db_url, pub_url, srv.factory->mfr_cert))
		goto err_stores;
	lfd = listen_on(listen_spec, &port);
	if (lfd < 0) {
		fprintf(stderr, "chipkey-spp: listen %s: %s\n", listen_spec, strerror(-lfd));
		goto err_stores;
	}
	if (pipe(stop_pipe))
		goto err_listen;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* From here on the workers own (and close) the store handles. */
	if (spp_workers_start(&srv, stores, workers, on_all_workers_gone))
		return CK_EXIT_OTHER;
	if (pfile && write_port_file(pfile, port)) {
		fprintf(stderr, "chipkey-spp: cannot write %s\n", pfile);
		return CK_EXIT_OTHER;
	}
	fprintf(stderr, "chipkey-spp: listening on port %d, %d workers, handshake timeout %d s, "
		"%d connections per address\n", port, workers,
		gate.handshake_timeout < srv.session_timeout ?
		gate.handshake_timeout : srv.session_timeout, gate.max_per_addr);

	spp_gate_run(lfd, stop_pipe[0]);
	spp_workers_stop();
	spp_publish_stop();
	if (all_workers_gone) {
		fprintf(stderr, "chipkey-spp: no worker left: exiting with an error\n");
	} else {
		fprintf(stderr, "chipkey-spp: stopped\n");
		ret = CK_EXIT_OK;
	}
	free(stores);
	stores = NULL;
err_listen:
	close(lfd);
err_stores:
	spp_publish_stop();
	if (stores) {
		for (int i = 0; i < workers; i++)
			store_close(stores[i]);
		free(stores);
	}
err_ctx:
	spp_gate_free();
	SSL_CTX_free(srv.ctx);
	spp_station_auth_free();
err_factory:
	ck_factory_close(srv.factory);
	return ret;
}
