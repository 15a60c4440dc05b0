/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lock files (flock(2)) kept in a directory someone else may have written
 * to: the flash store's .lock and .update.lock, a device's link state
 * (link.lock, counter.lock).  One opener and one wait for all of them
 * (lockfile.c).
 */
#ifndef CHIPKEY_COMMON_LOCKFILE_H
#define CHIPKEY_COMMON_LOCKFILE_H

/*
 * The lock file @name in @dfd: a regular file, created 0600 if missing,
 * opened without following a symlink and without blocking on a FIFO.
 * Whatever else is there (a directory, a symlink, a FIFO, a device) is
 * removed and replaced when @replace, so that it can stop no later lock;
 * without @replace: -EUCLEAN.  A device node is never opened.  The fd, or
 * -errno.
 */
int ck_lockfile_open(int dfd, const char *name, int replace);

/*
 * flock(@fd, @op) (LOCK_EX or LOCK_SH), waiting for the holder.  With
 * @expired NULL it blocks until it has the lock; otherwise it tries every
 * 20 ms until it has it, or until @expired() returns nonzero: -ETIMEDOUT
 * (polled, so that a deadline that passes just before a blocking call
 * cannot be missed).  0, or -errno.
 */
int ck_lockfile_wait(int fd, int op, int (*expired)(void));

#endif /* CHIPKEY_COMMON_LOCKFILE_H */
