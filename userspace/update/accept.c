// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every check of a licence that needs no image (docs/software-update.md
 * "Checks", steps 1-5): what `chipkey update install` does before it
 * opens the image and `chipkey service install` before it asks for it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/pki.h"
#include "update/update.h"

/* The CRL floor of @dir (created with @mode if missing). */
static int crl_floor(struct pki_crls *crls, const char *dir, mode_t mode, char *err,
		     size_t errlen)
{
	char path[4096], why[512] = "";
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CK_UPDATE_CRL_FLOOR) >=
	    sizeof(path))
		rc = -ENAMETOOLONG;
	else
		rc = mkdir(dir, mode) < 0 && errno != EEXIST ? -errno :
		     pki_crls_floor(crls, path, NULL, 0, why, sizeof(why));
	if (rc > 0)
		rc = 0;
	if (rc && why[0])
		snprintf(err, errlen, "--crl %s (the CRL floor of %s)", why, dir);
	else if (rc)
		snprintf(err, errlen, "--crl: the CRL floor of %s: %s", dir, strerror(-rc));
	return rc;
}

int ck_update_crl_floors(struct pki_crls *crls, const char *slot_dir, const char *state_dir,
			 char *err, size_t errlen)
{
	int rc = crl_floor(crls, slot_dir, 0755, err, errlen);

	if (!rc && state_dir)
		rc = crl_floor(crls, state_dir, 0700, err, errlen);
	return rc;
}

int ck_update_accept(const struct ck_update_accept *a, const uint8_t *lic, size_t lic_len,
		     struct ck_licence *l, struct ck_licence_signer_info *who, char *err,
		     size_t errlen)
{
	struct ck_update_device d = { .id.device_class = a->device_class };
	struct ck_update_state st;
	int rc;

	/* 3b. no CRL older than one a floor of this slot directory (or of the
	 * state directory) kept: before anything else is read */
	rc = a->crls ? ck_update_crl_floors(a->crls, a->slot_dir, a->state_dir, err, errlen) : 0;
	/* 1. the container, the signer's chain to the ROM key and role, the
	 * CRLs (one that verifies raises those floors), the signature, the
	 * content */
	if (!rc)
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
