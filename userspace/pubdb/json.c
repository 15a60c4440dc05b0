// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: the JSON answers (docs/pubdb-api.md), written with
 * jansson.  A generation (certificate as PEM, backup as base64), the list
 * of a chip's generations, the answer to a stored write, and error bodies.
 * Each ends in a newline.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/hex.h"
#include "pubdb.h"

/* The one ISO 8601 UTC time format of the answers: "YYYY-MM-DDTHH:MM:SSZ". */
static json_t *iso_time(int64_t t)
{
	time_t tt = (time_t)t;
	char buf[40];
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

/*
 * @j as text with a final newline (NULL: out of memory); drops @j.  One
 * pass into a buffer of @hint bytes when the text fits (the answers know
 * their size roughly), a second one otherwise.
 */
static char *dump(json_t *j, size_t flags, size_t hint, size_t *len)
{
	size_t n = 0, cap = hint;
	char *s, *t;

	if (!j)
		return NULL;
	flags |= JSON_PRESERVE_ORDER;
	s = malloc(cap + 1);
	if (s)
		n = json_dumpb(j, s, cap, flags);
	if (s && n > cap) {	/* the guess was short: once more, at the size */
		cap = n;
		t = realloc(s, cap + 1);
		if (!t) {
			free(s);
			s = NULL;
		} else {
			s = t;
			n = json_dumpb(j, s, cap, flags);
		}
	}
	json_decref(j);
	if (!s || !n || n > cap) {
		free(s);
		return NULL;
	}
	s[n] = '\n';
	*len = n + 1;
	return s;
}

char *pubdb_json_error(unsigned int status, const char *msg, size_t *len)
{
	json_t *m = json_string(msg);

	if (!m) {	/* not UTF-8 (a database's message): keep the ASCII */
		char *a = strdup(msg), *p;

		for (p = a; p && *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		m = a ? json_string(a) : NULL;
		free(a);
	}
	return dump(json_pack("{s:I, s:o*}", "status", (json_int_t)status, "error", m),
		    JSON_COMPACT, 64 + 2 * strlen(msg), len);
}

/* The device certificate, DER, as one PEM block (64-character lines). */
static json_t *cert_pem(const uint8_t *der, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	json_t *j = NULL;
	char *p;
	long n;

	if (b && PEM_write_bio(b, PEM_STRING_X509, "", der, (long)len) > 0) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0)
			j = json_stringn_nocheck(p, (size_t)n);
	}
	BIO_free(b);
	return j;
}

static size_t b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Base64, standard alphabet, no line breaks. */
static json_t *base64(const uint8_t *d, size_t len)
{
	size_t cap = b64_len(len) + 1;
	char *s;
	json_t *j;
	int n;

	if (len > INT32_MAX)
		return NULL;
	s = malloc(cap);
	if (!s)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)s, d, (int)len);
	j = n >= 0 ? json_stringn_nocheck(s, (size_t)n) : NULL;
	free(s);
	return j;
}

char *pubdb_json_record(const struct store_pub_record *rec, const char *void_reason,
			size_t *len)
{
	char hex[2 * STORE_CHIP_ID_LEN + 1];
	json_t *o;

	ck_hex_encode(rec->chip_id, STORE_CHIP_ID_LEN, hex);
	o = json_pack("{s:s, s:I, s:s, s:o, s:o, s:o, s:I, s:b}",
			      "chip_id", hex,
			      "generation", (json_int_t)rec->generation,
			      "identity", rec->identity,
			      "created", iso_time(rec->created),
			      "certificate", cert_pem(rec->cert, rec->cert_len),
			      "backup", base64(rec->backup, rec->backup_len),
			      "backup_size", (json_int_t)rec->backup_len,
			      "signed", rec->signed_record_len != 0);
	if (o && void_reason &&
	    (json_object_set_new(o, "void", json_true()) ||
	     json_object_set_new(o, "void_reason", json_string(void_reason)))) {
		json_decref(o);
		o = NULL;
	}
	return dump(o,
		    /* the PEM: a 2-character "\n" every 64 characters */
		    JSON_INDENT(2), 512 + b64_len(rec->backup_len) + b64_len(rec->cert_len) * 66 / 64,
		    len);
}

char *pubdb_json_generations(const char *hex, const struct store_generation *g, size_t n,
			     size_t *len)
{
	json_t *list = json_array(), *e, *o;
	uint64_t current = 0;
	size_t i;

	for (i = 0; list && i < n; i++) {
		e = json_pack("{s:I, s:o}", "generation", (json_int_t)g[i].generation,
			      "created", iso_time(g[i].created));
		if (e && g[i].voided &&
		    (json_object_set_new(e, "void", json_true()) ||
		     json_object_set_new(e, "void_reason", json_string(g[i].reason)))) {
			json_decref(e);
			e = NULL;
		}
		if (!g[i].voided)
			current = g[i].generation;
		if (json_array_append_new(list, e)) {
			json_decref(list);
			list = NULL;
		}
	}
	if (!list || !n) {
		json_decref(list);
		return NULL;
	}
	o = json_pack("{s:s, s:I, s:o}", "chip_id", hex,
		      "latest", (json_int_t)g[n - 1].generation, "generations", list);
	/* the newest generation without a void entry, if there is one */
	if (o && current && json_object_set_new(o, "current", json_integer((json_int_t)current))) {
		json_decref(o);
		o = NULL;
	}
	return dump(o, JSON_INDENT(2), 128 + 300 * n, len);
}

char *pubdb_json_stored(const char *hex, uint64_t generation, const char *location,
			size_t *len)
{
	return dump(json_pack("{s:s, s:I, s:s}", "chip_id", hex,
			      "generation", (json_int_t)generation, "location", location),
		    0, 256, len);
}
