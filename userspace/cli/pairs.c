// SPDX-License-Identifier: GPL-2.0
/* chipkey pairs [--pairs DIR] [--json]: the pairings this device keeps
 * (docs/pairing.md); never their link keys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "pair/pair.h"
#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey pairs [--pairs DIR] [--json]\n");
	return CK_EXIT_USAGE;
}

static json_t *record_json(const struct ck_pair_record *r, const char *when)
{
	char chip[2 * CHIPKEY_CHIP_ID_LEN + 1];
	json_t *o = json_object();

	ck_hex_encode(r->chip_id, sizeof(r->chip_id), chip);
	if (!o || json_object_set_new(o, "identity", json_string(r->identity)) ||
	    json_object_set_new(o, "chip_id", json_string(chip)) ||
	    json_object_set_new(o, "role", json_string(r->role == CK_PAIR_LISTEN ? "listen"
										 : "connect")) ||
	    json_object_set_new(o, "paired_at", json_string(when)) ||
	    json_object_set_new(o, "certificate", ck_json_str(r->cert_pem))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cmd_pairs(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pairs", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = CK_PAIR_DEFAULT_DIR;
	struct ck_pair_record *v;
	json_t *arr = NULL;
	size_t n, i;
	int json = 0, c, err, ret = CK_EXIT_OK;

	(void)cli;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			dir = optarg;
		else if (c == 'j')
			json = 1;
		else
			return usage();
	}
	if (optind != argc)
		return usage();
	err = ck_pair_record_list(dir, &v, &n);
	if (err) {
		fprintf(stderr, "chipkey pairs: %s: %s\n", dir, strerror(-err));
		return ck_exit_for_errno(err);
	}
	if (json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		char when[32], chip[2 * CHIPKEY_CHIP_ID_LEN + 1];
		struct tm tm;

		if (!gmtime_r(&v[i].paired_at, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(when, sizeof(when), "?");
		ck_hex_encode(v[i].chip_id, sizeof(v[i].chip_id), chip);
		if (!json)
			printf("%s  chip %s  %-7s  %s\n", v[i].identity, chip,
			       v[i].role == CK_PAIR_LISTEN ? "listen" : "connect", when);
		else if (arr && json_array_append_new(arr, record_json(&v[i], when)))
			ret = CK_EXIT_OTHER;
	}
	for (i = 0; i < n; i++)
		ck_pair_record_free(&v[i]);
	free(v);
	if (json)
		return ret ? (json_decref(arr), ret) : ck_cli_print_json(arr);
	return fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
}
