// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu attestation requests: ATTEST_KEY, ATTEST, SEALED_WRAP and
 * CHIP_MAC, with the checks of the kernel's ioctls in the same order and
 * with the same errno codes (docs/attestation.md, docs/emulator-protocol.md).
 * The crypto is common/attest-chip.c; the attestation key was derived when the
 * chip was loaded (fuses.c).
 *
 * The kernel's EFAULT steps (copy_from_user of the structure, of the
 * context, of the input) have no equivalent on the wire: a frame too short
 * for the structure, or whose length is not the structure plus the input
 * lengths it declares, is -EINVAL.  For ATTEST and CHIP_MAC that answer
 * comes where the kernel would copy; for SEALED_WRAP the frame length is
 * checked before the header (the header is in the frame), so a hand-made
 * frame with a wrong length gets -EINVAL where the kernel would answer
 * ENOKEY or ENOSPC first.  libchipkey always sends the declared bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "emu.h"

size_t ck_emu_attest_key(const struct ck_emu_chip *chip, size_t len, uint8_t *buf)
{
	struct chipkey_attest_key k;

	/* _IOR: nothing is read from the caller; accept an empty or full struct */
	if (len != 0 && len != CK_EMU_ATTEST_KEY_LEN)
		return ck_emu_status_frame(-EINVAL, buf);
	memset(&k, 0, sizeof(k));
	memcpy(k.pub, chip->att.pub, CHIPKEY_EC_POINT_LEN);
	ck_emu_attest_key_encode(&k, buf + CK_EMU_HDR_LEN);
	return ck_emu_frame_put(0, CK_EMU_ATTEST_KEY_LEN, buf);
}

size_t ck_emu_attest(const struct ck_emu_chip *chip, int privileged,
		     const uint8_t *payload, size_t len, uint8_t *buf)
{
	struct chipkey_attest a;
	int ret;

	/* EPERM before the frame is looked at, as the kernel does */
	if (!privileged)
		return ck_emu_status_frame(-EPERM, buf);
	if (len < CK_EMU_ATTEST_LEN)
		return ck_emu_status_frame(-EINVAL, buf);
	ck_emu_attest_decode(payload, &a);
	if (a.flags || a.context_ptr || !ck_att_all_zero(a.pad, sizeof(a.pad)) ||
	    ck_emu_reserved_nonzero(a.reserved, 4))
		return ck_emu_status_frame(-EINVAL, buf);
	if (a.context_len > CHIPKEY_MAX_CONTEXT)
		return ck_emu_status_frame(-EMSGSIZE, buf);
	if (a.verifier_pub[0] != 0x04)
		return ck_emu_status_frame(-EINVAL, buf);
	if (len != CK_EMU_ATTEST_LEN + (size_t)a.context_len)
		return ck_emu_status_frame(-EINVAL, buf);
	ret = ck_att_attest(&chip->att, a.verifier_pub, payload + CK_EMU_ATTEST_LEN,
			    a.context_len, a.mac);
	if (ret)
		return ck_emu_status_frame(ret, buf);
	ck_emu_attest_encode(&a, buf + CK_EMU_HDR_LEN);
	OPENSSL_cleanse(&a, sizeof(a));
	return ck_emu_frame_put(0, CK_EMU_ATTEST_LEN, buf);
}

/* Open, wrap, MAC: steps 10..12 of SEALED_WRAP.  The backup goes to @out. */
static int sealed_wrap(const struct ck_emu_chip *chip, const uint8_t *sealed,
		       const struct ck_seal_header *h, struct chipkey_sealed_wrap *w,
		       const uint8_t *ctx, uint8_t *out, size_t *out_n)
{
	uint8_t k2[CK_ATT_KEY_LEN];
	uint8_t *plain;
	int ret;

	/* never empty: malloc(0) may return NULL */
	plain = malloc(h->payload_len + 1);
	if (!plain)
		return -ENOMEM;
	ret = ck_att_seal_open(&chip->att, sealed, h, plain, k2);
	if (ret)
		goto out;
	*out_n = ck_pkg_size(h->payload_len);
	ret = ck_wrap(&chip->fuses, w->generation, plain, h->payload_len, out, out_n);
	if (!ret)
		ret = ck_att_sealed_wrap_mac(k2, out, *out_n, plain, h->payload_len,
					     ctx, w->context_len, w->mac);
	if (ret)
		OPENSSL_cleanse(out, ck_pkg_size(h->payload_len));
out:
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_clear_free(plain, h->payload_len + 1);
	return ret;
}

