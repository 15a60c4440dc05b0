// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu requests: the dispatch of every request, and INFO, WRAP,
 * UNWRAP and ROM_KEY (the attestation requests: attest.c), with the same
 * checks, in the same order, with the same errno codes as the ioctls of
 * /dev/chipkey.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "emu.h"

size_t ck_emu_frame_put(int status, size_t payload_len, uint8_t *buf)
{
	struct ck_emu_reply_hdr h = {
		.magic = CK_EMU_REPLY_MAGIC,
		.version = CK_EMU_PROTO_VERSION,
		.status = status,
		.len = (uint32_t)payload_len,
	};

	ck_emu_reply_hdr_encode(&h, buf);
	return CK_EMU_HDR_LEN + payload_len;
}

size_t ck_emu_status_frame(int status, uint8_t buf[CK_EMU_HDR_LEN])
{
	return ck_emu_frame_put(status, 0, buf);
}

int ck_emu_reserved_nonzero(const uint32_t *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i])
			return 1;
	return 0;
}

static size_t do_info(const struct ck_emu_chip *chip, size_t len, uint8_t *buf)
{
	struct chipkey_info info;

	/* _IOR: nothing is read from the caller; accept an empty or full struct */
	if (len != 0 && len != CK_EMU_INFO_LEN)
		return ck_emu_status_frame(-EINVAL, buf);
	memset(&info, 0, sizeof(info));
	info.abi_version = CHIPKEY_ABI_VERSION;
	info.key_source = CHIPKEY_SRC_EMULATOR;
	memcpy(info.chip_id, chip->fuses.chip_id, CHIPKEY_CHIP_ID_LEN);
	info.max_payload = CHIPKEY_MAX_PAYLOAD;
	info.max_package = CHIPKEY_MAX_PACKAGE;
	info.pkg_overhead = CHIPKEY_PKG_OVERHEAD;
	info.rom_key_len = (uint32_t)chip->fuses.rom_key_len;
	ck_emu_info_encode(&info, buf + CK_EMU_HDR_LEN);
	return ck_emu_frame_put(0, CK_EMU_INFO_LEN, buf);
}

/* The output bytes (if any) are already at buf + HDR + XFER_LEN. */
static size_t xfer_reply(int status, struct chipkey_xfer *x, size_t out_n,
			 uint8_t *buf)
{
	size_t n = status == 0 ? out_n : 0;

	if (status != 0 && status != -ENOSPC)
		return ck_emu_status_frame(status, buf);
	ck_emu_xfer_encode(x, buf + CK_EMU_HDR_LEN);
	return ck_emu_frame_put(status, CK_EMU_XFER_LEN + n, buf);
}

static size_t do_xfer(const struct ck_emu_chip *chip, int privileged, int wrap,
		      const uint8_t *payload, size_t len, uint8_t *buf)
{
	struct chipkey_xfer x;
	const uint8_t *in = payload + CK_EMU_XFER_LEN;
	/* The crypto writes straight into the reply frame: no copy. */
	uint8_t *out = buf + CK_EMU_HDR_LEN + CK_EMU_XFER_LEN;
	size_t out_n, cap;
	uint64_t gen = 0;
	int ret;

	/*
	 * Privilege first, before the frame is even looked at: the kernel
	 * checks CAP_SYS_ADMIN before copy_from_user(), so an unprivileged
	 * caller learns nothing about its request (EPERM whatever it sent).
	 */
	if (!privileged)
		return ck_emu_status_frame(-EPERM, buf);
	if (len < CK_EMU_XFER_LEN)
		return ck_emu_status_frame(-EINVAL, buf);
	ck_emu_xfer_decode(payload, &x);
	if (x.flags || ck_emu_reserved_nonzero(x.reserved, 5) ||
	    x.in_ptr || x.out_ptr) {
		ret = -EINVAL;
	} else if (x.in_len > (wrap ? CHIPKEY_MAX_PAYLOAD : CHIPKEY_MAX_PACKAGE)) {
		ret = -EMSGSIZE;
	} else if (len != CK_EMU_XFER_LEN + (size_t)x.in_len) {
		ret = -EINVAL;	/* frame does not carry in_len bytes */
	} else {
		ret = 1;
	}
	if (ret <= 0)
		return xfer_reply(ret, &x, 0, buf);

	/*
	 * Never more than the caller's buffer, never more than can be needed
	 * (at most CHIPKEY_MAX_PACKAGE: always fits in the reply buffer).
	 */
	cap = wrap ? ck_pkg_size(x.in_len) : x.in_len;
	out_n = x.out_len < cap ? x.out_len : cap;
	if (wrap) {
		ret = ck_wrap(&chip->fuses, x.generation, in, x.in_len, out, &out_n);
	} else {
		ret = ck_unwrap(&chip->fuses, in, x.in_len, out, &out_n, &gen);
		if (!ret)
			x.generation = gen;
	}
	if (!ret || ret == -ENOSPC)
		x.out_len = (uint32_t)out_n;
	return xfer_reply(ret, &x, out_n, buf);
}

