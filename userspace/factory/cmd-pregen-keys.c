// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory pregen-keys --db URL --count N: pre-generate device key
 * pairs into database 140.
 */
#include "common/exit.h"
#include "pool.h"
#include "subcommands.h"

int cmd_pregen_keys(const struct factory_args *a)
{
	if (a->npos || !a->db || !a->have_count)
		return factory_usage_error();
	return ck_exit_for_errno(pool_pregen_keys(a->db, a->count));
}
