/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to userspace/store: the backend interface behind store.h.
 *
 * store.c validates every argument, then calls the backend through its
 * struct store_ops; a backend is chosen in store_open() by the URL (the
 * table of backends in store.c).  Each backend lives in
 * store-<backend>[-<part>].c with its private header store-<backend>.h.
 * What both backends decide alike (schema versions, the checks of a
 * provisioning commit against a stored record) is here and in store.c.
 */
#ifndef CHIPKEY_STORE_INT_H
#define CHIPKEY_STORE_INT_H

#include "store.h"

struct store_ops {
	const char *name;		/* store_backend() */
	/* @target: what follows "sqlite:", or the whole PostgreSQL URL */
	int (*open)(struct store *st, const char *target);
	void (*close)(struct store *st);
	/* optional: false once the server has closed the connection (a
	 * restart of the database server); NULL: never (SQLite) */
	bool (*connected)(struct store *st);
	/* optional: read-mostly tuning (store_tune_reads) */
	int (*tune_reads)(struct store *st, uint64_t mmap_bytes, uint64_t cache_kib);
	int (*load_identities)(struct store *st, const char *const *ids, size_t n,
			       size_t *added);
	int (*claim_identity)(struct store *st, const uint8_t *chip,
			      char *identity, int *state);
	int (*identity_counts)(struct store *st, uint64_t *f, uint64_t *r, uint64_t *i);
	int (*add_keypair)(struct store *st, const uint8_t *pub, size_t pub_len,
			   const uint8_t *priv, size_t priv_len, int64_t *id);
	int (*claim_keypair)(struct store *st, const uint8_t *chip,
			     struct store_keypair *kp);
	int (*keypair_counts)(struct store *st, uint64_t *f, uint64_t *r);
	/* identity + key pair in one transaction (store_claim_identity_keypair) */
	int (*claim_both)(struct store *st, const uint8_t *chip, char *identity,
			  int *state, struct store_keypair *kp);
	int (*pub_insert)(struct store *st, struct store_pub_record *rec);
	/* optional: pub_insert of @n records in one transaction; rc[i] = 0 or
	 * -EEXIST (not newer) per record; another error fails all of them */
	int (*pub_insert_batch)(struct store *st, struct store_pub_record *recs, size_t n,
				int *rc);
	/* generation 0: latest; STORE_GEN_CURRENT: latest not voided */
	int (*pub_get)(struct store *st, const uint8_t *chip, uint64_t generation,
		       struct store_pub_record *rec);
	int (*pub_void_insert)(struct store *st, struct store_pub_void *v);
	int (*pub_void_get)(struct store *st, const uint8_t *chip, uint64_t generation,
			    struct store_pub_void *v);
	int (*pub_generations)(struct store *st, const uint8_t *chip,
			       struct store_generation **list, size_t *n);
	int (*pub_count_chips)(struct store *st, uint64_t *n);
	int (*secret_get)(struct store *st, const uint8_t *chip,
			  struct store_secret_record *rec);
	int (*commit)(struct store *st, const struct store_commit *c);
	/* the chip batch (140) */
	int (*load_chips)(struct store *st, const struct store_chip *chips, size_t n,
			  size_t *added);
	int (*chip_get)(struct store *st, const uint8_t *chip, uint8_t *attest_pub);
	int (*chip_count)(struct store *st, uint64_t *n);
	/* a factory store's issued records (store-outbox.c); NULL: none */
	int (*issued_get)(struct store *st, const uint8_t *chip, struct store_pub_record *rec);
	/* up to @max records of the outbox with a chip ID above @after (NULL:
	 * from the first), by chip ID, in *recs (malloc'd, *n of them) */
	int (*outbox_list)(struct store *st, size_t max, const uint8_t *after,
			   struct store_pub_record **recs, size_t *n);
	/* marks @n records published, one transaction */
	int (*outbox_done)(struct store *st, const struct store_pub_record *recs, size_t n);
	int (*outbox_count)(struct store *st, uint64_t *n);
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

struct store {
	const struct store_ops *ops;
	void *impl;
	enum store_kind kind;
	int64_t reservation_timeout;	/* seconds (store_set_reservation_timeout) */
	char *target;			/* what ops->open got: store_reconnect() */
	bool lost;			/* the connection is gone, not yet reopened */
	char err[256];
};

/* ---- error helpers (store.c) ---- */

/* Sets st->err (printf-style) and returns rc. */
int store_fail(struct store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int store_oom(struct store *st);		/* -ENOMEM, "out of memory" */
int64_t store_now(void);
void *store_memdup(const void *p, size_t n);

#define STORE_MAX_RETRIES 50

/* ---- schema versions (docs/databases.md, "Schema versions") ---- */

/*
 * 1  first release (SQLite only): p170_records WITHOUT ROWID
 * 2  p170_records a rowid table; on PostgreSQL: the unversioned schema
 * 3  tables named for what they hold (identity_pool, keypair_pool,
 *    device_secrets, public_records); PostgreSQL records its version too
 * 4  chip_batch; identity_pool_reserved (reservations expire)
 * 5  public_voids (the manufacturer's void entries of public generations)
 */
#define STORE_SCHEMA_VERSION	5
#define STORE_SCHEMA_MIGRATES	2	/* the oldest version opened (migrated) */
#define STORE_SCHEMA_RENAMED	3	/* older: migrate-2-3-*.sql first */

/* pub_get: the newest generation without a void entry (internal) */
#define STORE_GEN_CURRENT	UINT64_MAX

enum store_schema_step {
	STORE_SCHEMA_CURRENT,		/* nothing to do */
	STORE_SCHEMA_CREATE,		/* empty database: create the schema */
	STORE_SCHEMA_MIGRATE,		/* versions 2, 3: migrate (2: migrate-2-3-*.sql,
					 * then like 3), then create: the schema
					 * file makes what schema 4 added */
};

/*
 * What to do with a database of schema @version (0: none of our tables).
 * A step, or -EPROTO with a message naming @where and both versions.
 */
int store_schema_step(struct store *st, const char *where, int version);

/* ---- shared by the backends' public-record and commit code ---- */

/* The columns of one public_records row. */
struct store_pub_row {
	const uint8_t *chip_id;
	uint64_t generation;
	const char *identity;
	const uint8_t *backup, *cert, *signed_record;
	size_t backup_len, cert_len, signed_record_len;
	int64_t created;
};

/* The row of a struct store_pub_record or struct store_commit (their
 * fields have the same names), created at @when. */
#define STORE_PUB_ROW(x, when) ((struct store_pub_row){				\
	.chip_id = (x)->chip_id, .generation = (x)->generation,			\
	.identity = (x)->identity,						\
	.backup = (x)->backup, .backup_len = (x)->backup_len,			\
	.cert = (x)->cert, .cert_len = (x)->cert_len,				\
	.signed_record = (x)->signed_record,					\
	.signed_record_len = (x)->signed_record_len,				\
	.created = (when) })

