// SPDX-License-Identifier: GPL-2.0
/* chipkey wrap [--generation N] IN OUT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey wrap [--generation N] IN OUT\n");
	return CK_EXIT_USAGE;
}

int cmd_wrap(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "generation", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct chipkey_info info;
	struct chipkey *ck;
	uint64_t gen = 0;
	uint8_t *in = NULL, *out = NULL;
	size_t in_len, out_len;
	int c, ret;

	while ((c = getopt_long(argc, argv, "g:", opts, NULL)) != -1) {
		char *end;

		if (c != 'g')
			return usage();
		errno = 0;
		gen = strtoull(optarg, &end, 0);
		if (errno || *end || !*optarg || *optarg == '-') {
			fprintf(stderr, "chipkey: bad generation '%s'\n", optarg);
			return CK_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return usage();
	ret = ck_cli_open_info(cli, &ck, &info);
	if (ret)
		return ret;
	ret = ck_cli_read(argv[optind], &in, &in_len, info.max_payload);
	if (ret)
		goto out;
	/* Over the limit: in_len is max + 1 and the device says EMSGSIZE. */
	out_len = in_len + CHIPKEY_PKG_OVERHEAD;
	out = malloc(out_len);
	if (!out) {
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = chipkey_wrap(ck, in, in_len, gen, out, &out_len);
	if (ret) {
		if (ret == -EMSGSIZE)
			fprintf(stderr, "chipkey: %s: input is larger than the chip's limit of %u bytes\n",
				cli->device, info.max_payload);
		ret = ck_cli_op_error(cli, "wrap", ret);
		goto out;
	}
	ret = ck_cli_write(argv[optind + 1], out, out_len, 0600);
	if (ret)
		goto out;
	if (cli->verbose)
		fprintf(stderr, "chipkey: wrapped %zu bytes into %zu (generation %llu)\n",
			in_len, out_len, (unsigned long long)gen);
	ret = CK_EXIT_OK;
out:
	free(in);
	free(out);
	chipkey_close(ck);
	return ret;
}
