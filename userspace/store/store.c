// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store, the core: store_open() picks the backend from the table
 * of backends below, and every call goes through that backend's struct
 * store_ops once its arguments are checked here.  Also the error helpers
 * and what both backends decide alike: schema versions, the conflict and
 * re-commit checks.  The backends: store-sqlite*.c and store-pg*.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/chipkey.h>
#include <openssl/crypto.h>

#include "store-int.h"
#include "common/identity.h"

_Static_assert(STORE_IDENTITY_LEN == CK_IDENTITY_LEN, "identity length");
_Static_assert(STORE_CHIP_ID_LEN == CHIPKEY_CHIP_ID_LEN, "chip ID length");
_Static_assert(STORE_ATTEST_PUB_LEN == CHIPKEY_EC_POINT_LEN, "attestation key length");

/* ---- the backends ---- */

static const struct store_backend {
	const char *prefix;	/* URL prefix; NULL: a libpq "key=value" string */
	bool strip;		/* the backend gets what follows the prefix */
	const struct store_ops *ops;
} backends[] = {
	{ "sqlite:", true, &store_sqlite_ops },
	{ "postgresql://", false, &store_pg_ops },
	{ "postgres://", false, &store_pg_ops },
	{ NULL, false, &store_pg_ops },
};

static const struct store_backend *backend_of(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const struct store_backend *b = &backends[i];

		if (b->prefix ? !strncmp(url, b->prefix, strlen(b->prefix)) : !!strchr(url, '='))
			return b;
	}
	return NULL;
}

/* ---- error helpers ---- */

int store_fail(struct store *st, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return rc;
}

int store_oom(struct store *st)
{
	return store_fail(st, -ENOMEM, "out of memory");
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
	return store_open_kind(url, STORE_SINGLE, out, err, errlen);
}

int store_open_kind(const char *url, enum store_kind kind, struct store **out,
		    char *err, size_t errlen)
{
	const struct store_backend *b;
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
	st->reservation_timeout = STORE_RESERVATION_TIMEOUT;
	st->kind = kind;
	b = backend_of(url);
	if (b) {
		st->ops = b->ops;
		st->target = strdup(b->strip ? url + strlen(b->prefix) : url);
		rc = st->target ? b->ops->open(st, st->target) : store_oom(st);
	} else {
		rc = store_fail(st, -EINVAL,
				"unknown database URL scheme (want sqlite:/path or postgresql://...)");
	}
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", st->err);
		store_close(st);
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
	if (st->target)		/* a PostgreSQL URL may hold a password */
		OPENSSL_cleanse(st->target, strlen(st->target));
	free(st->target);
	free(st);
}

int store_reconnect(struct store *st)
{
	int rc;

	if (!st || !st->ops)
		return -EINVAL;
	if (!st->lost && (!st->ops->connected || st->ops->connected(st)))
		return 0;
	/* A new connection, not a retry of anything: what the lost one had
	 * not committed is gone with it, and session state (search_path) is
	 * set up again by the open.  Until an open succeeds, the handle stays
	 * lost and no operation runs on a half-opened connection. */
	st->lost = true;
	st->ops->close(st);
	rc = st->ops->open(st, st->target);
	if (rc < 0)
		return rc;
	st->lost = false;
	st->err[0] = '\0';
	return 0;
}

bool store_lost(struct store *st)
{
	return st && st->ops && (st->lost || (st->ops->connected && !st->ops->connected(st)));
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
	if (!st->ops->tune_reads)
		return 0;
	return st->ops->tune_reads(st, mmap_bytes, cache_kib);
}

/* ---- what both backends decide alike ---- */

int store_schema_step(struct store *st, const char *where, int version)
{
	if (version == STORE_SCHEMA_VERSION)
		return STORE_SCHEMA_CURRENT;
	if (version == 0)
		return STORE_SCHEMA_CREATE;
	if (version > STORE_SCHEMA_VERSION)
		return store_fail(st, -EPROTO,
				  "%s: %s has database schema %d, newer than this chipkey's"
				  " schema %d: open it with a newer chipkey",
				  st->ops->name, where, version, STORE_SCHEMA_VERSION);
	if (version < STORE_SCHEMA_MIGRATES)
		return store_fail(st, -EPROTO,
				  "%s: %s has database schema %d, this chipkey migrates schema %d"
				  " and newer only: recreate the file (docs/databases.md, schema versions)",
				  st->ops->name, where, version, STORE_SCHEMA_MIGRATES);
	return STORE_SCHEMA_MIGRATE;
}

