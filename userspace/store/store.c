// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store: common code (Luhn, hex, argument checks, dispatch).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "store-int.h"
#include "crashpoint.h"

/* ---- Luhn ---- */

int luhn_check_digit(const char *digits, size_t n)
{
	unsigned int sum = 0;
	size_t i;

	if (!digits || n == 0)
		return -EINVAL;
	/* Walk from the rightmost digit; it sits next to the check digit,
	 * so it is doubled. */
	for (i = 0; i < n; i++) {
		char c = digits[n - 1 - i];
		unsigned int d;

		if (c < '0' || c > '9')
			return -EINVAL;
		d = (unsigned int)(c - '0');
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (int)((10 - sum % 10) % 10);
}

bool luhn_valid(const char *s)
{
	size_t n;
	int cd;

	if (!s)
		return false;
	n = strlen(s);
	if (n < 2)
		return false;
	cd = luhn_check_digit(s, n - 1);
	if (cd < 0 || s[n - 1] < '0' || s[n - 1] > '9')
		return false;
	return cd == s[n - 1] - '0';
}

bool store_identity_valid(const char *s)
{
	return s && strlen(s) == STORE_IDENTITY_LEN && luhn_valid(s);
}

int imei_complete(const char *body14, char out[STORE_IDENTITY_LEN + 1])
{
	int cd;

	if (!body14 || strlen(body14) != STORE_IDENTITY_LEN - 1)
		return -EINVAL;
	cd = luhn_check_digit(body14, STORE_IDENTITY_LEN - 1);
	if (cd < 0)
		return cd;
	memcpy(out, body14, STORE_IDENTITY_LEN - 1);
	out[STORE_IDENTITY_LEN - 1] = (char)('0' + cd);
	out[STORE_IDENTITY_LEN] = '\0';
	return 0;
}

/* ---- hex ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int store_chip_id_parse(const char *hex, uint8_t chip_id[STORE_CHIP_ID_LEN])
{
	size_t i;

	if (!hex || strlen(hex) != 2 * STORE_CHIP_ID_LEN)
		return -EINVAL;
	for (i = 0; i < STORE_CHIP_ID_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		chip_id[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void store_chip_id_format(const uint8_t chip_id[STORE_CHIP_ID_LEN], char hex[33])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < STORE_CHIP_ID_LEN; i++) {
		hex[2 * i] = digits[chip_id[i] >> 4];
		hex[2 * i + 1] = digits[chip_id[i] & 15];
	}
	hex[32] = '\0';
}

/* ---- internals ---- */

int store_fail(struct store *st, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return rc;
}

int64_t store_now(void)
{
	return (int64_t)time(NULL);
}

void *store_memdup(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

/* ---- open / close ---- */

int store_open(const char *url, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	int rc;

	*out = NULL;
	if (!url) {
		if (err && errlen)
			snprintf(err, errlen, "no database URL");
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (strncmp(url, "sqlite:", 7) == 0) {
		const char *path = url + 7;

		/* accept sqlite:///abs/path and sqlite://localhost/abs too */
		if (strncmp(path, "//", 2) == 0) {
			path += 2;
			path = strchr(path, '/');
			if (!path)
				path = "";
		}
		rc = store_sqlite_open(st, path);
	} else if (strncmp(url, "postgresql://", 13) == 0 ||
		   strncmp(url, "postgres://", 11) == 0 || strchr(url, '=')) {
		rc = store_pg_open(st, url);
	} else {
		rc = store_fail(st, -EINVAL,
				"unknown database URL scheme (want sqlite:/path or postgresql://...)");
	}
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", st->err);
		if (st->ops)
			st->ops->close(st);
		free(st);
		return rc;
	}
	st->err[0] = '\0';
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->ops)
		st->ops->close(st);
	free(st);
}

const char *store_error(const struct store *st)
{
	return st ? st->err : "no store";
}

const char *store_backend(const struct store *st)
{
	return st && st->ops ? st->ops->name : "none";
}

int store_tune_reads(struct store *st, uint64_t mmap_bytes, uint64_t cache_kib)
{
	if (!st || !st->ops)
		return -EINVAL;
	st->err[0] = '\0';
	if (strcmp(st->ops->name, "sqlite"))
		return 0;
	return store_sqlite_tune_reads(st, mmap_bytes, cache_kib);
}

/* ---- argument checks + dispatch ---- */

#define CHECK_ST(st) do { if (!(st)) return -EINVAL; (st)->err[0] = '\0'; } while (0)

int store_load_identities(struct store *st, const char *const *ids, size_t n,
			  size_t *added)
{
	size_t i;

	CHECK_ST(st);
	if (added)
		*added = 0;
	if (n && !ids)
		return store_fail(st, -EINVAL, "no identities");
	for (i = 0; i < n; i++)
		if (!store_identity_valid(ids[i]))
			return store_fail(st, -EINVAL,
					  "identity #%zu is not 15 digits with a valid Luhn check digit",
					  i);
	if (n == 0)
		return 0;
	return st->ops->load_identities(st, ids, n, added);
}

int store_claim_identity(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
			 char identity[STORE_IDENTITY_LEN + 1], int *state)
{
	int dummy;

	CHECK_ST(st);
	if (!chip_id || !identity)
		return store_fail(st, -EINVAL, "bad arguments");
	return st->ops->claim_identity(st, chip_id, identity, state ? state : &dummy);
}

int store_identity_counts(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i)
{
	uint64_t a, b, c;
	int rc;

	CHECK_ST(st);
	rc = st->ops->identity_counts(st, &a, &b, &c);
	if (rc == 0) {
		if (f)
			*f = a;
		if (r)
			*r = b;
		if (i)
			*i = c;
	}
	return rc;
}

int store_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
		      const uint8_t *priv, size_t priv_len, int64_t *id)
{
	int64_t dummy;

	CHECK_ST(st);
	if (!pub || !priv || !pub_len || !priv_len ||
	    pub_len > STORE_MAX_BLOB || priv_len > STORE_MAX_BLOB)
		return store_fail(st, -EINVAL, "bad key pair blobs");
	return st->ops->add_keypair(st, pub, pub_len, priv, priv_len, id ? id : &dummy);
}

