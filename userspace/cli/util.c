// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int ck_exit_for_op(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return CK_EXIT_OK;
	case EPERM:
	case EACCES:
		return CK_EXIT_PERM;
	case ENOKEY:
		return CK_EXIT_NOT_OURS;
	case EBADMSG:
		return CK_EXIT_TAMPERED;
	case EINVAL:
		return CK_EXIT_MALFORMED;
	case EMSGSIZE:
		return CK_EXIT_TOO_LARGE;
	case ENODEV:
	case ENOTTY:
	case ECONNRESET:
	case EPIPE:
		return CK_EXIT_NODEV;
	default:
		return CK_EXIT_OTHER;
	}
}

int ck_exit_for_open(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM:
	case EACCES:
		return CK_EXIT_PERM;
	case ENOMEM:
		return CK_EXIT_OTHER;
	default:
		return CK_EXIT_NODEV;
	}
}

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
	return ck_exit_for_op(err);
}

int ck_read_input(const char *path, uint8_t **buf, size_t *len, size_t max)
{
	int fd = 0, ret = 0;
	size_t cap = 4096, got = 0;
	uint8_t *b;

	if (strcmp(path, "-")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	b = malloc(cap);
	if (!b) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (got == cap) {
			uint8_t *nb;

			if (cap > max) /* read max + 1 bytes at most */
				break;
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			b = nb;
		}
		n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
out:
	if (fd > 0)
		close(fd);
	if (ret) {
		free(b);
		return ret;
	}
	*buf = b;
	*len = got > max ? max + 1 : got;
	return 0;
}

static int write_fd(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ck_write_output(const char *path, const void *buf, size_t len,
		    mode_t mode, int overwrite)
{
	char *tmp, *dcopy;
	int fd, ret;

	if (!strcmp(path, "-")) {
		ret = write_fd(1, buf, len);
		return ret;
	}
	if (!overwrite && access(path, F_OK) == 0)
		return -EEXIST;
	dcopy = strdup(path);
	if (!dcopy)
		return -ENOMEM;
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dcopy),
		     strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		free(dcopy);
		return -ENOMEM;
	}
	free(dcopy);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = write_fd(fd, buf, len);
	if (!ret && fchmod(fd, mode) < 0)
		ret = -errno;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret) {
		if (overwrite) {
			if (rename(tmp, path) < 0)
				ret = -errno;
		} else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
				     RENAME_NOREPLACE) < 0) {
			ret = -errno;
		}
	}
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
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
	int ret = ck_read_input(path, buf, len, max);

	if (ret) {
		fprintf(stderr, "chipkey: cannot read %s: %s\n", path, strerror(-ret));
		return CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
}

int ck_cli_write(const char *path, const void *buf, size_t len, mode_t mode)
{
	int ret = ck_write_output(path, buf, len, mode, 1);

	if (ret) {
		fprintf(stderr, "chipkey: cannot write %s: %s\n", path, strerror(-ret));
		return CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
}

void ck_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}
