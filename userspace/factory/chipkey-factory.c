// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory: set up a factory and work with its PKI.
 * Never prints secret material.  See docs/factory-pki.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "pki.h"
#include "pool.h"

static const char *prog = "chipkey-factory";

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s COMMAND [ARGS]\n"
"  init DIR [--org NAME] [--spp-name HOST] [--ca-days N] [--spp-days N]\n"
"        [--db URL [--pool FILE] [--pregen N]]\n"
"        create a factory: manufacturer key + CA, master key, SPP credential;\n"
"        with --db also load an identity pool / pre-generate key pairs\n"
"  load-pool --db URL FILE   load identities (one per line) into database 140\n"
"  pregen-keys --db URL --count N   pre-generate N device key pairs into 140\n"
"        URL: sqlite:/path/file.db or postgresql://...\n"
"  identities --prefix DIGITS --count N [--start S]\n"
"        print N IMEI-style identities (prefix, serial from S, Luhn digit)\n"
"  issue DIR --identity IMEI --chip-id HEX (--pubkey SPKI.der | --key-out KEY.pem)\n"
"        [--out CERT.pem]   issue a device certificate (PEM to stdout or file)\n"
"  verify-device --rom MFR-PUBKEY.der CERT.pem [--identity IMEI] [--chip-id HEX]\n"
"        verify a device certificate against the ROM key, print what it names\n"
"  package DIR --identity IMEI --chip-id HEX --out FILE [--generation N]\n"
"        build a device's data package (secret: written 0600)\n"
"  dump FILE   decode a data package and list its entries (secrets redacted)\n",
		prog);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(-err));
	ERR_print_errors_fp(stderr);
	return 1;
}

static int parse_chip_id(const char *s, uint8_t out[CHIPKEY_CHIP_ID_LEN])
{
	if (!s || strlen(s) != 2 * CHIPKEY_CHIP_ID_LEN)
		return -EINVAL;
	for (int i = 0; i < CHIPKEY_CHIP_ID_LEN; i++) {
		unsigned int v;
		char b[3] = { s[2 * i], s[2 * i + 1], 0 };
		char *end;

		if (!strchr("0123456789abcdefABCDEF", b[0]) || !b[0] ||
		    !strchr("0123456789abcdefABCDEF", b[1]) || !b[1])
			return -EINVAL;
		v = (unsigned int)strtoul(b, &end, 16);
		out[i] = (uint8_t)v;
	}
	return 0;
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

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return -errno;
	buf = malloc(CK_DP_MAX_LEN + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, CK_DP_MAX_LEN + 1, f);
	fclose(f);
	if (n > CK_DP_MAX_LEN) {
		free(buf);
		return -EMSGSIZE;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	const uint8_t *p = data;

	if (fd < 0)
		return -errno;
	fchmod(fd, mode);
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int err = -errno;

			close(fd);
			unlink(path);
			return err;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0)
		return -errno;
	return 0;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "rb");
	X509 *x;

	if (!f)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (!x) {
		uint8_t *buf;
		size_t len;

		ERR_clear_error();
		fclose(f);
		if (read_all(path, &buf, &len))
			return NULL;
		x = pki_cert_from_der(buf, len);
		free(buf);
		return x;
	}
	fclose(f);
	return x;
}

