// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey status [--store DIR] [--keys DIR] [--json]
 *
 * Provisioned?  Identity, chip ID, certificate validity, store health,
 * generation.  Exit 0 healthy, 16 no store, 15 store corrupt / certificate
 * invalid, 18 an intact store of another chip, 2 chip unavailable
 * (docs/recovery.md).  The certificate's validity period is reported, not
 * judged: a clock before PKI_CLOCK_FLOOR reports it as "unknown".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rec_status.h"

static void jopt(const char *s)
{
	if (s && *s)
		ck_json_string(s);
	else
		fputs("null", stdout);
}

static const char *tri(int v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

static const char *store_state(const struct rec_status *st)
{
	if (st->store_err == -ENOENT)
		return "missing";
	if (st->store_err)
		return "corrupt";
	if (st->chip_match == 0)
		return "other-chip";
	return "ok";
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
		printf("{\n  \"provisioned\": %s,\n  \"healthy\": %s,\n",
		       st.store_err == -ENOENT ? "false" : "true", st.healthy ? "true" : "false");
		printf("  \"device\": ");
		ck_json_string(cli->device);
		printf(",\n  \"device_error\": ");
		jopt(devmsg);
		printf(",\n  \"chip_id\": ");
		jopt(st.device_ok ? st.chip_hex : NULL);
		printf(",\n  \"store\": { \"path\": ");
		ck_json_string(store);
		printf(", \"state\": \"%s\", \"reason\": ", store_state(&st));
		jopt(st.store_err || st.chip_match == 0 ? st.why : NULL);
		printf(", \"chip_id\": ");
		jopt(st.manifest_ok ? st.store_chip_hex : NULL);
		printf(" },\n  \"identity\": ");
		jopt(st.manifest_ok ? st.identity : NULL);
		if (st.manifest_ok)
			printf(",\n  \"generation\": %llu", (unsigned long long)st.generation);
		else
			printf(",\n  \"generation\": null");
		printf(",\n  \"certificate\": { \"valid\": %s, \"not_before\": ", tri(st.cert_valid));
		jopt(st.not_before);
		printf(", \"not_after\": ");
		jopt(st.not_after);
		printf(", \"validity\": ");
		jopt(st.validity);
		printf(", \"error\": ");
		jopt(st.cert_msg);
		printf(" },\n  \"keys\": { \"path\": ");
		ck_json_string(keys);
		printf(", \"loaded\": %s },\n", st.keys_loaded ? "true" : "false");
		printf("  \"exit\": %d\n}\n", code);
	} else {
		printf("device:       %s\n", cli->device);
		if (st.device_ok)
			printf("chip ID:      %s\n", st.chip_hex);
		else
			printf("chip ID:      unavailable (%s)\n", devmsg);
		printf("provisioned:  %s\n", st.store_err == -ENOENT ? "no" : "yes");
		printf("store:        %s: %s%s%s\n", store, store_state(&st),
		       st.store_err || st.chip_match == 0 ? ": " : "",
		       st.store_err || st.chip_match == 0 ? st.why : "");
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
		printf("health:       %s\n", code == 0 ? "ok" :
		       code == 16 ? "no store: run chipkey recover" :
		       code == 15 ? "NOT TRUSTED: run chipkey recover" :
		       code == 18 ? "ANOTHER CHIP'S STORE: wrong device? (not recovered over)" :
		       "chip unavailable");
	}
	rec_close(&ctx);
	return code;
}
