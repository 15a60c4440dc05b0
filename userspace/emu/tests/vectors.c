// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Parser for the backup package test vectors; see vectors.h.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L	/* getline() */
#endif
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "vectors.h"

enum {
	F_NAME = 1 << 0, F_CHIP_KEY = 1 << 1, F_CHIP_ID = 1 << 2,
	F_GEN = 1 << 3, F_SALT = 1 << 4, F_NONCE = 1 << 5,
	F_DKEY = 1 << 6, F_PT = 1 << 7, F_PKG = 1 << 8,
	F_ALL = (1 << 9) - 1,
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void free_one(struct ck_vector *v)
{
	free(v->plaintext);
	free(v->package);
	memset(v, 0, sizeof(*v));
}

void ck_vectors_free(struct ck_vector *v, size_t count)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < count; i++)
		free_one(&v[i]);
	free(v);
}

static int set_field(struct ck_vector *v, unsigned int *seen, const char *key,
		     const char *val)
{
	unsigned int bit;
	int ret = 0;

	if (!strcmp(key, "name")) {
		bit = F_NAME;
		if (strlen(val) >= sizeof(v->name))
			return -EINVAL;
		strcpy(v->name, val);
	} else if (!strcmp(key, "chip_key")) {
		bit = F_CHIP_KEY;
		ret = ck_hex_decode(val, v->chip_key, sizeof(v->chip_key));
	} else if (!strcmp(key, "chip_id")) {
		bit = F_CHIP_ID;
		ret = ck_hex_decode(val, v->chip_id, sizeof(v->chip_id));
	} else if (!strcmp(key, "generation")) {
		char *end;

		bit = F_GEN;
		if (!*val || !isdigit((unsigned char)*val))
			return -EINVAL;
		errno = 0;
		v->generation = strtoull(val, &end, 10);
		if (errno || *end)
			return -EINVAL;
	} else if (!strcmp(key, "salt")) {
		bit = F_SALT;
		ret = ck_hex_decode(val, v->salt, sizeof(v->salt));
	} else if (!strcmp(key, "nonce")) {
		bit = F_NONCE;
		ret = ck_hex_decode(val, v->nonce, sizeof(v->nonce));
	} else if (!strcmp(key, "derived_key")) {
		bit = F_DKEY;
		ret = ck_hex_decode(val, v->derived_key,
				    sizeof(v->derived_key));
	} else if (!strcmp(key, "plaintext")) {
		bit = F_PT;
		if (*seen & bit)
			return -EINVAL;
		ret = ck_hex_decode_alloc(val, &v->plaintext, &v->plaintext_len);
	} else if (!strcmp(key, "package")) {
		bit = F_PKG;
		if (*seen & bit)
			return -EINVAL;
		ret = ck_hex_decode_alloc(val, &v->package, &v->package_len);
	} else {
		return -EINVAL;
	}
	if (ret)
		return ret;
	if (*seen & bit)
		return -EINVAL;	/* duplicate key */
	*seen |= bit;
	return 0;
}

int ck_vectors_load(const char *path, struct ck_vector **out, size_t *count)
{
	struct ck_vector *vs = NULL, cur;
	size_t n = 0, cap = 0, lineno = 0;
	unsigned int seen = 0;
	char *line = NULL;
	size_t linecap = 0;
	int ret = 0, at_eof = 0;
	FILE *f;

	*out = NULL;
	*count = 0;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	memset(&cur, 0, sizeof(cur));
	while (!at_eof) {
		char *s, *eq;

		if (getline(&line, &linecap, f) < 0) {
			at_eof = 1;
			s = (char *)"";
		} else {
			lineno++;
			s = trim(line);
			if (*s == '#')
				continue;
		}
		if (!*s) {
			/* end of a block */
			if (!seen)
				continue;
			if (seen != F_ALL) {
				fprintf(stderr, "# %s:%zu: incomplete vector block\n",
					path, lineno);
				ret = -EINVAL;
				break;
			}
			if (n == cap) {
				struct ck_vector *nv;

				cap = cap ? 2 * cap : 8;
				nv = realloc(vs, cap * sizeof(*vs));
				if (!nv) {
					ret = -ENOMEM;
					break;
				}
				vs = nv;
			}
			vs[n++] = cur;
			memset(&cur, 0, sizeof(cur));
			seen = 0;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr, "# %s:%zu: expected 'key = value'\n",
				path, lineno);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		ret = set_field(&cur, &seen, trim(s), trim(eq + 1));
		if (ret) {
			fprintf(stderr, "# %s:%zu: bad value for '%s'\n",
				path, lineno, trim(s));
			break;
		}
	}
	free(line);
	fclose(f);
	free_one(&cur);
	if (ret) {
		ck_vectors_free(vs, n);
		return ret;
	}
	*out = vs;
	*count = n;
	return 0;
}
