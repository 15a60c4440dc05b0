/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the data package codec: what this version knows about each
 * assigned entry type (data-package-types.c), used by data-package.c to
 * validate values and choose the flags it writes.
 */
#ifndef CHIPKEY_COMMON_DATA_PACKAGE_TYPES_H
#define CHIPKEY_COMMON_DATA_PACKAGE_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* How a value is checked. */
enum ck_dp_value_kind {
	CK_DP_KIND_FIXED,	/* exactly @len bytes */
	CK_DP_KIND_DEVICE_ID,	/* 15 digits, Luhn check digit */
	CK_DP_KIND_DER,		/* exactly one DER SEQUENCE */
	CK_DP_KIND_BYTES,	/* at least one byte; its own codec checks the
				 * rest where it is used (pairing-records) */
};

struct ck_dp_type_info {
	uint16_t type;
	const char *name;
	uint16_t flags;		/* flags the encoder writes */
	int secret;
	enum ck_dp_value_kind kind;
	uint32_t len;		/* exact length for CK_DP_KIND_FIXED */
};

/* The entry type @type, or NULL if this version does not know it. */
const struct ck_dp_type_info *ck_dp_type_lookup(uint16_t type);
/* 1 if @v (@len bytes) is a valid value of @t, else 0. */
int ck_dp_value_valid(const struct ck_dp_type_info *t, const uint8_t *v, size_t len);

#endif /* CHIPKEY_COMMON_DATA_PACKAGE_TYPES_H */
