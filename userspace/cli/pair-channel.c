// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey pair channel listen|connect ... PEER: an authenticated channel
 * with a device this one is paired with (docs/pairing.md "The channel"):
 * TLS 1.3 keyed by a PSK derived from the pairing record's link key
 * (pair/channel.c), then standard input to the peer and the peer to
 * standard output until both ends are done.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/hex.h"
#include "common/hostport.h"
#include "common/identity.h"
#include "pair/channel.h"
#include "cli.h"
#include "nextgen.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: chipkey pair channel listen --port P [--bind ADDR] [--port-file FILE] PEER\n"
		"       chipkey pair channel connect HOST:PORT PEER\n"
		"  both [--store DIR] [--db URL] [--timeout S]; PEER: the peer's identity (15 digits)\n"
		"  or chip ID (32 hex digits), as chipkey pairs shows\n");
	return CK_EXIT_USAGE;
}

struct channel_args {
	enum ck_pair_role role;
	const char *target, *bind, *port_file, *store, *peer, *db;
	int port, timeout;
};

/*
 * The channel secret of the pairing with a->peer in this device's flash
 * store (read, authenticated by the chip; no lock: nothing is changed).
 * The records and the data package are wiped before returning.
 */
static int load_secret(struct ck_cli *cli, const struct channel_args *a,
		       struct ck_link_secret *sec)
{
	struct rec_ctx rc = { 0 };
	struct ck_next n = { .rc = &rc, .store = a->store, .prog = "pair channel",
			     .read_only = 1 };
	struct ck_pair_list l = { 0 };
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	int by_id = ck_identity_valid(a->peer), i, err, ret;

	if (!by_id && ck_hex_decode(a->peer, chip, sizeof(chip)))
		return CK_EXIT_USAGE;	/* checked by the caller */
	ret = rec_open(&rc, cli->device);
	if (ret) {
		fprintf(stderr, "chipkey: %s\n", rc.msg);
		return ret;
	}
	ret = ck_next_load(&n);
	if (ret)
		goto out;
	/* an older flash image put back must not bring back the channel to
	 * a peer a later generation unpaired (docs/pairing.md "No
	 * resurrection"): with a public database, it is asked first */
	n.db = rec_db_url(a->db);
	if (n.db) {
		ret = ck_next_behind(&n, 0);
		if (ret)
			goto out;
	}
	err = ck_pair_list_get(n.dp, &l);
	if (err) {
		fprintf(stderr, "chipkey pair channel: the pairing records do not parse: %s\n",
			strerror(-err));
		ret = ck_exit_for_errno(err);
		goto out;
	}
	i = ck_pair_list_find(&l, by_id ? a->peer : NULL, by_id ? NULL : chip);
	if (i < 0) {
		fprintf(stderr, "chipkey pair channel: not paired with %s\n", a->peer);
		ret = CK_EXIT_NOT_FOUND;
		goto out;
	}
	err = ck_pair_channel_secret(&l.v[i], n.identity, a->role, sec);
	if (err) {
		fprintf(stderr, "chipkey pair channel: cannot derive the channel key: %s\n",
			strerror(-err));
		ret = ck_exit_for_errno(err);
	}
out:
	ck_pair_list_free(&l);
	ck_next_release(&n);
	rec_close(&rc);
	return ret;
}

