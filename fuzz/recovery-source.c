// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the recovery loop's view of the public database
 * (userspace/recovery/source.c), what `chipkey recover --db` and
 * chipkey-agent believe about the answers of a database, or of whoever
 * answers in its place: the list of generations (JSON), each fetched
 * record (CMS, format 1 or a raw backup package), and the HTTP statuses
 * around them, with the retries and their give-up.  rec_http_get() (the
 * transport, its own target recovery-http) is replaced by the fuzz input:
 *
 *   byte 0       status of the list's answer (index into statuses[])
 *   byte 1       status of the records' answers (bits 0-2); bit 7: this
 *                chip is the one the record names (else 11..11)
 *   u16 BE n     then n bytes: the body of GET .../generations
 *   the rest     the body of every GET .../record
 *
 * Properties: what the list gives is at most the room given, newest first,
 * every generation >= 1; a record fetched by generation that parses names
 * that generation, and its backup and certificate lie inside the answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/message.c"
#include "recovery/source.c"

static const uint8_t *list_body, *rec_body;
static size_t list_len, rec_len;
static long list_status, rec_status;

static const long statuses[] = { 200, 404, 500, 503, 301, 400, 204, 200 };

int rec_http_get(const char *url, long timeout_ms, struct rec_buf *b, long *status,
		 char *err, size_t errlen)
{
	int is_list = strstr(url, "/generations") && !strstr(url, "/record");
	const uint8_t *body = is_list ? list_body : rec_body;
	size_t len = is_list ? list_len : rec_len;

	(void)timeout_ms;
	if (len > b->cap - 1) {
		snprintf(err, errlen, "too large");
		return -EFBIG;
	}
	memcpy(b->p, body, len);
	b->p[len] = 0;
	b->len = len;
	*status = is_list ? list_status : rec_status;
	return 0;
}

static void check_candidate(const struct rec_candidate *c)
{
	const uint8_t *end = c->buf + c->len;

	if (!c->backup || c->backup < c->buf || c->backup_len > (size_t)(end - c->backup))
		abort();
	if (c->cert && (c->cert < c->buf || c->cert_len > (size_t)(end - c->cert)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_ctx ctx = { 0 };
	uint64_t gens[4];
	size_t n = 0, i;
	int attempts = 0;

	if (size < 4)
		return 0;
	list_status = statuses[data[0] % 8];
	rec_status = statuses[data[1] % 8];
	list_len = (size_t)data[2] << 8 | data[3];
	if (list_len > size - 4)
		return 0;
	list_body = data + 4;
	rec_body = list_body + list_len;
	rec_len = size - 4 - list_len;
	/* this chip: 11..11, or (bit 7 of byte 1) the chip the record names,
	 * so that the checks after the chip's are reached too */
	memset(ctx.chip_id, 0x11, sizeof(ctx.chip_id));
	if (data[1] & 0x80) {
		struct pubdb_record r;
		char err[64];

		if (!pubdb_record_parse(rec_body, rec_len, &r, err, sizeof(err)))
			memcpy(ctx.chip_id, r.chip_id, sizeof(ctx.chip_id));
	}
	ck_hex_encode(ctx.chip_id, sizeof(ctx.chip_id), ctx.chip_hex);

	/* the timeout is tiny: a 5xx gives up at once instead of backing off */
	if (rec_source_db_list(&ctx, "http://db.invalid/", 0.001, gens, 4, &n, &attempts) ==
	    CK_EXIT_OK) {
		if (n > 4)
			abort();
		for (i = 0; i < n; i++)
			if (gens[i] < 1 || (i && gens[i] > gens[i - 1]))
				abort();
	}
	for (i = 0; i <= n && i < 3; i++) {
		struct rec_candidate c = { 0 };
		uint64_t g = i < n ? gens[i] : 0;
		int fetched = 0;

		if (rec_source_db(&ctx, "http://db.invalid", g, 0.001, &c, &attempts,
				  &fetched) == CK_EXIT_OK) {
			check_candidate(&c);
			if (g && c.generation != g)
				abort();
		}
		free(c.buf);
	}
	return 0;
}
