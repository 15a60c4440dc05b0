// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse ca: the chip-vendor CA, the key that signs the chip
 * certificates a vendor ships with a batch of chips; and loading a CA to
 * issue with (docs/chip-certificates.md).
 *
 *   chipkey-fuse ca --out-key KEY.pem --out-cert CA.pem
 *                   [--subject /O=.../CN=...] [--days N] [--force]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "common/attest.h"
#include "common/x509-issue.h"
#include "fuse-tool.h"

#define CA_DEFAULT_SUBJECT "/O=chipkey chip vendor/CN=chipkey chip-vendor CA"

/* Self-signed: CA:TRUE (it issues chip certificates only: pathlen 0),
 * keyCertSign + cRLSign, key identifiers; valid from now. */
static X509 *ca_cert(EVP_PKEY *key, const X509_NAME *subject, int days)
{
	static const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	};
	const struct ck_x509_req r = {
		.subject = subject,
		.pub = key,
		.days = days,
		.ext = ext,
		.n_ext = sizeof(ext) / sizeof(ext[0]),
		.signer = key,
	};

	return ck_x509_issue(&r);
}

/* Make the CA and write KEY (0600) then CERT (0644); no file is written
 * unless both can be. */
static int make_ca(const char *key_path, const char *cert_path,
		   const X509_NAME *subject, int days, int force)
{
	char *kpem = NULL, *cpem = NULL;
	size_t klen = 0, clen = 0;
	EVP_PKEY *key;
	X509 *x = NULL;
	int ret;

	if (!force && ((ret = fimg_refuse_existing(key_path)) ||
		       (ret = fimg_refuse_existing(cert_path))))
		return ret;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key)
		x = ca_cert(key, subject, days);
	if (!x || ck_att_priv_to_pem(key, &kpem, &klen) ||
	    ck_x509_to_pem(x, &cpem, &clen)) {
		fprintf(stderr, FIMG_PROG ": cannot make the CA key and certificate\n");
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = fimg_write(key_path, kpem, klen, 0600, force);
	if (ret)
		goto out;
	ret = fimg_write(cert_path, cpem, clen, 0644, force);
	if (ret)
		fimg_remove(key_path);	/* a key without its certificate */
out:
	if (kpem) {
		OPENSSL_cleanse(kpem, klen);
		free(kpem);
	}
	free(cpem);
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

int cmd_ca(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out-key", required_argument, NULL, 'k' },
		{ "out-cert", required_argument, NULL, 'c' },
		{ "subject", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_path = NULL, *cert_path = NULL;
	const char *subject = CA_DEFAULT_SUBJECT;
	int days = 0, force = 0, c, ret;
	X509_NAME *name;

	while ((c = getopt_long(argc, argv, "k:c:s:d:f", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_path = optarg;
			break;
		case 'c':
			cert_path = optarg;
			break;
		case 's':
			subject = optarg;
			break;
		case 'd':
			if (fimg_parse_days(optarg, &days))
				return CK_EXIT_USAGE;
			break;
		case 'f':
			force = 1;
			break;
		default:
			fimg_usage(stderr);
			return CK_EXIT_USAGE;
		}
	}
	if (optind != argc || !key_path || !cert_path) {
		fimg_usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (!strcmp(key_path, cert_path)) {
		fprintf(stderr, FIMG_PROG ": --out-key and --out-cert must differ\n");
		return CK_EXIT_USAGE;
	}
	name = fimg_subject_parse(subject);
	if (!name)
		return CK_EXIT_USAGE;
	ret = make_ca(key_path, cert_path, name, days, force);
	X509_NAME_free(name);
	return ret;
}

void fimg_ca_free(struct fimg_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	ca->key = NULL;
	ca->cert = NULL;
}

/* May @cert issue certificates now?  NULL, or why not. */
static const char *ca_unfit(X509 *cert)
{
	if (X509_check_ca(cert) != 1)
		return "is not a CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign)";
	if (!X509_get0_subject_key_id(cert))
		return "has no subject key identifier";
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
		return "is not valid yet";
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
		return "has expired";
	return NULL;
}

int fimg_ca_load(const char *key_path, const char *cert_path,
		 struct fimg_ca *ca)
{
	const char *why;
	int ret;

	memset(ca, 0, sizeof(*ca));
	ret = fimg_load_key(key_path, 1, &ca->key);
	if (!ret)
		ret = fimg_load_cert(cert_path, &ca->cert);
	if (ret)
		goto fail;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		fprintf(stderr, FIMG_PROG ": %s is not the key of the CA certificate %s\n",
			key_path, cert_path);
		ret = CK_EXIT_BAD_CERT;
		goto fail;
	}
	why = ca_unfit(ca->cert);
	if (why) {
		fprintf(stderr, FIMG_PROG ": %s %s\n", cert_path, why);
		ret = CK_EXIT_BAD_CERT;
		goto fail;
	}
	return CK_EXIT_OK;
fail:
	fimg_ca_free(ca);
	return ret;
}
