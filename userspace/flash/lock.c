// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The flash store's lock file, DIR/.lock (see lock.h): writers take it
 * exclusively, readers shared (flock(2)), through common/lockfile.h like
 * the store's other lock file, STORE/.update.lock (cli/nextgen.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/lockfile.h"
#include "flash.h"
#include "lock.h"

/* DIR/.lock: a writer replaces whatever an offline attacker planted there
 * instead of a regular file (ck_lockfile_open), so it can neither stop
 * every later write nor make recovery create a file elsewhere; a reader
 * just reads unlocked. */
int flash_lock_open(int dfd, int writer)
{
	return ck_lockfile_open(dfd, FLASH_LOCK, writer);
}

/* Shared lock of DIR/.lock: wait for a writer to finish.  -1: unlocked. */
int flash_lock_shared(int dfd)
{
	struct stat st;
	int fd;

	/* not a regular file: read unlocked, without opening it (a device
	 * node's open runs its driver) */
	if (!fstatat(dfd, FLASH_LOCK, &st, AT_SYMLINK_NOFOLLOW) && !S_ISREG(st.st_mode))
		return -1;
	fd = openat(dfd, FLASH_LOCK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	if (fd < 0 && errno == ENOENT)
		fd = flash_lock_open(dfd, 0);
	if (fd < 0)
		return -1;
	if (ck_lockfile_wait(fd, LOCK_SH, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}
