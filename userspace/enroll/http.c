// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTTPS front (http.h): libevent's evhttp parses HTTP, OpenSSL
 * terminates TLS in a bufferevent_openssl per connection, and every
 * request goes to est_handle() with the connection's SSL.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/hostport.h"
#include "conns.h"
#include "csr.h"
#include "http.h"

struct front {
	SSL_CTX *ctx;
	struct enroll_node *node;
	const struct http_opts *o;
};

static struct event *accept_resume;	/* accept() again after a pause */

/* Any client certificate passes the handshake (which proves the key);
 * the operations that need a device check it with auth.h. */
static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

static struct bufferevent *new_conn(struct event_base *base, void *arg)
{
	struct front *f = arg;
	SSL *ssl = SSL_new(f->ctx);
	struct bufferevent *bev;

	if (!ssl)
		return NULL;
	if (conns_attach(ssl)) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void on_request(struct evhttp_request *r, void *arg)
{
	struct front *f = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(r);
	struct evkeyvalq *out_h = evhttp_request_get_output_headers(r);
	struct evbuffer *in = evhttp_request_get_input_buffer(r), *out = evbuffer_new();
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(r));
	struct est_response res;
	struct est_request req = { 0 };
	char addr[80] = "?";
	char *host = NULL;
	ev_uint16_t port = 0;
	struct bufferevent *bev;
	evutil_socket_t fd;
	int one = 1;

	if (!out) {
		evhttp_send_error(r, 500, "out of memory");
		return;
	}
	evhttp_connection_get_peer(conn, &host, &port);
	if (host)
		snprintf(addr, sizeof(addr), "%s:%u", host, port);
	req.post = evhttp_request_get_command(r) == EVHTTP_REQ_POST;
	req.path = path && *path ? path : "/";
	req.body_len = evbuffer_get_length(in);
	req.body = req.body_len ? evbuffer_pullup(in, -1) : (const uint8_t *)"";
	req.attest = evhttp_find_header(evhttp_request_get_input_headers(r), PROOF_HEADER);
	bev = evhttp_connection_get_bufferevent(conn);
	req.ssl = bufferevent_openssl_get_ssl(bev);
	/* the answer goes out in several TLS records: no Nagle delay */
	fd = bufferevent_getfd(bev);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	req.addr = addr;
	est_handle(f->node, &req, &res);
	evhttp_add_header(out_h, "Content-Type", res.type ? res.type : "text/plain");
	if (res.base64)
		evhttp_add_header(out_h, "Content-Transfer-Encoding", "base64");
	if (res.body)
		evbuffer_add(out, res.body, res.len);
	evhttp_send_reply(r, res.status ? res.status : 500, res.reason ? res.reason : "Error", out);
	evbuffer_free(out);
	free(res.body);
	conns_rearm(req.ssl);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* SIGHUP: read the --crl files again; keep the old set if one fails. */
static void on_hup(evutil_socket_t fd, short what, void *arg)
{
	struct front *f = arg;
	struct pki_crls *c;
	char err[256] = "no --crl files";

	(void)fd;
	(void)what;
	c = f->o->n_crl ? pki_crls_load(f->o->crl_files, f->o->n_crl, err, sizeof(err)) : NULL;
	if (!c) {
		fprintf(stderr, "chipkey-enroll: SIGHUP: CRLs not reloaded (the old ones stay): %s\n",
			err);
		return;
	}
	pki_crls_free(f->node->crls);
	f->node->crls = c;
	fprintf(stderr, "chipkey-enroll: SIGHUP: %zu CRL files reloaded\n", f->o->n_crl);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

/* accept() failed: out of descriptors pauses accepting briefly (else
 * libevent retries at once, in a loop), other errors are logged. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, HTTP_ACCEPT_PAUSE_MS * 1000 };

	(void)arg;

	conns_log("chipkey-enroll: accept: %s%s\n", strerror(err),
		  err == EMFILE || err == ENFILE ? " (accepting paused)" : "");
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		evconnlistener_disable(l);
		event_add(accept_resume, &tv);
	}
}

/* The server's TLS context, or NULL with an exit code in *@ret. */
static SSL_CTX *tls_context(const struct http_opts *o, X509 *mfr_ca, int *ret)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	uint8_t *key_pem = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	BIO *b;
	int err;

	*ret = CK_EXIT_OTHER;
	if (!ctx)
		return NULL;
	err = ck_file_read_secret_at(AT_FDCWD, o->key, 64 * 1024, &key_pem, &len);
	if (err) {
		fprintf(stderr, "chipkey-enroll: %s: %s\n", o->key,
			err == -EPERM ? "readable by group or others" : strerror(-err));
		*ret = ck_exit_for_errno(err);
		SSL_CTX_free(ctx);
		return NULL;
	}
	b = BIO_new_mem_buf(key_pem, (int)len);
	key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	OPENSSL_clear_free(key_pem, len);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 || !key ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1 ||
	    !SSL_CTX_add_client_CA(ctx, mfr_ca) || !SSL_CTX_set_num_tickets(ctx, 0)) {
		fprintf(stderr, "chipkey-enroll: TLS credential %s / %s is not usable\n",
			o->cert, o->key);
		ERR_print_errors_fp(stderr);
		*ret = CK_EXIT_BAD_CERT;
		EVP_PKEY_free(key);
		SSL_CTX_free(ctx);
		return NULL;
	}
	EVP_PKEY_free(key);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	return ctx;
}

