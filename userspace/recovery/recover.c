// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recovery procedure (docs/recovery.md, "The procedure"): what the
 * device holds now and its rollback floor (only from a manifest the chip
 * authenticates), a backup from a source (from the database: the newest
 * generation that verifies, falling back past those that do not), rollback
 * protection, verification, the atomic store switch with the certificate
 * from inside the package, then the keys.  The context it runs in is in
 * context.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/backup_package.h>
#include "common/hex.h"
#include "common/pki.h"
#include "rec_int.h"

/*
 * Step 1: what the device holds now (@old, flash_read_store()'s result
 * @serr) sets the rollback floor res->old_generation: the generation of a
 * manifest this chip authenticated, nothing else.  An intact store of
 * another chip is refused unless forced or --replace-other-chip; the
 * store's write keeps it aside (flash/leftovers.c).
 */
static int rollback_floor(struct rec_ctx *ctx, const struct rec_opts *o, const char *store,
			  const struct flash_store *old, int serr, struct rec_result *res)
{
	char hx[2 * CHIPKEY_CHIP_ID_LEN + 1];

	if (serr == -EXDEV) {
		/* an intact store of another chip: most likely the wrong device */
		ck_hex_encode(old->chip_id, sizeof(old->chip_id), hx);
		if (!o->force && !o->other_chip)
			return rec_fail(ctx, CK_EXIT_OTHER_CHIP,
					"the store in %s is intact and belongs to chip %s, this chip is %s: wrong device? refusing to replace another chip's store (use --replace-other-chip to replace it, kept aside)",
					store, hx, ctx->chip_hex);
		/* said before the write: it keeps the store aside only once the
		 * new one is complete (a failed write leaves it where it is) */
		rec_note(ctx, "replacing the store of chip %s: the write keeps it aside as %s/other-chip-%s",
			 hx, store, hx);
		return CK_EXIT_OK;
	}
	if (serr && serr != -ENOENT && serr != -EUCLEAN)
		return rec_store_error(ctx, store, serr, old);
	/*
	 * Names of directories and symlinks, and manifests the chip does not
	 * authenticate, prove nothing: only a wiped or forged store has no
	 * floor, and then the newest generation that verifies is taken.
	 */
	res->old_generation = flash_store_floor(old);
	if (serr == -EUCLEAN)
		rec_note(ctx, "current store is not trusted: %s", old->why);
	if (res->old_generation)
		rec_note(ctx, "rollback floor: generation %llu (chip-authenticated manifest)",
			 (unsigned long long)res->old_generation);
	return CK_EXIT_OK;
}

/* Step 3: rollback protection, before unwrapping anything. */
static int check_rollback(struct rec_ctx *ctx, const struct rec_opts *o,
			  const struct rec_candidate *c, const struct rec_result *res)
{
	struct ck_pkg_header h;

	if (ck_pkg_header_parse(c->backup, c->backup_len, &h))
		return CK_EXIT_OK;	/* rec_verify() says what is wrong */
	if (c->identity[0] && h.generation != c->generation)
		return rec_fail(ctx, CK_EXIT_MALFORMED,
				"the record says generation %llu, its backup package %llu",
				(unsigned long long)c->generation,
				(unsigned long long)h.generation);
	if (!res->old_generation || h.generation >= res->old_generation)
		return CK_EXIT_OK;
	if (!o->force)
		return rec_fail(ctx, CK_EXIT_ROLLBACK,
				"the backup is generation %llu but the device last held generation %llu: refusing to roll back (use --force to allow)",
				(unsigned long long)h.generation,
				(unsigned long long)res->old_generation);
	rec_note(ctx, "--force: rolling back from generation %llu to %llu",
		 (unsigned long long)res->old_generation, (unsigned long long)h.generation);
	return CK_EXIT_OK;
}

/* What a candidate must pass to be restored, and what it gives. */
struct rec_pick {
	struct rec_candidate c;
	struct ck_dp *dp;
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t gen;
};

static void pick_release(struct rec_pick *p)
{
	ck_dp_free(p->dp);
	free(p->c.buf);
	memset(p, 0, sizeof(*p));
}

/* Steps 3-4 for one candidate: rollback, verification end to end, identity. */
static int try_candidate(struct rec_ctx *ctx, const struct rec_opts *o,
			 const struct flash_store *old, const struct rec_result *res,
			 struct rec_pick *p)
{
	int code = check_rollback(ctx, o, &p->c, res);

	if (!code)
		code = rec_verify(ctx, p->c.backup, p->c.backup_len, p->c.cert, p->c.cert_len,
				  p->c.identity[0] ? p->c.identity : NULL, &p->dp, p->identity,
				  &p->gen);
	if (!code && old->authenticated && !memcmp(old->chip_id, ctx->chip_id, sizeof(old->chip_id)) &&
	    strcmp(old->identity, p->identity))
		code = rec_fail(ctx, CK_EXIT_IDENTITY,
				"the store holds identity %s, the backup identity %s: a recovery never changes the device identity",
				old->identity, p->identity);
	return code;
}

