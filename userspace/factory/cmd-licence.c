// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Software licences, the manufacturer's side (docs/software-update.md):
 *   chipkey-factory licence-cred DIR [--name CN] [--days N]
 *     a new licence-signing credential (DIR/licence-key.pem 0600,
 *     DIR/licence-cert.pem), OU=chipkey-licence-signer, issued by the
 *     issuing CA; replaces the previous one (its serial is printed, for
 *     `revoke`).
 *   chipkey-factory licence DIR --image FILE --sequence N
 *     (--class NAME | --identity ID[,ID...] | --chip-id HEX[,HEX...])
 *     [--not-before T] --not-after T --out FILE
 *     a licence for FILE signed with that credential (T: Unix seconds or
 *     YYYY-MM-DDTHH:MM:SSZ; --not-before defaults to now).
 * `licence` has options of its own and parses them itself (main.c hands
 * it argv).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/hex.h"
#include "factory.h"
#include "pki-issue.h"
#include "subcommands.h"
#include "update/update.h"

static void print_serial(const char *what, X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	printf("%s serial %s\n", what, hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/* The credential's files in @dir: key and certificate (either may be NULL). */
static int load_cred(const char *dir, EVP_PKEY **key, X509 **cert)
{
	char path[PATH_MAX];
	FILE *fp;

	if (key) {
		snprintf(path, sizeof(path), "%s/%s", dir, CK_LICENCE_KEY_FILE);
		fp = fopen(path, "r");
		*key = fp ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
		if (fp)
			fclose(fp);
		if (!*key)
			return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CK_LICENCE_CERT_FILE);
	fp = fopen(path, "r");
	*cert = fp ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
	if (fp)
		fclose(fp);
	return *cert ? 0 : -ENOENT;
}

/* @key (PEM, 0600) or @cert (PEM, 0644) replacing DIR/@name atomically
 * (temporary file, fsync, rename). */
static int put(const char *dir, const char *name, EVP_PKEY *key, X509 *cert)
{
	char path[PATH_MAX], *data;
	BIO *b = BIO_new(key ? BIO_s_secmem() : BIO_s_mem());
	long n;
	int err = -EIO;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		BIO_free(b);
		return -ENAMETOOLONG;
	}
	if (b && (key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
		      : PEM_write_bio_X509(b, cert)) &&
	    (n = BIO_get_mem_data(b, &data)) > 0)
		err = ck_file_write_atomic(path, data, (size_t)n, key ? 0600 : 0644, 1);
	BIO_free(b);	/* secmem: wiped */
	return err;
}

int cmd_licence_cred(const struct factory_args *a)
{
	struct ck_factory *f = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *old = NULL;
	int days = a->days ? (int)a->days : CK_LICENCE_SIGNER_DAYS;
	int err;

	if (a->npos != 1)
		return factory_usage_error();
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return factory_fail("open factory", err);
	if (!load_cred(a->pos[0], NULL, &old))
		print_serial("old licence-signing certificate", old);
	key = pki_ec_keygen();
	cert = key ? ck_licence_signer_issue(f->ca_key, f->ca_cert, key, a->name, days) : NULL;
	err = cert ? 0 : -EIO;
	/* the key first: a crash between leaves a pair load_cred() refuses to sign with */
	if (!err)
		err = put(a->pos[0], CK_LICENCE_KEY_FILE, key, NULL);
	if (!err)
		err = put(a->pos[0], CK_LICENCE_CERT_FILE, NULL, cert);
	if (!err)
		print_serial("new licence-signing certificate", cert);
	X509_free(old);
	X509_free(cert);
	EVP_PKEY_free(key);
	ck_factory_close(f);
	return err ? factory_fail("licence credential", err) : CK_EXIT_OK;
}

/* ---- chipkey-factory licence ---- */

/* Unix seconds (digits) or YYYY-MM-DDTHH:MM:SSZ. */
static int parse_time(const char *s, int64_t *t)
{
	struct tm tm = { 0 };
	const char *end;
	char *e;

	if (*s && strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		*t = (int64_t)strtoll(s, &e, 10);
		return errno ? -EINVAL : 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -EINVAL;
	*t = (int64_t)timegm(&tm);
	return 0;
}

/* The comma-separated list @s into @l's targets (identities or chip IDs). */
static int parse_targets(const char *s, int ids, struct ck_licence *l)
{
	size_t n = 1, i = 0;
	char *copy = strdup(s), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	if (n > CK_LICENCE_MAX_TARGETS) {
		free(copy);
		return -EINVAL;
	}
	l->audience = ids ? CK_LICENCE_FOR_IDENTITIES : CK_LICENCE_FOR_CHIP_IDS;
	if (ids)
		l->identities = calloc(n, sizeof(*l->identities));
	else
		l->chip_ids = calloc(n, sizeof(*l->chip_ids));
	if (ids ? !l->identities : !l->chip_ids) {
		free(copy);
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		if (ids && strlen(tok) == CK_LICENCE_IDENTITY_LEN)
			memcpy(l->identities[i], tok, CK_LICENCE_IDENTITY_LEN + 1);
		else if (ids || ck_hex_decode(tok, l->chip_ids[i], CK_LICENCE_CHIP_ID_LEN))
			err = -EINVAL;
		i++;
	}
	l->n_targets = i;
	free(copy);
	return err || i != n ? -EINVAL : 0;
}

static int licence_usage(void)
{
	fprintf(stderr, "usage: %s licence DIR --image FILE --sequence N\n"
		"        (--class NAME | --identity ID[,ID...] | --chip-id HEX[,HEX...])\n"
		"        [--not-before T] --not-after T --out FILE\n"
		"  T: Unix seconds or YYYY-MM-DDTHH:MM:SSZ\n", factory_prog);
	return CK_EXIT_USAGE;
}

/* Options into @l, @image, @out; CK_EXIT_OK or CK_EXIT_USAGE (reported). */
static int parse_licence_args(int argc, char **argv, struct ck_licence *l,
			      const char **image, const char **out)
{
	enum { O_IMAGE = 300, O_SEQ, O_CLASS, O_ID, O_CHIP, O_NB, O_NA, O_OUT };
	static const struct option opts[] = {
		{ "image", required_argument, NULL, O_IMAGE },
		{ "sequence", required_argument, NULL, O_SEQ },
		{ "class", required_argument, NULL, O_CLASS },
		{ "identity", required_argument, NULL, O_ID },
		{ "chip-id", required_argument, NULL, O_CHIP },
		{ "not-before", required_argument, NULL, O_NB },
		{ "not-after", required_argument, NULL, O_NA },
		{ "out", required_argument, NULL, O_OUT },
		{ NULL, 0, NULL, 0 },
	};
	int c, audiences = 0, have_na = 0, bad = 0;
	char *end;

	l->not_before = (int64_t)time(NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1 && !bad) {
		switch (c) {
		case O_IMAGE: *image = optarg; break;
		case O_OUT: *out = optarg; break;
		case O_SEQ:
			errno = 0;
			l->sequence = strtoull(optarg, &end, 10);
			bad = errno || *end || !*optarg || *optarg == '-';
			break;
		case O_CLASS:
			audiences++;
			l->audience = CK_LICENCE_FOR_CLASS;
			bad = !ck_licence_class_valid(optarg);
			if (!bad)
				snprintf(l->device_class, sizeof(l->device_class), "%s", optarg);
			break;
		case O_ID: case O_CHIP:
			audiences++;
			bad = audiences > 1 || parse_targets(optarg, c == O_ID, l);
			break;
		case O_NB: bad = parse_time(optarg, &l->not_before); break;
		case O_NA: bad = parse_time(optarg, &l->not_after); have_na = 1; break;
		default: bad = 1;
		}
		if (bad && c != '?')
			fprintf(stderr, "%s: licence: bad value for --%s: %s\n", factory_prog,
				opts[c - O_IMAGE].name, optarg);
	}
	if (bad || argc - optind != 1 || !*image || !*out || !have_na || audiences != 1 ||
	    !l->sequence)
		return licence_usage();
	return CK_EXIT_OK;
}

int cmd_licence(int argc, char **argv)
{
	struct ck_licence l = { 0 };
	struct ck_factory *f = NULL;
	const char *image = NULL, *out = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	uint8_t *content = NULL, *signed_der = NULL;
	size_t clen = 0, slen = 0;
	char why[256];
	int rc, err;

	rc = parse_licence_args(argc, argv, &l, &image, &out);
	if (rc)
		goto out;
	if (strcmp(out, "-") && access(out, F_OK) == 0) {
		rc = factory_fail(out, -EEXIST);
		goto out;
	}
	err = ck_factory_open(argv[optind], &f);
	if (err) {
		rc = factory_fail("open factory", err);
		goto out;
	}
	if (load_cred(argv[optind], &key, &cert)) {
		fprintf(stderr, "%s: no licence-signing credential in %s (run licence-cred)\n",
			factory_prog, argv[optind]);
		rc = CK_EXIT_NOT_FOUND;
		goto out;
	}
	if (X509_check_issued(f->ca_cert, cert) != X509_V_OK) {
		fprintf(stderr, "%s: %s/%s is not issued by this factory's issuing CA "
			"(run licence-cred again)\n", factory_prog, argv[optind], CK_LICENCE_CERT_FILE);
		rc = CK_EXIT_BAD_CERT;
		goto out;
	}
	/* what a device would refuse (docs/software-update.md, check 5a) */
	if (ck_licence_covered(cert, f->ca_cert, &l, why, sizeof(why))) {
		fprintf(stderr, "%s: licence: %s (at most %lld days, within the licence "
			"credential's and the issuing CA's validity)\n", factory_prog, why,
			CK_LICENCE_MAX_VALIDITY / 86400);
		rc = CK_EXIT_EXPIRED;
		goto out;
	}
	err = ck_update_image_digest(image, l.image_digest, &l.image_size);
	if (err) {
		rc = factory_fail(image, err);
		goto out;
	}
	err = ck_licence_encode(&l, &content, &clen);
	if (err) {
		fprintf(stderr, "%s: licence: not a valid licence (sequence 1..2^63-1, "
			"notBefore <= notAfter, identities with a Luhn digit)\n", factory_prog);
		rc = CK_EXIT_USAGE;
		goto out;
	}
	err = ck_licence_sign(content, clen, key, cert, f->ca_cert, &signed_der, &slen);
	if (err) {
		rc = factory_fail(err == -EKEYREJECTED ? "the licence credential is not a "
				  "licence signer" : "sign", err);
		goto out;
	}
	err = ck_file_write_atomic(out, signed_der, slen, 0644, 0);
	rc = err ? factory_fail(out, err) : CK_EXIT_OK;
out:
	free(content);
	free(signed_der);
	X509_free(cert);
	EVP_PKEY_free(key);
	ck_factory_close(f);
	ck_licence_free(&l);
	return rc;
}