size_t ck_emu_sealed_wrap(const struct ck_emu_chip *chip, int privileged,
			  const uint8_t *payload, size_t len, uint8_t *buf)
{
	struct chipkey_sealed_wrap w;
	struct ck_seal_header h;
	const uint8_t *sealed = payload + CK_EMU_SEALED_WRAP_LEN;
	/* The backup is written straight into the reply frame. */
	uint8_t *out = buf + CK_EMU_HDR_LEN + CK_EMU_SEALED_WRAP_LEN;
	size_t need, out_n = 0;
	int ret;

	if (!privileged)
		return ck_emu_status_frame(-EPERM, buf);
	if (len < CK_EMU_SEALED_WRAP_LEN)
		return ck_emu_status_frame(-EINVAL, buf);
	ck_emu_sealed_wrap_decode(payload, &w);
	if (w.flags || w.in_ptr || w.out_ptr || w.context_ptr ||
	    ck_emu_reserved_nonzero(w.reserved, 4))
		return ck_emu_status_frame(-EINVAL, buf);
	if (w.in_len > CHIPKEY_MAX_SEALED || w.context_len > CHIPKEY_MAX_CONTEXT)
		return ck_emu_status_frame(-EMSGSIZE, buf);
	if (len != CK_EMU_SEALED_WRAP_LEN + (size_t)w.in_len + w.context_len)
		return ck_emu_status_frame(-EINVAL, buf);
	if (w.in_len < CHIPKEY_SEAL_OVERHEAD)
		return ck_emu_status_frame(-EINVAL, buf);
	ret = ck_seal_header_parse(sealed, w.in_len, &h);
	if (ret)
		return ck_emu_status_frame(ret, buf);
	/* "Not ours" is decided before any ECDH or decryption. */
	if (memcmp(h.chip_id, chip->fuses.chip_id, CHIPKEY_CHIP_ID_LEN))
		return ck_emu_status_frame(-ENOKEY, buf);
	need = ck_pkg_size(h.payload_len);
	if (w.out_len < need) {
		w.out_len = (uint32_t)need;
		ck_emu_sealed_wrap_encode(&w, buf + CK_EMU_HDR_LEN);
		return ck_emu_frame_put(-ENOSPC, CK_EMU_SEALED_WRAP_LEN, buf);
	}
	ret = sealed_wrap(chip, sealed, &h, &w, sealed + w.in_len, out, &out_n);
	if (ret)
		return ck_emu_status_frame(ret, buf);
	w.out_len = (uint32_t)out_n;
	ck_emu_sealed_wrap_encode(&w, buf + CK_EMU_HDR_LEN);
	return ck_emu_frame_put(0, CK_EMU_SEALED_WRAP_LEN + out_n, buf);
}

size_t ck_emu_chip_mac(const struct ck_emu_chip *chip, int privileged,
		       const uint8_t *payload, size_t len, uint8_t *buf)
{
	struct chipkey_chip_mac m;
	int ret;

	if (!privileged)
		return ck_emu_status_frame(-EPERM, buf);
	if (len < CK_EMU_CHIP_MAC_LEN)
		return ck_emu_status_frame(-EINVAL, buf);
	ck_emu_chip_mac_decode(payload, &m);
	if (m.flags || m.in_ptr || ck_emu_reserved_nonzero(m.reserved, 5))
		return ck_emu_status_frame(-EINVAL, buf);
	if (!ck_att_mac_purpose_known(m.purpose))
		return ck_emu_status_frame(-EINVAL, buf);
	if (m.in_len > CHIPKEY_MAX_MAC_INPUT)
		return ck_emu_status_frame(-EMSGSIZE, buf);
	if (len != CK_EMU_CHIP_MAC_LEN + (size_t)m.in_len)
		return ck_emu_status_frame(-EINVAL, buf);
	ret = ck_att_chip_mac(chip->fuses.chip_id, chip->fuses.chip_key, m.purpose,
			      payload + CK_EMU_CHIP_MAC_LEN, m.in_len, m.mac);
	if (ret)
		return ck_emu_status_frame(ret, buf);
	ck_emu_chip_mac_encode(&m, buf + CK_EMU_HDR_LEN);
	return ck_emu_frame_put(0, CK_EMU_CHIP_MAC_LEN, buf);
}
