// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * File helpers (file.h): whole-file reads, atomic writes, directory trees.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/file.h"

int fs_rm_tree_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return unlinkat(dfd, name, 0) ? -errno : 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) && errno == EISDIR)
			fs_rm_tree_at(fd, e->d_name);
	}
	closedir(d);
	return unlinkat(dfd, name, AT_REMOVEDIR) ? -errno : 0;
}

DIR *fs_opendir_at(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0)
		close(fd);
	return d;
}

int ck_file_read(const char *path, uint8_t **buf, size_t *len, size_t max)
{
	int fd = STDIN_FILENO, own = strcmp(path, "-") != 0, ret = 0;
	size_t cap = 4096, got = 0;
	uint8_t *b;

	if (own) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	b = malloc(cap);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (got == cap) {
			uint8_t *nb;

			if (cap > max) /* read max + 1 bytes at most */
				break;
			/* Not realloc(): what was read may be secret, so the
			 * old buffer is wiped before it is freed. */
			nb = malloc(cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			memcpy(nb, b, got);
			OPENSSL_clear_free(b, cap);
			b = nb;
			cap *= 2;
		}
		n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
out:
	if (own)
		close(fd);
	if (ret) {
		OPENSSL_clear_free(b, b ? cap : 0);
		return ret;
	}
	*buf = b;
	*len = got > max ? max + 1 : got;
	return 0;
}

int ck_file_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ck_file_write_atomic(const char *path, const void *buf, size_t len,
			 mode_t mode, int overwrite)
{
	char *tmp, *dcopy;
	int fd, ret;

	if (!strcmp(path, "-")) {
		ret = ck_file_write_all(1, buf, len);
		return ret;
	}
	if (!overwrite && access(path, F_OK) == 0)
		return -EEXIST;
	dcopy = strdup(path);
	if (!dcopy)
		return -ENOMEM;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dcopy),
		     strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		free(dcopy);
		return -ENOMEM;
	}
	free(dcopy);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = ck_file_write_all(fd, buf, len);
	if (!ret && fchmod(fd, mode) < 0)
		ret = -errno;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret) {
		if (overwrite) {
			if (rename(tmp, path) < 0)
				ret = -errno;
		} else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
				     RENAME_NOREPLACE) < 0) {
			ret = -errno;
		}
	}
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

/* Read a regular, not symlinked file whose size fits @max in one buffer;
 * with @secret, refuse one that group or others may read, and wipe what
 * was read on every error path. */
/* secret: 1 a secret (mode checked), 0 not, -1 not and a symlink followed */
static int read_at(int dfd, const char *name, size_t max, int secret, uint8_t **out,
		   size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0, size = 0;
	int fd, err = 0;

	/* A device node planted in place of the file is refused before it is
	 * opened: opening one runs its driver (a watchdog node arms the
	 * watchdog).  Checked again on what is opened (fstat below). */
	if (!fstatat(dfd, name, &st, secret < 0 ? 0 : AT_SYMLINK_NOFOLLOW) &&
	    (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return -EINVAL;
	/* O_NONBLOCK: a FIFO planted in place of the file must not block the
	 * open (it is refused below; regular files ignore the flag) */
	fd = openat(dfd, name, O_RDONLY | (secret < 0 ? 0 : O_NOFOLLOW) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The checks apply to the very file that is read (fstat, not lstat). */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	if (secret > 0 && (st.st_mode & 077)) {
		err = -EPERM;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)r;
	}
	buf[got] = 0;
	*out = buf;
	*len = got;
	buf = NULL;
out:
	if (buf)
		OPENSSL_cleanse(buf, size + 1);
	free(buf);
	close(fd);
	return err;
}

int ck_file_read_at(int dfd, const char *name, size_t max, uint8_t **out, size_t *len)
{
	return read_at(dfd, name, max, 0, out, len);
}

int ck_file_read_regular(const char *path, size_t max, uint8_t **out, size_t *len)
{
	return read_at(AT_FDCWD, path, max, -1, out, len);
}

int ck_file_read_secret_at(int dfd, const char *name, size_t max, uint8_t **out, size_t *len)
{
	return read_at(dfd, name, max, 1, out, len);
}

int ck_file_write_at(int dfd, const char *name, const void *buf, size_t len,
		     unsigned int mode)
{
	char tmp[256];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", name, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	err = ck_file_write_all(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dfd, tmp, dfd, name))
		err = -errno;
	if (err)
		unlinkat(dfd, tmp, 0);
	return err;
}

int ck_file_state_read(const char *dir, const char *name, void *buf, size_t len)
{
	uint8_t *b = NULL;
	size_t got;
	int dfd, err;

	memset(buf, 0, len);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = ck_file_read_at(dfd, name, len, &b, &got);
	close(dfd);
	if (err == -EFBIG || (!err && got != len))
		err = -EBADMSG;
	if (!err)
		memcpy(buf, b, len);
	free(b);
	return err;
}

int ck_file_state_write(const char *dir, const char *name, const void *buf, size_t len)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (dfd < 0)
		return -errno;
	err = ck_file_write_at(dfd, name, buf, len, 0600);
	if (!err && fsync(dfd))
		err = -errno;
	close(dfd);
	return err;
}