int store_claim_keypair(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
			struct store_keypair *kp)
{
	CHECK_ST(st);
	if (!chip_id || !kp)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(kp, 0, sizeof(*kp));
	return st->ops->claim_keypair(st, chip_id, kp);
}

int store_claim_identity_keypair(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
				 char identity[STORE_IDENTITY_LEN + 1], int *state,
				 struct store_keypair *kp)
{
	int dummy, rc;

	CHECK_ST(st);
	if (!chip_id || !identity || !kp)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(kp, 0, sizeof(*kp));
	if (!state)
		state = &dummy;
	if (st->ops->claim_both)
		return st->ops->claim_both(st, chip_id, identity, state, kp);
	rc = st->ops->claim_identity(st, chip_id, identity, state);
	if (rc || *state != STORE_ID_RESERVED)
		return rc;
	CK_CRASH_POINT("store:claim-mid");
	rc = st->ops->claim_keypair(st, chip_id, kp);
	if (rc == -ENOENT) {
		st->err[0] = '\0';
		return 0;
	}
	if (rc)
		identity[0] = '\0';
	return rc;
}

void store_keypair_clear(struct store_keypair *kp)
{
	if (!kp)
		return;
	if (kp->priv)
		OPENSSL_cleanse(kp->priv, kp->priv_len);
	free(kp->priv);
	free(kp->pub);
	memset(kp, 0, sizeof(*kp));
}

int store_keypair_counts(struct store *st, uint64_t *f, uint64_t *r)
{
	uint64_t a, b;
	int rc;

	CHECK_ST(st);
	rc = st->ops->keypair_counts(st, &a, &b);
	if (rc == 0) {
		if (f)
			*f = a;
		if (r)
			*r = b;
	}
	return rc;
}

