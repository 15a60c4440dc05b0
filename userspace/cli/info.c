// SPDX-License-Identifier: GPL-2.0
/* chipkey info [--json] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
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
	int json = 0, c, ret;

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
	ck_hex_encode(info.chip_id, sizeof(info.chip_id), id);
	if (json) {
		ret = ck_cli_print_json(json_pack("{s:o, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
			"device", ck_json_str(cli->device),
			"backend", chipkey_backend_name(ck),
			"abi_version", (json_int_t)info.abi_version,
			"chip_id", id,
			"key_source", source_name(info.key_source),
			"key_source_id", (json_int_t)info.key_source,
			"max_payload", (json_int_t)info.max_payload,
			"max_package", (json_int_t)info.max_package,
			"pkg_overhead", (json_int_t)info.pkg_overhead,
			"rom_key_len", (json_int_t)info.rom_key_len));
		chipkey_close(ck);
		return ret;
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
