// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey pair listen|connect: pairing two devices (docs/pairing.md).  The
 * pairing record is kept inside the data package: generation + 1, the
 * flash store switched, published (nextgen.c, shared with chipkey enroll).
 * chipkey pair sync listen|connect: the same session, then each side says
 * whether it keeps the pairing; a record the other side does not keep (or
 * keeps with another link key) is removed (docs/pairing.md "Sync").
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "common/hex.h"
#include "common/hostport.h"
#include "common/pki.h"
#include "link/device-keys.h"
#include "pair/pair.h"
#include "cli.h"
#include "nextgen.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: chipkey pair listen --port P [--bind ADDR] [--port-file FILE] [OPTIONS]\n"
		"       chipkey pair connect HOST:PORT [OPTIONS]\n"
		"  OPTIONS: [--exclusive] [--keys DIR] [--store DIR] [--db URL] [--confirm CODE]\n"
		"           [--timeout S] [--crl FILE]... [--state DIR] [--directory URL]\n"
		"       chipkey pair sync listen --port P [--bind ADDR] [--port-file FILE] [SYNC-OPTIONS]\n"
		"       chipkey pair sync connect HOST:PORT [SYNC-OPTIONS]\n"
		"  SYNC-OPTIONS: the OPTIONS but --exclusive and --confirm; [--peer ID]\n");
	return CK_EXIT_USAGE;
}

#define PAIR_CRL_MAX 16

struct pair_args {
	enum ck_pair_role role;
	const char *target, *bind, *port_file, *keys, *store, *db, *confirm, *state;
	const char *directory;	/* --directory URL: the peer must be in it */
	const char *crl[PAIR_CRL_MAX];	/* --crl FILE (repeatable) */
	int port, timeout, exclusive, ncrl;
	int sync;	/* chipkey pair sync */
	const char *peer;	/* sync --peer: the identity or chip ID (hex) expected */
};

/* The person's decision on @code: --confirm CODE, else a line from standard
 * input ("y"/"yes", or the six digits the other device shows). */
static int confirmed(const struct pair_args *a, const char *code)
{
	char line[64];
	size_t n;

	if (a->confirm)
		return strlen(a->confirm) == CK_PAIR_CODE_DIGITS &&
		       !CRYPTO_memcmp(a->confirm, code, CK_PAIR_CODE_DIGITS);
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "Does the other device show the code %s? [y/N] ", code);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return !strcmp(line, "y") || !strcmp(line, "yes") || !strcmp(line, code);
}

/* Exit code and message for an error of the session. */
static int session_error(const struct ck_pair_session *s, const char *step, int err)
{
	if (err == -EKEYREJECTED && !strcmp(step, "handshake")) {
		int e = s->peer.verify_err;

		fprintf(stderr, "chipkey pair: the peer's certificate is refused: %s\n",
			e == -EEXIST ? "it names this device's own identity" :
			e == -ENOENT ? "it names no chip attestation key" :
			e == -EKEYEXPIRED ? "outside its validity period" :
			e == -EKEYREVOKED ? "revoked (--crl)" :
			e == -ENODATA ? "no current CRL of its issuer among --crl (failing closed)" :
			e == -EKEYREJECTED ? "not a device certificate issued under the "
					     "manufacturer key in this device's ROM" :
			strerror(-e));
		return CK_EXIT_UNTRUSTED;
	}
	if (err == -EKEYREJECTED) {
		fprintf(stderr, "chipkey pair: the peer's chip did not prove it is live "
			"(ATTEST answer is not from the chip its certificate names)\n");
		return CK_EXIT_UNTRUSTED;
	}
	if (err == -ECONNREFUSED) {
		fprintf(stderr, "chipkey pair: %s failed: the peer sent no acceptable device "
			"certificate or refused ours\n", step);
		return CK_EXIT_REFUSED;
	}
	fprintf(stderr, "chipkey pair: %s: %s\n", step,
		err == -EBADMSG ? "protocol violated" :
		err == -ECONNRESET ? "connection lost" : strerror(-err));
	return err == -EBADMSG || err == -ECONNRESET || err == -EAGAIN ? CK_EXIT_PROTOCOL
								    : ck_exit_for_errno(err);
}

