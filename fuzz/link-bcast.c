// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: what a device parses of a mode-4 broadcast and the server
 * of a device's share (docs/service-link-cms.md): both bodies (a decoded
 * one encodes back to the same bytes), their SignedData containers and the
 * whole device-side check of a broadcast (ck_link_bcast_device_accept).
 *
 * Input: selector byte (0 broadcast body, 1 share body, 2 share
 * SignedData, 3 a broadcast), then the bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "link/link-cms-msg.c"
#include "link/link-cms-state.c"
#include "link/frame-io.c"
#include "link/link-cms-frame.c"
#include "link/link-cms-sign.c"
#include "link/link-cms-chain.c"
#include "link/revocation.c"
#include "link/link-bcast-msg.c"
#include "link/link-bcast-publish.c"
#include "link/link-bcast.c"

static struct ck_link_device dev;

static void init(void)
{
	static char dir[] = "/tmp/ck-fuzz-link-bcast.XXXXXX";

	if (dev.rom_key)
		return;
	dev.rom_key = EVP_EC_gen("P-256");
	strcpy(dev.identity, "352099000000006");
	dev.state_dir = mkdtemp(dir);
	if (!dev.rom_key || !dev.state_dir)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_link_bcast_body b;
	struct ck_link_share_body s;
	uint8_t again[CK_LINK_SHARE_LEN > CK_LINK_BCAST_BODY_LEN ? CK_LINK_SHARE_LEN :
			 CK_LINK_BCAST_BODY_LEN], content[CK_LINK_SHARE_LEN];
	STACK_OF(X509) *certs = NULL;
	X509 *signer = NULL;
	char id[CK_LINK_CMS_ID_LEN];

	if (size < 1)
		return 0;
	init();
	switch (data[0] & 3) {
	case 0:
		if (!ck_link_bcast_body_decode(data + 1, size - 1, &b)) {
			ck_link_bcast_body_encode(&b, again);
			if (memcmp(again, data + 1, CK_LINK_BCAST_BODY_LEN))
				abort();
		}
		break;
	case 1:
		if (!ck_link_share_body_decode(data + 1, size - 1, &s)) {
			ck_link_share_body_encode(&s, again);
			if (memcmp(again, data + 1, CK_LINK_SHARE_LEN))
				abort();
		}
		break;
	case 2:
		if (!ck_link_cms_open_signed(data + 1, size - 1, CK_LINK_SHARE_OID, content,
					     sizeof(content), &signer, &certs)) {
			STACK_OF(X509) *icas = sk_X509_new_null();

			ck_link_verify_device(signer, icas, dev.rom_key, PKI_TIME_IGNORE, NULL, id);
			sk_X509_free(icas);
			X509_free(signer);
			sk_X509_pop_free(certs, X509_free);
		}
		break;
	default:
		if (!ck_link_bcast_device_accept(&dev, data + 1, size - 1, &b))
			abort();	/* nothing here is signed under its ROM key */
		break;
	}
	return 0;
}
