// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: the permanent public database (170) over HTTP.  This file:
 * options, startup and shutdown; pubdb.h lists the other files.
 *
 *   chipkey-pubdb --db URL --listen 127.0.0.1:PORT --writers CA.pem
 *                 [--max-body BYTES] [--threads N] [--timeout SECONDS]
 *                 [--request-timeout SECONDS] [--max-connections N] [--max-per-ip N] [--port-file FILE]
 *                 [--mmap-mib N] [--cache-mib N]
 *
 * Public reads for anyone; writes are signed records (docs/pubdb-api.md).
 * HTTP is libmicrohttpd's (internal thread pool with epoll, one thread per
 * CPU by default); each pool thread owns one store connection, with its
 * prepared statements, for its lifetime.  On SQLite those connections
 * memory-map the file, so a read copies no database pages.
 *
 * Exit status (common/exit.h): 0 stopped by SIGTERM or SIGINT, 1 usage,
 * 8 cannot start (CA file, database, address, port file).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/exit.h"
#include "common/hostport.h"
#include "common/pubdb-record.h"
#include "pubdb.h"

struct pubdb_config pubdb_cfg;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chipkey-pubdb --db URL --listen ADDR:PORT --writers CA.pem\n"
		"                     [--max-body BYTES] [--threads N] [--timeout SECONDS]\n"
		"                     [--request-timeout SECONDS]\n"
		"                     [--max-connections N] [--max-per-ip N] [--port-file FILE]\n"
		"                     [--mmap-mib N] [--cache-mib N] [--crl FILE]...\n"
		"  --db        sqlite:/path/file.db or postgresql://... (libpq URI)\n"
		"  --listen    IPv4 address and port (port 0: any free port)\n"
		"  --writers   PEM file of the CA certificate(s) writers must chain to\n"
		"  --crl       a CRL (PEM or DER) of the root or of an issuing CA; up to 8.\n"
		"              Then every CA of a chain needs its CRL; a revoked writer or\n"
		"              certificate is refused (401), and so is every write while a\n"
		"              CRL is past its nextUpdate; re-read when the file changes\n"
		"  --max-body  largest accepted POST body (default 262144)\n"
		"  --timeout   seconds a connection may stay idle (default 10)\n"
		"  --request-timeout  seconds from a connection's start, or from the end\n"
		"              of its previous answer, until its request head and body\n"
		"              are complete, however steadily they trickle in (default\n"
		"              30); then the connection is cut (logged, at most one line\n"
		"              a second)\n"
		"  --max-connections  connections at once (default 512)\n"
		"  --max-per-ip        connections at once from one address (default 64),\n"
		"              so one host cannot take them all\n"
		"  --threads   HTTP worker threads, each with its own database connection\n"
		"              (default: the number of online CPUs; at most\n"
		"              --max-connections)\n"
		"  --mmap-mib  SQLite: memory-map up to N MiB of the database file per\n"
		"              connection (default 1048576; SQLite caps it at its build's\n"
		"              limit, 2 GiB on Debian; 0: read with pread() only)\n"
		"  --cache-mib SQLite: page cache per connection in MiB (default: SQLite's)\n");
}

