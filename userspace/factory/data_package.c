// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chipkey data package codec (format: docs/data-package.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/data_package.h>

struct ck_dp_entry {
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	uint8_t *val;
};

struct ck_dp {
	struct ck_dp_entry *e;
	size_t n, cap;
};

/* What this version knows about each assigned type. */
struct type_info {
	uint16_t type;
	const char *name;
	uint16_t flags;		/* flags the encoder writes */
	int secret;
	int kind;		/* how the value is checked */
	uint32_t len;		/* exact length for KIND_FIXED */
};

enum { KIND_FIXED, KIND_DEVICE_ID, KIND_DER };

static const struct type_info types[] = {
	{ CK_DP_DEVICE_ID, "device-id", CK_DP_F_CRITICAL, 0, KIND_DEVICE_ID, CK_DP_DEVICE_ID_LEN },
	{ CK_DP_CHIP_ID, "chip-id", CK_DP_F_CRITICAL, 0, KIND_FIXED, CHIPKEY_CHIP_ID_LEN },
	{ CK_DP_GENERATION, "generation", 0, 0, KIND_FIXED, 8 },
	{ CK_DP_CREATED, "created", 0, 0, KIND_FIXED, 8 },
	{ CK_DP_CHANNEL_KEY, "channel-key", CK_DP_F_CRITICAL, 1, KIND_FIXED, CK_DP_CHANNEL_KEY_LEN },
	{ CK_DP_DEVICE_KEY, "device-key", CK_DP_F_CRITICAL, 1, KIND_DER, 0 },
	{ CK_DP_DEVICE_CERT, "device-cert", CK_DP_F_CRITICAL, 0, KIND_DER, 0 },
	{ CK_DP_MFR_CA_CERT, "mfr-ca-cert", 0, 0, KIND_DER, 0 },
};

