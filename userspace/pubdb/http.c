// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: the libmicrohttpd glue.  The daemon (internal thread pool
 * with epoll, connection limits and timeouts, the path taken as sent), the
 * request callback that refuses more than one Content-Length, or one with a
 * Transfer-Encoding, collects POST
 * bodies within --max-body and dispatches to get.c and post.c, and the
 * response helpers every answer goes through.  The deadline for a whole
 * request is deadline.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pubdb.h"

/* pubdb_send_buf, and a Chipkey-Void header if @void_reason is given */
static MHD_RESULT send_buf(struct MHD_Connection *c, unsigned int status, const char *ctype,
			   void *buf, size_t len, const char *allow, const char *location,
			   const char *void_reason)
{
	struct MHD_Response *r;
	MHD_RESULT ret;

	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	if (void_reason)	/* printable ASCII (common/pubdb-void.h) */
		MHD_add_response_header(r, PUBDB_HEADER_VOID, void_reason);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"ChipkeySignedRecord");
	pubdb_deadline_request_done(c);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

MHD_RESULT pubdb_send_buf(struct MHD_Connection *c, unsigned int status, const char *ctype,
			  void *buf, size_t len, const char *allow, const char *location)
{
	return send_buf(c, status, ctype, buf, len, allow, location, NULL);
}

MHD_RESULT pubdb_send_error(struct MHD_Connection *c, unsigned int status, const char *allow,
			    const char *fmt, ...)
{
	char msg[400], *json;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json = pubdb_json_error(status, msg, &len);
	if (!json)
		return MHD_NO;
	return pubdb_send_buf(c, status, "application/json", json, len, allow, NULL);
}

MHD_RESULT pubdb_send_json(struct MHD_Connection *c, unsigned int status, char *json,
			   size_t len, const char *location)
{
	if (!json)
		return pubdb_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
	return pubdb_send_buf(c, status, "application/json", json, len, NULL, location);
}

MHD_RESULT pubdb_send_owned(struct MHD_Connection *c, const char *ctype, uint8_t **d,
			    size_t n, const char *void_reason)
{
	void *p = *d;

	*d = NULL;
	if (!p || !n) {
		free(p);
		p = malloc(1);
		if (!p)
			return pubdb_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
						"out of memory");
		n = 0;
	}
	return send_buf(c, MHD_HTTP_OK, ctype, p, n, NULL, NULL, void_reason);
}

/* A body chunk: kept if it fits, else remembered as too large and dropped. */
static MHD_RESULT take_chunk(struct pubdb_upload *u, bool wanted, const char *data, size_t n)
{
	uint8_t *nb;

	if (!wanted || u->too_large || u->len + n > pubdb_cfg.max_body) {
		if (wanted)
			u->too_large = true;
		free(u->buf);
		u->buf = NULL;
		u->len = 0;
		return MHD_YES;
	}
	nb = realloc(u->buf, u->len + n);
	if (!nb)
		return MHD_NO;
	memcpy(nb + u->len, data, n);
	u->buf = nb;
	u->len += n;
	return MHD_YES;
}

/* MHD_get_connection_values(): counts the Content-Length headers in
 * n[0] and the Transfer-Encoding headers in n[1] */
static MHD_RESULT count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	unsigned int *n = cls;

	(void)kind;
	(void)value;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		n[0]++;
	else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		n[1]++;
	return MHD_YES;
}

static MHD_RESULT on_request(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version,
			     const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct pubdb_upload *u = *con_cls;
	struct pubdb_route r;
	bool is_get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		      !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
	unsigned int nfr[2];
	MHD_RESULT ret;

	(void)cls;
	(void)version;
	pubdb_route(url, &r);

	if (!u) {
		/* first call for this request: headers only */
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		*con_cls = u;
		/* MHD reads a body by the first Content-Length, or by chunks
		 * when Transfer-Encoding is there too; a proxy in front may go
		 * by another header (request smuggling) */
		nfr[0] = nfr[1] = 0;
		MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, nfr);
		if (nfr[0] > 1)
			return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
						"more than one Content-Length header");
		if (nfr[0] && nfr[1])
			return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
						"both Content-Length and Transfer-Encoding");
		if (nfr[1] > 1)
			return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
						"more than one Transfer-Encoding header");
		if (is_post && r.found && r.postable) {
			const char *cl;

			cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_CONTENT_LENGTH);

			if (cl && strtoull(cl, NULL, 10) > pubdb_cfg.max_body)
				return pubdb_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
							"body larger than %zu bytes",
							pubdb_cfg.max_body);
		}
		/* wait for the body, or answer on the next call: answering
		 * from the first call makes MHD close the connection (no
		 * keep-alive) */
		return MHD_YES;
	}
	if (*upload_data_size) {
		ret = take_chunk(u, is_post && r.postable, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return ret;
	}
	if (!r.found)
		return pubdb_send_error(c, MHD_HTTP_NOT_FOUND, NULL, "no such resource");
	if (r.postable ? !(is_get || is_post) : !is_get)
		return pubdb_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
					r.postable ? "GET, HEAD, POST" : "GET, HEAD",
					"method %s not allowed here", method);
	if (r.bad_chip)
		return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
					"chip ID must be exactly 32 hex digits");
	if (r.has_gen && r.bad_gen)
		return pubdb_send_error(c, MHD_HTTP_BAD_REQUEST, NULL,
					"generation must be a decimal number 1..2^63-1");
	if (is_post) {
		if (u->too_large)
			return pubdb_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
						"body larger than %zu bytes", pubdb_cfg.max_body);
		return pubdb_handle_post(c, &r, u);
	}
	return pubdb_handle_get(c, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct pubdb_upload *u = *con_cls;

	(void)cls;
	(void)toe;
	pubdb_deadline_answered(c);
	if (u) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

/* MHD_OPTION_UNESCAPE_CALLBACK: the path is routed as sent, without
 * percent-decoding ("%65" is no hex digit of a chip ID) */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

void pubdb_http_stop(struct MHD_Daemon *d)
{
	MHD_stop_daemon(d);	/* every connection closed: the watchdog's list is empty */
	pubdb_deadline_stop();
}

struct MHD_Daemon *pubdb_http_start(const struct pubdb_http_opts *o, unsigned int *port)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;

	/* TURBO: read, write and accept before asking epoll (fewer syscalls
	 * and wake-ups per keep-alive request) */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&o->addr,
			     MHD_OPTION_THREAD_POOL_SIZE, o->threads,
			     MHD_OPTION_CONNECTION_TIMEOUT, o->timeout,
			     MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip,
			     /* per connection; MHD zeroes it for every request, so
			      * small: a GET is one line and a few headers, and
			      * POST bodies stream through on_request */
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_NOTIFY_CONNECTION, pubdb_deadline_notify, NULL,
			     MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL,
			     MHD_OPTION_END);
	if (!d)
		return NULL;
	if (pubdb_deadline_start(o->request_timeout) < 0) {
		MHD_stop_daemon(d);
		return NULL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : ntohs(o->addr.sin_port);
	return d;
}