enum { O_ORG = 256, O_SPP_NAME, O_CA_DAYS, O_SPP_DAYS, O_PREFIX, O_COUNT,
	O_START, O_IDENTITY, O_CHIP_ID, O_PUBKEY, O_KEY_OUT, O_OUT, O_ROM,
	O_GENERATION, O_DB, O_POOL, O_PREGEN };

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
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *org, *spp_name, *prefix, *identity, *chip_id, *pubkey;
	const char *key_out, *out, *rom, *db, *pool;
	unsigned long long ca_days, spp_days, count, start, generation, pregen;
	int have_count;
	const char *pos[2];
	int npos;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->generation = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case O_ORG: a->org = optarg; break;
		case O_SPP_NAME: a->spp_name = optarg; break;
		case O_CA_DAYS: err = parse_ulong(optarg, 36500, &a->ca_days); break;
		case O_SPP_DAYS: err = parse_ulong(optarg, 36500, &a->spp_days); break;
		case O_PREFIX: a->prefix = optarg; break;
		case O_COUNT:
			err = parse_ulong(optarg, 100000000000000ULL, &a->count);
			a->have_count = 1;
			break;
		case O_START: err = parse_ulong(optarg, 99999999999999ULL, &a->start); break;
		case O_IDENTITY: a->identity = optarg; break;
		case O_CHIP_ID: a->chip_id = optarg; break;
		case O_PUBKEY: a->pubkey = optarg; break;
		case O_KEY_OUT: a->key_out = optarg; break;
		case O_OUT: a->out = optarg; break;
		case O_ROM: a->rom = optarg; break;
		case O_GENERATION: err = parse_ulong(optarg, UINT64_MAX, &a->generation); break;
		case O_DB: a->db = optarg; break;
		case O_POOL: a->pool = optarg; break;
		case O_PREGEN: err = parse_ulong(optarg, 100000000ULL, &a->pregen); break;
		case 'h': usage(stdout); exit(0);
		default: return -EINVAL;
		}
		if (err) {
			fprintf(stderr, "%s: bad value for --%s: %s\n", prog,
				long_opts[c - O_ORG].name, optarg);
			return -EINVAL;
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == 2)
			return -EINVAL;
		a->pos[a->npos++] = argv[optind];
	}
	return 0;
}

static int cmd_init(struct args *a)
{
	struct ck_factory_opts o = {
		.org = a->org, .spp_name = a->spp_name,
		.ca_days = (int)a->ca_days, .spp_days = (int)a->spp_days,
	};
	int err;

	if (a->npos != 1 || ((a->pool || a->pregen) && !a->db)) {
		usage(stderr);
		return 2;
	}
	err = ck_factory_init(a->pos[0], &o);
	if (err == -EEXIST) {
		fprintf(stderr, "%s: %s already exists and is not empty; refusing to overwrite a factory\n",
			prog, a->pos[0]);
		return 1;
	}
	if (err)
		return fail("init", err);
	printf("factory created in %s\n", a->pos[0]);
	printf("  manufacturer CA certificate: %s/%s\n", a->pos[0], CK_FACTORY_MFR_CA_PEM);
	printf("  ROM public key (fuse image): %s/%s\n", a->pos[0], CK_FACTORY_MFR_PUBKEY);
	printf("  SPP certificate:             %s/%s\n", a->pos[0], CK_FACTORY_SPP_CERT);
	printf("  factory station credential:  %s/%s, %s/%s\n", a->pos[0],
	       CK_FACTORY_STATION_CERT, a->pos[0], CK_FACTORY_STATION_KEY);
	printf("  secret files (0600): %s, %s, %s, %s, %s\n", CK_FACTORY_MFR_KEY,
	       CK_FACTORY_MASTER_KEY, CK_FACTORY_SPP_KEY, CK_FACTORY_STATION_KEY,
	       CK_FACTORY_STATION_CERT);
	if (a->pool && pool_load(a->db, a->pool))
		return 1;
	if (a->pregen && pool_pregen_keys(a->db, a->pregen))
		return 1;
	return 0;
}

static int cmd_load_pool(struct args *a)
{
	if (a->npos != 1 || !a->db) {
		usage(stderr);
		return 2;
	}
	return pool_load(a->db, a->pos[0]) ? 1 : 0;
}

static int cmd_pregen_keys(struct args *a)
{
	if (a->npos || !a->db || !a->have_count) {
		usage(stderr);
		return 2;
	}
	return pool_pregen_keys(a->db, a->count) ? 1 : 0;
}