static const struct type_info *type_lookup(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

const char *ck_dp_type_name(uint16_t type)
{
	const struct type_info *t = type_lookup(type);

	return t ? t->name : NULL;
}

int ck_dp_type_is_secret(uint16_t type)
{
	const struct type_info *t = type_lookup(type);

	/* Unknown entries may be secrets of a newer version: treat as secret. */
	if (!t)
		return 1;
	return t->secret;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}

int ck_luhn_digit(const char *digits, size_t n)
{
	unsigned int sum = 0;

	/* Double every second digit counting from the right of the payload. */
	for (size_t i = 0; i < n; i++) {
		char c = digits[n - 1 - i];
		unsigned int d;

		if (c < '0' || c > '9')
			return -1;
		d = (unsigned int)(c - '0');
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return '0' + (int)((10 - sum % 10) % 10);
}

static int device_id_valid_n(const uint8_t *s, size_t n)
{
	if (n != CK_DP_DEVICE_ID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return ck_luhn_digit((const char *)s, n - 1) == s[n - 1];
}

int ck_device_id_valid(const char *s)
{
	if (!s || strnlen(s, CK_DP_DEVICE_ID_LEN + 1) != CK_DP_DEVICE_ID_LEN)
		return 0;
	return device_id_valid_n((const uint8_t *)s, CK_DP_DEVICE_ID_LEN);
}

/* Exactly one DER SEQUENCE with a definite, minimally encoded length. */
static int der_sequence_valid(const uint8_t *v, size_t len)
{
	size_t hdr, body;

	if (len < 2 || v[0] != 0x30)
		return 0;
	if (v[1] < 0x80) {
		hdr = 2;
		body = v[1];
	} else {
		size_t nb = v[1] & 0x7f;

		if (nb == 0 || nb > 3 || len < 2 + nb || v[2] == 0)
			return 0;
		body = 0;
		for (size_t i = 0; i < nb; i++)
			body = body << 8 | v[2 + i];
		if (body < 0x80)
			return 0;
		hdr = 2 + nb;
	}
	return hdr + body == len;
}

static int value_valid(const struct type_info *t, const uint8_t *v, size_t len)
{
	switch (t->kind) {
	case KIND_FIXED:
		return len == t->len;
	case KIND_DEVICE_ID:
		return device_id_valid_n(v, len);
	case KIND_DER:
		return der_sequence_valid(v, len);
	}
	return 0;
}

struct ck_dp *ck_dp_new(void)
{
	return calloc(1, sizeof(struct ck_dp));
}

static void entry_wipe(struct ck_dp_entry *e)
{
	if (e->val) {
		OPENSSL_cleanse(e->val, e->len);
		free(e->val);
	}
	e->val = NULL;
	e->len = 0;
}

void ck_dp_free(struct ck_dp *dp)
{
	if (!dp)
		return;
	for (size_t i = 0; i < dp->n; i++)
		entry_wipe(&dp->e[i]);
	if (dp->e) {
		OPENSSL_cleanse(dp->e, dp->cap * sizeof(*dp->e));
		free(dp->e);
	}
	free(dp);
}

void ck_dp_buf_free(void *buf, size_t len)
{
	if (!buf)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

/* Index of @type, or of the first entry with a larger type (*found = 0). */
static size_t find(const struct ck_dp *dp, uint16_t type, int *found)
{
	size_t i;

	for (i = 0; i < dp->n && dp->e[i].type < type; i++)
		;
	*found = i < dp->n && dp->e[i].type == type;
	return i;
}

/* Insert or replace without validation; the value is copied. */
static int put_entry(struct ck_dp *dp, uint16_t type, uint16_t flags,
		     const void *value, size_t len)
{
	int found;
	size_t i = find(dp, type, &found);
	uint8_t *copy;

	if (len > CK_DP_MAX_LEN)
		return -EMSGSIZE;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, value, len);
	if (found) {
		entry_wipe(&dp->e[i]);
	} else {
		if (dp->n == dp->cap) {
			size_t ncap = dp->cap ? dp->cap * 2 : 8;
			struct ck_dp_entry *ne = calloc(ncap, sizeof(*ne));

			if (!ne) {
				free(copy);
				return -ENOMEM;
			}
			if (dp->n)
				memcpy(ne, dp->e, dp->n * sizeof(*ne));
			if (dp->e) {
				OPENSSL_cleanse(dp->e, dp->cap * sizeof(*dp->e));
				free(dp->e);
			}
			dp->e = ne;
			dp->cap = ncap;
		}
		memmove(&dp->e[i + 1], &dp->e[i], (dp->n - i) * sizeof(*dp->e));
		dp->n++;
	}
	dp->e[i].type = type;
	dp->e[i].flags = flags;
	dp->e[i].len = (uint32_t)len;
	dp->e[i].val = copy;
	return 0;
}

int ck_dp_set(struct ck_dp *dp, uint16_t type, uint16_t flags,
	      const void *value, size_t len)
{
	const struct type_info *t;

	if (!dp || (!value && len) || type == 0)
		return -EINVAL;
	if (len > CK_DP_MAX_LEN)
		return -EMSGSIZE;
	t = type_lookup(type);
	if (t) {
		if (!value_valid(t, value, len))
			return -EINVAL;
		flags = t->flags;
	} else if (flags & ~CK_DP_F_KNOWN) {
		return -EINVAL;
	}
	return put_entry(dp, type, flags, value, len);
}

int ck_dp_get(const struct ck_dp *dp, uint16_t type,
	      const uint8_t **value, size_t *len)
{
	int found;
	size_t i;

	if (!dp)
		return -EINVAL;
	i = find(dp, type, &found);
	if (!found)
		return -ENOENT;
	if (value)
		*value = dp->e[i].val;
	if (len)
		*len = dp->e[i].len;
	return 0;
}

int ck_dp_remove(struct ck_dp *dp, uint16_t type)
{
	int found;
	size_t i;

	if (!dp)
		return -EINVAL;
	i = find(dp, type, &found);
	if (!found)
		return -ENOENT;
	entry_wipe(&dp->e[i]);
	memmove(&dp->e[i], &dp->e[i + 1], (dp->n - i - 1) * sizeof(*dp->e));
	dp->n--;
	memset(&dp->e[dp->n], 0, sizeof(*dp->e));
	return 0;
}

size_t ck_dp_count(const struct ck_dp *dp)
{
	return dp ? dp->n : 0;
}

int ck_dp_entry(const struct ck_dp *dp, size_t i, uint16_t *type,
		uint16_t *flags, const uint8_t **value, size_t *len)
{
	if (!dp || i >= dp->n)
		return -ENOENT;
	if (type)
		*type = dp->e[i].type;
	if (flags)
		*flags = dp->e[i].flags;
	if (value)
		*value = dp->e[i].val;
	if (len)
		*len = dp->e[i].len;
	return 0;
}

int ck_dp_set_device_id(struct ck_dp *dp, const char *imei)
{
	if (!imei || !ck_device_id_valid(imei))
		return -EINVAL;
	return ck_dp_set(dp, CK_DP_DEVICE_ID, 0, imei, CK_DP_DEVICE_ID_LEN);
}

int ck_dp_device_id(const struct ck_dp *dp, char out[CK_DP_DEVICE_ID_LEN + 1])
{
	const uint8_t *v;
	size_t len;
	int err = ck_dp_get(dp, CK_DP_DEVICE_ID, &v, &len);

	if (err)
		return err;
	memcpy(out, v, CK_DP_DEVICE_ID_LEN);
	out[CK_DP_DEVICE_ID_LEN] = '\0';
	return 0;
}

int ck_dp_set_chip_id(struct ck_dp *dp, const uint8_t id[CHIPKEY_CHIP_ID_LEN])
{
	return ck_dp_set(dp, CK_DP_CHIP_ID, 0, id, CHIPKEY_CHIP_ID_LEN);
}

int ck_dp_chip_id(const struct ck_dp *dp, uint8_t out[CHIPKEY_CHIP_ID_LEN])
{
	const uint8_t *v;
	size_t len;
	int err = ck_dp_get(dp, CK_DP_CHIP_ID, &v, &len);

	if (err)
		return err;
	memcpy(out, v, CHIPKEY_CHIP_ID_LEN);
	return 0;
}

int ck_dp_set_u64(struct ck_dp *dp, uint16_t type, uint64_t v)
{
	uint8_t b[8];
	const struct type_info *t = type_lookup(type);

	if (!t || t->kind != KIND_FIXED || t->len != 8)
		return -EINVAL;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	return ck_dp_set(dp, type, 0, b, sizeof(b));
}

int ck_dp_u64(const struct ck_dp *dp, uint16_t type, uint64_t *v)
{
	const uint8_t *p;
	size_t len;
	int err = ck_dp_get(dp, type, &p, &len);

	if (err)
		return err;
	if (len != 8)
		return -EINVAL;
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v = *v << 8 | p[i];
	return 0;
}

static int has_required(const struct ck_dp *dp)
{
	return ck_dp_get(dp, CK_DP_DEVICE_ID, NULL, NULL) == 0 &&
	       ck_dp_get(dp, CK_DP_CHIP_ID, NULL, NULL) == 0;
}

int ck_dp_encode(const struct ck_dp *dp, uint8_t **out, size_t *out_len)
{
	size_t total = CK_DP_HEADER_LEN, off;
	uint8_t *buf;

	if (!dp || !out || !out_len)
		return -EINVAL;
	if (!has_required(dp))
		return -EINVAL;
	for (size_t i = 0; i < dp->n; i++) {
		total += CK_DP_ENTRY_HEADER_LEN + dp->e[i].len;
		if (total > CK_DP_MAX_LEN)
			return -EMSGSIZE;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, CK_DP_MAGIC, CK_DP_MAGIC_LEN);
	put16(buf + 8, CK_DP_VERSION);
	put16(buf + 10, 0);
	put32(buf + 12, (uint32_t)total);
	off = CK_DP_HEADER_LEN;
	for (size_t i = 0; i < dp->n; i++) {
		const struct ck_dp_entry *e = &dp->e[i];

		put16(buf + off, e->type);
		put16(buf + off + 2, e->flags);
		put32(buf + off + 4, e->len);
		off += CK_DP_ENTRY_HEADER_LEN;
		if (e->len)
			memcpy(buf + off, e->val, e->len);
		off += e->len;
	}
	*out = buf;
	*out_len = total;
	return 0;
}

int ck_dp_decode(const void *buf, size_t len, struct ck_dp **out)
{
	const uint8_t *p = buf;
	struct ck_dp *dp;
	size_t off;
	uint32_t prev_type = 0;
	int err = -EINVAL;

	if (!out || (!p && len))
		return -EINVAL;
	if (len < CK_DP_HEADER_LEN || len > CK_DP_MAX_LEN)
		return -EINVAL;
	if (memcmp(p, CK_DP_MAGIC, CK_DP_MAGIC_LEN) != 0 ||
	    get16(p + 8) != CK_DP_VERSION || get16(p + 10) != 0 ||
	    get32(p + 12) != len)
		return -EINVAL;

	dp = ck_dp_new();
	if (!dp)
		return -ENOMEM;
	off = CK_DP_HEADER_LEN;
	while (off < len) {
		uint16_t type, flags;
		uint32_t vlen;
		const struct type_info *t;

		if (len - off < CK_DP_ENTRY_HEADER_LEN)
			goto bad;
		type = get16(p + off);
		flags = get16(p + off + 2);
		vlen = get32(p + off + 4);
		off += CK_DP_ENTRY_HEADER_LEN;
		if (vlen > len - off)
			goto bad;
		/* Type 0 is never assigned; types strictly increase. */
		if (type == 0 || type <= prev_type || (flags & ~CK_DP_F_KNOWN))
			goto bad;
		prev_type = type;
		t = type_lookup(type);
		if (t) {
			if (!value_valid(t, p + off, vlen))
				goto bad;
		} else if (flags & CK_DP_F_CRITICAL) {
			goto bad;	/* cannot honour what we do not know */
		}
		err = put_entry(dp, type, flags, p + off, vlen);
		if (err)
			goto out_free;
		err = -EINVAL;
		off += vlen;
	}
	if (!has_required(dp))
		goto bad;
	*out = dp;
	return 0;
bad:
	err = -EINVAL;
out_free:
	ck_dp_free(dp);
	return err;
}
