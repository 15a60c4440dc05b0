// SPDX-License-Identifier: LGPL-2.1-or-later
/* Catalogue requests and responses (catalogue.h). */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include <chipkey/byteorder.h>
#include "catalogue.h"

int ck_cat_name_ok(const char *name)
{
	size_t i, n = strnlen(name, CK_CAT_NAME_MAX + 1);

	if (n == 0 || n > CK_CAT_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

ssize_t ck_cat_request_encode(const struct ck_cat_request *r, uint8_t *out, size_t cap)
{
	size_t n = r->op == CK_CAT_GET ? strnlen(r->name, CK_CAT_NAME_MAX + 1) : 0;

	if (n > CK_CAT_NAME_MAX || cap < CK_CAT_REQ_HDR + n)
		return -EMSGSIZE;
	out[0] = r->op;
	out[1] = (uint8_t)n;
	memcpy(out + CK_CAT_REQ_HDR, r->name, n);
	return (ssize_t)(CK_CAT_REQ_HDR + n);
}

int ck_cat_request_read(SSL *ssl, struct ck_cat_request *r)
{
	uint8_t h[CK_CAT_REQ_HDR];
	int err = ck_ssl_read_full(ssl, h, sizeof(h));

	memset(r, 0, sizeof(*r));
	if (err)
		return err;
	r->op = h[0];
	if (h[1] > CK_CAT_NAME_MAX)
		return -EPROTO;
	err = ck_ssl_read_full(ssl, r->name, h[1]);
	if (err)
		return err;
	r->name[h[1]] = 0;
	if (r->op == CK_CAT_LIST)
		return h[1] == 0 ? 0 : -EPROTO;
	if (r->op == CK_CAT_GET)
		return strlen(r->name) == h[1] && ck_cat_name_ok(r->name) ? 0 : -EPROTO;
	return -EPROTO;
}

void ck_cat_response_hdr_encode(const struct ck_cat_response_hdr *h,
				uint8_t out[CK_CAT_RESP_HDR])
{
	out[0] = h->status;
	ck_put_be64(out + 1, h->length);
}

int ck_cat_response_hdr_decode(const uint8_t in[CK_CAT_RESP_HDR],
			       struct ck_cat_response_hdr *h)
{
	h->status = in[0];
	h->length = ck_get_be64(in + 1);
	if (h->status > CK_CAT_ERROR || h->length > CK_CAT_FILE_MAX ||
	    (h->status != CK_CAT_OK && h->length != 0))
		return -EPROTO;
	return 0;
}

int ck_cat_fetch(SSL *ssl, const char *name, uint64_t cap, ck_cat_sink *sink, void *arg,
		 uint64_t *len)
{
	struct ck_cat_request r = { .op = name ? CK_CAT_GET : CK_CAT_LIST };
	struct ck_cat_response_hdr h;
	uint8_t req[CK_CAT_REQ_HDR + CK_CAT_NAME_MAX], buf[16384];
	ssize_t n;
	int err;

	if (len)
		*len = 0;
	if (name) {
		if (!ck_cat_name_ok(name))
			return -EINVAL;
		memcpy(r.name, name, strlen(name) + 1);
	}
	n = ck_cat_request_encode(&r, req, sizeof(req));
	if (n < 0)
		return -EINVAL;
	err = ck_ssl_write_full(ssl, req, (size_t)n);
	if (!err)
		err = ck_ssl_read_full(ssl, buf, CK_CAT_RESP_HDR);
	if (err)
		return err;
	if (ck_cat_response_hdr_decode(buf, &h))
		return -EPROTO;
	switch (h.status) {
	case CK_CAT_OK: break;
	case CK_CAT_NOT_FOUND: return -ENOENT;
	case CK_CAT_BAD_REQUEST: return -EPERM;
	default: return -EREMOTEIO;
	}
	if (len)
		*len = h.length;
	if (h.length > cap)
		return -EFBIG;
	while (h.length) {
		size_t k = h.length < sizeof(buf) ? (size_t)h.length : sizeof(buf);

		err = ck_ssl_read_full(ssl, buf, k);
		if (!err)
			err = sink(arg, buf, k);
		if (err)
			return err;
		h.length -= k;
	}
	return 0;
}

int ck_ssl_read_full(SSL *ssl, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got;

	while (n) {
		if (SSL_read_ex(ssl, p, n, &got) != 1) {
			int e = SSL_get_error(ssl, 0);

			ERR_clear_error();
			return e == SSL_ERROR_ZERO_RETURN ? -ECONNRESET : -EIO;
		}
		p += got;
		n -= got;
	}
	return 0;
}

int ck_ssl_write_full(SSL *ssl, const void *buf, size_t n)
{
	size_t put;

	if (n && SSL_write_ex(ssl, buf, n, &put) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}
