// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the emulator tests (and of lib/tests/test-emu-gone): state
 * files, starting and stopping chipkey-emu, raw protocol frames.
 */
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

#include <chipkey/emu_messages.h>
#include "common/file.h"
#include "common/fuse-image.h"
#include "common/hex.h"
#include "emu/tests/emu-helpers.h"

int th_make_state(const char *path, const uint8_t chip_id[16], int unprogrammed,
		  uint8_t fill, mode_t mode, uint8_t *rom_der, size_t *rom_len)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	struct ck_fuse_image f = { 0 };
	unsigned char *der = NULL;
	EVP_PKEY *pk;
	int len, ret = -1;

	memcpy(f.chip_id, chip_id, CHIPKEY_CHIP_ID_LEN);
	if (unprogrammed)
		memset(f.chip_key, fill, CHIPKEY_CHIP_KEY_LEN);
	else if (RAND_bytes(f.chip_key, CHIPKEY_CHIP_KEY_LEN) != 1)
		return -1;
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pk)
		return -1;
	len = i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (len <= 0 || len > CK_FUSE_ROM_KEY_SIZE)
		goto out;
	memcpy(f.rom_key, der, (size_t)len);
	f.rom_key_len = (size_t)len;
	if (rom_der)
		memcpy(rom_der, der, (size_t)len);
	if (rom_len)
		*rom_len = (size_t)len;
	if (!ck_fuse_image_encode(&f, img) &&
	    !ck_file_write_atomic(path, img, sizeof(img), mode, 1))
		ret = 0;
out:
	OPENSSL_free(der);
	return ret;
}

int th_raw_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { 10, 0 };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

int th_raw_send(int fd, uint32_t magic, uint32_t cmd, const void *payload,
		uint32_t len)
{
	uint8_t h[CK_EMU_HDR_LEN];
	struct ck_emu_req_hdr rh = { magic, CK_EMU_PROTO_VERSION, cmd, len };

	ck_emu_req_hdr_encode(&rh, h);
	if (send(fd, h, sizeof(h), MSG_NOSIGNAL) != sizeof(h))
		return -1;
	if (len && send(fd, payload, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

int th_read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int th_raw_recv(int fd, uint8_t *payload, size_t cap, size_t *plen)
{
	uint8_t h[CK_EMU_HDR_LEN];
	struct ck_emu_reply_hdr rh;

	if (th_read_full(fd, h, sizeof(h)))
		return 1;
	ck_emu_reply_hdr_decode(h, &rh);
	if (rh.magic != CK_EMU_REPLY_MAGIC || rh.len > cap)
		return 1;
	if (th_read_full(fd, payload, rh.len))
		return 1;
	if (plen)
		*plen = rh.len;
	return rh.status;
}

int th_raw_xfer(const char *sock, uint32_t cmd, const struct chipkey_xfer *x,
		const uint8_t *data, size_t dlen)
{
	uint8_t *buf = malloc(CK_EMU_XFER_LEN + dlen + 1), *reply;
	int fd = th_raw_connect(sock), st;

	ck_emu_xfer_encode(x, buf);
	if (dlen)
		memcpy(buf + CK_EMU_XFER_LEN, data, dlen);
	reply = malloc(CK_EMU_MAX_PAYLOAD);
	st = th_raw_send(fd, CK_EMU_REQ_MAGIC, cmd, buf,
			 (uint32_t)(CK_EMU_XFER_LEN + dlen));
	if (!st)
		st = th_raw_recv(fd, reply, CK_EMU_MAX_PAYLOAD, NULL);
	close(fd);
	free(buf);
	free(reply);
	return st;
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

int th_vec_hex(const char *file, const char *name, const char *key,
	       uint8_t **out, size_t *len)
{
	static char line[300000];
	FILE *f = fopen(file, "r");
	int in_block = 0, ret = -ENOENT;
	size_t kl = strlen(key);

	*out = NULL;
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		line[strcspn(line, "\r\n")] = 0;
		if (!strncmp(line, "name = ", 7)) {
			in_block = !strcmp(line + 7, name);
			continue;
		}
		if (!in_block || strncmp(line, key, kl) || strncmp(line + kl, " =", 2))
			continue;
		for (v = line + kl + 2; *v == ' '; v++)
			;
		ret = ck_hex_decode_alloc(v, out, len);
		if (!ret && !*out && !(*out = malloc(1)))
			ret = -ENOMEM;
		break;
	}
	fclose(f);
	return ret;
}