/* Keep the pairing: the record of the peer of @s with @key into the data
 * package of @n, as its next generation (stored, published).  *@stored:
 * the flash store holds it (the commit point), even if publishing failed. */
static int keep(const struct pair_args *a, struct ck_next *n, const struct ck_pair_session *s,
		const uint8_t key[CK_PAIR_KEY_LEN], int *stored)
{
	struct ck_pair_record r = { .role = a->role, .paired_at = time(NULL),
				    .flags = a->exclusive ? CK_PAIR_F_EXCLUSIVE : 0 };
	struct ck_pair_list l = { 0 };
	unsigned char *der = NULL;
	int len, err, rc;

	memcpy(r.identity, s->peer.identity, sizeof(r.identity));
	memcpy(r.chip_id, s->peer.chip_id, sizeof(r.chip_id));
	memcpy(r.link_key, key, CK_PAIR_KEY_LEN);
	len = i2d_X509(s->peer.cert, &der);
	err = len > 0 ? 0 : -ENOMEM;
	if (!err) {
		r.cert = der;
		r.cert_len = (size_t)len;
		err = ck_pair_list_get(n->dp, &l);
	}
	if (!err)
		err = ck_pair_list_add(&l, &r);
	if (!err)
		err = ck_pair_list_put(n->dp, &l);
	ck_pair_record_free(&r);
	ck_pair_list_free(&l);
	if (err) {
		fprintf(stderr, "chipkey pair: cannot add the pairing to the data package: %s\n",
			strerror(-err));
		return err == -EMSGSIZE || err == -ENOSPC ? CK_EXIT_TOO_LARGE : CK_EXIT_OTHER;
	}
	rc = ck_next_store(n);
	if (rc) {
		fprintf(stderr, "chipkey pair: nothing kept\n");
		return rc;
	}
	*stored = 1;
	rc = ck_next_finish(n);
	if (rc)
		fprintf(stderr, "chipkey pair: kept in the flash store (generation %llu), but not "
			"published: recovery from the public database would not restore it\n",
			(unsigned long long)n->gen);
	return rc;
}

/*
 * --crl: the CRL files into *@out (NULL without --crl), then the CRL
 * floor in STATE/crl-floor: a CRL older (lower cRLNumber) than the newest
 * of its issuer accepted here before is refused (exit 13).  The peer is
 * checked against them in the handshake (pair/tls.c).  0 or an exit code.
 */
static int load_crls(const struct pair_args *a, struct pki_crls **out)
{
	char why[512] = "", dir[4200];
	int err = 0;

	*out = NULL;
	for (int i = 0; i < a->ncrl && !err; i++)
		err = pki_crls_add(out, a->crl[i], why, sizeof(why));
	if (!err && *out) {
		snprintf(dir, sizeof(dir), "%s/crl-floor", a->state);
		err = mkdir(a->state, 0700) < 0 && errno != EEXIST ? -errno :
		      pki_crls_floor(*out, dir, NULL, 0, why, sizeof(why));
		if (err && !why[0])
			snprintf(why, sizeof(why), "%s: %s", a->state, strerror(-err));
	}
	if (!err)
		return CK_EXIT_OK;
	fprintf(stderr, "chipkey pair: --crl %s\n", why);
	pki_crls_free(*out);
	*out = NULL;
	return err == -ESTALE ? CK_EXIT_ROLLBACK : CK_EXIT_OTHER;
}

/*
 * Exclusive mode, checked before any contact: a device that keeps an
 * exclusive pairing takes part in no other pairing (either role, the same
 * peer included: unpair first); --exclusive only on a device that keeps no
 * pairing.  0 or an exit code.
 */
