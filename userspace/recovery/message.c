// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The messages of the recovery commands (rec_int.h): a failure's one-line
 * message (rec_fail) and progress lines (rec_note).  Apart from context.c,
 * which opens the chip, so that what needs only the messages (the fuzz
 * target fuzz/recovery-source.c) links no device code.
 */
#include <stdarg.h>
#include <stdio.h>

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
