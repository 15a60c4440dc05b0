// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory: set up a factory and work with its PKI.  This file holds
 * the subcommand table, the usage text, the option parser and the helpers
 * the subcommands (cmd-*.c) share.  Never prints secret material.  See
 * docs/factory-pki.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <chipkey/data_package.h>

#include "common/attest.h"
#include "common/exit.h"
#include "common/file.h"
#include "common/hex.h"
#include "subcommands.h"

const char *const factory_prog = "chipkey-factory";

static const struct {
	const char *name;
	int (*fn)(const struct factory_args *a);
} subcommands[] = {
	{ "init", cmd_init },
	{ "load-pool", cmd_load_pool },
	{ "pregen-keys", cmd_pregen_keys },
	{ "identities", cmd_identities },
	{ "issue", cmd_issue },
	{ "verify-device", cmd_verify_device },
	{ "package", cmd_package },
	{ "dump", cmd_dump },
	{ "load-chips", cmd_load_chips },
	{ "station", cmd_station },
	{ "revoke", cmd_revoke },
	{ "spp-cred", cmd_spp_cred },
	{ "issuing-ca", cmd_issuing_ca },
	{ "licence-cred", cmd_licence_cred },
};

void factory_usage(FILE *f)
{
	fprintf(f,
"usage: %s COMMAND [ARGS]\n"
"  init DIR [--org NAME] [--spp-name HOST] [--ca-days N] [--spp-days N]\n"
"        [--db URL [--pool FILE] [--pregen N]]\n"
"        create a factory: manufacturer root key (to move offline) + root\n"
"        CA, issuing CA, master key, SPP TLS and record-signing credentials,\n"
"        a station credential (30 days), empty issuing CA and root CRLs;\n"
"        with --db also load an identity pool / pre-generate key pairs\n"
"  load-pool --db URL FILE   load identities (one per line) into database 140\n"
"  pregen-keys DIR --db URL --count N   pre-generate N device key pairs into\n"
"        140, the private keys sealed under DIR's master key\n"
"        URL: sqlite:/path/file.db or postgresql://...\n"
"  identities --prefix DIGITS --count N [--start S]\n"
"        print N IMEI-style identities (prefix, serial from S, Luhn digit)\n"
"  issue DIR --identity IMEI --chip-id HEX (--pubkey SPKI.der | --key-out KEY.pem)\n"
"        [--out CERT.pem] [--attest-key Q.pem]   issue a device certificate\n"
"        (PEM to stdout or file)\n"
"  verify-device --rom MFR-PUBKEY.der --issuing-ca CA.pem CERT.pem\n"
"        [--identity IMEI] [--chip-id HEX]   verify a device certificate and\n"
"        its issuing CA up to the ROM key, print what it names\n"
"  package DIR --identity IMEI --chip-id HEX --out FILE [--generation N]\n"
"        [--attest-key Q.pem]   build a device's data package (secret: written\n"
"        0600); with the chip's attestation key Q in its certificate\n"
"  load-chips --db URL --chip-ca CA.pem FILE...   check chip certificates\n"
"        (PEM) against the chip-vendor CA and load the chips into the batch\n"
"  station DIR --name NAME [--days N] --out-key KEY --out-cert CERT\n"
"        issue a line station's TLS client credential (default 30 days,\n"
"        at most 365; never overwrites: exit 22)\n"
"  revoke DIR [CERT] [--reason R] [--days N]   add a station, SPP TLS,\n"
"        record-signing or device certificate of this factory's issuing CA\n"
"        to its CRL\n"
"        DIR/station-crl.pem (without CERT: re-sign it);\n"
"        nextUpdate in N days (default 30); R: keyCompromise, superseded,\n"
"        cessationOfOperation, affiliationChanged, unspecified (default)\n"
"        --root-key KEY: CERT is an issuing CA, the CRL DIR/root-crl.pem,\n"
"        signed with the offline root key KEY\n"
"  spp-cred DIR --tls|--records|--service [--spp-name HOST] [--spp-days N]\n"
"        a new SPP TLS or record-signing credential, or the device service\n"
"        server's (service-key.pem, service-cert.pem), from the issuing CA\n"
"  issuing-ca DIR --root-key KEY [--ca-days N] [--spp-name HOST]\n"
"        a new issuing CA signed by the offline root key, with new TLS and\n"
"        record-signing credentials and an empty CRL (the old CRL is kept\n"
"        as DIR/ica-crl-<old serial>.pem)\n"
"  licence-cred DIR [--name CN] [--days N]   a new licence-signing credential\n"
"  licence DIR --image FILE --sequence N (--class NAME | --identity ID[,ID...] |\n"
"        --chip-id HEX[,HEX...]) [--not-before T] --not-after T --out FILE\n"
"        a software licence (docs/software-update.md)\n"
"  dump FILE   decode a data package and list its entries (secrets redacted)\n"
"exit status: 0 ok, 1 usage, otherwise as in docs/cli.md \"Exit codes\"\n",
		factory_prog);
}