/* A generation that was not restored: reported on stderr and in @res. */
static void skip(struct rec_ctx *ctx, struct rec_result *res, uint64_t gen, int code)
{
	struct rec_skip *k;

	if (gen)
		fprintf(stderr, "%s: skipped generation %llu: %s (exit %d: %s)\n",
			ctx->prog ? ctx->prog : "chipkey", (unsigned long long)gen, ctx->msg,
			code, ck_exit_name(code));
	else
		fprintf(stderr, "%s: skipped the latest record: %s (exit %d: %s)\n",
			ctx->prog ? ctx->prog : "chipkey", ctx->msg, code, ck_exit_name(code));
	if (res->nskips >= REC_MAX_SKIPS)
		return;
	k = &res->skips[res->nskips++];
	k->generation = gen;
	k->code = code;
	snprintf(k->why, sizeof(k->why), "%.230s", ctx->msg);
}

/*
 * The newest generations did not verify and there are more below them: a
 * run of junk on top, as whoever holds a copy of the device's key can
 * publish (docs/recovery.md, "Which generation").  The chain is
 * append-only and starts at generation 1, so the genuine generations
 * written before lie below that run: walk up from the rollback floor
 * (generation 1 without one; --force does not lower it), below @lowest
 * (the oldest tried from the top), past generations the manufacturer
 * voided (noted, as the list's are), keeping the newest that verifies,
 * until one does not (reported) or there is none.  0 with it in @p.  -1 if none verified, or
 * if the database could not be asked (no time left, unreachable): an
 * older generation is then never restored in place of one not seen.
 */
static int from_below(struct rec_ctx *ctx, const struct rec_opts *o,
		      const struct flash_store *old, struct rec_result *res,
		      struct rec_pick *p, uint64_t lowest, double deadline)
{
	struct rec_pick cur = { 0 };
	uint64_t start = res->old_generation ? res->old_generation : 1, g;
	int code, fetched, voided;

	for (g = start; g < lowest; g++) {
		fetched = 0;
		code = rec_source_db_voided(ctx, o->db_url, g, deadline - rec_now(), &voided,
					    &res->attempts);
		if (code == CK_EXIT_NOT_FOUND)
			break;		/* the end of the chain */
		if (!code && voided) {
			rec_note(ctx, "generation %llu is %s: skipped", (unsigned long long)g,
				 ctx->msg);
			continue;
		}
		if (!code)
			code = rec_source_db(ctx, o->db_url, g, deadline - rec_now(), &cur.c,
					     &res->attempts, &fetched);
		if (code && !fetched) {
			rec_note(ctx, "the walk from generation %llu up stopped at generation %llu: %s",
				 (unsigned long long)start, (unsigned long long)g, ctx->msg);
			pick_release(&cur);
			pick_release(p);
			return -1;
		}
		if (!code)
			code = try_candidate(ctx, o, old, res, &cur);
		if (code) {
			skip(ctx, res, g, code);
			pick_release(&cur);
			break;
		}
		pick_release(p);
		*p = cur;
		memset(&cur, 0, sizeof(cur));
	}
	if (!p->dp)
		return -1;
	rec_note(ctx, "generation %llu, the newest that verifies from generation %llu up",
		 (unsigned long long)p->gen, (unsigned long long)start);
	return 0;
}

/*
 * Step 2 from the database: the latest record; if it was fetched but does
 * not verify on this chip, the older generations of the list, newest
 * first, down to the floor (unless --force), until one verifies; after
 * REC_MAX_OLDER of them, from_below().  The failure of the latest is the
 * result when none does.
 */
static int from_db(struct rec_ctx *ctx, const struct rec_opts *o, const struct flash_store *old,
		   struct rec_result *res, struct rec_pick *p)
{
	double deadline = rec_now() + (o->timeout > 0 ? o->timeout : REC_DEFAULT_TIMEOUT);
	uint64_t gens[256], latest, lowest = 0;
	char first_msg[sizeof(ctx->msg)];
	size_t n = 0, i, tried = 0;
	int first, code, fetched;

	first = rec_source_db(ctx, o->db_url, 0, deadline - rec_now(), &p->c, &res->attempts,
			      &fetched);
	if (!first)
		first = try_candidate(ctx, o, old, res, p);
	if (!first || !fetched)
		return first;
	latest = p->c.identity[0] ? p->c.generation : 0;
	skip(ctx, res, latest, first);
	snprintf(first_msg, sizeof(first_msg), "%s", ctx->msg);
	pick_release(p);

