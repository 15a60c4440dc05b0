// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The context every recovery command runs in (recover, load, status,
 * export): the chip and its ROM key (the messages: message.c).  Apart
 * from recover.c so that chipkey-load, which only loads, links none of the
 * network code.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "common/hex.h"
#include "common/pki.h"
#include "rec_int.h"

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
	pki_crls_free(ctx->crls);
	ctx->crls = NULL;
}
