// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey backup export: an intact store's backup package and certificate
 * as an archive file (an unsigned public-database record, docs/recovery.md)
 * for offline recovery (chipkey recover --from FILE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/pubdb-record.h"
#include "rec_int.h"

int rec_export(struct rec_ctx *ctx, const char *store_dir, const char *file)
{
	const char *store = store_dir ? store_dir : REC_DEFAULT_STORE;
	struct pubdb_fields f;
	struct flash_store s;
	uint8_t *rec = NULL;
	size_t rlen = 0;
	char err[256];
	int code, e;

	/* without a chip (backup.c: optional) the MAC is not checked: the
	 * archive holds public data, and its recovery verifies it */
	e = flash_read_store(store, ctx->ck, &s);
	if (e == -ENOKEY && !ctx->ck)
		e = 0;
	if (e) {
		code = rec_store_error(ctx, store, e, &s);
		goto out;
	}
	memset(&f, 0, sizeof(f));
	memcpy(f.chip_id, s.chip_id, sizeof(f.chip_id));
	f.generation = s.generation;
	f.identity = s.identity;
	f.backup = s.backup;
	f.backup_len = s.backup_len;
	f.cert = s.cert;
	f.cert_len = s.cert_len;
	if (pubdb_record_build(&f, NULL, NULL, &rec, &rlen, err, sizeof(err))) {
		code = rec_fail(ctx, CK_EXIT_OTHER, "cannot build the archive: %s", err);
		goto out;
	}
	/* "-": standard output; else temporary file, fsync, rename */
	e = ck_file_write_atomic(file, rec, rlen, 0644, 1);
	if (e)
		code = rec_fail(ctx, CK_EXIT_OTHER, "%s: %s", strcmp(file, "-") ? file : "stdout",
				strerror(-e));
	else
		code = CK_EXIT_OK;
out:
	free(rec);
	flash_store_release(&s);
	return code;
}
