// SPDX-License-Identifier: GPL-2.0
/* chipkey attest-key [--pem]: the chip's attestation public key Q */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/attest.h"
#include "common/hex.h"
#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey attest-key [--pem]\n");
	return CK_EXIT_USAGE;
}

int cmd_attest_key(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pem", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t pub[CHIPKEY_EC_POINT_LEN];
	char hex[2 * CHIPKEY_EC_POINT_LEN + 1], *pem = NULL;
	struct chipkey *ck;
	size_t pem_len = 0;
	int pem_out = 0, c, ret;

	/* options may follow the operands: restart getopt in permuting mode */
	optind = 0;
	while ((c = getopt_long(argc, argv, "p", opts, NULL)) != -1) {
		if (c != 'p')
			return usage();
		pem_out = 1;
	}
	if (optind != argc)
		return usage();
	ret = ck_cli_open(cli, &ck);
	if (ret)
		return ret;
	ret = chipkey_get_attest_key(ck, pub);
	chipkey_close(ck);
	if (ret)
		return ck_cli_op_error(cli, "attest-key", ret);
	if (pem_out) {
		ret = ck_att_pub_to_pem(pub, &pem, &pem_len);
		if (ret) {
			fprintf(stderr, "chipkey: %s: the chip's attestation key is not a valid P-256 point\n",
				cli->device);
			return ck_exit_for_errno(ret);
		}
		ret = ck_cli_write("-", pem, pem_len, 0644);
		free(pem);
		return ret;
	}
	ck_hex_encode(pub, sizeof(pub), hex);
	printf("%s\n", hex);
	return fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
}
