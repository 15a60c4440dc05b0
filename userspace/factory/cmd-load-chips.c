// SPDX-License-Identifier: GPL-2.0-or-later
/* chipkey-factory load-chips --db URL --chip-ca CA.pem FILE...: the chip batch. */
#include "chip-batch.h"
#include "subcommands.h"

int cmd_load_chips(const struct factory_args *a)
{
	if (a->npos < 1 || !a->db || !a->chip_ca)
		return factory_usage_error();
	return chip_batch_load(a->db, a->chip_ca, a->pos, (size_t)a->npos);
}
