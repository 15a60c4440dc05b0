// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chipkey data package: the container (entries kept in canonical order,
 * values wiped when freed) and its one encoder/decoder pair (format:
 * docs/data-package.md, include/chipkey/data_package.h).  What each entry
 * type may hold is data-package-types.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/data_package.h>
#include "common/identity.h"
#include "data-package-types.h"

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
	const struct ck_dp_type_info *t;

	if (!dp || (!value && len) || type == 0)
		return -EINVAL;
	if (len > CK_DP_MAX_LEN)
		return -EMSGSIZE;
	t = ck_dp_type_lookup(type);
	if (t) {
		if (!ck_dp_value_valid(t, value, len))
			return -EINVAL;
		flags = t->flags;
	} else if (flags & ~CK_DP_F_KNOWN) {
		return -EINVAL;
	}
	return put_entry(dp, type, flags, value, len);
}

/* The index of the entry @type of @dp: 0, -EINVAL (no @dp) or -ENOENT. */
static int lookup(const struct ck_dp *dp, uint16_t type, size_t *i)
{
	int found;

	if (!dp)
		return -EINVAL;
	*i = find(dp, type, &found);
	return found ? 0 : -ENOENT;
}

int ck_dp_get(const struct ck_dp *dp, uint16_t type,
	      const uint8_t **value, size_t *len)
{
	size_t i;
	int err = lookup(dp, type, &i);

	if (err)
		return err;
	if (value)
		*value = dp->e[i].val;
	if (len)
		*len = dp->e[i].len;
	return 0;
}

int ck_dp_remove(struct ck_dp *dp, uint16_t type)
{
	size_t i;
	int err = lookup(dp, type, &i);

	if (err)
		return err;
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
	if (!imei || !ck_identity_valid(imei))
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
	const struct ck_dp_type_info *t = ck_dp_type_lookup(type);

	if (!t || t->kind != CK_DP_KIND_FIXED || t->len != 8)
		return -EINVAL;
	ck_put_be64(b, v);
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
	*v = ck_get_be64(p);
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
	struct ck_dp_header h = { .version = CK_DP_VERSION, .flags = 0 };
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
	h.total_len = (uint32_t)total;
	ck_dp_header_encode(&h, buf);
	off = CK_DP_HEADER_LEN;
	for (size_t i = 0; i < dp->n; i++) {
		const struct ck_dp_entry *e = &dp->e[i];
		const struct ck_dp_entry_header eh = {
			.type = e->type, .flags = e->flags, .len = e->len,
		};

		ck_dp_entry_header_encode(&eh, buf + off);
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
	struct ck_dp_header h;
	struct ck_dp *dp;
	size_t off;
	uint32_t prev_type = 0;
	int err = -EINVAL;

	if (!out || (!p && len))
		return -EINVAL;
	if (len < CK_DP_HEADER_LEN || len > CK_DP_MAX_LEN)
		return -EINVAL;
	if (ck_dp_header_decode(p, &h) || h.version != CK_DP_VERSION ||
	    h.flags != 0 || h.total_len != len)
		return -EINVAL;

	dp = ck_dp_new();
	if (!dp)
		return -ENOMEM;
	off = CK_DP_HEADER_LEN;
	while (off < len) {
		struct ck_dp_entry_header eh;
		uint16_t type, flags;
		uint32_t vlen;
		const struct ck_dp_type_info *t;

		if (len - off < CK_DP_ENTRY_HEADER_LEN)
			goto bad;
		ck_dp_entry_header_decode(p + off, &eh);
		type = eh.type;
		flags = eh.flags;
		vlen = eh.len;
		off += CK_DP_ENTRY_HEADER_LEN;
		if (vlen > len - off)
			goto bad;
		/* Type 0 is never assigned; types strictly increase. */
		if (type == 0 || type <= prev_type || (flags & ~CK_DP_F_KNOWN))
			goto bad;
		prev_type = type;
		t = ck_dp_type_lookup(type);
		if (t) {
			if (!ck_dp_value_valid(t, p + off, vlen))
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
