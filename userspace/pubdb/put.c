// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-pubdb-put: build, sign, post and fetch public database records.
 *
 *   chipkey-pubdb-put --url URL --key writer.key --cert writer.pem \
 *       --chip HEX --generation N --identity IMEI --backup FILE \
 *       --device-cert FILE [--out FILE] [--no-post] [--format 1]
 *       builds the signed record (docs/pubdb-api.md; a CMS SignedData, or
 *       with --format 1 the old "CKPR" format the server refuses, for
 *       tests), writes it to --out if given, and POSTs it unless --no-post.
 *   chipkey-pubdb-put --void --chip HEX --generation N --reason TEXT \
 *       --key mfr-key.pem --cert mfr-ca.pem --url URL [--out FILE] [--no-post]
 *       builds the manufacturer's signed void entry of a generation
 *       (common/pubdb-void.h), writes it to --out, POSTs it unless --no-post.
 *   chipkey-pubdb-put --url URL --get HEX [--generation N] [--verify CA.pem]
 *       [--out FILE] [--backup-out FILE]
 *       fetches a record, prints its fields, optionally verifies it.
 *
 * Exit status (common/exit.h, docs/pubdb-api.md): 0 ok, 1 usage,
 * 5 tampered (bad signature), 6 malformed (HTTP 400, bad record or
 * content), 7 too large (HTTP 413), 8 other (files, HTTP 5xx), 9 not found
 * (HTTP 404), 10 network (no answer from the server), 19 untrusted (unsigned,
 * the writer does not chain to --verify or is not the one allowed for the
 * generation, or no predecessor), 20 refused (HTTP 401/403), 22 conflict
 * (HTTP 409).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/pubdb-cms.h"
#include "common/pubdb-void.h"
#include "client.h"

#define MAX_FILE (64u << 20)

struct options {
	const char *url, *keyf, *certf, *chip, *ident, *backupf, *devf, *outf;
	const char *get, *verify, *backup_out, *reason;
	uint64_t gen;
	int no_post, unsig, v1, is_void;
};

/* A whole input file, at most MAX_FILE bytes. */
static int read_input(const char *path, uint8_t **out, size_t *len)
{
	int rc = ck_file_read(path, out, len, MAX_FILE);

	if (!rc && *len > MAX_FILE) {
		free(*out);
		*out = NULL;
		rc = -EFBIG;
	}
	if (rc)
		fprintf(stderr, "chipkey-pubdb-put: %s: %s\n", path, strerror(-rc));
	return rc;
}

static int write_output(const char *path, const uint8_t *d, size_t n)
{
	int rc = ck_file_write_atomic(path, d, n, 0644, 1);

	if (rc)
		fprintf(stderr, "chipkey-pubdb-put: cannot write %s: %s\n", path, strerror(-rc));
	return rc;
}

/* DER of a certificate file that is PEM or DER */
static int cert_der(const char *path, uint8_t **der, size_t *len)
{
	unsigned char *out = NULL;
	uint8_t *raw;
	size_t n;
	BIO *bio;
	X509 *x;
	int k, rc;

	rc = read_input(path, &raw, &n);
	if (rc)
		return rc;
	if (n > 0 && raw[0] == 0x30) {		/* a DER SEQUENCE */
		*der = raw;
		*len = n;
		return 0;
	}
	bio = BIO_new_mem_buf(raw, (int)n);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(raw);
	k = x ? i2d_X509(x, &out) : 0;
	X509_free(x);
	*der = k > 0 ? malloc((size_t)k) : NULL;
	if (*der)
		memcpy(*der, out, (size_t)k);
	OPENSSL_free(out);
	if (!*der) {
		fprintf(stderr, "chipkey-pubdb-put: %s: not a PEM or DER certificate\n", path);
		return -EINVAL;
	}
	*len = (size_t)k;
	return 0;
}

