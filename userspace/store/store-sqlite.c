// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey store: SQLite backend (embedded default).
 *
 * One database file holds the tables of the three databases (140, 160,
 * 170).  journal_mode=WAL, synchronous=FULL (every commit is durable before
 * it returns), busy timeout.  Write transactions are BEGIN IMMEDIATE so
 * writers are serialized by SQLite's write lock: a claim cannot race
 * another claim, in this process or any other.  Within a process, claims
 * and provisioning commits are group-committed (see group_write()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store-int.h"
#include "crashpoint.h"

#define BUSY_TIMEOUT_MS 15000
#define NSTMT 32

struct sq_group;

struct sq {
	sqlite3 *db;
	struct sq_group *grp;	/* group commit, shared per file */
	int wal_frames;		/* WAL size after this handle's last commit */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[NSTMT];
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS t140_identities ("
	" identity TEXT PRIMARY KEY CHECK (length(identity) = 15),"
	" state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),"
	" chip_id BLOB UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),"
	" reserved_at INTEGER, issued_at INTEGER,"
	" CHECK ((state = 0) = (chip_id IS NULL)));"
	"CREATE INDEX IF NOT EXISTS t140_identities_free"
	" ON t140_identities (identity) WHERE state = 0;"
	"CREATE TABLE IF NOT EXISTS t140_keypairs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" pub BLOB NOT NULL, priv BLOB NOT NULL,"
	" chip_id BLOB UNIQUE CHECK (chip_id IS NULL OR length(chip_id) = 16),"
	" reserved_at INTEGER);"
	"CREATE INDEX IF NOT EXISTS t140_keypairs_free"
	" ON t140_keypairs (id) WHERE chip_id IS NULL;"
	"CREATE TABLE IF NOT EXISTS s160_devices ("
	" chip_id BLOB PRIMARY KEY CHECK (length(chip_id) = 16),"
	" identity TEXT NOT NULL UNIQUE,"
	" generation INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" data BLOB NOT NULL) WITHOUT ROWID;"
	/* A rowid table (schema 2): a ~2 KB record fits in its 4 KB leaf page,
	 * and the (chip_id, generation) key lives in its own small index.  As
	 * WITHOUT ROWID (schema 1) every record spilled into overflow pages. */
	"CREATE TABLE IF NOT EXISTS p170_records ("
	" chip_id BLOB NOT NULL CHECK (length(chip_id) = 16),"
	" generation INTEGER NOT NULL CHECK (generation > 0),"
	" identity TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" backup BLOB NOT NULL, cert BLOB NOT NULL, signed_record BLOB,"
	" PRIMARY KEY (chip_id, generation));"
	"CREATE TRIGGER IF NOT EXISTS p170_records_no_update"
	" BEFORE UPDATE ON p170_records"
	" BEGIN SELECT RAISE(ABORT, 'p170_records is insert-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS p170_records_no_delete"
	" BEFORE DELETE ON p170_records"
	" BEGIN SELECT RAISE(ABORT, 'p170_records is insert-only'); END;";

static struct sq *SQ(struct store *st)
{
	return st->impl;
}

static int db_fail(struct store *st, const char *what)
{
	int code = sqlite3_extended_errcode(SQ(st)->db);
	int rc = (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ?
		-EBUSY : (code & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;

	return store_fail(st, rc, "sqlite: %s: %s", what, sqlite3_errmsg(SQ(st)->db));
}

/* Cached prepared statement for a string literal (keyed by pointer). */
static sqlite3_stmt *stmt(struct store *st, const char *sql)
{
	struct sq *q = SQ(st);
	int i;

	for (i = 0; i < NSTMT && q->cache[i].sql; i++) {
		if (q->cache[i].sql == sql) {
			sqlite3_reset(q->cache[i].stmt);
			sqlite3_clear_bindings(q->cache[i].stmt);
			return q->cache[i].stmt;
		}
	}
	if (i == NSTMT) {
		store_fail(st, -EIO, "sqlite: statement cache full");
		return NULL;
	}
	if (sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &q->cache[i].stmt, NULL) != SQLITE_OK) {
		db_fail(st, "prepare");
		return NULL;
	}
	q->cache[i].sql = sql;
	return q->cache[i].stmt;
}

static int exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(SQ(st)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = db_fail(st, msg ? msg : sql);

		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static int begin(struct store *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

static int commit_tx(struct store *st)
{
	return exec(st, "COMMIT");
}

static void rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(SQ(st)->db))
		sqlite3_exec(SQ(st)->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- group commit ----
 *
 * Claims and provisioning commits of all handles of one process on the
 * same database file go through one queue.  The first writer that finds no
 * transaction running becomes the leader: it takes every request queued so
 * far, runs them in ONE write transaction (each in its own savepoint, so a
 * refused request changes nothing) and commits once, i.e. one WAL append
 * and one fsync (synchronous=FULL) for the whole batch.  Every request's
 * caller returns only after that COMMIT has returned, so each of them is as
 * durable as before; writers that arrive meanwhile form the next batch.
 *
 * The queue is also the in-process writer lock: threads of this process
 * never wait in SQLite's busy handler (which sleeps 1..100 ms even when the
 * lock has just been freed) for each other.  The busy timeout stays for
 * other processes on the same file (two SPPs, chipkey-factory). */

#define GROUP_MAX 64
#define CKPT_FRAMES 1000	/* SQLite's default automatic checkpoint */

struct sq_req {
	int (*fn)(struct store *st, void *arg);	/* runs inside the transaction */
	void *arg;
	bool is_commit;
	bool done;
	int rc;
	char err[sizeof(((struct store *)0)->err)];
	struct sq_req *next;
};

struct sq_group {
	dev_t dev;
	ino_t ino;
	int refs;
	struct sq_group *next;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool busy;			/* a leader is running a batch */
	bool ckpt;			/* a leader is checkpointing */
	struct sq_req *head, **tail;
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sq_group *groups;

static struct sq_group *group_get(sqlite3 *db)
{
	const char *fn = sqlite3_db_filename(db, "main");
	struct sq_group *g;
	struct stat sb;

	if (!fn || !*fn || stat(fn, &sb))
		return NULL;	/* no file: every write is its own batch */
	pthread_mutex_lock(&groups_lock);
	for (g = groups; g; g = g->next)
		if (g->dev == sb.st_dev && g->ino == sb.st_ino)
			break;
	if (!g && (g = calloc(1, sizeof(*g)))) {
		g->dev = sb.st_dev;
		g->ino = sb.st_ino;
		pthread_mutex_init(&g->lock, NULL);
		pthread_cond_init(&g->cond, NULL);
		g->tail = &g->head;
		g->next = groups;
		groups = g;
	}
	if (g)
		g->refs++;
	pthread_mutex_unlock(&groups_lock);
	return g;
}

static void group_put(struct sq_group *g)
{
	struct sq_group **pp;

	if (!g)
		return;
	pthread_mutex_lock(&groups_lock);
	if (--g->refs == 0) {
		for (pp = &groups; *pp; pp = &(*pp)->next)
			if (*pp == g) {
				*pp = g->next;
				break;
			}
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->cond);
		free(g);
	}
	pthread_mutex_unlock(&groups_lock);
}

static void req_fail(struct store *st, struct sq_req *r, int rc)
{
	r->rc = rc;
	snprintf(r->err, sizeof(r->err), "%s", st->err);
}

/* One write transaction for v[0..n-1] on the leader's handle @st. */
static void run_batch(struct store *st, struct sq_req **v, size_t n)
{
	sqlite3 *db = SQ(st)->db;
	bool sp = n > 1;
	size_t i, j;
	int rc;

	st->err[0] = '\0';
	rc = begin(st);
	if (rc) {
		for (i = 0; i < n; i++)
			req_fail(st, v[i], rc);
		return;
	}
	for (i = 0; i < n; i++) {
		st->err[0] = '\0';
		if (sp && exec(st, "SAVEPOINT w")) {
			req_fail(st, v[i], -EIO);
			continue;
		}
		rc = v[i]->fn(st, v[i]->arg);
		if (rc < 0)
			req_fail(st, v[i], rc);
		else
			v[i]->rc = rc;
		if (sqlite3_get_autocommit(db)) {
			/* SQLite rolled the whole transaction back (I/O error,
			 * disk full): nothing of this batch is stored. */
			if (!st->err[0])
				store_fail(st, -EIO, "sqlite: transaction rolled back");
			for (j = 0; j < n; j++)
				if (j > i || v[j]->rc >= 0)
					req_fail(st, v[j], -EIO);
			return;
		}
		if (sp) {
			if ((rc < 0 && exec(st, "ROLLBACK TO w")) || exec(st, "RELEASE w")) {
				for (j = 0; j < n; j++)
					if (j >= i || v[j]->rc >= 0)
						req_fail(st, v[j], -EIO);
				rollback(st);
				return;
			}
		}
	}
	if (n == 1 && v[0]->rc < 0) {
		rollback(st);
		return;
	}
	st->err[0] = '\0';
	rc = commit_tx(st);
	if (rc) {
		rollback(st);
		for (i = 0; i < n; i++)
			if (v[i]->rc >= 0)
				req_fail(st, v[i], rc);
		return;
	}
	for (i = 0; i < n; i++)
		if (v[i]->is_commit && v[i]->rc == 0)
			CK_CRASH_POINT("store:committed");
}

/* Checkpoints (WAL -> database file) of grouped handles run here, after the
 * batch was handed back and the next batch already runs, instead of inside
 * a COMMIT (SQLite's automatic checkpoint), where every writer of the
 * process would wait for them.  PASSIVE: never blocks writers or readers. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct sq *)arg)->wal_frames = frames;
	return SQLITE_OK;
}

static void checkpoint(struct store *st)
{
	sqlite3_wal_checkpoint_v2(SQ(st)->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	SQ(st)->wal_frames = 0;
}

/* Runs fn(st-or-leader, arg) in a group-committed write transaction;
 * returns its result once the transaction is durable (or failed). */
static int group_write(struct store *st, int (*fn)(struct store *, void *), void *arg,
		       bool is_commit)
{
	struct sq_group *g = SQ(st)->grp;
	struct sq_req r, *batch[GROUP_MAX], *self = &r;
	size_t n;

	memset(&r, 0, sizeof(r));
	r.fn = fn;
	r.arg = arg;
	r.is_commit = is_commit;
	if (!g) {
		run_batch(st, &self, 1);
		goto out;
	}
	pthread_mutex_lock(&g->lock);
	*g->tail = &r;
	g->tail = &r.next;
	while (!r.done) {
		if (g->busy) {
			pthread_cond_wait(&g->cond, &g->lock);
			continue;
		}
		g->busy = true;
		for (n = 0; g->head && n < GROUP_MAX; n++) {
			batch[n] = g->head;
			g->head = g->head->next;
		}
		if (!g->head)
			g->tail = &g->head;
		pthread_mutex_unlock(&g->lock);
		run_batch(st, batch, n);
		pthread_mutex_lock(&g->lock);
		for (size_t i = 0; i < n; i++)
			batch[i]->done = true;
		g->busy = false;
		pthread_cond_broadcast(&g->cond);
		if (SQ(st)->wal_frames >= CKPT_FRAMES && !g->ckpt) {
			g->ckpt = true;
			pthread_mutex_unlock(&g->lock);
			checkpoint(st);
			pthread_mutex_lock(&g->lock);
			g->ckpt = false;
		}
	}
	pthread_mutex_unlock(&g->lock);
out:
	if (r.rc < 0)
		snprintf(st->err, sizeof(st->err), "%s", r.err);
	return r.rc;
}

static void sq_close(struct store *st)
{
	struct sq *q = SQ(st);
	int i;

	if (!q)
		return;
	for (i = 0; i < NSTMT; i++)
		if (q->cache[i].stmt)
			sqlite3_finalize(q->cache[i].stmt);
	sqlite3_close(q->db);
	group_put(q->grp);
	free(q);
	st->impl = NULL;
}

static int col_blob(sqlite3_stmt *s, int col, uint8_t **out, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	int n = sqlite3_column_bytes(s, col);

	*out = NULL;
	*len = 0;
	if (!p || n <= 0)
		return 0;
	*out = store_memdup(p, (size_t)n);
	if (!*out)
		return -ENOMEM;
	*len = (size_t)n;
	return 0;
}

static void col_identity(sqlite3_stmt *s, int col, char *out)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(out, STORE_IDENTITY_LEN + 1, "%s", t ? (const char *)t : "");
}

/* The cached statement @sql with the chip ID bound to ?1. */
static sqlite3_stmt *stmt_chip(struct store *st, const char *sql, const uint8_t *chip)
{
	sqlite3_stmt *s = stmt(st, sql);

	if (s)
		sqlite3_bind_blob(s, 1, chip, STORE_CHIP_ID_LEN, SQLITE_STATIC);
	return s;
}

/* Steps @s, which must finish without a row, and resets it. */
static int step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int r = sqlite3_step(s);

	sqlite3_clear_bindings(s);
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : db_fail(st, what);
}

/* Runs the query @sql for @chip: 1 with @*out on its first row (the caller
 * resets it), 0 if there is none, else a negative error. */
static int chip_row(struct store *st, const char *sql, const uint8_t *chip,
		    const char *what, sqlite3_stmt **out)
{
	sqlite3_stmt *s = stmt_chip(st, sql, chip);
	int r;

	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*out = s;
		return 1;
	}
	sqlite3_reset(s);
	return r == SQLITE_DONE ? 0 : db_fail(st, what);
}

/* Reserves a free row for @chip with the UPDATE ... RETURNING @sql: 0 with
 * @*out on the returned row (the caller resets it), @none_rc (message
 * @none) if no row was free, else -EIO. */
static int chip_take(struct store *st, const char *sql, const uint8_t *chip,
		     int none_rc, const char *none, const char *what,
		     sqlite3_stmt **out)
{
	sqlite3_stmt *s = stmt_chip(st, sql, chip);
	int r;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 2, store_now());
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		sqlite3_reset(s);
		return store_fail(st, none_rc, "%s", none);
	}
	if (r != SQLITE_ROW) {
		db_fail(st, what);
		sqlite3_reset(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

/* ---- 140 ---- */

static const char sql_ins_identity[] =
	"INSERT OR IGNORE INTO t140_identities (identity) VALUES (?1)";

static int sq_load_identities(struct store *st, const char *const *ids, size_t n,
			      size_t *added)
{
	sqlite3_stmt *s;
	size_t i, cnt = 0;
	int rc;

	rc = begin(st);
	if (rc)
		return rc;
	s = stmt(st, sql_ins_identity);
	if (!s)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, ids[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			db_fail(st, "insert identity");
			goto fail;
		}
		cnt += (size_t)sqlite3_changes(SQ(st)->db);
	}
	sqlite3_reset(s);
	rc = commit_tx(st);
	if (rc)
		goto fail;
	if (added)
		*added = cnt;
	return 0;
fail:
	rollback(st);
	return -EIO;
}

static const char sql_id_by_chip[] =
	"SELECT identity, state FROM t140_identities WHERE chip_id = ?1";
static const char sql_id_take[] =
	"UPDATE t140_identities SET state = 1, chip_id = ?1, reserved_at = ?2"
	" WHERE identity = (SELECT identity FROM t140_identities"
	"  WHERE state = 0 ORDER BY identity LIMIT 1)"
	" RETURNING identity";

struct claim_arg {
	const uint8_t *chip;
	char *identity;
	int *state;
};

/* Inside a group transaction (see group_write). */
static int claim_body(struct store *st, void *p)
{
	struct claim_arg *a = p;
	sqlite3_stmt *s;
	int r;

	r = chip_row(st, sql_id_by_chip, a->chip, "look up chip", &s);
	if (r > 0) {
		col_identity(s, 0, a->identity);
		*a->state = sqlite3_column_int(s, 1);
		sqlite3_reset(s);
		return 0;	/* read only */
	}
	if (r < 0)
		return r;
	r = chip_take(st, sql_id_take, a->chip, -ENOSPC, "identity pool exhausted",
		      "reserve identity", &s);
	if (r)
		return r;
	col_identity(s, 0, a->identity);
	sqlite3_reset(s);
	CK_CRASH_POINT("store:claim-mid");
	*a->state = STORE_ID_RESERVED;
	return 0;
}

static int sq_claim_identity(struct store *st, const uint8_t *chip, char *identity,
			     int *state)
{
	struct claim_arg a = { chip, identity, state };
	int rc = group_write(st, claim_body, &a, false);

	if (rc < 0) {
		identity[0] = '\0';
		return rc == -ENOSPC || rc == -EBUSY ? rc : -EIO;
	}
	return 0;
}

static int count_query(struct store *st, const char *sql, uint64_t *out, int nout)
{
	sqlite3_stmt *s = stmt(st, sql);
	int i;

	if (!s)
		return -EIO;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return db_fail(st, "count");
	}
	for (i = 0; i < nout; i++)
		out[i] = (uint64_t)sqlite3_column_int64(s, i);
	sqlite3_reset(s);
	return 0;
}