int factory_usage_error(void)
{
	factory_usage(stderr);
	return CK_EXIT_USAGE;
}

int factory_fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", factory_prog, what, strerror(-err));
	ERR_print_errors_fp(stderr);
	/* An output file that exists already is never replaced. */
	return err == -EEXIST ? CK_EXIT_CONFLICT : ck_exit_for_errno(err);
}

int factory_parse_chip_id(const char *s, uint8_t out[CHIPKEY_CHIP_ID_LEN])
{
	return s ? ck_hex_decode(s, out, CHIPKEY_CHIP_ID_LEN) : -EINVAL;
}

int factory_read_file(const char *path, uint8_t **buf, size_t *len)
{
	int err = ck_file_read(path, buf, len, CK_DP_MAX_LEN);

	if (!err && *len > CK_DP_MAX_LEN) {
		OPENSSL_clear_free(*buf, *len);
		*buf = NULL;
		err = -EMSGSIZE;
	}
	return err;
}

int factory_read_attest_key(const char *path, uint8_t q[CHIPKEY_EC_POINT_LEN])
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = factory_read_file(path, &buf, &len);

	if (err)
		return factory_fail(path, err);
	err = ck_att_parse_pub(buf, len, q);
	free(buf);
	if (err) {
		fprintf(stderr, "%s: %s: not a P-256 public key (PEM or DER SPKI, 65 bytes or"
			" 130 hex digits)\n", factory_prog, path);
		return CK_EXIT_MALFORMED;
	}
	return CK_EXIT_OK;
}

int factory_write_cert_pem(X509 *cert, const char *path)
{
	FILE *f = path ? fopen(path, "wx") : stdout;
	int ok;

	if (!f)
		return -errno;
	ok = PEM_write_X509(f, cert);
	if (path)
		ok = fclose(f) == 0 && ok;
	else
		ok = fflush(f) == 0 && ok;
	return ok ? 0 : -EIO;
}

int factory_write_key_pem(EVP_PKEY *key, const char *path)
{
	BIO *bio;
	char *data;
	long n;
	int err;

	if (!strcmp(path, "-"))	/* a private key is never printed */
		return -EINVAL;
	bio = BIO_new(BIO_s_secmem());
	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return -EIO;
	}
	n = BIO_get_mem_data(bio, &data);
	err = n > 0 ? ck_file_write_atomic(path, data, (size_t)n, 0600, 0) : -EIO;
	BIO_free(bio);
	return err;
}

