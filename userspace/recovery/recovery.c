// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey recovery procedure (docs/recovery.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <chipkey/backup_package.h>
#include "flash.h"
#include "pki.h"
#include "pubdb_client.h"
#include "recovery.h"
#include "rec_http.h"

/* Largest response accepted from the database. */
#define REC_MAX_RESPONSE	(PUBDB_MAX_BACKUP + 2 * PUBDB_MAX_CERT + 4096)

static int fail(struct rec_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct rec_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return code;
}

static void note(struct rec_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct rec_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->verbose)
		return;
	fprintf(stderr, "%s: ", ctx->prog ? ctx->prog : "chipkey");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = 0;
}

int rec_exit_for_chip_err(int err)
{
	switch (err) {
	case -ENOENT: case -ENODEV: case -ENXIO: case -ECONNREFUSED:
	case -ENOTTY: case -EPROTO: case -ENOTSOCK:
		return REC_NODEV;
	case -EPERM: case -EACCES:
		return REC_PERM;
	case -ENOKEY:
		return REC_NOT_OURS;
	case -EBADMSG:
		return REC_TAMPERED;
	case -EINVAL:
		return REC_MALFORMED;
	case -EMSGSIZE: case -EFBIG:
		return REC_TOO_LARGE;
	default:
		return REC_OTHER;
	}
}

const char *rec_exit_name(int code)
{
	static const char *const n[] = {
		"ok", "usage", "no-device", "permission", "not-ours", "tampered",
		"malformed", "too-large", "other", "not-found", "network",
		"bad-certificate", "identity-mismatch", "rollback", "store-write",
		"store-corrupt", "no-store", "keys", "other-chip-store",
	};

	return code >= 0 && (size_t)code < sizeof(n) / sizeof(n[0]) ? n[code] : "?";
}

int rec_open(struct rec_ctx *ctx, const char *device)
{
	struct chipkey_info info;
	int err;

	ctx->rom_len = sizeof(ctx->rom);
	err = chipkey_open(device, &ctx->ck);
	if (!err)
		err = chipkey_get_info(ctx->ck, &info);
	if (!err)
		err = chipkey_get_rom_key(ctx->ck, ctx->rom, &ctx->rom_len);
	if (err) {
		if (ctx->ck)
			chipkey_close(ctx->ck);
		ctx->ck = NULL;
		return fail(ctx, REC_NODEV, "%s: %s", device ? device : "(default device)",
			    chipkey_strerror(err));
	}
	memcpy(ctx->chip_id, info.chip_id, sizeof(ctx->chip_id));
	to_hex(ctx->chip_id, sizeof(ctx->chip_id), ctx->chip_hex);
	return REC_OK;
}

void rec_close(struct rec_ctx *ctx)
{
	if (ctx->ck)
		chipkey_close(ctx->ck);
	ctx->ck = NULL;
	OPENSSL_cleanse(ctx->rom, sizeof(ctx->rom));
}

const char *rec_db_url(const char *arg)
{
	static char line[512];
	const char *p = arg;
	FILE *f;

	if (p && *p)
		return p;
	p = getenv(REC_DB_ENV);
	if (p && *p)
		return p;
	p = getenv(REC_CONF_ENV);
	f = fopen(p && *p ? p : REC_DEFAULT_CONF, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		line[strcspn(line, "\r\n")] = 0;
		if (strncmp(line, REC_DB_ENV "=", strlen(REC_DB_ENV) + 1))
			continue;
		v = line + strlen(REC_DB_ENV) + 1;
		if (*v == '"' || *v == '\'') {
			size_t l = strlen(v);

			if (l >= 2 && v[l - 1] == v[0]) {
				v[l - 1] = 0;
				v++;
			}
		}
		fclose(f);
		return *v ? v : NULL;
	}
	fclose(f);
	return NULL;
}

/* ---- verification ---- */

