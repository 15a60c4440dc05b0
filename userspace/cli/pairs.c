// SPDX-License-Identifier: GPL-2.0
/* chipkey pairs [--store DIR] [--json]: the pairings this device keeps in
 * its data package (docs/pairing.md); never their link keys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "common/pem.h"
#include "pair/pair.h"
#include "cli.h"
#include "nextgen.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey pairs [--store DIR] [--json]\n");
	return CK_EXIT_USAGE;
}

static json_t *record_json(const struct ck_pair_record *r, const char *when)
{
	char chip[2 * CHIPKEY_CHIP_ID_LEN + 1], *pem = NULL;
	size_t pem_len;
	json_t *o = json_object();

	ck_hex_encode(r->chip_id, sizeof(r->chip_id), chip);
	if (ck_pem_encode("CERTIFICATE", r->cert, r->cert_len, &pem, &pem_len))
		pem = NULL;
	if (!o || !pem || json_object_set_new(o, "identity", json_string(r->identity)) ||
	    json_object_set_new(o, "chip_id", json_string(chip)) ||
	    json_object_set_new(o, "role", json_string(r->role == CK_PAIR_LISTEN ? "listen"
										 : "connect")) ||
	    json_object_set_new(o, "paired_at", json_string(when)) ||
	    json_object_set_new(o, "exclusive",
				json_boolean(r->flags & CK_PAIR_F_EXCLUSIVE)) ||
	    json_object_set_new(o, "certificate", ck_json_str(pem))) {
		json_decref(o);
		o = NULL;
	}
	free(pem);
	return o;
}

int cmd_pairs(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct rec_ctx rc = { 0 };
	struct ck_next n = { .rc = &rc, .store = REC_DEFAULT_STORE, .prog = "pairs",
			     .read_only = 1 };
	struct ck_pair_list l = { 0 };
	json_t *arr = NULL;
	size_t i;
	int json = 0, c, err, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			n.store = optarg;
		else if (c == 'j')
			json = 1;
		else
			return usage();
	}
	if (optind != argc)
		return usage();
	ret = rec_open(&rc, cli->device);
	if (ret) {
		fprintf(stderr, "chipkey: %s\n", rc.msg);
		return ret;
	}
	ret = ck_next_load(&n);
	if (ret)
		goto out;
	err = ck_pair_list_get(n.dp, &l);
	if (err) {
		fprintf(stderr, "chipkey pairs: the pairing records of generation %llu do not "
			"parse: %s\n", (unsigned long long)n.gen, strerror(-err));
		ret = ck_exit_for_errno(err);
		goto out;
	}
	if (json)
		arr = json_array();
	for (i = 0; i < l.n; i++) {
		char when[32], chip[2 * CHIPKEY_CHIP_ID_LEN + 1];
		struct tm tm;

		if (!gmtime_r(&l.v[i].paired_at, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
			snprintf(when, sizeof(when), "?");
		ck_hex_encode(l.v[i].chip_id, sizeof(l.v[i].chip_id), chip);
		if (!json)
			printf("%s  chip %s  %-7s  %s%s\n", l.v[i].identity, chip,
			       l.v[i].role == CK_PAIR_LISTEN ? "listen" : "connect", when,
			       l.v[i].flags & CK_PAIR_F_EXCLUSIVE ? "  exclusive" : "");
		else if (!arr || json_array_append_new(arr, record_json(&l.v[i], when)))
			ret = CK_EXIT_OTHER;
	}
	if (json)
		ret = ret ? (json_decref(arr), ret) : ck_cli_print_json(arr);
	else
		ret = fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
out:
	ck_pair_list_free(&l);
	ck_next_release(&n);
	rec_close(&rc);
	return ret;
}