/* "single-file", "factory", "public" */
const char *store_kind_name(enum store_kind k);
/* 0 if @st holds the factory's tables (@factory_tables) or the public ones,
 * else -EPERM with a message. */
int store_need(struct store *st, bool factory_tables);
#define NEED_FACTORY(st) do { int r_ = store_need((st), true); if (r_) return r_; } while (0)
#define NEED_PUBLIC(st) do { int r_ = store_need((st), false); if (r_) return r_; } while (0)

/* Every public entry point: a store is given; its last error is cleared;
 * a connection the server closed is opened again first (store_reconnect),
 * so a long-lived handle outlives a restart of the database server. */
#define CHECK_ST(st) do {							\
	int r_;									\
	if (!(st))								\
		return -EINVAL;							\
	(st)->err[0] = '\0';							\
	r_ = store_reconnect(st);						\
	if (r_)									\
		return r_;							\
} while (0)

/* 0 if @g is a generation (1..2^63-1), else -EINVAL with a message. */
int store_check_generation(struct store *st, uint64_t g);

/* store_pub_insert: 0 if @generation is newer than @latest (0: none),
 * else -EEXIST ("conflict"). */
int store_check_newer(struct store *st, uint64_t generation, int64_t latest);

/*
 * Step 1 of the provisioning commit, when the chip already has a public
 * record (latest generation @gen, backup @b, @len): STORE_ALREADY if it is
 * exactly this commit, else -EEXIST ("... different backup").
 */
int store_check_recommit(struct store *st, const struct store_commit *c, uint64_t gen,
			 const void *b, size_t len);

#endif
