// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The atomic install into A/B slots (docs/software-update.md "Install"):
 *
 *   DIR/state           the commit point (state.c): the active slot, the
 *                       rollback floor, the clock high-water mark
 *   DIR/a/, DIR/b/      a slot: image (the software), licence (its DER)
 *
 * An install only ever writes the slot the state does not name, fsyncs it
 * and the directories, and then replaces the state file (temporary file,
 * fsync, rename, fsync of DIR).  A crash before the rename leaves the old
 * state, which names the untouched old slot; after it, the new state,
 * which names a slot complete on disk.  The new slot is filled as
 * DIR/.incoming and checked before the old inactive slot (the fallback)
 * is removed and .incoming renamed to it.  Crash points (common/crashpoint.h,
 * the -crash test build): update-cleaned, update-image-partial,
 * update-image-written, update-slot-synced, update-slot-renamed,
 * update-state-renamed,
 * update-committed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/crashpoint.h"
#include "common/file.h"
#include "common/pubdb-cms.h"
#include "update/update.h"

#define COPY_CHUNK (1 << 20)

static int open_dir(const char *dir, int create)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

static int read_state_at(int dfd, struct ck_update_state *s)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = ck_file_read_at(dfd, CK_UPDATE_STATE_FILE, CK_UPDATE_STATE_MAX, &buf, &len);

	memset(s, 0, sizeof(*s));
	if (err == -ENOENT)
		return 0;	/* nothing installed yet */
	if (!err && ck_update_state_decode((const char *)buf, len, s))
		err = -EBADMSG;
	free(buf);
	return err == -EFBIG || err == -EINVAL ? -EBADMSG : err;
}

int ck_update_read_state(const char *dir, struct ck_update_state *s)
{
	int dfd = open_dir(dir, 0), err;

	if (dfd == -ENOENT) {
		memset(s, 0, sizeof(*s));
		return 0;
	}
	if (dfd < 0)
		return dfd;
	err = read_state_at(dfd, s);
	close(dfd);
	return err;
}

/* Temporary state files a crashed install left (ck_file_write_at names). */
static void remove_stale_tmp(int dfd)
{
	DIR *d = fs_opendir_at(dfd);
	struct dirent *e;
	static const char pfx[] = "." CK_UPDATE_STATE_FILE ".tmp.";

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, pfx, sizeof(pfx) - 1))
			unlinkat(dfd, e->d_name, 0);
	closedir(d);
}

/* A failed install into a slot directory it created itself leaves none
 * (docs/software-update.md "Checks, in order"): still under the lock, and
 * only if @dir is still the directory @dfd, which rmdir() removes only
 * when empty (.incoming and temporary state files are gone by then). */
