// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-service: the manufacturer's device service server
 * (docs/service-link.md, man/chipkey-service.8).  Accepts devices over
 * TCP, one thread per connection (bounded: conns.h), sets up the secure
 * link in the mode the device asks for (link/link.h), then answers one
 * catalogue request over it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/hostport.h"
#include "common/pki.h"
#include "link/link.h"
#include "catalogue.h"
#include "conns.h"
#include "crls.h"
#include "revoked.h"

/* held (flock) by the server for as long as it runs: one per --state */
#define SVC_LOCK_FILE	"service.lock"

static struct ck_link_server srv;
static const char *catalogue_dir;
static int handshake_timeout = SVC_HANDSHAKE_TIMEOUT, session_timeout = SVC_SESSION_TIMEOUT;
static uint8_t master[32];

struct job {
	int fd, slot;
	char addr[64];
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: chipkey-service --listen ADDR:PORT [--port-file FILE]\n"
"         (--factory DIR | --master-key FILE --key FILE --cert FILE --chain FILE\n"
"          --rom-key FILE) --state DIR [--catalogue DIR]\n"
"         [--max-conns N] [--max-per-ip N] [--handshake-timeout S]\n"
"         [--session-timeout S] [--crl FILE]... [--revoked-ids FILE]\n"
"         [--no-channel-key]\n"
"  --factory DIR   master.key, service-key.pem, service-cert.pem\n"
"                  (chipkey-factory spp-cred DIR --service), ica-cert.pem,\n"
"                  mfr-pubkey.der of a factory directory\n"
"  --crl FILE      a CRL of the root or of an issuing CA (chipkey-factory\n"
"                  revoke writes them), up to 8: modes 2-4 refuse a revoked\n"
"                  device certificate; every issuer needs a current CRL\n"
"  --revoked-ids FILE  device identities (one a line) refused in every mode,\n"
"                  mode 1 included (it has no certificate for a CRL)\n"
"  --no-channel-key  refuse mode 1 (channel key) altogether\n"
"exit status: as in docs/cli.md \"Exit codes\"\n");
}

static void *serve(void *arg)
{
	struct job *j = arg;
	struct ck_link_server s = srv;
	struct svc_crls_set *ref;
	struct ck_link_conn c;
	int err;

	memset(&c, 0, sizeof(c));
	if (svc_crls_get(&s.crls, &ref)) {
		fprintf(stderr, "chipkey-service: %s: refused: a --crl file cannot be read\n",
			j->addr);
	} else if (svc_revoked_refresh()) {
		fprintf(stderr, "chipkey-service: %s: refused: the --revoked-ids file cannot be "
			"read\n", j->addr);
	} else if ((err = ck_link_server_accept(&s, j->fd, &c)) != 0) {
		fprintf(stderr, "chipkey-service: %s: %s%slink refused: %s\n", j->addr,
			c.mode ? c.mode->name : "", c.mode ? ": " : "", ck_link_strerror(err));
	} else {
		fprintf(stderr, "chipkey-service: %s: %s link up, device %s, %s, %s\n",
			j->addr, c.mode->name, c.peer, c.cipher, c.group);
		svc_conn_rearm(j->slot, session_timeout);
		svc_catalogue_serve(c.ssl, catalogue_dir, c.peer);
		SSL_shutdown(c.ssl);
	}
	svc_crls_put(ref);
	ck_link_conn_free(&c);
	/* the slot first: once closed, the number can be a new connection's,
	 * which the watchdog must not shut down for this one's deadline */
	svc_conn_leave(j->slot);
	close(j->fd);
	free(j);
	return NULL;
}

/* A secret file: not readable by group or others (-EPERM). */
static int read_secret(const char *path, uint8_t **buf, size_t *len)
{
	return ck_file_read_secret_at(AT_FDCWD, path, 64 * 1024, buf, len);
}

static int load_pem_key(const char *path, EVP_PKEY **k)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *b;
	int err = read_secret(path, &buf, &len);

	if (err)
		return err;
	b = BIO_new_mem_buf(buf, (int)len);
	*k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	OPENSSL_clear_free(buf, len);
	return *k ? 0 : -EINVAL;
}

static int load_pem_cert(const char *path, X509 **x)
{
	FILE *f = fopen(path, "r");

	*x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return *x ? 0 : -EINVAL;
}