static int exclusive_check(const struct pair_args *a, const struct ck_next *n)
{
	struct ck_pair_list l = { 0 };
	int err = ck_pair_list_get(n->dp, &l), ret = CK_EXIT_OK;

	if (err) {
		fprintf(stderr, "chipkey pair: the pairing records do not parse: %s\n",
			strerror(-err));
		return ck_exit_for_errno(err);
	}
	for (size_t i = 0; i < l.n && !ret; i++) {
		if (l.v[i].flags & CK_PAIR_F_EXCLUSIVE) {
			fprintf(stderr, "chipkey pair: paired exclusively with %s: no other "
				"pairing (chipkey unpair first)\n", l.v[i].identity);
			ret = CK_EXIT_CONFLICT;
		}
	}
	if (!ret && a->exclusive && l.n) {
		fprintf(stderr, "chipkey pair: --exclusive: this device keeps %zu pairing(s) "
			"(chipkey unpair first)\n", l.n);
		ret = CK_EXIT_CONFLICT;
	}
	ck_pair_list_free(&l);
	return ret;
}

/*
 * After the handshake and the two ATTESTs: the commitment round, then show
 * the peer and the code,
 * the person's decision, the decisions exchanged, the record kept.  The
 * connector sends its decision first; the listener keeps the record only
 * if both accepted and then says accept; the connector keeps it on that.
 */
