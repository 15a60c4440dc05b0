// SPDX-License-Identifier: GPL-2.0
/*
 * The store tests: the factory and public stores apart (docs/databases.md,
 * "Databases apart"): each kind refuses the other's file, the commit of a
 * factory store goes to its outbox, store_publish() copies it to the public
 * store once, recognises a record already published, and leaves a
 * conflicting one in the outbox.  SQLite only (PostgreSQL stores are
 * single-file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-test.h"

static struct store *open_kind(const char *u, enum store_kind k, int *rc, char *err, size_t n)
{
	struct store *st = NULL;

	*rc = store_open_kind(u, k, &st, err, n);
	return st;
}

/* Claim + commit generation 1 of @c with @backup: the commit's result. */
static int provision(struct store *f, const uint8_t c[16], const uint8_t *backup, size_t len)
{
	struct store_commit cm;
	char id[16];
	int state, rc = store_claim_identity(f, c, id, &state);

	if (rc)
		return rc;
	make_commit(&cm, c, id, backup, len, (const uint8_t *)"s", 1);
	return store_commit_provisioning(f, &cm);
}

static void test_publish(struct store *f, struct store *p)
{
	struct store_pub_record r, other;
	struct store_commit cm;
	uint8_t a[16], b[16], c[16];
	uint64_t n = 9;
	size_t done = 9;
	int rc;

	chip(a, 0x71, 1);
	chip(b, 0x71, 2);
	chip(c, 0x71, 3);
	tap_ok(load_pool(f, 7, 5) == 5, "kinds: 5 identities loaded into the factory store");
	tap_eq_int(provision(f, a, backup_a, sizeof(backup_a)), 0, "kinds: chip A committed in the factory store");
	tap_ok(!store_outbox_count(f, &n) && n == 1, "kinds: ... its record is in the outbox");
	tap_eq_int(store_pub_latest(p, a, &r), -ENOENT, "kinds: ... not yet in the public store");
	tap_eq_int(store_pub_latest(f, a, &r), -EPERM, "kinds: a factory store has no public tables (-EPERM)");
	tap_eq_int(store_secret_get(p, a, &(struct store_secret_record){ 0 }), -EPERM,
		   "kinds: a public store has no secret table (-EPERM)");
	rc = store_publish(f, p, 10, &done, NULL);
	tap_ok(rc == 0 && done == 1, "kinds: store_publish publishes it (rc %d, %zu)", rc, done);
	rc = store_pub_latest(p, a, &r);
	tap_ok(rc == 0 && r.generation == 1 && r.backup_len == sizeof(backup_a) &&
	       !memcmp(r.backup, backup_a, sizeof(backup_a)), "kinds: the public store serves A's backup");
	store_pub_record_clear(&r);
	tap_ok(!store_outbox_count(f, &n) && n == 0, "kinds: the outbox is empty");
	tap_ok(!store_issued_get(f, a, &r) && !memcmp(r.backup, backup_a, sizeof(backup_a)),
	       "kinds: the factory store keeps the issued record");
	store_pub_record_clear(&r);
	tap_ok(store_publish(f, p, 10, &done, NULL) == 0 && done == 0, "kinds: publishing again does nothing");
	make_commit(&cm, a, "", backup_a, sizeof(backup_a), (const uint8_t *)"s", 1);
	tap_ok(!store_issued_get(f, a, &r), "kinds: (A's identity)");
	cm.identity = r.identity;
	tap_eq_int(store_commit_provisioning(f, &cm), STORE_ALREADY, "kinds: the same commit again: STORE_ALREADY");
	cm.backup = backup_b;
	tap_eq_int(store_commit_provisioning(f, &cm), -EEXIST, "kinds: another backup for A: -EEXIST");
	store_pub_record_clear(&r);

	/* killed between the public insert and the outbox mark */
	tap_eq_int(provision(f, b, backup_a, sizeof(backup_a)), 0, "kinds: chip B committed");
	tap_ok(!store_issued_get(f, b, &r) && !store_pub_insert(p, &r),
	       "kinds: B's record inserted into the public store, the outbox not marked (a kill)");
	store_pub_record_clear(&r);
	rc = store_publish(f, p, 10, &done, NULL);
	tap_ok(rc == 0 && done == 1 && !store_outbox_count(f, &n) && n == 0,
	       "kinds: the next publication finds it there, identical, and marks it");
	{
		struct store_generation *g = NULL;
		size_t ng = 0;

		tap_ok(!store_pub_generations(p, b, &g, &ng) && ng == 1,
		       "kinds: ... B has one public generation, not two");
		free(g);
	}

	/* a different record of C already public: a conflict, left in the outbox */
	tap_eq_int(provision(f, c, backup_a, sizeof(backup_a)), 0, "kinds: chip C committed");
	tap_ok(!store_issued_get(f, c, &other), "kinds: (C's record)");
	free(other.backup);
	other.backup = malloc(sizeof(backup_b));
	memcpy(other.backup, backup_b, sizeof(backup_b));
	other.backup_len = sizeof(backup_b);
	tap_eq_int(store_pub_insert(p, &other), 0, "kinds: another generation 1 of C put into the public store");
	store_pub_record_clear(&other);
	rc = store_publish(f, p, 10, &done, NULL);
	tap_ok(rc == -EEXIST && done == 0 && strstr(store_error(f), "left in the outbox"),
	       "kinds: publication refuses C: -EEXIST, \"%s\"", store_error(f));
	tap_ok(!store_outbox_count(f, &n) && n == 1, "kinds: ... C stays in the outbox");
	tap_eq_int(store_publish(p, f, 10, &done, NULL), -EPERM, "kinds: store_publish with the stores swapped: -EPERM");
}

