// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The framing I/O of every link mode (link.h), shared by the two frame
 * formats: whole reads, optionally bounded by a deadline (modes 3 and 4,
 * link-cms-frame.c), and header-then-body writes.  The formats themselves
 * are frame.c (mode 2: u32 length) and link-cms-frame.c (modes 3 and 4:
 * type, zero, u16 length).
 */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "link/link.h"

int64_t ck_link_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until @fd is readable: 1, 0 to check the deadline again, or -errno
 * (-ETIMEDOUT past @deadline). */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - ck_link_now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r;	/* 0: the deadline is checked again */
}

int ck_link_read_until(int fd, void *buf, size_t n, int64_t deadline)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r;

		if (deadline >= 0) {
			int w = wait_readable(fd, deadline);

			if (w < 0)
				return w;
			if (w == 0)
				continue;
		}
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int ck_link_read_full(int fd, void *buf, size_t n)
{
	return ck_link_read_until(fd, buf, n, -1);
}

int ck_link_write_full(int fd, const void *buf, size_t n)
{
	return ck_file_write_all(fd, buf, n);	/* callers ignore SIGPIPE */
}

int ck_link_frame_write(int fd, const void *hdr, size_t hlen, const void *body, size_t len)
{
	int err = ck_link_write_full(fd, hdr, hlen);

	return err ? err : ck_link_write_full(fd, body, len);
}
