// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HOST:PORT (hostport.h).  getaddrinfo() alone takes "99999" as port
 * 34463 and "ssh" as 22: a typo dialled another service, and a command
 * that had to refuse its arguments before changing anything (`unpair
 * --notify`) went on to change the store first.
 */
#include <errno.h>
#include <string.h>

#include "common/hostport.h"

int ck_hostport_parse(const char *s, enum ck_hostport_use use, char *host, size_t hostlen,
		      char port[6])
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	const char *h = s, *p;
	size_t hl, pl;
	unsigned long v = 0;

	if (!colon)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {	/* [v6]:port */
		h++;
		hl -= 2;
	}
	if (hl >= hostlen || (!hl && use != CK_HOSTPORT_LISTEN))
		return -EINVAL;
	p = colon + 1;
	pl = strlen(p);
	if (!pl || pl > 5 || strspn(p, "0123456789") != pl)
		return -EINVAL;
	for (size_t i = 0; i < pl; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	if (v > 65535 || (!v && use != CK_HOSTPORT_LISTEN))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	memcpy(port, p, pl + 1);
	return 0;
}

int ck_hostport_ok(const char *s, enum ck_hostport_use use)
{
	char host[256], port[6];

	return !ck_hostport_parse(s, use, host, sizeof(host), port);
}
