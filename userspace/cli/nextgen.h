/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The next generation of the data package (nextgen.c), one step shared by
 * chipkey enroll and chipkey pair / unpair: the current generation read
 * from the flash store and verified; the changed data package wrapped as
 * generation + 1; the flash store switched (the commit point: old or whole
 * new generation); the new generation published to the public database,
 * signed by the device with its factory key; the keys directory rewritten.
 */
#ifndef CHIPKEY_CLI_NEXTGEN_H
#define CHIPKEY_CLI_NEXTGEN_H

#include <stddef.h>
#include <stdint.h>

#include <chipkey/data_package.h>
#include "recovery/recovery.h"

struct ck_next {
	struct rec_ctx *rc;		/* this chip (opened by rec_open) */
	const char *store, *db, *keys;	/* keys: NULL, do not rewrite it */
	const char *prog;		/* "enroll", "pair": the messages
					 * "chipkey: PROG: ..." and the crash
					 * points PROG-store, PROG-stored,
					 * PROG-publish, PROG-keys */
	int read_only;			/* ck_next_load takes no update lock
					 * (chipkey pairs) */
	int lock;			/* the update lock's fd + 1 while held
					 * (ck_next_load .. ck_next_release) */
	/* the current generation (ck_next_load, then ck_next_store) */
	struct ck_dp *dp;
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t gen;
	uint8_t *pkg;			/* its backup package */
	size_t pkg_len;
};

/* The flash store read, authenticated and verified (n->dp, identity, gen,
 * pkg).  Unless n->read_only, first the update lock STORE/.update.lock
 * (flock, exclusive; waits for another change of the same store, saying
 * so once), held until ck_next_release: one read-change-write at a time,
 * so no change is lost and no check (exclusive mode) is made on a
 * generation another command is replacing.  An exit code (message on
 * stderr). */
int ck_next_load(struct ck_next *n);
/* Wrap @dp as generation @gen with the chip: a malloc'd backup package. */
int ck_next_wrap(struct chipkey *ck, const struct ck_dp *dp, uint64_t gen,
		 uint8_t **out, size_t *len);
/* n->dp (changed by the caller) as generation n->gen + 1 into the flash
 * store: n->gen and n->pkg are the new generation's after it.  An exit
 * code. */
int ck_next_store(struct ck_next *n);
/* Publish n->pkg as generation n->gen (a 409 whose stored backup is byte
 * for byte ours counts as published), then rewrite the keys directory.  An
 * exit code. */
int ck_next_finish(struct ck_next *n);
/* The current generation published if it is later than the factory's
 * (a crash or a network failure after an earlier switch may have left it
 * unpublished; the database takes no gaps).  Call it before changing
 * anything: the store is then never more than one generation ahead of the
 * database.  Then refuses (CK_EXIT_ROLLBACK) a store the database is
 * ahead of (it holds generation + 1); a database that cannot be reached
 * for that question only earns a warning (publication catches it later:
 * CK_EXIT_CONFLICT).  An exit code. */
int ck_next_catch_up(struct ck_next *n);
/* Does the public database n->db hold generation n->gen + 1 (this store
 * is an older image put back)?  CK_EXIT_ROLLBACK if it does, 0 if not or
 * (with a warning) if the database cannot be reached at all and !@reached;
 * CK_EXIT_NETWORK if it cannot be asked although @reached (it answered
 * just before) or answers neither 200 nor 404.  Part of ck_next_catch_up;
 * chipkey pair channel asks it alone (it publishes nothing). */
int ck_next_behind(const struct ck_next *n, int reached);
/* ck_next_store, then ck_next_finish. */
int ck_next_commit(struct ck_next *n);
void ck_next_release(struct ck_next *n);

#endif
