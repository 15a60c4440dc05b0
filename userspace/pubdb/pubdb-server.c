// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb: the permanent public database (170) over HTTP.
 *
 *   chipkey-pubdb --db URL --listen 127.0.0.1:PORT --writers CA.pem
 *                 [--max-body BYTES] [--threads N] [--timeout SECONDS]
 *                 [--max-connections N] [--max-per-ip N] [--port-file FILE]
 *                 [--mmap-mib N] [--cache-mib N]
 *
 * Public reads for anyone; writes are signed records (docs/pubdb-api.md).
 * HTTP is libmicrohttpd's (internal thread pool with epoll, one thread per
 * CPU by default); each pool thread owns one store connection, with its
 * prepared statements, for its lifetime.  On SQLite those connections
 * memory-map the file, so a read copies no database pages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pubdb_client.h"
#include "store.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

static struct {
	const char *db_url;
	size_t max_body;
	uint64_t mmap_mib, cache_mib;	/* per SQLite connection (store_tune_reads) */
	X509_STORE *cas;
	pthread_key_t store_key;
} cfg;

/* ---- small dynamic string ---- */

struct sb {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* JSON string literal (the only strings here are ours or ASCII) */
static void sb_json_str(struct sb *b, const char *s)
{
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			sb_add(b, e, 2);
		} else if (c == '\n') {
			sb_add(b, "\\n", 2);
		} else if (c < 0x20 || c >= 0x7f) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_add(b, (const char *)&c, 1);
		}
	}
	sb_add(b, "\"", 1);
}

static char *put_digits(char *o, unsigned int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v /= 10)
		o[i] = (char)('0' + v % 10);
	return o + n;
}

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC).  Years 1970..9999 are converted here (the
 * days-to-civil arithmetic of the proleptic Gregorian calendar): glibc's
 * strftime() stat()s /etc/localtime on every call and gmtime_r() takes
 * the time zone lock, both on the path of every GET. */
