// SPDX-License-Identifier: GPL-2.0
/* chipkey attest --peer PUB [--context FILE]: prove the live chip */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "common/hex.h"
#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey attest --peer PUB [--context FILE]\n");
	return CK_EXIT_USAGE;
}

int cmd_attest(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "context", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *peer = NULL, *ctx_path = NULL;
	uint8_t v[CHIPKEY_EC_POINT_LEN], mac[CHIPKEY_MAC_LEN], *ctx = NULL;
	char hex[2 * CHIPKEY_MAC_LEN + 1];
	size_t ctx_len = 0;
	struct chipkey *ck;
	int c, ret;

	/* options may follow the operands: restart getopt in permuting mode */
	optind = 0;
	while ((c = getopt_long(argc, argv, "p:c:", opts, NULL)) != -1) {
		if (c == 'p')
			peer = optarg;
		else if (c == 'c')
			ctx_path = optarg;
		else
			return usage();
	}
	if (!peer || optind != argc)
		return usage();
	ret = ck_cli_read_pub(peer, v);
	if (ret)
		return ret;
	/* Over the limit: ctx_len is max + 1 and the device says EMSGSIZE. */
	if (ctx_path) {
		ret = ck_cli_read(ctx_path, &ctx, &ctx_len, CHIPKEY_MAX_CONTEXT);
		if (ret)
			return ret;
	}
	ret = ck_cli_open(cli, &ck);
	if (ret)
		goto out;
	ret = chipkey_attest(ck, v, ctx, ctx_len, mac);
	chipkey_close(ck);
	if (ret) {
		if (ret == -EMSGSIZE)
			fprintf(stderr, "chipkey: the context is larger than %d bytes\n",
				CHIPKEY_MAX_CONTEXT);
		ret = ck_cli_op_error(cli, "attest", ret);
		goto out;
	}
	ck_hex_encode(mac, sizeof(mac), hex);
	printf("%s\n", hex);
	ret = fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
out:
	free(ctx);
	return ret;
}
