// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mode 1, channel key (Nokia claims 3-5; docs/service-link.md "Mode 1"):
 * no pre-exchange.  The device offers the PSK identity
 * "chipkey-ck1:" || identity with its channel key as the PSK (SHA-256
 * suites; a standard TLS 1.3 client given the key connects too), or
 * "chipkey-ck1-384:" || identity with HKDF-SHA384(channel key,
 * "chipkey link v1 channel key sha384") for TLS_AES_256_GCM_SHA384.  The
 * server re-derives the channel key from its master key and the identity
 * when the ClientHello arrives (no per-device key table).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/link_messages.h>
#include "common/channel-key.h"
#include "common/identity.h"
#include "common/kdf.h"
#include "link.h"
#include "revocation.h"
#include "tls.h"

/* The PSK of @channel_key for the SHA-256 or SHA-384 identity. */
static int psk_of(const uint8_t channel_key[32], int sha384, struct ck_link_secret *out)
{
	static const char label[] = CK_LINK_CK384_LABEL;

	if (!sha384) {
		memcpy(out->key, channel_key, 32);
		out->key_len = 32;
		return 0;
	}
	out->key_len = 48;
	return ck_hkdf("SHA384", channel_key, 32, (const uint8_t *)label,
		       sizeof(label) - 1, out->key, 48);
}

static int ck_server(const struct ck_link_server *s, int fd, struct ck_link_secret *out)
{
	(void)s;
	(void)fd;
	memset(out, 0, sizeof(*out));	/* key_len 0: ck_link_channel_key_psk */
	return 0;
}

int ck_link_channel_key_psk(const struct ck_link_server *s, const uint8_t *identity,
			    size_t len, struct ck_link_secret *out)
{
	static const char p256[] = CK_LINK_CK_PSK_ID_PREFIX, p384[] = CK_LINK_CK384_PSK_ID_PREFIX;
	char id[CK_DP_DEVICE_ID_LEN + 1];
	uint8_t ck[32];
	int sha384, err;

	if (!s || !s->master_key)
		return -ENOKEY;
	if (len == sizeof(p256) - 1 + CK_DP_DEVICE_ID_LEN &&
	    !memcmp(identity, p256, sizeof(p256) - 1))
		sha384 = 0;
	else if (len == sizeof(p384) - 1 + CK_DP_DEVICE_ID_LEN &&
		 !memcmp(identity, p384, sizeof(p384) - 1))
		sha384 = 1;
	else
		return -EINVAL;
	memcpy(id, identity + len - CK_DP_DEVICE_ID_LEN, CK_DP_DEVICE_ID_LEN);
	id[CK_DP_DEVICE_ID_LEN] = 0;
	if (!ck_identity_valid(id))
		return -EINVAL;
	err = ck_link_identity_check(s, id);	/* no certificate: no CRL applies */
	if (err)
		return err;
	err = pki_channel_key(s->master_key, id, ck);
	if (!err)
		err = psk_of(ck, sha384, out);
	OPENSSL_cleanse(ck, sizeof(ck));
	if (err)
		return err;
	memcpy(out->psk_identity, identity, len);
	out->psk_identity[len] = 0;
	snprintf(out->peer, sizeof(out->peer), "%s", id);
	return 0;
}

static int ck_device(const struct ck_link_device *d, int fd, struct ck_link_secret *out)
{
	(void)fd;
	memset(out, 0, sizeof(*out));
	if (!ck_identity_valid(d->identity))
		return -ENOKEY;
	snprintf(out->psk_identity, sizeof(out->psk_identity), "%s%s",
		 d->sha384 ? CK_LINK_CK384_PSK_ID_PREFIX : CK_LINK_CK_PSK_ID_PREFIX, d->identity);
	return psk_of(d->channel_key, d->sha384, out);
}

const struct ck_link_mode ck_link_mode_channel_key = {
	.name = "channel-key",
	.id = CK_LINK_CHANNEL_KEY,
	.server = ck_server,
	.device = ck_device,
};