static int check_cert(struct rec_ctx *ctx, const uint8_t *der, size_t len,
		      const char *identity, const char *what)
{
	char cid[CK_DP_DEVICE_ID_LEN + 1], chex[33];
	uint8_t cchip[CHIPKEY_CHIP_ID_LEN];
	X509 *cert = pki_cert_from_der(der, len);
	int err, code = REC_OK;

	if (!cert)
		return fail(ctx, REC_MALFORMED, "%s is not a DER X.509 certificate", what);
	/*
	 * No validity-period check: a recovery restores what the manufacturer
	 * issued to this chip, and a device certificate does not expire for
	 * that purpose.  Devices without a real-time clock boot at 1970 and
	 * could never load their keys otherwise (docs/recovery.md).
	 */
	err = pki_verify_device_cert(cert, ctx->rom, ctx->rom_len, NULL, NULL, PKI_TIME_IGNORE);
	if (err)
		code = fail(ctx, REC_BAD_CERT,
			    "%s is not a device certificate signed by the manufacturer key in ROM (%s)",
			    what, strerror(-err));
	else if (pki_cert_chip_id(cert, cchip))
		code = fail(ctx, REC_BAD_CERT, "%s names no chip ID", what);
	else if (memcmp(cchip, ctx->chip_id, sizeof(cchip))) {
		to_hex(cchip, sizeof(cchip), chex);
		code = fail(ctx, REC_BAD_CERT, "%s names chip %s, this chip is %s",
			    what, chex, ctx->chip_hex);
	} else if (pki_cert_device_identity(cert, cid))
		code = fail(ctx, REC_BAD_CERT, "%s names no valid device identity", what);
	else if (strcmp(cid, identity))
		code = fail(ctx, REC_IDENTITY,
			    "%s names identity %s but the backup package holds identity %s: refusing to change the device identity",
			    what, cid, identity);
	X509_free(cert);
	return code;
}

int rec_verify(struct rec_ctx *ctx, const uint8_t *backup, size_t backup_len,
	       const uint8_t *cert, size_t cert_len, const char *want_identity,
	       struct ck_dp **dpp, char identity[CK_DP_DEVICE_ID_LEN + 1],
	       uint64_t *generation)
{
	struct ck_pkg_header h;
	uint8_t *plain = NULL, dchip[CHIPKEY_CHIP_ID_LEN];
	size_t plen = CHIPKEY_MAX_PAYLOAD;
	struct ck_dp *dp = NULL;
	const uint8_t *inner;
	size_t inner_len;
	char hx[33];
	uint64_t gen = 0;
	int err, code;

	*dpp = NULL;
	/* 1. the backup code */
	if (!ck_pkg_has_magic(backup, backup_len))
		return fail(ctx, REC_MALFORMED, "not a backup package (no backup code " CK_PKG_MAGIC ")");
	err = ck_pkg_header_parse(backup, backup_len, &h);
	if (err)
		return fail(ctx, err == -EMSGSIZE ? REC_TOO_LARGE : REC_MALFORMED,
			    "malformed backup package header");
	/* 2. whose it is, before any decryption */
	if (memcmp(h.chip_id, ctx->chip_id, sizeof(h.chip_id))) {
		to_hex(h.chip_id, sizeof(h.chip_id), hx);
		return fail(ctx, REC_NOT_OURS, "the backup belongs to chip %s, this chip is %s",
			    hx, ctx->chip_hex);
	}
	/* 3. unwrap through the chip */
	plain = malloc(plen);
	if (!plain)
		return fail(ctx, REC_OTHER, "out of memory");
	err = chipkey_unwrap(ctx->ck, backup, backup_len, plain, &plen, &gen);
	if (err) {
		code = rec_exit_for_chip_err(err);
		fail(ctx, code, "unwrap: %s%s", chipkey_strerror(err),
		     code == REC_TAMPERED ? " (the backup package was modified)" : "");
		goto out;
	}
	note(ctx, "backup generation %llu unwrapped on chip %s", (unsigned long long)gen,
	     ctx->chip_hex);
	/* 4. the data package */
	err = ck_dp_decode(plain, plen, &dp);
	if (err) {
		code = fail(ctx, REC_MALFORMED, "the unwrapped data package is malformed");
		goto out;
	}
	if (ck_dp_chip_id(dp, dchip) || memcmp(dchip, ctx->chip_id, sizeof(dchip))) {
		code = fail(ctx, REC_NOT_OURS, "the data package names another chip");
		goto out;
	}
	ck_dp_device_id(dp, identity);
	if (want_identity && strcmp(want_identity, identity)) {
		code = fail(ctx, REC_IDENTITY,
			    "the record claims identity %s but the backup package holds identity %s",
			    want_identity, identity);
		goto out;
	}
	/* 5. certificates: the one given and the one inside the package */
	if (ck_dp_get(dp, CK_DP_DEVICE_CERT, &inner, &inner_len)) {
		inner = NULL;
		inner_len = 0;
	}
	if (!cert) {
		if (!inner) {
			code = fail(ctx, REC_BAD_CERT, "no device certificate (none given, none in the package)");
			goto out;
		}
		cert = inner;
		cert_len = inner_len;
	}
	code = check_cert(ctx, cert, cert_len, identity, "the device certificate");
	if (code)
		goto out;
	if (inner && (inner_len != cert_len || memcmp(inner, cert, cert_len))) {
		code = check_cert(ctx, inner, inner_len, identity,
				  "the certificate inside the package");
		if (code)
			goto out;
	}
	*dpp = dp;
	dp = NULL;
	*generation = gen;
	code = REC_OK;
out:
	ck_dp_free(dp);
	OPENSSL_cleanse(plain, CHIPKEY_MAX_PAYLOAD);
	free(plain);
	return code;
}