static const char sql_id_counts[] =
	"SELECT coalesce(sum(state = 0), 0), coalesce(sum(state = 1), 0),"
	" coalesce(sum(state = 2), 0) FROM t140_identities";

static int sq_identity_counts(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i)
{
	uint64_t v[3] = { 0 };
	int rc = count_query(st, sql_id_counts, v, 3);

	if (!rc) {
		*f = v[0];
		*r = v[1];
		*i = v[2];
	}
	return rc;
}

static const char sql_kp_add[] =
	"INSERT INTO t140_keypairs (pub, priv) VALUES (?1, ?2)";

static int sq_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
			  const uint8_t *priv, size_t priv_len, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, sql_kp_add);
	int rc;

	if (!s)
		return -EIO;
	sqlite3_bind_blob(s, 1, pub, (int)pub_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, priv, (int)priv_len, SQLITE_STATIC);
	rc = step_done(st, s, "insert key pair");
	if (rc)
		return rc;
	*id = sqlite3_last_insert_rowid(SQ(st)->db);
	return 0;
}

static const char sql_kp_by_chip[] =
	"SELECT id, pub, priv FROM t140_keypairs WHERE chip_id = ?1";
static const char sql_kp_take[] =
	"UPDATE t140_keypairs SET chip_id = ?1, reserved_at = ?2"
	" WHERE id = (SELECT id FROM t140_keypairs WHERE chip_id IS NULL"
	"  ORDER BY id LIMIT 1)"
	" RETURNING id, pub, priv";

