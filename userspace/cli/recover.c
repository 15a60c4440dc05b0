// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey recover [--store DIR] [--keys DIR | --no-keys]
 *                 [--from FILE | --db URL] [--force | --replace-other-chip]
 *                 [--timeout S] [--crl FILE]...
 *
 * Exit codes: docs/recovery.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "recovery/recovery.h"

static const char usage_text[] =
	"usage: chipkey recover [--store DIR] [--keys DIR | --no-keys]\n"
	"                       [--from FILE | --db URL]\n"
	"                       [--force | --replace-other-chip] [--timeout S]\n"
	"                       [--crl FILE]...\n";

int cmd_recover(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "no-keys", no_argument, NULL, 'K' },
		{ "from", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'D' },
		{ "force", no_argument, NULL, 'F' },
		{ "replace-other-chip", no_argument, NULL, 'O' },
		{ "timeout", required_argument, NULL, 't' },
		{ "crl", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct rec_opts o = { .store_dir = REC_DEFAULT_STORE, .keys_dir = REC_DEFAULT_KEYS,
			      .timeout = REC_DEFAULT_TIMEOUT };
	struct rec_ctx ctx = { .verbose = cli->verbose, .prog = "chipkey recover" };
	struct rec_result res;
	const char *db = NULL;
	char *end;
	int c, code, i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.store_dir = optarg; break;
		case 'k': o.keys_dir = optarg; break;
		case 'K': o.keys_dir = NULL; break;
		case 'f': o.from_file = optarg; break;
		case 'D': db = optarg; break;
		case 'F': o.force = 1; break;
		case 'O': o.other_chip = 1; break;
		case 'C':	/* a CRL of the root or an issuing CA (docs/factory-pki.md) */
			if (pki_crls_add(&ctx.crls, optarg, ctx.msg, sizeof(ctx.msg))) {
				fprintf(stderr, "chipkey recover: --crl %s\n", ctx.msg);
				pki_crls_free(ctx.crls);
				return CK_EXIT_OTHER;
			}
			break;
		case 't':
			o.timeout = strtod(optarg, &end);
			if (*end || !(o.timeout > 0) || o.timeout > 86400) {
				fprintf(stderr, "chipkey recover: bad --timeout '%s'\n", optarg);
				return CK_EXIT_USAGE;
			}
			break;
		default:
			fputs(usage_text, stderr);
			return CK_EXIT_USAGE;
		}
	}
	if (optind != argc || (o.from_file && db)) {
		fputs(usage_text, stderr);
		return CK_EXIT_USAGE;
	}
	if (!o.from_file)
		o.db_url = rec_db_url(db);
	code = rec_open(&ctx, cli->device);
	if (!code)
		code = rec_recover(&ctx, &o, &res);
	if (code) {
		fprintf(stderr, "chipkey recover: %s\n", ctx.msg);
		fprintf(stderr, "chipkey recover: failed (exit %d: %s)%s\n", code,
			ck_exit_name(code),
			code == CK_EXIT_KEYS ? "; the store was restored" :
			"; the existing store is untouched");
	} else {
		printf("recovered chip %s: identity %s, generation %llu, from %s, into %s\n",
		       ctx.chip_hex, res.identity, (unsigned long long)res.generation,
		       o.from_file ? o.from_file : o.db_url, o.store_dir);
		for (i = 0; i < res.nskips; i++) {
			char what[48] = "the latest record";

			if (res.skips[i].generation)
				snprintf(what, sizeof(what), "generation %llu",
					 (unsigned long long)res.skips[i].generation);
			printf("skipped %s: %s (exit %d: %s)\n", what, res.skips[i].why,
			       res.skips[i].code, ck_exit_name(res.skips[i].code));
		}
		if (res.below_floor)
			printf("not tried: %d generation(s) below the rollback floor %llu\n",
			       res.below_floor, (unsigned long long)res.old_generation);
		if (o.keys_dir)
			printf("keys available in %s\n", o.keys_dir);
	}
	rec_close(&ctx);
	return code;
}
