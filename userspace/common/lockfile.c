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

/* Not a regular file at @name (nothing there: 0). */
static int planted(int dfd, const char *name)
{
	struct stat st;

	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) && !S_ISREG(st.st_mode);
}

/* The regular lock file @name, created if missing: the fd, -EUCLEAN (not a
 * regular file) or -errno. */
static int open_regular(int dfd, const char *name)
{
	struct stat st;
	int fd;

	/* a device node is never opened (that runs its driver: a watchdog
	 * node arms the watchdog); O_NONBLOCK: nor is a FIFO waited on */
	if (planted(dfd, name))
		return -EUCLEAN;
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == ELOOP || errno == EISDIR || errno == ENXIO || errno == ENODEV ||
		       errno == ETXTBSY ? -EUCLEAN : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EUCLEAN;
	}
	return fd;
}

int ck_lockfile_open(int dfd, const char *name, int replace)
{
	int fd = open_regular(dfd, name), err;

	if (fd != -EUCLEAN || !replace)
		return fd;
	/*
	 * Replaced under a lock of the directory, and only if still planted
	 * once it is held: two processes that both saw the plant must not
	 * both replace it, or the second removes the file the first has
	 * locked meanwhile, and both hold "the" lock.  A regular lock file is
	 * never removed, so one opened outside this lock stays the one.
	 */
	while (flock(dfd, LOCK_EX))
		if (errno != EINTR)
			return -errno;
	err = planted(dfd, name) && fs_rm_tree_at(dfd, name) ? -EUCLEAN : 0;
	fd = err ? err : open_regular(dfd, name);
	flock(dfd, LOCK_UN);
	return fd;
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