static int read_kp(sqlite3_stmt *s, struct store_keypair *kp)
{
	kp->id = sqlite3_column_int64(s, 0);
	if (col_blob(s, 1, &kp->pub, &kp->pub_len) || col_blob(s, 2, &kp->priv, &kp->priv_len)) {
		store_keypair_clear(kp);
		return -ENOMEM;
	}
	return 0;
}

static const char sql_kp_any_free[] =
	"SELECT EXISTS (SELECT 1 FROM t140_keypairs WHERE chip_id IS NULL)";

struct kp_arg {
	const uint8_t *chip;
	struct store_keypair *kp;
};

/* Inside a group transaction (see group_write). */
static int kp_claim_body(struct store *st, void *p)
{
	struct kp_arg *a = p;
	sqlite3_stmt *s;
	int rc, r;

	r = chip_row(st, sql_kp_by_chip, a->chip, "look up key pair", &s);
	if (r > 0) {
		rc = read_kp(s, a->kp);
		sqlite3_reset(s);
		return rc ? store_fail(st, rc, "out of memory") : 0;
	}
	if (r < 0)
		return r;
	r = chip_take(st, sql_kp_take, a->chip, -ENOENT,
		      "no pre-generated key pair left", "reserve key pair", &s);
	if (r)
		return r;
	rc = read_kp(s, a->kp);
	sqlite3_reset(s);
	return rc ? store_fail(st, rc, "out of memory") : 0;
}

