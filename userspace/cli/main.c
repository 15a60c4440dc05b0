// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: command-line front end of libchipkey.
 *
 *   chipkey [--device PATH|emu:SOCKET] [-v] COMMAND [ARGS]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*fn)(struct ck_cli *cli, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "info", cmd_info, "info [--json]             show what the chip is" },
	{ "wrap", cmd_wrap, "wrap [--generation N] IN OUT   data package -> backup package" },
	{ "unwrap", cmd_unwrap, "unwrap IN OUT             backup package -> data package" },
	{ "rom-key", cmd_rom_key, "rom-key [--pem] [OUT]     manufacturer public key (DER, or PEM)" },
	{ "attest-key", cmd_attest_key, "attest-key [--pem]        the chip's attestation public key (hex, or PEM)" },
	{ "attest", cmd_attest, "attest --peer PUB [--context FILE]   prove the live chip: MAC (hex)" },
	{ "seal", cmd_seal, "seal --chip-key PUB --chip-id HEX IN OUT [--eph-key-out FILE]\n"
	  "                  seal a data package to a chip (no device needed)" },
	{ "sealed-wrap", cmd_sealed_wrap, "sealed-wrap SEALED OUT --generation N [--context FILE]\n"
	  "                  sealed package -> backup package in the chip; MAC (hex)" },
	{ "mac", cmd_mac, "mac --purpose flash-manifest FILE   chip MAC of FILE (hex)" },
	{ "status", cmd_status, "status [--store DIR] [--keys DIR] [--json]   flash store health" },
	{ "recover", cmd_recover, "recover [--store DIR] [--keys DIR|--no-keys] [--from FILE | --db URL]\n"
	  "                  [--force | --replace-other-chip] [--crl FILE]... [--timeout S]\n"
	  "                  restore the store (docs/recovery.md)" },
	{ "enroll", cmd_enroll, "enroll --est URL [--anchor CA.pem] [--store DIR] [--keys DIR] [--db URL]\n"
	  "                  [--renew | --serverkeygen]   customer certificate over EST (--renew: renewal;\n"
	  "                  --serverkeygen: the node makes the key), next generation\n"
	  "                  (docs/enrollment.md)" },
	{ "load", cmd_load, "load [--store DIR] [--keys DIR]   verify the store, make its keys available" },
	{ "key", cmd_key, "key new NAME OUT [--size N] [--force] | key load NAME IN [--keyring K]\n"
	  "                  | key session | key find NAME\n"
	  "                  keys sealed to the chip for the kernel keyring (logon key chipkey:NAME)" },
	{ "update", cmd_update, "update install --image FILE --licence FILE [--slot-dir DIR] [--keys DIR]\n"
	  "                  [--rom-key FILE] [--class NAME] [--encrypted] [--crl FILE]...\n"
	  "                  | update status [--slot-dir DIR] [--json]   licensed software (docs/software-update.md)" },
	{ "backup", cmd_backup, "backup export FILE [--store DIR]   archive for offline recovery" },
	{ "pair", cmd_pair, "pair listen --port P [--bind ADDR] [--port-file FILE] | pair connect HOST:PORT\n"
	  "                  [--exclusive] [--keys DIR] [--store DIR] [--db URL] [--confirm CODE]\n"
	  "                  [--timeout S] [--crl FILE]... [--state DIR] [--directory URL]\n"
	  "                  pair with another device, a person confirms (docs/pairing.md)\n"
	  "                  | pair channel listen --port P [--bind ADDR] [--port-file FILE] PEER\n"
	  "                  | pair channel connect HOST:PORT PEER\n"
	  "                    both [--store DIR] [--db URL] [--timeout S]\n"
	  "                  authenticated channel with a paired device, stdin/stdout (docs/pairing.md)\n"
	  "                  | pair sync listen --port P [--bind ADDR] [--port-file FILE] | pair sync connect HOST:PORT\n"
	  "                    both [--keys DIR] [--store DIR] [--db URL] [--timeout S] [--peer ID]\n"
	  "                    [--crl FILE]... [--state DIR] [--directory URL]\n"
	  "                  both devices paired or neither: a record the peer does not keep is removed" },
	{ "pairs", cmd_pairs, "pairs [--store DIR] [--json]   the pairings kept (never the link keys)" },
	{ "unpair", cmd_unpair, "unpair PEER|--all [--store DIR] [--keys DIR] [--db URL]\n"
	  "                  [--notify HOST:PORT [--timeout S]]\n"
	  "                  remove a pairing (or all: change of owner), next generation;\n"
	  "                  --notify: then pair sync connect HOST:PORT --peer PEER" },
	{ "service", cmd_service, "service connect|list|get NAME OUT|install NAME --server HOST:PORT\n"
	  "                  --mode channel-key|cert|cms|broadcast [--sha384] [--keys DIR] [--state DIR]\n"
	  "                  [--rom-key FILE] [--timeout S] [--slot-dir DIR] [--class NAME] [--encrypted]\n"
	  "                  [--crl FILE]...   secure link to chipkey-service, its catalogue (docs/service-link.md)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: chipkey [--device PATH|emu:SOCKET] [-v] COMMAND [ARGS]\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  chipkey %s\n", commands[i].help);
	fprintf(f, "\nIN/OUT may be '-' for stdin/stdout.  The device defaults to\n"
		   "$CHIPKEY_DEVICE, else /dev/chipkey.  Exit codes: 0 ok, 1 usage,\n"
		   "2 device not available, 3 permission denied, 4 another chip's\n"
		   "package, 5 tampered, 6 malformed, 7 too large, 8 I/O or other;\n"
		   "status/recover/load/backup add 9-18 (docs/cli.md).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ck_cli cli = { 0 };
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "+d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli.device = optarg;
			break;
		case 'v':
			cli.verbose++;
			break;
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		default:
			usage(stderr);
			return CK_EXIT_USAGE;
		}
	}
	if (!cli.device || !*cli.device) {
		cli.device = getenv(CHIPKEY_DEVICE_ENV);
		if (!cli.device || !*cli.device)
			cli.device = CHIPKEY_DEFAULT_DEVICE;
	}
	if (optind >= argc) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;

			optind = 1;	/* subcommands parse their own options */
			return commands[i].fn(&cli, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "chipkey: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return CK_EXIT_USAGE;
}
