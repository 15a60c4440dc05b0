// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory identities --prefix DIGITS --count N [--start S]: print
 * IMEI-style identities (prefix, zero-padded serial, Luhn check digit).
 */
#include <stdio.h>
#include <string.h>

#include "common/exit.h"
#include "common/identity.h"
#include "subcommands.h"

int cmd_identities(const struct factory_args *a)
{
	char id[64];
	size_t plen;
	unsigned long long space = 1, serial;
	int width;

	if (a->npos || !a->prefix || !a->have_count)
		return factory_usage_error();
	plen = strlen(a->prefix);
	if (plen == 0 || plen > CK_IDENTITY_LEN - 1 ||
	    strspn(a->prefix, "0123456789") != plen) {
		fprintf(stderr, "%s: --prefix must be 1 to 14 digits\n", factory_prog);
		return CK_EXIT_USAGE;
	}
	width = (int)(CK_IDENTITY_LEN - 1 - plen);
	for (int i = 0; i < width; i++)
		space *= 10;
	if (a->start > space || a->count > space - a->start) {
		fprintf(stderr, "%s: prefix %s has room for %llu identities from %llu\n",
			factory_prog, a->prefix, space > a->start ? space - a->start : 0,
			a->start);
		return CK_EXIT_USAGE;
	}
	for (serial = a->start; serial < a->start + a->count; serial++) {
		int d;

		if (width)
			snprintf(id, sizeof(id), "%s%0*llu", a->prefix, width, serial);
		else
			snprintf(id, sizeof(id), "%s", a->prefix);
		d = ck_luhn_digit(id, CK_IDENTITY_LEN - 1);
		if (d < 0)
			return CK_EXIT_OTHER;
		id[CK_IDENTITY_LEN - 1] = (char)('0' + d);
		id[CK_IDENTITY_LEN] = '\0';
		if (printf("%s\n", id) < 0)
			return CK_EXIT_OTHER;
	}
	return fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
}