struct claim2_arg {
	struct claim_arg id;
	struct kp_arg kp;
};

/* Identity, then (only if it is reserved, not issued) a key pair: one
 * transaction, so a pair is never reserved for a chip whose provisioning
 * another connection committed in between. */
static int claim2_body(struct store *st, void *p)
{
	struct claim2_arg *a = p;
	int rc = claim_body(st, &a->id);

	if (rc || *a->id.state != STORE_ID_RESERVED)
		return rc;
	rc = kp_claim_body(st, &a->kp);
	return rc == -ENOENT ? 0 : rc;
}

static int sq_claim_both(struct store *st, const uint8_t *chip, char *identity,
			 int *state, struct store_keypair *kp)
{
	struct claim2_arg a = { { chip, identity, state }, { chip, kp } };
	int rc = group_write(st, claim2_body, &a, false);

	if (rc < 0) {
		store_keypair_clear(kp);
		identity[0] = '\0';
		return rc == -ENOSPC || rc == -EBUSY ? rc : -EIO;
	}
	return 0;
}

static int sq_claim_keypair(struct store *st, const uint8_t *chip, struct store_keypair *kp)
{
	struct kp_arg a = { chip, kp };
	sqlite3_stmt *s;
	int r, rc, any;

	/* Without the write lock first: the pair already reserved for this
	 * chip (only this chip's own claim ever sets it), or none free at all
	 * (then -ENOENT and the SPP generates a key; a pair added meanwhile
	 * is simply used by a later chip). */
	r = chip_row(st, sql_kp_by_chip, chip, "look up key pair", &s);
	if (r > 0) {
		rc = read_kp(s, kp);
		sqlite3_reset(s);
		return rc ? store_fail(st, rc, "out of memory") : 0;
	}
	if (r < 0)
		return r;
	s = stmt(st, sql_kp_any_free);
	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	any = r == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_reset(s);
	if (any < 0)
		return db_fail(st, "count key pairs");
	if (!any)
		return store_fail(st, -ENOENT, "no pre-generated key pair left");

	rc = group_write(st, kp_claim_body, &a, false);
	if (rc < 0) {
		/* a batch whose COMMIT failed after the body read the pair */
		store_keypair_clear(kp);
		return rc == -ENOENT || rc == -ENOMEM || rc == -EBUSY ? rc : -EIO;
	}
	return 0;
}

