// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: chipkey-pubdb's request routing (userspace/pubdb/route.c),
 * the URL of every request, before any database access.  The bodies of
 * POST requests are the pubdb-record target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pubdb/route.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pubdb_route r;
	char *url;

	if (memchr(data, 0, size))
		return 0;	/* libmicrohttpd hands over a C string */
	url = malloc(size + 1);
	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	memset(&r, 0xa5, sizeof(r));
	pubdb_route(url, &r);
	if (r.found && !r.bad_chip && strlen(r.hex) != 2 * STORE_CHIP_ID_LEN)
		abort();
	free(url);
	return 0;
}