static void iso_time(int64_t t, char *buf, size_t n)
{
	if (t >= 0 && t < INT64_C(253402300800) && n >= 21) {
		int64_t days = t / 86400, sod = t % 86400;
		int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
		int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		int64_t mp = (5 * doy + 2) / 153;
		unsigned int d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
		unsigned int m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
		unsigned int y = (unsigned int)(yoe + era * 400 + (m <= 2));
		char *o = buf;

		o = put_digits(o, y, 4);
		*o++ = '-';
		o = put_digits(o, m, 2);
		*o++ = '-';
		o = put_digits(o, d, 2);
		*o++ = 'T';
		o = put_digits(o, (unsigned int)(sod / 3600), 2);
		*o++ = ':';
		o = put_digits(o, (unsigned int)(sod / 60 % 60), 2);
		*o++ = ':';
		o = put_digits(o, (unsigned int)(sod % 60), 2);
		*o++ = 'Z';
		*o = '\0';
	} else {
		time_t tt = (time_t)t;
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
}

/* ---- responses ---- */

static MHD_RESULT send_buf(struct MHD_Connection *c, unsigned int status,
			   const char *ctype, void *buf, size_t len, const char *allow,
			   const char *location)
{
	struct MHD_Response *r;
	MHD_RESULT ret;

	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"ChipkeySignedRecord");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static MHD_RESULT send_error(struct MHD_Connection *c, unsigned int status,
			     const char *allow, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static MHD_RESULT send_error(struct MHD_Connection *c, unsigned int status,
			     const char *allow, const char *fmt, ...)
{
	struct sb b = { 0 };
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_printf(&b, "{\"status\":%u,\"error\":", status);
	sb_json_str(&b, msg);
	sb_add(&b, "}\n", 2);
	if (b.oom) {
		free(b.p);
		return MHD_NO;
	}
	return send_buf(c, status, "application/json", b.p, b.len, allow, NULL);
}

static MHD_RESULT send_json(struct MHD_Connection *c, unsigned int status, struct sb *b,
			    const char *location)
{
	if (b->oom) {
		free(b->p);
		return send_error(c, 500, NULL, "out of memory");
	}
	return send_buf(c, status, "application/json", b->p, b->len, NULL, location);
}

static MHD_RESULT send_bytes(struct MHD_Connection *c, const char *ctype,
			     const uint8_t *d, size_t n)
{
	void *copy = malloc(n ? n : 1);

	if (!copy)
		return send_error(c, 500, NULL, "out of memory");
	if (n)
		memcpy(copy, d, n);
	return send_buf(c, 200, ctype, copy, n, NULL, NULL);
}

/* Sends *d (malloc()ed, as the store returns blobs) without copying it:
 * MHD frees it.  *d is NULL afterwards. */
static MHD_RESULT send_owned(struct MHD_Connection *c, const char *ctype, uint8_t **d,
			     size_t n)
{
	void *p = *d;

	if (!p || !n)
		return send_bytes(c, ctype, NULL, 0);
	*d = NULL;
	return send_buf(c, 200, ctype, p, n, NULL, NULL);
}

/* ---- per-thread store ---- */

static void store_destructor(void *p)
{
	store_close(p);
}

static struct store *thread_store(char *err, size_t errlen)
{
	struct store *st = pthread_getspecific(cfg.store_key);

	if (st)
		return st;
	if (store_open(cfg.db_url, &st, err, errlen) < 0)
		return NULL;
	if (store_tune_reads(st, cfg.mmap_mib << 20, cfg.cache_mib << 10) < 0)
		fprintf(stderr, "chipkey-pubdb: read tuning: %s\n", store_error(st));
	pthread_setspecific(cfg.store_key, st);
	return st;
}

/* ---- routing ---- */

enum leaf { LEAF_JSON, LEAF_BACKUP, LEAF_RECORD, LEAF_GENERATIONS };

struct route {
	bool found;
	uint8_t chip[16];
	char hex[33];
	bool bad_chip;
	bool has_gen;		/* /generations/{n} */
	bool bad_gen;
	uint64_t gen;
	enum leaf leaf;
	bool postable;		/* /v1/chips/{id}/generations */
};

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

/* Splits the path into at most 6 segments. */
static void route(const char *url, struct route *r)
{
	const char *seg[7];
	size_t len[7];
	int n = 0;
	const char *p = url;

	memset(r, 0, sizeof(*r));
	if (*p != '/')
		return;
	while (*p == '/' && n < 7) {
		const char *e;

		p++;
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		seg[n] = p;
		len[n] = (size_t)(e - p);
		n++;
		p = e;
	}
	if (*p || n < 3 || n > 6)
		return;
	if (n >= 1 && len[n - 1] == 0)	/* trailing slash */
		return;
#define SEG(i, s) (len[i] == strlen(s) && !memcmp(seg[i], s, len[i]))
	if (!SEG(0, "v1") || !SEG(1, "chips"))
		return;
	if (n == 3) {
		r->leaf = LEAF_JSON;
	} else if (n == 4 && SEG(3, "backup")) {
		r->leaf = LEAF_BACKUP;
	} else if (n == 4 && SEG(3, "record")) {
		r->leaf = LEAF_RECORD;
	} else if (n == 4 && SEG(3, "generations")) {
		r->leaf = LEAF_GENERATIONS;
		r->postable = true;
	} else if (n >= 5 && SEG(3, "generations")) {
		r->has_gen = true;
		r->bad_gen = !parse_gen(seg[4], len[4], &r->gen);
		if (n == 5)
			r->leaf = LEAF_JSON;
		else if (SEG(5, "backup"))
			r->leaf = LEAF_BACKUP;
		else if (SEG(5, "record"))
			r->leaf = LEAF_RECORD;
		else
			return;
	} else {
		return;
	}
#undef SEG
	r->found = true;
	if (len[2] != 32) {
		r->bad_chip = true;
		return;
	}
	memcpy(r->hex, seg[2], 32);
	r->hex[32] = '\0';
	if (store_chip_id_parse(r->hex, r->chip) < 0)
		r->bad_chip = true;
	else
		store_chip_id_format(r->chip, r->hex);	/* canonical: lower case */
}

/* ---- GET ---- */

/* Appends raw bytes to a buffer sized in advance (json_record). */
static char *put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof(lit) - 1)
#define B64_LEN(n) (((n) + 2) / 3 * 4)

/*
 * The JSON of one generation, built in one allocation: the size is known
 * in advance, the base64 is encoded straight into place.  The PEM inside
 * is lines of 64 characters (48 bytes), each followed by an escaped
 * newline.
 */
static void json_record(struct sb *b, const struct store_pub_record *rec)
{
	static const char pem_begin[] = "-----BEGIN CERTIFICATE-----\\n";
	static const char pem_end[] = "-----END CERTIFICATE-----\\n\",\n  \"backup\": \"";
	char hex[33], when[40], head[320], tail[96];
	size_t lines = (rec->cert_len + 47) / 48, cap, i;
	int hn, tn;
	char *o;

	store_chip_id_format(rec->chip_id, hex);
	iso_time(rec->created, when, sizeof(when));
	hn = snprintf(head, sizeof(head), "{\n  \"chip_id\": \"%s\",\n  \"generation\": %" PRIu64
		      ",\n  \"identity\": \"%s\",\n  \"created\": \"%s\",\n  \"certificate\": \"",
		      hex, rec->generation, rec->identity, when);
	tn = snprintf(tail, sizeof(tail), "\",\n  \"backup_size\": %zu,\n  \"signed\": %s\n}\n",
		      rec->backup_len, rec->signed_record_len ? "true" : "false");
	if (hn < 0 || (size_t)hn >= sizeof(head) || tn < 0 || (size_t)tn >= sizeof(tail) ||
	    rec->cert_len > INT_MAX || rec->backup_len > INT_MAX) {
		b->oom = true;
		return;
	}
	cap = b->len + (size_t)hn + sizeof(pem_begin) + B64_LEN(rec->cert_len) + 2 * lines +
	      sizeof(pem_end) + B64_LEN(rec->backup_len) + (size_t)tn + 1;
	if (cap > b->cap) {
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	o = b->p + b->len;
	o = put(o, head, (size_t)hn);
	o = PUT_LIT(o, pem_begin);
	for (i = 0; i < rec->cert_len; i += 48) {
		size_t k = rec->cert_len - i < 48 ? rec->cert_len - i : 48;

		o += EVP_EncodeBlock((unsigned char *)o, rec->cert + i, (int)k);
		o = PUT_LIT(o, "\\n");
	}
	o = PUT_LIT(o, pem_end);
	o += EVP_EncodeBlock((unsigned char *)o, rec->backup, (int)rec->backup_len);
	o = put(o, tail, (size_t)tn);
	*o = '\0';
	b->len = (size_t)(o - b->p);
}

static MHD_RESULT handle_get(struct MHD_Connection *c, const struct route *r)
{
	struct store_pub_record rec;
	struct store *st;
	char err[256];
	struct sb b = { 0 };
	MHD_RESULT ret;
	int rc;

	st = thread_store(err, sizeof(err));
	if (!st) {
		fprintf(stderr, "chipkey-pubdb: database: %s\n", err);
		return send_error(c, 503, NULL, "database unavailable");
	}
	if (r->leaf == LEAF_GENERATIONS) {
		struct store_generation *g;
		size_t n, i;

		rc = store_pub_generations(st, r->chip, &g, &n);
		if (rc == -ENOENT)
			return send_error(c, 404, NULL, "unknown chip %s", r->hex);
		if (rc < 0) {
			fprintf(stderr, "chipkey-pubdb: %s\n", store_error(st));
			return send_error(c, 500, NULL, "database error");
		}
		sb_printf(&b, "{\n  \"chip_id\": \"%s\",\n  \"latest\": %" PRIu64
			  ",\n  \"generations\": [", r->hex, g[n - 1].generation);
		for (i = 0; i < n; i++) {
			char when[40];

			iso_time(g[i].created, when, sizeof(when));
			sb_printf(&b, "%s\n    {\"generation\": %" PRIu64 ", \"created\": \"%s\"}",
				  i ? "," : "", g[i].generation, when);
		}
		sb_add(&b, "\n  ]\n}\n", 7);
		free(g);
		return send_json(c, 200, &b, NULL);
	}
	if (r->has_gen)
		rc = store_pub_get(st, r->chip, r->gen, &rec);
	else
		rc = store_pub_latest(st, r->chip, &rec);
	if (rc == -ENOENT) {
		if (r->has_gen)
			return send_error(c, 404, NULL, "chip %s has no generation %" PRIu64,
					  r->hex, r->gen);
		return send_error(c, 404, NULL, "unknown chip %s", r->hex);
	}
	if (rc < 0) {
		fprintf(stderr, "chipkey-pubdb: %s\n", store_error(st));
		return send_error(c, 500, NULL, "database error");
	}
	switch (r->leaf) {
	case LEAF_BACKUP:
		ret = send_owned(c, "application/octet-stream", &rec.backup, rec.backup_len);
		break;
	case LEAF_RECORD:
		if (rec.signed_record_len) {
			ret = send_owned(c, "application/vnd.chipkey.record", &rec.signed_record,
					 rec.signed_record_len);
		} else {
			struct pubdb_fields f = { .generation = rec.generation,
						  .identity = rec.identity,
						  .backup = rec.backup,
						  .backup_len = rec.backup_len,
						  .cert = rec.cert,
						  .cert_len = rec.cert_len };
			uint8_t *enc;
			size_t enc_len;

			memcpy(f.chip_id, rec.chip_id, 16);
			if (pubdb_record_build(&f, NULL, NULL, &enc, &enc_len, err, sizeof(err)) < 0) {
				ret = send_error(c, 500, NULL, "cannot encode record: %s", err);
			} else {
				ret = send_buf(c, 200, "application/vnd.chipkey.record", enc,
					       enc_len, NULL, NULL);
			}
		}
		break;
	default:
		json_record(&b, &rec);
		ret = send_json(c, 200, &b, NULL);
		break;
	}
	store_pub_record_clear(&rec);
	return ret;
}

/* ---- POST ---- */

struct upload {
	uint8_t *buf;
	size_t len;
	bool too_large;
};

static MHD_RESULT handle_post(struct MHD_Connection *c, const struct route *r,
			      struct upload *u)
{
	struct store_pub_record rec = { 0 };
	struct pubdb_record pr;
	enum pubdb_verdict v;
	struct store *st;
	char err[256], loc[128];
	struct sb b = { 0 };
	int rc;

	if (pubdb_record_parse(u->buf, u->len, &pr, err, sizeof(err)) < 0)
		return send_error(c, 400, NULL, "malformed record: %s", err);
	if (memcmp(pr.chip_id, r->chip, 16))
		return send_error(c, 400, NULL, "record is for another chip than the URL");
	v = pubdb_record_verify(&pr, cfg.cas, err, sizeof(err));
	switch (v) {
	case PUBDB_VALID:
		break;
	case PUBDB_UNSIGNED:
	case PUBDB_BAD_SIGNATURE:
	case PUBDB_UNTRUSTED:
		return send_error(c, 401, NULL, "%s: %s", pubdb_verdict_str(v), err);
	case PUBDB_NOT_WRITER:
		return send_error(c, 403, NULL, "%s: %s", pubdb_verdict_str(v), err);
	default:
		return send_error(c, 400, NULL, "%s: %s", pubdb_verdict_str(v), err);
	}
	st = thread_store(err, sizeof(err));
	if (!st) {
		fprintf(stderr, "chipkey-pubdb: database: %s\n", err);
		return send_error(c, 503, NULL, "database unavailable");
	}
	memcpy(rec.chip_id, pr.chip_id, 16);
	rec.generation = pr.generation;
	memcpy(rec.identity, pr.identity, sizeof(rec.identity));
	rec.backup = (uint8_t *)pr.backup;
	rec.backup_len = pr.backup_len;
	rec.cert = (uint8_t *)pr.cert;
	rec.cert_len = pr.cert_len;
	rec.signed_record = u->buf;
	rec.signed_record_len = u->len;
	rc = store_pub_insert(st, &rec);
	if (rc == -EEXIST)
		return send_error(c, 409, NULL, "%s", store_error(st));
	if (rc < 0) {
		fprintf(stderr, "chipkey-pubdb: %s\n", store_error(st));
		return send_error(c, rc == -EINVAL ? 400 : 500, NULL, "%s",
				  rc == -EINVAL ? store_error(st) : "database error");
	}
	snprintf(loc, sizeof(loc), "/v1/chips/%s/generations/%" PRIu64, r->hex, pr.generation);
	sb_printf(&b, "{\"chip_id\": \"%s\", \"generation\": %" PRIu64 ", \"location\": \"%s\"}\n",
		  r->hex, pr.generation, loc);
	return send_json(c, 201, &b, loc);
}

/* ---- MHD callbacks ---- */

static MHD_RESULT on_request(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version,
			     const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct upload *u = *con_cls;
	struct route r;
	bool is_get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		      !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool is_post = !strcmp(method, MHD_HTTP_METHOD_POST);

	(void)cls;
	(void)version;
	route(url, &r);

	if (!u) {
		/* first call for this request: headers only */
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		*con_cls = u;
		if (is_post && r.found && r.postable) {
			const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								     MHD_HTTP_HEADER_CONTENT_LENGTH);

			if (cl && strtoull(cl, NULL, 10) > cfg.max_body)
				return send_error(c, 413, NULL, "body larger than %zu bytes",
						  cfg.max_body);
			return MHD_YES;	/* wait for the body */
		}
		/* answer on the next call: answering from the first call makes
		 * MHD close the connection (no keep-alive) */
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* body chunk: keep it if it fits, else remember and discard */
		if (!is_post || !r.postable || u->too_large ||
		    u->len + *upload_data_size > cfg.max_body) {
			if (is_post && r.postable)
				u->too_large = true;
			free(u->buf);
			u->buf = NULL;
			u->len = 0;
		} else {
			uint8_t *nb = realloc(u->buf, u->len + *upload_data_size);

			if (!nb)
				return MHD_NO;
			memcpy(nb + u->len, upload_data, *upload_data_size);
			u->buf = nb;
			u->len += *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!r.found)
		return send_error(c, 404, NULL, "no such resource");
	if (r.postable ? !(is_get || is_post) : !is_get)
		return send_error(c, 405, r.postable ? "GET, HEAD, POST" : "GET, HEAD",
				  "method %s not allowed here", method);
	if (r.bad_chip)
		return send_error(c, 400, NULL, "chip ID must be exactly 32 hex digits");
	if (r.has_gen && r.bad_gen)
		return send_error(c, 400, NULL, "generation must be a decimal number 1..2^63-1");
	if (is_post) {
		if (u->too_large)
			return send_error(c, 413, NULL, "body larger than %zu bytes", cfg.max_body);
		return handle_post(c, &r, u);
	}
	return handle_get(c, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (u) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chipkey-pubdb --db URL --listen ADDR:PORT --writers CA.pem\n"
		"                     [--max-body BYTES] [--threads N] [--timeout SECONDS]\n"
		"                     [--max-connections N] [--max-per-ip N] [--port-file FILE]\n"
		"                     [--mmap-mib N] [--cache-mib N]\n"
		"  --db        sqlite:/path/file.db or postgresql://... (libpq URI)\n"
		"  --listen    IPv4 address and port (port 0: any free port)\n"
		"  --writers   PEM file of the CA certificate(s) writers must chain to\n"
		"  --max-body  largest accepted POST body (default 262144)\n"
		"  --max-connections  connections at once (default 512)\n"
		"  --max-per-ip        connections at once from one address (default 64),\n"
		"              so one host cannot take them all\n"
		"  --threads   HTTP worker threads, each with its own database connection\n"
		"              (default: the number of online CPUs)\n"
		"  --mmap-mib  SQLite: memory-map up to N MiB of the database file per\n"
		"              connection (default 1048576; SQLite caps it at its build's\n"
		"              limit, 2 GiB on Debian; 0: read with pread() only)\n"
		"  --cache-mib SQLite: page cache per connection in MiB (default: SQLite's)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "writers", required_argument, NULL, 'w' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "max-per-ip", required_argument, NULL, 'P' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "mmap-mib", required_argument, NULL, 'm' },
		{ "cache-mib", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_s = NULL, *writers = NULL, *port_file = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int threads = ncpu > 0 && ncpu <= 256 ? (unsigned int)ncpu : 4;
	unsigned int timeout = 10, max_conns = 512, max_per_ip = 64;
	struct sockaddr_in sa = { 0 };
	struct MHD_Daemon *d;
	struct store *st;
	char err[256], host[64];
	const char *colon;
	sigset_t set;
	int opt, sig;
	long port;

	cfg.max_body = 262144;
	cfg.mmap_mib = 1048576;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': cfg.db_url = optarg; break;
		case 'l': listen_s = optarg; break;
		case 'w': writers = optarg; break;
		case 'b': cfg.max_body = strtoul(optarg, NULL, 10); break;
		case 't': threads = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'T': timeout = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'c': max_conns = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'P': max_per_ip = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'p': port_file = optarg; break;
		case 'm': cfg.mmap_mib = strtoull(optarg, NULL, 10); break;
		case 'C': cfg.cache_mib = strtoull(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!cfg.db_url || !listen_s || !writers || optind != argc || cfg.max_body < 64 ||
	    cfg.max_body > 64u << 20 || threads < 1 || threads > 256 || timeout < 1 ||
	    max_conns < 1 || max_per_ip < 1 ||
	    cfg.mmap_mib > (1ull << 30) || cfg.cache_mib > (1ull << 20)) {
		usage(stderr);
		return 2;
	}
	colon = strrchr(listen_s, ':');
	port = colon ? strtol(colon + 1, NULL, 10) : -1;
	if (!colon || (size_t)(colon - listen_s) >= sizeof(host) || port < 0 || port > 65535) {
		fprintf(stderr, "chipkey-pubdb: --listen wants ADDR:PORT\n");
		return 2;
	}
	memcpy(host, listen_s, (size_t)(colon - listen_s));
	host[colon - listen_s] = '\0';
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "chipkey-pubdb: bad IPv4 address %s\n", host);
		return 2;
	}
	cfg.cas = pubdb_load_cas(writers, err, sizeof(err));
	if (!cfg.cas) {
		fprintf(stderr, "chipkey-pubdb: --writers: %s\n", err);
		return 1;
	}
	/* open once up front: fail early and create the schema */
	if (store_open(cfg.db_url, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "chipkey-pubdb: database: %s\n", err);
		return 1;
	}
	store_close(st);
	pthread_key_create(&cfg.store_key, store_destructor);

	/* signals are taken by sigwait below; MHD threads inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* TURBO: read, write and accept before asking epoll (fewer syscalls
	 * and wake-ups per keep-alive request) */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_TIMEOUT, timeout,
			     MHD_OPTION_CONNECTION_LIMIT, max_conns,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, max_per_ip,
			     /* per connection; MHD zeroes it for every request, so
			      * small: a GET is one line and a few headers, and
			      * POST bodies stream through on_request */
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "chipkey-pubdb: cannot listen on %s\n", listen_s);
		return 1;
	}
	{
		const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		unsigned int bound = info ? info->port : (unsigned int)port;

		fprintf(stderr, "chipkey-pubdb: listening on %s:%u (%s, %u threads)\n", host,
			bound, strncmp(cfg.db_url, "sqlite:", 7) ? "postgresql" : "sqlite",
			threads);
		if (port_file) {
			char tmp[PATH_MAX];
			FILE *f;

			snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
			f = fopen(tmp, "w");
			if (!f || fprintf(f, "%u\n", bound) < 0 || fclose(f) != 0 ||
			    rename(tmp, port_file) != 0) {
				fprintf(stderr, "chipkey-pubdb: cannot write %s\n", port_file);
				MHD_stop_daemon(d);
				return 1;
			}
		}
	}
	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig == SIGPIPE);
	MHD_stop_daemon(d);
	X509_STORE_free(cfg.cas);
	return 0;
}