static const char sql_kp_counts[] =
	"SELECT coalesce(sum(chip_id IS NULL), 0), coalesce(sum(chip_id IS NOT NULL), 0)"
	" FROM t140_keypairs";

static int sq_keypair_counts(struct store *st, uint64_t *f, uint64_t *r)
{
	uint64_t v[2] = { 0 };
	int rc = count_query(st, sql_kp_counts, v, 2);

	if (!rc) {
		*f = v[0];
		*r = v[1];
	}
	return rc;
}

/* ---- 170 ---- */

static const char sql_pub_latest_gen[] =
	"SELECT generation FROM p170_records WHERE chip_id = ?1"
	" ORDER BY generation DESC LIMIT 1";
static const char sql_pub_ins[] =
	"INSERT INTO p170_records (chip_id, generation, identity, backup, cert,"
	" signed_record, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/* latest generation of chip (0 if none) or negative error */
static int64_t latest_gen(struct store *st, const uint8_t *chip)
{
	sqlite3_stmt *s = stmt_chip(st, sql_pub_latest_gen, chip);
	int64_t g;
	int r;

	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		g = sqlite3_column_int64(s, 0);
	else if (r == SQLITE_DONE)
		g = 0;
	else
		g = db_fail(st, "latest generation");
	sqlite3_reset(s);
	return g;
}

