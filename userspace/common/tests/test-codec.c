// SPDX-License-Identifier: GPL-2.0
/*
 * The shared codecs of include/chipkey/: the byte order helpers
 * (byteorder.h), the backup package header (backup_package.h), the emulator
 * wire structures (emu_messages.h) and the fuse image (fuse_image.h, codec
 * common/fuse-image.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <chipkey/backup_package.h>
#include <chipkey/byteorder.h>
#include <chipkey/emu_messages.h>
#include "common/fuse-image.h"
#include "common/tap.h"

static void sample_header(struct ck_pkg_header *h, uint32_t payload_len)
{
	int i;

	memset(h, 0, sizeof(*h));
	h->version = CK_PKG_VERSION;
	h->alg = CK_PKG_ALG_HKDF_SHA256_AES256GCM;
	for (i = 0; i < CHIPKEY_CHIP_ID_LEN; i++)
		h->chip_id[i] = (uint8_t)(0xa0 + i);
	h->generation = 0x0102030405060708ULL;
	for (i = 0; i < CK_PKG_SALT_LEN; i++)
		h->salt[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < CK_PKG_NONCE_LEN; i++)
		h->nonce[i] = (uint8_t)(0x30 + i);
	h->payload_len = payload_len;
}

/* A package buffer of the right size for @payload_len with a valid header. */
static uint8_t *make_pkg(uint32_t payload_len, size_t *len)
{
	struct ck_pkg_header h;
	uint8_t *p;

	*len = ck_pkg_size(payload_len);
	p = calloc(1, *len);
	sample_header(&h, payload_len);
	ck_pkg_header_encode(&h, p);
	return p;
}

static int parse(const uint8_t *p, size_t len)
{
	struct ck_pkg_header h;

	return ck_pkg_header_parse(p, len, &h);
}

static void test_byteorder(void)
{
	uint8_t b[8];

	ck_put_be16(b, 0x0102);
	tap_ok(!memcmp(b, "\x01\x02", 2) && ck_get_be16(b) == 0x0102,
	       "byteorder: be16 round-trips, most significant byte first");
	ck_put_be32(b, 0xa1b2c3d4u);
	tap_ok(!memcmp(b, "\xa1\xb2\xc3\xd4", 4) && ck_get_be32(b) == 0xa1b2c3d4u,
	       "byteorder: be32 round-trips, most significant byte first");
	ck_put_be64(b, 0x0102030405060708ULL);
	tap_ok(!memcmp(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) &&
	       ck_get_be64(b) == 0x0102030405060708ULL,
	       "byteorder: be64 round-trips, most significant byte first");
	ck_put_le32(b, 0xa1b2c3d4u);
	tap_ok(!memcmp(b, "\xd4\xc3\xb2\xa1", 4) && ck_get_le32(b) == 0xa1b2c3d4u,
	       "byteorder: le32 round-trips, least significant byte first");
	ck_put_le64(b, 0xf102030405060708ULL);
	tap_ok(!memcmp(b, "\x08\x07\x06\x05\x04\x03\x02\xf1", 8) &&
	       ck_get_le64(b) == 0xf102030405060708ULL,
	       "byteorder: le64 round-trips, least significant byte first");
}

static void test_fuse_image(void)
{
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	struct ck_fuse_image f, d;
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	size_t i;
	int zero = 1;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < CHIPKEY_CHIP_ID_LEN; i++)
		f.chip_id[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < CHIPKEY_CHIP_KEY_LEN; i++)
		f.chip_key[i] = (uint8_t)(0x40 + i);
	memcpy(f.rom_key, der, sizeof(der));
	f.rom_key_len = sizeof(der);
	memset(img, 0xee, sizeof(img));
	tap_eq_int(ck_fuse_image_encode(&f, img), 0, "fuse image: encode");
	for (i = CK_FUSE_OFF_CHIP_KEY + CHIPKEY_CHIP_KEY_LEN; i < CK_FUSE_OFF_ROM_KEY; i++)
		zero &= !img[i];
	for (i = CK_FUSE_OFF_ROM_KEY + sizeof(der); i < sizeof(img); i++)
		zero &= !img[i];
	tap_ok(!memcmp(img, "CKFUSE01", 8) && img[8] == 0xa0 && img[23] == 0xaf &&
	       img[24] == 0x40 && img[55] == 0x5f &&
	       !memcmp(img + 64, der, sizeof(der)) && zero,
	       "fuse image: magic at 0, chip ID at 8, key at 24, ROM at 64, zeros elsewhere");
	tap_eq_int(ck_fuse_image_decode(img, sizeof(img), &d), 0,
		   "fuse image: decode");
	tap_ok(!memcmp(&f, &d, sizeof(f)), "fuse image: every field round-trips");
	tap_eq_int(ck_fuse_key_state(&d), CK_FUSE_KEY_PROGRAMMED,
		   "fuse image: the key is programmed");
	memset(d.chip_key, 0xff, sizeof(d.chip_key));
	tap_eq_int(ck_fuse_key_state(&d), CK_FUSE_KEY_ONES,
		   "fuse image: an all-0xff key is unprogrammed");
	memset(d.chip_key, 0, sizeof(d.chip_key));
	tap_eq_int(ck_fuse_key_state(&d), CK_FUSE_KEY_ZEROS,
		   "fuse image: an all-0x00 key is unprogrammed");
	tap_eq_int(ck_fuse_image_decode(img, sizeof(img) - 1, &d), -EINVAL,
		   "fuse image: 511 bytes -> EINVAL");
	img[7] = '2';
	tap_eq_int(ck_fuse_image_decode(img, sizeof(img), &d), -EINVAL,
		   "fuse image: bad magic -> EINVAL");
	img[7] = '1';
	img[sizeof(img) - 1] = 1;
	tap_ok(ck_fuse_image_decode(img, sizeof(img), &d) == 0 && !d.rom_key_len,
	       "fuse image: a byte after the ROM key's DER -> rom_key_len 0");
	f.rom_key_len = CK_FUSE_ROM_KEY_SIZE + 1;
	tap_eq_int(ck_fuse_image_encode(&f, img), -EINVAL,
		   "fuse image: a ROM key over 448 bytes is not encoded");
	ck_fuse_image_wipe(&d);
}