/* The exit code of a failed request to the server. */
static int exit_for_http(int rc, long status)
{
	switch (status) {
	case 0:		/* no answer */
		return rc == -EIO ? CK_EXIT_NETWORK : CK_EXIT_OTHER;
	case 400:
		return CK_EXIT_MALFORMED;
	case 401:
	case 403:
		return CK_EXIT_REFUSED;
	case 404:
		return CK_EXIT_NOT_FOUND;
	case 409:
		return CK_EXIT_CONFLICT;
	case 413:
		return CK_EXIT_TOO_LARGE;
	}
	return rc == -ENOENT ? CK_EXIT_NOT_FOUND : CK_EXIT_OTHER;
}

/* The exit code of a record that --verify does not accept. */
static int exit_for_verdict(enum pubdb_verdict v)
{
	switch (v) {
	case PUBDB_VALID:
		return CK_EXIT_OK;
	case PUBDB_BAD_SIGNATURE:
		return CK_EXIT_TAMPERED;
	case PUBDB_BAD_CONTENT:
		return CK_EXIT_MALFORMED;
	default:	/* unsigned, untrusted, no predecessor, writer not allowed */
		return CK_EXIT_UNTRUSTED;
	}
}

/*
 * --verify: the checks the server made when it stored @r
 * (pubdb_record_validate), against the generation before it as served now,
 * or the newest one below it without a void entry the manufacturer CA
 * (@cas) signed.  *buf holds that record afterwards (free()).
 */
static uint64_t unvoided_below(const struct options *o, const uint8_t *chip, uint64_t g,
			       X509_STORE *cas)
{
	struct pubdb_void v;
	uint8_t *b;
	size_t n;
	char e[256];
	long st;
	int ok;

	for (; g > 0; g--) {
		st = 0;
		ok = !pubdb_get_void(o->url, chip, g, &b, &n, &st, e, sizeof(e)) &&
		     !pubdb_void_parse(b, n, &v, e, sizeof(e)) && v.generation == g &&
		     !memcmp(v.chip_id, chip, sizeof(v.chip_id)) &&
		     pubdb_void_verify(&v, cas, e, sizeof(e)) == PUBDB_VALID;
		free(b);
		if (!ok)	/* not voided (404), or no valid void entry */
			break;
	}
	return g;
}

static enum pubdb_verdict verify_fetched(const struct options *o, const struct pubdb_record *r,
					 uint8_t **buf, char *err, size_t errlen)
{
	X509_STORE *cas = pubdb_load_cas(o->verify, err, errlen);
	struct pubdb_prev prev, *pp = NULL;
	struct pubdb_record pr;
	enum pubdb_verdict v;
	long status = 0;
	uint64_t g;
	size_t len;

	*buf = NULL;
	if (!cas)
		return PUBDB_UNTRUSTED;
	g = r->generation > 1 ? unvoided_below(o, r->chip_id, r->generation - 1, cas) : 0;
	if (g && !pubdb_get_record(o->url, r->chip_id, g, buf, &len, &status, err, errlen) &&
	    !pubdb_record_parse(*buf, len, &pr, err, errlen) &&
	    !memcmp(pr.chip_id, r->chip_id, sizeof(pr.chip_id))) {
		prev.generation = pr.generation;
		prev.newest = r->generation - 1;
		prev.identity = pr.identity;
		prev.cert = pr.cert;
		prev.cert_len = pr.cert_len;
		pp = &prev;
	}
	if (r->generation > 1 && !pp) {
		v = PUBDB_WRONG_GENERATION;
		snprintf(err, errlen, "generation %llu has no readable predecessor",
			 (unsigned long long)r->generation);
	} else {
		v = pubdb_record_validate(r, pp, cas, err, errlen);
	}
	X509_STORE_free(cas);
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chipkey-pubdb-put --url URL --key KEY.pem --cert CERT.pem --chip HEX\n"
		"           --generation N --identity IMEI --backup FILE --device-cert FILE\n"
		"           [--out FILE] [--no-post] [--unsigned (tests: no key, no signature)]\n"
		"           [--format 1 (tests: the old signed format)]\n"
		"       chipkey-pubdb-put --void --chip HEX --generation N --reason TEXT\n"
		"           --key MFR-KEY.pem --cert MFR-CA.pem [--url URL] [--out FILE] [--no-post]\n"
		"       chipkey-pubdb-put --url URL --get HEX [--generation N]\n"
		"           [--verify CA.pem] [--out FILE] [--backup-out FILE]\n");
}