void test_kinds(void)
{
	char fu[4200], pu[4200], err[512];
	struct store *f, *p, *x;
	int rc;

	if (strncmp(url, "sqlite:", 7)) {
		tap_skip("PostgreSQL stores are single-file", "kinds");
		return;
	}
	snprintf(fu, sizeof(fu), "%s.factory", url);
	snprintf(pu, sizeof(pu), "%s.public", url);
	f = open_kind(fu, STORE_FACTORY, &rc, err, sizeof(err));
	tap_ok(f != NULL, "kinds: a new factory store (%s)", f ? "" : err);
	p = open_kind(pu, STORE_PUBLIC, &rc, err, sizeof(err));
	tap_ok(p != NULL, "kinds: a new public store (%s)", p ? "" : err);
	if (!f || !p)
		goto out;
	x = open_kind(fu, STORE_PUBLIC, &rc, err, sizeof(err));
	tap_ok(!x && rc == -EPERM && strstr(err, "holds the factory's tables"),
	       "kinds: a public open of the factory file: -EPERM (%s)", err);
	store_close(x);
	x = open_kind(url, STORE_PUBLIC, &rc, err, sizeof(err));
	tap_ok(!x && rc == -EPERM, "kinds: a public open of a single file: -EPERM (%s)", err);
	store_close(x);
	x = open_kind(pu, STORE_FACTORY, &rc, err, sizeof(err));
	tap_ok(!x && rc == -EPROTO && strstr(err, "is a public database, not a factory one"),
	       "kinds: a factory open of the public file: -EPROTO (%s)", err);
	store_close(x);
	x = open_kind(url, STORE_FACTORY, &rc, err, sizeof(err));
	tap_ok(!x && rc == -EPROTO && strstr(err, "split it first"),
	       "kinds: a factory open of a single file: -EPROTO (%s)", err);
	store_close(x);
	x = open_kind(fu, STORE_SINGLE, &rc, err, sizeof(err));
	tap_ok(!x && rc == -EPROTO && strstr(err, "is a factory database"),
	       "kinds: a single-file open of the factory file: -EPROTO (%s)", err);
	store_close(x);
	test_publish(f, p);
out:
	store_close(f);
	store_close(p);
}
