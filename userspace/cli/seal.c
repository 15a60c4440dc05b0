// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey seal --chip-key PUB --chip-id HEX IN OUT [--eph-key-out FILE]:
 * seal a data package to one chip's attestation key (the sender's side; no
 * device needed).  docs/attestation.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/attest.h"
#include "common/hex.h"
#include "cli.h"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey seal --chip-key PUB --chip-id HEX IN OUT [--eph-key-out FILE]\n");
	return CK_EXIT_USAGE;
}

int cmd_seal(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "chip-key", required_argument, NULL, 'k' },
		{ "chip-id", required_argument, NULL, 'i' },
		{ "eph-key-out", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_arg = NULL, *id_arg = NULL, *eph_path = NULL;
	uint8_t q[CHIPKEY_EC_POINT_LEN], id[CHIPKEY_CHIP_ID_LEN];
	uint8_t *in = NULL, *out = NULL;
	size_t in_len = 0, pem_len = 0;
	EVP_PKEY *eph = NULL;
	char *pem = NULL;
	int c, ret;

	(void)cli;
	/* options may follow the operands: restart getopt in permuting mode */
	optind = 0;
	while ((c = getopt_long(argc, argv, "k:i:e:", opts, NULL)) != -1) {
		if (c == 'k')
			key_arg = optarg;
		else if (c == 'i')
			id_arg = optarg;
		else if (c == 'e')
			eph_path = optarg;
		else
			return usage();
	}
	if (!key_arg || !id_arg || argc - optind != 2)
		return usage();
	if (ck_hex_decode(id_arg, id, sizeof(id))) {
		fprintf(stderr, "chipkey: bad chip ID '%s' (32 hex digits)\n", id_arg);
		return CK_EXIT_USAGE;
	}
	ret = ck_cli_read_pub(key_arg, q);
	if (ret)
		return ret;
	ret = ck_cli_read(argv[optind], &in, &in_len, CHIPKEY_MAX_PAYLOAD);
	if (ret)
		return ret;
	if (in_len > CHIPKEY_MAX_PAYLOAD) {
		fprintf(stderr, "chipkey: %s: larger than the limit of %d bytes\n",
			argv[optind], CHIPKEY_MAX_PAYLOAD);
		ret = CK_EXIT_TOO_LARGE;
		goto out;
	}
	out = malloc(ck_seal_size(in_len));
	if (!out) {
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = ck_att_seal(q, id, in, in_len, out, &eph);
	if (ret) {
		fprintf(stderr, "chipkey: seal: %s\n", strerror(-ret));
		ret = ck_exit_for_errno(ret);
		goto out;
	}
	if (eph_path) {
		ret = ck_att_priv_to_pem(eph, &pem, &pem_len);
		if (ret) {
			fprintf(stderr, "chipkey: cannot encode the ephemeral key: %s\n",
				strerror(-ret));
			ret = CK_EXIT_OTHER;
			goto out;
		}
		ret = ck_cli_write(eph_path, pem, pem_len, 0600);
		if (ret)
			goto out;
	}
	ret = ck_cli_write(argv[optind + 1], out, ck_seal_size(in_len), 0644);
out:
	if (pem)
		OPENSSL_clear_free(pem, pem_len);
	EVP_PKEY_free(eph);
	if (in)
		OPENSSL_clear_free(in, in_len);
	free(out);
	return ret;
}
