// SPDX-License-Identifier: LGPL-2.1-or-later
/* The listening end of `chipkey pair listen`: one TCP connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/file.h"
#include "pair.h"

int ck_pair_accept_one(const char *addr, int port, const char *port_file, int timeout)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = timeout };
	socklen_t sl = sizeof(sa);
	int one = 1, lfd, fd, err;
	char buf[16];

	if (port < 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl))
		goto fail;
	if (port_file) {
		snprintf(buf, sizeof(buf), "%u\n", ntohs(sa.sin_port));
		err = ck_file_write_atomic(port_file, buf, strlen(buf), 0644, 1);
		if (err) {
			close(lfd);
			return err;
		}
	}
	/* the wait for the peer is bounded too (Linux: SO_RCVTIMEO on a
	 * listening socket bounds accept) */
	if (timeout > 0)
		setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		close(lfd);
		return -ETIMEDOUT;
	}
	if (fd < 0)
		goto fail;
	close(lfd);
	if (timeout > 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
fail:
	err = -errno;
	close(lfd);
	return err;
}
