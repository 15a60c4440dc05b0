/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the files of recovery/ share: the message of a failure and
 * progress lines (message.c), the backup candidate and where it
 * comes from (source.c), the exit code of a store that cannot be read
 * (load.c).
 */
#ifndef CHIPKEY_REC_INT_H
#define CHIPKEY_REC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "flash/flash.h"
#include "recovery.h"

/* Put a one-line message into ctx->msg and return @code (an enum ck_exit). */
int rec_fail(struct rec_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A progress line on stderr, if ctx->verbose. */
void rec_note(struct rec_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A backup as found in a source: a raw backup package, or a public-database
 * record (archive) holding it with its certificate. */
struct rec_candidate {
	uint8_t *buf;		/* owns the bytes below (free() it) */
	size_t len;
	const uint8_t *backup, *cert;
	size_t backup_len, cert_len;
	char identity[CK_DP_DEVICE_ID_LEN + 1];	/* "" if unknown */
	uint64_t generation;
};

/* Read the archive or backup @path ("-": stdin) into @c and parse it. */
int rec_source_file(struct rec_ctx *ctx, const char *path, struct rec_candidate *c);

/*
 * GET this chip's record of @generation (0: the latest) from the public
 * database at @base within @timeout seconds (retrying what may pass) into
 * @c and parse it; the HTTP attempts made are added to *attempts.
 * *fetched is 1 if an answer arrived (a failure is then about its
 * content: another generation may still do), 0 if the fetch itself failed.
 */
int rec_source_db(struct rec_ctx *ctx, const char *base, uint64_t generation, double timeout,
		  struct rec_candidate *c, int *attempts, int *fetched);

/* GET the JSON of this chip's @generation: *voided 1 if the manufacturer
 * voided it (the reason in ctx->msg); CK_EXIT_NOT_FOUND if there is none. */
int rec_source_db_voided(struct rec_ctx *ctx, const char *base, uint64_t generation,
			 double timeout, int *voided, int *attempts);

/* GET the list of this chip's generations: at most @cap of them into
 * @gens, newest first (*n). */
int rec_source_db_list(struct rec_ctx *ctx, const char *base, double timeout,
		       uint64_t *gens, size_t cap, size_t *n, int *attempts);

/* Monotonic clock, seconds. */
double rec_now(void);

/* The exit code and message of flash_read_store()'s error @err. */
int rec_store_error(struct rec_ctx *ctx, const char *store, int err,
		    const struct flash_store *s);

#endif /* CHIPKEY_REC_INT_H */
