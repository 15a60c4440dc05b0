// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse: create and inspect virtual fuse images (image.c), make a
 * chip-vendor CA (ca.c) and issue chip certificates (chip-cert.c).  Exit
 * codes from common/exit.h (docs/fuse-image.md, docs/chip-certificates.md).
 */
#include <stdio.h>
#include <string.h>

#include "fuse-tool.h"

void fimg_usage(FILE *f)
{
	fprintf(f,
		"usage: chipkey-fuse create OUT --rom-key KEYFILE [--chip-id HEX]\n"
		"                    [--unprogrammed zero|ones] [--force]\n"
		"                    [--cert CERT --ca-key KEY --ca-cert CA [--days N]]\n"
		"       chipkey-fuse show FILE\n"
		"       chipkey-fuse ca --out-key KEY --out-cert CA\n"
		"                    [--subject /O=.../CN=...] [--days N] [--force]\n"
		"       chipkey-fuse cert FILE --ca-key KEY --ca-cert CA --out CERT\n"
		"                    [--days N] [--force]\n"
		"\n"
		"KEYFILE: the manufacturer public key (PEM or DER), or a private key\n"
		"whose public half is taken.  The chip key is always random and is\n"
		"never printed.  CERT: the chip certificate (PEM), the chip's\n"
		"attestation public key signed by the chip-vendor CA; --days 0 (the\n"
		"default) means no expiry.\n");
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "create", cmd_create },
	{ "show", cmd_show },
	{ "ca", cmd_ca },
	{ "cert", cmd_cert },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fimg_usage(stderr);
		return CK_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fimg_usage(stdout);
		return CK_EXIT_OK;
	}
	fprintf(stderr, FIMG_PROG ": unknown command '%s'\n", argv[1]);
	fimg_usage(stderr);
	return CK_EXIT_USAGE;
}
