// SPDX-License-Identifier: GPL-2.0
/*
 * Store test of crash safety: kill -9 of a provisioning loop at random
 * points, the invariants checked after every kill (no identity issued
 * twice, no record without its backup and secret, no key pair lost), then
 * the loop run to completion.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store-test.h"

#define CRASH_CHIPS 200
#define CRASH_KEYS 80	/* the first 80 chips use pre-generated keys */

static void crash_child(void)
{
	struct store *st = open_or_die();
	uint8_t c[16], bk[32];
	char id[16];
	uint32_t k;

	for (k = 0; k < CRASH_CHIPS; k++) {
		struct store_keypair kp = { 0 };
		struct store_commit cm = { 0 };
		int state, rc, use_key;

		chip(c, 0x05, k);
		if (store_claim_identity(st, c, id, &state))
			_exit(2);
		use_key = 0;
		if (state != STORE_ID_ISSUED) {
			rc = store_claim_keypair(st, c, &kp);
			if (rc == 0)
				use_key = 1;
			else if (rc != -ENOENT)
				_exit(3);
		}
		memset(bk, 0, sizeof(bk));
		memcpy(bk, c, 16);	/* backup deterministic per chip */
		memcpy(bk + 16, "restorable-bkup", 16);
		make_commit(&cm, c, id, bk, sizeof(bk), bk, 16);
		cm.used_pregenerated_key = use_key;
		rc = store_commit_provisioning(st, &cm);
		store_keypair_clear(&kp);
		if (rc < 0)
			_exit(4);
	}
	store_close(st);
	_exit(0);
}

/* Invariants after any crash; returns number of violations. */
static uint64_t base_issued, base_reserved, base_kfree, base_kres;

static int crash_check(struct store *st, int *committed)
{
	static char seen[CRASH_CHIPS][16];
	uint64_t kf, kr, f, r, i;
	int bad = 0, k, j, n = 0, with_key = 0;

	for (k = 0; k < CRASH_CHIPS; k++) {
		struct store_pub_record p;
		struct store_secret_record s;
		uint8_t c[16];
		int rp, rs;

		chip(c, 0x05, (uint32_t)k);
		rp = store_pub_latest(st, c, &p);
		rs = store_secret_get(st, c, &s);
		if ((rp == 0) != (rs == 0) || (rp && rp != -ENOENT) || (rs && rs != -ENOENT)) {
			tap_diag("chip %d: public %d secret %d", k, rp, rs);
			bad++;
		}
		if (rp == 0) {
			/* restorable backup: exactly the chip's */
			if (p.backup_len != 32 || memcmp(p.backup, c, 16) ||
			    strcmp(p.identity, s.identity)) {
				tap_diag("chip %d: wrong backup or identity", k);
				bad++;
			}
			for (j = 0; j < n; j++)
				if (!strcmp(seen[j], p.identity)) {
					tap_diag("identity %s issued twice", p.identity);
					bad++;
				}
			memcpy(seen[n++], p.identity, 16);
			if (k < CRASH_KEYS)
				with_key++;
		}
		store_pub_record_clear(&p);
		store_secret_record_clear(&s);
	}
	if (store_identity_counts(st, &f, &r, &i) || i - base_issued != (uint64_t)n ||
	    r - base_reserved > 1) {
		tap_diag("identities: free %llu reserved %llu issued %llu, committed %d",
		     (unsigned long long)f, (unsigned long long)r, (unsigned long long)i, n);
		bad++;
	}
	/* no pre-generated key lost: free + reserved + used-by-committed = all */
	if (store_keypair_counts(st, &kf, &kr) ||
	    kf - base_kfree + kr - base_kres + (uint64_t)with_key != CRASH_KEYS ||
	    kr - base_kres > 1) {
		tap_diag("key pairs: free %llu reserved %llu used %d", (unsigned long long)kf,
		     (unsigned long long)kr, with_key);
		bad++;
	}
	*committed = n;
	return bad;
}

void test_crash(int kills_wanted)
{
	struct store *st = open_or_die();
	int kills = 0, bad = 0, committed = 0, rounds = 0, k, done = 0;
	unsigned int seed = (unsigned int)getpid();

	store_identity_counts(st, NULL, &base_reserved, &base_issued);
	store_keypair_counts(st, &base_kfree, &base_kres);
	tap_ok(load_pool(st, 4, CRASH_CHIPS + 10) == CRASH_CHIPS + 10, "crash: pool loaded");
	for (k = 0; k < CRASH_KEYS; k++) {
		char pub[24], priv[24];

		snprintf(pub, sizeof(pub), "pub-%d", k);
		snprintf(priv, sizeof(priv), "priv-%d", k);
		if (store_add_keypair(st, (uint8_t *)pub, strlen(pub), (uint8_t *)priv,
				      strlen(priv), NULL))
			bad++;
	}
	tap_ok(bad == 0, "crash: %d key pairs pre-generated", CRASH_KEYS);
	store_close(st);

	while (!done && rounds < 10 * kills_wanted + 100) {
		pid_t pid = fork();
		int status;

		rounds++;
		if (pid == 0)
			crash_child();
		if (kills < kills_wanted) {
			/* 0.3..3.3 ms: lands in claims and commits alike */
			usleep(300 + rand_r(&seed) % 3000);
			if (kill(pid, SIGKILL) == 0)
				kills++;
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			done = 1;
		else if (WIFEXITED(status)) {
			tap_diag("child failed with %d", WEXITSTATUS(status));
			bad++;
			break;
		}
		st = open_or_die();
		bad += crash_check(st, &committed);
		store_close(st);
		if (bad)
			break;
	}
	tap_ok(kills >= kills_wanted, "crash: %d kill -9 of a provisioning loop", kills);
	tap_ok(bad == 0, "crash: invariants held after every kill (no double issue, no record "
	       "without its backup and secret, no key pair lost)");
	tap_ok(done && committed == CRASH_CHIPS, "crash: re-running completes all %d chips (%d committed)",
	       CRASH_CHIPS, committed);
}

