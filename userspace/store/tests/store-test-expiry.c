// SPDX-License-Identifier: GPL-2.0
/*
 * Store tests of reservation expiry (docs/databases.md, "Reservations"): a
 * re-claim before expiry keeps identity and key pair and does NOT extend
 * the reservation (a station re-sending HELLO cannot hold it for good); an "emptying the pool" attack (every free identity claimed by
 * made-up chips) is undone by expiry; the expired chip's key pair is
 * deleted, not handed to another chip, and its commit is refused; an
 * expired reservation that no claim has released yet still commits; two
 * processes claiming at once release the same expired reservations without
 * failing or deadlocking.
 *
 * Runs last: with a timeout of 1 s it releases every reservation the
 * earlier suites left in the database.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store-test.h"

/* reserved_at of the identity @id and of key pair @kid, moved @by seconds */
static int backdate(struct raw *r, const char *id, int64_t kid, long by)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "UPDATE identity_pool SET reserved_at = reserved_at - %ld"
		 " WHERE identity = '%s'", by, id);
	if (raw_exec(r, sql, NULL, 0))
		return -1;
	snprintf(sql, sizeof(sql), "UPDATE keypair_pool SET reserved_at = reserved_at - %ld"
		 " WHERE id = %lld", by, (long long)kid);
	return kid ? raw_exec(r, sql, NULL, 0) : 0;
}

static long long reserved_at(struct raw *r, const char *table, const char *col,
			     const char *val)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT reserved_at FROM %s WHERE %s = %s", table, col, val);
	return raw_int(r, sql);
}

static long long pair_rows(struct raw *r, int64_t kid)
{
	char sql[100];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM keypair_pool WHERE id = %lld",
		 (long long)kid);
	return raw_int(r, sql);
}

void test_expiry(void)
{
	struct store *st = open_or_die();
	struct raw *r = raw_open(url);
	struct store_keypair ka = { 0 }, kb = { 0 }, kx = { 0 };
	struct store_commit c;
	uint64_t f, rs, is, kf1, kr1, kf2, kr2;
	uint8_t a[16], b[16], x[16], d[16];
	char ida[16], idb[16], idx[16], idd[16], qid[40], qkp[40];
	int64_t kida, kidb, now;
	int state, rc, attackers = 0;

	if (!r) {
		tap_ok(0, "expiry: raw connection");
		store_close(st);
		return;
	}
	tap_ok(store_set_reservation_timeout(st, 0) == -EINVAL &&
	       store_set_reservation_timeout(st, -5) == -EINVAL,
	       "expiry: a timeout below 1 s is refused");
	tap_ok(load_pool(st, 8, 4) == 4 &&
	       store_add_keypair(st, (const uint8_t *)"pubE1", 5, (const uint8_t *)"privE1", 6, NULL) == 0 &&
	       store_add_keypair(st, (const uint8_t *)"pubE2", 5, (const uint8_t *)"privE2", 6, NULL) == 0,
	       "expiry: 4 identities and 2 key pairs added");
	chip(a, 0x0e, 1);
	chip(b, 0x0e, 2);
	chip(d, 0x0e, 3);
	rc = store_claim_identity_keypair(st, a, ida, &state, &ka);
	tap_ok(rc == 0 && state == STORE_ID_RESERVED && ka.priv, "expiry: chip A claims %s + pair %lld",
	       ida, (long long)ka.id);
	kida = ka.id;
	rc = store_claim_identity_keypair(st, b, idb, &state, &kb);
	kidb = kb.priv ? kb.id : 0;
	tap_ok(rc == 0 && state == STORE_ID_RESERVED, "expiry: chip B claims %s", idb);
	store_keypair_clear(&kb);

	/* before expiry: the same identity and pair; the time is NOT refreshed */
	now = (int64_t)time(NULL);
	tap_ok(backdate(r, ida, kida, 800) == 0, "expiry: chip A's reservation made 800 s ago");
	store_keypair_clear(&ka);
	rc = store_claim_identity_keypair(st, a, idx, &state, &ka);
	tap_ok(rc == 0 && !strcmp(idx, ida) && ka.priv && ka.id == kida,
	       "expiry: re-claim before expiry (900 s): same identity, same key pair");
	snprintf(qid, sizeof(qid), "'%s'", ida);
	snprintf(qkp, sizeof(qkp), "%lld", (long long)kida);
	tap_ok(reserved_at(r, "identity_pool", "identity", qid) <= now - 800 &&
	       reserved_at(r, "keypair_pool", "id", qkp) <= now - 800,
	       "expiry: the re-claim did not extend either reservation (still 800 s old)");
	store_keypair_clear(&ka);

	/* the attack: made-up chips claim every free identity */
	for (;;) {
		chip(x, 0xa7, (uint32_t)attackers);
		rc = store_claim_identity_keypair(st, x, idx, NULL, &kx);
		store_keypair_clear(&kx);
		if (rc)
			break;
		attackers++;
	}
	tap_ok(rc == -ENOSPC && attackers >= 2, "expiry: %d made-up chips emptied the pool",
	       attackers);
	tap_ok(store_claim_identity(st, d, idd, NULL) == -ENOSPC,
	       "expiry: chip D finds the pool exhausted");
	store_keypair_counts(st, &kf1, &kr1);

	sleep(2);
	tap_ok(store_set_reservation_timeout(st, 1) == 0, "expiry: timeout set to 1 s, 2 s later:");
	rc = store_claim_identity_keypair(st, d, idd, &state, &kx);
	tap_ok(rc == 0 && state == STORE_ID_RESERVED, "expiry: chip D now gets identity %s (%s)",
	       idd, store_error(st));
	rc = store_identity_counts(st, &f, &rs, &is);
	tap_ok(rc == 0 && rs == 1 && f >= (uint64_t)attackers,
	       "expiry: every expired reservation released: reserved %llu, free %llu",
	       (unsigned long long)rs, (unsigned long long)f);
	tap_ok(pair_rows(r, kida) == 0 && (!kidb || pair_rows(r, kidb) == 0),
	       "expiry: the key pairs of chips A and B are deleted");
	/* (a pair reserved for an issued chip, test_commit's, stays) */
	rc = store_keypair_counts(st, &kf2, &kr2);
	tap_ok(rc == 0 && (kf1 || !kx.priv) && kf2 == kf1 - (kx.priv ? 1 : 0) &&
	       kr2 + 2 <= kr1 + (kx.priv ? 1 : 0),
	       "expiry: released pairs deleted, none handed out again (free %llu -> %llu,"
	       " reserved %llu -> %llu)",
	       (unsigned long long)kf1, (unsigned long long)kf2,
	       (unsigned long long)kr1, (unsigned long long)kr2);
	store_keypair_clear(&kx);
	/* back to 900 s: with 1 s, a claim in the next second would release D */
	chip(x, 0x0e, 4);
	tap_ok(store_set_reservation_timeout(st, 900) == 0 &&
	       store_claim_identity(st, x, idx, NULL) == 0, "expiry: the pool is usable again");

	make_commit(&c, a, ida, backup_a, sizeof(backup_a), (const uint8_t *)"s", 1);
	c.used_pregenerated_key = true;
	rc = store_commit_provisioning(st, &c);
	tap_ok(rc == -EPERM, "expiry: chip A's commit after release -> -EPERM (%s)", store_error(st));
	c.used_pregenerated_key = false;
	tap_ok(store_commit_provisioning(st, &c) == -EPERM,
	       "expiry: ... also without its key pair -> -EPERM");

	/* expired, not released yet: still commits */
	tap_ok(backdate(r, idd, 0, 2000) == 0,
	       "expiry: chip D's reservation made 2000 s ago, no claim since");
	make_commit(&c, d, idd, backup_b, sizeof(backup_b), (const uint8_t *)"s", 1);
	rc = store_commit_provisioning(st, &c);
	tap_ok(rc == 0, "expiry: an expired reservation not yet released commits (%s)",
	       store_error(st));
	raw_close(r);
	store_close(st);
}