static int cmd_identities(struct args *a)
{
	char id[64];
	size_t plen;
	unsigned long long space = 1, serial;
	int width;

	if (a->npos || !a->prefix || !a->have_count) {
		usage(stderr);
		return 2;
	}
	plen = strlen(a->prefix);
	if (plen == 0 || plen > CK_DP_DEVICE_ID_LEN - 1 ||
	    strspn(a->prefix, "0123456789") != plen) {
		fprintf(stderr, "%s: --prefix must be 1 to 14 digits\n", prog);
		return 2;
	}
	width = (int)(CK_DP_DEVICE_ID_LEN - 1 - plen);
	for (int i = 0; i < width; i++)
		space *= 10;
	if (a->start > space || a->count > space - a->start) {
		fprintf(stderr, "%s: prefix %s has room for %llu identities from %llu\n",
			prog, a->prefix, space > a->start ? space - a->start : 0,
			a->start);
		return 1;
	}
	for (serial = a->start; serial < a->start + a->count; serial++) {
		int d;

		if (width)
			snprintf(id, sizeof(id), "%s%0*llu", a->prefix, width, serial);
		else
			snprintf(id, sizeof(id), "%s", a->prefix);
		d = ck_luhn_digit(id, CK_DP_DEVICE_ID_LEN - 1);
		id[CK_DP_DEVICE_ID_LEN - 1] = (char)d;
		id[CK_DP_DEVICE_ID_LEN] = '\0';
		if (printf("%s\n", id) < 0)
			return 1;
	}
	return fflush(stdout) ? 1 : 0;
}

static int write_cert_out(X509 *cert, const char *path)
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

static int write_key_pem(EVP_PKEY *key, const char *path)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	int err;

	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return -EIO;
	}
	n = BIO_get_mem_data(bio, &data);
	err = n > 0 ? write_new(path, data, (size_t)n, 0600) : -EIO;
	BIO_free(bio);
	return err;
}

static int cmd_issue(struct args *a)
{
	struct ck_factory *f = NULL;
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int err, rc = 1;

	if (a->npos != 1 || !a->identity || !a->chip_id ||
	    !!a->pubkey == !!a->key_out) {
		usage(stderr);
		return 2;
	}
	if (!ck_device_id_valid(a->identity)) {
		fprintf(stderr, "%s: %s is not a 15-digit identity with a valid check digit\n",
			prog, a->identity);
		return 2;
	}
	if (parse_chip_id(a->chip_id, chip)) {
		fprintf(stderr, "%s: --chip-id must be 32 hex digits\n", prog);
		return 2;
	}
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return fail("open factory", err);
	if (a->pubkey) {
		uint8_t *buf;
		size_t len;

		err = read_all(a->pubkey, &buf, &len);
		if (err) {
			fail(a->pubkey, err);
			goto out;
		}
		key = pki_public_from_der(buf, len);
		free(buf);
		if (!key) {
			fail(a->pubkey, -EINVAL);
			goto out;
		}
	} else {
		key = pki_ec_keygen();
		if (!key) {
			fail("keygen", -EIO);
			goto out;
		}
		err = write_key_pem(key, a->key_out);
		if (err) {
			fail(a->key_out, err);
			goto out;
		}
	}
	cert = pki_issue_device_cert(f->mfr_key, f->mfr_cert, a->identity, chip,
				     key, PKI_DEFAULT_DEVICE_DAYS);
	if (!cert) {
		fail("issue", -EIO);
		goto out;
	}
	err = write_cert_out(cert, a->out);
	if (err) {
		fail(a->out ? a->out : "stdout", err);
		goto out;
	}
	rc = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	ck_factory_close(f);
	return rc;
}