int store_check_newer(struct store *st, uint64_t generation, int64_t latest)
{
	if ((uint64_t)latest < generation)
		return 0;
	return store_fail(st, -EEXIST,
			  "conflict: generation %llu is not newer than the latest stored (%lld)",
			  (unsigned long long)generation, (long long)latest);
}

int store_check_recommit(struct store *st, const struct store_commit *c, uint64_t gen,
			 const void *b, size_t len)
{
	if (gen == c->generation && len == c->backup_len && b &&
	    memcmp(b, c->backup, len) == 0)
		return STORE_ALREADY;
	return store_fail(st, -EEXIST,
			  "chip already provisioned with a different backup (generation %llu)",
			  (unsigned long long)gen);
}

/* ---- argument checks + dispatch ---- */


int store_load_identities(struct store *st, const char *const *ids, size_t n,
			  size_t *added)
{
	size_t i;

	CHECK_ST(st);
	NEED_FACTORY(st);
	if (added)
		*added = 0;
	if (n && !ids)
		return store_fail(st, -EINVAL, "no identities");
	for (i = 0; i < n; i++)
		if (!ck_identity_valid(ids[i]))
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
	NEED_FACTORY(st);
	if (!chip_id || !identity)
		return store_fail(st, -EINVAL, "bad arguments");
	return st->ops->claim_identity(st, chip_id, identity, state ? state : &dummy);
}

/* Counters: the caller's pointers may be NULL. */
static void put_count(uint64_t *dst, uint64_t v)
{
	if (dst)
		*dst = v;
}

int store_identity_counts(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i)
{
	uint64_t a, b, c;
	int rc;

	CHECK_ST(st);
	NEED_FACTORY(st);
	rc = st->ops->identity_counts(st, &a, &b, &c);
	if (rc == 0) {
		put_count(f, a);
		put_count(r, b);
		put_count(i, c);
	}
	return rc;
}

int store_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
		      const uint8_t *priv, size_t priv_len, int64_t *id)
{
	int64_t dummy;

	CHECK_ST(st);
	NEED_FACTORY(st);
	if (!pub || !priv || !pub_len || !priv_len ||
	    pub_len > STORE_MAX_BLOB || priv_len > STORE_MAX_BLOB)
		return store_fail(st, -EINVAL, "bad key pair blobs");
	return st->ops->add_keypair(st, pub, pub_len, priv, priv_len, id ? id : &dummy);
}

int store_claim_keypair(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
			struct store_keypair *kp)
{
	CHECK_ST(st);
	NEED_FACTORY(st);
	if (!chip_id || !kp)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(kp, 0, sizeof(*kp));
	return st->ops->claim_keypair(st, chip_id, kp);
}

int store_claim_identity_keypair(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
				 char identity[STORE_IDENTITY_LEN + 1], int *state,
				 struct store_keypair *kp)
{
	int dummy;

	CHECK_ST(st);
	NEED_FACTORY(st);
	if (!chip_id || !identity || !kp)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(kp, 0, sizeof(*kp));
	return st->ops->claim_both(st, chip_id, identity, state ? state : &dummy, kp);
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
	NEED_FACTORY(st);
	rc = st->ops->keypair_counts(st, &a, &b);
	if (rc == 0) {
		put_count(f, a);
		put_count(r, b);
	}
	return rc;
}

int store_check_generation(struct store *st, uint64_t g)
{
	if (g == 0 || g > (uint64_t)INT64_MAX)
		return store_fail(st, -EINVAL, "generation must be 1..2^63-1");
	return 0;
}

/* What store_pub_insert and store_commit_provisioning both check. */
static int check_pub_row(struct store *st, const struct store_pub_row *r)
{
	int rc = store_check_generation(st, r->generation);

	if (rc)
		return rc;
	if (!ck_identity_valid(r->identity))
		return store_fail(st, -EINVAL, "invalid device identity");
	if (!r->backup || !r->backup_len || r->backup_len > STORE_MAX_BLOB ||
	    !r->cert || !r->cert_len || r->cert_len > STORE_MAX_BLOB ||
	    r->signed_record_len > STORE_MAX_BLOB ||
	    (r->signed_record_len && !r->signed_record))
		return store_fail(st, -EINVAL, "missing or oversize blob");
	return 0;
}

