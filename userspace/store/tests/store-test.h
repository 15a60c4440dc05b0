/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The store tests' shared fixtures (store-test.c) and suites
 * (store-test-*.c), all linked into one binary, store-test.
 */
#ifndef CHIPKEY_STORE_TEST_H
#define CHIPKEY_STORE_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/tap.h"
#include "store/store.h"

/* The database under test (argv). */
extern const char *url;

/* store_open(url) or a failed test and exit(1). */
struct store *open_or_die(void);
/* chip ID: @tag byte + 32-bit index @i, the rest fixed */
void chip(uint8_t c[16], uint8_t tag, uint32_t i);
/* identity number @i: "35" + @prefix digit + 11 digits + check digit */
void make_identity(char out[16], int prefix, unsigned long i);
/* Loads identities 0..n-1 of @prefix: the number added, or an error. */
int load_pool(struct store *st, int prefix, unsigned long n);

extern uint8_t backup_a[9], backup_b[9], cert_x[6];

/* @cm: a provisioning commit of generation 1 for @chip, with the test
 * certificate cert_x; no pre-generated key pair. */
void make_commit(struct store_commit *cm, const uint8_t chip[16], const char *identity,
		 const uint8_t *backup, size_t backup_len, const uint8_t *secret,
		 size_t secret_len);

/* store-test-pool.c */
void test_pool(void);
void test_commit(void);
/* store-test-pub.c */
void test_pub(void);
/* store-test-race.c */
void test_race(void);
void test_threads(void);
void test_wal_bounded(void);
/* store-test-chips.c */
void test_chips(void);
/* store-test-expiry.c: last (releases every reservation of the others) */
void test_expiry(void);
void test_expiry_race(void);
/* store-test-kinds.c: factory and public stores apart (SQLite) */
void test_kinds(void);
/* store-test-crash.c */
void test_crash(int kills_wanted);
/*
 * store-test-raw.c: a direct connection to a test database, beside the
 * store, to set up old schemas and look at what the store wrote.
 */
struct raw;
struct raw *raw_open(const char *url);	/* NULL (and a diagnostic) on failure */
void raw_close(struct raw *r);
int raw_is_pg(const struct raw *r);
/* Runs @sql (one or more statements): 0, or -1 and the message in @err
 * (may be NULL). */
int raw_exec(struct raw *r, const char *sql, char *err, size_t errlen);
/* The first column of the first row of @sql as a number; -1 on error. */
long long raw_int(struct raw *r, const char *sql);
/* Every row of @sql as text: columns '|'-separated, one row a line, blobs
 * in hex, "NULL" for NULL.  malloc'd; NULL on error. */
char *raw_rows(struct raw *r, const char *sql);
/* Whether table @name exists: 1, 0, or -1 on error. */
int raw_has_table(struct raw *r, const char *name);
/* The schema of the database (tables, columns, constraints, indexes,
 * triggers, ...) as comparable text, without the rows.  malloc'd. */
char *raw_schema(struct raw *r);

/* store-test-schema.c */
void test_schema_version(void);
void test_migrate(const char *fixture, const char *fresh_url);

#endif
