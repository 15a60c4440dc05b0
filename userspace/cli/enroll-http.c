// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTPS requests of chipkey enroll (enroll.h).  libcurl is loaded with
 * dlopen only when `chipkey enroll` runs, as recovery does for https://
 * (recovery/http.c): every other chipkey command starts without it.
 * TLS 1.3; with an anchor the server certificate must chain to it and
 * name the URL's host; without one it is not checked (one-way mode,
 * docs/enrollment.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/curl-dl.h"
#include "enroll.h"

#define MAX_ANSWER (256u << 10)

static size_t on_data(char *p, size_t sz, size_t nm, void *u)
{
	struct enr_http *h = u;
	size_t n = sz * nm;
	char *q;

	if (h->resp_len + n > MAX_ANSWER || !(q = realloc(h->resp, h->resp_len + n + 1)))
		return 0;
	memcpy(q + h->resp_len, p, n);
	h->resp = q;
	h->resp_len += n;
	q[h->resp_len] = 0;
	return n;
}

int enr_http_do(struct enr_http *h)
{
	struct curl_slist *hdrs = NULL;
	struct curl_blob cb, kb, ab;
	char ct[128];
	CURLcode cc;
	CURL *e;
	const struct ck_curl *c = ck_curl("chipkey enroll", h->err, sizeof(h->err));
	int rc = 0;

	h->status = 0;
	h->untrusted = 0;
	if (!c)
		return -ENOPROTOOPT;
	h->err[0] = 0;
	e = c->init();
	if (!e)
		return -ENOMEM;
	c->setopt(e, CURLOPT_URL, h->url);
	c->setopt(e, CURLOPT_NOSIGNAL, 1L);
	c->setopt(e, CURLOPT_TIMEOUT, 60L);
	c->setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	c->setopt(e, CURLOPT_PROTOCOLS_STR, h->allow_http ? "http,https" : "https");
	if (h->anchor) {
		ab = (struct curl_blob){ (void *)h->anchor, strlen(h->anchor), CURL_BLOB_COPY };
		c->setopt(e, CURLOPT_CAINFO_BLOB, &ab);
		c->setopt(e, CURLOPT_CAPATH, NULL);
		c->setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		c->setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	} else {
		c->setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		c->setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (h->cert_pem && h->key_pem) {
		cb = (struct curl_blob){ (void *)h->cert_pem, strlen(h->cert_pem), CURL_BLOB_NOCOPY };
		kb = (struct curl_blob){ (void *)h->key_pem, strlen(h->key_pem), CURL_BLOB_NOCOPY };
		c->setopt(e, CURLOPT_SSLCERT_BLOB, &cb);
		c->setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		c->setopt(e, CURLOPT_SSLKEY_BLOB, &kb);
		c->setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (h->header)
		hdrs = c->slist_append(hdrs, h->header);
	if (h->body) {
		snprintf(ct, sizeof(ct), "Content-Type: %s",
			 h->content_type ? h->content_type : "application/octet-stream");
		hdrs = c->slist_append(hdrs, ct);
		c->setopt(e, CURLOPT_POST, 1L);
		c->setopt(e, CURLOPT_POSTFIELDS, h->body);
		c->setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->body_len);
	}
	if (hdrs)
		c->setopt(e, CURLOPT_HTTPHEADER, hdrs);
	c->setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	c->setopt(e, CURLOPT_WRITEDATA, h);
	cc = c->perform(e);
	if (cc != CURLE_OK) {
		snprintf(h->err, sizeof(h->err), "%s: %s", h->url, c->strerror(cc));
		/* a CA file curl cannot use (CURLE_SSL_CACERT_BADFILE) is a
		 * trust failure, never "no answer": it is not retried */
		h->untrusted = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
			       cc == CURLE_SSL_CACERT_BADFILE;
		rc = -ECONNREFUSED;
	} else {
		char *ct = NULL;

		c->getinfo(e, CURLINFO_RESPONSE_CODE, &h->status);
		c->getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
		snprintf(h->ctype, sizeof(h->ctype), "%s", ct ? ct : "");
		if (!h->resp && !(h->resp = calloc(1, 1)))
			rc = -ENOMEM;
	}
	c->slist_free_all(hdrs);
	c->cleanup(e);
	return rc;
}

void enr_http_release(struct enr_http *h)
{
	free(h->resp);
	h->resp = NULL;
	h->resp_len = 0;
}
