/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HOST:PORT on the command line (--listen, --server, --spp, --notify, the
 * target of `pair connect`): one parser for every program (hostport.c).
 */
#ifndef CHIPKEY_COMMON_HOSTPORT_H
#define CHIPKEY_COMMON_HOSTPORT_H

#include <stddef.h>

/* Who asks: a listener may leave HOST empty (every address) and ask for
 * port 0 (any free port); a dialler may do neither. */
enum ck_hostport_use { CK_HOSTPORT_DIAL, CK_HOSTPORT_LISTEN };

/*
 * Split @s at its last colon: HOST (brackets of "[v6]:PORT" removed) into
 * @host (@hostlen bytes), PORT into @port as a decimal string ready for
 * getaddrinfo() with AI_NUMERICSERV.  PORT must be 1 to 5 digits, 1..65535
 * (0 too for CK_HOSTPORT_LISTEN): never a service name, never a number
 * that would wrap.  0, or -EINVAL.
 */
int ck_hostport_parse(const char *s, enum ck_hostport_use use, char *host, size_t hostlen,
		      char port[6]);
/* ck_hostport_parse() would accept @s for @use: checked with the other
 * arguments, before anything is dialled or changed. */
int ck_hostport_ok(const char *s, enum ck_hostport_use use);

#endif /* CHIPKEY_COMMON_HOSTPORT_H */
