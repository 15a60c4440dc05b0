// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libchipkey emulator backend: the ioctl structures over the Unix socket of
 * a chipkey-emu process: one function per request and the connection.
 * The frames themselves: ipc-emu-wire.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <chipkey/emu_messages.h>
#include "ipc.h"
#include "ipc-emu-wire.h"

static int emu_info(int fd, struct chipkey_info *info, int *broken)
{
	uint8_t st[CK_EMU_INFO_LEN], *spill;
	size_t plen = 0;
	int status, ret;

	ret = ck_emu_transact(fd, CHIPKEY_IOC_INFO, NULL, 0, NULL, st, sizeof(st),
		       NULL, 0, &status, &plen, &spill, broken);
	if (ret)
		return ret;
	if (status == 0) {
		if (plen != CK_EMU_INFO_LEN)
			status = -EPROTO;
		else
			ck_emu_info_decode(st, info);
	}
	ck_emu_drop_spill(spill, plen, sizeof(st));
	return status;
}

static int emu_xfer(int fd, unsigned int cmd, struct chipkey_xfer *x,
		    int *broken)
{
	uint8_t st[CK_EMU_XFER_LEN], *spill;
	struct chipkey_xfer w = *x, r;
	const void *in = (const void *)(uintptr_t)x->in_ptr;
	void *out = (void *)(uintptr_t)x->out_ptr;
	size_t in_sent = x->in_len;
	struct emu_data d = { { in, NULL }, { 0, 0 } };
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
	d.len[0] = in_sent;
	/* Output bytes land in the caller's buffer directly (if they fit). */
	ret = ck_emu_transact(fd, cmd, st, sizeof(st), &d, st, sizeof(st),
		       out, x->out_len, &status, &plen, &spill, broken);
	if (ret)
		return ret;
	if (status == 0 || status == -ENOSPC) {
		if (plen < CK_EMU_XFER_LEN) {
			status = -EPROTO;
			goto out;
		}
		ck_emu_xfer_decode(st, &r);
		if (status == 0) {
			size_t n = plen - CK_EMU_XFER_LEN;

			if (n != r.out_len || n > x->out_len) {
				/* Release nothing of a reply that is wrong. */
				if (!spill && n)
					explicit_bzero(out, n);
				status = -EPROTO;
				goto out;
			}
			if (cmd == CHIPKEY_IOC_UNWRAP)
				x->generation = r.generation;
		}
		x->out_len = r.out_len;
	}
out:
	if (plen > sizeof(st))
		ck_emu_drop_spill(spill, plen, sizeof(st));
	return status;
}

static int emu_rom_key(int fd, struct chipkey_rom_key *k, int *broken)
{
	uint8_t st[CK_EMU_ROM_KEY_LEN], *spill;
	struct chipkey_rom_key w = *k, r;
	void *buf = (void *)(uintptr_t)k->buf_ptr;
	size_t plen = 0;
	int status, ret;

	w.buf_ptr = 0;
	ck_emu_rom_key_encode(&w, st);
	ret = ck_emu_transact(fd, CHIPKEY_IOC_ROM_KEY, st, sizeof(st), NULL, st,
		       sizeof(st), buf, k->buf_len, &status, &plen, &spill,
		       broken);
	if (ret)
		return ret;
	if (status == 0 || status == -ENOSPC) {
		if (plen < CK_EMU_ROM_KEY_LEN) {
			status = -EPROTO;
			goto out;
		}
		ck_emu_rom_key_decode(st, &r);
		if (status == 0) {
			size_t n = plen - CK_EMU_ROM_KEY_LEN;

			if (n != r.buf_len || n > k->buf_len) {
				if (!spill && n)
					explicit_bzero(buf, n);
				status = -EPROTO;
				goto out;
			}
		}
		k->buf_len = r.buf_len;
	}
out:
	if (plen > sizeof(st))
		ck_emu_drop_spill(spill, plen, sizeof(st));
	return status;
}

/*
 * A reply that is just a structure of @st_len bytes (ATTEST_KEY, ATTEST,
 * CHIP_MAC): the status, -EPROTO if a successful reply has another size.
 */
static int emu_fixed(int fd, unsigned int cmd, uint8_t *st, size_t st_len,
		     size_t req_len, const struct emu_data *d, int *broken)
{
	uint8_t *spill;
	size_t plen = 0;
	int status, ret;

	ret = ck_emu_transact(fd, cmd, st, req_len, d, st, st_len, NULL, 0, &status,
		       &plen, &spill, broken);
	if (ret)
		return ret;
	if (status == 0 && plen != st_len)
		status = -EPROTO;
	if (plen > st_len)
		ck_emu_drop_spill(spill, plen, st_len);
	return status;
}

