// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store: PostgreSQL backend (libpq).
 *
 * Same tables as the SQLite backend (docs/databases.md).  Concurrency:
 *  - identity / key pair claims take a free row with
 *    "FOR UPDATE SKIP LOCKED" in a single UPDATE statement; the UNIQUE
 *    constraint on chip_id settles two claimers of the same chip (the
 *    loser retries and reads the winner's row); the SPP's claim (identity
 *    + key pair, pg_claim_both) is one transaction under the chip's
 *    advisory lock, so it never interleaves with a commit of that chip;
 *  - writes to the public database for one chip are serialized by a
 *    transaction-scoped advisory lock derived from the chip ID, so
 *    "generation must be newer than the latest" holds across stations.
 * All results are fetched in binary format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store-int.h"
#include "crashpoint.h"

struct pg {
	PGconn *conn;
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS t140_identities ("
	" identity text PRIMARY KEY CHECK (identity ~ '^[0-9]{15}$'),"
	" state smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
	" chip_id bytea UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),"
	" reserved_at bigint, issued_at bigint,"
	" CHECK ((state = 0) = (chip_id IS NULL)));"
	"CREATE INDEX IF NOT EXISTS t140_identities_free"
	" ON t140_identities (identity) WHERE state = 0;"
	"CREATE TABLE IF NOT EXISTS t140_keypairs ("
	" id bigserial PRIMARY KEY,"
	" pub bytea NOT NULL, priv bytea NOT NULL,"
	" chip_id bytea UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),"
	" reserved_at bigint);"
	"CREATE INDEX IF NOT EXISTS t140_keypairs_free"
	" ON t140_keypairs (id) WHERE chip_id IS NULL;"
	"CREATE TABLE IF NOT EXISTS s160_devices ("
	" chip_id bytea PRIMARY KEY CHECK (length(chip_id) = 16),"
	" identity text NOT NULL UNIQUE,"
	" generation bigint NOT NULL,"
	" created bigint NOT NULL,"
	" data bytea NOT NULL);"
	"CREATE TABLE IF NOT EXISTS p170_records ("
	" chip_id bytea NOT NULL CHECK (length(chip_id) = 16),"
	" generation bigint NOT NULL CHECK (generation > 0),"
	" identity text NOT NULL,"
	" backup bytea NOT NULL, cert bytea NOT NULL, signed_record bytea,"
	" created bigint NOT NULL,"
	" PRIMARY KEY (chip_id, generation));"
	"CREATE OR REPLACE FUNCTION p170_insert_only() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	" RAISE EXCEPTION 'p170_records is insert-only'; END $$;"
	"CREATE OR REPLACE TRIGGER p170_records_no_change"
	" BEFORE UPDATE OR DELETE ON p170_records"
	" FOR EACH ROW EXECUTE FUNCTION p170_insert_only();"
	"CREATE OR REPLACE TRIGGER p170_records_no_truncate"
	" BEFORE TRUNCATE ON p170_records"
	" FOR EACH STATEMENT EXECUTE FUNCTION p170_insert_only();";

static PGconn *C(struct store *st)
{
	return ((struct pg *)st->impl)->conn;
}

static int res_fail(struct store *st, PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int rc = -EIO;

	if (!msg)
		msg = PQerrorMessage(C(st));
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")))
		rc = -EBUSY;
	store_fail(st, rc, "postgresql: %s: %s%s%s", what, msg ? msg : "?",
		   state ? " SQLSTATE " : "", state ? state : "");
	/* strip a trailing newline from libpq messages */
	{
		size_t n = strlen(st->err);

		while (n && (st->err[n - 1] == '\n' || st->err[n - 1] == '\r'))
			st->err[--n] = '\0';
	}
	if (r)
		PQclear(r);
	return rc;
}

static bool is_unique_violation(PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return state && !strcmp(state, "23505");
}

/* Parameters: up to 8, each text (len < 0) or binary (len >= 0). */
struct params {
	int n;
	const char *v[8];
	int len[8];
	int fmt[8];
	char buf[8][24];
};

static void p_text(struct params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_i64(struct params *p, int64_t x)
{
	snprintf(p->buf[p->n], sizeof(p->buf[0]), "%" PRId64, x);
	p_text(p, p->buf[p->n]);
}

static void p_bin(struct params *p, const void *b, size_t n)
{
	p->v[p->n] = n ? b : "";
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

static void p_null(struct params *p)
{
	p->v[p->n] = NULL;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static PGresult *run(struct store *st, const char *sql, const struct params *p)
{
	return PQexecParams(C(st), sql, p ? p->n : 0, NULL, p ? p->v : NULL,
			    p ? p->len : NULL, p ? p->fmt : NULL, 1);
}

/* Runs a command; returns 0 or fails. */
static int cmd(struct store *st, const char *sql, const struct params *p,
	       const char *what)
{
	PGresult *r = run(st, sql, p);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, what);
	PQclear(r);
	return 0;
}

static void rollback(struct store *st)
{
	if (PQtransactionStatus(C(st)) != PQTRANS_IDLE)
		PQclear(PQexec(C(st), "ROLLBACK"));
}

static uint64_t be64(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static int64_t get_i64(PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	if (PQgetlength(r, row, col) == 8)
		return (int64_t)be64(PQgetvalue(r, row, col));
	if (PQgetlength(r, row, col) == 2) {
		const unsigned char *b = (const unsigned char *)PQgetvalue(r, row, col);

		return (int16_t)(b[0] << 8 | b[1]);
	}
	return 0;
}

static int get_blob(PGresult *r, int row, int col, uint8_t **out, size_t *len)
{
	int n = PQgetlength(r, row, col);

	*out = NULL;
	*len = 0;
	if (PQgetisnull(r, row, col) || n <= 0)
		return 0;
	*out = store_memdup(PQgetvalue(r, row, col), (size_t)n);
	if (!*out)
		return -ENOMEM;
	*len = (size_t)n;
	return 0;
}

static void get_identity(PGresult *r, int row, int col, char *out)
{
	int n = PQgetlength(r, row, col);

	if (n > STORE_IDENTITY_LEN)
		n = STORE_IDENTITY_LEN;
	memcpy(out, PQgetvalue(r, row, col), (size_t)n);
	out[n] = '\0';
}

/* Transaction-scoped advisory lock key of a chip. */
static int64_t chip_lock_key(const uint8_t *chip)
{
	return (int64_t)be64((const char *)chip);
}

static int lock_chip(struct store *st, const uint8_t *chip)
{
	struct params p = { 0 };

	p_i64(&p, chip_lock_key(chip));
	return cmd(st, "SELECT pg_advisory_xact_lock($1::bigint)", &p, "lock chip");
}

static void pg_close(struct store *st)
{
	struct pg *g = st->impl;

	if (!g)
		return;
	if (g->conn)
		PQfinish(g->conn);
	free(g);
	st->impl = NULL;
}

/* ---- 140 ---- */

static int pg_load_identities(struct store *st, const char *const *ids, size_t n,
			      size_t *added)
{
	size_t i, cnt = 0;
	int rc;

	rc = cmd(st, "BEGIN", NULL, "begin");
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		struct params p = { 0 };
		PGresult *r;

		p_text(&p, ids[i]);
		r = run(st, "INSERT INTO t140_identities (identity) VALUES ($1)"
			" ON CONFLICT DO NOTHING", &p);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = res_fail(st, r, "insert identity");
			rollback(st);
			return rc;
		}
		cnt += (size_t)strtoul(PQcmdTuples(r), NULL, 10);
		PQclear(r);
	}
	rc = cmd(st, "COMMIT", NULL, "commit");
	if (rc) {
		rollback(st);
		return rc;
	}
	if (added)
		*added = cnt;
	return 0;
}

/*
 * One attempt at the identity claim: 0 (*state set), -EAGAIN (retry: all
 * free rows locked by other claimers, or another connection claimed for
 * the same chip first: then the statement failed, and inside a transaction
 * the caller must roll back), -ENOSPC, or another error.
 */
static int claim_identity_once(struct store *st, const uint8_t *chip, char *identity,
			       int *state)
{
	struct params p = { 0 };
	PGresult *r;

	p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = run(st, "SELECT identity, state FROM t140_identities WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "look up chip");
	if (PQntuples(r) == 1) {
		get_identity(r, 0, 0, identity);
		*state = (int)get_i64(r, 0, 1);
		PQclear(r);
		return 0;
	}
	PQclear(r);

	p_i64(&p, store_now());
	r = run(st, "UPDATE t140_identities SET state = 1, chip_id = $1, reserved_at = $2"
		" WHERE identity = (SELECT identity FROM t140_identities"
		"  WHERE state = 0 ORDER BY identity LIMIT 1 FOR UPDATE SKIP LOCKED)"
		" RETURNING identity", &p);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		get_identity(r, 0, 0, identity);
		*state = STORE_ID_RESERVED;
		PQclear(r);
		return 0;
	}
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		/* nothing free and unlocked: exhausted, or all locked */
		PQclear(r);
		r = run(st, "SELECT EXISTS (SELECT 1 FROM t140_identities WHERE state = 0)",
			NULL);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			return res_fail(st, r, "count free identities");
		if (PQgetvalue(r, 0, 0)[0] == 0) {
			PQclear(r);
			return store_fail(st, -ENOSPC, "identity pool exhausted");
		}
		PQclear(r);
		return -EAGAIN;
	}
	if (is_unique_violation(r)) {
		/* the same chip claimed concurrently elsewhere: re-read */
		PQclear(r);
		return -EAGAIN;
	}
	return res_fail(st, r, "reserve identity");
}

static int pg_claim_identity(struct store *st, const uint8_t *chip, char *identity,
			     int *state)
{
	int attempt, rc;

	for (attempt = 0; attempt < STORE_MAX_RETRIES; attempt++) {
		rc = claim_identity_once(st, chip, identity, state);
		if (rc != -EAGAIN)
			return rc;
		usleep(1000);
	}
	return store_fail(st, -EBUSY, "identity claim: too many retries");
}

static int pg_identity_counts(struct store *st, uint64_t *f, uint64_t *rs, uint64_t *i)
{
	PGresult *r = run(st, "SELECT count(*) FILTER (WHERE state = 0),"
			  " count(*) FILTER (WHERE state = 1),"
			  " count(*) FILTER (WHERE state = 2) FROM t140_identities", NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "count identities");
	*f = (uint64_t)get_i64(r, 0, 0);
	*rs = (uint64_t)get_i64(r, 0, 1);
	*i = (uint64_t)get_i64(r, 0, 2);
	PQclear(r);
	return 0;
}

static int pg_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
			  const uint8_t *priv, size_t priv_len, int64_t *id)
{
	struct params p = { 0 };
	PGresult *r;

	p_bin(&p, pub, pub_len);
	p_bin(&p, priv, priv_len);
	r = run(st, "INSERT INTO t140_keypairs (pub, priv) VALUES ($1, $2) RETURNING id", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "insert key pair");
	*id = get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

static int read_kp(struct store *st, PGresult *r, struct store_keypair *kp)
{
	kp->id = get_i64(r, 0, 0);
	if (get_blob(r, 0, 1, &kp->pub, &kp->pub_len) ||
	    get_blob(r, 0, 2, &kp->priv, &kp->priv_len)) {
		store_keypair_clear(kp);
		PQclear(r);
		return store_fail(st, -ENOMEM, "out of memory");
	}
	PQclear(r);
	return 0;
}

/* One attempt at the key pair claim: 0, -EAGAIN (as above), -ENOENT (none
 * left), or another error. */
static int claim_keypair_once(struct store *st, const uint8_t *chip,
			      struct store_keypair *kp)
{
	struct params p = { 0 };
	PGresult *r;

	p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = run(st, "SELECT id, pub, priv FROM t140_keypairs WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "look up key pair");
	if (PQntuples(r) == 1)
		return read_kp(st, r, kp);
	PQclear(r);

	p_i64(&p, store_now());
	r = run(st, "UPDATE t140_keypairs SET chip_id = $1, reserved_at = $2"
		" WHERE id = (SELECT id FROM t140_keypairs WHERE chip_id IS NULL"
		"  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
		" RETURNING id, pub, priv", &p);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		return read_kp(st, r, kp);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		PQclear(r);
		r = run(st, "SELECT EXISTS (SELECT 1 FROM t140_keypairs WHERE chip_id IS NULL)",
			NULL);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			return res_fail(st, r, "count key pairs");
		if (PQgetvalue(r, 0, 0)[0] == 0) {
			PQclear(r);
			return store_fail(st, -ENOENT, "no pre-generated key pair left");
		}
		PQclear(r);
		return -EAGAIN;
	}
	if (is_unique_violation(r)) {
		PQclear(r);
		return -EAGAIN;
	}
	return res_fail(st, r, "reserve key pair");
}

static int pg_claim_keypair(struct store *st, const uint8_t *chip, struct store_keypair *kp)
{
	int attempt, rc;

	for (attempt = 0; attempt < STORE_MAX_RETRIES; attempt++) {
		rc = claim_keypair_once(st, chip, kp);
		if (rc != -EAGAIN)
			return rc;
		usleep(1000);
	}
	return store_fail(st, -EBUSY, "key pair claim: too many retries");
}

/*
 * The SPP's claim: identity and (if reserved, not issued) key pair in ONE
 * transaction that holds the chip's advisory lock, the lock pg_commit takes
 * too.  So a commit of the same chip by another connection is either
 * entirely before this claim (which then sees the identity issued and
 * reserves no pair) or entirely after it: a key pair is never reserved for
 * a chip whose provisioning is already committed (the pair would be lost:
 * nothing ever deletes or frees it).
 */
static int pg_claim_both(struct store *st, const uint8_t *chip, char *identity,
			 int *state, struct store_keypair *kp)
{
	int attempt, rc = 0;

	for (attempt = 0; attempt < STORE_MAX_RETRIES; attempt++) {
		rc = cmd(st, "BEGIN", NULL, "begin");
		if (!rc)
			rc = lock_chip(st, chip);
		if (!rc)
			rc = claim_identity_once(st, chip, identity, state);
		if (!rc && *state == STORE_ID_RESERVED) {
			CK_CRASH_POINT("store:claim-mid");
			rc = claim_keypair_once(st, chip, kp);
			if (rc == -ENOENT) {
				st->err[0] = '\0';
				rc = 0;		/* none left: the SPP makes a key */
			}
		}
		if (!rc)
			rc = cmd(st, "COMMIT", NULL, "commit");
		rollback(st);
		if (rc != -EAGAIN)
			break;
		store_keypair_clear(kp);
		usleep(1000);
	}
	if (rc == -EAGAIN)
		rc = store_fail(st, -EBUSY, "identity claim: too many retries");
	if (rc) {
		store_keypair_clear(kp);
		identity[0] = '\0';
	}
	return rc;
}

static int pg_keypair_counts(struct store *st, uint64_t *f, uint64_t *rs)
{
	PGresult *r = run(st, "SELECT count(*) FILTER (WHERE chip_id IS NULL),"
			  " count(*) FILTER (WHERE chip_id IS NOT NULL) FROM t140_keypairs",
			  NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "count key pairs");
	*f = (uint64_t)get_i64(r, 0, 0);
	*rs = (uint64_t)get_i64(r, 0, 1);
	PQclear(r);
	return 0;
}

/* ---- 170 ---- */

static int insert_pub(struct store *st, const uint8_t *chip, uint64_t gen,
		      const char *identity, const uint8_t *backup, size_t backup_len,
		      const uint8_t *cert, size_t cert_len, const uint8_t *sr,
		      size_t sr_len, int64_t now)
{
	struct params p = { 0 };

	p_bin(&p, chip, STORE_CHIP_ID_LEN);
	p_i64(&p, (int64_t)gen);
	p_text(&p, identity);
	p_bin(&p, backup, backup_len);
	p_bin(&p, cert, cert_len);
	if (sr_len)
		p_bin(&p, sr, sr_len);
	else
		p_null(&p);
	p_i64(&p, now);
	return cmd(st, "INSERT INTO p170_records (chip_id, generation, identity, backup,"
		   " cert, signed_record, created) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		   &p, "insert public record");
}

static int pg_pub_insert(struct store *st, struct store_pub_record *rec)
{
	struct params p = { 0 };
	PGresult *r;
	int64_t latest = 0;
	int rc;

	rc = cmd(st, "BEGIN", NULL, "begin");
	if (!rc)
		rc = lock_chip(st, rec->chip_id);
	if (rc)
		goto out;
	p_bin(&p, rec->chip_id, STORE_CHIP_ID_LEN);
	r = run(st, "SELECT max(generation) FROM p170_records WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = res_fail(st, r, "latest generation");
		goto out;
	}
	latest = get_i64(r, 0, 0);
	PQclear(r);
	if ((uint64_t)latest >= rec->generation) {
		rc = store_fail(st, -EEXIST,
				"conflict: generation %llu is not newer than the latest stored (%lld)",
				(unsigned long long)rec->generation, (long long)latest);
		goto out;
	}
	rec->created = store_now();
	rc = insert_pub(st, rec->chip_id, rec->generation, rec->identity, rec->backup,
			rec->backup_len, rec->cert, rec->cert_len, rec->signed_record,
			rec->signed_record_len, rec->created);
	if (!rc)
		rc = cmd(st, "COMMIT", NULL, "commit");
out:
	rollback(st);
	return rc;
}

static int pg_pub_get(struct store *st, const uint8_t *chip, uint64_t gen,
		      struct store_pub_record *rec)
{
	struct params p = { 0 };
	PGresult *r;

	p_bin(&p, chip, STORE_CHIP_ID_LEN);
	if (gen) {
		p_i64(&p, (int64_t)gen);
		r = run(st, "SELECT generation, identity, backup, cert, signed_record, created"
			" FROM p170_records WHERE chip_id = $1 AND generation = $2", &p);
	} else {
		r = run(st, "SELECT generation, identity, backup, cert, signed_record, created"
			" FROM p170_records WHERE chip_id = $1"
			" ORDER BY generation DESC LIMIT 1", &p);
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "read public record");
	if (PQntuples(r) == 0) {
		PQclear(r);
		return store_fail(st, -ENOENT, "no such record");
	}
	memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
	rec->generation = (uint64_t)get_i64(r, 0, 0);
	get_identity(r, 0, 1, rec->identity);
	rec->created = get_i64(r, 0, 5);
	if (get_blob(r, 0, 2, &rec->backup, &rec->backup_len) ||
	    get_blob(r, 0, 3, &rec->cert, &rec->cert_len) ||
	    get_blob(r, 0, 4, &rec->signed_record, &rec->signed_record_len)) {
		store_pub_record_clear(rec);
		PQclear(r);
		return store_fail(st, -ENOMEM, "out of memory");
	}
	PQclear(r);
	return 0;
}

static int pg_pub_generations(struct store *st, const uint8_t *chip,
			      struct store_generation **list, size_t *n)
{
	struct params p = { 0 };
	struct store_generation *v;
	PGresult *r;
	int i, rows;

	p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = run(st, "SELECT generation, created FROM p170_records WHERE chip_id = $1"
		" ORDER BY generation", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "list generations");
	rows = PQntuples(r);
	if (rows == 0) {
		PQclear(r);
		return store_fail(st, -ENOENT, "no such chip");
	}
	v = calloc((size_t)rows, sizeof(*v));
	if (!v) {
		PQclear(r);
		return store_fail(st, -ENOMEM, "out of memory");
	}
	for (i = 0; i < rows; i++) {
		v[i].generation = (uint64_t)get_i64(r, i, 0);
		v[i].created = get_i64(r, i, 1);
	}
	PQclear(r);
	*list = v;
	*n = (size_t)rows;
	return 0;
}

static int pg_pub_count_chips(struct store *st, uint64_t *n)
{
	PGresult *r = run(st, "SELECT count(DISTINCT chip_id) FROM p170_records", NULL);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "count chips");
	*n = (uint64_t)get_i64(r, 0, 0);
	PQclear(r);
	return 0;
}

/* ---- 160 ---- */

static int pg_secret_get(struct store *st, const uint8_t *chip,
			 struct store_secret_record *rec)
{
	struct params p = { 0 };
	PGresult *r;

	p_bin(&p, chip, STORE_CHIP_ID_LEN);
	r = run(st, "SELECT identity, generation, created, data FROM s160_devices"
		" WHERE chip_id = $1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "read secret record");
	if (PQntuples(r) == 0) {
		PQclear(r);
		return store_fail(st, -ENOENT, "no such device");
	}
	memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
	get_identity(r, 0, 0, rec->identity);
	rec->generation = (uint64_t)get_i64(r, 0, 1);
	rec->created = get_i64(r, 0, 2);
	if (get_blob(r, 0, 3, &rec->data, &rec->data_len)) {
		PQclear(r);
		return store_fail(st, -ENOMEM, "out of memory");
	}
	PQclear(r);
	return 0;
}

/* ---- the provisioning commit ---- */

static int pg_commit(struct store *st, const struct store_commit *c)
{
	int64_t now = store_now();
	struct params p = { 0 };
	PGresult *r;
	int rc;

	rc = cmd(st, "BEGIN", NULL, "begin");
	if (!rc)
		rc = lock_chip(st, c->chip_id);
	if (rc)
		goto out;

	/* 1. already committed? */
	p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
	r = run(st, "SELECT generation, backup FROM p170_records WHERE chip_id = $1"
		" ORDER BY generation DESC LIMIT 1", &p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = res_fail(st, r, "look up public record");
		goto out;
	}
	if (PQntuples(r) == 1) {
		uint64_t g = (uint64_t)get_i64(r, 0, 0);
		bool same = g == c->generation &&
			    (size_t)PQgetlength(r, 0, 1) == c->backup_len &&
			    memcmp(PQgetvalue(r, 0, 1), c->backup, c->backup_len) == 0;

		PQclear(r);
		if (same)
			rc = STORE_ALREADY;
		else
			rc = store_fail(st, -EEXIST,
					"chip already provisioned with a different backup (generation %llu)",
					(unsigned long long)g);
		goto out;
	}
	PQclear(r);

	/* 2. identity reserved for this chip -> issued */
	memset(&p, 0, sizeof(p));
	p_text(&p, c->identity);
	p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
	p_i64(&p, now);
	r = run(st, "UPDATE t140_identities SET state = 2, issued_at = $3"
		" WHERE identity = $1 AND chip_id = $2 AND state = 1", &p);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = res_fail(st, r, "issue identity");
		goto out;
	}
	if (strcmp(PQcmdTuples(r), "1") != 0) {
		PQclear(r);
		rc = store_fail(st, -EPERM, "identity is not reserved for this chip");
		goto out;
	}
	PQclear(r);

	/* 3. public record (170) */
	rc = insert_pub(st, c->chip_id, c->generation, c->identity, c->backup,
			c->backup_len, c->cert, c->cert_len, c->signed_record,
			c->signed_record_len, now);
	if (rc)
		goto out;

	/* 4. secret record (160) */
	memset(&p, 0, sizeof(p));
	p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
	p_text(&p, c->identity);
	p_i64(&p, (int64_t)c->generation);
	p_i64(&p, now);
	p_bin(&p, c->secret, c->secret_len);
	rc = cmd(st, "INSERT INTO s160_devices (chip_id, identity, generation, created, data)"
		 " VALUES ($1, $2, $3, $4, $5)", &p, "insert secret record");
	if (rc)
		goto out;

	/* 5. the used pre-generated key pair (140) */
	if (c->used_pregenerated_key) {
		memset(&p, 0, sizeof(p));
		p_bin(&p, c->chip_id, STORE_CHIP_ID_LEN);
		r = run(st, "DELETE FROM t140_keypairs WHERE chip_id = $1", &p);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = res_fail(st, r, "delete key pair");
			goto out;
		}
		if (strcmp(PQcmdTuples(r), "1") != 0) {
			PQclear(r);
			rc = store_fail(st, -ESTALE,
					"no pre-generated key pair reserved for this chip");
			goto out;
		}
		PQclear(r);
	}
	CK_CRASH_POINT("store:commit-mid");
	rc = cmd(st, "COMMIT", NULL, "commit");
	if (!rc)
		CK_CRASH_POINT("store:committed");
out:
	rollback(st);
	return rc;
}

static const struct store_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.load_identities = pg_load_identities,
	.claim_identity = pg_claim_identity,
	.identity_counts = pg_identity_counts,
	.add_keypair = pg_add_keypair,
	.claim_keypair = pg_claim_keypair,
	.claim_both = pg_claim_both,
	.keypair_counts = pg_keypair_counts,
	.pub_insert = pg_pub_insert,
	.pub_get = pg_pub_get,
	.pub_generations = pg_pub_generations,
	.pub_count_chips = pg_pub_count_chips,
	.secret_get = pg_secret_get,
	.commit = pg_commit,
};

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int store_pg_open(struct store *st, const char *conninfo)
{
	struct pg *g;
	PGresult *r;
	int rc;

	g = calloc(1, sizeof(*g));
	if (!g)
		return store_fail(st, -ENOMEM, "out of memory");
	st->impl = g;
	st->ops = &pg_ops;
	g->conn = PQconnectdb(conninfo);
	if (!g->conn || PQstatus(g->conn) != CONNECTION_OK) {
		/* libpq's message names host/port, never the password */
		rc = store_fail(st, -ECONNREFUSED, "postgresql: connect: %s",
				g->conn ? PQerrorMessage(g->conn) : "out of memory");
		return rc;
	}
	PQsetNoticeProcessor(g->conn, quiet_notice, NULL);

	/* Create the schema unless complete (a reader role may lack CREATE). */
	r = run(st, "SELECT to_regclass('t140_identities') IS NOT NULL AND"
		" to_regclass('t140_keypairs') IS NOT NULL AND"
		" to_regclass('s160_devices') IS NOT NULL AND"
		" to_regclass('p170_records') IS NOT NULL", NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return res_fail(st, r, "check schema");
	if (PQgetvalue(r, 0, 0)[0]) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	rc = cmd(st, "BEGIN", NULL, "begin");
	/* serialize concurrent schema creation (constant key) */
	if (!rc)
		rc = cmd(st, "SELECT pg_advisory_xact_lock(7236837478092391221)", NULL,
			 "schema lock");
	if (!rc) {
		r = PQexec(g->conn, schema_sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = res_fail(st, r, "create schema");
		else
			PQclear(r);
	}
	if (!rc)
		rc = cmd(st, "COMMIT", NULL, "commit");
	rollback(st);
	return rc;
}