#define RACE_OLD 40		/* expired reservations */
#define RACE_NEW 20		/* claims per process */

/* A child: RACE_NEW claims of new chips; exit 0 if all succeeded. */
static void race_child(int who)
{
	struct store *st;
	struct store_keypair kp;
	uint8_t c[16];
	char id[16], err[256];
	int i, bad = 0;

	if (store_open(url, &st, err, sizeof(err)))
		_exit(2);
	for (i = 0; i < RACE_NEW; i++) {
		chip(c, (uint8_t)(0x20 + who), (uint32_t)i);
		if (store_claim_identity_keypair(st, c, id, NULL, &kp)) {
			tap_diag("process %d, claim %d: %s", who, i, store_error(st));
			bad = 1;
		}
		store_keypair_clear(&kp);
	}
	store_close(st);
	_exit(bad);
}

/* Both processes find the same RACE_OLD expired reservations: each claim
 * releases what it can (PostgreSQL: SKIP LOCKED), none fails. */
void test_expiry_race(void)
{
	struct store *st = open_or_die();
	struct raw *r = raw_open(url);
	struct store_keypair kp;
	uint8_t c[16];
	char id[16];
	uint64_t rs = 0;
	pid_t pid[2];
	int i, ok = 1, good = 0, status;

	ok = r && load_pool(st, 6, 2 * RACE_OLD) == 2 * RACE_OLD;
	for (i = 0; ok && i < RACE_OLD; i++) {
		chip(c, 0x1f, (uint32_t)i);
		ok = store_claim_identity_keypair(st, c, id, NULL, &kp) == 0;
		store_keypair_clear(&kp);
	}
	ok = ok && !raw_exec(r, "UPDATE identity_pool SET reserved_at = reserved_at - 5000"
			     " WHERE state = 1", NULL, 0);
	tap_ok(ok, "expiry race: %d reservations, all made 5000 s ago", RACE_OLD);
	raw_close(r);
	store_close(st);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			race_child(i);
	}
	for (i = 0; i < 2; i++)
		if (pid[i] > 0 && waitpid(pid[i], &status, 0) == pid[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			good++;
	st = open_or_die();
	ok = store_identity_counts(st, NULL, &rs, NULL) == 0;
	tap_ok(good == 2 && ok && rs == 2 * RACE_NEW,
	       "expiry race: 2 processes x %d claims at once, all succeed; reserved: %llu"
	       " (the expired ones released)", RACE_NEW, (unsigned long long)rs);
	store_close(st);
}
