// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey sealed-wrap SEALED OUT --generation N [--context FILE]: open a
 * package sealed to this chip and wrap its content into a backup package,
 * inside the chip; prints the sealed-wrap MAC.  docs/attestation.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/hex.h"
#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey sealed-wrap SEALED OUT --generation N [--context FILE]\n");
	return CK_EXIT_USAGE;
}

int cmd_sealed_wrap(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "generation", required_argument, NULL, 'g' },
		{ "context", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ctx_path = NULL;
	uint8_t mac[CHIPKEY_MAC_LEN], *in = NULL, *ctx = NULL, *out = NULL;
	char hex[2 * CHIPKEY_MAC_LEN + 1];
	size_t in_len = 0, ctx_len = 0, out_len = CHIPKEY_MAX_PACKAGE;
	struct chipkey *ck = NULL;
	uint64_t gen = 0;
	int have_gen = 0, c, ret;

	/* options may follow the operands: restart getopt in permuting mode */
	optind = 0;
	while ((c = getopt_long(argc, argv, "g:c:", opts, NULL)) != -1) {
		char *end;

		if (c == 'c') {
			ctx_path = optarg;
			continue;
		}
		if (c != 'g')
			return usage();
		errno = 0;
		gen = strtoull(optarg, &end, 0);
		if (errno || *end || !*optarg || *optarg == '-') {
			fprintf(stderr, "chipkey: bad generation '%s'\n", optarg);
			return CK_EXIT_USAGE;
		}
		have_gen = 1;
	}
	if (!have_gen || argc - optind != 2)
		return usage();
	/* Over a limit: one byte more is read and the device says EMSGSIZE. */
	ret = ck_cli_read(argv[optind], &in, &in_len, CHIPKEY_MAX_SEALED);
	if (ret)
		return ret;
	if (ctx_path) {
		ret = ck_cli_read(ctx_path, &ctx, &ctx_len, CHIPKEY_MAX_CONTEXT);
		if (ret)
			goto out;
	}
	out = malloc(out_len);
	if (!out) {
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = ck_cli_open(cli, &ck);
	if (ret)
		goto out;
	ret = chipkey_sealed_wrap(ck, in, in_len, gen, ctx, ctx_len, out, &out_len, mac);
	if (ret) {
		if (ret == -EMSGSIZE)
			fprintf(stderr, "chipkey: the sealed package (at most %d bytes) or the context (at most %d) is too large\n",
				CHIPKEY_MAX_SEALED, CHIPKEY_MAX_CONTEXT);
		ret = ck_cli_op_error(cli, "sealed-wrap", ret);
		goto out;
	}
	ret = ck_cli_write(argv[optind + 1], out, out_len, 0600);
	if (ret)
		goto out;
	ck_hex_encode(mac, sizeof(mac), hex);
	printf("%s\n", hex);
	ret = fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
out:
	if (ck)
		chipkey_close(ck);
	free(in);
	free(ctx);
	free(out);
	return ret;
}
