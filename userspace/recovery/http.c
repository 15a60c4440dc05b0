// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one HTTP request recovery makes: GET of a public-database record.
 *
 * http:// is served by a small built-in HTTP/1.0 client (no libcurl in the
 * process: libcurl and its dependencies alone would cost more memory than
 * the whole recovery; docs/recovery.md).  https:// loads libcurl at run time
 * (dlopen) only when such a URL is used.  Transport security is not what
 * recovery relies on: the backup is authenticated by the chip and the
 * certificate by the manufacturer key in ROM.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/curl-dl.h"
#include "common/hostport.h"
#include "rec_http.h"

/* Largest response header block accepted. */
#define REC_HTTP_MAX_HEADER	16384

static long ms_left(const struct timespec *deadline)
{
	struct timespec n;

	clock_gettime(CLOCK_MONOTONIC, &n);
	return (deadline->tv_sec - n.tv_sec) * 1000 + (deadline->tv_nsec - n.tv_nsec) / 1000000;
}

static int wait_fd(int fd, short ev, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long left = ms_left(deadline);
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&p, 1, (int)left);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* recv up to @room bytes: > 0 bytes, 0 at EOF, or -errno (-ETIMEDOUT). */
static ssize_t recv_some(int fd, uint8_t *p, size_t room, const struct timespec *dl)
{
	for (;;) {
		ssize_t r = recv(fd, p, room, 0);
		int e;

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		e = wait_fd(fd, POLLIN, dl);
		if (e)
			return e;
	}
}

/* Case-insensitive header-name match at the start of @line. */
static const char *header_value(const char *line, size_t llen, const char *name)
{
	size_t n = strlen(name);

	if (llen <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/*
 * Status line and the headers that matter: Content-Length (*clen, -1 if
 * absent; must be digits, and equal if repeated) and Transfer-Encoding
 * (anything but identity is refused: the request is HTTP/1.0, and
 * chipkey-pubdb always sends Content-Length).
 */
static int parse_head(char *h, size_t hlen, long *status, long long *clen,
		      char *err, size_t errlen)
{
	char *line = h, *end = h + hlen - 2, *nl;
	int first = 1;

	*clen = -1;
	while (line < end) {
		size_t ll;
		const char *v;

		nl = memmem(line, (size_t)(end - line), "\r\n", 2);
		ll = (size_t)((nl ? nl : end) - line);
		if (first) {
			if (ll < 12 || strncmp(line, "HTTP/1.", 7) ||
			    line[7] < '0' || line[7] > '9' ||
			    line[8] != ' ' || line[9] < '1' || line[9] > '5' ||
			    line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9')
				goto bad;
			*status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
			first = 0;
		} else if ((v = header_value(line, ll, "Content-Length"))) {
			long long x = 0;
			const char *p = v;

			if (p >= line + ll || *p < '0' || *p > '9')
				goto bad;
			for (; p < line + ll && *p >= '0' && *p <= '9'; p++) {
				if (x > (1LL << 40))
					goto bad;
				x = x * 10 + (*p - '0');
			}
			while (p < line + ll && (*p == ' ' || *p == '\t'))
				p++;
			if (p != line + ll || (*clen >= 0 && *clen != x))
				goto bad;
			*clen = x;
		} else if ((v = header_value(line, ll, "Transfer-Encoding"))) {
			if ((size_t)(line + ll - v) < 8 || strncasecmp(v, "identity", 8)) {
				snprintf(err, errlen, "transfer-coded (chunked) responses are not supported");
				return -EPROTONOSUPPORT;
			}
		}
		if (!nl)
			break;
		line = nl + 2;
	}
	if (first)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "malformed HTTP response header");
	return -EPROTO;
}

static int plain_get(const char *url, long timeout_ms, struct rec_buf *b, long *status,
		     char *err, size_t errlen)
{
	char hp[256], host[256], port[6] = "80", req[1400];
	const char *h = url + 7, *path = strchr(h, '/');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL, *a;
	struct timespec dl;
	size_t hl, cap = b->cap, len = 0, hlen = 0;
	int fd = -1, e = -ECONNREFUSED, n;
	long long clen = -1;
	ssize_t r;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	if (!path)
		path = h + strlen(h);
	hl = (size_t)(path - h);
	if (!hl || hl >= sizeof(hp))
		goto bad;
	memcpy(hp, h, hl);
	hp[hl] = 0;
	if (hp[0] == '[' && hp[hl - 1] == ']' && hl > 2) {	/* [v6], port 80 */
		memcpy(host, hp + 1, hl - 2);
		host[hl - 2] = 0;
	} else if (!strchr(hp, ':')) {
		memcpy(host, hp, hl + 1);	/* the default port, 80 */
	} else if (ck_hostport_parse(hp, CK_HOSTPORT_DIAL, host, sizeof(host), port)) {
		goto bad;
	}
	if (getaddrinfo(host, port, &hints, &ai)) {
		snprintf(err, errlen, "cannot resolve %s", host);
		return -EHOSTUNREACH;
	}
	for (a = ai; a; a = a->ai_next) {
		socklen_t sl = sizeof(e);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && !(e = wait_fd(fd, POLLOUT, &dl)) &&
		    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) && e == 0)
			break;
		e = e > 0 ? -e : e ? e : -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(err, errlen, "connect to %s:%s: %s", host, port, strerror(-e));
		return e;
	}
	/* Host: the URL's authority as written ([v6] keeps its brackets) */
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: chipkey-recover\r\n"
		     "Accept: application/vnd.chipkey.record\r\nConnection: close\r\n\r\n",
		     *path ? path : "/", hp);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		close(fd);
		goto bad;
	}
	for (int off = 0; off < n;) {
		ssize_t w = send(fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN && !(e = wait_fd(fd, POLLOUT, &dl)))
			continue;
		if (w <= 0) {
			e = w < 0 && errno != EAGAIN ? -errno : e ? e : -EIO;
			goto io;
		}
		off += (int)w;
	}
	/* the header block, bounded */
	for (;;) {
		char *eoh;

		r = recv_some(fd, b->p + len, (cap - 1) - len, &dl);
		if (r < 0) {
			e = (int)r;
			goto io;
		}
		len += (size_t)r;
		b->p[len] = 0;
		eoh = memmem(b->p, len, "\r\n\r\n", 4);
		if (eoh) {
			hlen = (size_t)(eoh - (char *)b->p) + 4;
			break;
		}
		if (len > REC_HTTP_MAX_HEADER || len == cap - 1) {
			close(fd);
			snprintf(err, errlen, "response header larger than %d bytes",
				 REC_HTTP_MAX_HEADER);
			return -EFBIG;
		}
		if (r == 0) {
			close(fd);
			snprintf(err, errlen, "connection closed in the response header (%zu bytes)", len);
			return -EPROTO;
		}
	}
	if (hlen > REC_HTTP_MAX_HEADER) {
		close(fd);
		snprintf(err, errlen, "response header larger than %d bytes", REC_HTTP_MAX_HEADER);
		return -EFBIG;
	}
	e = parse_head((char *)b->p, hlen, status, &clen, err, errlen);
	if (e) {
		close(fd);
		return e;
	}
	if (*status < 200 || *status >= 300) {
		/* only the status is used: no need for the body */
		close(fd);
		b->len = 0;
		return 0;
	}
	if (clen < 0) {
		close(fd);
		snprintf(err, errlen, "HTTP %ld response without Content-Length", *status);
		return -EPROTONOSUPPORT;
	}
	if ((unsigned long long)clen > (unsigned long long)(cap - 1 - hlen)) {
		close(fd);
		snprintf(err, errlen, "response too large (Content-Length %lld)", clen);
		return -EFBIG;
	}
	/* exactly Content-Length bytes of body; EOF before that: cut short */
	while (len < hlen + (size_t)clen) {
		r = recv_some(fd, b->p + len, hlen + (size_t)clen - len, &dl);
		if (r < 0) {
			e = (int)r;
			goto io;
		}
		if (r == 0) {
			close(fd);
			snprintf(err, errlen, "body cut short: %zu of %lld bytes",
				 len - hlen, clen);
			return -EPROTO;
		}
		len += (size_t)r;
	}
	close(fd);
	b->len = (size_t)clen;
	memmove(b->p, b->p + hlen, b->len);
	b->p[b->len] = 0;
	return 0;
