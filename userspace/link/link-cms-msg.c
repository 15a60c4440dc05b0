// SPDX-License-Identifier: GPL-2.0
/*
 * The one encoder/decoder pair of the mode-3 body and of the frame header
 * of modes 3 and 4 (<chipkey/link_cms.h>, docs/service-link-cms.md).
 */
#include <errno.h>
#include <string.h>

#include <chipkey/byteorder.h>
#include <chipkey/link_cms.h>
#include "common/identity.h"

void ck_link_frame_hdr_encode(const struct ck_link_frame_hdr *h,
			      uint8_t out[CK_LINK_FRAME_HDR_LEN])
{
	out[0] = h->type;
	out[1] = 0;
	ck_put_be16(out + 2, h->len);
}

int ck_link_frame_hdr_decode(const uint8_t in[CK_LINK_FRAME_HDR_LEN],
			     struct ck_link_frame_hdr *h)
{
	h->type = in[0];
	h->len = ck_get_be16(in + 2);
	if (in[1] != 0)
		return -EBADMSG;
	if (h->len > CK_LINK_FRAME_MAX)
		return -EMSGSIZE;
	return 0;
}

void ck_link_cms_body_encode(const struct ck_link_cms_body *b,
			     uint8_t out[CK_LINK_CMS_BODY_LEN])
{
	memset(out, 0, CK_LINK_CMS_BODY_LEN);
	memcpy(out, CK_LINK_CMS_MAGIC, 4);
	out[4] = CK_LINK_CMS_VERSION;
	out[5] = b->dir;
	memcpy(out + 8, b->identity, CK_LINK_CMS_ID_LEN - 1);
	ck_put_be64(out + 24, b->issued_at);
	ck_put_be32(out + 32, b->valid_for);
	ck_put_be64(out + 40, b->seq);
	memcpy(out + 48, b->nonce, CK_LINK_CMS_NONCE_LEN);
	memcpy(out + 64, b->secret, CK_LINK_CMS_SECRET_LEN);
}

int ck_link_cms_body_decode(const uint8_t *in, size_t len, struct ck_link_cms_body *b)
{
	memset(b, 0, sizeof(*b));
	if (len != CK_LINK_CMS_BODY_LEN || memcmp(in, CK_LINK_CMS_MAGIC, 4) ||
	    in[4] != CK_LINK_CMS_VERSION || !ck_link_all_zero(in + 6, 2) ||
	    !ck_link_all_zero(in + 36, 4) || in[23] != 0)
		return -EBADMSG;
	b->dir = in[5];
	if (b->dir != CK_LINK_CMS_TO_DEVICE && b->dir != CK_LINK_CMS_TO_SERVER)
		return -EBADMSG;
	memcpy(b->identity, in + 8, CK_LINK_CMS_ID_LEN);
	if (!ck_identity_valid(b->identity))
		return -EBADMSG;
	b->issued_at = ck_get_be64(in + 24);
	b->valid_for = ck_get_be32(in + 32);
	if (b->valid_for < 1 || b->valid_for > CK_LINK_CMS_VALID_MAX)
		return -EBADMSG;
	b->seq = ck_get_be64(in + 40);
	/* the counter limits: a seq beyond its own signed time would lock
	 * the device out of every later message (ESTALE) */
	if (b->issued_at > CK_LINK_TIME_MAX ||
	    b->seq > (b->issued_at + b->valid_for) * CK_LINK_SEQ_PER_SEC)
		return -EBADMSG;
	memcpy(b->nonce, in + 48, CK_LINK_CMS_NONCE_LEN);
	memcpy(b->secret, in + 64, CK_LINK_CMS_SECRET_LEN);
	return 0;
}
