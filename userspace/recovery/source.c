// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where a backup comes from (docs/recovery.md, "Sources"): an archive file
 * (a public-database record, chipkey backup export) or a raw backup
 * package, or this chip's records in the public database (the latest, a
 * given generation, the list of generations), fetched over http.c with
 * retries.  Also where the database URL is configured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

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

/*
 * --from FILE: standard input ("-"), or a regular file only, opened without
 * blocking: a FIFO or a device in its place (on a USB stick the boot script
 * reads unattended) is refused, exit 8, instead of hanging the boot.
 */
int rec_source_file(struct rec_ctx *ctx, const char *path, struct rec_candidate *c)
{
	int err = strcmp(path, "-") ?
		  ck_file_read_regular(path, REC_MAX_RESPONSE, &c->buf, &c->len) :
		  ck_file_read(path, &c->buf, &c->len, REC_MAX_RESPONSE);

	if (err == -ENOMEM)
		return rec_fail(ctx, CK_EXIT_OTHER, "out of memory");
	if (err == -EFBIG)
		return rec_fail(ctx, CK_EXIT_TOO_LARGE, "%s: too large", path);
	if (err == -EINVAL)
		return rec_fail(ctx, CK_EXIT_OTHER, "%s: not a regular file", path);
	if (err)
		return rec_fail(ctx, err == -ENOENT ? CK_EXIT_NOT_FOUND : CK_EXIT_OTHER, "%s: %s",
				path, strerror(-err));
	if (c->len > REC_MAX_RESPONSE)
		return rec_fail(ctx, CK_EXIT_TOO_LARGE, "%s: too large", path);
	return parse_candidate(ctx, c, path);
}

double rec_now(void)
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
 * GET URL/v1/chips/<chip>/@what, retrying transport errors (including a body cut
 * short of its Content-Length: -EPROTO) and 5xx with exponential backoff
 * until @timeout seconds have passed.  404, other 4xx, 3xx and responses
 * the client does not support (chunked) are final.
 */
static int fetch(struct rec_ctx *ctx, const char *base, const char *what, double timeout,
		 struct rec_buf *out, int *attempts)
{
	char url[1024], last[256] = "no attempt made";
	double deadline = rec_now() + timeout, delay = 0.1;
	struct rec_buf m = { 0 };
	size_t bl = strlen(base);
	int code;

	while (bl && base[bl - 1] == '/')
		bl--;
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		return rec_fail(ctx, CK_EXIT_USAGE,
				"database URL must start with http:// or https://: %s", base);
	if (timeout <= 0)
		return rec_fail(ctx, CK_EXIT_NETWORK, "no time left (--timeout) to fetch %s", what);
	snprintf(url, sizeof(url), "%.*s/v1/chips/%s/%s", (int)bl, base, ctx->chip_hex, what);
	m.cap = REC_MAX_RESPONSE + 1;
	m.p = malloc(m.cap);
	if (!m.p)
		return rec_fail(ctx, CK_EXIT_OTHER, "out of memory");
	for (;;) {
		double left = deadline - rec_now();
		long st = 0;
		int e;

		(*attempts)++;
		e = rec_http_get(url, (long)(left * 1000), &m, &st, last, sizeof(last));
		if (!e && st == 200) {
			*out = m;
			rec_note(ctx, "fetched %zu bytes from %s", m.len, url);
			return CK_EXIT_OK;
		}
		if (!e && st == 404) {
			code = rec_fail(ctx, CK_EXIT_NOT_FOUND,
					"the public database has no %s for chip %s (%s: HTTP 404)",
					strcmp(what, "record") ? what : "backup", ctx->chip_hex, url);
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
		left = deadline - rec_now();
		if (left <= 0.001)
			break;
		rec_note(ctx, "%s: %s; retrying in %.1f s", url, last, delay < left ? delay : left);
		sleep_s(delay < left ? delay : left);
		delay = delay * 2 > 5.0 ? 5.0 : delay * 2;
		if (deadline - rec_now() <= 0.001)
			break;
	}
	code = rec_fail(ctx, CK_EXIT_NETWORK,
			"the public database at %.*s is unreachable: %s (%d attempts in %.1f s)",
			(int)bl, base, last, *attempts, timeout);
out:
	free(m.p);
	return code;
}

int rec_db_fetch(struct rec_ctx *ctx, const char *base, const char *what, double timeout,
		 uint8_t **buf, size_t *len, int *attempts)
{
	struct rec_buf b = { 0 };
	int code = fetch(ctx, base, what, timeout, &b, attempts);

	*buf = code ? NULL : b.p;
	*len = code ? 0 : b.len;
	return code;
}

int rec_source_db(struct rec_ctx *ctx, const char *base, uint64_t generation, double timeout,
		  struct rec_candidate *c, int *attempts, int *fetched)
{
	struct rec_buf m = { 0 };
	char what[64], label[64];
	int code;