static void print_hex(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static int cmd_verify_device(struct args *a)
{
	uint8_t *rom = NULL, chip[CHIPKEY_CHIP_ID_LEN], want[CHIPKEY_CHIP_ID_LEN];
	size_t rom_len;
	char id[CK_DP_DEVICE_ID_LEN + 1];
	X509 *cert;
	int err;

	if (a->npos != 1 || !a->rom) {
		usage(stderr);
		return 2;
	}
	if (a->chip_id && parse_chip_id(a->chip_id, want)) {
		fprintf(stderr, "%s: --chip-id must be 32 hex digits\n", prog);
		return 2;
	}
	err = read_all(a->rom, &rom, &rom_len);
	if (err)
		return fail(a->rom, err);
	cert = read_cert(a->pos[0]);
	if (!cert) {
		free(rom);
		return fail(a->pos[0], -EINVAL);
	}
	err = pki_verify_device_cert(cert, rom, rom_len, a->identity,
				     a->chip_id ? want : NULL, 0);
	free(rom);
	if (err) {
		X509_free(cert);
		fprintf(stderr, "%s: %s: refused: %s\n", prog, a->pos[0],
			err == -EKEYREJECTED ? "not signed by the ROM key, wrong role or wrong device" :
			err == -EKEYEXPIRED ? "outside its validity period" :
			strerror(-err));
		return 1;
	}
	pki_cert_device_identity(cert, id);
	pki_cert_chip_id(cert, chip);
	X509_free(cert);
	printf("ok: identity %s chip-id ", id);
	print_hex(chip, sizeof(chip));
	printf("\n");
	return 0;
}

static int cmd_package(struct args *a)
{
	struct ck_factory *f = NULL;
	uint8_t chip[CHIPKEY_CHIP_ID_LEN], *buf = NULL;
	size_t len = 0;
	struct ck_dp *dp = NULL;
	int err;

	if (a->npos != 1 || !a->identity || !a->chip_id || !a->out) {
		usage(stderr);
		return 2;
	}
	if (!ck_device_id_valid(a->identity) || parse_chip_id(a->chip_id, chip)) {
		fprintf(stderr, "%s: bad --identity or --chip-id\n", prog);
		return 2;
	}
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return fail("open factory", err);
	err = ck_factory_build_package(f, a->identity, chip, NULL, a->generation,
				       &dp, NULL);
	ck_factory_close(f);
	if (!err)
		err = ck_dp_encode(dp, &buf, &len);
	ck_dp_free(dp);
	if (!err)
		err = write_new(a->out, buf, len, 0600);
	ck_dp_buf_free(buf, len);
	if (err)
		return fail("package", err);
	printf("data package for %s written to %s (%zu bytes)\n", a->identity,
	       a->out, len);
	return 0;
}

static int cmd_dump(struct args *a)
{
	uint8_t *buf;
	size_t len;
	struct ck_dp *dp;
	int err;

	if (a->npos != 1) {
		usage(stderr);
		return 2;
	}
	err = read_all(a->pos[0], &buf, &len);
	if (err)
		return fail(a->pos[0], err);
	err = ck_dp_decode(buf, len, &dp);
	ck_dp_buf_free(buf, len);
	if (err)
		return fail("not a valid data package", err);
	printf("data package v%d, %zu bytes, %zu entries\n", CK_DP_VERSION, len,
	       ck_dp_count(dp));
	for (size_t i = 0; i < ck_dp_count(dp); i++) {
		uint16_t type, flags;
		const uint8_t *v;
		size_t vlen;
		const char *name;

		ck_dp_entry(dp, i, &type, &flags, &v, &vlen);
		name = ck_dp_type_name(type);
		printf("  0x%04x %-12s %s %6zu bytes  ", type, name ? name : "(unknown)",
		       flags & CK_DP_F_CRITICAL ? "critical" : "        ", vlen);
		if (ck_dp_type_is_secret(type))
			printf("(secret)");
		else if (type == CK_DP_DEVICE_ID)
			printf("%.*s", (int)vlen, (const char *)v);
		else if (type == CK_DP_GENERATION || type == CK_DP_CREATED) {
			uint64_t x;

			ck_dp_u64(dp, type, &x);
			printf("%" PRIu64, x);
		} else if (type == CK_DP_CHIP_ID)
			print_hex(v, vlen);
		else
			printf("(DER)");
		printf("\n");
	}
	ck_dp_free(dp);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	/* Everything this tool creates (keys, databases, packages) is private. */
	umask(077);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (parse_args(argc - 1, argv + 1, &a)) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "init"))
		return cmd_init(&a);
	if (!strcmp(cmd, "identities"))
		return cmd_identities(&a);
	if (!strcmp(cmd, "issue"))
		return cmd_issue(&a);
	if (!strcmp(cmd, "verify-device"))
		return cmd_verify_device(&a);
	if (!strcmp(cmd, "package"))
		return cmd_package(&a);
	if (!strcmp(cmd, "load-pool"))
		return cmd_load_pool(&a);
	if (!strcmp(cmd, "pregen-keys"))
		return cmd_pregen_keys(&a);
	if (!strcmp(cmd, "dump"))
		return cmd_dump(&a);
	fprintf(stderr, "%s: unknown command %s\n", prog, cmd);
	usage(stderr);
	return 2;
}
