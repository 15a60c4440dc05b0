/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CHIPKEY_REC_HTTP_H
#define CHIPKEY_REC_HTTP_H
#include <stddef.h>
#include <stdint.h>

struct rec_buf {
	uint8_t *p;	/* cap bytes; one is kept for a terminating NUL */
	size_t cap;
	size_t len;
};

/*
 * GET @url within @timeout_ms.  0 with *status set (any HTTP status) and
 * the body in @b; or a negative errno of the transport (-EFBIG: response
 * larger than b->cap - 1), message in @err.
 */
int rec_http_get(const char *url, long timeout_ms, struct rec_buf *b, long *status,
		 char *err, size_t errlen);
#endif
