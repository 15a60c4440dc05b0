// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libchipkey emulator backend: the ioctl structures over the Unix socket of
 * a chipkey-emu process.  Wire format: include/chipkey/emu_messages.h and
 * docs/emulator-protocol.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chipkey/emu_messages.h>
#include "ipc.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;	/* emulator went away */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send header + struct + data in one buffer (one write for small frames). */
static int send_request(int fd, unsigned int cmd, const uint8_t *st,
			size_t st_len, const void *data, size_t data_len)
{
	struct ck_emu_req_hdr h = {
		.magic = CK_EMU_REQ_MAGIC,
		.version = CK_EMU_PROTO_VERSION,
		.cmd = cmd,
		.len = (uint32_t)(st_len + data_len),
	};
	size_t total = CK_EMU_HDR_LEN + st_len + data_len;
	uint8_t *frame = malloc(total);
	int ret;

	if (!frame)
		return -ENOMEM;
	ck_emu_req_hdr_encode(&h, frame);
	if (st_len)
		memcpy(frame + CK_EMU_HDR_LEN, st, st_len);
	if (data_len)
		memcpy(frame + CK_EMU_HDR_LEN + st_len, data, data_len);
	ret = write_all(fd, frame, total);
	free(frame);
	return ret;
}

/*
 * Receive a reply.  On return *status is the emulator's status and the
 * payload (if any) is in *payload (malloc'ed, *plen bytes).
 */
static int recv_reply(int fd, int *status, uint8_t **payload, size_t *plen)
{
	uint8_t hb[CK_EMU_HDR_LEN];
	struct ck_emu_reply_hdr h;
	uint8_t *p = NULL;
	int ret;

	ret = read_all(fd, hb, sizeof(hb));
	if (ret)
		return ret;
	ck_emu_reply_hdr_decode(hb, &h);
	if (h.magic != CK_EMU_REPLY_MAGIC || h.version != CK_EMU_PROTO_VERSION ||
	    h.len > CK_EMU_MAX_PAYLOAD || h.status > 0)
		return -EPROTO;
	if (h.len) {
		p = malloc(h.len);
		if (!p)
			return -ENOMEM;
		ret = read_all(fd, p, h.len);
		if (ret) {
			free(p);
			return ret;
		}
	}
	*status = h.status;
	*payload = p;
	*plen = h.len;
	return 0;
}

static int emu_info(int fd, struct chipkey_info *info)
{
	uint8_t *pl = NULL;
	size_t plen = 0;
	int status, ret;

	ret = send_request(fd, CHIPKEY_IOC_INFO, NULL, 0, NULL, 0);
	if (!ret)
		ret = recv_reply(fd, &status, &pl, &plen);
	if (ret)
		return ret;
	if (status == 0) {
		if (plen != CK_EMU_INFO_LEN)
			status = -EPROTO;
		else
			ck_emu_info_decode(pl, info);
	}
	free(pl);
	return status;
}

static int emu_xfer(int fd, unsigned int cmd, struct chipkey_xfer *x)
{
	uint8_t st[CK_EMU_XFER_LEN];
	struct chipkey_xfer w = *x, r;
	const void *in = (const void *)(uintptr_t)x->in_ptr;
	size_t in_sent = x->in_len;
	uint8_t *pl = NULL;
	size_t plen = 0;
	int status, ret;

	/*
	 * Input larger than any package is refused by the emulator (EMSGSIZE)
	 * from the structure alone: do not ship the bytes.
	 */
	if (in_sent > CHIPKEY_MAX_PACKAGE)
		in_sent = 0;
	w.in_ptr = 0;
	w.out_ptr = 0;
	ck_emu_xfer_encode(&w, st);
	ret = send_request(fd, cmd, st, sizeof(st), in, in_sent);
	if (!ret)
		ret = recv_reply(fd, &status, &pl, &plen);
	if (ret)
		return ret;
	if (status == 0 || status == -ENOSPC) {
		if (plen < CK_EMU_XFER_LEN) {
			status = -EPROTO;
			goto out;
		}
		ck_emu_xfer_decode(pl, &r);
		if (status == 0) {
			size_t n = plen - CK_EMU_XFER_LEN;

			if (n != r.out_len || n > x->out_len) {
				status = -EPROTO;
				goto out;
			}
			if (n)
				memcpy((void *)(uintptr_t)x->out_ptr,
				       pl + CK_EMU_XFER_LEN, n);
			if (cmd == CHIPKEY_IOC_UNWRAP)
				x->generation = r.generation;
		}
		x->out_len = r.out_len;
	}
out:
	if (pl) {
		memset(pl, 0, plen);	/* may hold plaintext */
		free(pl);
	}
	return status;
}

static int emu_rom_key(int fd, struct chipkey_rom_key *k)
{
	uint8_t st[CK_EMU_ROM_KEY_LEN];
	struct chipkey_rom_key w = *k, r;
	uint8_t *pl = NULL;
	size_t plen = 0;
	int status, ret;

	w.buf_ptr = 0;
	ck_emu_rom_key_encode(&w, st);
	ret = send_request(fd, CHIPKEY_IOC_ROM_KEY, st, sizeof(st), NULL, 0);
	if (!ret)
		ret = recv_reply(fd, &status, &pl, &plen);
	if (ret)
		return ret;
	if (status == 0 || status == -ENOSPC) {
		if (plen < CK_EMU_ROM_KEY_LEN) {
			status = -EPROTO;
			goto out;
		}
		ck_emu_rom_key_decode(pl, &r);
		if (status == 0) {
			size_t n = plen - CK_EMU_ROM_KEY_LEN;

			if (n != r.buf_len || n > k->buf_len) {
				status = -EPROTO;
				goto out;
			}
			if (n)
				memcpy((void *)(uintptr_t)k->buf_ptr,
				       pl + CK_EMU_ROM_KEY_LEN, n);
		}
		k->buf_len = r.buf_len;
	}
out:
	free(pl);
	return status;
}

static int emu_ioctl(struct chipkey *ck, unsigned int cmd, void *arg)
{
	int ret;

	pthread_mutex_lock(&ck->lock);
	switch (cmd) {
	case CHIPKEY_IOC_INFO:
		ret = emu_info(ck->fd, arg);
		break;
	case CHIPKEY_IOC_WRAP:
	case CHIPKEY_IOC_UNWRAP:
		ret = emu_xfer(ck->fd, cmd, arg);
		break;
	case CHIPKEY_IOC_ROM_KEY:
		ret = emu_rom_key(ck->fd, arg);
		break;
	default:
		ret = -ENOTTY;
	}
	pthread_mutex_unlock(&ck->lock);
	return ret;
}

static void emu_close(struct chipkey *ck)
{
	if (ck->fd >= 0)
		close(ck->fd);
	ck->fd = -1;
}

static const struct chipkey_backend emu_backend = {
	.name = "emulator",
	.ioctl = emu_ioctl,
	.close = emu_close,
};

int ck_emu_open(const char *socket_path, struct chipkey *ck)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!socket_path || !*socket_path)
		return -EINVAL;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	ck->fd = fd;
	ck->be = &emu_backend;
	return 0;
}
