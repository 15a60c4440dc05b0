/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * chipkey emulator socket protocol: the wire format spoken between
 * libchipkey's emulator backend and chipkey-emu over a Unix stream socket.
 * Documented in docs/emulator-protocol.md.
 *
 * The requests ARE the ioctls of include/uapi/linux/chipkey.h: the command
 * word is the ioctl number, the payload is the ioctl's structure (serialised
 * field by field, little endian, at the same offsets as the C structure on
 * x86-64) followed by the input bytes; the reply status is 0 or the same
 * negative errno the kernel returns.  Pointer fields (in_ptr, out_ptr,
 * buf_ptr, context_ptr) are meaningless across processes: they travel as 0
 * and the data follows the structure instead (SEALED_WRAP: the sealed
 * package, then the context).
 *
 *   request  = ck_emu_req_hdr (16)  + struct (wire size) + input bytes
 *   reply    = ck_emu_reply_hdr (16) + struct (wire size) + output bytes
 *
 * All integers in headers and structures are little endian.
 */
#ifndef _CHIPKEY_EMU_MESSAGES_H
#define _CHIPKEY_EMU_MESSAGES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/chipkey.h>
#include "chipkey/byteorder.h"

#define CK_EMU_REQ_MAGIC	0x51454b43u	/* "CKEQ" on the wire */
#define CK_EMU_REPLY_MAGIC	0x52454b43u	/* "CKER" on the wire */
#define CK_EMU_PROTO_VERSION	1
#define CK_EMU_HDR_LEN		16

/* Wire sizes of the ioctl structures (equal to sizeof on x86-64). */
#define CK_EMU_INFO_LEN		64
#define CK_EMU_XFER_LEN		56
#define CK_EMU_ROM_KEY_LEN	32
#define CK_EMU_ATTEST_KEY_LEN	96
#define CK_EMU_ATTEST_LEN	136
#define CK_EMU_SEALED_WRAP_LEN	96
#define CK_EMU_CHIP_MAC_LEN	72

/*
 * Largest payload (after the 16-byte header) of any request or reply: a
 * SEALED_WRAP request (structure + largest sealed package + largest
 * context).  Every other frame is smaller.
 */
#define CK_EMU_MAX_PAYLOAD	(CK_EMU_SEALED_WRAP_LEN + CHIPKEY_MAX_SEALED + \
				 CHIPKEY_MAX_CONTEXT)

/*
 * Request header.  @len is the number of payload bytes after the header
 * (structure + input bytes).  A request whose len exceeds CK_EMU_MAX_PAYLOAD,
 * or whose magic or version is wrong, is answered with -EINVAL and the
 * connection is closed.
 */
struct ck_emu_req_hdr {
	uint32_t magic;		/* CK_EMU_REQ_MAGIC */
	uint32_t version;	/* CK_EMU_PROTO_VERSION */
	uint32_t cmd;		/* CHIPKEY_IOC_* */
	uint32_t len;		/* payload bytes that follow */
};

/*
 * Reply header.  @status is 0 or a negative errno.  On success the payload
 * is the structure followed by the output bytes; on -ENOSPC it is the
 * structure alone (out_len / buf_len = the size needed); on any other error
 * it is empty (len = 0).
 */
struct ck_emu_reply_hdr {
	uint32_t magic;		/* CK_EMU_REPLY_MAGIC */
	uint32_t version;	/* CK_EMU_PROTO_VERSION */
	int32_t status;		/* 0 or -errno */
	uint32_t len;		/* payload bytes that follow */
};

static inline void ck_emu_req_hdr_encode(const struct ck_emu_req_hdr *h,
					 uint8_t out[CK_EMU_HDR_LEN])
{
	ck_put_le32(out, h->magic);
	ck_put_le32(out + 4, h->version);
	ck_put_le32(out + 8, h->cmd);
	ck_put_le32(out + 12, h->len);
}

static inline void ck_emu_req_hdr_decode(const uint8_t in[CK_EMU_HDR_LEN],
					 struct ck_emu_req_hdr *h)
{
	h->magic = ck_get_le32(in);
	h->version = ck_get_le32(in + 4);
	h->cmd = ck_get_le32(in + 8);
	h->len = ck_get_le32(in + 12);
}

static inline void ck_emu_reply_hdr_encode(const struct ck_emu_reply_hdr *h,
					   uint8_t out[CK_EMU_HDR_LEN])
{
	ck_put_le32(out, h->magic);
	ck_put_le32(out + 4, h->version);
	ck_put_le32(out + 8, (uint32_t)h->status);
	ck_put_le32(out + 12, h->len);
}