/* ROM key: DER SubjectPublicKeyInfo (mfr-pubkey.der) or PEM. */
static int load_rom(const char *path, EVP_PKEY **k)
{
	uint8_t *buf = NULL;
	size_t len;
	BIO *b;
	int err = ck_file_read(path, &buf, &len, 4096);

	if (err)
		return err;
	*k = pki_public_from_der(buf, len);
	if (!*k) {
		b = BIO_new_mem_buf(buf, (int)len);
		*k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	free(buf);
	return *k ? 0 : -EINVAL;
}

static int load_master(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = read_secret(path, &buf, &len);

	if (!err && len != sizeof(master))
		err = -EINVAL;
	if (!err)
		memcpy(master, buf, sizeof(master));
	if (buf)
		OPENSSL_clear_free(buf, len);
	return err;
}

/* The socket, listening; the port it got (--listen PORT 0: any) into
 * @bound, and into @port_file if given. */
static int listen_on(const char *spec, const char *port_file, char bound[NI_MAXSERV])
{
	char host[256], port[NI_MAXSERV];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1;

	if (ck_hostport_parse(spec, CK_HOSTPORT_LISTEN, host, sizeof(host), port))
		return -EINVAL;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &ai))
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
		freeaddrinfo(ai);
		return -errno;
	}
	freeaddrinfo(ai);
	snprintf(bound, NI_MAXSERV, "%s", port);
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, bound, NI_MAXSERV, NI_NUMERICSERV);
	if (port_file) {
		char line[NI_MAXSERV + 2];
		int n = snprintf(line, sizeof(line), "%s\n", bound);

		if (ck_file_write_atomic(port_file, line, (size_t)n, 0644, 1)) {
			close(fd);
			return -EIO;
		}
	}
	return fd;
}

