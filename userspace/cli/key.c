// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey key new|load: keys sealed to the chip for the kernel keyring
 * (docs/sealed-keys.md).
 *
 *   chipkey key new NAME OUT [--size N]   a random key made and sealed in
 *                                         the kernel; OUT gets the blob
 *   chipkey key load NAME IN [--keyring K]
 *                                         the kernel opens IN and adds logon
 *                                         key "chipkey:NAME" to K (default
 *                                         @u); prints the key's serial
 *
 * The plaintext key never enters userspace.  NAME of `key new` is only
 * checked (the blob does not record it): the name is chosen at load time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* keyctl(1)'s special keyring names (<linux/keyctl.h> KEY_SPEC_*) */
static const struct {
	const char *name;
	int32_t id;
} special[] = {
	{ "@t", -1 }, { "@p", -2 }, { "@s", -3 }, { "@u", -4 }, { "@us", -5 },
	{ "@g", -6 },
};

static int usage(void)
{
	fprintf(stderr, "usage: chipkey key new NAME OUT [--size 16..64]\n"
			"       chipkey key load NAME IN [--keyring @u|@s|@us|@p|@t|SERIAL]\n");
	return CK_EXIT_USAGE;
}

/* NAME of "chipkey:NAME": what the kernel accepts, checked early. */
static int name_ok(const char *cmd, const char *name)
{
	size_t n = strlen(name), i;
	int ok = n && n <= CHIPKEY_SKEY_NAME_MAX;

	for (i = 0; ok && i < n; i++) {
		char ch = name[i];

		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		     (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
	}
	if (!ok)
		fprintf(stderr, "chipkey: key %s: NAME must be 1..%d of [A-Za-z0-9._-]\n",
			cmd, CHIPKEY_SKEY_NAME_MAX);
	return ok;
}

static int keyring_of(const char *s, int32_t *id)
{
	size_t i;
	char *end;
	long v;

	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(s, special[i].name)) {
			*id = special[i].id;
			return 0;
		}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || !*s || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*id = (int32_t)v;
	return 0;
}

static int key_error(struct ck_cli *cli, struct chipkey *ck, const char *what, int err)
{
	if (err == -EOPNOTSUPP && !strcmp(chipkey_backend_name(ck), "emulator")) {
		fprintf(stderr, "chipkey: %s: %s: the emulator cannot feed a kernel keyring "
			"(sealed keys need /dev/chipkey)\n", cli->device, what);
		return CK_EXIT_OTHER;
	}
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "chipkey: %s: %s: this kernel has no keyrings (CONFIG_KEYS)\n",
			cli->device, what);
		return CK_EXIT_OTHER;
	}
	if (err == -ENOTTY) {
		fprintf(stderr, "chipkey: %s: %s: the module has no sealed keys (older chipkey.ko)\n",
			cli->device, what);
		return CK_EXIT_NODEV;
	}
	return ck_cli_op_error(cli, what, err);
}

static int key_new(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t blob[CHIPKEY_MAX_SKEY];
	size_t len = sizeof(blob);
	unsigned long size = CHIPKEY_SKEY_DEFAULT_LEN;
	struct chipkey *ck;
	char *end;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (c != 's')
			return usage();
		errno = 0;
		size = strtoul(optarg, &end, 10);
		if (errno || *end || size < CHIPKEY_SKEY_MIN_LEN || size > CHIPKEY_SKEY_MAX_LEN) {
			fprintf(stderr, "chipkey: key new: --size must be %d..%d bytes\n",
				CHIPKEY_SKEY_MIN_LEN, CHIPKEY_SKEY_MAX_LEN);
			return CK_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return usage();
	if (!name_ok("new", argv[optind]))
		return CK_EXIT_USAGE;
	ret = ck_cli_open(cli, &ck);
	if (ret)
		return ret;
	ret = chipkey_key_new(ck, (uint32_t)size, blob, &len);
	if (ret)
		ret = key_error(cli, ck, "key new", ret);
	chipkey_close(ck);
	if (!ret)
		ret = ck_cli_write(argv[optind + 1], blob, len, 0600);
	return ret;
}

static int key_load(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keyring", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int32_t keyring = -4, serial = 0;	/* @u, as keyctl's trusted-key workflow */
	uint8_t *blob = NULL;
	struct chipkey *ck;
	size_t len = 0;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		if (c != 'k')
			return usage();
		if (keyring_of(optarg, &keyring)) {
			fprintf(stderr, "chipkey: key load: --keyring %s: not @t @p @s @u @us @g "
				"or a serial\n", optarg);
			return CK_EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return usage();
	if (!name_ok("load", argv[optind]))
		return CK_EXIT_USAGE;
	/* one byte over the limit still goes to the device, which says EINVAL */
	ret = ck_cli_read(argv[optind + 1], &blob, &len, CHIPKEY_MAX_SKEY + 1);
	if (ret)
		return ret;
	ret = ck_cli_open(cli, &ck);
	if (ret)
		goto out;
	ret = chipkey_key_load(ck, blob, len, argv[optind], keyring, &serial);
	if (ret)
		ret = key_error(cli, ck, "key load", ret);
	chipkey_close(ck);
	if (!ret) {
		printf("%d\n", serial);
		ret = fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
	}
out:
	free(blob);
	return ret;
}

int cmd_key(struct ck_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "new"))
		return key_new(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "load"))
		return key_load(cli, argc - 1, argv + 1);
	return usage();
}
