// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Channel key derivation (claims 4-5): HKDF-SHA256 of the factory master
 * key and the device identity (channel-key.h, docs/factory-pki.md).
 */
#include <errno.h>
#include <string.h>

#include "identity.h"
#include "kdf.h"
#include "channel-key.h"

_Static_assert(CK_DP_CHANNEL_KEY_LEN == CK_HKDF_OUT_LEN, "channel key is one HKDF block");

int pki_channel_key(const uint8_t master[PKI_MASTER_KEY_LEN],
		    const char *identity, uint8_t out[CK_DP_CHANNEL_KEY_LEN])
{
	const size_t llen = sizeof(PKI_CHANNEL_KEY_LABEL) - 1;
	unsigned char info[sizeof(PKI_CHANNEL_KEY_LABEL) - 1 + CK_DP_DEVICE_ID_LEN];

	if (!master || !out || !ck_identity_valid(identity))
		return -EINVAL;
	memcpy(info, PKI_CHANNEL_KEY_LABEL, llen);
	memcpy(info + llen, identity, CK_DP_DEVICE_ID_LEN);

	return ck_hkdf_sha256(master, PKI_MASTER_KEY_LEN, info, sizeof(info), out);
}
