/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * File helpers: whole-file reads, atomic writes, directory trees.  The one
 * home of file I/O helpers in userspace.
 */
#ifndef CHIPKEY_COMMON_FILE_H
#define CHIPKEY_COMMON_FILE_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/*
 * Read the whole file @path ("-": standard input) into a new buffer
 * (free() it), reading at most @max + 1 bytes: *len > @max means the
 * file is larger than @max.  Intermediate buffers are wiped before they
 * are freed (the file may be secret); wipe the result too if it is.
 * 0 or -errno.
 */
int ck_file_read(const char *path, uint8_t **buf, size_t *len, size_t max);

/* write() all of @buf to @fd, retrying on EINTR.  0 or -errno. */
int ck_file_write_all(int fd, const void *buf, size_t len);

/*
 * Write @path atomically ("-": standard output): a temporary file in the
 * same directory, fchmod @mode, fsync, rename.  Unless @overwrite, an
 * existing @path is never replaced (-EEXIST).  On error @path is left as it
 * was and no temporary file remains.  0 or -errno.
 */
int ck_file_write_atomic(const char *path, const void *buf, size_t len,
			 mode_t mode, int overwrite);

/*
 * Read the regular file @name in the directory @dfd (a symlink is not
 * followed) into a new buffer (free() it) with a NUL after its @len bytes.
 * 0, -EFBIG (larger than @max), -EINVAL (not a regular file) or -errno.
 */
int ck_file_read_at(int dfd, const char *name, size_t max, uint8_t **buf, size_t *len);

/*
 * ck_file_read_at() of a path given by the operator (a symlink is
 * followed): a regular file only, opened without blocking, so a FIFO or a
 * device in its place is refused (-EINVAL) instead of hanging the caller.
 */
int ck_file_read_regular(const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * ck_file_read_at() for a secret: also -EPERM if group or others may read
 * the file (checked on the opened file), and nothing read is left in freed
 * memory on an error.  The caller wipes the buffer (OPENSSL_clear_free).
 */
int ck_file_read_secret_at(int dfd, const char *name, size_t max, uint8_t **out, size_t *len);

/*
 * Write @name in the directory @dfd atomically: a temporary file created
 * with @mode, fsync, rename over @name.  The caller fsyncs @dfd when the
 * name must survive a power cut.  0 or -errno (no temporary file left).
 */
int ck_file_write_at(int dfd, const char *name, const void *buf, size_t len,
		     unsigned int mode);

/*
 * Small fixed-size state files (the link's counters and high-water marks):
 * the regular file @name in the directory @dir (a symlink is not followed)
 * of exactly @len bytes, into @buf.  0; -ENOENT if it does not exist (@buf
 * zeroed: nothing stored yet); -EBADMSG if it has any other size (a
 * damaged state file is never read as zeros); or -errno.
 */
int ck_file_state_read(const char *dir, const char *name, void *buf, size_t len);
/*
 * Store @name in @dir durably: ck_file_write_at() (temporary file 0600,
 * fsync, rename), then fsync of @dir, before it returns.  0 or -errno.
 */
int ck_file_state_write(const char *dir, const char *name, const void *buf, size_t len);

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
#endif /* CK_FLASH_FAULTS */
}

#endif /* CHIPKEY_COMMON_FILE_H */
