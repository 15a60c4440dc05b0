// SPDX-License-Identifier: GPL-2.0
/*
 * Store tests of database 140 and the provisioning commit: the identity
 * pool (claims, idempotence, exhaustion), key pair claims, and commits
 * (idempotent re-commit, conflicts, rollback of failed commits).
 */
#include <errno.h>
#include <string.h>

#include "common/identity.h"
#include "store-test.h"

/* ------------------------------------------------------ identity pool */

void test_pool(void)
{
	struct store *st = open_or_die();
	const char *bad[] = { "490154203237519" };
	char id1[16], id2[16], id3[16];
	uint64_t f, r, i;
	uint8_t a[16], b[16], c[16];
	int state = -1, rc, k;

	tap_ok(load_pool(st, 1, 5) == 5, "pool: 5 identities loaded");
	tap_ok(load_pool(st, 1, 5) == 0, "pool: reloading the same identities adds none");
	tap_ok(store_load_identities(st, bad, 1, NULL) == -EINVAL,
	       "pool: identity with a wrong check digit refused");
	chip(a, 0x01, 1);
	chip(b, 0x01, 2);
	rc = store_claim_identity(st, a, id1, &state);
	tap_ok(rc == 0 && state == STORE_ID_RESERVED && ck_identity_valid(id1),
	       "pool: chip A claims %s", id1);
	rc = store_claim_identity(st, a, id2, &state);
	tap_ok(rc == 0 && !strcmp(id1, id2) && state == STORE_ID_RESERVED,
	       "pool: chip A claims again, same identity");
	rc = store_claim_identity(st, b, id3, &state);
	tap_ok(rc == 0 && strcmp(id1, id3) != 0, "pool: chip B gets another identity");
	tap_ok(store_identity_counts(st, &f, &r, &i) == 0 && f == 3 && r == 2 && i == 0,
	       "pool: counts free 3 reserved 2 issued 0");
	for (k = 3; k <= 5; k++) {
		chip(c, 0x01, (uint32_t)k);
		rc = store_claim_identity(st, c, id2, NULL);
	}
	tap_ok(rc == 0, "pool: last identity claimed");
	chip(c, 0x01, 6);
	rc = store_claim_identity(st, c, id2, NULL);
	tap_ok(rc == -ENOSPC && *store_error(st), "pool: exhausted -> -ENOSPC (%s)", store_error(st));
	store_close(st);
}

/* ---------------------------------------------------------- commit */

