/* SPDX-License-Identifier: GPL-2.0-or-later */
/* chipkey status (userspace/recovery/status.c). */
#ifndef CHIPKEY_REC_STATUS_H
#define CHIPKEY_REC_STATUS_H

#include "recovery.h"

struct rec_status {
	int device_ok;			/* the chip answered */
	char chip_hex[33];		/* this chip (if device_ok) */
	int store_err;			/* flash_read_store: 0, -ENOENT, -EUCLEAN.. */
	char why[256];			/* why the store is not trusted */
	int manifest_ok;		/* identity/generation/store chip known */
	int authenticated;		/* the chip recomputed the manifest MAC */
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t generation;
	char store_chip_hex[33];
	int chip_match;			/* 1, 0, -1 unknown */
	int cert_valid;			/* 1, 0, -1 not checked */
	char cert_msg[160];
	char not_before[32], not_after[32];
	/* the validity period at the current time, reported only (recovery
	 * and load do not check it, docs/recovery.md): "current", "expired",
	 * "not-yet-valid", or "unknown" (the clock is before PKI_CLOCK_FLOOR:
	 * not set); "" if no certificate */
	char validity[16];
	int keys_loaded;		/* keys dir holds this identity */
	int healthy;
};

/*
 * Fill @st.  ctx->ck may be NULL (device unavailable): the store is still
 * checked, but not against the chip (no MAC: never healthy).  Returns
 * CK_EXIT_OK (healthy: the chip authenticated the manifest),
 * CK_EXIT_NO_STORE, CK_EXIT_STORE_CORRUPT (including an unauthenticated
 * manifest and a certificate the ROM key does not verify),
 * CK_EXIT_OTHER_CHIP (an intact store of another chip), CK_EXIT_PERM (not
 * allowed to ask the chip for the MAC) or CK_EXIT_NODEV.  An expired certificate does not make a store unhealthy.
 */
int rec_status(struct rec_ctx *ctx, const char *store_dir, const char *keys_dir,
	       struct rec_status *st);

#endif
