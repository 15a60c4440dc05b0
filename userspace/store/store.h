/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey factory and public database storage.
 *
 * One interface, two backends chosen by a URL-ish string:
 *
 *   sqlite:/path/to/file.db       embedded default (WAL, synchronous=FULL)
 *   postgresql://...  postgres://...   libpq connection URI
 *   "host=... dbname=..."          libpq key=value conninfo (contains '=')
 *
 * The three databases of the source documents, each in tables named for
 * what they hold (docs/databases.md has the SQL schema), live in two kinds
 * of store, factory (140, 160) and public (170): enum store_kind.
 *   140  temporary secure database: identity_pool, keypair_pool, chip_batch
 *   160  manufacturer's secret database: device_secrets
 *   170  permanent public database: public_records (insert-only generations),
 *        public_voids (the manufacturer's void entries, insert-only)
 *
 * Every function returns 0 (or a documented positive value) on success and
 * a negative errno-style code on failure; store_error() then describes the
 * failure.  Error strings never contain key material or blob contents.
 *
 * A struct store is a single connection: not thread-safe, use one per
 * thread (or serialize).  Different handles, processes and machines (on
 * PostgreSQL) may use the same database concurrently.
 */
#ifndef CHIPKEY_STORE_H
#define CHIPKEY_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STORE_CHIP_ID_LEN	16
#define STORE_IDENTITY_LEN	15		/* CK_IDENTITY_LEN, common/identity.h */
#define STORE_MAX_BLOB		(1u << 20)	/* any single blob */

/* Positive success code: the same provisioning was already committed. */
#define STORE_ALREADY		1

/* ---- open / close ---- */

struct store;

/*
 * What a database holds (docs/databases.md, "Databases apart"):
 *   STORE_FACTORY  140 + 160 and issued_records (the outbox of records to
 *                  publish): the SPP's and chipkey-factory's database
 *   STORE_PUBLIC   170 only: chipkey-pubdb's database
 *   STORE_SINGLE   all of them in one database, the layout of schema 5 and
 *                  before: the store's own tests and the migration
 *                  (chipkey-factory split-db); no daemon opens one
 * On SQLite a new file is stamped with its kind (PRAGMA application_id)
 * and an open of another kind is refused (-EPROTO); a public open is
 * refused (-EPERM) by any file that holds a factory table.  On PostgreSQL
 * a public store is the schema chipkey_public (search_path), a factory
 * store the connection's own schema; a factory open refuses a schema with
 * public tables (-EPROTO).
 */
enum store_kind { STORE_SINGLE = 0, STORE_FACTORY, STORE_PUBLIC };

/* Opens; creates the schema if missing and migrates a database of an older
 * schema version in one transaction (-EPROTO: a version this code cannot
 * open, e.g. a newer one, or a database of another kind).  On failure *out
 * is NULL and, if err is non-NULL, a message is written to err[errlen]. */
int store_open_kind(const char *url, enum store_kind kind, struct store **out,
		    char *err, size_t errlen);
/* store_open_kind(url, STORE_SINGLE, ...) */
int store_open(const char *url, struct store **out, char *err, size_t errlen);
enum store_kind store_get_kind(const struct store *st);
void store_close(struct store *st);
/* Last error message of this handle ("" if none). */
const char *store_error(const struct store *st);
/* "sqlite" or "postgresql" */
const char *store_backend(const struct store *st);
/* Read-mostly tuning of one connection (chipkey-pubdb's per-thread ones):
 * on SQLite, memory-map up to mmap_bytes of the file (reads then copy no
 * pages; SQLite caps this at its compile-time limit, 2 GB on Debian) and
 * keep up to cache_kib KiB of pages read otherwise (0: unchanged).  Does
 * nothing on PostgreSQL.  0 or a negative errno. */
int store_tune_reads(struct store *st, uint64_t mmap_bytes, uint64_t cache_kib);
/*
 * A handle outlives a restart of its database server (docs/databases.md,
 * "When the database restarts"): if the server has closed the handle's
 * connection, this opens a new one in its place, set up as
 * store_open_kind() sets one up (a public store's search_path, the schema
 * check); the handle's settings (reservation timeout) are kept.  Every
 * store call does this first, so a call fails only if its connection is
 * lost while it runs (nothing is retried: the call reports the error);
 * the next call reconnects.  0 if connected (already or now), else what
 * the open returned (-ECONNREFUSED: the server cannot be reached), and the
 * handle stays lost until a later call succeeds.  Never fails on SQLite.
 */
int store_reconnect(struct store *st);
/* The handle has no working connection (lost, not yet reopened): a caller
 * answers "unavailable" rather than "error". */
bool store_lost(struct store *st);

/* ---- 140: temporary secure database ---- */

enum store_identity_state {
	STORE_ID_FREE = 0,
	STORE_ID_RESERVED = 1,	/* claimed by a chip, not yet committed */
	STORE_ID_ISSUED = 2,	/* provisioning of that chip committed */
};

/* Adds identities to the pool (each must pass ck_identity_valid(),
 * common/identity.h: 15 digits, the last a Luhn check digit).
 * Duplicates of identities already present are skipped, not errors.
 * One transaction.  *added (may be NULL) receives the number inserted. */
int store_load_identities(struct store *st, const char *const *ids, size_t n,
			  size_t *added);

/* Reserves an unused identity for @chip_id, atomically.  Idempotent per
 * chip: a chip that already holds one (reserved or issued) gets that same
 * identity back (its reservation time is not extended).  Two concurrent
 * claimers never get the same identity.  In the same transaction, first
 * releases every expired reservation (store_set_reservation_timeout()).
 * @state (may be NULL) receives STORE_ID_RESERVED or STORE_ID_ISSUED (the
 * chip was already provisioned).  -ENOSPC: pool exhausted. */
int store_claim_identity(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
			 char identity[STORE_IDENTITY_LEN + 1], int *state);

/* Pool counters (any pointer may be NULL). */
int store_identity_counts(struct store *st, uint64_t *free_, uint64_t *reserved,
			  uint64_t *issued);

/* Adds one pre-generated key pair (opaque blobs).  *id may be NULL. */
int store_add_keypair(struct store *st, const uint8_t *pub, size_t pub_len,
		      const uint8_t *priv, size_t priv_len, int64_t *id);

struct store_keypair {
	int64_t id;
	uint8_t *pub;
	size_t pub_len;
	uint8_t *priv;
	size_t priv_len;
};
/* Reserves a pre-generated key pair for @chip_id (idempotent per chip: the
 * same pair comes back until the commit deletes it).  -ENOENT: none left
 * (the caller generates one).  Free the result with store_keypair_clear()
 * (which wipes the private blob). */
int store_claim_keypair(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
			struct store_keypair *kp);
void store_keypair_clear(struct store_keypair *kp);
/* store_claim_identity() and, only if the identity is reserved (not
 * issued), store_claim_keypair(), as one operation: on SQLite one
 * transaction (and one group-committed write), so a pair is never reserved
 * for a chip whose provisioning another connection committed in between.
 * Returns what store_claim_identity() returns; on 0, kp->priv is NULL if no
 * pair was reserved (none left, or the chip is issued).  The SPP's claim. */
int store_claim_identity_keypair(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
				 char identity[STORE_IDENTITY_LEN + 1], int *state,
				 struct store_keypair *kp);
/* Number of unreserved / reserved pre-generated key pairs (NULL ok). */
int store_keypair_counts(struct store *st, uint64_t *free_, uint64_t *reserved);

/* ---- 140: reservations expire (docs/databases.md, "Reservations") ---- */

#define STORE_RESERVATION_TIMEOUT 900	/* seconds, default */
/*
 * Seconds after which a reservation (identity + reserved key pair) of a
 * chip that never committed expires.  >= 1 (else -EINVAL).  Per handle.
 * An expired reservation is released lazily, inside the claims
 * (store_claim_identity, store_claim_identity_keypair), in their
 * transaction: its identity goes back to the free pool and the key pair
 * reserved for that chip is DELETED (it was sealed to that chip and is
 * never handed to another).  A commit of a released chip then fails
 * (-EPERM / -ESTALE); an expired reservation not yet released may still
 * commit.
 */
int store_set_reservation_timeout(struct store *st, int64_t seconds);

/* ---- 140: the chip batch: chips the SPP expects (docs/databases.md) ---- */

#define STORE_ATTEST_PUB_LEN 65		/* uncompressed P-256 point, CHIPKEY_EC_POINT_LEN */
struct store_chip {
	uint8_t chip_id[STORE_CHIP_ID_LEN];
	uint8_t attest_pub[STORE_ATTEST_PUB_LEN];
	const uint8_t *cert;		/* the chip certificate, DER */
	size_t cert_len;
};
/* Adds chips to the batch, one transaction, all or nothing.  A chip already
 * present with the same Q is skipped; with another Q: -EEXIST and nothing
 * is loaded.  *added (may be NULL) = number inserted. */
int store_load_chips(struct store *st, const struct store_chip *chips, size_t n, size_t *added);
/* 0 and Q of @chip_id if it is in the batch, -ENOENT if not. */
int store_chip_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		   uint8_t attest_pub[STORE_ATTEST_PUB_LEN]);
/* Number of chips in the batch. */
int store_chip_count(struct store *st, uint64_t *n);