static int write_port(const char *file, evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char buf[16];
	int port, n;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -errno;
	port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
	n = snprintf(buf, sizeof(buf), "%d\n", port);
	return ck_file_write_atomic(file, buf, (size_t)n, 0644, 1);
}

int http_serve(const struct http_opts *o, struct enroll_node *n)
{
	struct front f = { .node = n, .o = o };
	struct event_base *base = NULL;
	struct evhttp *http = NULL;
	struct evhttp_bound_socket *sock;
	struct event *sigs[3] = { NULL, NULL, NULL };
	char host[256], port[6];
	int ret = CK_EXIT_OTHER;

	/* ADDR required: evhttp binds one address */
	if (ck_hostport_parse(o->listen, CK_HOSTPORT_LISTEN, host, sizeof(host), port) ||
	    !host[0]) {
		fprintf(stderr, "chipkey-enroll: --listen ADDR:PORT expected\n");
		return CK_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	f.ctx = tls_context(o, n->ca.mfr_ca, &ret);
	if (!f.ctx)
		return ret;
	ret = CK_EXIT_OTHER;
	base = event_base_new();
	http = base ? evhttp_new(base) : NULL;
	if (!http || conns_init(base, o->max_conns, o->max_per_ip, o->request_timeout))
		goto out;
	evhttp_set_bevcb(http, new_conn, &f);
	evhttp_set_gencb(http, on_request, &f);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(http, CSR_MAX_BODY);
	evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS);
	evhttp_set_timeout(http, HTTP_TIMEOUT);
	sock = evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)atoi(port));
	if (!sock) {
		fprintf(stderr, "chipkey-enroll: cannot listen on %s\n", o->listen);
		ret = CK_EXIT_NETWORK;
		goto out;
	}
	accept_resume = evtimer_new(base, on_resume, evhttp_bound_socket_get_listener(sock));
	if (!accept_resume)
		goto out;
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(sock), on_accept_error);
	if (o->port_file && write_port(o->port_file, evhttp_bound_socket_get_fd(sock))) {
		fprintf(stderr, "chipkey-enroll: cannot write %s\n", o->port_file);
		goto out;
	}
	sigs[0] = evsignal_new(base, SIGTERM, on_signal, base);
	sigs[1] = evsignal_new(base, SIGINT, on_signal, base);
	sigs[2] = evsignal_new(base, SIGHUP, on_hup, &f);
	if (!sigs[0] || !sigs[1] || !sigs[2] || event_add(sigs[0], NULL) ||
	    event_add(sigs[1], NULL) || event_add(sigs[2], NULL))
		goto out;
	fprintf(stderr, "chipkey-enroll: listening on %s (EST over TLS 1.3)\n", o->listen);
	ret = event_base_dispatch(base) < 0 ? CK_EXIT_OTHER : CK_EXIT_OK;
out:
	if (sigs[0])
		event_free(sigs[0]);
	if (sigs[1])
		event_free(sigs[1]);
	if (sigs[2])
		event_free(sigs[2]);
	if (accept_resume)
		event_free(accept_resume);
	accept_resume = NULL;
	if (http)
		evhttp_free(http);
	conns_done();
	if (base)
		event_base_free(base);
	SSL_CTX_free(f.ctx);
	return ret;
}