/* ---- sources: archive file or database ---- */

struct candidate {
	uint8_t *buf;		/* owns the bytes below */
	size_t len;
	const uint8_t *backup, *cert;
	size_t backup_len, cert_len;
	char identity[CK_DP_DEVICE_ID_LEN + 1];	/* "" if unknown */
	uint64_t generation;
};

static int parse_candidate(struct rec_ctx *ctx, struct candidate *c, const char *what)
{
	struct pubdb_record r;
	char err[256], hx[33];

	if (c->len >= 4 && !memcmp(c->buf, PUBDB_MAGIC, 4)) {
		if (pubdb_record_parse(c->buf, c->len, &r, err, sizeof(err)))
			return fail(ctx, REC_MALFORMED, "%s: malformed record: %s", what, err);
		if (memcmp(r.chip_id, ctx->chip_id, sizeof(r.chip_id))) {
			to_hex(r.chip_id, sizeof(r.chip_id), hx);
			return fail(ctx, REC_NOT_OURS,
				    "%s: the record is for chip %s, this chip is %s", what, hx,
				    ctx->chip_hex);
		}
		c->backup = r.backup;
		c->backup_len = r.backup_len;
		c->cert = r.cert_len ? r.cert : NULL;
		c->cert_len = r.cert_len;
		c->generation = r.generation;
		snprintf(c->identity, sizeof(c->identity), "%s", r.identity);
		return REC_OK;
	}
	if (ck_pkg_has_magic(c->buf, c->len)) {
		c->backup = c->buf;
		c->backup_len = c->len;
		return REC_OK;
	}
	return fail(ctx, REC_MALFORMED,
		    "%s: neither a chipkey archive (CKPR record) nor a backup package", what);
}

static int read_file(struct rec_ctx *ctx, const char *path, struct candidate *c)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = REC_MAX_RESPONSE + 1, n;

	if (!f)
		return fail(ctx, errno == ENOENT ? REC_NOT_FOUND : REC_OTHER, "%s: %s",
			    path, strerror(errno));
	c->buf = malloc(cap);
	if (!c->buf) {
		if (f != stdin)
			fclose(f);
		return fail(ctx, REC_OTHER, "out of memory");
	}
	n = fread(c->buf, 1, cap, f);
	if (ferror(f)) {
		if (f != stdin)
			fclose(f);
		return fail(ctx, REC_OTHER, "%s: read error", path);
	}
	if (f != stdin)
		fclose(f);
	if (n == cap)
		return fail(ctx, REC_TOO_LARGE, "%s: too large", path);
	c->len = n;
	return REC_OK;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* GET the latest record, retrying transport errors (including a body cut
 * short of its Content-Length: -EPROTO) and 5xx with exponential backoff
 * until @timeout seconds have passed.  404, other 4xx, 3xx and responses
 * the client does not support (chunked) are final. */
static int fetch(struct rec_ctx *ctx, const char *base, double timeout,
		 struct candidate *c, int *attempts)
{
	char url[1024], last[256] = "no attempt made";
	double deadline = now_s() + timeout, delay = 0.1;
	struct rec_buf m = { 0 };
	size_t bl = strlen(base);