static size_t do_rom_key(const struct ck_emu_chip *chip, const uint8_t *payload,
			 size_t len, uint8_t *buf)
{
	struct chipkey_rom_key k;
	int status = 0;
	size_t n;

	if (len != CK_EMU_ROM_KEY_LEN)
		return ck_emu_status_frame(-EINVAL, buf);
	ck_emu_rom_key_decode(payload, &k);
	if (k.flags || ck_emu_reserved_nonzero(k.reserved, 4) || k.buf_ptr)
		return ck_emu_status_frame(-EINVAL, buf);
	if (k.buf_len < chip->fuses.rom_key_len)
		status = -ENOSPC;
	k.buf_len = (uint32_t)chip->fuses.rom_key_len;
	n = status ? 0 : chip->fuses.rom_key_len;
	ck_emu_rom_key_encode(&k, buf + CK_EMU_HDR_LEN);
	if (n)
		memcpy(buf + CK_EMU_HDR_LEN + CK_EMU_ROM_KEY_LEN,
		       chip->fuses.rom_key, n);
	return ck_emu_frame_put(status, CK_EMU_ROM_KEY_LEN + n, buf);
}

size_t ck_emu_handle(const struct ck_emu_chip *chip, int privileged, uint32_t cmd,
		     const uint8_t *payload, size_t len,
		     uint8_t reply[CK_EMU_REPLY_BUF])
{
	switch (cmd) {
	case CHIPKEY_IOC_INFO:
		return do_info(chip, len, reply);
	case CHIPKEY_IOC_WRAP:
		return do_xfer(chip, privileged, 1, payload, len, reply);
	case CHIPKEY_IOC_UNWRAP:
		return do_xfer(chip, privileged, 0, payload, len, reply);
	case CHIPKEY_IOC_ROM_KEY:
		return do_rom_key(chip, payload, len, reply);
	case CHIPKEY_IOC_ATTEST_KEY:
		return ck_emu_attest_key(chip, len, reply);
	case CHIPKEY_IOC_ATTEST:
		return ck_emu_attest(chip, privileged, payload, len, reply);
	case CHIPKEY_IOC_SEALED_WRAP:
		return ck_emu_sealed_wrap(chip, privileged, payload, len, reply);
	case CHIPKEY_IOC_CHIP_MAC:
		return ck_emu_chip_mac(chip, privileged, payload, len, reply);
	case CHIPKEY_IOC_KEY_NEW:
	case CHIPKEY_IOC_KEY_LOAD:
		/* sealed keys go into the kernel's keyring: not served here;
		 * an unprivileged caller gets the module's first answer */
		return ck_emu_status_frame(privileged ? -ENOTTY : -EPERM, reply);
	default:
		return ck_emu_status_frame(-ENOTTY, reply);
	}
}