	*fetched = 0;
	if (generation)
		snprintf(what, sizeof(what), "generations/%llu/record", (unsigned long long)generation);
	else
		snprintf(what, sizeof(what), "record");
	code = fetch(ctx, base, what, timeout, &m, attempts);
	if (code)
		return code;
	*fetched = 1;
	c->buf = m.p;
	c->len = m.len;
	if (generation)
		snprintf(label, sizeof(label), "database record of generation %llu",
			 (unsigned long long)generation);
	else
		snprintf(label, sizeof(label), "database record");
	code = parse_candidate(ctx, c, label);
	if (!code && generation && (!c->identity[0] || c->generation != generation))
		code = rec_fail(ctx, CK_EXIT_MALFORMED, "%s: it says generation %llu", label,
				(unsigned long long)c->generation);
	return code;
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

int rec_source_db_voided(struct rec_ctx *ctx, const char *base, uint64_t generation,
			 double timeout, int *voided, int *attempts)
{
	struct rec_buf m = { 0 };
	char what[64];
	json_t *root, *g;
	int code;

	*voided = 0;
	snprintf(what, sizeof(what), "generations/%llu", (unsigned long long)generation);
	code = fetch(ctx, base, what, timeout, &m, attempts);
	if (code)
		return code;
	root = json_loadb((const char *)m.p, m.len, JSON_REJECT_DUPLICATES, NULL);
	g = json_object_get(root, "generation");
	if (!json_is_integer(g) || json_integer_value(g) != (json_int_t)generation) {
		code = rec_fail(ctx, CK_EXIT_MALFORMED,
				"the JSON of generation %llu is not that of docs/pubdb-api.md",
				(unsigned long long)generation);
	} else if (json_is_true(json_object_get(root, "void"))) {
		const char *why = json_string_value(json_object_get(root, "void_reason"));

		*voided = 1;
		rec_fail(ctx, CK_EXIT_OK, "voided by the manufacturer (%.200s)",
			 why ? why : "no reason given");
	}
	json_decref(root);
	free(m.p);
	return code;
}

int rec_source_db_list(struct rec_ctx *ctx, const char *base, double timeout,
		       uint64_t *gens, size_t cap, size_t *n, int *attempts)
{
	struct rec_buf m = { 0 };
	json_t *root = NULL, *list, *g;
	const char *chip;
	size_t i, k = 0;
	int code;

	*n = 0;
	code = fetch(ctx, base, "generations", timeout, &m, attempts);
	if (code)
		return code;
	root = json_loadb((const char *)m.p, m.len, JSON_REJECT_DUPLICATES, NULL);
	list = json_object_get(root, "generations");
	chip = json_string_value(json_object_get(root, "chip_id"));
	if (!json_is_array(list) || !chip) {
		code = rec_fail(ctx, CK_EXIT_MALFORMED, "the list of generations is not the JSON of docs/pubdb-api.md");
		goto out;
	}
	if (strcasecmp(chip, ctx->chip_hex)) {
		code = rec_fail(ctx, CK_EXIT_NOT_OURS, "the list of generations is for chip %.32s", chip);
		goto out;
	}
	json_array_foreach(list, i, g) {
		json_int_t v = json_integer_value(json_object_get(g, "generation"));

		if (v < 1 || !json_is_integer(json_object_get(g, "generation"))) {
			code = rec_fail(ctx, CK_EXIT_MALFORMED, "the list of generations holds a bad generation");
			goto out;
		}
		if (json_is_true(json_object_get(g, "void"))) {	/* the manufacturer voided it */
			const char *why = json_string_value(json_object_get(g, "void_reason"));

			rec_note(ctx, "generation %lld is voided by the manufacturer (%.200s): skipped",
				 (long long)v, why ? why : "no reason given");
			continue;
		}
		if (k < cap)
			gens[k++] = (uint64_t)v;
	}
	qsort(gens, k, sizeof(*gens), cmp_desc);
	*n = k;
out:
	json_decref(root);
	free(m.p);
	return code;
}
