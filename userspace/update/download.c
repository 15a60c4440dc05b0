// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Download directories and an image arriving into one
 * (docs/software-update.md "Download").  A download directory is
 * DIR/download.XXXXXX, mode 0700, flock()ed by the run that owns it for as
 * long as it lives: a run that is killed leaves the directory but not the
 * lock, so the next run (under the slot directory's lock, which the
 * install takes too) can tell what is stale from what another run is
 * still filling.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/file.h"
#include "common/lockfile.h"
#include "common/pubdb-cms.h"
#include "update/update.h"

#define PREFIX "download."

/* The slot directory, created if missing, locked (waiting for an install
 * that holds it; again if that install removed the directory it had
 * created, ck_update_install()). */
static int lock_slot_dir(const char *dir)
{
	struct stat st;
	int fd, err;

	for (;;) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		err = ck_lockfile_wait(fd, LOCK_EX, NULL);
		if (err) {
			close(fd);
			return err;
		}
		if (fstat(fd, &st) < 0 || st.st_nlink > 0)
			return fd;
		close(fd);
	}
}

/* Remove every PREFIX* directory under @pfd that nobody holds locked. */
static int remove_stale(int pfd)
{
	DIR *d = fs_opendir_at(pfd);
	struct dirent *e;
	int n = 0, fd;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, PREFIX, sizeof(PREFIX) - 1))
			continue;
		fd = openat(pfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* locked: a live run's; unlocked: its run is gone */
		if (!flock(fd, LOCK_EX | LOCK_NB) && !fs_rm_tree_at(pfd, e->d_name))
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}

int ck_update_download_dir(const char *slot_dir, const char *parent, char *path,
			   int *lockfd, int *removed, char *err, size_t errlen)
{
	int sfd, pfd, n, rc = 0;

	*lockfd = -1;
	if (snprintf(path, PATH_MAX, "%s/" PREFIX "XXXXXX", parent) >= PATH_MAX)
		return pubdb_fail(err, errlen, -ENAMETOOLONG, "%.200s: name too long", parent);
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		return pubdb_fail(err, errlen, -errno, "cannot create %.300s", parent);
	sfd = lock_slot_dir(slot_dir);
	if (sfd < 0)
		return pubdb_fail(err, errlen, sfd, "cannot lock the slot directory %.300s",
				  slot_dir);
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		rc = pubdb_fail(err, errlen, -errno, "cannot open %.300s", parent);
		goto out;
	}
	n = remove_stale(pfd);
	if (removed)
		*removed = n;
	close(pfd);
	if (!mkdtemp(path)) {
		rc = pubdb_fail(err, errlen, -errno, "cannot create %.300s", path);
		goto out;
	}
	*lockfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX | LOCK_NB) < 0) {
		rc = pubdb_fail(err, errlen, -errno, "cannot lock %.300s", path);
		ck_update_download_dir_remove(path, *lockfd);
		*lockfd = -1;
	}
out:
	close(sfd);	/* the slot directory's lock */
	return rc;
}

void ck_update_download_dir_remove(const char *path, int lockfd)
{
	char parent[PATH_MAX], *slash;
	int pfd;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = 0;
		pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0) {
			fs_rm_tree_at(pfd, slash + 1);
			close(pfd);
		}
	}
	if (lockfd >= 0)
		close(lockfd);
}

int ck_update_download_open(struct ck_update_download *dl, const char *path, uint64_t cap)
{
	memset(dl, 0, sizeof(*dl));
	dl->cap = cap;
	dl->md = EVP_MD_CTX_new();
	if (!dl->md || EVP_DigestInit_ex(dl->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(dl->md);
		dl->md = NULL;
		dl->fd = -1;
		return -ENOMEM;
	}
	dl->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dl->fd < 0) {
		int e = -errno;

		EVP_MD_CTX_free(dl->md);
		dl->md = NULL;
		return e;
	}
	return 0;
}

int ck_update_download_write(struct ck_update_download *dl, const void *buf, size_t n)
{
	if (n > dl->cap - dl->len)
		return -EFBIG;
	if (EVP_DigestUpdate(dl->md, buf, n) != 1)
		return -EIO;
	dl->len += n;
	return ck_file_write_all(dl->fd, buf, n);
}

int ck_update_download_close(struct ck_update_download *dl, const struct ck_licence *l,
			     char *err, size_t errlen)
{
	uint8_t md[CK_LICENCE_DIGEST_LEN];
	int rc = 0;

	if (dl->fd >= 0) {
		if (fsync(dl->fd))
			rc = pubdb_fail(err, errlen, -errno, "cannot fsync the download");
		if (close(dl->fd) && !rc)
			rc = pubdb_fail(err, errlen, -errno, "cannot write the download");
		dl->fd = -1;
	}
	if (!rc && l && (EVP_DigestFinal_ex(dl->md, md, NULL) != 1 || dl->len != l->image_size ||
			 CRYPTO_memcmp(md, l->image_digest, sizeof(md))))
		rc = pubdb_fail(err, errlen, -EBADMSG, "the image downloaded is not the one the "
				"licence names (%s differs)", dl->len != l->image_size ? "size" :
				"SHA-256");
	EVP_MD_CTX_free(dl->md);
	dl->md = NULL;
	return rc;
}