static int insert_pub(struct store *st, const uint8_t *chip, uint64_t gen,
		      const char *identity, const uint8_t *backup, size_t backup_len,
		      const uint8_t *cert, size_t cert_len, const uint8_t *sr,
		      size_t sr_len, int64_t now)
{
	sqlite3_stmt *s = stmt_chip(st, sql_pub_ins, chip);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 2, (int64_t)gen);
	sqlite3_bind_text(s, 3, identity, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, backup, (int)backup_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, cert, (int)cert_len, SQLITE_STATIC);
	if (sr_len)
		sqlite3_bind_blob(s, 6, sr, (int)sr_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_int64(s, 7, now);
	return step_done(st, s, "insert public record");
}

static int sq_pub_insert(struct store *st, struct store_pub_record *rec)
{
	int64_t latest;
	int rc;

	rc = begin(st);
	if (rc)
		return rc;
	latest = latest_gen(st, rec->chip_id);
	if (latest < 0) {
		rollback(st);
		return (int)latest;
	}
	if ((uint64_t)latest >= rec->generation) {
		rollback(st);
		return store_fail(st, -EEXIST,
				  "conflict: generation %llu is not newer than the latest stored (%lld)",
				  (unsigned long long)rec->generation, (long long)latest);
	}
	rec->created = store_now();
	rc = insert_pub(st, rec->chip_id, rec->generation, rec->identity, rec->backup,
			rec->backup_len, rec->cert, rec->cert_len, rec->signed_record,
			rec->signed_record_len, rec->created);
	if (!rc)
		rc = commit_tx(st);
	if (rc)
		rollback(st);
	return rc;
}

static const char sql_pub_get_latest[] =
	"SELECT generation, identity, backup, cert, signed_record, created"
	" FROM p170_records WHERE chip_id = ?1 ORDER BY generation DESC LIMIT 1";
static const char sql_pub_get_gen[] =
	"SELECT generation, identity, backup, cert, signed_record, created"
	" FROM p170_records WHERE chip_id = ?1 AND generation = ?2";

static int sq_pub_get(struct store *st, const uint8_t *chip, uint64_t gen,
		      struct store_pub_record *rec)
{
	sqlite3_stmt *s = stmt_chip(st, gen ? sql_pub_get_gen : sql_pub_get_latest, chip);
	int r, rc = 0;

	if (!s)
		return -EIO;
	if (gen)
		sqlite3_bind_int64(s, 2, (int64_t)gen);
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		rc = store_fail(st, -ENOENT, "no such record");
	} else if (r != SQLITE_ROW) {
		rc = db_fail(st, "read public record");
	} else {
		memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
		rec->generation = (uint64_t)sqlite3_column_int64(s, 0);
		col_identity(s, 1, rec->identity);
		rec->created = sqlite3_column_int64(s, 5);
		if (col_blob(s, 2, &rec->backup, &rec->backup_len) ||
		    col_blob(s, 3, &rec->cert, &rec->cert_len) ||
		    col_blob(s, 4, &rec->signed_record, &rec->signed_record_len)) {
			store_pub_record_clear(rec);
			rc = store_fail(st, -ENOMEM, "out of memory");
		}
	}
	sqlite3_reset(s);
	return rc;
}

static const char sql_pub_gens[] =
	"SELECT generation, created FROM p170_records WHERE chip_id = ?1"
	" ORDER BY generation";

static int sq_pub_generations(struct store *st, const uint8_t *chip,
			      struct store_generation **list, size_t *n)
{
	sqlite3_stmt *s = stmt_chip(st, sql_pub_gens, chip);
	struct store_generation *v = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	if (!s)
		return -EIO;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			struct store_generation *nv;

