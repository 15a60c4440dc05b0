// SPDX-License-Identifier: GPL-2.0
/*
 * The next generation of the data package (nextgen.h), shared by chipkey
 * enroll and chipkey pair / unpair.  The flash store switch is the one
 * commit point (flash_write_store: the old or the whole new generation).
 * Publication: signed by the device with its factory key (the writer the
 * database allows for every generation after the first,
 * docs/pubdb-api.md "Who may write"); the record is built by the one
 * builder, pubdb_record_build_chain() (common/pubdb-cms.c), with the
 * issuing CA as the second certificate.  Repeatable: a 409 whose stored
 * backup is byte for byte ours counts as published.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/crashpoint.h"
#include "common/exit.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/lockfile.h"
#include "common/pubdb-cms.h"
#include "flash/flash.h"
#include "cli.h"
#include "enroll.h"
#include "nextgen.h"

static X509 *dp_cert(const struct ck_dp *dp, uint16_t type)
{
	const uint8_t *v;
	size_t len;

	if (ck_dp_get(dp, type, &v, &len))
		return NULL;
	return d2i_X509(NULL, &v, (long)len);
}

static int publish(const char *prog, const char *db, const struct ck_dp *dp,
		   const uint8_t chip_id[16], const char *identity, uint64_t gen,
		   const uint8_t *backup, size_t backup_len)
{
	struct pubdb_fields f = { .generation = gen, .identity = identity,
				  .backup = backup, .backup_len = backup_len };
	struct enr_http h = { .allow_http = 1 };
	char url[1200], hex[33], err[512];
	uint8_t *rec = NULL;
	size_t rec_len = 0, bl = strlen(db);
	const uint8_t *v;
	size_t len;
	EVP_PKEY *key = NULL;
	X509 *w = dp_cert(dp, CK_DP_DEVICE_CERT), *ca = dp_cert(dp, CK_DP_ISSUING_CA_CERT);
	int rc = CK_EXIT_OTHER;

	memcpy(f.chip_id, chip_id, 16);
	if (!ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &len))
		key = d2i_AutoPrivateKey(NULL, &v, (long)len);
	if (!w || !key || ck_dp_get(dp, CK_DP_DEVICE_CERT, &f.cert, &f.cert_len)) {
		fprintf(stderr, "chipkey: %s: the data package has no factory key and certificate\n", prog);
		goto out;
	}
	if (pubdb_record_build_chain(&f, key, w, ca, &rec, &rec_len, err, sizeof(err))) {
		fprintf(stderr, "chipkey: %s: record: %s\n", prog, err);
		goto out;
	}
	while (bl && db[bl - 1] == '/')
		bl--;
	ck_hex_encode(chip_id, 16, hex);
	snprintf(url, sizeof(url), "%.*s/v1/chips/%s/generations", (int)bl, db, hex);
	h.url = url;
	h.body = rec;
	h.body_len = rec_len;
	h.content_type = "application/cms";
	if (enr_http_do(&h)) {
		fprintf(stderr, "chipkey: %s: public database: %s\n", prog, h.err);
		rc = CK_EXIT_NETWORK;
		goto out;
	}
	if (h.status == 409) {
		/* stored before (a re-run)? then the stored backup is ours */
		enr_http_release(&h);
		snprintf(url, sizeof(url), "%.*s/v1/chips/%s/generations/%" PRIu64 "/backup",
			 (int)bl, db, hex, gen);
		h = (struct enr_http){ .url = url, .allow_http = 1 };
		if (enr_http_do(&h)) {
			/* cannot tell whose it is: not a conflict yet */
			fprintf(stderr, "chipkey: %s: public database: %s\n", prog, h.err);
			rc = CK_EXIT_NETWORK;
			goto out;
		}
		if (h.status == 200 && h.resp_len == backup_len &&
		    !memcmp(h.resp, backup, backup_len)) {
			rc = CK_EXIT_OK;
			goto out;
		}
		fprintf(stderr, "chipkey: %s: the public database holds another generation %"
			PRIu64 "\n", prog, gen);
		rc = CK_EXIT_CONFLICT;
		goto out;
	}
	if (h.status / 100 != 2) {
		fprintf(stderr, "chipkey: %s: public database: HTTP %ld: %.200s\n", prog, h.status,
			h.resp ? h.resp : "");
		rc = h.status == 401 || h.status == 403 ? CK_EXIT_REFUSED : CK_EXIT_OTHER;
		goto out;
	}
	rc = CK_EXIT_OK;