io:
	close(fd);
	snprintf(err, errlen, "%s:%s: %s", host, port, strerror(-e));
	return e;
bad:
	snprintf(err, errlen, "bad URL %s", url);
	return -EINVAL;
}

/* ---- https: libcurl, loaded on first use ---- */

static size_t on_data(char *ptr, size_t sz, size_t nm, void *u)
{
	struct rec_buf *b = u;
	size_t n = sz * nm;

	if (b->len + n >= b->cap)
		return 0;
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	return n;
}

static int tls_get(const char *url, long timeout_ms, struct rec_buf *b, long *status,
		   char *err, size_t errlen)
{
	const struct ck_curl *c = ck_curl("https", err, errlen);
	CURL *h;
	CURLcode cc;

	if (!c)
		return -ENOPROTOOPT;
	h = c->init();
	if (!h) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -ENOMEM;
	}
	c->setopt(h, CURLOPT_URL, url);
	c->setopt(h, CURLOPT_NOSIGNAL, 1L);
	c->setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	c->setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	c->setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	c->setopt(h, CURLOPT_WRITEDATA, b);
	cc = c->perform(h);
	c->getinfo(h, CURLINFO_RESPONSE_CODE, status);
	c->cleanup(h);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", c->strerror(cc));
		return cc == CURLE_WRITE_ERROR ? -EFBIG : -EIO;
	}
	return 0;
}

int rec_http_get(const char *url, long timeout_ms, struct rec_buf *b, long *status,
		 char *err, size_t errlen)
{
	*status = 0;
	b->len = 0;
	if (timeout_ms < 1)
		timeout_ms = 1;
	if (!strncmp(url, "http://", 7))
		return plain_get(url, timeout_ms, b, status, err, errlen);
	if (!strncmp(url, "https://", 8))
		return tls_get(url, timeout_ms, b, status, err, errlen);
	snprintf(err, errlen, "unsupported URL %s", url);
	return -EINVAL;
}