			cap = cap ? 2 * cap : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				sqlite3_reset(s);
				return store_fail(st, -ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[cnt].generation = (uint64_t)sqlite3_column_int64(s, 0);
		v[cnt].created = sqlite3_column_int64(s, 1);
		cnt++;
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		free(v);
		return db_fail(st, "list generations");
	}
	if (!cnt)
		return store_fail(st, -ENOENT, "no such chip");
	*list = v;
	*n = cnt;
	return 0;
}

static const char sql_pub_count[] =
	"SELECT count(DISTINCT chip_id) FROM p170_records";

static int sq_pub_count_chips(struct store *st, uint64_t *n)
{
	return count_query(st, sql_pub_count, n, 1);
}

/* ---- 160 ---- */

static const char sql_secret_get[] =
	"SELECT identity, generation, created, data FROM s160_devices WHERE chip_id = ?1";

static int sq_secret_get(struct store *st, const uint8_t *chip,
			 struct store_secret_record *rec)
{
	sqlite3_stmt *s = stmt_chip(st, sql_secret_get, chip);
	int r, rc = 0;

	if (!s)
		return -EIO;
	r = sqlite3_step(s);
	if (r == SQLITE_DONE) {
		rc = store_fail(st, -ENOENT, "no such device");
	} else if (r != SQLITE_ROW) {
		rc = db_fail(st, "read secret record");
	} else {
		memcpy(rec->chip_id, chip, STORE_CHIP_ID_LEN);
		col_identity(s, 0, rec->identity);
		rec->generation = (uint64_t)sqlite3_column_int64(s, 1);
		rec->created = sqlite3_column_int64(s, 2);
		if (col_blob(s, 3, &rec->data, &rec->data_len))
			rc = store_fail(st, -ENOMEM, "out of memory");
	}
	sqlite3_reset(s);
	return rc;
}

/* ---- the provisioning commit ---- */

static const char sql_pub_same[] =
	"SELECT generation, backup FROM p170_records WHERE chip_id = ?1"
	" ORDER BY generation DESC LIMIT 1";
static const char sql_secret_ins[] =
	"INSERT INTO s160_devices (chip_id, identity, generation, created, data)"
	" VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_id_issue[] =
	"UPDATE t140_identities SET state = 2, issued_at = ?3"
	" WHERE identity = ?1 AND chip_id = ?2 AND state = 1";
static const char sql_kp_delete[] =
	"DELETE FROM t140_keypairs WHERE chip_id = ?1";

/* Inside a group transaction (see group_write). */
static int commit_body(struct store *st, void *p)
{
	const struct store_commit *c = p;
	sqlite3_stmt *s;
	int64_t now = store_now();
	int rc, r;

	/* 1. already committed? */
	r = chip_row(st, sql_pub_same, c->chip_id, "look up public record", &s);
	if (r > 0) {
		uint64_t g = (uint64_t)sqlite3_column_int64(s, 0);
		const void *b = sqlite3_column_blob(s, 1);
		size_t bl = (size_t)sqlite3_column_bytes(s, 1);
		bool same = g == c->generation && bl == c->backup_len &&
			    b && memcmp(b, c->backup, bl) == 0;

		sqlite3_reset(s);
		if (same)
			return STORE_ALREADY;
		return store_fail(st, -EEXIST,
				  "chip already provisioned with a different backup (generation %llu)",
				  (unsigned long long)g);
	}
	if (r < 0)
		goto fail;

	/* 2. identity: reserved for this very chip -> issued */
	s = stmt(st, sql_id_issue);
	if (!s)
		goto fail;
	sqlite3_bind_text(s, 1, c->identity, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, c->chip_id, STORE_CHIP_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	if (step_done(st, s, "issue identity"))
		goto fail;
	if (sqlite3_changes(SQ(st)->db) != 1) {
		return store_fail(st, -EPERM, "identity is not reserved for this chip");
	}

	/* 3. public record (170) */
	rc = insert_pub(st, c->chip_id, c->generation, c->identity, c->backup,
			c->backup_len, c->cert, c->cert_len, c->signed_record,
			c->signed_record_len, now);
	if (rc)
		goto fail;

	/* 4. secret record (160) */
	s = stmt_chip(st, sql_secret_ins, c->chip_id);
	if (!s)
		goto fail;
	sqlite3_bind_text(s, 2, c->identity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)c->generation);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_blob(s, 5, c->secret ? (const void *)c->secret : "", (int)c->secret_len,
			  SQLITE_STATIC);
	if (step_done(st, s, "insert secret record"))
		goto fail;

	/* 5. the used pre-generated key pair (140) */
	if (c->used_pregenerated_key) {
		s = stmt_chip(st, sql_kp_delete, c->chip_id);
		if (!s || step_done(st, s, "delete key pair"))
			goto fail;
		if (sqlite3_changes(SQ(st)->db) != 1) {
			return store_fail(st, -ESTALE, "no pre-generated key pair reserved for this chip");
		}
	}
	CK_CRASH_POINT("store:commit-mid");
	return 0;
fail:
	return -EIO;
}

