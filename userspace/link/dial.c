// SPDX-License-Identifier: LGPL-2.1-or-later
/* The device's TCP connection to chipkey-service (link.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/hostport.h"
#include "link.h"

int ck_link_dial(const char *host_port, int timeout)
{
	char host[256], port[6];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai, *p;
	struct timeval tv = { .tv_sec = timeout };
	int fd = -1, err = -EHOSTUNREACH;

	if (ck_hostport_parse(host_port, CK_HOSTPORT_DIAL, host, sizeof(host), port))
		return -EINVAL;
	if (getaddrinfo(host, port, &hints, &ai))
		return -EHOSTUNREACH;
	for (p = ai; p; p = p->ai_next) {
		fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (timeout > 0) {
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		if (!connect(fd, p->ai_addr, p->ai_addrlen))
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd >= 0 ? fd : err;
}
