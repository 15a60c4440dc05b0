// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey key new|load|session|find: keys sealed to the chip for the kernel
 * keyring (docs/sealed-keys.md).
 *
 *   chipkey key new NAME OUT [--size N] [--force]
 *                                         a random key made and sealed in
 *                                         the kernel; OUT gets the blob (an
 *                                         existing OUT only with --force)
 *   chipkey key load NAME IN [--keyring @u|@s|SERIAL]
 *                                         the kernel opens IN and adds a new
 *                                         logon key "chipkey:NAME" to the
 *                                         keyring (default @u); prints the
 *                                         key's serial
 *   chipkey key session                   a new, empty session keyring for
 *                                         the calling shell (keyctl
 *                                         new_session); prints its serial
 *   chipkey key find NAME                 the serial of the logon key
 *                                         "chipkey:NAME" that request_key()
 *                                         finds from here, as dm-crypt does
 *
 * The plaintext key never enters userspace.  NAME of `key new` is only
 * checked (the blob does not record it): the name is chosen at load time.
 * `session` and `find` use the keyring system calls only, never the chip.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey key new NAME OUT [--size 16..64] [--force]\n"
			"       chipkey key load NAME IN [--keyring @u|@s|SERIAL]\n"
			"       chipkey key session\n"
			"       chipkey key find NAME\n");
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

/* --keyring: @u (the user keyring), @s (the session keyring) or a serial.
 * The others of keyctl(1) are of no use here: @t and @p belong to this
 * short-lived process, @g is refused by Linux, and @us is searched before
 * @u, by every process of the uid that has no session keyring. */
static int keyring_of(const char *s, int32_t *id)
{
	char *end;
	long v;

	if (!strcmp(s, "@u") || !strcmp(s, "@s")) {
		*id = s[1] == 'u' ? KEY_SPEC_USER_KEYRING : KEY_SPEC_SESSION_KEYRING;
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

static int out_exists(const char *out)
{
	fprintf(stderr, "chipkey: key new: %s exists (it may be the only blob of a volume); "
		"--force replaces it\n", out);
	return CK_EXIT_CONFLICT;
}

static int key_new(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t blob[CHIPKEY_MAX_SKEY];
	size_t len = sizeof(blob);
	unsigned long size = CHIPKEY_SKEY_DEFAULT_LEN;
	struct chipkey *ck;
	const char *out;
	struct stat st;
	int c, ret, force = 0;
	char *end;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:f", opts, NULL)) != -1) {
		if (c == 'f') {
			force = 1;
			continue;
		}
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
	out = argv[optind + 1];
	/* the blob of a volume in use is never lost to a typo: checked before
	 * a key is made, and again (atomically) when the blob is written */
	if (!force && strcmp(out, "-") && lstat(out, &st) == 0)
		return out_exists(out);
	ret = ck_cli_open(cli, &ck);
	if (ret)
		return ret;
	ret = chipkey_key_new(ck, (uint32_t)size, blob, &len);
	if (ret)
		ret = key_error(cli, ck, "key new", ret);
	chipkey_close(ck);
	if (ret)
		return ret;
	ret = ck_file_write_atomic(out, blob, len, 0600, force);
	if (ret == -EEXIST)
		return out_exists(out);
	if (ret) {
		fprintf(stderr, "chipkey: cannot write %s: %s\n", out, strerror(-ret));
		return CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
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
			fprintf(stderr, "chipkey: key load: --keyring %s: not @u, @s or a serial\n",
				optarg);
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

/* keyctl new_session: join a new anonymous session keyring and give it to
 * the parent (the shell that runs us), which gets it when it next returns
 * to userspace.  Linux refuses (EPERM) for a parent that is init, has
 * several threads or other credentials. */
static int key_session(int argc, char **argv)
{
	long id;

	(void)argv;
	if (argc != 1)
		return usage();
	id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	if (id < 0 || syscall(SYS_keyctl, KEYCTL_SESSION_TO_PARENT) < 0) {
		int err = errno;

		fprintf(stderr, "chipkey: key session: cannot give the calling process a new "
			"session keyring: %s%s\n", strerror(err), err == EPERM ?
			" (the caller must not be init, must have one thread and our credentials)" : "");
		return ck_exit_for_errno(err);
	}
	printf("%ld\n", id);
	return fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
}

/* keyctl request logon chipkey:NAME: the key dm-crypt would get from here. */
static int key_find(int argc, char **argv)
{
	char desc[sizeof(CHIPKEY_SKEY_DESC_PREFIX) + CHIPKEY_SKEY_NAME_MAX];
	long id;

	if (argc != 2)
		return usage();
	if (!name_ok("find", argv[1]))
		return CK_EXIT_USAGE;
	snprintf(desc, sizeof(desc), "%s%s", CHIPKEY_SKEY_DESC_PREFIX, argv[1]);
	id = syscall(SYS_request_key, "logon", desc, NULL, 0);
	if (id < 0) {
		int err = errno;

		fprintf(stderr, "chipkey: key find: no logon key %s found: %s\n", desc,
			strerror(err));
		return err == ENOKEY || err == EKEYREVOKED || err == EKEYEXPIRED ?
			CK_EXIT_NOT_FOUND : ck_exit_for_errno(err);
	}
	printf("%ld\n", id);
	return fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
}

int cmd_key(struct ck_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "new"))
		return key_new(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "load"))
		return key_load(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "session"))
		return key_session(argc - 1, argv + 1);
	if (!strcmp(argv[1], "find"))
		return key_find(argc - 1, argv + 1);
	return usage();
}
