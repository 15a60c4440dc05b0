// SPDX-License-Identifier: GPL-2.0-or-later
/* chipkey-factory load-pool --db URL FILE: add identities to database 140. */
#include "common/exit.h"
#include "pool.h"
#include "subcommands.h"

int cmd_load_pool(const struct factory_args *a)
{
	if (a->npos != 1 || !a->db)
		return factory_usage_error();
	return ck_exit_for_errno(pool_load(a->db, a->pos[0]));
}