int main(void)
{
	struct ck_pkg_header h, d;
	uint8_t buf[CHIPKEY_PKG_HEADER_LEN];
	uint8_t *p;
	size_t len;

	/* Layout, field by field, against the documented offsets. */
	sample_header(&h, 0x11223344);
	ck_pkg_header_encode(&h, buf);
	tap_ok(!memcmp(buf, "CKBACKUP", 8), "encode: magic at 0");
	tap_ok(buf[8] == 0 && buf[9] == 1, "encode: version big endian at 8");
	tap_ok(buf[10] == 0 && buf[11] == 1, "encode: alg big endian at 10");
	tap_ok(!memcmp(buf + 12, "\0\0\0\0", 4), "encode: flags at 12");
	tap_ok(buf[16] == 0xa0 && buf[31] == 0xaf, "encode: chip ID at 16");
	tap_ok(!memcmp(buf + 32, "\x01\x02\x03\x04\x05\x06\x07\x08", 8),
	       "encode: generation big endian at 32");
	tap_ok(buf[40] == 0x10 && buf[55] == 0x1f, "encode: salt at 40");
	tap_ok(buf[56] == 0x30 && buf[67] == 0x3b, "encode: nonce at 56");
	tap_ok(!memcmp(buf + 68, "\x11\x22\x33\x44", 4),
	       "encode: payload length big endian at 68");
	tap_eq_int(CHIPKEY_PKG_OVERHEAD, 88, "overhead is 72 + 16");
	tap_eq_int((long long)ck_pkg_size(100), 188, "ck_pkg_size(100)");

	/* Round trip. */
	p = make_pkg(5, &len);
	memset(&d, 0xee, sizeof(d));
	tap_eq_int(parse(p, len), 0, "parse: valid header accepted");
	sample_header(&h, 5);
	ck_pkg_header_parse(p, len, &d);
	tap_ok(d.version == h.version && d.alg == h.alg && d.flags == 0 &&
	       !memcmp(d.chip_id, h.chip_id, 16) &&
	       d.generation == h.generation &&
	       !memcmp(d.salt, h.salt, 16) && !memcmp(d.nonce, h.nonce, 12) &&
	       d.payload_len == 5, "parse: every field round-trips");
	tap_ok(ck_pkg_has_magic(p, len) && !ck_pkg_has_magic(p, 7),
	       "has_magic: needs 8 bytes of magic");

	/* Every rejection. */
	p[0] ^= 0x01;
	tap_eq_int(parse(p, len), -EINVAL, "parse: bad magic -> EINVAL");
	p[0] ^= 0x01;
	p[9] = 2;
	tap_eq_int(parse(p, len), -EINVAL, "parse: version 2 -> EINVAL");
	p[9] = 1;
	p[8] = 1;
	tap_eq_int(parse(p, len), -EINVAL, "parse: version 257 -> EINVAL");
	p[8] = 0;
	p[11] = 2;
	tap_eq_int(parse(p, len), -EINVAL, "parse: unknown alg -> EINVAL");
	p[11] = 1;
	p[10] = 0x80;
	tap_eq_int(parse(p, len), -EINVAL, "parse: alg high byte -> EINVAL");
	p[10] = 0;
	p[15] = 1;
	tap_eq_int(parse(p, len), -EINVAL, "parse: flags low bit -> EINVAL");
	p[15] = 0;
	p[12] = 0x80;
	tap_eq_int(parse(p, len), -EINVAL, "parse: flags high bit -> EINVAL");
	p[12] = 0;
	tap_eq_int(parse(p, len), 0, "parse: restored header accepted again");
	tap_eq_int(parse(p, len - 1), -EINVAL,
		   "parse: one byte short of payload_len -> EINVAL");
	tap_eq_int(parse(p, len + 0), 0, "parse: exact length accepted");
	free(p);

	p = make_pkg(5, &len);
	p = realloc(p, len + 1);
	p[len] = 0;
	tap_eq_int(parse(p, len + 1), -EINVAL,
		   "parse: one byte more than payload_len -> EINVAL");
	ck_put_be32(p + CK_PKG_OFF_PAYLOAD_LEN, 6);
	tap_eq_int(parse(p, len + 1), 0,
		   "parse: payload_len fixed to match -> accepted");
	ck_put_be32(p + CK_PKG_OFF_PAYLOAD_LEN, 0xffffffffu);
	tap_eq_int(parse(p, len + 1), -EINVAL,
		   "parse: payload_len 0xffffffff -> EINVAL (no overflow)");
	free(p);

	p = make_pkg(0, &len);
	tap_eq_int(parse(p, len), 0, "parse: empty payload (88 bytes) accepted");
	tap_eq_int(parse(p, CHIPKEY_PKG_OVERHEAD - 1), -EINVAL,
		   "parse: 87 bytes (too short) -> EINVAL");
	tap_eq_int(parse(p, CHIPKEY_PKG_HEADER_LEN), -EINVAL,
		   "parse: header only -> EINVAL");
	tap_eq_int(parse(p, 0), -EINVAL, "parse: empty -> EINVAL");
	free(p);

	p = make_pkg(CHIPKEY_MAX_PAYLOAD, &len);
	tap_eq_int(parse(p, len), 0, "parse: largest package accepted");
	free(p);
	p = make_pkg(CHIPKEY_MAX_PAYLOAD + 1, &len);
	tap_eq_int(parse(p, len), -EMSGSIZE,
		   "parse: package over CHIPKEY_MAX_PACKAGE -> EMSGSIZE");
	tap_eq_int(parse(p, len - 1), -EINVAL,
		   "parse: payload_len over the limit (len within) -> EINVAL");
	free(p);

	/* KDF info string. */
	{
		uint8_t info[CK_PKG_KDF_INFO_LEN], id[16];
		int i;

		for (i = 0; i < 16; i++)
			id[i] = (uint8_t)i;
		ck_pkg_kdf_info(id, info);
		tap_ok(CK_PKG_KDF_INFO_LEN == 22 + 16 &&
		       !memcmp(info, "chipkey v1 backup wrap", 22) &&
		       !memcmp(info + 22, id, 16),
		       "kdf info = label || chip ID");
	}

	/* Emulator wire codec: structures round-trip at the sizes of the ABI. */
	{
		struct chipkey_xfer x = { .in_ptr = 1, .out_ptr = 2, .in_len = 3,
			.out_len = 4, .generation = 0x1122334455667788ULL,
			.flags = 5, .reserved = { 6, 7, 8, 9, 10 } }, y;
		struct chipkey_info i1, i2;
		struct chipkey_rom_key k1 = { .buf_ptr = 9, .buf_len = 448,
			.flags = 1, .reserved = { 2, 3, 4, 5 } }, k2;
		uint8_t w[CK_EMU_INFO_LEN];

		tap_ok(sizeof(struct chipkey_info) == CK_EMU_INFO_LEN &&
		       sizeof(struct chipkey_xfer) == CK_EMU_XFER_LEN &&
		       sizeof(struct chipkey_rom_key) == CK_EMU_ROM_KEY_LEN,
		       "wire sizes equal the ioctl structure sizes");
		ck_emu_xfer_encode(&x, w);
		ck_emu_xfer_decode(w, &y);
		tap_ok(!memcmp(&x, &y, sizeof(x)) && w[24] == 0x88 && w[31] == 0x11,
		       "wire: chipkey_xfer round-trips, little endian");
		memset(&i1, 0x5a, sizeof(i1));
		ck_emu_info_encode(&i1, w);
		ck_emu_info_decode(w, &i2);
		tap_ok(!memcmp(&i1, &i2, sizeof(i1)), "wire: chipkey_info round-trips");
		ck_emu_rom_key_encode(&k1, w);
		ck_emu_rom_key_decode(w, &k2);
		tap_ok(!memcmp(&k1, &k2, sizeof(k1)),
		       "wire: chipkey_rom_key round-trips");
	}
	test_byteorder();
	test_fuse_image();
	return tap_exit_status();
}