out:
	enr_http_release(&h);
	free(rec);
	EVP_PKEY_free(key);
	X509_free(w);
	X509_free(ca);
	ERR_clear_error();
	return rc;
}

int ck_next_wrap(struct chipkey *ck, const struct ck_dp *dp, uint64_t gen,
		 uint8_t **out, size_t *len)
{
	uint8_t *in = NULL;
	size_t in_len = 0;
	int err = ck_dp_encode(dp, &in, &in_len);

	if (err)
		return err;
	*len = in_len + CHIPKEY_PKG_OVERHEAD;
	*out = malloc(*len);
	err = *out ? chipkey_wrap(ck, in, in_len, gen, *out, len) : -ENOMEM;
	ck_dp_buf_free(in, in_len);
	return err;
}

#define UPDATE_LOCK ".update.lock"

static int fail(const struct ck_next *n, int code, const char *what, const char *why)
{
	fprintf(stderr, "chipkey: %s: %s%s\n", n->prog, what, why);
	return code;
}

/*
 * STORE/.update.lock, exclusive (ck_next_load's comment).  Opened as the
 * flash store's own .lock (ck_lockfile_open): without following a
 * symlink or blocking on a FIFO, and whatever an offline attacker planted
 * there instead of a regular file (a directory, a FIFO, a symlink) is
 * removed and replaced, so it can stop no later change.  An exit code.
 */
static int update_lock(struct ck_next *n)
{
	int dfd, fd, err;

	dfd = flash_dir_open(n->store);
	if (dfd == -ENOENT || dfd == -ELOOP || dfd == -ENOTDIR || dfd == -EINVAL)
		return CK_EXIT_OK;	/* no store, or not a directory (never
					 * followed): flash_read_store says so */
	if (dfd < 0)
		return fail(n, CK_EXIT_OTHER, "the store's update lock: ", strerror(-dfd));
	fd = ck_lockfile_open(dfd, UPDATE_LOCK, 1);
	close(dfd);
	if (fd < 0)
		return fail(n, CK_EXIT_OTHER, "the store's update lock: ",
			    fd == -EUCLEAN ? "not a regular file, and cannot be replaced" :
			    strerror(-fd));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "chipkey: %s: waiting for another change of %s to finish\n",
			n->prog, n->store);
		err = ck_lockfile_wait(fd, LOCK_EX, NULL);
		if (err) {
			close(fd);
			return fail(n, CK_EXIT_OTHER, "the store's update lock: ", strerror(-err));
		}
	}
	n->lock = fd + 1;
	return CK_EXIT_OK;
}

int ck_next_load(struct ck_next *n)
{
	struct flash_store s;
	int err, rc;

	if (!n->read_only && !n->lock) {
		rc = update_lock(n);
		if (rc)
			return rc;
	}
	err = flash_read_store(n->store, n->rc->ck, &s);
	if (err) {
		rc = fail(n, err == -ENOENT ? CK_EXIT_NO_STORE : CK_EXIT_STORE_CORRUPT,
			  "the flash store is not usable: ", s.why);
		flash_store_release(&s);
		return rc;
	}
	rc = rec_verify(n->rc, s.backup, s.backup_len, s.cert, s.cert_len, NULL, &n->dp,
			n->identity, &n->gen);
	if (rc)
		fail(n, rc, "", n->rc->msg);
	n->pkg = s.backup;
	n->pkg_len = s.backup_len;
	s.backup = NULL;
	flash_store_release(&s);
	return rc;
}

static void point(const struct ck_next *n, const char *step)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%s", n->prog, step);
	CK_CRASH_POINT(name);
	(void)name;
}

int ck_next_store(struct ck_next *n)
{
	struct flash_contents fc = { .chip = n->rc->ck, .identity = n->identity,
				     .generation = n->gen + 1 };
	uint8_t *pkg = NULL;
	size_t len = 0;
	int err;

	if ((!ck_dp_u64(n->dp, CK_DP_GENERATION, &(uint64_t){ 0 }) &&
	     ck_dp_set_u64(n->dp, CK_DP_GENERATION, n->gen + 1)) ||
	    ck_next_wrap(n->rc->ck, n->dp, n->gen + 1, &pkg, &len)) {
		free(pkg);
		return fail(n, CK_EXIT_OTHER, "cannot build the next data package", "");
	}
	memcpy(fc.chip_id, n->rc->chip_id, sizeof(fc.chip_id));
	fc.backup = pkg;
	fc.backup_len = len;
	ck_dp_get(n->dp, CK_DP_DEVICE_CERT, &fc.cert, &fc.cert_len);
	fc.must_advance = 1;
	point(n, "store");
	err = flash_write_store(n->store, &fc);
	if (err == -ESTALE) {	/* a recovery stored this generation or a later one */
		free(pkg);
		return fail(n, CK_EXIT_ROLLBACK, "the flash store changed while this ran ",
			    "(another writer, a recovery, stored a generation as new as this one): nothing changed; run it again");
	}
	if (err) {
		free(pkg);
		return fail(n, CK_EXIT_STORE_WRITE, "flash store: ", strerror(-err));
	}
	point(n, "stored");
	free(n->pkg);
	n->pkg = pkg;
	n->pkg_len = len;
	n->gen++;
	return CK_EXIT_OK;
}

