// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where a backup comes from (docs/recovery.md, "Sources"): an archive file
 * (a public-database record, chipkey backup export) or a raw backup
 * package, or this chip's latest record in the public database, fetched
 * over http.c with retries.  Also where the database URL is configured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <chipkey/backup_package.h>
#include "common/file.h"
#include "common/hex.h"
#include "common/pubdb-record.h"
#include "rec_http.h"
#include "rec_int.h"

/* Largest response (or archive file) accepted. */
#define REC_MAX_RESPONSE	(PUBDB_MAX_BACKUP + 2 * PUBDB_MAX_CERT + 4096)

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

/* c->buf holds a record (CKPR or CMS) or a raw backup package: find the backup. */
static int parse_candidate(struct rec_ctx *ctx, struct rec_candidate *c, const char *what)
{
	struct pubdb_record r;
	char err[256], hx[2 * CHIPKEY_CHIP_ID_LEN + 1];

	/* a record: format 1 ("CKPR") or 2 (CMS, a DER SEQUENCE) */
	if (c->len >= 4 && (!memcmp(c->buf, PUBDB_MAGIC, 4) || c->buf[0] == 0x30)) {
		if (pubdb_record_parse(c->buf, c->len, &r, err, sizeof(err)))
			return rec_fail(ctx, CK_EXIT_MALFORMED, "%s: malformed record: %s",
					what, err);
		if (memcmp(r.chip_id, ctx->chip_id, sizeof(r.chip_id))) {
			ck_hex_encode(r.chip_id, sizeof(r.chip_id), hx);
			return rec_fail(ctx, CK_EXIT_NOT_OURS,
					"%s: the record is for chip %s, this chip is %s", what, hx,
					ctx->chip_hex);
		}
		c->backup = r.backup;
		c->backup_len = r.backup_len;
		c->cert = r.cert_len ? r.cert : NULL;
		c->cert_len = r.cert_len;
		c->generation = r.generation;
		snprintf(c->identity, sizeof(c->identity), "%s", r.identity);
		return CK_EXIT_OK;
	}
	if (ck_pkg_has_magic(c->buf, c->len)) {
		c->backup = c->buf;
		c->backup_len = c->len;
		return CK_EXIT_OK;
	}
	return rec_fail(ctx, CK_EXIT_MALFORMED,
			"%s: neither a chipkey archive (CKPR or CMS record) nor a backup package", what);
}

int rec_source_file(struct rec_ctx *ctx, const char *path, struct rec_candidate *c)
{
	int err = ck_file_read(path, &c->buf, &c->len, REC_MAX_RESPONSE);

	if (err == -ENOMEM)
		return rec_fail(ctx, CK_EXIT_OTHER, "out of memory");
	if (err)
		return rec_fail(ctx, err == -ENOENT ? CK_EXIT_NOT_FOUND : CK_EXIT_OTHER, "%s: %s",
				path, strerror(-err));
	if (c->len > REC_MAX_RESPONSE)
		return rec_fail(ctx, CK_EXIT_TOO_LARGE, "%s: too large", path);
	return parse_candidate(ctx, c, path);
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

/*
 * GET the latest record, retrying transport errors (including a body cut
 * short of its Content-Length: -EPROTO) and 5xx with exponential backoff
 * until @timeout seconds have passed.  404, other 4xx, 3xx and responses
 * the client does not support (chunked) are final.
 */
static int fetch(struct rec_ctx *ctx, const char *base, double timeout,
		 struct rec_candidate *c, int *attempts)
{
	char url[1024], last[256] = "no attempt made";
	double deadline = now_s() + timeout, delay = 0.1;
	struct rec_buf m = { 0 };
	size_t bl = strlen(base);
	int code;

	while (bl && base[bl - 1] == '/')
		bl--;
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		return rec_fail(ctx, CK_EXIT_USAGE,
				"database URL must start with http:// or https://: %s", base);
	snprintf(url, sizeof(url), "%.*s/v1/chips/%s/record", (int)bl, base, ctx->chip_hex);
	m.cap = REC_MAX_RESPONSE + 1;
	m.p = malloc(m.cap);
	if (!m.p)
		return rec_fail(ctx, CK_EXIT_OTHER, "out of memory");
	for (;;) {
		double left = deadline - now_s();
		long st = 0;
		int e;

		(*attempts)++;
		e = rec_http_get(url, (long)(left * 1000), &m, &st, last, sizeof(last));
		if (!e && st == 200) {
			c->buf = m.p;
			c->len = m.len;
			rec_note(ctx, "fetched %zu bytes from %s", m.len, url);
			return CK_EXIT_OK;
		}
		if (!e && st == 404) {
			code = rec_fail(ctx, CK_EXIT_NOT_FOUND,
					"the public database has no backup for chip %s (%s: HTTP 404)",
					ctx->chip_hex, url);
			goto out;
		}
		if (e == -EFBIG) {
			code = rec_fail(ctx, CK_EXIT_TOO_LARGE, "%s: response too large", url);
			goto out;
		}
		if (e == -EINVAL || e == -ENOPROTOOPT) {
			code = rec_fail(ctx, CK_EXIT_USAGE, "%s: %s", url, last);
			goto out;
		}
		if (!e && st >= 400 && st < 500) {
			code = rec_fail(ctx, CK_EXIT_OTHER, "%s: HTTP %ld", url, st);
			goto out;
		}
		if (!e && st >= 300 && st < 400) {
			code = rec_fail(ctx, CK_EXIT_OTHER,
					"%s: HTTP %ld: redirects are not followed (configure the final URL)",
					url, st);
			goto out;
		}
		if (e == -EPROTONOSUPPORT) {
			code = rec_fail(ctx, CK_EXIT_OTHER, "%s: %s", url, last);
			goto out;
		}
		if (!e)
			snprintf(last, sizeof(last), "HTTP %ld", st);
		left = deadline - now_s();
		if (left <= 0.001)
			break;
		rec_note(ctx, "%s: %s; retrying in %.1f s", url, last, delay < left ? delay : left);
		sleep_s(delay < left ? delay : left);
		delay = delay * 2 > 5.0 ? 5.0 : delay * 2;
		if (deadline - now_s() <= 0.001)
			break;
	}
	code = rec_fail(ctx, CK_EXIT_NETWORK,
			"the public database at %.*s is unreachable: %s (%d attempts in %.1f s)",
			(int)bl, base, last, *attempts, timeout);
out:
	free(m.p);
	return code;
}

int rec_source_db(struct rec_ctx *ctx, const char *base, double timeout,
		  struct rec_candidate *c, int *attempts)
{
	int code = fetch(ctx, base, timeout, c, attempts);

	return code ? code : parse_candidate(ctx, c, "database record");
}
