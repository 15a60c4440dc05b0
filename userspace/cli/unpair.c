// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey unpair PEER | --all [--store DIR] [--keys DIR] [--db URL]: the
 * pairing with PEER (its identity or chip ID), or every pairing (a change
 * of owner), removed from the data package: generation + 1 without the
 * record(s), the flash store switched, published (nextgen.c, the step
 * chipkey pair and enroll use).  docs/pairing.md "Unpairing".  With
 * --notify HOST:PORT, then chipkey pair sync connect HOST:PORT, so the
 * other device (listening with pair sync listen) removes its record too.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/hostport.h"
#include "common/identity.h"
#include "pair/pair.h"
#include "cli.h"
#include "nextgen.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey unpair PEER|--all [--store DIR] [--keys DIR] [--db URL]\n"
		"                      [--notify HOST:PORT [--timeout S]]\n"
		"  PEER: the peer's identity (15 digits) or chip ID (32 hex digits)\n"
		"  --notify: then chipkey pair sync connect HOST:PORT (PEER only)\n");
	return CK_EXIT_USAGE;
}

int cmd_unpair(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "db", required_argument, NULL, 'D' },
		{ "notify", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct rec_ctx rc = { 0 };
	struct ck_next n = { .rc = &rc, .store = REC_DEFAULT_STORE, .keys = REC_DEFAULT_KEYS,
			     .prog = "unpair" };
	struct ck_pair_list l = { 0 };
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	const char *peer = NULL, *notify = NULL, *timeout = NULL;
	int all = 0, c, i, err, ret;
	size_t before;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 's': n.store = optarg; break;
		case 'k': n.keys = optarg; break;
		case 'D': n.db = optarg; break;
		case 'n': notify = optarg; break;
		case 't': timeout = optarg; break;
		default: return usage();
		}
	}
	if (optind < argc)
		peer = argv[optind++];
	if (optind != argc || all == !!peer || (notify && all) || (timeout && !notify) ||
	    (notify && !ck_hostport_ok(notify, CK_HOSTPORT_DIAL)) ||
	    (timeout && atoi(timeout) < 1))
		return usage();	/* --notify's arguments checked before anything changes */
	if (peer && !ck_identity_valid(peer) &&
	    (strlen(peer) != 2 * sizeof(chip) || ck_hex_decode(peer, chip, sizeof(chip)))) {
		fprintf(stderr, "chipkey unpair: %s is neither an identity nor a chip ID\n", peer);
		return CK_EXIT_USAGE;
	}
	n.db = rec_db_url(n.db);
	if (!n.db) {
		fprintf(stderr, "chipkey unpair: no public database (--db URL or $CHIPKEY_PUBDB)\n");
		return CK_EXIT_USAGE;
	}
	ret = rec_open(&rc, cli->device);
	if (ret) {
		fprintf(stderr, "chipkey: %s\n", rc.msg);
		return ret;
	}
	ret = ck_next_load(&n);
	if (!ret)
		ret = ck_next_catch_up(&n);
	if (ret)
		goto out;
	err = ck_pair_list_get(n.dp, &l);
	if (err) {
		fprintf(stderr, "chipkey unpair: the pairing records do not parse: %s\n",
			strerror(-err));
		ret = ck_exit_for_errno(err);
		goto out;
	}
	before = l.n;
	if (all) {
		ck_pair_list_free(&l);
	} else {
		i = ck_pair_list_find(&l, ck_identity_valid(peer) ? peer : NULL,
				      ck_identity_valid(peer) ? NULL : chip);
		if (i < 0) {
			fprintf(stderr, "chipkey unpair: not paired with %s\n", peer);
			ret = CK_EXIT_NOT_FOUND;
			goto out;
		}
		ck_pair_list_remove(&l, (size_t)i);
	}
	if (before == l.n) {
		printf("no pairing: generation %llu unchanged\n", (unsigned long long)n.gen);
		goto out;
	}
	err = ck_pair_list_put(n.dp, &l);
	if (err) {
		fprintf(stderr, "chipkey unpair: %s\n", strerror(-err));
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = ck_next_commit(&n);
	if (!ret)
		printf("unpaired %zu, generation %llu\n", before - l.n,
		       (unsigned long long)n.gen);
out:
	ck_pair_list_free(&l);
	ck_next_release(&n);
	rec_close(&rc);
	if (!ret && notify) {
		/* the lock released: pair sync takes it again (pair.c) */
		char *av[] = { "pair", "sync", "connect", (char *)notify, "--keys", (char *)n.keys,
			       "--store", (char *)n.store, "--db", (char *)n.db,
			       "--timeout", (char *)(timeout ? timeout : "120"),
			       "--peer", (char *)peer, NULL };

		fflush(stdout);
		ret = cmd_pair(cli, (int)(sizeof(av) / sizeof(av[0])) - 1, av);
		if (ret)
			fprintf(stderr, "chipkey unpair: unpaired here, but the other device was "
				"not told (--notify %s): chipkey pair sync with it later\n",
				notify);
	}
	return ret;
}
