// SPDX-License-Identifier: GPL-2.0
/* chipkey info [--json] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *source_name(uint32_t s)
{
	switch (s) {
	case CHIPKEY_SRC_OTP:
		return "otp";
	case CHIPKEY_SRC_VIRTUAL_FUSE:
		return "virtual-fuse";
	case CHIPKEY_SRC_EMULATOR:
		return "emulator";
	default:
		return "unknown";
	}
}

int cmd_info(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct chipkey_info info;
	struct chipkey *ck;
	char id[2 * CHIPKEY_CHIP_ID_LEN + 1];
	int json = 0, c, ret, i;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j') {
			fprintf(stderr, "usage: chipkey info [--json]\n");
			return CK_EXIT_USAGE;
		}
		json = 1;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: chipkey info [--json]\n");
		return CK_EXIT_USAGE;
	}
	ret = ck_cli_open_info(cli, &ck, &info);
	if (ret)
		return ret;
	for (i = 0; i < CHIPKEY_CHIP_ID_LEN; i++)
		sprintf(id + 2 * i, "%02x", info.chip_id[i]);
	if (json) {
		printf("{\n  \"device\": ");
		ck_json_string(cli->device);
		printf(",\n  \"backend\": \"%s\",\n", chipkey_backend_name(ck));
		printf("  \"abi_version\": %u,\n", info.abi_version);
		printf("  \"chip_id\": \"%s\",\n", id);
		printf("  \"key_source\": \"%s\",\n", source_name(info.key_source));
		printf("  \"key_source_id\": %u,\n", info.key_source);
		printf("  \"max_payload\": %u,\n", info.max_payload);
		printf("  \"max_package\": %u,\n", info.max_package);
		printf("  \"pkg_overhead\": %u,\n", info.pkg_overhead);
		printf("  \"rom_key_len\": %u\n}\n", info.rom_key_len);
	} else {
		printf("device:       %s (%s backend)\n", cli->device,
		       chipkey_backend_name(ck));
		printf("abi version:  %u\n", info.abi_version);
		printf("chip id:      %s\n", id);
		printf("key source:   %s (%u)\n", source_name(info.key_source),
		       info.key_source);
		printf("max payload:  %u bytes\n", info.max_payload);
		printf("max package:  %u bytes\n", info.max_package);
		printf("overhead:     %u bytes\n", info.pkg_overhead);
		printf("rom key:      %u bytes\n", info.rom_key_len);
	}
	chipkey_close(ck);
	return fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
}
