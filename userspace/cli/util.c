// SPDX-License-Identifier: GPL-2.0
/* What the chipkey subcommands share: opening the device, error messages,
 * file and JSON output (cli.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/attest.h"
#include "common/hex.h"
#include "cli.h"

int ck_cli_open(struct ck_cli *cli, struct chipkey **ck)
{
	int ret = chipkey_open(cli->device, ck);

	if (ret) {
		const char *hint = "";

		if (ret == -ENOENT && strncmp(cli->device, CHIPKEY_EMU_PREFIX,
					      strlen(CHIPKEY_EMU_PREFIX)))
			hint = " (is chipkey.ko loaded? use --device emu:SOCKET for the emulator)";
		else if (ret == -ENOENT || ret == -ECONNREFUSED)
			hint = " (is chipkey-emu running on that socket?)";
		fprintf(stderr, "chipkey: %s: cannot open device: %s%s\n",
			cli->device, chipkey_strerror(ret), hint);
		return ck_exit_for_open(ret);
	}
	return CK_EXIT_OK;
}

int ck_cli_op_error(struct ck_cli *cli, const char *what, int err)
{
	fprintf(stderr, "chipkey: %s: %s: %s\n", cli->device, what,
		chipkey_strerror(err));
	return ck_exit_for_errno(err);
}

int ck_cli_open_info(struct ck_cli *cli, struct chipkey **ck,
		     struct chipkey_info *info)
{
	int ret = ck_cli_open(cli, ck);

	if (ret)
		return ret;
	ret = chipkey_get_info(*ck, info);
	if (ret) {
		ret = ck_cli_op_error(cli, "info", ret);
		chipkey_close(*ck);
		*ck = NULL;
		return ret;
	}
	return CK_EXIT_OK;
}

int ck_cli_read(const char *path, uint8_t **buf, size_t *len, size_t max)
{
	int ret = ck_file_read(path, buf, len, max);

	if (ret) {
		fprintf(stderr, "chipkey: cannot read %s: %s\n", path, strerror(-ret));
		return CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
}

/* The ROM key: PATH (DER SPKI) if given, else the chip's (and then its
 * chip ID in @chip_id and *@has_chip set, when they are not NULL). */
int ck_cli_rom_key(struct ck_cli *cli, const char *path, uint8_t *key, size_t *len,
		   uint8_t chip_id[CHIPKEY_CHIP_ID_LEN], int *has_chip)
{
	struct chipkey_info info;
	struct chipkey *ck;
	uint8_t *buf;
	size_t n;
	int ret;

	if (path) {
		ret = ck_cli_read(path, &buf, &n, CHIPKEY_MAX_ROM_KEY);
		if (ret)
			return ret;
		if (n > CHIPKEY_MAX_ROM_KEY || n > *len) {
			free(buf);
			fprintf(stderr, "chipkey: %s: not a ROM key (too large)\n", path);
			return CK_EXIT_MALFORMED;
		}
		memcpy(key, buf, n);
		*len = n;
		free(buf);
		return CK_EXIT_OK;
	}
	ret = ck_cli_open_info(cli, &ck, &info);
	if (ret)
		return ret;
	if (chip_id)
		memcpy(chip_id, info.chip_id, CHIPKEY_CHIP_ID_LEN);
	if (has_chip)
		*has_chip = 1;
	*len = CHIPKEY_MAX_ROM_KEY;
	ret = chipkey_get_rom_key(ck, key, len);
	chipkey_close(ck);
	return ret ? ck_cli_op_error(cli, "rom-key", ret) : CK_EXIT_OK;
}

int ck_cli_read_pub(const char *arg, uint8_t pub[CHIPKEY_EC_POINT_LEN])
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	if (strlen(arg) == 2 * CHIPKEY_EC_POINT_LEN &&
	    ck_hex_decode(arg, pub, CHIPKEY_EC_POINT_LEN) == 0) {
		ret = ck_att_parse_pub((const uint8_t *)arg, strlen(arg), pub);
	} else {
		ret = ck_cli_read(arg, &buf, &len, 8192);
		if (ret)
			return ret;
		ret = ck_att_parse_pub(buf, len, pub);
		free(buf);
	}
	if (ret) {
		fprintf(stderr, "chipkey: %s: not a P-256 public key (PEM or DER SubjectPublicKeyInfo, "
			"65 raw bytes or 130 hex digits of a point on the curve)\n", arg);
		return CK_EXIT_MALFORMED;
	}
	return CK_EXIT_OK;
}

int ck_cli_write(const char *path, const void *buf, size_t len, mode_t mode)
{
	int ret = ck_file_write_atomic(path, buf, len, mode, 1);

	if (ret) {
		fprintf(stderr, "chipkey: cannot write %s: %s\n", path, strerror(-ret));
		return CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
}

json_t *ck_json_str(const char *s)
{
	json_t *v;
	char *safe;
	size_t i, n;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	/* Not UTF-8 (a path or a name quoted from a damaged store): the
	 * document must still be printed, with such bytes as '?'. */
	n = strlen(s);
	safe = malloc(n + 1);
	if (!safe)
		return NULL;
	for (i = 0; i < n; i++)
		safe[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	safe[n] = '\0';
	v = json_string(safe);
	free(safe);
	return v;
}

int ck_cli_print_json(json_t *root)
{
	int ret = root ? json_dumpf(root, stdout, JSON_INDENT(2)) : -1;

	json_decref(root);
	if (ret || putchar('\n') == EOF || fflush(stdout)) {
		fprintf(stderr, "chipkey: cannot write the JSON output\n");
		return CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
}
