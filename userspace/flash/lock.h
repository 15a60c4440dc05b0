/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flash store's lock file DIR/.lock (lock.c), for flash.c; the store's
 * update lock (cli/nextgen.c) is opened the same way (common/lockfile.h).
 */
#ifndef CHIPKEY_FLASH_LOCK_H
#define CHIPKEY_FLASH_LOCK_H

/* DIR/.lock as a regular file, created if missing; a writer (@writer)
 * replaces whatever else was planted there.  The fd, or -errno. */
int flash_lock_open(int dfd, int writer);
/* A shared lock of DIR/.lock, waiting for a writer to finish: the fd, or
 * -1 to read unlocked (no usable lock file). */
int flash_lock_shared(int dfd);

#endif /* CHIPKEY_FLASH_LOCK_H */