static inline void ck_emu_reply_hdr_decode(const uint8_t in[CK_EMU_HDR_LEN],
					   struct ck_emu_reply_hdr *h)
{
	h->magic = ck_get_le32(in);
	h->version = ck_get_le32(in + 4);
	h->status = (int32_t)ck_get_le32(in + 8);
	h->len = ck_get_le32(in + 12);
}

/* struct chipkey_info <-> 64 wire bytes */
static inline void ck_emu_info_encode(const struct chipkey_info *s,
				      uint8_t out[CK_EMU_INFO_LEN])
{
	int i;

	ck_put_le32(out, s->abi_version);
	ck_put_le32(out + 4, s->key_source);
	memcpy(out + 8, s->chip_id, CHIPKEY_CHIP_ID_LEN);
	ck_put_le32(out + 24, s->max_payload);
	ck_put_le32(out + 28, s->max_package);
	ck_put_le32(out + 32, s->pkg_overhead);
	ck_put_le32(out + 36, s->rom_key_len);
	ck_put_le32(out + 40, s->flags);
	for (i = 0; i < 5; i++)
		ck_put_le32(out + 44 + 4 * i, s->reserved[i]);
}

static inline void ck_emu_info_decode(const uint8_t in[CK_EMU_INFO_LEN],
				      struct chipkey_info *s)
{
	int i;

	s->abi_version = ck_get_le32(in);
	s->key_source = ck_get_le32(in + 4);
	memcpy(s->chip_id, in + 8, CHIPKEY_CHIP_ID_LEN);
	s->max_payload = ck_get_le32(in + 24);
	s->max_package = ck_get_le32(in + 28);
	s->pkg_overhead = ck_get_le32(in + 32);
	s->rom_key_len = ck_get_le32(in + 36);
	s->flags = ck_get_le32(in + 40);
	for (i = 0; i < 5; i++)
		s->reserved[i] = ck_get_le32(in + 44 + 4 * i);
}

/* struct chipkey_xfer <-> 56 wire bytes */
static inline void ck_emu_xfer_encode(const struct chipkey_xfer *s,
				      uint8_t out[CK_EMU_XFER_LEN])
{
	int i;

	ck_put_le64(out, s->in_ptr);
	ck_put_le64(out + 8, s->out_ptr);
	ck_put_le32(out + 16, s->in_len);
	ck_put_le32(out + 20, s->out_len);
	ck_put_le64(out + 24, s->generation);
	ck_put_le32(out + 32, s->flags);
	for (i = 0; i < 5; i++)
		ck_put_le32(out + 36 + 4 * i, s->reserved[i]);
}

static inline void ck_emu_xfer_decode(const uint8_t in[CK_EMU_XFER_LEN],
				      struct chipkey_xfer *s)
{
	int i;

	s->in_ptr = ck_get_le64(in);
	s->out_ptr = ck_get_le64(in + 8);
	s->in_len = ck_get_le32(in + 16);
	s->out_len = ck_get_le32(in + 20);
	s->generation = ck_get_le64(in + 24);
	s->flags = ck_get_le32(in + 32);
	for (i = 0; i < 5; i++)
		s->reserved[i] = ck_get_le32(in + 36 + 4 * i);
}

/* struct chipkey_rom_key <-> 32 wire bytes */
static inline void ck_emu_rom_key_encode(const struct chipkey_rom_key *s,
					 uint8_t out[CK_EMU_ROM_KEY_LEN])
{
	int i;

	ck_put_le64(out, s->buf_ptr);
	ck_put_le32(out + 8, s->buf_len);
	ck_put_le32(out + 12, s->flags);
	for (i = 0; i < 4; i++)
		ck_put_le32(out + 16 + 4 * i, s->reserved[i]);
}

static inline void ck_emu_rom_key_decode(const uint8_t in[CK_EMU_ROM_KEY_LEN],
					 struct chipkey_rom_key *s)
{
	int i;

	s->buf_ptr = ck_get_le64(in);
	s->buf_len = ck_get_le32(in + 8);
	s->flags = ck_get_le32(in + 12);
	for (i = 0; i < 4; i++)
		s->reserved[i] = ck_get_le32(in + 16 + 4 * i);
}

/* struct chipkey_attest_key <-> 96 wire bytes */
static inline void ck_emu_attest_key_encode(const struct chipkey_attest_key *s,
					    uint8_t out[CK_EMU_ATTEST_KEY_LEN])
{
	int i;

	memcpy(out, s->pub, CHIPKEY_EC_POINT_LEN);
	memcpy(out + 65, s->pad, 7);
	ck_put_le32(out + 72, s->flags);
	for (i = 0; i < 5; i++)
		ck_put_le32(out + 76 + 4 * i, s->reserved[i]);
}

static inline void ck_emu_attest_key_decode(const uint8_t in[CK_EMU_ATTEST_KEY_LEN],
					    struct chipkey_attest_key *s)
{
	int i;

