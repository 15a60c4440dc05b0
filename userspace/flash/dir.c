// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The store directory's own entry (docs/flash-store.md, "Layout"): it is in
 * the flash too, so it is never followed.  The path is taken without its
 * trailing slashes (a slash would make open() and lstat() follow a
 * symlink) and must not end in "." or "..".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flash.h"

/* @dir without trailing slashes into @buf: 0, -EINVAL or -ENAMETOOLONG. */
static int entry(const char *dir, char *buf, size_t cap)
{
	size_t n = strlen(dir);
	const char *base;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (!n)
		return -EINVAL;
	if (n >= cap)
		return -ENAMETOOLONG;
	memcpy(buf, dir, n);
	buf[n] = 0;
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	if (!strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL;
	return 0;
}

int flash_dir_open(const char *dir)
{
	char p[PATH_MAX];
	int fd, err = entry(dir, p, sizeof(p));

	if (err)
		return err;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int flash_dir_make(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;
	int err = entry(dir, p, sizeof(p));

	if (err)
		return err;
	if (!lstat(p, &st) && !S_ISDIR(st.st_mode) && unlink(p) && errno != ENOENT)
		return -errno;
	if (mkdir(p, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}
