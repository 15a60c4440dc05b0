/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The catalogue requests over an established link (catalogue.c,
 * include/chipkey/service_catalogue.h): the one encoder/decoder pair, the
 * name rule, and whole reads/writes on the TLS connection.
 */
#ifndef CHIPKEY_LINK_CATALOGUE_H
#define CHIPKEY_LINK_CATALOGUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <openssl/ssl.h>
#include <chipkey/service_catalogue.h>

/* 1 if @name is a catalogue file name: 1..CK_CAT_NAME_MAX of
 * [A-Za-z0-9._-], not starting with '.' (no '/', no "..", no hidden file). */
int ck_cat_name_ok(const char *name);

ssize_t ck_cat_request_encode(const struct ck_cat_request *r, uint8_t *out, size_t cap);
/* Reads one request from @ssl: 0, -EPROTO (malformed: bad op or name) or -errno. */
int ck_cat_request_read(SSL *ssl, struct ck_cat_request *r);
void ck_cat_response_hdr_encode(const struct ck_cat_response_hdr *h,
				uint8_t out[CK_CAT_RESP_HDR]);
int ck_cat_response_hdr_decode(const uint8_t in[CK_CAT_RESP_HDR],
			       struct ck_cat_response_hdr *h);

/* Where a fetched body goes, piece by piece: 0 to go on, or a negative
 * errno that ends the fetch. */
typedef int ck_cat_sink(void *arg, const void *buf, size_t n);
/*
 * The client side: one request on @ssl (GET @name, or LIST when @name is
 * NULL) and its answer.  The body is passed to @sink as it arrives, in
 * pieces of at most 16 KiB, never held whole; a body longer than @cap is
 * refused by its header, before a byte of it is read.  *@len (may be
 * NULL) gets the body's length from the header.
 *   -ENOENT      not in the catalogue        -EPERM     bad request
 *   -EREMOTEIO   server error                -EFBIG     longer than @cap
 *   -EPROTO      not a valid answer          -ECONNRESET, -EIO  connection lost
 *   -EINVAL      @name is not a catalogue name, or the sink's error
 */
int ck_cat_fetch(SSL *ssl, const char *name, uint64_t cap, ck_cat_sink *sink, void *arg,
		 uint64_t *len);

/* SSL_read/SSL_write all of @buf: 0, -ECONNRESET or -EIO. */
int ck_ssl_read_full(SSL *ssl, void *buf, size_t n);
int ck_ssl_write_full(SSL *ssl, const void *buf, size_t n);

#endif /* CHIPKEY_LINK_CATALOGUE_H */
