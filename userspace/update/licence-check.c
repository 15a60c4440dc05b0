// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a device checks of a verified licence before it installs
 * (docs/software-update.md "Checks"): that it is for this device, and the
 * clock rule, rollback.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/pki.h"
#include "common/pubdb-cms.h"
#include "update/update.h"

int ck_licence_check_audience(const struct ck_licence *l, const struct ck_device_id *dev,
			      char *err, size_t errlen)
{
	switch (l->audience) {
	case CK_LICENCE_FOR_CLASS:
		if (!dev->device_class)
			return pubdb_fail(err, errlen, -ENOKEY, "the licence is for device "
					  "class %s; this device was given no class (--class)",
					  l->device_class);
		if (strcmp(dev->device_class, l->device_class))
			return pubdb_fail(err, errlen, -ENOKEY, "the licence is for device "
					  "class %s, not %s", l->device_class, dev->device_class);
		return 0;
	case CK_LICENCE_FOR_IDENTITIES:
		for (size_t i = 0; dev->identity && i < l->n_targets; i++)
			if (!strcmp(l->identities[i], dev->identity))
				return 0;
		return pubdb_fail(err, errlen, -ENOKEY, "the licence's %zu identities do not "
				  "include this device's (%s)", l->n_targets,
				  dev->identity ? dev->identity : "unknown");
	case CK_LICENCE_FOR_CHIP_IDS:
		for (size_t i = 0; dev->has_chip_id && i < l->n_targets; i++)
			if (!CRYPTO_memcmp(l->chip_ids[i], dev->chip_id, CK_LICENCE_CHIP_ID_LEN))
				return 0;
		return pubdb_fail(err, errlen, -ENOKEY, "the licence's %zu chip IDs do not "
				  "include this device's%s", l->n_targets,
				  dev->has_chip_id ? "" : " (unknown: no device certificate)");
	}
	return pubdb_fail(err, errlen, -EINVAL, "no audience");
}

int ck_licence_check_time(const struct ck_licence *l, time_t clock, int64_t high_water,
			  char *err, size_t errlen)
{
	int set = clock != PKI_TIME_IGNORE;
	int64_t now = set && (int64_t)clock > high_water ? (int64_t)clock : high_water;

	/* "not yet valid" only against a clock that is set: a device at 1970
	 * never refuses for it */
	if (set && l->not_before > (int64_t)clock)
		return pubdb_fail(err, errlen, -EKEYEXPIRED, "the licence is not valid yet "
				  "(notBefore %lld, clock %lld)", (long long)l->not_before,
				  (long long)clock);
	/* expired against the later of the clock and the persisted high-water
	 * mark: time known to have passed, even with no clock */
	if (l->not_after < now)
		return pubdb_fail(err, errlen, -EKEYEXPIRED, "the licence has expired "
				  "(notAfter %lld before %s %lld)", (long long)l->not_after,
				  set && (int64_t)clock >= high_water ? "the clock" :
				  "the newest installed licence's notBefore", (long long)now);
	return 0;
}

int ck_licence_check_rollback(const struct ck_licence *l, const struct ck_update_state *s,
			      char *err, size_t errlen)
{
	/* strictly newer than what is installed (floor 0: nothing) */
	if (s->slot && l->sequence <= s->sequence)
		return pubdb_fail(err, errlen, -ESTALE, "the licence's sequence %llu is not "
				  "newer than the installed %llu", (unsigned long long)l->sequence,
				  (unsigned long long)s->sequence);
	/* and not so far above it that later licences could never follow */
	if (l->sequence - s->sequence > CK_LICENCE_MAX_SEQUENCE_STEP)
		return pubdb_fail(err, errlen, -ESTALE, "the licence's sequence %llu is more "
				  "than %llu above the installed %llu", (unsigned long long)l->sequence,
				  (unsigned long long)CK_LICENCE_MAX_SEQUENCE_STEP,
				  (unsigned long long)s->sequence);
	return 0;
}
