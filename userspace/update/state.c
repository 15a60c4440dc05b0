// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state file of the software slots (docs/software-update.md "State
 * file"): the commit point of an install.  Text, exactly these lines in
 * this order, each "key value\n":
 *
 *   chipkey-update-state 1
 *   slot a|b
 *   sequence N          the installed licence's sequence: the rollback floor
 *   high-water T        the largest notBefore installed (Unix seconds)
 *   size N              the active image's size
 *   digest HEX          its SHA-256, 64 lowercase hex digits
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "update/update.h"

#define STATE_MAGIC "chipkey-update-state 1"

int ck_update_state_encode(const struct ck_update_state *s, char *buf, size_t size,
			   size_t *len)
{
	char hex[2 * CK_LICENCE_DIGEST_LEN + 1];
	int n;

	if (s->slot != 'a' && s->slot != 'b')
		return -EINVAL;
	ck_hex_encode(s->image_digest, CK_LICENCE_DIGEST_LEN, hex);
	n = snprintf(buf, size, STATE_MAGIC "\nslot %c\nsequence %" PRIu64 "\nhigh-water %"
		     PRId64 "\nsize %" PRIu64 "\ndigest %s\n", s->slot, s->sequence,
		     s->high_water, s->image_size, hex);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	*len = (size_t)n;
	return 0;
}

/* The line "@key VALUE\n" at *@p: VALUE (NUL-terminated in @out). */
static int line(const char **p, const char *end, const char *key, char *out, size_t size)
{
	size_t k = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t v;

	if (!nl || (size_t)(nl - *p) <= k + 1 || memcmp(*p, key, k) || (*p)[k] != ' ')
		return -EINVAL;
	v = (size_t)(nl - *p) - k - 1;
	if (v >= size)
		return -EINVAL;
	memcpy(out, *p + k + 1, v);
	out[v] = 0;
	*p = nl + 1;
	return 0;
}

/* A decimal number 0..INT64_MAX, digits only. */
static int number(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || (s[0] == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *v > INT64_MAX ? -EINVAL : 0;
}

int ck_update_state_decode(const char *buf, size_t len, struct ck_update_state *s)
{
	const char *p = buf, *end = buf + len;
	char v[2 * CK_LICENCE_DIGEST_LEN + 2];
	uint64_t hw;

	memset(s, 0, sizeof(*s));
	if (len < sizeof(STATE_MAGIC) || memcmp(buf, STATE_MAGIC "\n", sizeof(STATE_MAGIC)))
		return -EINVAL;
	p += sizeof(STATE_MAGIC);
	if (line(&p, end, "slot", v, sizeof(v)) || strlen(v) != 1 || (*v != 'a' && *v != 'b'))
		return -EINVAL;
	s->slot = *v;
	if (line(&p, end, "sequence", v, sizeof(v)) || number(v, &s->sequence) ||
	    line(&p, end, "high-water", v, sizeof(v)) || number(v, &hw) ||
	    line(&p, end, "size", v, sizeof(v)) || number(v, &s->image_size) ||
	    line(&p, end, "digest", v, sizeof(v)) ||
	    strspn(v, "0123456789abcdef") != 2 * CK_LICENCE_DIGEST_LEN ||
	    ck_hex_decode(v, s->image_digest, CK_LICENCE_DIGEST_LEN) || p != end) {
		memset(s, 0, sizeof(*s));
		return -EINVAL;
	}
	s->high_water = (int64_t)hw;
	return 0;
}
