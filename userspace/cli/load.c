// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey load [--store DIR] [--keys DIR]
 *
 * Verify the flash store and make its keys available (what the boot script
 * does when the store is intact).  Exit codes: docs/recovery.md (16: no
 * store, 15: store corrupt -> run chipkey recover, 18: the store is another
 * chip's -> check --device, do not recover over it).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "recovery/recovery.h"

int cmd_load(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct rec_ctx ctx = { .verbose = cli->verbose, .prog = "chipkey load" };
	const char *store = REC_DEFAULT_STORE, *keys = REC_DEFAULT_KEYS;
	struct rec_result res;
	int c, code;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'k': keys = optarg; break;
		default:
			fprintf(stderr, "usage: chipkey load [--store DIR] [--keys DIR]\n");
			return CK_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: chipkey load [--store DIR] [--keys DIR]\n");
		return CK_EXIT_USAGE;
	}
	code = rec_open(&ctx, cli->device);
	if (!code)
		code = rec_load(&ctx, store, keys, &res);
	if (code)
		fprintf(stderr, "chipkey load: %s (exit %d: %s)\n", ctx.msg, code,
			ck_exit_name(code));
	else
		printf("loaded identity %s, generation %llu, keys in %s\n", res.identity,
		       (unsigned long long)res.generation, keys);
	rec_close(&ctx);
	return code;
}
