// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every check of a licence that needs no image (docs/software-update.md
 * "Checks", steps 1-5): what `chipkey update install` does before it
 * opens the image and `chipkey service install` before it asks for it.
 */
#include <errno.h>

#include "update/update.h"

int ck_update_accept(const struct ck_update_accept *a, const uint8_t *lic, size_t lic_len,
		     struct ck_licence *l, struct ck_licence_signer_info *who, char *err,
		     size_t errlen)
{
	struct ck_update_device d = { .id.device_class = a->device_class };
	struct ck_update_state st;
	int rc;

	/* 1. the container, the signer's chain to the ROM key and role, the
	 * CRLs, the signature, the content */
	rc = ck_licence_verify(lic, lic_len, a->rom, a->rom_len, a->crls, l, who, err, errlen);
	/* 2. for this device */
	if (!rc)
		rc = ck_update_device_id(a->keys, a->rom, a->rom_len, a->chip, &d, err, errlen);
	if (!rc)
		rc = ck_licence_check_audience(l, &d.id, err, errlen);
	/* 3. against what is installed now (again under the install's lock) */
	if (!rc) {
		rc = ck_update_read_state(a->slot_dir, &st);
		if (rc == -EBADMSG)
			snprintf(err, errlen, "the state file %s/%s is corrupt", a->slot_dir,
				 CK_UPDATE_STATE_FILE);
		else if (rc)
			snprintf(err, errlen, "cannot read the state of %s", a->slot_dir);
	}
	if (!rc)
		rc = ck_licence_check_time(l, a->clock, st.high_water, err, errlen);
	if (!rc)
		rc = ck_licence_check_rollback(l, &st, err, errlen);
	return rc;
}
