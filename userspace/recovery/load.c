// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading the keys of an intact store (chipkey load, what the boot script
 * does when nothing needs recovery): read the store (its manifest MAC
 * checked by the chip), verify it like a recovery would, refuse a backup
 * older than the authenticated generation, write the keys directory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "rec_int.h"

int rec_store_error(struct rec_ctx *ctx, const char *store, int err,
		    const struct flash_store *s)
{
	char hx[2 * CHIPKEY_CHIP_ID_LEN + 1];

	if (err == -ENOENT)
		return rec_fail(ctx, CK_EXIT_NO_STORE,
				"no store in %s (not provisioned, or the flash was wiped): run chipkey recover",
				store);
	if (err == -EUCLEAN)
		return rec_fail(ctx, CK_EXIT_STORE_CORRUPT,
				"the store in %s is corrupt and not trusted: %s", store, s->why);
	if (err == -EXDEV) {
		ck_hex_encode(s->chip_id, sizeof(s->chip_id), hx);
		return rec_fail(ctx, CK_EXIT_OTHER_CHIP,
				"the store in %s belongs to chip %s, this chip is %s: wrong device (CHIPKEY_DEVICE, --device)? the store is left as it is",
				store, hx, ctx->chip_hex);
	}
	return rec_fail(ctx, err == -EACCES || err == -EPERM ? CK_EXIT_PERM : CK_EXIT_OTHER,
			"%s: %s", store, s->why[0] ? s->why : strerror(-err));
}

int rec_load(struct rec_ctx *ctx, const char *store_dir, const char *keys_dir,
	     struct rec_result *res)
{
	const char *store = store_dir ? store_dir : REC_DEFAULT_STORE;
	struct flash_store s;
	struct ck_dp *dp = NULL;
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t gen = 0;
	int code, err;

	memset(res, 0, sizeof(*res));
	err = flash_read_store(store, ctx->ck, &s);
	if (err) {
		code = rec_store_error(ctx, store, err, &s);
		goto out;
	}
	code = rec_verify(ctx, s.backup, s.backup_len, s.cert, s.cert_len, s.identity,
			  &dp, identity, &gen);
	/*
	 * The floor: the generation of the chip-authenticated manifest.  The
	 * chip authenticates the backup's own generation in the unwrap; any
	 * other (an older backup swapped in fails the manifest's SHA-256 or
	 * MAC before this) means the store does not hold what its manifest
	 * says: 15, so that chipkey-boot recovers, and recovery enforces the
	 * same floor.  The deliberate way back is chipkey recover --force.
	 */
	if (code == CK_EXIT_OK && gen != s.generation)
		code = rec_fail(ctx, CK_EXIT_STORE_CORRUPT,
				"the backup is generation %llu but the store's authenticated manifest says %llu%s",
				(unsigned long long)gen, (unsigned long long)s.generation,
				gen < s.generation ? ": refusing to roll back" : "");
	if (code == CK_EXIT_OK) {
		snprintf(res->identity, sizeof(res->identity), "%s", identity);
		res->generation = gen;
		if (keys_dir)
			code = rec_write_keys(ctx, keys_dir, dp, gen);
	} else if (code == CK_EXIT_NOT_OURS) {
		/* the store names this chip, but its data package does not */
		code = CK_EXIT_STORE_CORRUPT;
	}
out:
	ck_dp_free(dp);
	flash_store_release(&s);
	return code;
}
