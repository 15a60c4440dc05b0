// SPDX-License-Identifier: GPL-2.0
/* chipkey unwrap IN OUT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"

int cmd_unwrap(struct ck_cli *cli, int argc, char **argv)
{
	struct chipkey_info info;
	struct chipkey *ck;
	uint64_t gen = 0;
	uint8_t *in = NULL, *out = NULL;
	size_t in_len, out_len = 0;
	int ret;

	if (getopt(argc, argv, "") != -1 || argc - optind != 2) {
		fprintf(stderr, "usage: chipkey unwrap IN OUT\n");
		return CK_EXIT_USAGE;
	}
	ret = ck_cli_open_info(cli, &ck, &info);
	if (ret)
		return ret;
	ret = ck_cli_read(argv[optind], &in, &in_len, info.max_package);
	if (ret)
		goto out;
	out_len = in_len;	/* the payload is never larger than the package */
	out = malloc(out_len ? out_len : 1);
	if (!out) {
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = chipkey_unwrap(ck, in, in_len, out, &out_len, &gen);
	if (ret) {
		static const char *what[] = {
			[CK_EXIT_NOT_OURS] = "unwrap: not this chip's package",
			[CK_EXIT_TAMPERED] = "unwrap: package refused",
			[CK_EXIT_MALFORMED] = "unwrap: not a valid backup package",
		};
		int code = ck_exit_for_errno(ret);

		ret = ck_cli_op_error(cli, (size_t)code < sizeof(what) / sizeof(what[0]) &&
				      what[code] ? what[code] : "unwrap", ret);
		out_len = 0;
		goto out;
	}
	ret = ck_cli_write(argv[optind + 1], out, out_len, 0600);
	if (ret)
		goto out;
	if (cli->verbose)
		fprintf(stderr, "chipkey: generation %llu, %zu bytes\n",
			(unsigned long long)gen, out_len);
	ret = CK_EXIT_OK;
out:
	if (out)
		OPENSSL_cleanse(out, out_len);
	free(in);
	free(out);
	chipkey_close(ck);
	return ret;
}