	while (bl && base[bl - 1] == '/')
		bl--;
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		return fail(ctx, REC_USAGE, "database URL must start with http:// or https://: %s", base);
	snprintf(url, sizeof(url), "%.*s/v1/chips/%s/record", (int)bl, base, ctx->chip_hex);
	m.cap = REC_MAX_RESPONSE + 1;
	m.p = malloc(m.cap);
	if (!m.p)
		return fail(ctx, REC_OTHER, "out of memory");
	for (;;) {
		double left = deadline - now_s();
		long st = 0;
		int e;

		(*attempts)++;
		e = rec_http_get(url, (long)(left * 1000), &m, &st, last, sizeof(last));
		if (!e && st == 200) {
			c->buf = m.p;
			c->len = m.len;
			note(ctx, "fetched %zu bytes from %s", m.len, url);
			return REC_OK;
		}
		if (!e && st == 404) {
			free(m.p);
			return fail(ctx, REC_NOT_FOUND, "the public database has no backup for chip %s (%s: HTTP 404)",
				    ctx->chip_hex, url);
		}
		if (e == -EFBIG) {
			free(m.p);
			return fail(ctx, REC_TOO_LARGE, "%s: response too large", url);
		}
		if (e == -EINVAL || e == -ENOPROTOOPT) {
			free(m.p);
			return fail(ctx, REC_USAGE, "%s: %s", url, last);
		}
		if (!e && st >= 400 && st < 500) {
			free(m.p);
			return fail(ctx, REC_OTHER, "%s: HTTP %ld", url, st);
		}
		if (!e && st >= 300 && st < 400) {
			free(m.p);
			return fail(ctx, REC_OTHER, "%s: HTTP %ld: redirects are not followed (configure the final URL)",
				    url, st);
		}
		if (e == -EPROTONOSUPPORT) {
			free(m.p);
			return fail(ctx, REC_OTHER, "%s: %s", url, last);
		}
		if (!e)
			snprintf(last, sizeof(last), "HTTP %ld", st);
		left = deadline - now_s();
		if (left <= 0.001)
			break;
		note(ctx, "%s: %s; retrying in %.1f s", url, last, delay < left ? delay : left);
		sleep_s(delay < left ? delay : left);
		delay = delay * 2 > 5.0 ? 5.0 : delay * 2;
		if (deadline - now_s() <= 0.001)
			break;
	}
	free(m.p);
	return fail(ctx, REC_NETWORK,
		    "the public database at %.*s is unreachable: %s (%d attempts in %.1f s)",
		    (int)bl, base, last, *attempts, timeout);
}

/* ---- the procedure ---- */

int rec_recover(struct rec_ctx *ctx, const struct rec_opts *o,
		struct rec_result *res)
{
	const char *store = o->store_dir ? o->store_dir : REC_DEFAULT_STORE;
	struct candidate c = { 0 };
	struct flash_store old;
	struct flash_contents fc;
	struct ck_dp *dp = NULL;
	const uint8_t *cder;
	size_t clen;
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t gen = 0;
	int code, serr;

	memset(res, 0, sizeof(*res));
	/* what the device holds now (never modified unless we succeed) */
	serr = flash_read_store(store, &old);
	if (!serr && memcmp(old.chip_id, ctx->chip_id, 16)) {
		/* an intact store of another chip: most likely the wrong device */
		char hx[33];

		to_hex(old.chip_id, 16, hx);
		if (!o->force) {
			code = fail(ctx, REC_OTHER_CHIP,
				    "the store in %s is intact and belongs to chip %s, this chip is %s: wrong device? refusing to replace another chip's store (use --force to replace it)",
				    store, hx, ctx->chip_hex);
			goto out;
		}
		note(ctx, "--force: replacing the store of chip %s", hx);
	} else if (!serr) {
		res->old_generation = old.generation;
	} else {
		/*
		 * Not intact.  The floor is what the store still proves: the
		 * manifest's generation if it parses, and in any case the
		 * generation in the names (current -> store-<gen>-<id>, and
		 * the largest store-<gen>-* directory), so that a damaged
		 * manifest does not switch rollback protection off.  Only a
		 * fully wiped flash has no floor.
		 */
		uint64_t nf = flash_store_name_floor(&old);

		if (old.manifest_ok && !memcmp(old.chip_id, ctx->chip_id, 16))
			res->old_generation = old.generation;
		if (nf > res->old_generation)
			res->old_generation = nf;
		if (serr == -EUCLEAN)
			note(ctx, "current store is not trusted: %s", old.why);
		if (res->old_generation)
			note(ctx, "rollback floor: generation %llu", (unsigned long long)res->old_generation);
	}