int store_pub_insert(struct store *st, struct store_pub_record *rec)
{
	struct store_pub_row row;
	int rc;

	CHECK_ST(st);
	NEED_PUBLIC(st);
	if (!rec)
		return store_fail(st, -EINVAL, "bad arguments");
	row = STORE_PUB_ROW(rec, 0);
	rc = check_pub_row(st, &row);
	return rc ? rc : st->ops->pub_insert(st, rec);
}

int store_pub_latest(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_pub_record *rec)
{
	CHECK_ST(st);
	NEED_PUBLIC(st);
	if (!chip_id || !rec)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(rec, 0, sizeof(*rec));
	return st->ops->pub_get(st, chip_id, 0, rec);
}

int store_pub_current(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		      struct store_pub_record *rec)
{
	CHECK_ST(st);
	NEED_PUBLIC(st);
	if (!chip_id || !rec)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(rec, 0, sizeof(*rec));
	return st->ops->pub_get(st, chip_id, STORE_GEN_CURRENT, rec);
}

int store_pub_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		  uint64_t generation, struct store_pub_record *rec)
{
	int rc;

	CHECK_ST(st);
	NEED_PUBLIC(st);
	if (!chip_id || !rec)
		return store_fail(st, -EINVAL, "bad arguments");
	memset(rec, 0, sizeof(*rec));
	rc = store_check_generation(st, generation);
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
	NEED_PUBLIC(st);
	if (!chip_id || !list || !n)
		return store_fail(st, -EINVAL, "bad arguments");
	*list = NULL;
	*n = 0;
	return st->ops->pub_generations(st, chip_id, list, n);
}

int store_pub_count_chips(struct store *st, uint64_t *n)
{
	CHECK_ST(st);
	NEED_PUBLIC(st);
	if (!n)
		return store_fail(st, -EINVAL, "bad arguments");
	return st->ops->pub_count_chips(st, n);
}

int store_secret_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_secret_record *rec)
{
	CHECK_ST(st);
	NEED_FACTORY(st);
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
	struct store_pub_row row;
	int rc;

	CHECK_ST(st);
	NEED_FACTORY(st);
	if (!c)
		return store_fail(st, -EINVAL, "bad arguments");
	row = STORE_PUB_ROW(c, 0);
	rc = check_pub_row(st, &row);
	if (rc)
		return rc;
	if (c->secret_len > STORE_MAX_BLOB || (c->secret_len && !c->secret))
		return store_fail(st, -EINVAL, "missing or oversize blob");
	return st->ops->commit(st, c);
}

int store_set_reservation_timeout(struct store *st, int64_t seconds)
{
	CHECK_ST(st);
	NEED_FACTORY(st);
	if (seconds < 1)
		return store_fail(st, -EINVAL, "reservation timeout must be >= 1 s");
	st->reservation_timeout = seconds;
	return 0;
}

/* ---- the chip batch ---- */

int store_load_chips(struct store *st, const struct store_chip *chips, size_t n, size_t *added)
{
	size_t i;

	CHECK_ST(st);
	NEED_FACTORY(st);
	if (added)
		*added = 0;
	if (n && !chips)
		return store_fail(st, -EINVAL, "no chips");
	for (i = 0; i < n; i++)
		if (!chips[i].cert || !chips[i].cert_len || chips[i].cert_len > STORE_MAX_BLOB ||
		    chips[i].attest_pub[0] != 0x04)
			return store_fail(st, -EINVAL,
					  "chip #%zu: no certificate or not an uncompressed point", i);
	if (n == 0)
		return 0;
	return st->ops->load_chips(st, chips, n, added);
}

int store_chip_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		   uint8_t attest_pub[STORE_ATTEST_PUB_LEN])
{
	CHECK_ST(st);
	NEED_FACTORY(st);
	if (!chip_id || !attest_pub)
		return store_fail(st, -EINVAL, "bad arguments");
	return st->ops->chip_get(st, chip_id, attest_pub);
}

int store_chip_count(struct store *st, uint64_t *n)
{
	CHECK_ST(st);
	NEED_FACTORY(st);
	if (!n)
		return store_fail(st, -EINVAL, "bad arguments");
	return st->ops->chip_count(st, n);
}
