// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-enroll: the customer node (docs/enrollment.md,
 * man/chipkey-enroll.8).  The customer CA, the whitelist and issuance
 * ledger, and an EST (RFC 7030) server over HTTPS that gives each genuine,
 * whitelisted device one customer certificate.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/exit.h"
#include "ca.h"
#include "conns.h"
#include "crl.h"
#include "est.h"
#include "http.h"
#include "ledger.h"
#include "whitelist.h"
#include "factory/station-crl.h"

#define CRL_MAX		16

static void usage(FILE *f)
{
	fprintf(f,
"usage: chipkey-enroll init DIR --org NAME --mfr-ca FILE [--tls-name NAME]\n"
"       chipkey-enroll whitelist DIR FILE\n"
"       chipkey-enroll serve DIR --listen ADDR:PORT [--cert FILE --key FILE]\n"
"              [--port-file FILE] [--crl FILE]... [--days N] [--challenge-ttl S]\n"
"              [--max-conns N] [--max-per-ip N] [--request-timeout S]\n"
"              [--crl-days N] [--renew-after S]\n"
"       chipkey-enroll issuances DIR [--json]\n"
"       chipkey-enroll revoke DIR SERIAL|--identity ID [--reason R] [--by NAME]\n"
"              [--crl-days N]\n"
"  init        make the customer CA, its TLS server credential and the ledger\n"
"              in the new directory DIR; import the manufacturer CA FILE\n"
"  whitelist   import a shipment list (identities and/or chip IDs)\n"
"  serve       the EST server (cacerts, csrattrs, simpleenroll, serverkeygen,\n"
"              simplereenroll) and the customer CA's CRL (GET " ENROLL_CRL_PATH ")\n"
"  issuances   list the certificates issued (who, when, serial, renewals,\n"
"              revocations)\n"
"  revoke      revoke a customer certificate (or all of an identity's) and\n"
"              sign a new CRL; R: unspecified, keyCompromise,\n"
"              affiliationChanged, superseded, cessationOfOperation\n"
"exit status: as in docs/cli.md \"Exit codes\"\n");
}

static int usage_error(void)
{
	usage(stderr);
	return CK_EXIT_USAGE;
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= min && v <= max ? v : LONG_MIN;
}

static int serve(const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "crl", required_argument, NULL, 'r' },
		{ "days", required_argument, NULL, 'd' },
		{ "challenge-ttl", required_argument, NULL, 't' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "max-per-ip", required_argument, NULL, 'P' },
		{ "request-timeout", required_argument, NULL, 'T' },
		{ "crl-days", required_argument, NULL, 'C' },
		{ "renew-after", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	char cert[PATH_MAX], key[PATH_MAX], err[256];
	const char *crl_files[CRL_MAX];
	struct http_opts o = { .max_conns = CONNS_MAX, .max_per_ip = CONNS_MAX_PER_ADDR,
			       .request_timeout = CONNS_REQUEST_TIMEOUT, .crl_files = crl_files };
	struct enroll_node n = { .days = 3650, .challenge_ttl = 120,
				 .crl_days = PKI_DEFAULT_CRL_DAYS,
				 .renew_after = ENROLL_RENEW_AFTER };
	long v;
	int c, ret;

	if (snprintf(cert, sizeof(cert), "%s/%s", dir, ENROLL_TLS_CERT) >= (int)sizeof(cert) ||
	    snprintf(key, sizeof(key), "%s/%s", dir, ENROLL_TLS_KEY) >= (int)sizeof(key))
		return usage_error();
	o.cert = cert;
	o.key = key;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'c': o.cert = optarg; break;
		case 'k': o.key = optarg; break;
		case 'p': o.port_file = optarg; break;
		case 'r':
			if (o.n_crl == CRL_MAX)
				goto bad;
			crl_files[o.n_crl++] = optarg;
			if (pki_crls_add(&n.crls, optarg, err, sizeof(err))) {
				fprintf(stderr, "chipkey-enroll: %s\n", err);
				pki_crls_free(n.crls);
				return CK_EXIT_MALFORMED;
			}
			break;
		case 'd':
			if ((v = number(optarg, 0, 36500)) == LONG_MIN)
				goto bad;
			n.days = (int)v;
			break;
		case 't':
			if ((v = number(optarg, 0, 86400)) == LONG_MIN)
				goto bad;
			n.challenge_ttl = (int)v;
			break;
		case 'M':
			if ((v = number(optarg, 1, 65536)) == LONG_MIN)
				goto bad;
			o.max_conns = (int)v;
			break;
		case 'P':
			if ((v = number(optarg, 1, 65536)) == LONG_MIN)
				goto bad;
			o.max_per_ip = (int)v;
			break;
		case 'T':
			if ((v = number(optarg, 1, 3600)) == LONG_MIN)
				goto bad;
			o.request_timeout = (int)v;
			break;
		case 'C':
			if ((v = number(optarg, 1, PKI_MAX_CRL_DAYS)) == LONG_MIN)
				goto bad;
			n.crl_days = (int)v;
			break;
		case 'R':
			if ((v = number(optarg, 0, 366L * 86400)) == LONG_MIN)
				goto bad;
			n.renew_after = (int)v;
			break;
		default:
			goto bad;
		}
	}
	if (!o.listen || optind != argc)
		goto bad;
	if (n.days > 0 && n.renew_after >= (long)n.days * 86400) {
		fprintf(stderr, "chipkey-enroll: --renew-after %d is not below the validity (--days %d):"
			" no certificate could ever renew\n", n.renew_after, n.days);
		goto bad;
	}
	ret = enroll_ca_open(dir, &n.ca);
	if (ret) {
		pki_crls_free(n.crls);
		return ret;
	}
	n.ledger = ledger_open(dir);
	n.proofs = proof_table_new();
	ret = n.ledger && n.proofs ? http_serve(&o, &n) : CK_EXIT_OTHER;
	proof_table_free(n.proofs);
	ledger_close(n.ledger);
	enroll_ca_close(&n.ca);
	pki_crls_free(n.crls);
	return ret;