static int emu_attest_key(int fd, struct chipkey_attest_key *k, int *broken)
{
	uint8_t st[CK_EMU_ATTEST_KEY_LEN];
	int status;

	/* _IOR: nothing of the caller's structure is sent */
	status = emu_fixed(fd, CHIPKEY_IOC_ATTEST_KEY, st, sizeof(st), 0, NULL,
			   broken);
	if (!status)
		ck_emu_attest_key_decode(st, k);
	return status;
}

static int emu_attest(int fd, struct chipkey_attest *a, int *broken)
{
	uint8_t st[CK_EMU_ATTEST_LEN];
	struct chipkey_attest w = *a, r;
	struct emu_data d = { { (const void *)(uintptr_t)a->context_ptr, NULL },
			      { a->context_len, 0 } };
	int status;

	/* refused from the structure alone (EMSGSIZE): do not ship the bytes */
	if (a->context_len > CHIPKEY_MAX_CONTEXT)
		d.len[0] = 0;
	w.context_ptr = 0;
	ck_emu_attest_encode(&w, st);
	status = emu_fixed(fd, CHIPKEY_IOC_ATTEST, st, sizeof(st), sizeof(st), &d,
			   broken);
	if (!status) {
		ck_emu_attest_decode(st, &r);
		memcpy(a->mac, r.mac, CHIPKEY_MAC_LEN);
	}
	return status;
}

static int emu_sealed_wrap(int fd, struct chipkey_sealed_wrap *s, int *broken)
{
	uint8_t st[CK_EMU_SEALED_WRAP_LEN], *spill;
	struct chipkey_sealed_wrap w = *s, r;
	void *out = (void *)(uintptr_t)s->out_ptr;
	struct emu_data d = {
		{ (const void *)(uintptr_t)s->in_ptr,
		  (const void *)(uintptr_t)s->context_ptr },
		{ s->in_len, s->context_len },
	};
	size_t plen = 0;
	int status, ret;

	if (s->in_len > CHIPKEY_MAX_SEALED || s->context_len > CHIPKEY_MAX_CONTEXT)
		d.len[0] = d.len[1] = 0;
	w.in_ptr = 0;
	w.out_ptr = 0;
	w.context_ptr = 0;
	ck_emu_sealed_wrap_encode(&w, st);
	ret = ck_emu_transact(fd, CHIPKEY_IOC_SEALED_WRAP, st, sizeof(st), &d, st,
		       sizeof(st), out, s->out_len, &status, &plen, &spill, broken);
	if (ret)
		return ret;
	if (status == 0 || status == -ENOSPC) {
		if (plen < CK_EMU_SEALED_WRAP_LEN) {
			status = -EPROTO;
			goto out;
		}
		ck_emu_sealed_wrap_decode(st, &r);
		if (status == 0) {
			size_t n = plen - CK_EMU_SEALED_WRAP_LEN;

			if (n != r.out_len || n > s->out_len) {
				if (!spill && n)
					explicit_bzero(out, n);
				status = -EPROTO;
				goto out;
			}
			memcpy(s->mac, r.mac, CHIPKEY_MAC_LEN);
		}
		s->out_len = r.out_len;
	}
out:
	if (plen > sizeof(st))
		ck_emu_drop_spill(spill, plen, sizeof(st));
	return status;
}

static int emu_chip_mac(int fd, struct chipkey_chip_mac *m, int *broken)
{
	uint8_t st[CK_EMU_CHIP_MAC_LEN];
	struct chipkey_chip_mac w = *m, r;
	struct emu_data d = { { (const void *)(uintptr_t)m->in_ptr, NULL },
			      { m->in_len, 0 } };
	int status;

	if (m->in_len > CHIPKEY_MAX_MAC_INPUT)
		d.len[0] = 0;
	w.in_ptr = 0;
	ck_emu_chip_mac_encode(&w, st);
	status = emu_fixed(fd, CHIPKEY_IOC_CHIP_MAC, st, sizeof(st), sizeof(st), &d,
			   broken);
	if (!status) {
		ck_emu_chip_mac_decode(st, &r);
		memcpy(m->mac, r.mac, CHIPKEY_MAC_LEN);
	}
	return status;
}