static int fail(const char *what, const char *path, int err)
{
	fprintf(stderr, "chipkey-service: %s %s: %s%s\n", what, path ? path : "",
		err == -EPERM ? "readable by group or others" : strerror(-err),
		err == -ENOENT && strstr(path, "service-") ?
		" (chipkey-factory spp-cred DIR --service makes it)" : "");
	return err == -EINVAL ? CK_EXIT_BAD_CERT : err == -EPERM ? CK_EXIT_PERM : CK_EXIT_OTHER;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "factory", required_argument, NULL, 'f' },
		{ "master-key", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "chain", required_argument, NULL, 'C' },
		{ "rom-key", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "catalogue", required_argument, NULL, 'g' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "max-per-ip", required_argument, NULL, 'P' },
		{ "handshake-timeout", required_argument, NULL, 'H' },
		{ "session-timeout", required_argument, NULL, 'S' },
		{ "crl", required_argument, NULL, 'R' },
		{ "revoked-ids", required_argument, NULL, 'I' },
		{ "no-channel-key", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_spec = NULL, *port_file = NULL, *factory = NULL, *revoked = NULL;
	const char *mk = NULL, *key = NULL, *cert = NULL, *chain = NULL, *rom = NULL;
	char paths[5][PATH_MAX], lockp[PATH_MAX], why[320] = "";
	const char *crl[SVC_CRL_FILES_MAX];
	int ncrl = 0;
	int max_conns = SVC_MAX_CONNS, per_ip = SVC_MAX_PER_ADDR, c, lfd, err, sfd;
	char bound[NI_MAXSERV];
	X509 *ica = NULL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_spec = optarg; break;
		case 'p': port_file = optarg; break;
		case 'f': factory = optarg; break;
		case 'm': mk = optarg; break;
		case 'k': key = optarg; break;
		case 'c': cert = optarg; break;
		case 'C': chain = optarg; break;
		case 'r': rom = optarg; break;
		case 's': srv.state_dir = optarg; break;
		case 'g': catalogue_dir = optarg; break;
		case 'M': max_conns = atoi(optarg); break;
		case 'P': per_ip = atoi(optarg); break;
		case 'H': handshake_timeout = atoi(optarg); break;
		case 'S': session_timeout = atoi(optarg); break;
		case 'R':
			if (ncrl == SVC_CRL_FILES_MAX) {
				fprintf(stderr, "chipkey-service: at most %d --crl\n",
					SVC_CRL_FILES_MAX);
				return CK_EXIT_USAGE;
			}
			crl[ncrl++] = optarg;
			break;
		case 'I': revoked = optarg; break;
		case 'N': srv.no_channel_key = 1; break;
		case 'h': usage(stdout); return CK_EXIT_OK;
		default: usage(stderr); return CK_EXIT_USAGE;
		}
	}
	if (factory) {
		static const char *const names[] = { "master.key", "service-key.pem",
			"service-cert.pem", "ica-cert.pem", "mfr-pubkey.der" };
		const char **dst[] = { &mk, &key, &cert, &chain, &rom };
		for (c = 0; c < 5; c++) {
			snprintf(paths[c], sizeof(paths[c]), "%s/%s", factory, names[c]);
			if (!*dst[c])
				*dst[c] = paths[c];
		}
	}
	if (optind != argc || !listen_spec || !ck_hostport_ok(listen_spec, CK_HOSTPORT_LISTEN) ||
	    !srv.state_dir || !key || !cert || !rom ||
	    max_conns < 1 || per_ip < 1 || handshake_timeout < 1 || session_timeout < 1) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	/* every mode keeps its state there (mode 4: the broadcast files) */
	if (mkdir(srv.state_dir, 0700) && errno != EEXIST)
		return fail("state directory", srv.state_dir, -errno);
	/* one server per state directory: its counters and broadcast are its
	 * own (the lock is held, by this descriptor, until the process ends) */
	snprintf(lockp, sizeof(lockp), "%s/%s", srv.state_dir, SVC_LOCK_FILE);
	sfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sfd < 0)
		return fail("state directory lock", lockp, -errno);
	if (flock(sfd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "chipkey-service: state directory %s: %s\n", srv.state_dir,
			errno == EWOULDBLOCK ? "in use by another chipkey-service (one server per "
			"state directory)" : strerror(errno));
		return CK_EXIT_OTHER;
	}
	if (mk && (err = load_master(mk)) != 0)
		return fail("master key", mk, err);
	srv.master_key = mk ? master : NULL;
	if ((err = load_pem_key(key, &srv.key)) != 0)
		return fail("service key", key, err);
	if ((err = load_pem_cert(cert, &srv.cert)) != 0)
		return fail("service certificate", cert, err);
	if (chain && (err = load_pem_cert(chain, &ica)) != 0)
		return fail("issuing CA", chain, err);
	srv.chain = sk_X509_new_null();
	if (ica)
		sk_X509_push(srv.chain, ica);
	if ((err = load_rom(rom, &srv.rom_key)) != 0)
		return fail("ROM key", rom, err);
	if ((err = svc_crls_init(crl, ncrl, srv.state_dir, why, sizeof(why))) != 0) {
		fprintf(stderr, "chipkey-service: --crl %s%s\n", why,
			err == -ESTALE ? ": not starting (give the newest CRL)" : "");
		return CK_EXIT_BAD_CERT;
	}
	if (revoked) {
		if ((err = svc_revoked_init(revoked, why, sizeof(why))) != 0) {
			fprintf(stderr, "chipkey-service: --revoked-ids %s\n", why);
			return CK_EXIT_BAD_CERT;
		}
		srv.identity_check = svc_revoked_check;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(listen_spec, port_file, bound);
	if (lfd < 0) {	/* the address taken, not this host's: exit 8 */
		fprintf(stderr, "chipkey-service: listen on %s: %s\n", listen_spec, strerror(-lfd));
		return CK_EXIT_OTHER;
	}
	if ((err = svc_conns_init(max_conns, per_ip)) != 0)
		return fail("start", "", err);
	fprintf(stderr, "chipkey-service: listening on %s (port %s)\n", listen_spec, bound);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct job *j;
		pthread_t t;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
				usleep(100 * 1000);	/* out of descriptors: no busy loop */
			continue;
		}
		j = calloc(1, sizeof(*j));
		if (!j || getnameinfo((struct sockaddr *)&ss, sl, j->addr, sizeof(j->addr),
				      NULL, 0, NI_NUMERICHOST)) {
			free(j);
			close(fd);
			continue;
		}
		j->fd = fd;
		j->slot = svc_conn_enter(fd, j->addr, handshake_timeout);
		if (j->slot < 0) {
			fprintf(stderr, "chipkey-service: %s: too many connections, closed\n", j->addr);
			close(fd);
			free(j);
			continue;
		}
		if (pthread_create(&t, NULL, serve, j)) {
			svc_conn_leave(j->slot);
			close(fd);
			free(j);
			continue;
		}
		pthread_detach(t);
	}
}