static int parse_ulong(const char *s, unsigned long long max,
		       unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { O_ORG = 256, O_SPP_NAME, O_CA_DAYS, O_SPP_DAYS, O_PREFIX, O_COUNT,
	O_START, O_IDENTITY, O_CHIP_ID, O_PUBKEY, O_KEY_OUT, O_OUT, O_ROM,
	O_GENERATION, O_DB, O_POOL, O_PREGEN, O_ATTEST_KEY, O_CHIP_CA, O_NAME,
	O_DAYS, O_OUT_KEY, O_OUT_CERT, O_REASON, O_ISSUING_CA, O_ROOT_KEY, O_TLS,
	O_RECORDS, O_SERVICE };

static const struct option long_opts[] = {
	{ "org", required_argument, NULL, O_ORG },
	{ "spp-name", required_argument, NULL, O_SPP_NAME },
	{ "ca-days", required_argument, NULL, O_CA_DAYS },
	{ "spp-days", required_argument, NULL, O_SPP_DAYS },
	{ "prefix", required_argument, NULL, O_PREFIX },
	{ "count", required_argument, NULL, O_COUNT },
	{ "start", required_argument, NULL, O_START },
	{ "identity", required_argument, NULL, O_IDENTITY },
	{ "chip-id", required_argument, NULL, O_CHIP_ID },
	{ "pubkey", required_argument, NULL, O_PUBKEY },
	{ "key-out", required_argument, NULL, O_KEY_OUT },
	{ "out", required_argument, NULL, O_OUT },
	{ "rom", required_argument, NULL, O_ROM },
	{ "generation", required_argument, NULL, O_GENERATION },
	{ "db", required_argument, NULL, O_DB },
	{ "pool", required_argument, NULL, O_POOL },
	{ "pregen", required_argument, NULL, O_PREGEN },
	{ "attest-key", required_argument, NULL, O_ATTEST_KEY },
	{ "chip-ca", required_argument, NULL, O_CHIP_CA },
	{ "name", required_argument, NULL, O_NAME },
	{ "days", required_argument, NULL, O_DAYS },
	{ "out-key", required_argument, NULL, O_OUT_KEY },
	{ "out-cert", required_argument, NULL, O_OUT_CERT },
	{ "reason", required_argument, NULL, O_REASON },
	{ "issuing-ca", required_argument, NULL, O_ISSUING_CA },
	{ "root-key", required_argument, NULL, O_ROOT_KEY },
	{ "tls", no_argument, NULL, O_TLS },
	{ "records", no_argument, NULL, O_RECORDS },
	{ "service", no_argument, NULL, O_SERVICE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, struct factory_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->generation = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case O_ORG:
			a->org = optarg;
			break;
		case O_SPP_NAME:
			a->spp_name = optarg;
			break;
		case O_CA_DAYS:
			err = parse_ulong(optarg, 36500, &a->ca_days);
			break;
		case O_SPP_DAYS:
			err = parse_ulong(optarg, 36500, &a->spp_days);
			break;
		case O_PREFIX:
			a->prefix = optarg;
			break;
		case O_COUNT:
			err = parse_ulong(optarg, 100000000000000ULL, &a->count);
			a->have_count = 1;
			break;
		case O_START:
			err = parse_ulong(optarg, 99999999999999ULL, &a->start);
			break;
		case O_IDENTITY:
			a->identity = optarg;
			break;
		case O_CHIP_ID:
			a->chip_id = optarg;
			break;
		case O_PUBKEY:
			a->pubkey = optarg;
			break;
		case O_KEY_OUT:
			a->key_out = optarg;
			break;
		case O_OUT:
			a->out = optarg;
			break;
		case O_ROM:
			a->rom = optarg;
			break;
		case O_GENERATION:
			err = parse_ulong(optarg, UINT64_MAX, &a->generation);
			break;
		case O_DB:
			a->db = optarg;
			break;
		case O_POOL:
			a->pool = optarg;
			break;
		case O_PREGEN:
			err = parse_ulong(optarg, 100000000ULL, &a->pregen);
			break;
		case O_ATTEST_KEY:
			a->attest_key = optarg;
			break;
		case O_CHIP_CA:
			a->chip_ca = optarg;
			break;
		case O_ISSUING_CA:
			a->issuing_ca = optarg;
			break;
		case O_ROOT_KEY:
			a->root_key = optarg;
			break;
		case O_TLS:
			a->tls = 1;
			break;
		case O_RECORDS:
			a->records = 1;
			break;
		case O_SERVICE:
			a->service = 1;
			break;
		case O_NAME:
			a->name = optarg;
			break;
		case O_DAYS:
			err = parse_ulong(optarg, 36500, &a->days);
			break;
		case O_OUT_KEY:
			a->out_key = optarg;
			break;
		case O_OUT_CERT:
			a->out_cert = optarg;
			break;
		case O_REASON:
			a->reason = optarg;
			break;
		case 'h':
			factory_usage(stdout);
			exit(CK_EXIT_OK);
		default:
			return -EINVAL;
		}
		if (err) {
			fprintf(stderr, "%s: bad value for --%s: %s\n", factory_prog,
				long_opts[c - O_ORG].name, optarg);
			return -EINVAL;
		}
	}
	a->pos = (const char *const *)argv + optind;
	a->npos = argc - optind;
	return 0;
}

int main(int argc, char **argv)
{
	struct factory_args a;
	const char *cmd;

	if (argc < 2)
		return factory_usage_error();
	cmd = argv[1];
	/* Everything this tool creates (keys, databases, packages) is private. */
	umask(077);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		factory_usage(stdout);
		return CK_EXIT_OK;
	}
	if (!strcmp(cmd, "licence"))	/* options of its own */
		return cmd_licence(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(cmd, subcommands[i].name))
			continue;
		if (parse_args(argc - 1, argv + 1, &a))
			return factory_usage_error();
		return subcommands[i].fn(&a);
	}
	fprintf(stderr, "%s: unknown command %s\n", factory_prog, cmd);
	return factory_usage_error();
}
