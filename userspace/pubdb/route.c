// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: the URL space (docs/pubdb-api.md), a path to a resource.
 *
 *   /v1/chips/{chip}[/backup|/record|/generations]
 *   /v1/chips/{chip}/generations/{n}[/backup|/record|/void]
 */
#include <stdint.h>
#include <string.h>

#include "common/hex.h"
#include "pubdb.h"

enum { MAX_SEGMENTS = 6 };

/* A generation in a path: decimal, 1..2^63-1, no leading zero. */
static bool parse_gen(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || s[0] == '0')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = v;
	return true;
}

struct segment {
	const char *s;
	size_t len;
};

static bool seg_is(const struct segment *g, const char *s)
{
	return g->len == strlen(s) && !memcmp(g->s, s, g->len);
}

/* The leaf after a chip or a generation: "" (JSON), "backup" or "record". */
static bool leaf_of(const struct segment *g, enum pubdb_leaf *leaf)
{
	if (seg_is(g, "backup"))
		*leaf = LEAF_BACKUP;
	else if (seg_is(g, "record"))
		*leaf = LEAF_RECORD;
	else
		return false;
	return true;
}

/* Splits the path into at most MAX_SEGMENTS segments. */
static int split(const char *url, struct segment *seg)
{
	const char *p = url;
	int n = 0;

	if (*p != '/')
		return -1;
	while (*p == '/' && n <= MAX_SEGMENTS) {
		const char *e;

		p++;
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		seg[n].s = p;
		seg[n].len = (size_t)(e - p);
		n++;
		p = e;
	}
	if (*p || n < 3 || n > MAX_SEGMENTS || seg[n - 1].len == 0)	/* trailing slash */
		return -1;
	return n;
}

void pubdb_route(const char *url, struct pubdb_route *r)
{
	struct segment seg[MAX_SEGMENTS + 1];
	int n;

	memset(r, 0, sizeof(*r));
	n = split(url, seg);
	if (n < 0 || !seg_is(&seg[0], "v1") || !seg_is(&seg[1], "chips"))
		return;
	if (n == 3) {
		r->leaf = LEAF_JSON;
	} else if (n == 4 && seg_is(&seg[3], "generations")) {
		r->leaf = LEAF_GENERATIONS;
		r->postable = true;
	} else if (n == 4) {
		if (!leaf_of(&seg[3], &r->leaf))
			return;
	} else if (seg_is(&seg[3], "generations")) {
		r->has_gen = true;
		r->bad_gen = !parse_gen(seg[4].s, seg[4].len, &r->gen);
		if (n == 5) {
			r->leaf = LEAF_JSON;
		} else if (seg_is(&seg[5], "void")) {
			r->leaf = LEAF_VOID;
			r->postable = true;
		} else if (!leaf_of(&seg[5], &r->leaf)) {
			return;
		}
	} else {
		return;
	}
	r->found = true;
	if (seg[2].len != 2 * STORE_CHIP_ID_LEN) {
		r->bad_chip = true;
		return;
	}
	memcpy(r->hex, seg[2].s, 2 * STORE_CHIP_ID_LEN);
	r->hex[2 * STORE_CHIP_ID_LEN] = '\0';
	if (ck_hex_decode(r->hex, r->chip, STORE_CHIP_ID_LEN) < 0)
		r->bad_chip = true;
	else
		ck_hex_encode(r->chip, STORE_CHIP_ID_LEN, r->hex);	/* canonical: lower */
}
