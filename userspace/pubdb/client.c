// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey public database: the HTTP client (libcurl) of docs/pubdb-api.md,
 * used by chipkey-pubdb-put.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/hex.h"
#include "client.h"

#define MAX_RESPONSE (4u << 20)

struct sink {
	uint8_t *buf;
	size_t len;
	int overflow;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	uint8_t *nb;

	if (s->len + n > MAX_RESPONSE) {
		s->overflow = 1;
		return 0;	/* aborts the transfer */
	}
	nb = realloc(s->buf, s->len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + s->len, ptr, n);
	s->buf = nb;
	s->len += n;
	s->buf[s->len] = 0;
	return n;
}

static int status_rc(long st)
{
	if (st >= 200 && st < 300)
		return 0;
	switch (st) {
	case 404: return -ENOENT;
	case 409: return -EEXIST;
	case 401: case 403: return -EACCES;
	case 400: case 413: return -EINVAL;
	}
	return -EIO;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* One request.  body == NULL: GET.  The response body goes to *out. */
static int request(const char *url, const uint8_t *body, size_t body_len,
		   uint8_t **out, size_t *out_len, long *http_status,
		   char *err, size_t errlen)
{
	static int inited;
	struct curl_slist *hdr = NULL;
	struct sink s = { 0 };
	CURLcode cc;
	CURL *c;
	long st = 0;
	int rc;

	if (!inited) {
		/* not thread-safe on first use: call once early in threaded
		 * programs (any pubdb_* call does it) */
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	if (http_status)
		*http_status = 0;
	c = curl_easy_init();
	if (!c) {
		seterr(err, errlen, "curl_easy_init failed");
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/vnd.chipkey.record");
		hdr = curl_slist_append(hdr, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	if (http_status)
		*http_status = st;
	if (cc != CURLE_OK) {
		seterr(err, errlen, "%s: %s", url, s.overflow ? "response too large" :
		       curl_easy_strerror(cc));
		free(s.buf);
		return -EIO;
	}
	rc = status_rc(st);
	if (rc) {
		/* error bodies are short JSON: {"status":N,"error":"..."} */
		seterr(err, errlen, "HTTP %ld: %.*s", st, (int)(s.len > 200 ? 200 : s.len),
		       s.buf ? (const char *)s.buf : "");
		free(s.buf);
		return rc;
	}
	if (out) {
		*out = s.buf ? s.buf : calloc(1, 1);
		*out_len = s.len;
	} else {
		free(s.buf);
	}
	return 0;
}

static int mkurl(char *url, size_t n, const char *base, const uint8_t *chip,
		 uint64_t gen, const char *leaf, const char *ext)
{
	char hex[2 * PUBDB_CHIP_ID_LEN + 1];
	size_t bl = strlen(base);
	int k;

	while (bl && base[bl - 1] == '/')
		bl--;
	ck_hex_encode(chip, PUBDB_CHIP_ID_LEN, hex);
	if (gen)
		k = snprintf(url, n, "%.*s/v1/chips/%s/generations/%" PRIu64 "%s%s", (int)bl,
			     base, hex, gen, leaf ? "/" : "", leaf ? leaf : "");
	else
		k = snprintf(url, n, "%.*s/v1/chips/%s%s%s%s", (int)bl, base, hex,
			     leaf ? "/" : "", leaf ? leaf : "", ext ? ext : "");
	return k > 0 && (size_t)k < n ? 0 : -ENAMETOOLONG;
}

int pubdb_post_record(const char *base_url, const uint8_t *rec, size_t len,
		      long *http_status, char *err, size_t errlen)
{
	struct pubdb_record r;
	char url[1024];
	int rc;

	rc = pubdb_record_parse(rec, len, &r, err, errlen);
	if (rc)
		return rc;
	rc = mkurl(url, sizeof(url), base_url, r.chip_id, 0, "generations", NULL);
	if (rc) {
		seterr(err, errlen, "URL too long");
		return rc;
	}
	return request(url, rec, len, NULL, NULL, http_status, err, errlen);
}

int pubdb_post_void(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		    uint64_t generation, const uint8_t *entry, size_t len, long *http_status,
		    char *err, size_t errlen)
{
	char url[1024];

	if (!generation || mkurl(url, sizeof(url), base_url, chip_id, generation, "void", NULL)) {
		seterr(err, errlen, "bad generation or URL too long");
		return -EINVAL;
	}
	return request(url, entry, len, NULL, NULL, http_status, err, errlen);
}

static int get_leaf(const char *base_url, const uint8_t *chip, uint64_t gen,
		    const char *leaf, uint8_t **out, size_t *out_len, long *http_status,
		    char *err, size_t errlen)
{
	char url[1024];

	*out = NULL;
	*out_len = 0;
	if (mkurl(url, sizeof(url), base_url, chip, gen, leaf, NULL)) {
		seterr(err, errlen, "URL too long");
		return -ENAMETOOLONG;
	}
	return request(url, NULL, 0, out, out_len, http_status, err, errlen);
}

int pubdb_get_void(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		   uint64_t generation, uint8_t **out, size_t *out_len, long *http_status,
		   char *err, size_t errlen)
{
	if (!generation) {
		*out = NULL;
		*out_len = 0;
		seterr(err, errlen, "a void entry names a generation");
		return -EINVAL;
	}
	return get_leaf(base_url, chip_id, generation, "void", out, out_len, http_status, err,
			errlen);
}

int pubdb_get_record(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		     uint64_t generation, uint8_t **out, size_t *out_len,
		     long *http_status, char *err, size_t errlen)
{
	return get_leaf(base_url, chip_id, generation, "record", out, out_len,
			http_status, err, errlen);
}

int pubdb_get_backup(const char *base_url, const uint8_t chip_id[PUBDB_CHIP_ID_LEN],
		     uint64_t generation, uint8_t **out, size_t *out_len,
		     long *http_status, char *err, size_t errlen)
{
	return get_leaf(base_url, chip_id, generation, "backup", out, out_len,
			http_status, err, errlen);
}