/* ---- 170: permanent public database ---- */

struct store_pub_record {
	uint8_t chip_id[STORE_CHIP_ID_LEN];
	uint64_t generation;		/* 1 .. INT64_MAX */
	char identity[STORE_IDENTITY_LEN + 1];
	uint8_t *backup;
	size_t backup_len;
	uint8_t *cert;			/* certificate, DER */
	size_t cert_len;
	uint8_t *signed_record;		/* optional: the writer-signed record */
	size_t signed_record_len;	/* (docs/pubdb-api.md); 0 if none */
	int64_t created;		/* unix seconds, set by the store */
};

/* Inserts a new generation.  -EEXIST ("conflict") if generation is not
 * greater than the latest stored for that chip.  Sets rec->created. */
int store_pub_insert(struct store *st, struct store_pub_record *rec);
/* Reads.  -ENOENT if absent.  Free with store_pub_record_clear().
 * store_pub_latest: the newest generation, voided or not; store_pub_current:
 * the newest one without a void entry (what readers are served). */
int store_pub_current(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		      struct store_pub_record *rec);
int store_pub_latest(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_pub_record *rec);
int store_pub_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		  uint64_t generation, struct store_pub_record *rec);
void store_pub_record_clear(struct store_pub_record *rec);

#define STORE_VOID_REASON_MAX	200

