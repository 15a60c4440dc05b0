// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-agent: the device side of factory provisioning (options and
 * dispatch; the TLS client is tls.c, the protocol provision.c).
 *
 *   chipkey-agent provision --spp HOST:PORT [--device DEV|emu:SOCK] --store DIR
 *                 [--timeout S] [--station-cert FILE --station-key FILE]
 *
 * --station-cert/--station-key: the factory line station's TLS client
 * credential (chipkey-factory init: station-cert.pem, station-key.pem),
 * which chipkey-spp requires unless it runs with --no-station-auth.
 *
 * Exit status (common/exit.h, docs/provisioning-protocol.md): 0 provisioned
 * (or already provisioned: store rewritten from the SPP's record), 1 usage,
 * 2-7 chip errors (as for chipkey), 8 other local error, 14 cannot write the
 * flash store, 19 SPP not trusted (credential does not chain to the ROM
 * key), 20 the SPP refused (ERROR reply), 21 connection or protocol failure.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exit.h"
#include "common/hostport.h"
#include "lib/libchipkey.h"
#include "agent.h"

static const char *prog = "chipkey-agent";

int agent_die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void usage(FILE *o)
{
	fprintf(o,
"usage: %s provision --spp HOST:PORT [--device DEV|emu:SOCK] --store DIR\n"
"                    [--timeout S] [--station-cert FILE --station-key FILE]\n"
"                    [--crl FILE]...\n"
"  --station-cert/--station-key  the factory station TLS client credential\n"
"                    (chipkey-factory init: station-cert.pem, station-key.pem)\n"
"  --crl FILE        CRLs of the manufacturer root and of issuing CAs\n"
"                    (PEM, one or a bundle, or DER; up to 8 files): a revoked\n"
"                    SPP certificate, issuing CA or device certificate is\n"
"                    refused, and so is everything under a CRL past its\n"
"                    nextUpdate, or whose issuer has no CRL among those given\n"
"exit: 0 provisioned, 1 usage, 2-7 chip error, 8 local error,\n"
"      14 cannot write the store, 19 SPP not trusted, 20 SPP refused,\n"
"      21 connection/protocol failure\n", prog);
}

static int provision_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spp", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "store", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "fault", required_argument, NULL, 'F' },
		{ "other-device", required_argument, NULL, 'O' },
		{ "fault-out", required_argument, NULL, 'X' },
		{ "station-cert", required_argument, NULL, 'c' },
		{ "station-key", required_argument, NULL, 'k' },
		{ "crl", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *spp = NULL, *dev = NULL, *st_cert = NULL, *st_key = NULL;
	struct agent a;
	const char *crl[AGENT_MAX_CRLS];
	size_t ncrl = 0;
	char why[256];
	int c, timeout = CK_SPP_TIMEOUT_STEP, ret;

	/* A peer that closes early (the SPP's per-address limit) must give an
	 * error and exit status 21, not kill the agent with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	memset(&a, 0, sizeof(a));
	a.c.fd = -1;
	a.fault = "";
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': spp = optarg; break;
		case 'd': dev = optarg; break;
		case 'o': a.store_dir = optarg; break;
		case 't': timeout = atoi(optarg); break;
		case 'c': st_cert = optarg; break;
		case 'k': st_key = optarg; break;
		case 'r':
			if (ncrl == AGENT_MAX_CRLS) {
				usage(stderr);
				return CK_EXIT_USAGE;
			}
			crl[ncrl++] = optarg;
			break;
#ifdef CK_AGENT_FAULTS
		case 'F': a.fault = optarg; break;
		case 'O': a.other_dev = optarg; break;
		case 'X': a.fault_out = optarg; break;
#endif
		case 'h': usage(stdout); return CK_EXIT_OK;
		default: usage(stderr); return CK_EXIT_USAGE;
		}
	}
	if (!spp || !ck_hostport_ok(spp, CK_HOSTPORT_DIAL) || !a.store_dir || optind != argc ||
	    timeout < 1 ||
	    !st_cert != !st_key) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (ncrl && !(a.crls = pki_crls_load(crl, ncrl, why, sizeof(why))))
		return agent_die(CK_EXIT_OTHER, "--crl %s", why);
	ret = agent_read_chip(&a, dev);
	if (ret)
		goto out;
	a.c.deadline = spp_now() + CK_SPP_TIMEOUT_SESSION;
	ret = agent_tls_connect(&a, spp, timeout, st_cert, st_key);
	if (!ret)
		ret = agent_provision(&a);
	agent_tls_close(&a, ret != CK_EXIT_PROTOCOL);
out:
	chipkey_close(a.ck);
	pki_crls_free(a.crls);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "provision"))
		return provision_cmd(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return CK_EXIT_OK;
	}
	usage(stderr);
	return CK_EXIT_USAGE;
}
