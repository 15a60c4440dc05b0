/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey recovery: restore a device's flash store (and make its keys
 * available) from the public database or from an archive file.
 * See docs/recovery.md (procedure, exit codes) and docs/flash-store.md.
 *
 * Every function returning int returns an exit code of common/exit.h
 * (enum ck_exit: CK_EXIT_OK, or 9-18 for what only recovery can find) and
 * leaves a one-line message in ctx->msg on failure.
 *
 * The files: recover.c (the procedure), verify.c (backup package and
 * certificate checks), source.c (archive file or public database, over
 * http.c), load.c (an intact store: load, export), keys.c (the keys
 * directory), status.c (chipkey status).
 */
#ifndef CHIPKEY_RECOVERY_H
#define CHIPKEY_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#include <chipkey/data_package.h>
#include "common/exit.h"
#include "common/pki.h"
#include "lib/libchipkey.h"

#define REC_DEFAULT_STORE	"/var/lib/chipkey"
#define REC_DEFAULT_KEYS	"/run/chipkey"
#define REC_DEFAULT_CONF	"/etc/chipkey/recovery.conf"
#define REC_CONF_ENV		"CHIPKEY_RECOVERY_CONF"
#define REC_DB_ENV		"CHIPKEY_PUBDB"
#define REC_DEFAULT_TIMEOUT	60.0

struct rec_ctx {
	struct chipkey *ck;
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	char chip_hex[2 * CHIPKEY_CHIP_ID_LEN + 1];
	uint8_t rom[CHIPKEY_MAX_ROM_KEY];
	size_t rom_len;
	struct pki_crls *crls;	/* --crl (NULL: none): revoked certificates
				 * and issuing CAs are refused */
	int verbose;		/* progress lines on stderr */
	const char *prog;	/* prefix of progress lines */
	char msg[512];
};

struct rec_opts {
	const char *store_dir;	/* default REC_DEFAULT_STORE */
	const char *keys_dir;	/* NULL: do not make keys available */
	const char *from_file;	/* archive or raw backup; else db_url */
	const char *db_url;
	int force;		/* allow an older generation; replace an intact
				 * store of another chip */
	int other_chip;		/* replace an intact store of another chip
				 * (kept aside, docs/flash-store.md), nothing
				 * else that force allows */
	double timeout;		/* overall limit of the network fetch, s */
};

/* Older generations fetched from the database after the latest failed. */
#define REC_MAX_OLDER	16
/* Generations a recovery tried and did not restore, in the order tried:
 * every one it can try (the latest, REC_MAX_OLDER older ones from the top
 * and the one that ended the walk from below), so that all are reported
 * on stdout too. */
#define REC_MAX_SKIPS	(REC_MAX_OLDER + 2)

struct rec_skip {
	uint64_t generation;		/* 0: the latest (its number unknown) */
	int code;			/* enum ck_exit: why */
	char why[240];
};

struct rec_result {
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t generation;
	uint64_t old_generation;	/* rollback floor; 0: none known */
	int attempts;			/* HTTP attempts made */
	int nskips;			/* entries of skips[] */
	int below_floor;		/* generations not tried: below the floor */
	struct rec_skip skips[REC_MAX_SKIPS];
};

/*
 * GET @base/v1/chips/<ctx->chip_hex>/@what (e.g. "generations/1/record")
 * from the public database within @timeout seconds, retrying what may
 * pass; the bytes in *@buf (malloc'd), *@len.  0, CK_EXIT_NOT_FOUND (404),
 * CK_EXIT_NETWORK, or another exit code; the message in ctx->msg.  The
 * HTTP attempts made are added to *@attempts.  (pair --directory.)
 */
int rec_db_fetch(struct rec_ctx *ctx, const char *base, const char *what, double timeout,
		 uint8_t **buf, size_t *len, int *attempts);

/* Open the chip, read chip ID and ROM key (recover.c). */
int rec_open(struct rec_ctx *ctx, const char *device);
void rec_close(struct rec_ctx *ctx);

/* The whole recovery procedure (docs/recovery.md). */
int rec_recover(struct rec_ctx *ctx, const struct rec_opts *o,
		struct rec_result *res);

/*
 * Verify a backup package and certificate for this chip: backup code,
 * chip ID, unwrap, data package, certificate against the ROM key, chip ID
 * and identity.  @cert may be NULL: the certificate inside the package is
 * used.  @want_identity (may be NULL): identity the record claims.  On
 * success *dp is the decoded package (ck_dp_free it).
 */
int rec_verify(struct rec_ctx *ctx, const uint8_t *backup, size_t backup_len,
	       const uint8_t *cert, size_t cert_len, const char *want_identity,
	       struct ck_dp **dp, char identity[CK_DP_DEVICE_ID_LEN + 1],
	       uint64_t *generation);

/* Load an intact store: verify it, unwrap, write the keys directory. */
int rec_load(struct rec_ctx *ctx, const char *store_dir, const char *keys_dir,
	     struct rec_result *res);

/* Write the store's backup + certificate as an archive (unsigned record). */
int rec_export(struct rec_ctx *ctx, const char *store_dir, const char *file);

/* Make the keys of @dp available in @keys_dir (docs/flash-store.md). */
int rec_write_keys(struct rec_ctx *ctx, const char *keys_dir,
		   const struct ck_dp *dp, uint64_t generation);

/* The database URL: @arg, else $CHIPKEY_PUBDB, else the config file
 * ($CHIPKEY_RECOVERY_CONF or /etc/chipkey/recovery.conf, line
 * CHIPKEY_PUBDB=URL).  NULL if none; the result is static storage. */
const char *rec_db_url(const char *arg);

#endif
