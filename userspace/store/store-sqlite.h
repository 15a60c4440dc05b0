/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the SQLite backend (store-sqlite*.c): the connection and the
 * helpers its parts share.
 *
 *   store-sqlite.c         open, close, schema setup and migration, ops table
 *   store-sqlite-stmt.c    errors, cached statements, transactions, columns
 *   store-sqlite-group.c   the group commit of one process's writers
 *   store-sqlite-pool.c    database 140: identity_pool, keypair_pool
 *   store-sqlite-chips.c   database 140: chip_batch
 *   store-sqlite-pub.c     database 170: public_records
 *   store-sqlite-commit.c  the provisioning commit; database 160: device_secrets
 *   store-sqlite-outbox.c  a factory store's issued records and their outbox
 */
#ifndef CHIPKEY_STORE_SQLITE_H
#define CHIPKEY_STORE_SQLITE_H

#include <stdbool.h>
#include <sqlite3.h>

#include "store-int.h"

#define SQ_NSTMT 40

struct sq_group;

struct sq {
	sqlite3 *db;
	struct sq_group *grp;	/* group commit, shared per file */
	int wal_frames;		/* WAL size after this handle's last commit */
	bool in_batch;		/* running a group commit's batch */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[SQ_NSTMT];
};

static inline struct sq *SQ(struct store *st)
{
	return st->impl;
}

/* ---- store-sqlite-stmt.c ---- */

/* Fails with SQLite's message: -EBUSY (locked), -ENOSPC (full) or -EIO. */
int sq_db_fail(struct store *st, const char *what);
/* The cached prepared statement for the string literal @sql (keyed by its
 * address), reset; NULL (and st->err) on failure. */
sqlite3_stmt *sq_stmt(struct store *st, const char *sql);
/* The same with the chip ID bound to ?1. */
sqlite3_stmt *sq_stmt_chip(struct store *st, const char *sql, const uint8_t *chip);
void sq_stmt_cache_free(struct sq *q);
int sq_exec(struct store *st, const char *sql);
int sq_begin(struct store *st);		/* BEGIN IMMEDIATE */
int sq_commit_tx(struct store *st);
void sq_rollback(struct store *st);	/* if a transaction is open */
/* Steps @s, which must finish without a row, and resets it. */
int sq_step_done(struct store *st, sqlite3_stmt *s, const char *what);
/* Runs the query @sql for @chip: 1 with @*out on its first row (the caller
 * resets it), 0 if there is none, else a negative error. */
int sq_chip_row(struct store *st, const char *sql, const uint8_t *chip,
		const char *what, sqlite3_stmt **out);
/* Reserves a free row for @chip with the UPDATE ... RETURNING @sql (?2 is
 * the time): 0 with @*out on the returned row (the caller resets it),
 * @none_rc (message @none) if no row was free, else -EIO. */
int sq_chip_take(struct store *st, const char *sql, const uint8_t *chip,
		 int none_rc, const char *none, const char *what, sqlite3_stmt **out);
/* The @nout integer columns of the one row of @sql. */
int sq_count(struct store *st, const char *sql, uint64_t *out, int nout);
/* A copy of a blob column (NULL, 0 if NULL or empty): 0 or -ENOMEM. */
int sq_col_blob(sqlite3_stmt *s, int col, uint8_t **out, size_t *len);
void sq_col_identity(sqlite3_stmt *s, int col, char *out);

/* ---- store-sqlite-group.c ---- */

/* Joins the group of the handles of this process on the same file. */
void sq_group_join(struct store *st);
void sq_group_leave(struct store *st);
/* Runs fn(leader's handle, arg) in a group-committed write transaction;
 * returns its result once the transaction is durable (or failed). */
int sq_group_write(struct store *st, int (*fn)(struct store *, void *), void *arg,
		   bool is_commit);

/* ---- the operations (store-sqlite-pool.c, -chips.c, -pub.c, -commit.c) ---- */

int sq_load_identities(struct store *st, const char *const *ids, size_t n, size_t *added);
int sq_claim_identity(struct store *st, const uint8_t *chip, char *identity, int *state);
int sq_identity_counts(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i);
int sq_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
		   const uint8_t *priv, size_t priv_len, int64_t *id);
int sq_claim_keypair(struct store *st, const uint8_t *chip, struct store_keypair *kp);
int sq_claim_both(struct store *st, const uint8_t *chip, char *identity, int *state,
		  struct store_keypair *kp);
int sq_keypair_counts(struct store *st, uint64_t *f, uint64_t *r);

int sq_pub_insert(struct store *st, struct store_pub_record *rec);
int sq_pub_insert_batch(struct store *st, struct store_pub_record *recs, size_t n, int *rc);
int sq_pub_get(struct store *st, const uint8_t *chip, uint64_t gen,
	       struct store_pub_record *rec);
int sq_pub_generations(struct store *st, const uint8_t *chip,
		       struct store_generation **list, size_t *n);
int sq_pub_count_chips(struct store *st, uint64_t *n);
/* store-sqlite-void.c */
int sq_pub_void_insert(struct store *st, struct store_pub_void *v);
int sq_pub_void_get(struct store *st, const uint8_t *chip, uint64_t gen,
		   struct store_pub_void *v);
/* Inserts one public_records row (inside the caller's transaction). */
int sq_pub_row_insert(struct store *st, const struct store_pub_row *row);
/* The same with @sql, an INSERT of the columns of sql_pub_ins (-pub.c). */
int sq_row_insert(struct store *st, const char *sql, const struct store_pub_row *row);
/* A record from the columns generation, identity, backup, cert,
 * signed_record, created (0..5) of @s; the caller sets the chip ID. */
int sq_col_pub_record(struct store *st, sqlite3_stmt *s, struct store_pub_record *rec);

/* store-sqlite-outbox.c: a factory store's issued records */
extern const char sq_sql_issued_same[];
int sq_issued_row_insert(struct store *st, const struct store_pub_row *row);
int sq_issued_get(struct store *st, const uint8_t *chip, struct store_pub_record *rec);
int sq_outbox_list(struct store *st, size_t max, const uint8_t *after,
		   struct store_pub_record **recs, size_t *n);
int sq_outbox_done(struct store *st, const struct store_pub_record *recs, size_t n);
int sq_outbox_count(struct store *st, uint64_t *n);

int sq_load_chips(struct store *st, const struct store_chip *chips, size_t n, size_t *added);
int sq_chip_get(struct store *st, const uint8_t *chip, uint8_t *attest_pub);
int sq_chip_count(struct store *st, uint64_t *n);

int sq_secret_get(struct store *st, const uint8_t *chip, struct store_secret_record *rec);
int sq_commit(struct store *st, const struct store_commit *c);

#endif