	code = rec_source_db_list(ctx, o->db_url, deadline - rec_now(), gens,
				  sizeof(gens) / sizeof(gens[0]), &n, &res->attempts);
	if (code)
		rec_note(ctx, "cannot list older generations: %s", ctx->msg);
	for (i = 0; !code && !o->force && i < n; i++)
		if (gens[i] < res->old_generation && (!i || gens[i] != gens[i - 1]))
			res->below_floor++;
	if (res->below_floor)
		fprintf(stderr, "%s: %d older generation(s) below the rollback floor %llu not tried\n",
			ctx->prog ? ctx->prog : "chipkey", res->below_floor,
			(unsigned long long)res->old_generation);
	for (i = 0; !code && i < n && tried < REC_MAX_OLDER; i++) {
		if (gens[i] == latest || (i && gens[i] == gens[i - 1]) ||
		    (gens[i] < res->old_generation && !o->force))
			continue;
		tried++;
		lowest = gens[i];
		code = rec_source_db(ctx, o->db_url, gens[i], deadline - rec_now(), &p->c,
				     &res->attempts, &fetched);
		if (!code)
			code = try_candidate(ctx, o, old, res, p);
		if (!code)
			return CK_EXIT_OK;
		if (!fetched)
			break;	/* the database, not the record: stop here */
		skip(ctx, res, gens[i], code);
		pick_release(p);
		code = 0;
	}
	pick_release(p);
	if (!code && tried == REC_MAX_OLDER && !from_below(ctx, o, old, res, p, lowest, deadline))
		return CK_EXIT_OK;
	return rec_fail(ctx, first, "%s (no other generation in the database verifies on this chip)",
			first_msg);
}

int rec_recover(struct rec_ctx *ctx, const struct rec_opts *o,
		struct rec_result *res)
{
	const char *store = o->store_dir ? o->store_dir : REC_DEFAULT_STORE;
	struct rec_pick p = { 0 };
	struct flash_store old;
	struct flash_contents fc;
	const uint8_t *cder;
	size_t clen;
	int code, serr;

	memset(res, 0, sizeof(*res));
	/* 1. what the device holds now (never modified unless we succeed) */
	serr = flash_read_store(store, ctx->ck, &old);
	code = rollback_floor(ctx, o, store, &old, serr, res);
	if (code)
		goto out;

	/* 2-4. a backup that verifies end to end on this chip */
	if (o->from_file) {
		code = rec_source_file(ctx, o->from_file, &p.c);
		if (!code)
			code = try_candidate(ctx, o, &old, res, &p);
	} else if (o->db_url) {
		code = from_db(ctx, o, &old, res, &p);
	} else {
		code = rec_fail(ctx, CK_EXIT_USAGE, "no source: give --from FILE or --db URL (or set "
				REC_DB_ENV " or " REC_DEFAULT_CONF ")");
	}
	if (code)
		goto out;

	/* 5. write the store atomically, with the certificate from inside the
	 * authenticated package (never the record's) */
	if (ck_dp_get(p.dp, CK_DP_DEVICE_CERT, &cder, &clen)) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT, "the backup package holds no device certificate");
		goto out;
	}
	if (p.c.cert && (p.c.cert_len != clen || memcmp(p.c.cert, cder, clen)))
		rec_note(ctx, "the record's certificate differs from the package's: the package's is stored");
	memset(&fc, 0, sizeof(fc));
	fc.chip = ctx->ck;
	memcpy(fc.chip_id, ctx->chip_id, sizeof(fc.chip_id));
	fc.identity = p.identity;
	fc.generation = p.gen;
	fc.backup = p.c.backup;
	fc.backup_len = p.c.backup_len;
	fc.cert = cder;
	fc.cert_len = clen;
	fc.below_floor = o->force;
	serr = flash_write_store(store, &fc);
	if (serr == -ESTALE) {
		/* another writer stored a later generation while this one
		 * fetched its backup (a slow --db, --from -) */
		code = rec_fail(ctx, CK_EXIT_ROLLBACK,
				"the store %s now holds a later generation than %llu, stored while this recovery ran: nothing changed; run recover again (it takes the newest)",
				store, (unsigned long long)p.gen);
		goto out;
	}
	if (serr) {
		code = rec_fail(ctx, serr == -EACCES || serr == -EPERM ? CK_EXIT_PERM :
				CK_EXIT_STORE_WRITE,
				"cannot write the store %s: %s (the previous store is unchanged)",
				store, strerror(-serr));
		goto out;
	}
	rec_note(ctx, "store %s restored: identity %s, generation %llu", store, p.identity,
		 (unsigned long long)p.gen);
	snprintf(res->identity, sizeof(res->identity), "%s", p.identity);
	res->generation = p.gen;

	/* 6. then make the keys available */
	if (o->keys_dir)
		code = rec_write_keys(ctx, o->keys_dir, p.dp, p.gen);
out:
	pick_release(&p);
	flash_store_release(&old);
	return code;
}
