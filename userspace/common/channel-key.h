/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Channel keys (claims 4-5): the per-device symmetric key the factory puts
 * into a data package, derived from the factory's master key and the device
 * identity, so the manufacturer can re-derive it later without storing it:
 * the factory (data packages) and chipkey-service (the channel-key link,
 * docs/service-link.md) share this one derivation.  docs/factory-pki.md
 * "Channel key".
 */
#ifndef CHIPKEY_COMMON_CHANNEL_KEY_H
#define CHIPKEY_COMMON_CHANNEL_KEY_H

#include <stdint.h>

#include <chipkey/data_package.h>

/* HKDF info label of the channel key (followed by the 15-digit identity). */
#define PKI_CHANNEL_KEY_LABEL	"chipkey v1 channel key"
#define PKI_MASTER_KEY_LEN	32

/*
 * channel key = HKDF-SHA256(IKM = master key, salt = none,
 *                           info = "chipkey v1 channel key" || identity)
 * 0, -EINVAL (bad identity), -ENOMEM or -EIO.
 */
int pki_channel_key(const uint8_t master[PKI_MASTER_KEY_LEN],
		    const char *identity, uint8_t out[CK_DP_CHANNEL_KEY_LEN]);

#endif /* CHIPKEY_COMMON_CHANNEL_KEY_H */
