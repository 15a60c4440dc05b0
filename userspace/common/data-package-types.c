// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What this version of the data package format knows about each assigned
 * entry type: its name, the flags the encoder writes, whether it is
 * secret, and the rule its value must follow (docs/data-package.md
 * "Entry types").
 */
#include <stddef.h>

#include <chipkey/data_package.h>
#include "common/identity.h"
#include "data-package-types.h"

static const struct ck_dp_type_info types[] = {
	{ CK_DP_DEVICE_ID, "device-id", CK_DP_F_CRITICAL, 0, CK_DP_KIND_DEVICE_ID,
	  CK_DP_DEVICE_ID_LEN },
	{ CK_DP_CHIP_ID, "chip-id", CK_DP_F_CRITICAL, 0, CK_DP_KIND_FIXED, CHIPKEY_CHIP_ID_LEN },
	{ CK_DP_GENERATION, "generation", 0, 0, CK_DP_KIND_FIXED, 8 },
	{ CK_DP_CREATED, "created", 0, 0, CK_DP_KIND_FIXED, 8 },
	{ CK_DP_CHANNEL_KEY, "channel-key", CK_DP_F_CRITICAL, 1, CK_DP_KIND_FIXED,
	  CK_DP_CHANNEL_KEY_LEN },
	{ CK_DP_DEVICE_KEY, "device-key", CK_DP_F_CRITICAL, 1, CK_DP_KIND_DER, 0 },
	{ CK_DP_DEVICE_CERT, "device-cert", CK_DP_F_CRITICAL, 0, CK_DP_KIND_DER, 0 },
	{ CK_DP_MFR_CA_CERT, "mfr-ca-cert", 0, 0, CK_DP_KIND_DER, 0 },
	{ CK_DP_ISSUING_CA_CERT, "issuing-ca-cert", 0, 0, CK_DP_KIND_DER, 0 },
	/* customer enrollment (docs/enrollment.md): not critical, so a
	 * reader that does not know them still finds the factory set */
	{ CK_DP_CUSTOMER_KEY, "customer-key", 0, 1, CK_DP_KIND_DER, 0 },
	{ CK_DP_CUSTOMER_CERT, "customer-cert", 0, 0, CK_DP_KIND_DER, 0 },
	{ CK_DP_CUSTOMER_CA_CERT, "customer-ca-cert", 0, 0, CK_DP_KIND_DER, 0 },
	{ CK_DP_CUSTOMER_ANCHOR, "customer-anchor", 0, 0, CK_DP_KIND_DER, 0 },
	/* pairing (docs/pairing.md): the list is decoded by pair/record.c */
	{ CK_DP_PAIRING_RECORDS, "pairing-records", 0, 1, CK_DP_KIND_BYTES, 0 },
};

const struct ck_dp_type_info *ck_dp_type_lookup(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

const char *ck_dp_type_name(uint16_t type)
{
	const struct ck_dp_type_info *t = ck_dp_type_lookup(type);

	return t ? t->name : NULL;
}

int ck_dp_type_is_secret(uint16_t type)
{
	const struct ck_dp_type_info *t = ck_dp_type_lookup(type);

	/* Unknown entries may be secrets of a newer version: treat as secret. */
	if (!t)
		return 1;
	return t->secret;
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

int ck_dp_value_valid(const struct ck_dp_type_info *t, const uint8_t *v, size_t len)
{
	switch (t->kind) {
	case CK_DP_KIND_FIXED:
		return len == t->len;
	case CK_DP_KIND_DEVICE_ID:
		return ck_identity_valid_n((const char *)v, len);
	case CK_DP_KIND_DER:
		return der_sequence_valid(v, len);
	case CK_DP_KIND_BYTES:
		return len > 0;
	}
	return 0;
}
