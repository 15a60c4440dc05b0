// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Make a device's keys available to applications after boot: a root-only
 * directory on tmpfs (default /run/chipkey).  docs/flash-store.md explains
 * the choice and its threat model.
 *
 *   identity          0644  15 digits + newline
 *   generation        0644  decimal + newline
 *   device-cert.der   0644  device certificate
 *   device-cert.pem   0644  the same, PEM, followed by the issuing CA
 *                           certificate that signed it (a chain file:
 *                           chipkey-pubdb-put --cert, TLS)
 *   mfr-ca.pem        0644  manufacturer CA certificate (if in the package)
 *   device-key.pem    0600  device private key, PKCS#8 PEM (secret)
 *   channel.key       0600  32-byte channel key, raw (secret)
 *   customer-key.pem  0600  customer key, PKCS#8 PEM (secret)    } after
 *   customer-cert.pem 0644  customer certificate                  } chipkey
 *   customer-ca.pem   0644  customer CA certificate               } enroll
 *
 * The directory itself is 0700, so nothing in it is reachable by other
 * users whatever the file modes.  It is replaced as a whole on every write
 * (rec_write_keys): put nothing else in it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/lockfile.h"
#include "common/pem.h"
#include "recovery.h"

static int put_pem(int dfd, const char *name, const char *label,
		   const uint8_t *der, size_t len, unsigned int mode)
{
	char *p;
	size_t n;
	int err = ck_pem_encode(label, der, len, &p, &n);

	if (err)
		return err;
	err = ck_file_write_at(dfd, name, p, n, mode);
	OPENSSL_cleanse(p, n);
	free(p);
	return err;
}

/* device-cert.pem: the device certificate @der, then the issuing CA of
 * @dp if it has one, PEM */
static int put_chain(int dfd, const struct ck_dp *dp, const uint8_t *der, size_t len)
{
	char *p = NULL, *q = NULL, *both;
	size_t n = 0, m = 0;
	const uint8_t *ca;
	size_t ca_len;
	int err = ck_pem_encode("CERTIFICATE", der, len, &p, &n);

	if (!err && !ck_dp_get(dp, CK_DP_ISSUING_CA_CERT, &ca, &ca_len))
		err = ck_pem_encode("CERTIFICATE", ca, ca_len, &q, &m);
	both = err ? NULL : malloc(n + m);
	if (!err && !both)
		err = -ENOMEM;
	if (!err) {
		memcpy(both, p, n);
		if (m)
			memcpy(both + n, q, m);
		err = ck_file_write_at(dfd, "device-cert.pem", both, n + m, 0644);
	}
	free(both);
	free(p);
	free(q);
	return err;
}

/* Fault injection (power-loss tests, -DCK_FLASH_FAULTS):
 * $CHIPKEY_KEYS_KILL_AT=N raises SIGKILL at the N-th step boundary. */
static unsigned int keys_steps;

static void step(void)
{
	fs_fault_step(&keys_steps, "CHIPKEY_KEYS_KILL_AT");
}

/* Remove .<base>.new-* / .<base>.old-* left by an interrupted switch. */
static void remove_leftovers(int pfd, const char *base)
{
	DIR *d = fs_opendir_at(pfd);
	size_t bl = strlen(base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *n = e->d_name;

		if (n[0] == '.' && !strncmp(n + 1, base, bl) &&
		    (!strncmp(n + 1 + bl, ".new-", 5) || !strncmp(n + 1 + bl, ".old-", 5)))
			fs_rm_tree_at(pfd, n);
	}
	closedir(d);
}

/* Write every file of @dp into the empty directory @dfd. */
static int fill(int dfd, const struct ck_dp *dp, uint64_t generation)
{
	const uint8_t *v;
	size_t len;
	char id[CK_DP_DEVICE_ID_LEN + 1], line[32];
	int err = 0;

	/* secrets first, 0600 from creation */
	if (!ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &len))
		err = put_pem(dfd, "device-key.pem", "PRIVATE KEY", v, len, 0600);
	step();
	if (!err && !ck_dp_get(dp, CK_DP_CHANNEL_KEY, &v, &len))
		err = ck_file_write_at(dfd, "channel.key", v, len, 0600);
	step();
	if (!err && !ck_dp_get(dp, CK_DP_DEVICE_CERT, &v, &len)) {
		err = ck_file_write_at(dfd, "device-cert.der", v, len, 0644);
		step();
		if (!err)
			err = put_chain(dfd, dp, v, len);
	}
	step();
	if (!err && !ck_dp_get(dp, CK_DP_MFR_CA_CERT, &v, &len))
		err = put_pem(dfd, "mfr-ca.pem", "CERTIFICATE", v, len, 0644);
	step();
	/* customer credentials (chipkey enroll, docs/enrollment.md) */
	if (!err && !ck_dp_get(dp, CK_DP_CUSTOMER_KEY, &v, &len))
		err = put_pem(dfd, "customer-key.pem", "PRIVATE KEY", v, len, 0600);
	if (!err && !ck_dp_get(dp, CK_DP_CUSTOMER_CERT, &v, &len))
		err = put_pem(dfd, "customer-cert.pem", "CERTIFICATE", v, len, 0644);
	if (!err && !ck_dp_get(dp, CK_DP_CUSTOMER_CA_CERT, &v, &len))
		err = put_pem(dfd, "customer-ca.pem", "CERTIFICATE", v, len, 0644);
	step();
	if (!err && !ck_dp_device_id(dp, id)) {
		snprintf(line, sizeof(line), "%s\n", id);
		err = ck_file_write_at(dfd, "identity", line, strlen(line), 0644);
	}
	step();
	if (!err) {
		snprintf(line, sizeof(line), "%llu\n", (unsigned long long)generation);
		err = ck_file_write_at(dfd, "generation", line, strlen(line), 0644);
	}
	step();
	if (!err && fsync(dfd))
		err = -errno;
	step();
	return err;
}

