// SPDX-License-Identifier: GPL-2.0
/* chipkey rom-key [--pem] [OUT] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"

/* DER SubjectPublicKeyInfo -> "PUBLIC KEY" PEM text (malloc'ed). */
static char *to_pem(const uint8_t *der, size_t len, size_t *pem_len)
{
	static const char head[] = "-----BEGIN PUBLIC KEY-----\n";
	static const char tail[] = "-----END PUBLIC KEY-----\n";
	size_t lines = (len + 47) / 48, cap, off, i;
	char *pem;

	cap = sizeof(head) + sizeof(tail) + lines * 66;
	pem = malloc(cap);
	if (!pem)
		return NULL;
	off = (size_t)sprintf(pem, "%s", head);
	for (i = 0; i < len; i += 48) {
		size_t n = len - i < 48 ? len - i : 48;

		off += (size_t)EVP_EncodeBlock((unsigned char *)pem + off,
					       der + i, (int)n);
		pem[off++] = '\n';
	}
	off += (size_t)sprintf(pem + off, "%s", tail);
	*pem_len = off;
	return pem;
}

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
		pem = to_pem(key, len, &pem_len);
		if (!pem)
			return CK_EXIT_OTHER;
		ret = ck_cli_write(outpath, pem, pem_len, 0644);
		free(pem);
		return ret;
	}
	return ck_cli_write(outpath, key, len, 0644);
}
