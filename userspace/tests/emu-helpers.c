// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <chipkey/fuse_image.h>
#include "emu-helpers.h"

int th_make_state(const char *path, const uint8_t chip_id[16], int unprogrammed,
		  uint8_t fill, mode_t mode, uint8_t *rom_der, size_t *rom_len)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE] = { 0 };
	unsigned char *der = NULL;
	EVP_PKEY *pk;
	int len, fd;

	memcpy(img, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN);
	memcpy(img + CK_FUSE_OFF_CHIP_ID, chip_id, 16);
	if (unprogrammed)
		memset(img + CK_FUSE_OFF_CHIP_KEY, fill, 32);
	else if (RAND_bytes(img + CK_FUSE_OFF_CHIP_KEY, 32) != 1)
		return -1;
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pk)
		return -1;
	len = i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (len <= 0 || len > CK_FUSE_ROM_KEY_SIZE)
		return -1;
	memcpy(img + CK_FUSE_OFF_ROM_KEY, der, (size_t)len);
	if (rom_der)
		memcpy(rom_der, der, (size_t)len);
	if (rom_len)
		*rom_len = (size_t)len;
	OPENSSL_free(der);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, img, sizeof(img)) != (ssize_t)sizeof(img) ||
	    fchmod(fd, mode) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int can_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

pid_t th_start_emu(const char *bin, const char *state, const char *sock,
		   const char *log, const char *extra_arg, const char *extra_val,
		   int *status)
{
	pid_t pid = fork();
	int i;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		if (extra_arg)
			execl(bin, bin, "--state", state, "--socket", sock,
			      "--foreground", extra_arg, extra_val, (char *)NULL);
		else
			execl(bin, bin, "--state", state, "--socket", sock,
			      "--foreground", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000; i++) {	/* up to 10 s (ASan start-up) */
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (waitpid(pid, status, WNOHANG) == pid)
			return -1;
		if (can_connect(sock))
			return pid;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

int th_stop_emu(pid_t pid)
{
	int st = -1;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

int th_file_contains(const char *path, const char *needle)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}
