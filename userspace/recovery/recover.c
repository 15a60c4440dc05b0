// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recovery procedure (docs/recovery.md, "The procedure"): what the
 * device holds now and its rollback floor, a backup from a source,
 * rollback protection, verification, the atomic store switch, then the
 * keys.  Also the context it runs in: the chip, failure messages and
 * progress lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/backup_package.h>
#include "common/hex.h"
#include "rec_int.h"

int rec_fail(struct rec_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return code;
}

void rec_note(struct rec_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->verbose)
		return;
	fprintf(stderr, "%s: ", ctx->prog ? ctx->prog : "chipkey");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int rec_open(struct rec_ctx *ctx, const char *device)
{
	struct chipkey_info info;
	int err;

	ctx->rom_len = sizeof(ctx->rom);
	err = chipkey_open(device, &ctx->ck);
	if (!err)
		err = chipkey_get_info(ctx->ck, &info);
	if (!err)
		err = chipkey_get_rom_key(ctx->ck, ctx->rom, &ctx->rom_len);
	if (err) {
		if (ctx->ck)
			chipkey_close(ctx->ck);
		ctx->ck = NULL;
		return rec_fail(ctx, CK_EXIT_NODEV, "%s: %s",
				device ? device : "(default device)", chipkey_strerror(err));
	}
	memcpy(ctx->chip_id, info.chip_id, sizeof(ctx->chip_id));
	ck_hex_encode(ctx->chip_id, sizeof(ctx->chip_id), ctx->chip_hex);
	return CK_EXIT_OK;
}

void rec_close(struct rec_ctx *ctx)
{
	if (ctx->ck)
		chipkey_close(ctx->ck);
	ctx->ck = NULL;
	OPENSSL_cleanse(ctx->rom, sizeof(ctx->rom));
}

/*
 * Step 1: what the device holds now (@old, flash_read_store()'s result
 * @serr) sets the rollback floor res->old_generation.  An intact store of
 * another chip is refused unless forced.
 */
static int rollback_floor(struct rec_ctx *ctx, const struct rec_opts *o, const char *store,
			  const struct flash_store *old, int serr, struct rec_result *res)
{
	char hx[2 * CHIPKEY_CHIP_ID_LEN + 1];
	uint64_t nf;

	if (!serr && memcmp(old->chip_id, ctx->chip_id, sizeof(old->chip_id))) {
		/* an intact store of another chip: most likely the wrong device */
		ck_hex_encode(old->chip_id, sizeof(old->chip_id), hx);
		if (!o->force)
			return rec_fail(ctx, CK_EXIT_OTHER_CHIP,
					"the store in %s is intact and belongs to chip %s, this chip is %s: wrong device? refusing to replace another chip's store (use --force to replace it)",
					store, hx, ctx->chip_hex);
		rec_note(ctx, "--force: replacing the store of chip %s", hx);
		return CK_EXIT_OK;
	}
	if (!serr) {
		res->old_generation = old->generation;
		return CK_EXIT_OK;
	}
	/*
	 * Not intact.  The floor is what the store still proves: the
	 * manifest's generation if it parses, and in any case the generation
	 * in the names (current -> store-<gen>-<id>, and the largest
	 * store-<gen>-* directory), so that a damaged manifest does not switch
	 * rollback protection off.  Only a fully wiped flash has no floor.
	 */
	nf = flash_store_name_floor(old);
	if (old->manifest_ok && !memcmp(old->chip_id, ctx->chip_id, sizeof(old->chip_id)))
		res->old_generation = old->generation;
	if (nf > res->old_generation)
		res->old_generation = nf;
	if (serr == -EUCLEAN)
		rec_note(ctx, "current store is not trusted: %s", old->why);
	if (res->old_generation)
		rec_note(ctx, "rollback floor: generation %llu",
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

int rec_recover(struct rec_ctx *ctx, const struct rec_opts *o,
		struct rec_result *res)
{
	const char *store = o->store_dir ? o->store_dir : REC_DEFAULT_STORE;
	struct rec_candidate c = { 0 };
	struct flash_store old;
	struct flash_contents fc;
	struct ck_dp *dp = NULL;
	const uint8_t *cder;
	size_t clen;
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t gen = 0;
	int code, serr;

	memset(res, 0, sizeof(*res));
	/* 1. what the device holds now (never modified unless we succeed) */
	serr = flash_read_store(store, &old);
	code = rollback_floor(ctx, o, store, &old, serr, res);
	if (code)
		goto out;

	/* 2. the backup, from a file or the database */
	if (o->from_file)
		code = rec_source_file(ctx, o->from_file, &c);
	else if (o->db_url)
		code = rec_source_db(ctx, o->db_url,
				     o->timeout > 0 ? o->timeout : REC_DEFAULT_TIMEOUT,
				     &c, &res->attempts);
	else
		code = rec_fail(ctx, CK_EXIT_USAGE, "no source: give --from FILE or --db URL (or set "
				REC_DB_ENV " or " REC_DEFAULT_CONF ")");
	if (code)
		goto out;

	/* 3. rollback protection */
	code = check_rollback(ctx, o, &c, res);
	if (code)
		goto out;

	/* 4. verification */
	code = rec_verify(ctx, c.backup, c.backup_len, c.cert, c.cert_len,
			  c.identity[0] ? c.identity : NULL, &dp, identity, &gen);
	if (code)
		goto out;
	if (!serr && !memcmp(old.chip_id, ctx->chip_id, sizeof(old.chip_id)) &&
	    strcmp(old.identity, identity)) {
		code = rec_fail(ctx, CK_EXIT_IDENTITY,
				"the store holds identity %s, the backup identity %s: a recovery never changes the device identity",
				old.identity, identity);
		goto out;
	}

	/* 5. write the store atomically */
	if (!c.cert) {
		ck_dp_get(dp, CK_DP_DEVICE_CERT, &cder, &clen);
	} else {
		cder = c.cert;
		clen = c.cert_len;
	}
	memset(&fc, 0, sizeof(fc));
	memcpy(fc.chip_id, ctx->chip_id, sizeof(fc.chip_id));
	fc.identity = identity;
	fc.generation = gen;
	fc.backup = c.backup;
	fc.backup_len = c.backup_len;
	fc.cert = cder;
	fc.cert_len = clen;
	serr = flash_write_store(store, &fc);
	if (serr) {
		code = rec_fail(ctx, serr == -EACCES || serr == -EPERM ? CK_EXIT_PERM :
				CK_EXIT_STORE_WRITE,
				"cannot write the store %s: %s (the previous store is unchanged)",
				store, strerror(-serr));
		goto out;
	}
	rec_note(ctx, "store %s restored: identity %s, generation %llu", store, identity,
		 (unsigned long long)gen);
	snprintf(res->identity, sizeof(res->identity), "%s", identity);
	res->generation = gen;

	/* 6. then make the keys available */
	if (o->keys_dir)
		code = rec_write_keys(ctx, o->keys_dir, dp, gen);
out:
	ck_dp_free(dp);
	free(c.buf);
	flash_store_release(&old);
	return code;
}
