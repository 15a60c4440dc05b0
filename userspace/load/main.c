// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-load: `chipkey load` as its own small program, for the boot path
 * (chipkey-boot, chipkey-load.service), which runs it on every boot of a
 * device with an intact store.
 *
 *   chipkey-load [--device PATH|emu:SOCKET] [-v] [--store DIR] [--keys DIR]
 *
 * The same procedure (recovery/load.c: the chip recomputes the manifest's
 * MAC, the backup is unwrapped and verified like a recovery would, the
 * keys directory is switched as a whole), the same output and exit codes
 * as `chipkey load` (docs/cli.md).  What makes it cheaper to start
 * (bench/recovery, issue 14): it links only what loading needs (libcrypto,
 * jansson and the device-side libraries; no libssl, no libcurl), the
 * release build links them statically (userspace/Makefile LOAD_STATIC),
 * and OpenSSL is initialised without reading openssl.cnf, without its
 * error strings and without the legacy cipher table: loading uses SHA-256
 * and ECDSA P-256 of the built-in default provider only, and a boot must
 * not depend on a configuration file outside the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "common/exit.h"
#include "lib/libchipkey.h"
#include "recovery/recovery.h"

#define PROG "chipkey-load"

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " [--device PATH|emu:SOCKET] [-v] [--store DIR] [--keys DIR]\n\n"
		   "Verify the flash store (default " REC_DEFAULT_STORE "), unwrap it through\n"
		   "the chip and write the keys directory (default " REC_DEFAULT_KEYS "):\n"
		   "what `chipkey load` does, as a small program for the boot path.\n"
		   "The device defaults to $CHIPKEY_DEVICE, else /dev/chipkey.\n"
		   "  -v, --verbose   progress lines on stderr\n"
		   "  -h, --help      this text\n"
		   "Exit codes: 0 keys available, 15 store corrupt, 16 no store,\n"
		   "17 keys directory not writable, 18 another chip's store (docs/cli.md).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct rec_ctx ctx = { .prog = PROG };
	const char *device = NULL, *store = REC_DEFAULT_STORE, *keys = REC_DEFAULT_KEYS;
	struct rec_result res;
	int c, code;

	while ((c = getopt_long(argc, argv, "d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': device = optarg; break;
		case 'v': ctx.verbose++; break;
		case 's': store = optarg; break;
		case 'k': keys = optarg; break;
		case 'h':
			usage(stdout);
			return CK_EXIT_OK;
		default:
			usage(stderr);
			return CK_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (!device || !*device) {
		device = getenv(CHIPKEY_DEVICE_ENV);
		if (!device || !*device)
			device = CHIPKEY_DEFAULT_DEVICE;
	}
	/* before the first use of libcrypto (see the top of this file) */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
			    OPENSSL_INIT_NO_ADD_ALL_CIPHERS, NULL);
	code = rec_open(&ctx, device);
	if (!code)
		code = rec_load(&ctx, store, keys, &res);
	if (code)
		fprintf(stderr, PROG ": %s (exit %d: %s)\n", ctx.msg, code, ck_exit_name(code));
	else
		printf("loaded identity %s, generation %llu, keys in %s\n", res.identity,
		       (unsigned long long)res.generation, keys);
	rec_close(&ctx);
	return code;
}
