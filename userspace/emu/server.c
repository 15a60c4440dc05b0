// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu request handling: the same checks, in the same order, with the
 * same errno codes as the ioctls of /dev/chipkey.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/emu_messages.h>
#include "server.h"

static uint8_t *frame_alloc(int status, size_t payload_len, size_t *total)
{
	struct ck_emu_reply_hdr h = {
		.magic = CK_EMU_REPLY_MAGIC,
		.version = CK_EMU_PROTO_VERSION,
		.status = status,
		.len = (uint32_t)payload_len,
	};
	uint8_t *f = calloc(1, CK_EMU_HDR_LEN + payload_len);

	if (!f)
		return NULL;
	ck_emu_reply_hdr_encode(&h, f);
	*total = CK_EMU_HDR_LEN + payload_len;
	return f;
}

uint8_t *ck_emu_status_frame(int status, size_t *reply_len)
{
	return frame_alloc(status, 0, reply_len);
}

static int reserved_nonzero(const uint32_t *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i])
			return 1;
	return 0;
}

static void do_info(const struct ck_chip *chip, size_t len, uint8_t **reply,
		    size_t *reply_len)
{
	struct chipkey_info info;

	/* _IOR: nothing is read from the caller; accept an empty or full struct */
	if (len != 0 && len != CK_EMU_INFO_LEN) {
		*reply = ck_emu_status_frame(-EINVAL, reply_len);
		return;
	}
	memset(&info, 0, sizeof(info));
	info.abi_version = CHIPKEY_ABI_VERSION;
	info.key_source = CHIPKEY_SRC_EMULATOR;
	memcpy(info.chip_id, chip->chip_id, CHIPKEY_CHIP_ID_LEN);
	info.max_payload = CHIPKEY_MAX_PAYLOAD;
	info.max_package = CHIPKEY_MAX_PACKAGE;
	info.pkg_overhead = CHIPKEY_PKG_OVERHEAD;
	info.rom_key_len = (uint32_t)chip->rom_key_len;
	*reply = frame_alloc(0, CK_EMU_INFO_LEN, reply_len);
	if (*reply)
		ck_emu_info_encode(&info, *reply + CK_EMU_HDR_LEN);
}

static void xfer_reply(int status, struct chipkey_xfer *x, const uint8_t *out,
		       size_t out_n, uint8_t **reply, size_t *reply_len)
{
	size_t n = status == 0 ? out_n : 0;

	if (status != 0 && status != -ENOSPC) {
		*reply = ck_emu_status_frame(status, reply_len);
		return;
	}
	*reply = frame_alloc(status, CK_EMU_XFER_LEN + n, reply_len);
	if (!*reply)
		return;
	ck_emu_xfer_encode(x, *reply + CK_EMU_HDR_LEN);
	if (n)
		memcpy(*reply + CK_EMU_HDR_LEN + CK_EMU_XFER_LEN, out, n);
}

static void do_xfer(const struct ck_chip *chip, int privileged, int wrap,
		    const uint8_t *payload, size_t len, uint8_t **reply,
		    size_t *reply_len)
{
	struct chipkey_xfer x;
	const uint8_t *in = payload + CK_EMU_XFER_LEN;
	uint8_t *out;
	size_t out_n, cap, alloc;
	uint64_t gen = 0;
	int ret;

	if (len < CK_EMU_XFER_LEN) {
		*reply = ck_emu_status_frame(-EINVAL, reply_len);
		return;
	}
	ck_emu_xfer_decode(payload, &x);
	if (!privileged) {
		ret = -EPERM;
	} else if (x.flags || reserved_nonzero(x.reserved, 5) ||
		   x.in_ptr || x.out_ptr) {
		ret = -EINVAL;
	} else if (x.in_len > (wrap ? CHIPKEY_MAX_PAYLOAD : CHIPKEY_MAX_PACKAGE)) {
		ret = -EMSGSIZE;
	} else if (len != CK_EMU_XFER_LEN + (size_t)x.in_len) {
		ret = -EINVAL;	/* frame does not carry in_len bytes */
	} else {
		ret = 1;
	}
	if (ret <= 0) {
		xfer_reply(ret, &x, NULL, 0, reply, reply_len);
		return;
	}

	/* Never more than the caller's buffer, never more than can be needed. */
	cap = wrap ? ck_pkg_size(x.in_len) : x.in_len;
	out_n = x.out_len < cap ? x.out_len : cap;
	alloc = out_n ? out_n : 1;
	out = malloc(alloc);
	if (!out) {
		*reply = ck_emu_status_frame(-ENOMEM, reply_len);
		return;
	}
	if (wrap) {
		ret = ck_wrap(chip, x.generation, in, x.in_len, out, &out_n);
	} else {
		ret = ck_unwrap(chip, in, x.in_len, out, &out_n, &gen);
		if (!ret)
			x.generation = gen;
	}
	if (!ret || ret == -ENOSPC)
		x.out_len = (uint32_t)out_n;
	xfer_reply(ret, &x, out, out_n, reply, reply_len);
	OPENSSL_cleanse(out, alloc);
	free(out);
}

static void do_rom_key(const struct ck_chip *chip, const uint8_t *payload,
		       size_t len, uint8_t **reply, size_t *reply_len)
{
	struct chipkey_rom_key k;
	int status = 0;
	size_t n;

	if (len != CK_EMU_ROM_KEY_LEN) {
		*reply = ck_emu_status_frame(-EINVAL, reply_len);
		return;
	}
	ck_emu_rom_key_decode(payload, &k);
	if (k.flags || reserved_nonzero(k.reserved, 4) || k.buf_ptr) {
		*reply = ck_emu_status_frame(-EINVAL, reply_len);
		return;
	}
	if (k.buf_len < chip->rom_key_len)
		status = -ENOSPC;
	k.buf_len = (uint32_t)chip->rom_key_len;
	n = status ? 0 : chip->rom_key_len;
	*reply = frame_alloc(status, CK_EMU_ROM_KEY_LEN + n, reply_len);
	if (!*reply)
		return;
	ck_emu_rom_key_encode(&k, *reply + CK_EMU_HDR_LEN);
	if (n)
		memcpy(*reply + CK_EMU_HDR_LEN + CK_EMU_ROM_KEY_LEN,
		       chip->rom_key, n);
}

void ck_emu_handle(const struct ck_chip *chip, int privileged, uint32_t cmd,
		   const uint8_t *payload, size_t len, uint8_t **reply,
		   size_t *reply_len)
{
	*reply = NULL;
	*reply_len = 0;
	switch (cmd) {
	case CHIPKEY_IOC_INFO:
		do_info(chip, len, reply, reply_len);
		break;
	case CHIPKEY_IOC_WRAP:
		do_xfer(chip, privileged, 1, payload, len, reply, reply_len);
		break;
	case CHIPKEY_IOC_UNWRAP:
		do_xfer(chip, privileged, 0, payload, len, reply, reply_len);
		break;
	case CHIPKEY_IOC_ROM_KEY:
		do_rom_key(chip, payload, len, reply, reply_len);
		break;
	default:
		*reply = ck_emu_status_frame(-ENOTTY, reply_len);
	}
}