	/* fetch */
	if (o->from_file) {
		code = read_file(ctx, o->from_file, &c);
		if (!code)
			code = parse_candidate(ctx, &c, o->from_file);
	} else if (o->db_url) {
		code = fetch(ctx, o->db_url, o->timeout > 0 ? o->timeout : REC_DEFAULT_TIMEOUT,
			     &c, &res->attempts);
		if (!code)
			code = parse_candidate(ctx, &c, "database record");
	} else {
		code = fail(ctx, REC_USAGE, "no source: give --from FILE or --db URL (or set "
			    REC_DB_ENV " or " REC_DEFAULT_CONF ")");
	}
	if (code)
		goto out;

	/* rollback protection, before unwrapping anything */
	{
		struct ck_pkg_header h;

		if (ck_pkg_header_parse(c.backup, c.backup_len, &h) == 0) {
			if (c.identity[0] && h.generation != c.generation) {
				code = fail(ctx, REC_MALFORMED,
					    "the record says generation %llu, its backup package %llu",
					    (unsigned long long)c.generation,
					    (unsigned long long)h.generation);
				goto out;
			}
			if (res->old_generation && h.generation < res->old_generation) {
				if (!o->force) {
					code = fail(ctx, REC_ROLLBACK,
						    "the backup is generation %llu but the device last held generation %llu: refusing to roll back (use --force to allow)",
						    (unsigned long long)h.generation,
						    (unsigned long long)res->old_generation);
					goto out;
				}
				note(ctx, "--force: rolling back from generation %llu to %llu",
				     (unsigned long long)res->old_generation,
				     (unsigned long long)h.generation);
			}
		}
	}

	code = rec_verify(ctx, c.backup, c.backup_len, c.cert, c.cert_len,
			  c.identity[0] ? c.identity : NULL, &dp, identity, &gen);
	if (code)
		goto out;
	if (!serr && !memcmp(old.chip_id, ctx->chip_id, 16) && strcmp(old.identity, identity)) {
		code = fail(ctx, REC_IDENTITY,
			    "the store holds identity %s, the backup identity %s: a recovery never changes the device identity",
			    old.identity, identity);
		goto out;
	}

	/* write the store atomically */
	if (!c.cert) {
		ck_dp_get(dp, CK_DP_DEVICE_CERT, &cder, &clen);
	} else {
		cder = c.cert;
		clen = c.cert_len;
	}
	memset(&fc, 0, sizeof(fc));
	memcpy(fc.chip_id, ctx->chip_id, sizeof(fc.chip_id));
	fc.identity = identity;
	fc.generation = gen;
	fc.backup = c.backup;
	fc.backup_len = c.backup_len;
	fc.cert = cder;
	fc.cert_len = clen;
	serr = flash_write_store(store, &fc);
	if (serr) {
		code = fail(ctx, serr == -EACCES || serr == -EPERM ? REC_PERM : REC_STORE_WRITE,
			    "cannot write the store %s: %s (the previous store is unchanged)",
			    store, strerror(-serr));
		goto out;
	}
	note(ctx, "store %s restored: identity %s, generation %llu", store, identity,
	     (unsigned long long)gen);
	snprintf(res->identity, sizeof(res->identity), "%s", identity);
	res->generation = gen;

	/* then make the keys available */
	if (o->keys_dir)
		code = rec_write_keys(ctx, o->keys_dir, dp, gen);
out:
	ck_dp_free(dp);
	free(c.buf);
	flash_store_release(&old);
	return code;
}

static int store_error(struct rec_ctx *ctx, const char *store, int err,
		       struct flash_store *s)
{
	if (err == -ENOENT)
		return fail(ctx, REC_NO_STORE, "no store in %s (not provisioned, or the flash was wiped): run chipkey recover",
			    store);
	if (err == -EUCLEAN)
		return fail(ctx, REC_STORE_CORRUPT, "the store in %s is corrupt and not trusted: %s",
			    store, s->why);
	return fail(ctx, err == -EACCES ? REC_PERM : REC_OTHER, "%s: %s", store, strerror(-err));
}

