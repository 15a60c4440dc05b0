// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz target: the software licence (docs/software-update.md) as a device
 * reads it: ck_licence_verify (update/licence-cms.c: the DER SignedData,
 * its signer's chain to the ROM key and role, the signature) and the
 * content codec ck_licence_decode (update/licence.c), then the audience
 * and clock checks (update/licence-check.c).  A content that decodes must
 * encode to the same bytes (DER only).
 *
 * Input: u16 big-endian length L, L bytes of ROM key (DER SPKI), then the
 * licence; the same tail is also decoded as a bare ChipkeyLicence.  Seeds
 * carry a factory's ROM key and licences it signed, so the checks past the
 * signature are reached.
 */
#include "update/licence.c"
#include "update/licence-check.c"
#include "update/licence-cms.c"
#include "update/licence-signer.c"

static void check_roundtrip(const uint8_t *der, size_t len, struct ck_licence *l)
{
	struct ck_device_id dev = { .identity = "350000000000006", .device_class = "sensor-v2",
				    .has_chip_id = 1 };
	uint8_t *enc = NULL;
	size_t enc_len = 0;
	char why[256];

	if (ck_licence_encode(l, &enc, &enc_len) || (der && (enc_len != len ||
						 memcmp(enc, der, len))))
		abort();
	free(enc);
	ck_licence_check_audience(l, &dev, why, sizeof(why));
	ck_licence_check_time(l, PKI_TIME_IGNORE, 1767225600, why, sizeof(why));
	ck_licence_check_time(l, (time_t)1800000000, 0, why, sizeof(why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_licence_signer_info who;
	struct ck_licence l;
	const uint8_t *rom, *lic;
	size_t rom_len, lic_len;
	char why[256];

	if (size < 2)
		return 0;
	rom_len = (size_t)data[0] << 8 | data[1];
	if (rom_len > size - 2)
		return 0;
	rom = data + 2;
	lic = rom + rom_len;
	lic_len = size - 2 - rom_len;

	if (!ck_licence_verify(lic, lic_len, rom, rom_len, NULL, &l, &who, why, sizeof(why)))
		check_roundtrip(NULL, 0, &l);
	ck_licence_free(&l);
	if (!ck_licence_decode(lic, lic_len, &l, why, sizeof(why)))
		check_roundtrip(lic, lic_len, &l);
	ck_licence_free(&l);
	return 0;
}
