// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: what a device and the server parse of a mode-3 exchange
 * (docs/service-link-cms.md): the frame header, the 96-byte body, the
 * SignedData and EnvelopedData containers and the whole device-side check
 * (ck_link_cms_device_accept) with a device key of its own.  A body that
 * decodes encodes back to the same bytes.
 *
 * Input: selector byte (0 body, 1 frame header, 2 SignedData + service
 * check, 3 a SECRET to the device), then the bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>

#include "link/link-cms-msg.c"
#include "link/link-cms-state.c"
#include "link/frame-io.c"
#include "link/link-cms-frame.c"
#include "link/link-cms-sign.c"
#include "link/link-cms-chain.c"
#include "link/revocation.c"
#include "link/link-cms.c"

static struct ck_link_device dev;

static X509 *self_signed(EVP_PKEY *k)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"352099000000006", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	return x;
}

static void init(void)
{
	static char dir[] = "/tmp/ck-fuzz-link-cms.XXXXXX";

	if (dev.key)
		return;
	dev.key = EVP_EC_gen("P-256");
	dev.rom_key = EVP_EC_gen("P-256");
	dev.cert = self_signed(dev.key);
	strcpy(dev.identity, "352099000000006");
	dev.state_dir = mkdtemp(dir);
	if (!dev.key || !dev.rom_key || !dev.cert || !dev.state_dir)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_link_cms_body b;
	struct ck_link_frame_hdr h;
	uint8_t again[CK_LINK_CMS_BODY_LEN], content[CK_LINK_CMS_BODY_LEN];
	STACK_OF(X509) *certs = NULL;
	X509 *signer = NULL;

	if (size < 1)
		return 0;
	init();
	switch (data[0] & 3) {
	case 0:
		if (!ck_link_cms_body_decode(data + 1, size - 1, &b)) {
			ck_link_cms_body_encode(&b, again);
			if (memcmp(again, data + 1, sizeof(again)))
				abort();	/* a decoded body encodes back */
		}
		break;
	case 1:
		if (size >= 1 + CK_LINK_FRAME_HDR_LEN)
			ck_link_frame_hdr_decode(data + 1, &h);
		break;
	case 2:
		if (!ck_link_cms_open_signed(data + 1, size - 1, CK_LINK_CMS_BODY_OID, content,
					     sizeof(content), &signer, &certs)) {
			ck_link_verify_service(signer, certs, dev.rom_key, PKI_TIME_IGNORE, NULL);
			X509_free(signer);
			sk_X509_pop_free(certs, X509_free);
		}
		break;
	default:
		if (!ck_link_cms_device_accept(&dev, data + 1, size - 1, &b, &signer))
			abort();	/* nothing here is signed under its ROM key */
		break;
	}
	return 0;
}