static void remove_created(const char *dir, int dfd)
{
	struct stat a, b;

	remove_stale_tmp(dfd);
	if (!fstat(dfd, &a) && !lstat(dir, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		rmdir(dir);
}

/* Copy @in to the new file "image" in @sfd, hashing what is written;
 * -EBADMSG if it is not @l's size and digest. */
static int copy_image(int in, int sfd, const struct ck_licence *l, char *err, size_t errlen)
{
	uint8_t *buf = malloc(COPY_CHUNK), md[CK_LICENCE_DIGEST_LEN];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t total = 0;
	unsigned int mdlen = 0;
	int out = -1, rc = -ENOMEM;
	ssize_t n;

	if (!buf || !ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto done;
	out = openat(sfd, "image", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = pubdb_fail(err, errlen, -errno, "cannot create the image in the slot");
		goto done;
	}
	for (;;) {
		n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pubdb_fail(err, errlen, -errno, "cannot read the image");
			goto done;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > l->image_size) {
			rc = pubdb_fail(err, errlen, -EBADMSG, "the image is larger than the "
					"licence's %llu bytes", (unsigned long long)l->image_size);
			goto done;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			rc = -EIO;
			goto done;
		}
		rc = ck_file_write_all(out, buf, (size_t)n);
		if (rc) {
			pubdb_fail(err, errlen, rc, "cannot write the image into the slot");
			goto done;
		}
		CK_CRASH_POINT("update-image-partial");
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		rc = -EIO;
		goto done;
	}
	if (total != l->image_size || CRYPTO_memcmp(md, l->image_digest, sizeof(md))) {
		rc = pubdb_fail(err, errlen, -EBADMSG, "the image is not the one the licence "
				"names (%s differs)", total != l->image_size ? "size" : "SHA-256");
		goto done;
	}
	rc = fsync(out) ? pubdb_fail(err, errlen, -errno, "cannot fsync the image") : 0;
done:
	if (out >= 0 && close(out) && !rc)
		rc = -errno;
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

/* The slot @name (empty, new) filled with the image and the licence. */
static int fill_slot(int dfd, const char *name, int in, const struct ck_licence *l,
		     const uint8_t *lic, size_t lic_len, char *err, size_t errlen)
{
	int sfd, rc;

	if (mkdirat(dfd, name, 0755) < 0)
		return pubdb_fail(err, errlen, -errno, "cannot create slot %s", name);
	sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0)
		return pubdb_fail(err, errlen, -errno, "cannot open slot %s", name);
	rc = copy_image(in, sfd, l, err, errlen);
	if (!rc) {
		CK_CRASH_POINT("update-image-written");
		rc = ck_file_write_at(sfd, "licence", lic, lic_len, 0644);
		if (rc)
			pubdb_fail(err, errlen, rc, "cannot write the licence into the slot");
	}
	if (!rc && (fsync(sfd) || fsync(dfd)))
		rc = pubdb_fail(err, errlen, -errno, "cannot fsync the slot");
	close(sfd);
	return rc;
}

/* The name the new slot is filled under until it is complete and checked. */
#define INCOMING ".incoming"

/* Everything decided before anything is written: the clock rule against
 * @old's high-water mark, rollback and sequence step, the image's type
 * and size. */
static int precheck(const struct ck_update_state *old, const struct ck_licence *l,
		    time_t clock, int in, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	/* the clock rule (docs/software-update.md "Time") */
	rc = ck_licence_check_time(l, clock, old->high_water, err, errlen);
	if (rc)
		return rc;
	rc = ck_licence_check_rollback(l, old, err, errlen);
	if (rc)
		return rc;
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || lseek(in, 0, SEEK_SET) != 0)
		return pubdb_fail(err, errlen, -EBADMSG, "the image is not a regular file");
	if ((uint64_t)st.st_size != l->image_size)
		return pubdb_fail(err, errlen, -EBADMSG, "the image is %lld bytes, the licence "
				  "names %llu", (long long)st.st_size,
				  (unsigned long long)l->image_size);
	return 0;
}

int ck_update_install(const char *dir, int image_fd, const struct ck_licence *l,
		      const uint8_t *lic, size_t lic_len, time_t clock, char *err,
		      size_t errlen)
{
	struct ck_update_state old, s;
	char text[CK_UPDATE_STATE_MAX], slot[2] = { 0, 0 };
	struct stat st;
	size_t tlen;
	int dfd, rc, created = 0;

	dfd = open_dir(dir, 0);
	if (dfd == -ENOENT) {
		/* nothing installed: check before creating SLOT_DIR */
		memset(&old, 0, sizeof(old));
		rc = precheck(&old, l, clock, image_fd, err, errlen);
		if (rc)
			return rc;
		created = mkdir(dir, 0755) == 0;
		dfd = open_dir(dir, 1);
	}
	if (dfd < 0)
		return pubdb_fail(err, errlen, dfd, "cannot open the slot directory %s", dir);
	if (flock(dfd, LOCK_EX | LOCK_NB) < 0) {
		rc = pubdb_fail(err, errlen, errno == EWOULDBLOCK ? -EBUSY : -errno,
				"another install holds %s", dir);
		created = 0;	/* another install's now: not ours to remove */
		goto out;
	}
	if (!created && fstat(dfd, &st) == 0 && st.st_nlink == 0) {
		/* an install that created it failed and removed it meanwhile */
		rc = pubdb_fail(err, errlen, -EBUSY, "another install removed %s", dir);
		goto out;
	}
	rc = read_state_at(dfd, &old);
	if (rc) {
		pubdb_fail(err, errlen, rc, "the state file %s/%s is %s", dir,
			   CK_UPDATE_STATE_FILE, rc == -EBADMSG ? "corrupt" : "unreadable");
		goto out;
	}
	/* the checks again, against the state read under the lock */
	rc = precheck(&old, l, clock, image_fd, err, errlen);
	if (rc)
		goto out;
	/* what a crashed install left: never the inactive slot, which stays
	 * the fallback until the new image is complete and checked */
	slot[0] = old.slot == 'a' ? 'b' : 'a';
	remove_stale_tmp(dfd);
	rc = fs_rm_tree_at(dfd, INCOMING);
	if (rc && rc != -ENOENT) {
		pubdb_fail(err, errlen, rc, "cannot remove %s/%s", dir, INCOMING);
		goto out;
	}
	CK_CRASH_POINT("update-cleaned");
	rc = fill_slot(dfd, INCOMING, image_fd, l, lic, lic_len, err, errlen);
	if (rc) {
		fs_rm_tree_at(dfd, INCOMING);
		goto out;
	}
	CK_CRASH_POINT("update-slot-synced");
	/* only now the old inactive slot goes, and the new one takes its name */
	rc = fs_rm_tree_at(dfd, slot);
	if (rc && rc != -ENOENT) {
		pubdb_fail(err, errlen, rc, "cannot empty slot %s", slot);
		goto out;
	}
	if (renameat(dfd, INCOMING, dfd, slot) < 0 || fsync(dfd) < 0) {
		rc = pubdb_fail(err, errlen, -errno, "cannot rename %s to slot %s", INCOMING, slot);
		goto out;
	}
	CK_CRASH_POINT("update-slot-renamed");
	s = (struct ck_update_state){
		.slot = slot[0],
		.sequence = l->sequence,
		.high_water = l->not_before > old.high_water ? l->not_before : old.high_water,
		.image_size = l->image_size,
	};
	if (s.high_water < 0)
		s.high_water = 0;
	memcpy(s.image_digest, l->image_digest, sizeof(s.image_digest));
	rc = ck_update_state_encode(&s, text, sizeof(text), &tlen);
	if (!rc)
		rc = ck_file_write_at(dfd, CK_UPDATE_STATE_FILE, text, tlen, 0644);
	if (rc) {
		pubdb_fail(err, errlen, rc, "cannot write the state file");
		goto out;
	}
	CK_CRASH_POINT("update-state-renamed");
	if (fsync(dfd) < 0) {
		rc = pubdb_fail(err, errlen, -errno, "cannot fsync %s", dir);
		goto out;
	}
	CK_CRASH_POINT("update-committed");
out:
	if (rc && created)
		remove_created(dir, dfd);
	close(dfd);
	return rc;
}
