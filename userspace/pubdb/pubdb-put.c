// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb-put: build, sign, post and fetch public database records.
 *
 *   chipkey-pubdb-put --url URL --key writer.key --cert writer.pem \
 *       --chip HEX --generation N --identity IMEI --backup FILE \
 *       --device-cert FILE [--out FILE] [--no-post]
 *       builds the signed record (docs/pubdb-api.md), writes it to --out
 *       if given, and POSTs it unless --no-post.
 *   chipkey-pubdb-put --url URL --get HEX [--generation N] [--verify CA.pem]
 *       [--out FILE] [--backup-out FILE]
 *       fetches a record, prints its fields, optionally verifies it.
 *
 * Exit status: 0 ok, 1 error, 3 refused (401/403), 4 conflict (409),
 * 5 not found (404).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "pubdb_client.h"
#include "store.h"

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > (64u << 20)) {
				free(buf);
				fclose(f);
				return -EFBIG;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static int write_file(const char *path, const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0)
		return -EIO;
	return 0;
}

/* DER of a certificate file that is PEM or DER */
static int cert_der(const char *path, uint8_t **der, size_t *len)
{
	uint8_t *raw;
	size_t n;
	int rc = read_file(path, &raw, &n);
	BIO *bio;
	X509 *x;
	unsigned char *out = NULL;
	int k;

	if (rc)
		return rc;
	if (n > 0 && raw[0] == 0x30) {
		*der = raw;
		*len = n;
		return 0;
	}
	bio = BIO_new_mem_buf(raw, (int)n);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(raw);
	if (!x)
		return -EINVAL;
	k = i2d_X509(x, &out);
	X509_free(x);
	if (k <= 0)
		return -EINVAL;
	*der = malloc((size_t)k);
	memcpy(*der, out, (size_t)k);
	OPENSSL_free(out);
	*len = (size_t)k;
	return 0;
}

static int exit_for(int rc)
{
	switch (rc) {
	case 0: return 0;
	case -EACCES: return 3;
	case -EEXIST: return 4;
	case -ENOENT: return 5;
	}
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chipkey-pubdb-put --url URL --key KEY.pem --cert CERT.pem --chip HEX\n"
		"           --generation N --identity IMEI --backup FILE --device-cert FILE\n"
		"           [--out FILE] [--no-post] [--unsigned (tests: no key, no signature)]\n"
		"       chipkey-pubdb-put --url URL --get HEX [--generation N]\n"
		"           [--verify CA.pem] [--out FILE] [--backup-out FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "chip", required_argument, NULL, 'i' },
		{ "generation", required_argument, NULL, 'g' },
		{ "identity", required_argument, NULL, 'I' },
		{ "backup", required_argument, NULL, 'b' },
		{ "device-cert", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "no-post", no_argument, NULL, 'n' },
		{ "unsigned", no_argument, NULL, 'U' },
		{ "get", required_argument, NULL, 'G' },
		{ "verify", required_argument, NULL, 'v' },
		{ "backup-out", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *keyf = NULL, *certf = NULL, *chip = NULL, *ident = NULL;
	const char *backupf = NULL, *devf = NULL, *outf = NULL, *get = NULL, *verify = NULL;
	const char *backup_out = NULL;
	uint64_t gen = 0;
	int opt, no_post = 0, unsig = 0, rc;
	char err[512];
	long status = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': url = optarg; break;
		case 'k': keyf = optarg; break;
		case 'c': certf = optarg; break;
		case 'i': chip = optarg; break;
		case 'g': gen = strtoull(optarg, NULL, 10); break;
		case 'I': ident = optarg; break;
		case 'b': backupf = optarg; break;
		case 'd': devf = optarg; break;
		case 'o': outf = optarg; break;
		case 'n': no_post = 1; break;
		case 'U': unsig = 1; break;
		case 'G': get = optarg; break;
		case 'v': verify = optarg; break;
		case 'B': backup_out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	if (get) {
		struct pubdb_record r;
		uint8_t c[16], *buf;
		size_t len;
		char hex[33];

		if (!url || store_chip_id_parse(get, c)) {
			usage(stderr);
			return 2;
		}
		rc = pubdb_get_record(url, c, gen, &buf, &len, &status, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
			return exit_for(rc);
		}
		if (pubdb_record_parse(buf, len, &r, err, sizeof(err))) {
			fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
			free(buf);
			return 1;
		}
		store_chip_id_format(r.chip_id, hex);
		printf("chip_id %s\ngeneration %" PRIu64 "\nidentity %s\nbackup_size %zu\n"
		       "certificate_size %zu\nsigned %s\n", hex, r.generation, r.identity,
		       r.backup_len, r.cert_len, r.sig_len ? "yes" : "no");
		rc = 0;
		if (verify) {
			X509_STORE *cas = pubdb_load_cas(verify, err, sizeof(err));
			enum pubdb_verdict v = cas ? pubdb_record_verify(&r, cas, err, sizeof(err))
						   : PUBDB_UNTRUSTED;

			printf("verify %s%s%s\n", pubdb_verdict_str(v), v ? ": " : "", v ? err : "");
			X509_STORE_free(cas);
			if (v != PUBDB_VALID || memcmp(r.chip_id, c, 16))
				rc = 1;
		}
		if (outf && write_file(outf, buf, len))
			rc = 1;
		if (backup_out && write_file(backup_out, r.backup, r.backup_len))
			rc = 1;
		free(buf);
		return rc;
	}

	{
		struct pubdb_fields f = { 0 };
		uint8_t *backup = NULL, *dev = NULL, *rec = NULL;
		size_t rec_len = 0;
		EVP_PKEY *key = NULL;
		X509 *wcert = NULL;
		FILE *fp;

		if ((!unsig && (!keyf || !certf)) || !chip || !gen || !ident || !backupf || !devf ||
		    (!url && !no_post) || store_chip_id_parse(chip, f.chip_id)) {
			usage(stderr);
			return 2;
		}
		if (!unsig) {
			fp = fopen(keyf, "r");
			key = fp ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
			if (fp)
				fclose(fp);
			fp = fopen(certf, "r");
			wcert = fp ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
			if (fp)
				fclose(fp);
		}
		if (!unsig && (!key || !wcert)) {
			fprintf(stderr, "chipkey-pubdb-put: cannot read %s\n", key ? certf : keyf);
			rc = 1;
			goto out;
		}
		if (read_file(backupf, &backup, &f.backup_len) ||
		    cert_der(devf, &dev, &f.cert_len)) {
			fprintf(stderr, "chipkey-pubdb-put: cannot read backup or device certificate\n");
			rc = 1;
			goto out;
		}
		f.backup = backup;
		f.cert = dev;
		f.generation = gen;
		f.identity = ident;
		rc = pubdb_record_build(&f, key, wcert, &rec, &rec_len, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
			rc = 1;
			goto out;
		}
		if (outf && write_file(outf, rec, rec_len)) {
			fprintf(stderr, "chipkey-pubdb-put: cannot write %s\n", outf);
			rc = 1;
			goto out;
		}
		if (!no_post) {
			rc = pubdb_post_record(url, rec, rec_len, &status, err, sizeof(err));
			if (rc) {
				fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
				rc = exit_for(rc);
				goto out;
			}
			printf("HTTP %ld: generation %" PRIu64 " stored\n", status, gen);
		}
		rc = 0;
out:
		ERR_clear_error();
		EVP_PKEY_free(key);
		X509_free(wcert);
		free(backup);
		free(dev);
		free(rec);
		return rc;
	}
}