static int check_generation(struct store *st, uint64_t g)
{
	if (g == 0 || g > (uint64_t)INT64_MAX)
		return store_fail(st, -EINVAL, "generation must be 1..2^63-1");
	return 0;
}

int store_pub_insert(struct store *st, struct store_pub_record *rec)
{
	int rc;

	CHECK_ST(st);
	if (!rec)
		return store_fail(st, -EINVAL, "bad arguments");
	rc = check_generation(st, rec->generation);
	if (rc)
		return rc;
	if (!store_identity_valid(rec->identity))
		return store_fail(st, -EINVAL, "invalid device identity");
	if (!rec->backup || !rec->backup_len || rec->backup_len > STORE_MAX_BLOB ||
	    !rec->cert || !rec->cert_len || rec->cert_len > STORE_MAX_BLOB ||
	    rec->signed_record_len > STORE_MAX_BLOB ||
	    (rec->signed_record_len && !rec->signed_record))
		return store_fail(st, -EINVAL, "missing or oversize blob");
	return st->ops->pub_insert(st, rec);
}

int store_pub_latest(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_pub_record *rec)
{
	CHECK_ST(st);
	if (!chip_id || !rec)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(rec, 0, sizeof(*rec));
	return st->ops->pub_get(st, chip_id, 0, rec);
}

int store_pub_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		  uint64_t generation, struct store_pub_record *rec)
{
	int rc;

	CHECK_ST(st);
	if (!chip_id || !rec)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(rec, 0, sizeof(*rec));
	rc = check_generation(st, generation);
	if (rc)
		return rc;
	return st->ops->pub_get(st, chip_id, generation, rec);
}

void store_pub_record_clear(struct store_pub_record *rec)
{
	if (!rec)
		return;
	free(rec->backup);
	free(rec->cert);
	free(rec->signed_record);
	memset(rec, 0, sizeof(*rec));
}

int store_pub_generations(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
			  struct store_generation **list, size_t *n)
{
	CHECK_ST(st);
	if (!chip_id || !list || !n)
		return store_fail(st, -EINVAL, "bad arguments");
	*list = NULL;
	*n = 0;
	return st->ops->pub_generations(st, chip_id, list, n);
}

int store_pub_count_chips(struct store *st, uint64_t *n)
{
	CHECK_ST(st);
	if (!n)
		return store_fail(st, -EINVAL, "bad arguments");
	return st->ops->pub_count_chips(st, n);
}

int store_secret_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_secret_record *rec)
{
	CHECK_ST(st);
	if (!chip_id || !rec)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(rec, 0, sizeof(*rec));
	return st->ops->secret_get(st, chip_id, rec);
}

void store_secret_record_clear(struct store_secret_record *rec)
{
	if (!rec)
		return;
	if (rec->data)
		OPENSSL_cleanse(rec->data, rec->data_len);
	free(rec->data);
	memset(rec, 0, sizeof(*rec));
}

int store_commit_provisioning(struct store *st, const struct store_commit *c)
{
	int rc;

	CHECK_ST(st);
	if (!c)
		return store_fail(st, -EINVAL, "bad arguments");
	rc = check_generation(st, c->generation);
	if (rc)
		return rc;
	if (!store_identity_valid(c->identity))
		return store_fail(st, -EINVAL, "invalid device identity");
	if (!c->backup || !c->backup_len || c->backup_len > STORE_MAX_BLOB ||
	    !c->cert || !c->cert_len || c->cert_len > STORE_MAX_BLOB ||
	    c->secret_len > STORE_MAX_BLOB || (c->secret_len && !c->secret) ||
	    c->signed_record_len > STORE_MAX_BLOB ||
	    (c->signed_record_len && !c->signed_record))
		return store_fail(st, -EINVAL, "missing or oversize blob");
	return st->ops->commit(st, c);
}