static int sq_commit(struct store *st, const struct store_commit *c)
{
	int rc = group_write(st, commit_body, (void *)c, true);

	return rc < 0 && rc != -EEXIST && rc != -EPERM && rc != -ESTALE && rc != -EBUSY ?
		-EIO : rc;
}


static const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.load_identities = sq_load_identities,
	.claim_identity = sq_claim_identity,
	.identity_counts = sq_identity_counts,
	.add_keypair = sq_add_keypair,
	.claim_keypair = sq_claim_keypair,
	.claim_both = sq_claim_both,
	.keypair_counts = sq_keypair_counts,
	.pub_insert = sq_pub_insert,
	.pub_get = sq_pub_get,
	.pub_generations = sq_pub_generations,
	.pub_count_chips = sq_pub_count_chips,
	.secret_get = sq_secret_get,
	.commit = sq_commit,
};

/* PRAGMA user_version of the files this code creates and accepts.
 * 1 (stamped 0): p170_records WITHOUT ROWID.  2: p170_records a rowid table. */
#define SCHEMA_VERSION 2
#define STR_(x) #x
#define STR(x) STR_(x)

/* Inside the schema transaction: refuses a file of another schema version,
 * else creates what is missing and stamps the version. */
static int schema_setup(struct store *st, const char *path)
{
	sqlite3_stmt *s;
	int have, ver, r;

	if (sqlite3_prepare_v2(SQ(st)->db,
			       "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			       " AND name = 'p170_records'), user_version FROM pragma_user_version",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, "read schema version");
	r = sqlite3_step(s);
	have = sqlite3_column_int(s, 0);
	ver = sqlite3_column_int(s, 1);
	sqlite3_finalize(s);
	if (r != SQLITE_ROW)
		return db_fail(st, "read schema version");
	if (ver > SCHEMA_VERSION || (have && ver < SCHEMA_VERSION))
		return store_fail(st, -EPROTO,
				  "sqlite: %s has database schema %d, this chipkey reads schema %d"
				  " only: recreate the file (docs/databases.md, schema versions)",
				  path, ver ? ver : 1, SCHEMA_VERSION);
	r = exec(st, schema_sql);
	if (!r && ver != SCHEMA_VERSION)
		r = exec(st, "PRAGMA user_version = " STR(SCHEMA_VERSION));
	return r;
}

int store_sqlite_open(struct store *st, const char *path)
{
	struct sq *q;
	int rc, tries;

	if (!path || !*path)
		return store_fail(st, -EINVAL, "sqlite: empty path");
	q = calloc(1, sizeof(*q));
	if (!q)
		return store_fail(st, -ENOMEM, "out of memory");
	st->impl = q;
	st->ops = &sq_ops;
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return store_fail(st, -EIO, "sqlite: cannot open %s: %s", path,
				  q->db ? sqlite3_errmsg(q->db) : "out of memory");
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(q->db, 1);
	/* Schema setup may meet another process doing the same: retry. */
	for (tries = 0;; tries++) {
		rc = exec(st, "PRAGMA journal_mode=WAL");
		if (!rc)
			rc = exec(st, "PRAGMA synchronous=FULL");
		if (!rc)
			rc = exec(st, "PRAGMA foreign_keys=ON");
		if (!rc)
			rc = begin(st);
		if (!rc) {
			rc = schema_setup(st, path);
			if (!rc)
				rc = commit_tx(st);
			if (rc)
				rollback(st);
		}
		if (rc != -EBUSY || tries >= 20)
			break;
		usleep(50000);
	}
	if (!rc)
		q->grp = group_get(q->db);
	if (q->grp)
		sqlite3_wal_hook(q->db, wal_hook, q);
	return rc;
}

int store_sqlite_tune_reads(struct store *st, uint64_t mmap_bytes, uint64_t cache_kib)
{
	char sql[96];
	int rc;

	/* SQLite caps mmap_size at its compile-time SQLITE_MAX_MMAP_SIZE
	 * (Debian: 2 GB); pages beyond the map are read with pread(). */
	snprintf(sql, sizeof(sql), "PRAGMA mmap_size = %llu", (unsigned long long)mmap_bytes);
	rc = exec(st, sql);
	if (!rc && cache_kib) {
		snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%llu",
			 (unsigned long long)cache_kib);
		rc = exec(st, sql);
	}
	return rc;
}
