// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The flash store's lock file, DIR/.lock (see lock.h): writers take it
 * exclusively, readers shared (flock(2)).  The same care for the store's
 * other lock file, STORE/.update.lock (cli/nextgen.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "flash.h"
#include "lock.h"

/*
 * The lock file @name in @dfd, a regular file (created if missing), opened
 * without following a symlink and without blocking on a FIFO.  Whatever
 * else an offline attacker planted there (a directory, a symlink, a FIFO, a
 * device) is removed by a writer (@writer) and replaced, so it can neither
 * stop every later write nor make recovery create a file elsewhere; a
 * reader just reads unlocked.  The fd, or -errno (-EUCLEAN: not a regular
 * file, and not replaced).
 */
int flash_lock_open_name(int dfd, const char *name, int writer)
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
		if (!writer || fs_rm_tree_at(dfd, name))
			return -EUCLEAN;
	}
	return -EUCLEAN;
}

/* DIR/.lock: flash_lock_open_name() of FLASH_LOCK. */
int flash_lock_open(int dfd, int writer)
{
	return flash_lock_open_name(dfd, FLASH_LOCK, writer);
}

/* Shared lock of DIR/.lock: wait for a writer to finish.  -1: unlocked. */
int flash_lock_shared(int dfd)
{
	struct stat st;
	int fd = openat(dfd, FLASH_LOCK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	if (fd < 0 && errno == ENOENT)
		fd = flash_lock_open(dfd, 0);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_SH)) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}
