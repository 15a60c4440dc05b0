// SPDX-License-Identifier: GPL-2.0
/*
 * The one encoder/decoder pair of the mode-4 broadcast body and the
 * device's share (<chipkey/link_bcast.h>, docs/service-link-cms.md).
 */
#include <errno.h>
#include <string.h>

#include <chipkey/byteorder.h>
#include <chipkey/link_bcast.h>
#include "common/identity.h"

void ck_link_bcast_body_encode(const struct ck_link_bcast_body *b,
			       uint8_t out[CK_LINK_BCAST_BODY_LEN])
{
	memset(out, 0, CK_LINK_BCAST_BODY_LEN);
	memcpy(out, CK_LINK_BCAST_MAGIC, 4);
	out[4] = CK_LINK_BCAST_VERSION_FMT;
	ck_put_be64(out + 8, b->version);
	ck_put_be64(out + 16, b->issued_at);
	ck_put_be32(out + 24, b->valid_for);
	memcpy(out + 28, b->server_id, CK_LINK_BCAST_SID_LEN);
	memcpy(out + 60, b->pub, CK_LINK_BCAST_PUB_LEN);
}

int ck_link_bcast_body_decode(const uint8_t *in, size_t len, struct ck_link_bcast_body *b)
{
	memset(b, 0, sizeof(*b));
	if (len != CK_LINK_BCAST_BODY_LEN || memcmp(in, CK_LINK_BCAST_MAGIC, 4) ||
	    in[4] != CK_LINK_BCAST_VERSION_FMT || !ck_link_all_zero(in + 5, 3))
		return -EBADMSG;
	b->version = ck_get_be64(in + 8);
	b->issued_at = ck_get_be64(in + 16);
	b->valid_for = ck_get_be32(in + 24);
	if (b->version == 0 || b->valid_for < 1 || b->valid_for > CK_LINK_BCAST_VALID_MAX)
		return -EBADMSG;
	/* the counter limits: version <= issued_at + valid_for (seconds) */
	if (b->issued_at > CK_LINK_TIME_MAX || b->version > b->issued_at + b->valid_for)
		return -EBADMSG;
	memcpy(b->server_id, in + 28, CK_LINK_BCAST_SID_LEN);
	memcpy(b->pub, in + 60, CK_LINK_BCAST_PUB_LEN);
	return b->pub[0] == 0x04 ? 0 : -EBADMSG;
}

void ck_link_share_body_encode(const struct ck_link_share_body *b,
			       uint8_t out[CK_LINK_SHARE_LEN])
{
	memset(out, 0, CK_LINK_SHARE_LEN);
	memcpy(out, CK_LINK_SHARE_MAGIC, 4);
	out[4] = CK_LINK_BCAST_VERSION_FMT;
	memcpy(out + 8, b->identity, CK_LINK_CMS_ID_LEN - 1);
	memcpy(out + 24, b->bcast_digest, sizeof(b->bcast_digest));
	memcpy(out + 56, b->pub, CK_LINK_BCAST_PUB_LEN);
	memcpy(out + 121, b->nonce, CK_LINK_BCAST_NONCE_LEN);
}

int ck_link_share_body_decode(const uint8_t *in, size_t len, struct ck_link_share_body *b)
{
	memset(b, 0, sizeof(*b));
	if (len != CK_LINK_SHARE_LEN || memcmp(in, CK_LINK_SHARE_MAGIC, 4) ||
	    in[4] != CK_LINK_BCAST_VERSION_FMT || !ck_link_all_zero(in + 5, 3) || in[23] != 0)
		return -EBADMSG;
	memcpy(b->identity, in + 8, CK_LINK_CMS_ID_LEN);
	if (!ck_identity_valid(b->identity))
		return -EBADMSG;
	memcpy(b->bcast_digest, in + 24, sizeof(b->bcast_digest));
	memcpy(b->pub, in + 56, CK_LINK_BCAST_PUB_LEN);
	memcpy(b->nonce, in + 121, CK_LINK_BCAST_NONCE_LEN);
	return b->pub[0] == 0x04 ? 0 : -EBADMSG;
}