int rec_load(struct rec_ctx *ctx, const char *store_dir, const char *keys_dir,
	     struct rec_result *res)
{
	const char *store = store_dir ? store_dir : REC_DEFAULT_STORE;
	struct flash_store s;
	struct ck_dp *dp = NULL;
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t gen = 0;
	int code, err;

	memset(res, 0, sizeof(*res));
	err = flash_read_store(store, &s);
	if (err) {
		code = store_error(ctx, store, err, &s);
		flash_store_release(&s);
		return code;
	}
	if (memcmp(s.chip_id, ctx->chip_id, 16)) {
		char hx[33];

		to_hex(s.chip_id, 16, hx);
		code = fail(ctx, REC_OTHER_CHIP,
			    "the store in %s belongs to chip %s, this chip is %s: wrong device (CHIPKEY_DEVICE, --device)? the store is left as it is",
			    store, hx, ctx->chip_hex);
		flash_store_release(&s);
		return code;
	}
	code = rec_verify(ctx, s.backup, s.backup_len, s.cert, s.cert_len, s.identity,
			  &dp, identity, &gen);
	if (code == REC_OK && gen != s.generation)
		code = fail(ctx, REC_STORE_CORRUPT, "store generation differs from the backup");
	if (code == REC_OK) {
		snprintf(res->identity, sizeof(res->identity), "%s", identity);
		res->generation = gen;
		if (keys_dir)
			code = rec_write_keys(ctx, keys_dir, dp, gen);
	} else if (code == REC_NOT_OURS) {
		/* the store names this chip, but its data package does not */
		code = REC_STORE_CORRUPT;
	}
	ck_dp_free(dp);
	flash_store_release(&s);
	return code;
}

int rec_export(struct rec_ctx *ctx, const char *store_dir, const char *file)
{
	const char *store = store_dir ? store_dir : REC_DEFAULT_STORE;
	struct pubdb_fields f;
	struct flash_store s;
	uint8_t *rec = NULL;
	size_t rlen = 0;
	char err[256];
	int code, e;

	e = flash_read_store(store, &s);
	if (e) {
		code = store_error(ctx, store, e, &s);
		flash_store_release(&s);
		return code;
	}
	if (ctx->ck && memcmp(s.chip_id, ctx->chip_id, 16)) {
		flash_store_release(&s);
		return fail(ctx, REC_OTHER_CHIP, "the store in %s belongs to another chip", store);
	}
	memset(&f, 0, sizeof(f));
	memcpy(f.chip_id, s.chip_id, 16);
	f.generation = s.generation;
	f.identity = s.identity;
	f.backup = s.backup;
	f.backup_len = s.backup_len;
	f.cert = s.cert;
	f.cert_len = s.cert_len;
	if (pubdb_record_build(&f, NULL, NULL, &rec, &rlen, err, sizeof(err))) {
		flash_store_release(&s);
		return fail(ctx, REC_OTHER, "cannot build the archive: %s", err);
	}
	flash_store_release(&s);
	code = REC_OK;
	if (!strcmp(file, "-")) {
		if (fwrite(rec, 1, rlen, stdout) != rlen || fflush(stdout))
			code = fail(ctx, REC_OTHER, "stdout: write error");
	} else {
		FILE *o;
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s.tmp", file);
		o = fopen(tmp, "wbx");
		if (!o && errno == EEXIST) {
			remove(tmp);
			o = fopen(tmp, "wbx");
		}
		if (!o) {
			code = fail(ctx, REC_OTHER, "%s: %s", tmp, strerror(errno));
		} else {
			int bad = fwrite(rec, 1, rlen, o) != rlen;

			bad |= fflush(o) != 0;
			bad |= fsync(fileno(o)) != 0;
			bad |= fclose(o) != 0;
			if (bad || rename(tmp, file)) {
				code = fail(ctx, REC_OTHER, "%s: %s", file, strerror(errno));
				remove(tmp);
			}
		}
	}
	free(rec);
	return code;
}
