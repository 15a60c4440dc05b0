// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey status [--store DIR] [--keys DIR] [--json]
 *
 * Provisioned?  Identity, chip ID, certificate validity, store health,
 * generation.  Exit 0 healthy (the chip authenticated the manifest), 16 no
 * store, 15 store corrupt or unauthenticated / certificate invalid, 18 an
 * intact store of another chip, 3 not allowed to ask the chip for the MAC,
 * 2 chip unavailable (docs/recovery.md).  The certificate's validity period is reported, not
 * judged: a clock before PKI_CLOCK_FLOOR reports it as "unknown".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "recovery/rec_status.h"

/* @s, or NULL (JSON null) when there is nothing to say. */
static const char *opt(const char *s)
{
	return s && *s ? s : NULL;
}

static json_t *tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static const char *store_state(const struct rec_status *st)
{
	if (st->store_err == -ENOENT)
		return "missing";
	if (st->store_err == -EXDEV)
		return "other-chip";
	if (st->store_err == -ENOKEY || st->store_err == -EPERM || st->store_err == -EACCES)
		return "unverified";	/* no chip, or not allowed to ask it */
	if (st->store_err)
		return "corrupt";
	return "ok";
}

/* The --json document (docs/recovery.md, "chipkey status"). */
static json_t *status_json(const struct ck_cli *cli, const char *store, const char *keys,
			   const char *devmsg, const struct rec_status *st, int code)
{
	int problem = st->store_err != 0;

	return json_pack("{s:b, s:b, s:o, s:o, s:o,"
			 " s:{s:o, s:s, s:o, s:o, s:b}, s:o, s:o,"
			 " s:{s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:b}, s:i}",
		"provisioned", st->store_err != -ENOENT,
		"healthy", st->healthy,
		"device", ck_json_str(cli->device),
		"device_error", ck_json_str(opt(devmsg)),
		"chip_id", ck_json_str(st->device_ok ? opt(st->chip_hex) : NULL),
		"store",
			"path", ck_json_str(store),
			"state", store_state(st),
			"reason", ck_json_str(problem ? opt(st->why) : NULL),
			"chip_id", ck_json_str(st->manifest_ok ? opt(st->store_chip_hex) : NULL),
			"authenticated", st->authenticated,
		"identity", ck_json_str(st->manifest_ok ? opt(st->identity) : NULL),
		"generation", st->manifest_ok ? json_integer((json_int_t)st->generation) :
			      json_null(),
		"certificate",
			"valid", tri(st->cert_valid),
			"not_before", ck_json_str(opt(st->not_before)),
			"not_after", ck_json_str(opt(st->not_after)),
			"validity", ck_json_str(opt(st->validity)),
			"error", ck_json_str(opt(st->cert_msg)),
		"keys",
			"path", ck_json_str(keys),
			"loaded", st->keys_loaded,
		"exit", code);
}

int cmd_status(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct rec_ctx ctx = { .verbose = cli->verbose, .prog = "chipkey status" };
	const char *store = REC_DEFAULT_STORE, *keys = REC_DEFAULT_KEYS;
	struct rec_status st;
	int json = 0, c, code;
	char devmsg[512] = "";

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'k': keys = optarg; break;
		case 'j': json = 1; break;
		default:
			fprintf(stderr, "usage: chipkey status [--store DIR] [--keys DIR] [--json]\n");
			return CK_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: chipkey status [--store DIR] [--keys DIR] [--json]\n");
		return CK_EXIT_USAGE;
	}
	if (rec_open(&ctx, cli->device))
		snprintf(devmsg, sizeof(devmsg), "%s", ctx.msg);
	code = rec_status(&ctx, store, keys, &st);
	if (json) {
		int ret = ck_cli_print_json(status_json(cli, store, keys, devmsg, &st, code));

		if (ret)
			code = ret;
	} else {
		printf("device:       %s\n", cli->device);
		if (st.device_ok)
			printf("chip ID:      %s\n", st.chip_hex);
		else
			printf("chip ID:      unavailable (%s)\n", devmsg);
		printf("provisioned:  %s\n", st.store_err == -ENOENT ? "no" : "yes");
		printf("store:        %s: %s%s%s\n", store, store_state(&st),
		       st.store_err ? ": " : "", st.store_err ? st.why : "");
		if (st.manifest_ok) {
			printf("identity:     %s\n", st.identity);
			printf("generation:   %llu\n", (unsigned long long)st.generation);
		}
		if (st.cert_valid >= 0 || st.not_after[0])
			printf("certificate:  %s%s%s (not before %s, not after %s; validity period %s%s)\n",
			       st.cert_valid < 0 ? "not checked" :
			       st.cert_valid ? "valid" : "INVALID",
			       st.cert_msg[0] ? ": " : "", st.cert_msg,
			       st.not_before, st.not_after, st.validity,
			       !strcmp(st.validity, "unknown") ? ": the clock is not set" : "");
		printf("keys:         %s in %s\n", st.keys_loaded ? "loaded" : "not loaded", keys);
		printf("health:       %s\n", code == CK_EXIT_OK ? "ok" :
		       code == CK_EXIT_NO_STORE ? "no store: run chipkey recover" :
		       code == CK_EXIT_STORE_CORRUPT ? "NOT TRUSTED: run chipkey recover" :
		       code == CK_EXIT_OTHER_CHIP ? "ANOTHER CHIP'S STORE: wrong device, or forged (chipkey recover --replace-other-chip keeps it aside)" :
		       code == CK_EXIT_PERM ? "not verified: the chip's MAC needs CAP_SYS_ADMIN" :
		       "chip unavailable");
	}
	rec_close(&ctx);
	return code;
}