void test_commit(void)
{
	struct store *st = open_or_die();
	struct store_keypair kp, kp2;
	struct store_commit c = { 0 };
	struct store_pub_record got;
	struct store_secret_record sec;
	uint64_t kf, kr, f, r, i0, i1;
	uint8_t a[16], b[16], d[16];
	char ida[16], idb[16], id[16];
	int64_t kid;
	int state, rc;

	tap_ok(load_pool(st, 2, 10) == 10, "commit: pool of 10 loaded");
	tap_ok(store_add_keypair(st, (const uint8_t *)"pub1", 4, (const uint8_t *)"priv1", 5, &kid) == 0 &&
	       store_add_keypair(st, (const uint8_t *)"pub2", 4, (const uint8_t *)"priv2", 5, NULL) == 0,
	       "commit: 2 pre-generated key pairs added");
	chip(a, 0x03, 1);
	chip(b, 0x03, 2);
	chip(d, 0x03, 3);
	store_identity_counts(st, NULL, NULL, &i0);
	tap_ok(store_claim_identity(st, a, ida, NULL) == 0 && store_claim_keypair(st, a, &kp) == 0 &&
	       kp.pub_len == 4 && kp.priv_len == 5, "commit: chip A claims identity and key pair");
	tap_ok(store_claim_keypair(st, a, &kp2) == 0 && kp2.id == kp.id &&
	       !memcmp(kp2.priv, kp.priv, kp.priv_len), "commit: key pair claim is idempotent");
	store_keypair_clear(&kp2);
	tap_ok(store_keypair_counts(st, &kf, &kr) == 0 && kf == 1 && kr == 1,
	       "commit: key pairs free 1 reserved 1");

	make_commit(&c, a, ida, backup_a, sizeof(backup_a), (const uint8_t *)"secret-A", 8);
	c.used_pregenerated_key = true;
	rc = store_commit_provisioning(st, &c);
	tap_ok(rc == 0, "commit: chip A committed (%s)", store_error(st));
	tap_ok(store_keypair_counts(st, &kf, &kr) == 0 && kf == 1 && kr == 0,
	       "commit: used key pair deleted, the other kept");
	tap_ok(store_identity_counts(st, NULL, NULL, &i1) == 0 && i1 == i0 + 1,
	       "commit: identity marked issued");
	tap_ok(store_secret_get(st, a, &sec) == 0 && !strcmp(sec.identity, ida) &&
	       sec.data_len == 8 && !memcmp(sec.data, "secret-A", 8), "commit: secret record stored");
	store_secret_record_clear(&sec);
	tap_ok(store_pub_latest(st, a, &got) == 0 && got.generation == 1 && !strcmp(got.identity, ida),
	       "commit: public record stored");
	store_pub_record_clear(&got);
	tap_ok(store_commit_provisioning(st, &c) == STORE_ALREADY, "commit: same commit again -> already");
	c.backup = backup_b;
	c.backup_len = sizeof(backup_b);
	rc = store_commit_provisioning(st, &c);
	tap_ok(rc == -EEXIST && strstr(store_error(st), "different backup"),
	       "commit: different backup for the committed chip -> -EEXIST (%s)", store_error(st));
	state = -1;
	tap_ok(store_claim_identity(st, a, id, &state) == 0 && !strcmp(id, ida) &&
	       state == STORE_ID_ISSUED, "commit: provisioned chip claims again: same identity, issued");
	tap_ok(store_claim_keypair(st, a, &kp2) == 0 && kp2.id != kp.id,
	       "commit: deleted key pair is never handed out again");
	store_keypair_clear(&kp2);
	store_keypair_clear(&kp);

	/* failures roll back everything */
	tap_ok(store_claim_identity(st, b, idb, NULL) == 0, "commit: chip B claims %s", idb);
	memcpy(c.chip_id, b, 16);
	c.identity = ida;	/* not B's */
	c.used_pregenerated_key = false;
	rc = store_commit_provisioning(st, &c);
	tap_ok(rc == -EPERM, "commit: identity of another chip -> -EPERM (%s)", store_error(st));
	c.identity = idb;
	c.used_pregenerated_key = true;	/* B has no key pair reserved */
	rc = store_commit_provisioning(st, &c);
	tap_ok(rc == -ESTALE, "commit: no reserved key pair -> -ESTALE (%s)", store_error(st));
	tap_ok(store_pub_latest(st, b, &got) == -ENOENT && store_secret_get(st, b, &sec) == -ENOENT &&
	       store_identity_counts(st, &f, &r, &i1) == 0 && i1 == i0 + 1,
	       "commit: failed commits left nothing behind");
	state = -1;
	tap_ok(store_claim_identity(st, b, id, &state) == 0 && state == STORE_ID_RESERVED &&
	       !strcmp(id, idb), "commit: chip B still merely reserved");
	c.used_pregenerated_key = false;
	tap_ok(store_commit_provisioning(st, &c) == 0, "commit: chip B commits without a key pair");
	memcpy(c.chip_id, d, 16);
	c.identity = "490154203237518";	/* not in the pool */
	tap_ok(store_commit_provisioning(st, &c) == -EPERM, "commit: identity not in the pool -> -EPERM");
	c.identity = "490154203237519";
	tap_ok(store_commit_provisioning(st, &c) == -EINVAL, "commit: invalid identity -> -EINVAL");
	store_close(st);
}

