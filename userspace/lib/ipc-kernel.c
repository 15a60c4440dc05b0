// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libchipkey kernel backend: ioctls on /dev/chipkey (or another node).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ipc.h"

static int kernel_ioctl(struct chipkey *ck, unsigned int cmd, void *arg)
{
	if (ioctl(ck->fd, cmd, arg) < 0)
		return -errno;
	return 0;
}

static void kernel_close(struct chipkey *ck)
{
	if (ck->fd >= 0)
		close(ck->fd);
	ck->fd = -1;
}

static const struct chipkey_backend kernel_backend = {
	.name = "kernel",
	.ioctl = kernel_ioctl,
	.close = kernel_close,
};

int ck_kernel_open(const char *path, struct chipkey *ck)
{
	int fd;

	if (!path || !*path)
		return -EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC);
	/* Info and the ROM key are open to all: a read-only node is fine. */
	if (fd < 0 && (errno == EACCES || errno == EROFS))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ck->fd = fd;
	ck->be = &kernel_backend;
	return 0;
}
