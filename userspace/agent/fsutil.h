/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Directory helpers shared by the flash store (flash.c) and the recovery
 * keys directory (userspace/recovery/keys.c).
 */
#ifndef CHIPKEY_FSUTIL_H
#define CHIPKEY_FSUTIL_H

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>

/* Remove @name in @dfd, a file or a whole directory tree (symlinks are
 * removed, never followed).  0 or -errno of the last step. */
int fs_rm_tree_at(int dfd, const char *name);

/* The directory @dfd, opened again for readdir() (closedir() it), or NULL. */
DIR *fs_opendir_at(int dfd);

/*
 * A step boundary of a crash-safe write: counts it in @steps and, in a
 * build with -DCK_FLASH_FAULTS (power-loss tests), raises SIGKILL at the
 * step number given in the environment variable @env.
 */
static inline void fs_fault_step(unsigned int *steps, const char *env)
{
	++*steps;
#ifdef CK_FLASH_FAULTS
	{
		const char *s = getenv(env);

		if (s && strtoul(s, NULL, 10) == *steps)
			raise(SIGKILL);
	}
#else
	(void)env;
#endif
}

#endif
