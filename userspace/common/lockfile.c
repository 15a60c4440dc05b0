// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lock files in a directory someone else may have written to (lockfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/lockfile.h"

int ck_lockfile_open(int dfd, const char *name, int replace)
{
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
			    O_CLOEXEC, 0600);
		if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode))
			return fd;
		if (fd >= 0)
			close(fd);
		else if (errno != ELOOP && errno != EISDIR && errno != ENXIO &&
			 errno != ENODEV && errno != ETXTBSY)
			return -errno;
		if (!replace || fs_rm_tree_at(dfd, name))
			return -EUCLEAN;
	}
	return -EUCLEAN;
}

int ck_lockfile_wait(int fd, int op, int (*expired)(void))
{
	const struct timespec poll = { 0, 20 * 1000 * 1000 };

	for (;;) {
		if (!flock(fd, expired ? op | LOCK_NB : op))
			return 0;
		if (errno == EINTR)
			continue;
		if (!expired || errno != EWOULDBLOCK)
			return -errno;
		if (expired())
			return -ETIMEDOUT;
		nanosleep(&poll, NULL);
	}
}
