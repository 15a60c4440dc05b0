/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flash store's lock files (lock.c): DIR/.lock for flash.c, and
 * flash_lock_open_name() for the store's update lock (cli/nextgen.c).
 */
#ifndef CHIPKEY_FLASH_LOCK_H
#define CHIPKEY_FLASH_LOCK_H

/* DIR/.lock as a regular file, created if missing; a writer (@writer)
 * replaces whatever else was planted there.  The fd, or -errno. */
int flash_lock_open(int dfd, int writer);
/* The same for the lock file @name in @dfd (STORE/.update.lock): a regular
 * file, never blocking on a FIFO; a writer replaces whatever else is there
 * (else -EUCLEAN).  The fd, or -errno. */
int flash_lock_open_name(int dfd, const char *name, int writer);
/* A shared lock of DIR/.lock, waiting for a writer to finish: the fd, or
 * -1 to read unlocked (no usable lock file). */
int flash_lock_shared(int dfd);

#endif /* CHIPKEY_FLASH_LOCK_H */