int ck_next_finish(struct ck_next *n)
{
	int rc;

	point(n, "publish");
	rc = publish(n->prog, n->db, n->dp, n->rc->chip_id, n->identity, n->gen, n->pkg,
		     n->pkg_len);
	if (rc || !n->keys)
		return rc;
	point(n, "keys");
	rc = rec_write_keys(n->rc, n->keys, n->dp, n->gen);
	if (rc)
		fail(n, rc, "", n->rc->msg);
	return rc;
}

/* Is this store behind the public database (it holds generation
 * n->gen + 1: an older flash image put back, or a recovery from an older
 * backup after the flash was wiped)?  Changing it would bring back what a
 * later generation removed (an unpaired peer, an exclusive flag) and make
 * a second, different generation n->gen + 1.  The database takes no gaps:
 * a later generation means n->gen + 1.  A database that cannot be reached
 * at all is not asked: a warning, and the change goes ahead (a device may
 * change while its database is down and publish later); a resurrection is
 * then caught when it is published (the database holds another
 * n->gen + 1: publish() refuses, CK_EXIT_CONFLICT).  But if @reached (the
 * catch-up's publication just got an answer), or the database answers
 * anything but 200 or 404, it failed closed: CK_EXIT_NETWORK (an attacker
 * who drops or breaks only this question gains nothing).  An exit code. */
int ck_next_behind(const struct ck_next *n, int reached)
{
	struct enr_http h = { .allow_http = 1 };
	size_t bl = strlen(n->db);
	char url[1200], hex[33];
	int rc, asked;

	while (bl && n->db[bl - 1] == '/')
		bl--;
	ck_hex_encode(n->rc->chip_id, 16, hex);
	snprintf(url, sizeof(url), "%.*s/v1/chips/%s/generations/%" PRIu64 "/backup", (int)bl,
		 n->db, hex, n->gen + 1);
	h.url = url;
	asked = !enr_http_do(&h);
	if (!asked && reached) {
		fprintf(stderr, "chipkey: %s: public database: %s: it took the publication but"
			" cannot be asked whether it is ahead: nothing changed\n", n->prog, h.err);
		rc = CK_EXIT_NETWORK;
	} else if (!asked) {
		fprintf(stderr, "chipkey: %s: warning: public database: %s: cannot ask the public"
			" database whether it is ahead; going on\n", n->prog, h.err);
		rc = CK_EXIT_OK;
	} else if (h.status == 404) {
		rc = CK_EXIT_OK;
	} else if (h.status == 200) {
		fprintf(stderr, "chipkey: %s: the public database holds generation %" PRIu64
			", later than this store's %" PRIu64 " (an older flash image or backup):"
			" recover from the database first (chipkey recover --db)\n", n->prog,
			n->gen + 1, n->gen);
		rc = CK_EXIT_ROLLBACK;
	} else {
		fprintf(stderr, "chipkey: %s: public database: HTTP %ld to the question whether"
			" it is ahead: nothing changed\n", n->prog, h.status);
		rc = CK_EXIT_NETWORK;
	}
	enr_http_release(&h);
	return rc;
}

int ck_next_catch_up(struct ck_next *n)
{
	int rc = CK_EXIT_OK;

	if (n->gen > 1)		/* generation 1: the factory's, published by the SPP */
		rc = publish(n->prog, n->db, n->dp, n->rc->chip_id, n->identity, n->gen, n->pkg,
			     n->pkg_len);
	return rc ? rc : ck_next_behind(n, n->gen > 1);
}

int ck_next_commit(struct ck_next *n)
{
	int rc = ck_next_store(n);

	return rc ? rc : ck_next_finish(n);
}

void ck_next_release(struct ck_next *n)
{
	if (n->lock)
		close(n->lock - 1);	/* the update lock goes with it */
	n->lock = 0;
	ck_dp_free(n->dp);
	n->dp = NULL;
	free(n->pkg);
	n->pkg = NULL;
}
