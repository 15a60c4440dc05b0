// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey backup export FILE [--store DIR]
 *
 * Write the store's backup package and certificate as an archive file (an
 * unsigned public-database record, docs/recovery.md) for offline repair:
 * chipkey recover --from FILE.  The archive holds no secret in clear.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "recovery/recovery.h"

static const char usage_text[] = "usage: chipkey backup export FILE [--store DIR]\n";

int cmd_backup(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct rec_ctx ctx = { .verbose = cli->verbose, .prog = "chipkey backup" };
	const char *store = REC_DEFAULT_STORE, *file;
	int c, code;

	if (argc < 2 || strcmp(argv[1], "export")) {
		fputs(usage_text, stderr);
		return CK_EXIT_USAGE;
	}
	argc--;
	argv++;
	optind = 0;	/* a new argv: reinitialise getopt (glibc) */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 's') {
			fputs(usage_text, stderr);
			return CK_EXIT_USAGE;
		}
		store = optarg;
	}
	if (optind != argc - 1) {
		fputs(usage_text, stderr);
		return CK_EXIT_USAGE;
	}
	file = argv[optind];
	/* The chip is optional here: when present, the store must be its own. */
	if (rec_open(&ctx, cli->device) && cli->verbose)
		fprintf(stderr, "chipkey backup: %s (exporting without a chip check)\n", ctx.msg);
	code = rec_export(&ctx, store, file);
	if (code)
		fprintf(stderr, "chipkey backup: %s (exit %d: %s)\n", ctx.msg, code,
			ck_exit_name(code));
	else if (strcmp(file, "-"))
		fprintf(stderr, "exported %s to %s\n", store, file);
	rec_close(&ctx);
	return code;
}