bad:
	pki_crls_free(n.crls);
	return usage_error();
}

static int init(const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "mfr-ca", required_argument, NULL, 'm' },
		{ "tls-name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *org = NULL, *mfr = NULL, *name = "localhost";
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			org = optarg;
		else if (c == 'm')
			mfr = optarg;
		else if (c == 'n')
			name = optarg;
		else
			return usage_error();
	}
	if (!org || !mfr || optind != argc)
		return usage_error();
	return enroll_ca_init(dir, org, mfr, name);
}

static int issuances(const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ledger *l;
	int c, json = 0, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return usage_error();
		json = 1;
	}
	if (optind != argc)
		return usage_error();
	l = ledger_open(dir);
	if (!l)
		return CK_EXIT_OTHER;
	err = ledger_list(l, stdout, json);
	ledger_close(l);
	if (err || fflush(stdout))
		return CK_EXIT_OTHER;
	return CK_EXIT_OK;
}

static int cmd_revoke(const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "reason", required_argument, NULL, 'r' },
		{ "by", required_argument, NULL, 'b' },
		{ "crl-days", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *identity = NULL, *serial = NULL, *reason = "unspecified", *by = NULL;
	struct passwd *pw;
	struct enroll_ca ca;
	struct ledger *l;
	int c, days = PKI_DEFAULT_CRL_DAYS, err, ret;
	long v;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': identity = optarg; break;
		case 'r': reason = optarg; break;
		case 'b': by = optarg; break;
		case 'C':
			if ((v = number(optarg, 1, PKI_MAX_CRL_DAYS)) == LONG_MIN)
				return usage_error();
			days = (int)v;
			break;
		default:
			return usage_error();
		}
	}
	if (optind < argc)
		serial = argv[optind++];
	if (optind != argc || !serial == !identity || station_crl_reason(reason) == -2 ||
	    (by && (!*by || strlen(by) > 128)))
		return usage_error();
	if (!by) {
		pw = getpwuid(geteuid());
		by = pw && pw->pw_name ? pw->pw_name : "?";
	}
	ret = enroll_ca_open(dir, &ca);
	if (ret)
		return ret;
	l = ledger_open(dir);
	if (!l) {
		enroll_ca_close(&ca);
		return CK_EXIT_OTHER;
	}
	err = enroll_crl_revoke(l, &ca, serial, identity, reason, by, days);
	ledger_close(l);
	enroll_ca_close(&ca);
	switch (err) {
	case 0:
		return fflush(stdout) ? CK_EXIT_OTHER : CK_EXIT_OK;
	case -EINVAL:
		fprintf(stderr, "chipkey-enroll: %s: not a serial number (hex)\n", serial);
		return CK_EXIT_MALFORMED;
	case -ENOENT:
		fprintf(stderr, "chipkey-enroll: no such certificate in the ledger\n");
		return CK_EXIT_NOT_FOUND;
	case -EALREADY:
		fprintf(stderr, "chipkey-enroll: revoked before (nothing changed)\n");
		return CK_EXIT_CONFLICT;
	default:
		fprintf(stderr, "chipkey-enroll: revoke: %s\n", strerror(-err));
		return CK_EXIT_OTHER;
	}
}

int main(int argc, char **argv)
{
	const char *cmd, *dir;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return CK_EXIT_OK;
	}
	if (argc < 3)
		return usage_error();
	cmd = argv[1];
	dir = argv[2];
	/* the subcommand's options follow DIR: getopt from there */
	argv[2] = argv[1];
	argc -= 2;
	argv += 2;
	optind = 1;
	if (!strcmp(cmd, "init"))
		return init(dir, argc, argv);
	if (!strcmp(cmd, "serve"))
		return serve(dir, argc, argv);
	if (!strcmp(cmd, "issuances"))
		return issuances(dir, argc, argv);
	if (!strcmp(cmd, "revoke"))
		return cmd_revoke(dir, argc, argv);
	if (!strcmp(cmd, "whitelist")) {
		if (argc != 2)
			return usage_error();
		return whitelist_import(dir, argv[1]);
	}
	return usage_error();
}
