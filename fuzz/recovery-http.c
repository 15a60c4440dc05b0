// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the recovery HTTP client's response head
 * (userspace/recovery/http.c, parse_head), what a public database, or
 * whoever answers in its place, sends to `chipkey recover --db`: status
 * line, Content-Length, Transfer-Encoding.  The head is cut where
 * plain_get() cuts it (first CRLF CRLF, at most REC_HTTP_MAX_HEADER).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/http.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *eoh = memmem(data, size, "\r\n\r\n", 4);
	long status = 0;
	long long clen;
	char err[256];
	size_t hlen;
	char *h;

	if (!eoh)
		return 0;
	hlen = (size_t)(eoh - data) + 4;
	if (hlen > REC_HTTP_MAX_HEADER)
		return 0;
	h = malloc(hlen);	/* exactly the head: reads past it are caught */
	if (!h)
		return 0;
	memcpy(h, data, hlen);
	if (parse_head(h, hlen, &status, &clen, err, sizeof(err)) == 0 &&
	    (status < 100 || status > 599 || clen < -1))
		abort();
	free(h);
	return 0;
}