/* The connection failed: the emulator closed it, crashed or exited. */
static int conn_error(int err)
{
	return err == -ECONNRESET || err == -EPIPE || err == -ENOTCONN ||
	       err == -ECONNABORTED || err == -ESHUTDOWN;
}

static int emu_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void emu_drop(struct chipkey *ck)
{
	if (ck->fd >= 0)
		close(ck->fd);
	ck->fd = -1;
}

/*
 * Connect to ck->emu_path and ask for the chip's identity.  @first: remember
 * the chip ID; otherwise the chip answering must be the one the handle was
 * opened on (an emulator restarted with another fuse image is another chip:
 * the old handle gets -ENODEV, as a kernel handle does once its chip is
 * unbound).  0 or -errno; -ENODEV when the emulator hung up on us.
 */
static int emu_attach(struct chipkey *ck, int first)
{
	struct chipkey_info info;
	int fd, ret, broken = 0;

	fd = emu_connect(ck->emu_path);
	if (fd < 0)
		return fd;
	ret = emu_info(fd, &info, &broken);
	if (!ret && !first &&
	    memcmp(info.chip_id, ck->emu_chip_id, CHIPKEY_CHIP_ID_LEN))
		ret = -ENODEV;
	if (ret) {
		close(fd);
		return conn_error(ret) ? -ENODEV : ret;
	}
	if (first)
		memcpy(ck->emu_chip_id, info.chip_id, CHIPKEY_CHIP_ID_LEN);
	ck->fd = fd;
	return 0;
}

static int emu_op(int fd, unsigned int cmd, void *arg, int *broken)
{
	switch (cmd) {
	case CHIPKEY_IOC_INFO:
		return emu_info(fd, arg, broken);
	case CHIPKEY_IOC_WRAP:
	case CHIPKEY_IOC_UNWRAP:
		return emu_xfer(fd, cmd, arg, broken);
	case CHIPKEY_IOC_ROM_KEY:
		return emu_rom_key(fd, arg, broken);
	case CHIPKEY_IOC_ATTEST_KEY:
		return emu_attest_key(fd, arg, broken);
	case CHIPKEY_IOC_ATTEST:
		return emu_attest(fd, arg, broken);
	case CHIPKEY_IOC_SEALED_WRAP:
		return emu_sealed_wrap(fd, arg, broken);
	case CHIPKEY_IOC_CHIP_MAC:
		return emu_chip_mac(fd, arg, broken);
	case CHIPKEY_IOC_KEY_NEW:
	case CHIPKEY_IOC_KEY_LOAD:
		/* sealed keys live in a kernel keyring the emulator cannot feed */
		return -EOPNOTSUPP;
	default:
		return -ENOTTY;
	}
}

/*
 * When the connection fails (the emulator dropped an idle connection,
 * restarted, or is gone), reconnect once to the same socket and the same
 * chip and repeat the request (every request is safe to repeat: the chip
 * keeps no state).  If no emulator for that chip answers: -ENODEV, like
 * the kernel for an unbound chip, on this call and the next ones.
 */
static int emu_ioctl(struct chipkey *ck, unsigned int cmd, void *arg)
{
	int ret = -ENODEV, attempt;

	pthread_mutex_lock(&ck->lock);
	for (attempt = 0; attempt < 2; attempt++) {
		int broken = 0;

		if (ck->fd < 0 && emu_attach(ck, 0)) {
			ret = -ENODEV;
			break;
		}
		ret = emu_op(ck->fd, cmd, arg, &broken);
		if (!broken)
			break;
		emu_drop(ck);
		if (!conn_error(ret))
			break;	/* e.g. -EPROTO, or the emulator's -EBUSY */
		ret = -ENODEV;
	}
	pthread_mutex_unlock(&ck->lock);
	return ret;
}

static void emu_close(struct chipkey *ck)
{
	emu_drop(ck);
}

static const struct chipkey_backend emu_backend = {
	.name = "emulator",
	.ioctl = emu_ioctl,
	.close = emu_close,
};

int ck_emu_open(const char *socket_path, struct chipkey *ck)
{
	if (!socket_path || !*socket_path)
		return -EINVAL;
	if (strlen(socket_path) >= sizeof(ck->emu_path))
		return -ENAMETOOLONG;
	strcpy(ck->emu_path, socket_path);
	ck->be = &emu_backend;
	/* One INFO round trip: learn the chip ID, fail now if nobody answers. */
	return emu_attach(ck, 1);
}