static int decide(const struct pair_args *a, struct ck_next *n, struct ck_pair_session *s)
{
	struct ck_pair_msg mine = { .type = CK_PAIR_DECISION }, theirs = { 0 };
	X509 *listener = a->role == CK_PAIR_LISTEN ? s->self->cert : s->peer.cert;
	X509 *connector = a->role == CK_PAIR_LISTEN ? s->peer.cert : s->self->cert;
	char chip[2 * CHIPKEY_CHIP_ID_LEN + 1], code[CK_PAIR_CODE_DIGITS + 1];
	uint8_t key[CK_PAIR_KEY_LEN], nl[CK_PAIR_NONCE_SIZE], nc[CK_PAIR_NONCE_SIZE];
	int err, ret, stored = 0;

	err = ck_pair_commit_round(s, nl, nc);
	if (err == -EBADE) {
		fprintf(stderr, "chipkey pair: the listener's nonce does not match its "
			"commitment: nothing kept\n");
		return CK_EXIT_PROTOCOL;
	}
	if (err)
		return session_error(s, "commitment", err);
	err = ck_pair_code(s->ssl, nl, nc, code);
	OPENSSL_cleanse(nl, sizeof(nl));
	OPENSSL_cleanse(nc, sizeof(nc));
	if (!err)
		err = ck_pair_link_key(s->ssl, listener, connector, key);
	if (err)
		return session_error(s, "exporter", err);
	ck_hex_encode(s->peer.chip_id, sizeof(s->peer.chip_id), chip);
	printf("peer: identity %s, chip ID %s\ncode: %s\n", s->peer.identity, chip, code);
	fflush(stdout);
	mine.accept = (uint8_t)confirmed(a, code);
	if (a->role == CK_PAIR_CONNECT) {
		err = ck_pair_msg_send(s->ssl, &mine);
		if (!err && mine.accept)
			err = ck_pair_msg_recv(s->ssl, CK_PAIR_DECISION, &theirs);
	} else {
		err = ck_pair_msg_recv(s->ssl, CK_PAIR_DECISION, &theirs);
	}
	if (err) {
		ret = session_error(s, "decision", err);
		if (a->role == CK_PAIR_CONNECT && mine.accept)
			fprintf(stderr, "chipkey pair: nothing kept here; the other device may "
				"have kept the pairing (chipkey pair sync on both devices "
				"resolves it)\n");
		goto out;
	}
	if (!mine.accept) {
		fprintf(stderr, "chipkey pair: not confirmed here: nothing kept\n");
		ret = CK_EXIT_REFUSED;
	} else if (!theirs.accept) {
		fprintf(stderr, "chipkey pair: the other device refused: nothing kept\n");
		ret = CK_EXIT_REFUSED;
	} else {
		ret = keep(a, n, s, key, &stored);
	}
	if (a->role == CK_PAIR_LISTEN) {
		/* our accept tells the connector the record is kept here */
		mine.accept = (uint8_t)stored;
		err = ck_pair_msg_send(s->ssl, &mine);
		if (err && stored)
			fprintf(stderr, "chipkey pair: paired here, but the other device may "
				"not have learnt it: %s (chipkey pair sync on both devices "
				"resolves it)\n", strerror(-err));
	}
	if (ret == CK_EXIT_OK)
		printf("paired with %s (chip ID %s), generation %llu\n", s->peer.identity, chip,
		       (unsigned long long)n->gen);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/*
 * chipkey pair sync, after the handshake and the two ATTESTs: our record of
 * the peer (if any) must name the certificate the peer presented, byte for
 * byte; each side says whether it keeps the pairing (SYNC, pair/sync.c);
 * a record the peer does not keep, or keeps with another link key, is
 * removed here (generation + 1, the step unpair takes).  No record is ever
 * added.  0 or an exit code.
 */
static int sync_peer(const struct pair_args *a, struct ck_next *n, struct ck_pair_session *s)
{
	struct ck_pair_list l = { 0 };
	char chip[2 * CHIPKEY_CHIP_ID_LEN + 1];
	unsigned char *der = NULL;
	int i, j, len, err, ret = CK_EXIT_OK, held = 0, same = 0;

	ck_hex_encode(s->peer.chip_id, sizeof(s->peer.chip_id), chip);
	/* --peer (unpair --notify): the device that answered must be that one;
	 * any other genuine device would sync about its own pairing only */
	if (a->peer && strcmp(a->peer, s->peer.identity) && strcasecmp(a->peer, chip)) {
		fprintf(stderr, "chipkey pair sync: the device that answered is identity %s, chip ID "
			"%s, not %s (--peer): nothing changed\n", s->peer.identity, chip, a->peer);
		return CK_EXIT_UNTRUSTED;
	}
	err = ck_pair_list_get(n->dp, &l);
	if (err) {
		fprintf(stderr, "chipkey pair sync: the pairing records do not parse: %s\n",
			strerror(-err));
		return ck_exit_for_errno(err);
	}
	i = ck_pair_list_find(&l, s->peer.identity, NULL);
	j = ck_pair_list_find(&l, NULL, s->peer.chip_id);
	len = i2d_X509(s->peer.cert, &der);
	if (len <= 0) {
		ret = CK_EXIT_OTHER;
		goto out;
	}
	/* the record's peer is this peer: identity, chip ID and certificate */
	if (i != j || (i >= 0 && (l.v[i].cert_len != (size_t)len ||
				  memcmp(l.v[i].cert, der, (size_t)len)))) {
		fprintf(stderr, "chipkey pair sync: the peer (identity %s, chip ID %s) is not the "
			"device of this device's pairing record: its certificate differs: nothing "
			"changed\n", s->peer.identity, chip);
		ret = CK_EXIT_UNTRUSTED;
		goto out;
	}
	err = ck_pair_sync_exchange(s, i >= 0 ? l.v[i].link_key : NULL, &held, &same);
	if (err) {
		ret = session_error(s, "sync", err);
		/* the connector sends its SYNC first: the listener may have
		 * received it and acted on it */
		if (s->role == CK_PAIR_CONNECT && i >= 0)
			fprintf(stderr, "chipkey pair sync: the other device may have removed its "
				"record after this device's SYNC; this device kept its own: run "
				"chipkey pair sync again\n");
		goto out;
	}
	if (i < 0) {
		printf(held ? "sync: %s keeps a pairing with this device, this device none: it "
			      "removes its record; generation %llu unchanged\n"
			    : "sync: neither %s nor this device keeps a pairing with the other; "
			      "generation %llu unchanged\n",
		       s->peer.identity, (unsigned long long)n->gen);
		goto out;
	}
	if (same) {
		printf("sync: both paired with %s (chip ID %s), the same link key; generation "
		       "%llu unchanged\n", s->peer.identity, chip, (unsigned long long)n->gen);
		goto out;
	}
	ck_pair_list_remove(&l, (size_t)i);
	err = ck_pair_list_put(n->dp, &l);
	if (err) {
		fprintf(stderr, "chipkey pair sync: %s\n", strerror(-err));
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = ck_next_commit(n);
	if (!ret)
		printf("sync: %s %s: removed the pairing with %s (chip ID %s), generation %llu\n",
		       s->peer.identity, held ? "keeps another link key" : "keeps no pairing",
		       s->peer.identity, chip, (unsigned long long)n->gen);
out:
	OPENSSL_free(der);
	ck_pair_list_free(&l);
	return ret;
}

static int pair(struct ck_cli *cli, const struct pair_args *a)
{
	uint8_t rom[CHIPKEY_MAX_ROM_KEY], chip_id[CHIPKEY_CHIP_ID_LEN], cert_chip[CHIPKEY_CHIP_ID_LEN];
	size_t rom_len = sizeof(rom);
	struct ck_pair_session s = { 0 };
	struct rec_ctx rc = { 0 };
	struct ck_next n = { .rc = &rc, .store = a->store, .db = a->db, .keys = a->keys,
			     .prog = a->sync ? "pair-sync" : "pair" };
	struct ck_link_device d;
	struct pki_crls *crls = NULL;
	struct chipkey *ck = NULL;
	const char *what;
	int has_chip = 0, fd = -1, err, ret;

	ret = ck_cli_rom_key(cli, NULL, rom, &rom_len, chip_id, &has_chip);
	if (ret)
		return ret;
	err = ck_link_device_load(&d, a->keys, rom, rom_len, &what);
	if (!err && (!d.key || !d.cert))
		what = !d.key ? "device-key.pem" : "device-cert.pem", err = -ENOENT;
	if (err) {
		fprintf(stderr, "chipkey pair: %s/%s: %s\n", a->keys, what, strerror(-err));
		ck_link_device_free(&d);
		return err == -ENOENT ? CK_EXIT_NO_STORE : err == -EPERM ? CK_EXIT_PERM
									 : CK_EXIT_MALFORMED;
	}
	if (pki_cert_chip_id(d.cert, cert_chip) || memcmp(cert_chip, chip_id, sizeof(chip_id))) {
		fprintf(stderr, "chipkey pair: %s/device-cert.pem does not name this chip\n",
			a->keys);
		ret = CK_EXIT_BAD_CERT;
		goto out;
	}
	ret = load_crls(a, &crls);
	if (ret)
		goto out;
	d.crls = crls;
	ret = ck_cli_open(cli, &ck);
	if (ret)
		goto out;
	/* the data package the pairing will be kept in: before any contact */
	rc.ck = ck;
	memcpy(rc.chip_id, chip_id, sizeof(chip_id));
	ck_hex_encode(chip_id, sizeof(chip_id), rc.chip_hex);
	memcpy(rc.rom, rom, rom_len);
	rc.rom_len = rom_len;
	rc.prog = "chipkey: pair";
	ret = ck_next_load(&n);
	if (!ret)	/* first: an exclusive flag of a store put back is not its own */
		ret = ck_next_catch_up(&n);
	if (!ret && !a->sync)	/* sync adds no pairing */
		ret = exclusive_check(a, &n);
	if (ret)
		goto out;
	signal(SIGPIPE, SIG_IGN);	/* a peer that closes is an error, not a kill */
	fd = a->role == CK_PAIR_LISTEN ? ck_pair_accept_one(a->bind, a->port, a->port_file,
							    a->timeout)
				       : ck_link_dial(a->target, a->timeout);
	if (fd == -ETIMEDOUT && a->role == CK_PAIR_LISTEN) {
		fprintf(stderr, "chipkey pair: no peer connected within %d s (--timeout): "
			"nothing kept\n", a->timeout);
		ret = CK_EXIT_NETWORK;
		goto out;
	}
	if (fd < 0) {
		fprintf(stderr, "chipkey pair: %s: %s\n", a->role == CK_PAIR_LISTEN ?
			"cannot listen" : a->target, strerror(-fd));
		ret = a->role == CK_PAIR_LISTEN ? CK_EXIT_OTHER : CK_EXIT_NETWORK;
		goto out;
	}
	err = ck_pair_tls(&s, &d, a->role, fd);
	if (err) {
		ret = session_error(&s, "handshake", err);
		goto out;
	}
	if (a->directory) {	/* before the chips attest, any code or person */
		char why[600] = "";

		err = ck_pair_directory_check(&s, a->directory, a->timeout, why, sizeof(why));
		if (err) {
			fprintf(stderr, "chipkey pair: --directory refuses the peer (identity %s): "
				"%s: nothing kept\n", s.peer.identity, why);
			ret = err == -ENETUNREACH ? CK_EXIT_NETWORK : CK_EXIT_UNTRUSTED;
			goto out;
		}
	}
	err = ck_pair_attest_exchange(&s, ck);
	if (err) {
		ret = session_error(&s, "attestation", err);
		goto out;
	}
	ret = a->sync ? sync_peer(a, &n, &s) : decide(a, &n, &s);
out:
	ck_next_release(&n);
	OPENSSL_cleanse(&rc, sizeof(rc));
	ck_pair_session_free(&s);
	if (fd >= 0)
		close(fd);
	if (ck)
		chipkey_close(ck);
	ck_link_device_free(&d);
	pki_crls_free(crls);
	return ret;
}

int cmd_pair(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "keys", required_argument, NULL, 'k' },
		{ "store", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "confirm", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "exclusive", no_argument, NULL, 'x' },
		{ "crl", required_argument, NULL, 'L' },
		{ "state", required_argument, NULL, 'S' },
		{ "directory", required_argument, NULL, 'y' },
		{ "peer", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct pair_args a = { .bind = "0.0.0.0", .keys = "/run/chipkey",
			       .store = REC_DEFAULT_STORE, .port = -1, .timeout = 120,
			       .state = "/var/lib/chipkey/pair" };
	int c;

	if (argc > 1 && !strcmp(argv[1], "channel"))	/* pair-channel.c */
		return cmd_pair_channel(cli, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "sync")) {
		a.sync = 1;
		argc--;
		argv++;
	}
	optind = 0;	/* glibc: re-initialise, so options may follow the operands */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a.port = atoi(optarg); break;
		case 'b': a.bind = optarg; break;
		case 'P': a.port_file = optarg; break;
		case 'k': a.keys = optarg; break;
		case 's': a.store = optarg; break;
		case 'D': a.db = optarg; break;
		case 'c': a.confirm = optarg; break;
		case 't': a.timeout = atoi(optarg); break;
		case 'x': a.exclusive = 1; break;
		case 'L':
			if (a.ncrl == PAIR_CRL_MAX) {
				fprintf(stderr, "chipkey pair: at most %d --crl\n", PAIR_CRL_MAX);
				return CK_EXIT_USAGE;
			}
			a.crl[a.ncrl++] = optarg;
			break;
		case 'S': a.state = optarg; break;
		case 'y': a.directory = optarg; break;
		case 'e': a.peer = optarg; break;
		default: return usage();
		}
	}
	if (optind >= argc || a.timeout < 1 || (a.sync && (a.exclusive || a.confirm)) ||
	    (a.peer && !a.sync))
		return usage();
	if (!strcmp(argv[optind], "listen") && argc - optind == 1 && a.port >= 0) {
		a.role = CK_PAIR_LISTEN;
	} else if (!strcmp(argv[optind], "connect") && argc - optind == 2 && a.port < 0 &&
		   !a.port_file) {
		a.role = CK_PAIR_CONNECT;
		a.target = argv[optind + 1];
		if (!ck_hostport_ok(a.target, CK_HOSTPORT_DIAL))
			return usage();	/* before the store is touched */
	} else {
		return usage();
	}
	if (a.confirm && (strlen(a.confirm) != CK_PAIR_CODE_DIGITS ||
			  strspn(a.confirm, "0123456789") != CK_PAIR_CODE_DIGITS)) {
		fprintf(stderr, "chipkey pair: --confirm takes the six digits of the code\n");
		return CK_EXIT_USAGE;
	}
	if (a.directory && strncmp(a.directory, "http://", 7) &&
	    strncmp(a.directory, "https://", 8)) {
		fprintf(stderr, "chipkey pair: --directory takes an http:// or https:// URL\n");
		return CK_EXIT_USAGE;
	}
	a.db = rec_db_url(a.db);
	if (!a.db) {
		fprintf(stderr, "chipkey pair: no public database (--db URL or $CHIPKEY_PUBDB)\n");
		return CK_EXIT_USAGE;
	}
	return pair(cli, &a);
}
