/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTPS front of chipkey-enroll: libevent's evhttp (the HTTP parser)
 * over bufferevent_openssl (TLS 1.3 by OpenSSL, client certificate
 * requested, verified later by the operation: auth.h).  One thread, one
 * event loop; SIGTERM and SIGINT stop it, SIGHUP rereads the CRL files.
 */
#ifndef CHIPKEY_ENROLL_HTTP_H
#define CHIPKEY_ENROLL_HTTP_H

#include "est.h"

#define HTTP_TIMEOUT	30		/* seconds per connection without progress */
#define HTTP_ACCEPT_PAUSE_MS 100	/* accept() paused this long on EMFILE/ENFILE */
#define HTTP_MAX_HEADERS 8192		/* bytes */

struct http_opts {
	const char *listen;		/* ADDR:PORT */
	const char *port_file;		/* NULL, or where to write the port */
	const char *cert, *key;		/* TLS server credential (PEM) */
	int max_conns, max_per_ip;	/* conns.h */
	int request_timeout;		/* s */
	const char *const *crl_files;	/* --crl, reread on SIGHUP */
	size_t n_crl;
};

/* Serve until signalled: an exit code (common/exit.h), message on stderr. */
int http_serve(const struct http_opts *o, struct enroll_node *n);

#endif /* CHIPKEY_ENROLL_HTTP_H */