struct store_generation {
	uint64_t generation;
	int64_t created;
	bool voided;				/* it has a void entry */
	char reason[STORE_VOID_REASON_MAX + 1];	/* its reason ("" if not) */
};

/*
 * A void entry (docs/pubdb-api.md "Voiding a generation"): the
 * manufacturer's signed statement that a generation must not be served as
 * the chip's current one.  Insert-only, at most one per generation.
 */
struct store_pub_void {
	uint8_t chip_id[STORE_CHIP_ID_LEN];
	uint64_t generation;
	char reason[STORE_VOID_REASON_MAX + 1];
	uint8_t *entry;			/* the signed entry, as received */
	size_t entry_len;
	int64_t created;		/* unix seconds, set by the store */
};
/* -ENOENT: the chip has no such generation; -EEXIST: it is voided
 * already.  Sets v->created. */
int store_pub_void_insert(struct store *st, struct store_pub_void *v);
/* -ENOENT if the generation has no void entry.  Free with
 * store_pub_void_clear(). */
int store_pub_void_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		       uint64_t generation, struct store_pub_void *v);
void store_pub_void_clear(struct store_pub_void *v);
/* All generations of a chip, ascending.  *list is malloc'd (free()).
 * -ENOENT if the chip has none. */
int store_pub_generations(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
			  struct store_generation **list, size_t *n);
/* Number of chips with at least one record. */
int store_pub_count_chips(struct store *st, uint64_t *n);

/* ---- 160: manufacturer secret database ---- */