	memcpy(s->pub, in, CHIPKEY_EC_POINT_LEN);
	memcpy(s->pad, in + 65, 7);
	s->flags = ck_get_le32(in + 72);
	for (i = 0; i < 5; i++)
		s->reserved[i] = ck_get_le32(in + 76 + 4 * i);
}

/* struct chipkey_attest <-> 136 wire bytes */
static inline void ck_emu_attest_encode(const struct chipkey_attest *s,
					uint8_t out[CK_EMU_ATTEST_LEN])
{
	int i;

	ck_put_le64(out, s->context_ptr);
	ck_put_le32(out + 8, s->context_len);
	ck_put_le32(out + 12, s->flags);
	memcpy(out + 16, s->verifier_pub, CHIPKEY_EC_POINT_LEN);
	memcpy(out + 81, s->pad, 7);
	memcpy(out + 88, s->mac, CHIPKEY_MAC_LEN);
	for (i = 0; i < 4; i++)
		ck_put_le32(out + 120 + 4 * i, s->reserved[i]);
}

static inline void ck_emu_attest_decode(const uint8_t in[CK_EMU_ATTEST_LEN],
					struct chipkey_attest *s)
{
	int i;

	s->context_ptr = ck_get_le64(in);
	s->context_len = ck_get_le32(in + 8);
	s->flags = ck_get_le32(in + 12);
	memcpy(s->verifier_pub, in + 16, CHIPKEY_EC_POINT_LEN);
	memcpy(s->pad, in + 81, 7);
	memcpy(s->mac, in + 88, CHIPKEY_MAC_LEN);
	for (i = 0; i < 4; i++)
		s->reserved[i] = ck_get_le32(in + 120 + 4 * i);
}

/* struct chipkey_sealed_wrap <-> 96 wire bytes */
static inline void ck_emu_sealed_wrap_encode(const struct chipkey_sealed_wrap *s,
					     uint8_t out[CK_EMU_SEALED_WRAP_LEN])
{
	int i;

	ck_put_le64(out, s->in_ptr);
	ck_put_le64(out + 8, s->out_ptr);
	ck_put_le64(out + 16, s->context_ptr);
	ck_put_le32(out + 24, s->in_len);
	ck_put_le32(out + 28, s->out_len);
	ck_put_le64(out + 32, s->generation);
	ck_put_le32(out + 40, s->context_len);
	ck_put_le32(out + 44, s->flags);
	memcpy(out + 48, s->mac, CHIPKEY_MAC_LEN);
	for (i = 0; i < 4; i++)
		ck_put_le32(out + 80 + 4 * i, s->reserved[i]);
}

static inline void ck_emu_sealed_wrap_decode(const uint8_t in[CK_EMU_SEALED_WRAP_LEN],
					     struct chipkey_sealed_wrap *s)
{
	int i;

	s->in_ptr = ck_get_le64(in);
	s->out_ptr = ck_get_le64(in + 8);
	s->context_ptr = ck_get_le64(in + 16);
	s->in_len = ck_get_le32(in + 24);
	s->out_len = ck_get_le32(in + 28);
	s->generation = ck_get_le64(in + 32);
	s->context_len = ck_get_le32(in + 40);
	s->flags = ck_get_le32(in + 44);
	memcpy(s->mac, in + 48, CHIPKEY_MAC_LEN);
	for (i = 0; i < 4; i++)
		s->reserved[i] = ck_get_le32(in + 80 + 4 * i);
}

/* struct chipkey_chip_mac <-> 72 wire bytes */
static inline void ck_emu_chip_mac_encode(const struct chipkey_chip_mac *s,
					  uint8_t out[CK_EMU_CHIP_MAC_LEN])
{
	int i;

	ck_put_le64(out, s->in_ptr);
	ck_put_le32(out + 8, s->in_len);
	ck_put_le32(out + 12, s->purpose);
	ck_put_le32(out + 16, s->flags);
	for (i = 0; i < 5; i++)
		ck_put_le32(out + 20 + 4 * i, s->reserved[i]);
	memcpy(out + 40, s->mac, CHIPKEY_MAC_LEN);
}

static inline void ck_emu_chip_mac_decode(const uint8_t in[CK_EMU_CHIP_MAC_LEN],
					  struct chipkey_chip_mac *s)
{
	int i;

	s->in_ptr = ck_get_le64(in);
	s->in_len = ck_get_le32(in + 8);
	s->purpose = ck_get_le32(in + 12);
	s->flags = ck_get_le32(in + 16);
	for (i = 0; i < 5; i++)
		s->reserved[i] = ck_get_le32(in + 20 + 4 * i);
	memcpy(s->mac, in + 40, CHIPKEY_MAC_LEN);
}

#endif /* _CHIPKEY_EMU_MESSAGES_H */