/* ADDR:PORT, an IPv4 address.  *host gets ADDR for the log. */
static int parse_listen(const char *s, struct sockaddr_in *sa, char *host, size_t hostlen)
{
	char port[6];

	if (ck_hostport_parse(s, CK_HOSTPORT_LISTEN, host, hostlen, port))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* The bound port into @path, atomically (temporary file and rename). */
static int write_port_file(const char *path, unsigned int port)
{
	char tmp[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	if (fprintf(f, "%u\n", port) < 0) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "writers", required_argument, NULL, 'w' },
		{ "crl", required_argument, NULL, 'R' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "request-timeout", required_argument, NULL, 'Q' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "max-per-ip", required_argument, NULL, 'P' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "mmap-mib", required_argument, NULL, 'm' },
		{ "cache-mib", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_s = NULL, *writers = NULL, *port_file = NULL;
	const char *crls[PUBDB_MAX_CRLS];
	size_t ncrl = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct pubdb_http_opts ho = {
		.threads = ncpu > 0 && ncpu <= 256 ? (unsigned int)ncpu : 4,
		.timeout = 10,
		.request_timeout = 30,
		.max_conns = 512,
		.max_per_ip = 64,
	};
	struct MHD_Daemon *d;
	char err[256], host[64];
	unsigned int port;
	int opt, sig, ret = CK_EXIT_OTHER;
	sigset_t set;

	pubdb_cfg.max_body = 262144;
	pubdb_cfg.mmap_mib = 1048576;
	umask(077);	/* a database it creates, the port file */
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': pubdb_cfg.db_url = optarg; break;
		case 'l': listen_s = optarg; break;
		case 'w': writers = optarg; break;
		case 'R':
			if (ncrl == PUBDB_MAX_CRLS) {
				usage(stderr);
				return CK_EXIT_USAGE;
			}
			crls[ncrl++] = optarg;
			break;
		case 'b': pubdb_cfg.max_body = strtoul(optarg, NULL, 10); break;
		case 't': ho.threads = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'T': ho.timeout = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'Q': ho.request_timeout = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': ho.max_conns = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'P': ho.max_per_ip = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'p': port_file = optarg; break;
		case 'm': pubdb_cfg.mmap_mib = strtoull(optarg, NULL, 10); break;
		case 'C': pubdb_cfg.cache_mib = strtoull(optarg, NULL, 10); break;
		case 'h': usage(stdout); return CK_EXIT_OK;
		default: usage(stderr); return CK_EXIT_USAGE;
		}
	}
	if (!pubdb_cfg.db_url || !listen_s || !writers || optind != argc ||
	    pubdb_cfg.max_body < 64 || pubdb_cfg.max_body > 64u << 20 ||
	    ho.threads < 1 || ho.threads > 256 || ho.timeout < 1 ||
	    ho.request_timeout < 1 || ho.request_timeout > 86400 ||
	    ho.max_conns < 1 || ho.max_per_ip < 1 ||
	    pubdb_cfg.mmap_mib > (1ull << 30) || pubdb_cfg.cache_mib > (1ull << 20)) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	/* MHD gives each pool thread its share of --max-connections; a
	 * thread with none hangs MHD_stop_daemon() (0.9.75) */
	if (ho.threads > ho.max_conns)
		ho.threads = ho.max_conns;
	if (parse_listen(listen_s, &ho.addr, host, sizeof(host)) < 0) {
		fprintf(stderr, "chipkey-pubdb: --listen wants IPV4-ADDR:PORT, not %s\n", listen_s);
		return CK_EXIT_USAGE;
	}
	if (pubdb_trust_init(writers, crls, ncrl, err, sizeof(err)) < 0) {
		fprintf(stderr, "chipkey-pubdb: --writers/--crl: %s\n", err);
		pubdb_trust_free();
		return CK_EXIT_OTHER;
	}
	if (pubdb_db_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "chipkey-pubdb: database: %s\n", err);
		goto err_cas;
	}

	/* signals are taken by sigwait below; MHD threads inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	d = pubdb_http_start(&ho, &port);
	if (!d) {
		fprintf(stderr, "chipkey-pubdb: cannot listen on %s\n", listen_s);
		goto err_cas;
	}
	fprintf(stderr, "chipkey-pubdb: listening on %s:%u (%s, %u threads)\n", host, port,
		strncmp(pubdb_cfg.db_url, "sqlite:", 7) ? "postgresql" : "sqlite", ho.threads);
	if (port_file && write_port_file(port_file, port) < 0) {
		fprintf(stderr, "chipkey-pubdb: cannot write %s\n", port_file);
		goto err_daemon;
	}
	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig == SIGPIPE);
	ret = CK_EXIT_OK;
err_daemon:
	pubdb_http_stop(d);
err_cas:
	pubdb_trust_free();
	return ret;
}