/* --get: fetch, print, verify and save a record. */
static int cmd_get(const struct options *o)
{
	uint8_t chip[PUBDB_CHIP_ID_LEN], *buf = NULL;
	char err[512], hex[2 * PUBDB_CHIP_ID_LEN + 1];
	struct pubdb_record r;
	long status = 0;
	size_t len;
	int rc;

	if (!o->url || ck_hex_decode(o->get, chip, sizeof(chip))) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	rc = pubdb_get_record(o->url, chip, o->gen, &buf, &len, &status, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
		return exit_for_http(rc, status);
	}
	if (pubdb_record_parse(buf, len, &r, err, sizeof(err))) {
		fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
		rc = CK_EXIT_MALFORMED;
		goto out;
	}
	ck_hex_encode(r.chip_id, sizeof(r.chip_id), hex);
	printf("chip_id %s\ngeneration %" PRIu64 "\nidentity %s\nbackup_size %zu\n"
	       "certificate_size %zu\nsigned %s\nformat %s\n", hex, r.generation, r.identity,
	       r.backup_len, r.cert_len, r.sig_len ? "yes" : "no",
	       r.format == PUBDB_FORMAT_CMS ? "cms" : "ckpr");
	if (r.format == PUBDB_FORMAT_CMS)
		printf("signing_time %lld\n", (long long)r.signing_time);
	rc = CK_EXIT_OK;
	if (o->verify) {
		uint8_t *pbuf;
		enum pubdb_verdict v = verify_fetched(o, &r, &pbuf, err, sizeof(err));

		printf("verify %s%s%s\n", pubdb_verdict_str(v), v ? ": " : "", v ? err : "");
		free(pbuf);
		rc = exit_for_verdict(v);
		if (!rc && memcmp(r.chip_id, chip, sizeof(chip)))
			rc = CK_EXIT_MALFORMED;
	}
	if ((o->outf && write_output(o->outf, buf, len)) ||
	    (o->backup_out && write_output(o->backup_out, r.backup, r.backup_len)))
		rc = rc ? rc : CK_EXIT_OTHER;
out:
	free(buf);
	return rc;
}

/* --key and --cert; *@ca (if not NULL) the second certificate of the
 * --cert file, if any: the writer's issuing CA, carried in the record */
static int load_writer(const struct options *o, EVP_PKEY **key, X509 **cert, X509 **ca)
{
	FILE *fp;

	fp = fopen(o->keyf, "r");
	*key = fp ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
	if (fp)
		fclose(fp);
	fp = fopen(o->certf, "r");
	*cert = fp ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
	if (fp && *cert && ca)
		*ca = PEM_read_X509(fp, NULL, NULL, NULL);
	if (fp)
		fclose(fp);
	if (*key && *cert)
		return 0;
	fprintf(stderr, "chipkey-pubdb-put: cannot read %s\n", *key ? o->certf : o->keyf);
	return -EINVAL;
}

/* --out, then the POST (a record, or with --void a void entry) unless
 * --no-post: an exit code */
static int save_and_post(const struct options *o, const uint8_t *chip, const uint8_t *buf,
			 size_t len)
{
	char err[512];
	long status = 0;
	int prc;

	if (o->outf && write_output(o->outf, buf, len))
		return CK_EXIT_OTHER;
	if (o->no_post)
		return CK_EXIT_OK;
	prc = o->is_void ? pubdb_post_void(o->url, chip, o->gen, buf, len, &status, err,
					   sizeof(err))
			 : pubdb_post_record(o->url, buf, len, &status, err, sizeof(err));
	if (prc) {
		fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
		return exit_for_http(prc, status);
	}
	printf("HTTP %ld: generation %" PRIu64 " %s\n", status, o->gen,
	       o->is_void ? "voided" : "stored");
	return CK_EXIT_OK;
}

