// SPDX-License-Identifier: GPL-2.0
/* chipkey rom-key [--pem] [OUT] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pem.h"
#include "cli.h"

int cmd_rom_key(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pem", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t key[CHIPKEY_MAX_ROM_KEY];
	size_t len = sizeof(key), pem_len;
	const char *outpath = "-";
	struct chipkey *ck;
	char *pem = NULL;
	int pem_out = 0, c, ret;

	while ((c = getopt_long(argc, argv, "p", opts, NULL)) != -1) {
		if (c != 'p') {
			fprintf(stderr, "usage: chipkey rom-key [--pem] [OUT]\n");
			return CK_EXIT_USAGE;
		}
		pem_out = 1;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "usage: chipkey rom-key [--pem] [OUT]\n");
		return CK_EXIT_USAGE;
	}
	if (argc - optind == 1)
		outpath = argv[optind];
	ret = ck_cli_open(cli, &ck);
	if (ret)
		return ret;
	ret = chipkey_get_rom_key(ck, key, &len);
	chipkey_close(ck);
	if (ret)
		return ck_cli_op_error(cli, "rom-key", ret);
	if (pem_out) {
		/* DER SubjectPublicKeyInfo -> "PUBLIC KEY" PEM */
		if (ck_pem_encode("PUBLIC KEY", key, len, &pem, &pem_len))
			return CK_EXIT_OTHER;
		ret = ck_cli_write(outpath, pem, pem_len, 0644);
		free(pem);
		return ret;
	}
	return ck_cli_write(outpath, key, len, 0644);
}