static int channel(struct ck_cli *cli, const struct channel_args *a)
{
	struct ck_link_secret sec;
	struct ck_link_conn c = { .fd = -1 };
	int fd, err, ret;

	ret = load_secret(cli, a, &sec);
	if (ret)
		return ret;
	signal(SIGPIPE, SIG_IGN);	/* a peer or reader that closes: an error */
	fd = a->role == CK_PAIR_LISTEN ? ck_pair_accept_one(a->bind, a->port, a->port_file,
							    a->timeout)
				       : ck_link_dial(a->target, a->timeout);
	if (fd < 0) {
		OPENSSL_cleanse(&sec, sizeof(sec));
		if (a->role == CK_PAIR_LISTEN && (fd == -ETIMEDOUT || fd == -EAGAIN)) {
			fprintf(stderr, "chipkey pair channel: no peer connected within %d s"
				" (--timeout)\n", a->timeout);
			return CK_EXIT_NETWORK;
		}
		fprintf(stderr, "chipkey pair channel: %s: %s\n", a->role == CK_PAIR_LISTEN ?
			"cannot listen" : a->target, strerror(-fd));
		return a->role == CK_PAIR_LISTEN ? CK_EXIT_OTHER : CK_EXIT_NETWORK;
	}
	err = ck_pair_channel_open(&c, fd, &sec, a->role);	/* wipes sec */
	if (err) {
		fprintf(stderr, "chipkey pair channel: handshake failed: %s\n",
			err == -ECONNREFUSED ? "the peer does not hold this pairing's link key "
					       "(or is not the device named), or no (EC)DHE; if it "
					       "no longer keeps the pairing, chipkey pair sync on "
					       "both devices removes this half too" :
			ck_link_strerror(err));
		ret = err == -ECONNREFUSED ? CK_EXIT_REFUSED :
		      err == -ECONNRESET || err == -EAGAIN || err == -ETIMEDOUT ?
		      CK_EXIT_PROTOCOL : ck_exit_for_errno(err);
		goto out;
	}
	fprintf(stderr, "chipkey pair channel: open with %s (%s, %s)\n", c.peer, c.cipher,
		c.group);
	err = ck_pair_channel_relay(&c, STDIN_FILENO, STDOUT_FILENO, a->timeout);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "chipkey pair channel: idle for %d s: closed\n", a->timeout);
		ret = CK_EXIT_PROTOCOL;
	} else if (err == -ECONNRESET) {
		fprintf(stderr, "chipkey pair channel: connection lost without close_notify "
			"(what arrived may be truncated)\n");
		ret = CK_EXIT_PROTOCOL;
	} else if (err) {
		fprintf(stderr, "chipkey pair channel: standard input/output: %s\n",
			strerror(-err));
		ret = CK_EXIT_OTHER;
	}
out:
	ck_link_conn_free(&c);
	close(fd);
	return ret;
}

int cmd_pair_channel(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "store", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "db", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct channel_args a = { .bind = "0.0.0.0", .store = REC_DEFAULT_STORE, .port = -1,
				  .timeout = 120 };
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	int c;

	optind = 0;	/* glibc: re-initialise, so options may follow the operands */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a.port = atoi(optarg); break;
		case 'b': a.bind = optarg; break;
		case 'P': a.port_file = optarg; break;
		case 's': a.store = optarg; break;
		case 't': a.timeout = atoi(optarg); break;
		case 'D': a.db = optarg; break;
		default: return usage();
		}
	}
	/* at most a day: poll() takes milliseconds in an int */
	if (optind >= argc || a.timeout < 1 || a.timeout > 86400)
		return usage();
	if (!strcmp(argv[optind], "listen") && argc - optind == 2 && a.port >= 0) {
		a.role = CK_PAIR_LISTEN;
		a.peer = argv[optind + 1];
	} else if (!strcmp(argv[optind], "connect") && argc - optind == 3 && a.port < 0 &&
		   !a.port_file) {
		a.role = CK_PAIR_CONNECT;
		a.target = argv[optind + 1];
		a.peer = argv[optind + 2];
		if (!ck_hostport_ok(a.target, CK_HOSTPORT_DIAL))
			return usage();
	} else {
		return usage();
	}
	if (!ck_identity_valid(a.peer) &&
	    (strlen(a.peer) != 2 * sizeof(chip) || ck_hex_decode(a.peer, chip, sizeof(chip)))) {
		fprintf(stderr, "chipkey pair channel: %s is neither an identity nor a chip ID\n",
			a.peer);
		return CK_EXIT_USAGE;
	}
	return channel(cli, &a);
}
