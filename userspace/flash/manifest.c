// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The flash store manifest, store.json: encoder and decoder (manifest.h,
 * docs/flash-store.md), with jansson; and the canonical encoding its chip
 * MAC is computed over.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include <chipkey/byteorder.h>
#include "common/hex.h"
#include "manifest.h"

const char *const flash_manifest_names[FLASH_MF_FILES] = {
	[FLASH_MF_BACKUP] = "backup.pkg",
	[FLASH_MF_CERT] = "device-cert.der",
	[FLASH_MF_IDENTITY] = "identity",
};

static int identity_ok(const char *s)
{
	size_t i;

	for (i = 0; i < FLASH_MANIFEST_ID_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[i] == 0;
}

void flash_manifest_mac_input(const struct flash_manifest *m,
			      uint8_t out[FLASH_MAC_INPUT_LEN])
{
	uint8_t *f;
	int i;

	memset(out, 0, FLASH_MAC_INPUT_LEN);
	memcpy(out + FLASH_MAC_OFF_LABEL, FLASH_MAC_LABEL, 16);
	ck_put_be32(out + FLASH_MAC_OFF_FORMAT, FLASH_MANIFEST_FORMAT);
	memcpy(out + FLASH_MAC_OFF_CHIP, m->chip_id, FLASH_MANIFEST_CHIP_LEN);
	memcpy(out + FLASH_MAC_OFF_IDENTITY, m->identity, FLASH_MANIFEST_ID_LEN);
	ck_put_be64(out + FLASH_MAC_OFF_GENERATION, m->generation);
	for (i = 0; i < FLASH_MF_FILES; i++) {
		f = out + FLASH_MAC_OFF_FILES + i * FLASH_MAC_FILE_LEN;
		ck_put_be64(f, m->file[i].size);
		memcpy(f + 8, m->file[i].sha256, FLASH_MANIFEST_SHA_LEN);
	}
}

int flash_manifest_encode(const struct flash_manifest *m, char *out, size_t cap)
{
	char chip[2 * FLASH_MANIFEST_CHIP_LEN + 1], sha[2 * FLASH_MANIFEST_SHA_LEN + 1];
	char mac[2 * FLASH_MANIFEST_MAC_LEN + 1];
	json_t *root = NULL, *files, *f;
	size_t n;
	int i, err = -ENOMEM;

	if (!identity_ok(m->identity) || m->generation > INT64_MAX ||
	    (m->format != FLASH_MANIFEST_FORMAT && m->format != FLASH_MANIFEST_FORMAT_NOMAC))
		return -EINVAL;
	ck_hex_encode(m->chip_id, sizeof(m->chip_id), chip);
	ck_hex_encode(m->mac, sizeof(m->mac), mac);
	files = json_array();
	if (!files)
		goto out;
	for (i = 0; i < FLASH_MF_FILES; i++) {
		if (m->file[i].size > INT64_MAX) {
			json_decref(files);
			return -EINVAL;
		}
		ck_hex_encode(m->file[i].sha256, sizeof(m->file[i].sha256), sha);
		f = json_pack("{s:s, s:I, s:s}", "name", flash_manifest_names[i],
			      "size", (json_int_t)m->file[i].size, "sha256", sha);
		if (json_array_append_new(files, f)) {
			json_decref(files);
			goto out;
		}
	}
	/* "o" takes files, also when the pack fails */
	root = json_pack("{s:i, s:s, s:s, s:I, s:o}", "format", m->format,
			 "chip_id", chip, "identity", m->identity,
			 "generation", (json_int_t)m->generation, "files", files);
	if (!root)
		goto out;
	if (m->format == FLASH_MANIFEST_FORMAT && json_object_set_new(root, "mac", json_string(mac)))
		goto out;
	n = json_dumpb(root, out, cap, JSON_INDENT(2));
	if (!n)
		goto out;
	err = -EOVERFLOW;
	if (n >= cap)
		goto out;
	out[n++] = '\n';
	err = (int)n;
out:
	json_decref(root);
	return err;
}

/* @v is a string of exactly 2 * @n lower-case hex digits: decode it. */
static int lower_hex(const json_t *v, uint8_t *out, size_t n)
{
	const char *s = json_string_value(v);
	char check[2 * FLASH_MANIFEST_SHA_LEN + 1];

	if (!s || n > FLASH_MANIFEST_SHA_LEN || ck_hex_decode(s, out, n))
		return -EINVAL;
	ck_hex_encode(out, n, check);
	return strcmp(check, s) ? -EINVAL : 0;
}

/* A non-negative JSON integer. */
static int uint_value(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int decode_file(const json_t *f, enum flash_manifest_file i, struct flash_manifest *m)
{
	const char *name = json_string_value(json_object_get(f, "name"));

	if (!json_is_object(f) || json_object_size(f) != 3 || !name ||
	    strcmp(name, flash_manifest_names[i]) ||
	    uint_value(json_object_get(f, "size"), &m->file[i].size) ||
	    lower_hex(json_object_get(f, "sha256"), m->file[i].sha256, FLASH_MANIFEST_SHA_LEN))
		return -EINVAL;
	return 0;
}

int flash_manifest_decode(const char *text, size_t len, struct flash_manifest *m)
{
	json_t *root, *format, *files;
	const char *id;
	size_t keys;
	int i, err = -EINVAL;

	memset(m, 0, sizeof(*m));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto out;
	format = json_object_get(root, "format");
	if (!json_is_integer(format))
		goto out;
	if (json_integer_value(format) != FLASH_MANIFEST_FORMAT &&
	    json_integer_value(format) != FLASH_MANIFEST_FORMAT_NOMAC) {
		err = -EPROTO;
		goto out;
	}
	m->format = (int)json_integer_value(format);
	keys = m->format == FLASH_MANIFEST_FORMAT ? 6 : 5;
	if (m->format == FLASH_MANIFEST_FORMAT &&
	    lower_hex(json_object_get(root, "mac"), m->mac, sizeof(m->mac)))
		goto out;
	id = json_string_value(json_object_get(root, "identity"));
	files = json_object_get(root, "files");
	if (json_object_size(root) != keys || !id || !identity_ok(id) ||
	    lower_hex(json_object_get(root, "chip_id"), m->chip_id, sizeof(m->chip_id)) ||
	    uint_value(json_object_get(root, "generation"), &m->generation) ||
	    json_array_size(files) != FLASH_MF_FILES || !json_is_array(files))
		goto out;
	memcpy(m->identity, id, FLASH_MANIFEST_ID_LEN + 1);
	for (i = 0; i < FLASH_MF_FILES; i++)
		if (decode_file(json_array_get(files, i), i, m))
			goto out;
	err = 0;
out:
	json_decref(root);
	return err;
}