/* build (and post): a new generation */
static int cmd_put(const struct options *o)
{
	struct pubdb_fields f = { .generation = o->gen, .identity = o->ident };
	uint8_t *backup = NULL, *dev = NULL, *rec = NULL;
	EVP_PKEY *key = NULL;
	X509 *wcert = NULL, *ca = NULL;
	size_t rec_len = 0;
	char err[512];
	int rc;

	if ((!o->unsig && (!o->keyf || !o->certf)) || !o->chip || !o->gen || !o->ident ||
	    !o->backupf || !o->devf || (!o->url && !o->no_post) ||
	    ck_hex_decode(o->chip, f.chip_id, sizeof(f.chip_id))) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	rc = CK_EXIT_OTHER;
	if (!o->unsig && load_writer(o, &key, &wcert, &ca))
		goto out;
	if (read_input(o->backupf, &backup, &f.backup_len) ||
	    cert_der(o->devf, &dev, &f.cert_len))
		goto out;
	f.backup = backup;
	f.cert = dev;
	if (ca && !o->v1)
		rc = pubdb_record_build_chain(&f, key, wcert, ca, &rec, &rec_len, err, sizeof(err));
	else
		rc = (o->v1 ? pubdb_record_build_v1 : pubdb_record_build)(&f, key, wcert, &rec,
									  &rec_len, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
		rc = CK_EXIT_MALFORMED;
		goto out;
	}
	rc = save_and_post(o, f.chip_id, rec, rec_len);
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(wcert);
	X509_free(ca);
	free(backup);
	free(dev);
	free(rec);
	return rc;
}

/* --void: build (and post) the void entry of a generation */
static int cmd_void(const struct options *o)
{
	uint8_t chip[PUBDB_CHIP_ID_LEN], *ent = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t len = 0;
	char err[512];
	int rc;

	if (!o->keyf || !o->certf || !o->chip || !o->gen || !o->reason ||
	    (!o->url && !o->no_post) || ck_hex_decode(o->chip, chip, sizeof(chip))) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	rc = CK_EXIT_OTHER;
	if (load_writer(o, &key, &cert, NULL))
		goto out;
	if (pubdb_void_build(chip, o->gen, o->reason, key, cert, &ent, &len, err, sizeof(err))) {
		fprintf(stderr, "chipkey-pubdb-put: %s\n", err);
		rc = CK_EXIT_MALFORMED;
		goto out;
	}
	rc = save_and_post(o, chip, ent, len);
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(cert);
	free(ent);
	return rc;
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
		{ "format", required_argument, NULL, 'F' },
		{ "get", required_argument, NULL, 'G' },
		{ "verify", required_argument, NULL, 'v' },
		{ "backup-out", required_argument, NULL, 'B' },
		{ "void", no_argument, NULL, 'V' },
		{ "reason", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { 0 };
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': o.url = optarg; break;
		case 'k': o.keyf = optarg; break;
		case 'c': o.certf = optarg; break;
		case 'i': o.chip = optarg; break;
		case 'g': o.gen = strtoull(optarg, NULL, 10); break;
		case 'I': o.ident = optarg; break;
		case 'b': o.backupf = optarg; break;
		case 'd': o.devf = optarg; break;
		case 'o': o.outf = optarg; break;
		case 'n': o.no_post = 1; break;
		case 'U': o.unsig = 1; break;
		case 'F':
			if (strcmp(optarg, "1") && strcmp(optarg, "2")) {
				usage(stderr);
				return CK_EXIT_USAGE;
			}
			o.v1 = !strcmp(optarg, "1");
			break;
		case 'G': o.get = optarg; break;
		case 'v': o.verify = optarg; break;
		case 'B': o.backup_out = optarg; break;
		case 'V': o.is_void = 1; break;
		case 'R': o.reason = optarg; break;
		case 'h': usage(stdout); return CK_EXIT_OK;
		default: usage(stderr); return CK_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (o.is_void)
		return o.get ? (usage(stderr), CK_EXIT_USAGE) : cmd_void(&o);
	return o.get ? cmd_get(&o) : cmd_put(&o);
}
