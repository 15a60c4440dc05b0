// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The device flash store: the whole store is switched atomically through one
 * symlink rename, and trusted only if the chip recomputes its manifest's
 * MAC (docs/flash-store.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <chipkey/backup_package.h>
#include "common/file.h"
#include "common/hex.h"
#include "common/lockfile.h"
#include "flash.h"
#include "leftovers.h"
#include "lock.h"
#include "manifest.h"

static unsigned int fault_steps;

unsigned int flash_fault_steps(void)
{
	return fault_steps;
}

/* A step boundary: with -DCK_FLASH_FAULTS, the place a power cut may hit. */
static void step(void)
{
	fs_fault_step(&fault_steps, "CHIPKEY_FLASH_KILL_AT");
}

/* Create @name in @dirfd (must not exist), write, fsync. */
static int create_file(int dirfd, const char *name, const void *buf,
		       size_t len, unsigned int mode)
{
	int fd, err;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	step();
	err = ck_file_write_all(fd, buf, len);
	step();
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	step();
	return err;
}

/* SHA-256 of @buf into @out. */
static void sha256(const void *buf, size_t len, uint8_t out[FLASH_MANIFEST_SHA_LEN])
{
	unsigned int n = FLASH_MANIFEST_SHA_LEN;

	EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
}

static int rand_id(char out[17])
{
	uint8_t r[8];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	ck_hex_encode(r, sizeof(r), out);
	return 0;
}

/* Point DIR/@name at @target via a temporary symlink and rename. */
static int symlink_replace(int dfd, const char *target, const char *name,
			   const char *id)
{
	char tmp[96], cur[128];
	ssize_t n;
	int not_link;

	n = readlinkat(dfd, name, cur, sizeof(cur) - 1);
	not_link = n < 0 && errno == EINVAL;
	if (n >= 0) {
		cur[n] = 0;
		if (!strcmp(cur, target))
			return 0;
	}
	snprintf(tmp, sizeof(tmp), ".%s.tmp-%s", name, id);
	unlinkat(dfd, tmp, 0);
	if (symlinkat(target, dfd, tmp))
		return -errno;
	step();
	if (not_link) {
		/* @name is there but not a symbolic link (a directory planted
		 * in the flash: a symlink cannot be renamed over it): moved
		 * aside under a temporary name, removed with the leftovers */
		char junk[96];

		snprintf(junk, sizeof(junk), ".%s.tmp-junk-%s", name, id);
		if (renameat(dfd, name, dfd, junk)) {
			int err = -errno;

			unlinkat(dfd, tmp, 0);
			return err;
		}
	}
	if (renameat(dfd, tmp, dfd, name)) {
		int err = -errno;

		unlinkat(dfd, tmp, 0);
		return err;
	}
	step();
	return 0;
}

static int check_mac(struct chipkey *chip, const struct flash_manifest *m,
		     struct flash_store *s);
static int valid_target(const char *t);

/* The rollback floor of the store current in @dfd (flash_store_floor)
 * into *@floor: its generation if @chip authenticates its manifest, else
 * 0 (no store, another chip's, a manifest that is not this chip's MAC).
 * Read by the writer under its exclusive lock, so without the reader's
 * shared one.  0, or the chip's -errno when it cannot answer (the check
 * fails closed, as the recovery's first read of the floor does). */
static int current_floor(int dfd, struct chipkey *chip, uint64_t *floor)
{
	struct flash_store s;
	struct flash_manifest m;
	uint8_t *man = NULL;
	size_t len = 0;
	ssize_t n;
	int sfd, err = 0;

	*floor = 0;
	memset(&s, 0, sizeof(s));
	n = readlinkat(dfd, FLASH_CURRENT, s.target, sizeof(s.target) - 1);
	if (n <= 0)
		return 0;
	s.target[n] = 0;
	if (!valid_target(s.target))
		return 0;
	sfd = openat(dfd, s.target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return 0;
	if (!ck_file_read_at(sfd, FLASH_MANIFEST, FLASH_MANIFEST_MAX, &man, &len) &&
	    !flash_manifest_decode((const char *)man, len, &m)) {
		err = check_mac(chip, &m, &s);
		if (!err)
			*floor = m.generation;
		else if (err == -EXDEV || err == -ENOKEY || err == -EUCLEAN)
			err = 0;	/* no floor, as for the reader */
	}
	free(man);
	close(sfd);
	return err;
}

int flash_write_store(const char *dir, const struct flash_contents *c)
{
	static const char *const links[] = { FLASH_BACKUP, FLASH_CERT,
					     FLASH_IDENTITY, FLASH_MANIFEST };
	char id[17], newdir[32], final[64], man[FLASH_MANIFEST_MAX], idl[32];
	char link[64];
	struct flash_manifest m;
	int dfd, lfd = -1, nfd = -1, err, n;
	size_t i;

	if (!c->chip || !c->identity || strlen(c->identity) != FLASH_MANIFEST_ID_LEN ||
	    !c->backup || !c->cert)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.format = FLASH_MANIFEST_FORMAT;
	memcpy(m.chip_id, c->chip_id, sizeof(m.chip_id));
	memcpy(m.identity, c->identity, sizeof(m.identity));
	m.generation = c->generation;
	snprintf(idl, sizeof(idl), "%s\n", c->identity);
	m.file[FLASH_MF_BACKUP].size = c->backup_len;
	sha256(c->backup, c->backup_len, m.file[FLASH_MF_BACKUP].sha256);
	m.file[FLASH_MF_CERT].size = c->cert_len;
	sha256(c->cert, c->cert_len, m.file[FLASH_MF_CERT].sha256);
	m.file[FLASH_MF_IDENTITY].size = strlen(idl);
	sha256(idl, strlen(idl), m.file[FLASH_MF_IDENTITY].sha256);
	err = flash_manifest_sign(c->chip, &m);
	if (err)
		return err == -EXDEV ? -EINVAL : err;
	n = flash_manifest_encode(&m, man, sizeof(man));
	if (n < 0)
		return n;

	err = flash_dir_make(dir);
	if (err)
		return err;
	dfd = flash_dir_open(dir);
	if (dfd < 0)
		return dfd;
	lfd = flash_lock_open(dfd, 1);
	err = lfd < 0 ? lfd : ck_lockfile_wait(lfd, LOCK_EX, NULL);
	if (err)
		goto out;
	/* 0. the floor again, now that no other writer can move it: a writer
	 * that read it long ago (a recovery whose backup came late) must not
	 * replace a later generation another writer stored meanwhile */
	if (!c->below_floor) {
		uint64_t floor;

		err = current_floor(dfd, c->chip, &floor);
		if (!err && (floor > c->generation || (c->must_advance && floor >= c->generation)))
			err = -ESTALE;
		if (err)
			goto out;
	}
	err = rand_id(id);
	if (err)
		goto out;

	/* 1. the new store, complete, in a directory nobody reads */
	snprintf(newdir, sizeof(newdir), ".new-%s", id);
	snprintf(final, sizeof(final), "store-%llu-%s", (unsigned long long)m.generation, id);
	if (mkdirat(dfd, newdir, 0755)) {
		err = -errno;
		goto out;
	}
	step();
	nfd = openat(dfd, newdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (nfd < 0) {
		err = -errno;
		goto fail;
	}
	err = create_file(nfd, FLASH_BACKUP, c->backup, c->backup_len, 0644);
	if (!err)
		err = create_file(nfd, FLASH_CERT, c->cert, c->cert_len, 0644);
	if (!err)
		err = create_file(nfd, FLASH_IDENTITY, idl, strlen(idl), 0644);
	if (!err)
		err = create_file(nfd, FLASH_MANIFEST, man, (size_t)n, 0644);
	if (!err && fsync(nfd))
		err = -errno;
	if (err)
		goto fail;
	step();
	/* 2. give it its final name (still not current) */
	if (renameat(dfd, newdir, dfd, final)) {
		err = -errno;
		goto fail;
	}
	step();
	if (fsync(dfd)) {
		err = -errno;
		goto fail_final;
	}
	step();
	/* 3. the commit point: one rename of a symlink */
	err = symlink_replace(dfd, final, FLASH_CURRENT, id);
	if (err)
		goto fail_final;
	if (fsync(dfd)) {
		/* current may or may not point at the new store: keep both */
		err = -errno;
		goto out;
	}
	step();
	/* 4. convenience links (stable: they go through current) */
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(link, sizeof(link), FLASH_CURRENT "/%s", links[i]);
		symlink_replace(dfd, link, links[i], id);
	}
	/* 5. the old store and any leftovers of interrupted writes */
	flash_remove_leftovers(dfd, final, c->chip_id);
	step();
	fsync(dfd);
	step();
	err = 0;
	goto out;

fail_final:
	fs_rm_tree_at(dfd, final);
	goto out;
fail:
	fs_rm_tree_at(dfd, newdir);
out:
	if (nfd >= 0)
		close(nfd);
	if (lfd >= 0)
		close(lfd);
	close(dfd);
	return err;
}

/* The reason, with what the flash holds (a symlink's target) made
 * printable: it goes to logs and terminals as it is. */
static int corrupt(struct flash_store *s, const char *fmt, const char *arg)
{
	snprintf(s->why, sizeof(s->why), fmt, arg);
	for (char *p = s->why; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return -EUCLEAN;
}

/* @t is a well-formed store-<gen>-<16 hex> name (the <gen> is not trusted). */
static int valid_target(const char *t)
{
	unsigned long long gen;
	char idpart[32];
	int n = 0;

	if (strchr(t, '/') || sscanf(t, "store-%llu-%16[0-9a-f]%n", &gen, idpart, &n) != 2 ||
	    (size_t)n != strlen(t) || strlen(idpart) != 16)
		return 0;
	return 1;
}

uint64_t flash_store_floor(const struct flash_store *s)
{
	return s->authenticated ? s->generation : 0;
}

/* The manifest's MAC, checked by @chip: 0, -EXDEV (another chip's), -ENOKEY
 * (no chip), or a reason in s->why and -EUCLEAN or the chip's -errno. */
static int check_mac(struct chipkey *chip, const struct flash_manifest *m,
		     struct flash_store *s)
{
	int err;

	if (m->format != FLASH_MANIFEST_FORMAT)
		return corrupt(s, "manifest has no chip MAC (format 2, written before the MAC): not trusted%s", "");
	if (!chip)
		return -ENOKEY;
	err = flash_manifest_verify(chip, m);
	if (err == -EBADMSG)
		return corrupt(s, "manifest MAC does not verify on this chip (edited or forged)%s", "");
	if (err && err != -EXDEV)
		snprintf(s->why, sizeof(s->why), "cannot check the manifest MAC: %s",
			 strerror(-err));
	s->authenticated = !err;
	return err;
}

int flash_read_store(const char *dir, struct chipkey *chip, struct flash_store *s)
{
	static const size_t max[FLASH_MF_FILES] = {
		[FLASH_MF_BACKUP] = FLASH_MAX_BACKUP,
		[FLASH_MF_CERT] = FLASH_MAX_CERT,
		[FLASH_MF_IDENTITY] = 64,
	};
	struct flash_manifest m;
	struct ck_pkg_header h;
	unsigned long long lgen = 0;
	char idpart[32];
	uint8_t *man = NULL, *buf[FLASH_MF_FILES] = { NULL }, sha[FLASH_MANIFEST_SHA_LEN];
	size_t manlen = 0, len[FLASH_MF_FILES] = { 0 };
	char idl[32];
	struct stat st;
	int dfd, sfd = -1, lfd, err, i, macerr;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	dfd = flash_dir_open(dir);
	if (dfd < 0) {
		err = dfd;
		if (err == -ENOENT)
			snprintf(s->why, sizeof(s->why), "%s does not exist", dir);
		else if (err == -ELOOP || err == -ENOTDIR || err == -EINVAL)
			err = corrupt(s, "%s is not a directory (a symlink or a file in its place; the store path must name the directory itself)",
				      dir);
		return err;
	}
	lfd = flash_lock_shared(dfd);
	n = readlinkat(dfd, FLASH_CURRENT, s->target, sizeof(s->target) - 1);
	if (n < 0) {
		err = -errno;
		if (err == -ENOENT) {
			if (!fstatat(dfd, FLASH_MANIFEST, &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISREG(st.st_mode))
				err = corrupt(s, "%s: old flat layout (format 1), not trusted", dir);
			else
				snprintf(s->why, sizeof(s->why), "no store in %s", dir);
		} else if (err == -EINVAL) {
			err = corrupt(s, "%s/current is not a symlink", dir);
		}
		goto out;
	}
	s->target[n] = 0;
	if (!valid_target(s->target)) {
		err = corrupt(s, "current points at an unexpected name '%s'", s->target);
		goto out;
	}
	sfd = openat(dfd, s->target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		err = corrupt(s, "current points at a missing store '%s'", s->target);
		goto out;
	}
	err = ck_file_read_at(sfd, FLASH_MANIFEST, FLASH_MANIFEST_MAX, &man, &manlen);
	if (err) {
		err = corrupt(s, "manifest: %s", strerror(-err));
		goto out;
	}
	err = flash_manifest_decode((const char *)man, manlen, &m);
	if (err) {
		err = corrupt(s, "manifest is %s", err == -EPROTO ?
			      "of an unknown format" : "malformed");
		goto out;
	}
	s->manifest_ok = 1;
	memcpy(s->chip_id, m.chip_id, sizeof(s->chip_id));
	memcpy(s->identity, m.identity, sizeof(s->identity));
	s->generation = m.generation;
	/* the MAC first: nothing else in the store is trusted without it */
	macerr = check_mac(chip, &m, s);
	if (macerr && macerr != -EXDEV && macerr != -ENOKEY) {
		err = macerr;
		goto out;
	}
	sscanf(s->target, "store-%llu-%16s", &lgen, idpart);
	if (m.generation != lgen) {
		err = corrupt(s, "manifest generation differs from the store name%s", "");
		goto out;
	}
	for (i = 0; i < FLASH_MF_FILES; i++) {
		const char *name = flash_manifest_names[i];

		err = ck_file_read_at(sfd, name, max[i], &buf[i], &len[i]);
		if (err) {
			err = corrupt(s, "%s: missing or unreadable", name);
			goto out;
		}
		sha256(buf[i], len[i], sha);
		if (len[i] != m.file[i].size || memcmp(sha, m.file[i].sha256, sizeof(sha))) {
			err = corrupt(s, "%s: size or SHA-256 differs from the manifest", name);
			goto out;
		}
	}
	snprintf(idl, sizeof(idl), "%s\n", m.identity);
	if (len[FLASH_MF_IDENTITY] != strlen(idl) ||
	    memcmp(buf[FLASH_MF_IDENTITY], idl, strlen(idl))) {
		err = corrupt(s, "identity file differs from the manifest%s", "");
		goto out;
	}
	if (ck_pkg_header_parse(buf[FLASH_MF_BACKUP], len[FLASH_MF_BACKUP], &h)) {
		err = corrupt(s, "backup.pkg is not a backup package%s", "");
		goto out;
	}
	if (memcmp(h.chip_id, s->chip_id, sizeof(s->chip_id)) || h.generation != s->generation) {
		err = corrupt(s, "backup.pkg header (chip ID, generation) differs from the manifest%s", "");
		goto out;
	}
	if (macerr == -EXDEV) {
		err = -EXDEV;
		snprintf(s->why, sizeof(s->why), "the store names another chip: its manifest MAC cannot be checked on this chip");
		goto out;
	}
	s->backup = buf[FLASH_MF_BACKUP];
	s->backup_len = len[FLASH_MF_BACKUP];
	s->cert = buf[FLASH_MF_CERT];
	s->cert_len = len[FLASH_MF_CERT];
	buf[FLASH_MF_BACKUP] = buf[FLASH_MF_CERT] = NULL;
	err = macerr;	/* 0, or -ENOKEY: consistent but not checked */
out:
	for (i = 0; i < FLASH_MF_FILES; i++)
		free(buf[i]);
	free(man);
	if (sfd >= 0)
		close(sfd);
	if (lfd >= 0)
		close(lfd);
	close(dfd);
	return err;
}

void flash_store_release(struct flash_store *s)
{
	free(s->backup);
	free(s->cert);
	s->backup = s->cert = NULL;
}