struct store_secret_record {
	uint8_t chip_id[STORE_CHIP_ID_LEN];
	char identity[STORE_IDENTITY_LEN + 1];
	uint64_t generation;
	int64_t created;
	uint8_t *data;			/* opaque, from the SPP */
	size_t data_len;
};
int store_secret_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_secret_record *rec);
void store_secret_record_clear(struct store_secret_record *rec);

/* ---- the provisioning commit ---- */

struct store_commit {
	uint8_t chip_id[STORE_CHIP_ID_LEN];
	const char *identity;		/* must be reserved for chip_id */
	uint64_t generation;		/* usually 1 */
	const uint8_t *backup;
	size_t backup_len;
	const uint8_t *cert;
	size_t cert_len;
	const uint8_t *signed_record;	/* optional (NULL, 0) */
	size_t signed_record_len;
	const uint8_t *secret;		/* opaque secret-database blob */
	size_t secret_len;
	bool used_pregenerated_key;	/* delete the pair reserved for chip_id */
};

/*
 * In ONE transaction: insert the public record (170; on a factory store,
 * into issued_records, the outbox) and the secret record
 * (160), mark the identity issued (140) and, if used_pregenerated_key,
 * delete the key pair reserved for the chip (140).  All or nothing.
 *
 * Returns 0 when committed now, STORE_ALREADY (1) if exactly this chip +
 * generation + backup was already committed (nothing changed), and:
 *   -EEXIST  the chip already has a public record with another backup or
 *            generation ("already provisioned with a different backup")
 *   -EPERM   the identity is not reserved for this chip
 *   -ESTALE  used_pregenerated_key but no key pair is reserved for the chip
 *   -EINVAL  bad arguments
 *   -EIO     database error
 */
int store_commit_provisioning(struct store *st, const struct store_commit *c);

/* ---- a factory store's issued records and their outbox ---- */

/*
 * On a factory store the provisioning commit writes the public record into
 * issued_records (published NULL: "in the outbox") instead of
 * public_records; store_publish() then copies it to the public store.
 *
 * store_issued_get: the record issued to @chip_id (-ENOENT: none).  On a
 * single-file store, store_pub_latest().  Free with store_pub_record_clear().
 */
int store_issued_get(struct store *st, const uint8_t chip_id[STORE_CHIP_ID_LEN],
		     struct store_pub_record *rec);
/* Number of issued records not yet published (0 on a single-file store). */
int store_outbox_count(struct store *st, uint64_t *n);
/*
 * A publication pass through the outbox (store_publish()); all fields may
 * be zero.  The store holds no policy: what may be published is the
 * caller's @vet.
 */
struct store_publish_pass {
	/* NULL: publish every record.  Else called for each listed record
	 * before its insert: 0 publishes it; anything else refuses it (reason
	 * in @why): it is not inserted and stays in the outbox. */
	int (*vet)(void *arg, const struct store_pub_record *rec, char *why, size_t whylen);
	/* NULL or told the fate of each listed record: @rc 0 published (now
	 * or before, identically), else why it stays in the outbox (@msg). */
	void (*fate)(void *arg, const struct store_pub_record *rec, int rc, const char *msg);
	void *arg;
	/* In/out: false lists from the first chip ID; store_publish() sets
	 * it and @after (the last chip ID listed), so that the next call
	 * lists the records after it: a pass pages through the whole outbox
	 * once, past records it could not publish. */
	bool paging;
	uint8_t after[STORE_CHIP_ID_LEN];
	size_t listed;		/* out: records listed by the last call */
};
/*
 * Publishes up to @max records of the outbox of @factory into @pub, in
 * chip ID order (after @pass->after when @pass->paging): each record that
 * @pass->vet accepts is inserted into the public store (a record already
 * there byte for byte counts as published; any other record of that chip
 * and generation is a conflict: logged in store_error(factory), left in
 * the outbox), then marked published in the factory store.  *published
 * (may be NULL) = records marked now; @pass may be NULL (no vet, from the
 * first).  Returns 0, or the first error (the records published before it
 * stay published): -EEXIST for a conflict, -EACCES for a refusal by the
 * vet.
 */
int store_publish(struct store *factory, struct store *pub, size_t max, size_t *published,
		  struct store_publish_pass *pass);

#ifdef __cplusplus
}
#endif
#endif
