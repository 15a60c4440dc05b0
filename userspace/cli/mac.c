// SPDX-License-Identifier: GPL-2.0
/* chipkey mac --purpose PURPOSE FILE: HMAC under a chip-derived key */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey mac --purpose flash-manifest FILE\n");
	return CK_EXIT_USAGE;
}

/* The purposes by name (a closed set: include/uapi/linux/chipkey.h). */
static int purpose_of(const char *s, uint32_t *p)
{
	char *end;
	unsigned long v;

	if (!strcmp(s, "flash-manifest")) {
		*p = CHIPKEY_MAC_FLASH_MANIFEST;
		return 0;
	}
	/* a number goes to the chip as is (it refuses unknown ones) */
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || *s == '-' || v > UINT32_MAX)
		return -EINVAL;
	*p = (uint32_t)v;
	return 0;
}

int cmd_mac(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "purpose", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *purpose_arg = NULL;
	uint8_t mac[CHIPKEY_MAC_LEN], *in = NULL;
	char hex[2 * CHIPKEY_MAC_LEN + 1];
	size_t in_len = 0;
	struct chipkey *ck;
	uint32_t purpose = 0;
	int c, ret;

	/* options may follow the operands: restart getopt in permuting mode */
	optind = 0;
	while ((c = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
		if (c != 'p')
			return usage();
		purpose_arg = optarg;
	}
	if (!purpose_arg || argc - optind != 1)
		return usage();
	if (purpose_of(purpose_arg, &purpose)) {
		fprintf(stderr, "chipkey: unknown purpose '%s' (known: flash-manifest)\n",
			purpose_arg);
		return CK_EXIT_USAGE;
	}
	/* Over the limit: in_len is max + 1 and the device says EMSGSIZE. */
	ret = ck_cli_read(argv[optind], &in, &in_len, CHIPKEY_MAX_MAC_INPUT);
	if (ret)
		return ret;
	ret = ck_cli_open(cli, &ck);
	if (ret)
		goto out;
	ret = chipkey_chip_mac(ck, purpose, in, in_len, mac);
	chipkey_close(ck);
	if (ret) {
		if (ret == -EMSGSIZE)
			fprintf(stderr, "chipkey: %s: larger than the limit of %d bytes\n",
				argv[optind], CHIPKEY_MAX_MAC_INPUT);
		ret = ck_cli_op_error(cli, "mac", ret);
		goto out;
	}
	ck_hex_encode(mac, sizeof(mac), hex);
	printf("%s\n", hex);
	ret = fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
out:
	free(in);
	return ret;
}
