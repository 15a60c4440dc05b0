// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory package DIR --identity IMEI --chip-id HEX --out FILE
 * [--generation N] [--attest-key Q.pem]: build one device's data package
 * (a new 0600 file); its device certificate carries Q if given.
 */
#include <stdio.h>
#include <string.h>

#include <chipkey/data_package.h>
#include "common/exit.h"
#include "common/file.h"
#include "common/identity.h"
#include "factory.h"
#include "subcommands.h"

int cmd_package(const struct factory_args *a)
{
	struct ck_factory *f = NULL;
	uint8_t chip[CHIPKEY_CHIP_ID_LEN], q[CHIPKEY_EC_POINT_LEN], *buf = NULL;
	size_t len = 0;
	struct ck_dp *dp = NULL;
	int err;

	if (a->npos != 1 || !a->identity || !a->chip_id || !a->out)
		return factory_usage_error();
	if (!strcmp(a->out, "-")) {	/* the package holds keys: never printed */
		fprintf(stderr, "%s: package --out must be a file, not standard output\n",
			factory_prog);
		return CK_EXIT_USAGE;
	}
	if (!ck_identity_valid(a->identity) || factory_parse_chip_id(a->chip_id, chip)) {
		fprintf(stderr, "%s: bad --identity or --chip-id\n", factory_prog);
		return CK_EXIT_USAGE;
	}
	if (a->attest_key && (err = factory_read_attest_key(a->attest_key, q)))
		return err;
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return factory_fail("open factory", err);
	err = ck_factory_build_package(f, a->identity, chip, NULL, a->generation,
				       a->attest_key ? q : NULL, &dp, NULL);
	ck_factory_close(f);
	if (!err)
		err = ck_dp_encode(dp, &buf, &len);
	ck_dp_free(dp);
	if (!err)
		err = ck_file_write_atomic(a->out, buf, len, 0600, 0);
	ck_dp_buf_free(buf, len);
	if (err)
		return factory_fail("package", err);
	printf("data package for %s written to %s (%zu bytes)\n", a->identity,
	       a->out, len);
	return CK_EXIT_OK;
}
