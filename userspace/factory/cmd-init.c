// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory init DIR: create a factory directory and, with --db,
 * load its identity pool and pre-generate key pairs.
 */
#include <errno.h>
#include <stdio.h>

#include "common/exit.h"
#include "factory.h"
#include "pool.h"
#include "subcommands.h"

int cmd_init(const struct factory_args *a)
{
	struct ck_factory_opts o = {
		.org = a->org, .spp_name = a->spp_name,
		.ca_days = (int)a->ca_days, .spp_days = (int)a->spp_days,
	};
	const char *dir = a->pos[0];
	int err;

	if (a->npos != 1 || ((a->pool || a->pregen) && !a->db))
		return factory_usage_error();
	/* the pool file first: a missing or bad one leaves no factory behind
	 * (one made first then stood in the way of the corrected run, 22) */
	err = a->pool ? pool_check(a->pool) : 0;
	if (err)
		return err == -ENOENT ? CK_EXIT_NOT_FOUND : ck_exit_for_errno(err);
	err = ck_factory_init(dir, &o);
	if (err == -EEXIST) {
		fprintf(stderr, "%s: %s already exists and is not empty; "
			"refusing to overwrite a factory\n", factory_prog, dir);
		return CK_EXIT_CONFLICT;
	}
	if (err)
		return factory_fail("init", err);
	printf("factory created in %s\n", dir);
	printf("  manufacturer CA certificate: %s/%s\n", dir, CK_FACTORY_MFR_CA_PEM);
	printf("  ROM public key (fuse image): %s/%s\n", dir, CK_FACTORY_MFR_PUBKEY);
	printf("  SPP certificate:             %s/%s\n", dir, CK_FACTORY_SPP_CERT);
	printf("  factory station credential:  %s/%s, %s/%s\n", dir,
	       CK_FACTORY_STATION_CERT, dir, CK_FACTORY_STATION_KEY);
	printf("  secret files (0600): %s, %s, %s, %s, %s\n", CK_FACTORY_MFR_KEY,
	       CK_FACTORY_MASTER_KEY, CK_FACTORY_SPP_KEY, CK_FACTORY_STATION_KEY,
	       CK_FACTORY_STATION_CERT);
	err = a->pool ? pool_load(a->db, a->pool) : 0;
	if (!err && a->pregen)
		err = pool_pregen_keys_in(dir, a->db, a->pregen);
	return ck_exit_for_errno(err);
}