/*
 * The keys directory is switched as a whole: all files go into a fresh
 * 0700 directory .<base>.new-<id> next to it, which is fsync'd and then
 * exchanged with the current directory in one renameat2(RENAME_EXCHANGE)
 * (or renamed into place when there is none).  A reader, or a crash at any
 * point, sees the complete old directory or the complete new one; files of
 * another generation never survive.  The path stays a real directory, so
 * systemd's RuntimeDirectory= and applications' paths keep working.
 */
int rec_write_keys(struct rec_ctx *ctx, const char *keys_dir,
		   const struct ck_dp *dp, uint64_t generation)
{
	char parent[4096], base[256], tmp[300], rnd[17];
	const char *slash;
	uint8_t r[8];
	struct stat st;
	size_t l = strlen(keys_dir);
	int pfd = -1, tfd = -1, lfd = -1, err = 0, have_old;

	while (l > 1 && keys_dir[l - 1] == '/')
		l--;
	if (!l || l >= sizeof(parent)) {
		snprintf(ctx->msg, sizeof(ctx->msg), "%s: bad keys directory", keys_dir);
		return CK_EXIT_KEYS;
	}
	memcpy(parent, keys_dir, l);
	parent[l] = 0;
	slash = strrchr(parent, '/');
	{
		const char *b = slash ? slash + 1 : parent;
		size_t bl = strlen(b);

		if (bl >= sizeof(base)) {
			snprintf(ctx->msg, sizeof(ctx->msg), "%s: bad keys directory", keys_dir);
			return CK_EXIT_KEYS;
		}
		memcpy(base, b, bl + 1);
	}
	if (slash == parent)
		parent[1] = 0;
	else if (slash)
		parent[slash - parent] = 0;
	else
		snprintf(parent, sizeof(parent), ".");
	if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..")) {
		snprintf(ctx->msg, sizeof(ctx->msg), "%s: bad keys directory", keys_dir);
		return CK_EXIT_KEYS;
	}
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		goto sys;
	/*
	 * One writer at a time (.<base>.keys.lock beside it, held to the
	 * end; a name no store lock can have, should the keys directory be
	 * inside the store):
	 * another writer's directory being filled looks like a leftover of an
	 * interrupted switch, and removing it under that writer left a keys
	 * directory without device-key.pem (a review: two chipkey-load at once).
	 */
	snprintf(tmp, sizeof(tmp), ".%s.keys.lock", base);
	lfd = ck_lockfile_open(pfd, tmp, 1);
	err = lfd < 0 ? lfd : ck_lockfile_wait(lfd, LOCK_EX, NULL);
	if (err) {
		if (lfd >= 0)
			close(lfd);
		close(pfd);
		snprintf(ctx->msg, sizeof(ctx->msg), "%s: cannot lock %s beside it: %s",
			 keys_dir, tmp, strerror(-err));
		return CK_EXIT_KEYS;
	}
	have_old = !fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW);
	if (!have_old && errno != ENOENT)
		goto sys;
	if (have_old && (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())) {
		close(lfd);
		close(pfd);
		snprintf(ctx->msg, sizeof(ctx->msg),
			 "%s: not a directory owned by this user, refusing to put keys there", keys_dir);
		return CK_EXIT_KEYS;
	}
	remove_leftovers(pfd, base);
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		err = -EIO;
		goto out;
	}
	ck_hex_encode(r, sizeof(r), rnd);
	snprintf(tmp, sizeof(tmp), ".%s.new-%s", base, rnd);
	if (mkdirat(pfd, tmp, 0700)) {
		err = -errno;
		goto out;
	}
	step();
	tfd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || fchmod(tfd, 0700)) {
		err = -errno;
		goto fail;
	}
	err = fill(tfd, dp, generation);
	if (err)
		goto fail;
	/* the switch */
	if (!have_old) {
		if (renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE)) {
			err = -errno;
			goto fail;
		}
	} else if (renameat2(pfd, tmp, pfd, base, RENAME_EXCHANGE)) {
		char old[300];

		if (errno != EINVAL && errno != ENOSYS) {
			err = -errno;
			goto fail;
		}
		/* no RENAME_EXCHANGE here: move the old one aside, then the
		 * new one in (never mixed; briefly no directory) */
		snprintf(old, sizeof(old), ".%s.old-%s", base, rnd);
		if (renameat(pfd, base, pfd, old) || (step(), renameat(pfd, tmp, pfd, base))) {
			err = -errno;
			renameat(pfd, old, pfd, base);
			goto fail;
		}
		snprintf(tmp, sizeof(tmp), "%s", old);
	}
	step();
	if (fsync(pfd))
		err = -errno;
	/* tmp now names the old directory (if there was one) */
	fs_rm_tree_at(pfd, tmp);
	step();
	goto out;
fail:
	fs_rm_tree_at(pfd, tmp);
out:
	if (tfd >= 0)
		close(tfd);
	close(lfd);	/* releases the flock */
	close(pfd);
	if (err) {
		snprintf(ctx->msg, sizeof(ctx->msg), "%s: cannot write keys: %s", keys_dir,
			 strerror(-err));
		return CK_EXIT_KEYS;
	}
	return CK_EXIT_OK;
sys:
	err = errno;
	if (lfd >= 0)
		close(lfd);
	if (pfd >= 0)
		close(pfd);
	snprintf(ctx->msg, sizeof(ctx->msg), "%s: %s", keys_dir, strerror(err));
	return CK_EXIT_KEYS;
}
