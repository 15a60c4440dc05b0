// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory pregen-keys DIR --db URL --count N: pre-generate device key
 * pairs into database 140, their private keys sealed under DIR's master key.
 */
#include "common/exit.h"
#include "pool.h"
#include "subcommands.h"

int cmd_pregen_keys(const struct factory_args *a)
{
	if (a->npos != 1 || !a->db || !a->have_count)
		return factory_usage_error();
	return ck_exit_for_errno(pool_pregen_keys_in(a->pos[0], a->db, a->count));
}
