// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse: the chip certificate, what a chip vendor ships with a batch
 * of chips: the chip's attestation public key Q (common/attest.h) bound to
 * its chip ID by the chip-vendor CA.  Profile: docs/chip-certificates.md.
 *
 *   chipkey-fuse cert FUSE --ca-key KEY --ca-cert CA --out CERT
 *                     [--days N] [--force]
 *
 * (chipkey-fuse create --cert issues the same certificate, fimg_chip_cert().)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "common/attest.h"
#include "common/hex.h"
#include "common/pki.h"
#include "common/x509-issue.h"
#include "fuse-tool.h"

#define CHIP_CN_PREFIX "chipkey chip "

/*
 * Subject CN=chipkey chip <hex>, serialNumber=<hex>; subjectAltName
 * URI:urn:chipkey:chip-id:<hex>; CA:FALSE; keyUsage keyAgreement only (Q
 * is an ECDH key: the chip never signs with it); key identifiers.
 */
static X509 *chip_cert(const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
		       EVP_PKEY *q, const struct fimg_ca *ca, int days)
{
	char hex[2 * CHIPKEY_CHIP_ID_LEN + 1];
	char cn[sizeof(CHIP_CN_PREFIX) + sizeof(hex)];
	char san[sizeof("URI:" PKI_CHIP_ID_URI_PREFIX) + sizeof(hex)];
	const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,keyAgreement" },
		{ NID_subject_alt_name, san },
	};
	struct ck_x509_req r = {
		.issuer = ca->cert,
		.pub = q,
		.days = days,
		.ext = ext,
		.n_ext = sizeof(ext) / sizeof(ext[0]),
		.signer = ca->key,
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	ck_hex_encode(chip_id, CHIPKEY_CHIP_ID_LEN, hex);
	snprintf(cn, sizeof(cn), CHIP_CN_PREFIX "%s", hex);
	snprintf(san, sizeof(san), "URI:" PKI_CHIP_ID_URI_PREFIX "%s", hex);
	if (n && ck_x509_name_add(n, NID_commonName, cn) &&
	    X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_ASC,
				       (const unsigned char *)hex, -1, -1, 0)) {
		r.subject = n;
		/* decoded as a verifier will (chip_cert_consistent()) */
		x = ck_x509_reparse(ck_x509_issue(&r));
	}
	X509_NAME_free(n);
	return x;
}

/*
 * What a verifier will read back (the one chip ID parser of common/pki.c,
 * and the key): the certificate names @chip_id and holds @q.
 */
static int chip_cert_consistent(X509 *x, const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
				const uint8_t q[CHIPKEY_EC_POINT_LEN])
{
	uint8_t id[CHIPKEY_CHIP_ID_LEN], pub[CHIPKEY_EC_POINT_LEN];
	EVP_PKEY *pk = X509_get0_pubkey(x);

	return pk && !pki_cert_chip_id(x, id) &&
	       !memcmp(id, chip_id, sizeof(id)) &&
	       !ck_att_pkey_to_pub(pk, pub) && !memcmp(pub, q, sizeof(pub));
}

int fimg_chip_cert(const struct ck_fuse_image *f, const struct fimg_ca *ca,
		   int days, char **pem, size_t *len)
{
	struct ck_att_key a;
	EVP_PKEY *q = NULL;
	X509 *x = NULL;
	int err, ret = CK_EXIT_OTHER;

	*pem = NULL;
	memset(&a, 0, sizeof(a));
	if (ck_fuse_key_state(f) != CK_FUSE_KEY_PROGRAMMED) {
		fprintf(stderr, FIMG_PROG ": the chip key is unprogrammed: the chip has no attestation key\n");
		return CK_EXIT_MALFORMED;
	}
	err = ck_att_key_init(&a, f->chip_id, f->chip_key);
	if (err == -EDOM) {
		fprintf(stderr, FIMG_PROG ": unusable chip: no attestation scalar in %d tries\n",
			CK_ATT_SCALAR_TRIES);
		goto out;
	}
	if (!err)
		err = ck_att_pub_to_pkey(a.pub, &q);
	if (!err)
		x = chip_cert(f->chip_id, q, ca, days);
	if (!x || !chip_cert_consistent(x, f->chip_id, a.pub) ||
	    ck_x509_to_pem(x, pem, len)) {
		fprintf(stderr, FIMG_PROG ": cannot issue the chip certificate\n");
		goto out;
	}
	ret = CK_EXIT_OK;
out:
	X509_free(x);
	EVP_PKEY_free(q);
	ck_att_key_free(&a);
	return ret;
}

int cmd_cert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca-key", required_argument, NULL, 'k' },
		{ "ca-cert", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ca_key = NULL, *ca_cert = NULL, *out = NULL;
	struct ck_fuse_image f;
	struct fimg_ca ca;
	int days = 0, force = 0, c, ret;
	size_t len = 0;
	char *pem;

	while ((c = getopt_long(argc, argv, "k:c:o:d:f", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			ca_key = optarg;
			break;
		case 'c':
			ca_cert = optarg;
			break;
		case 'o':
			out = optarg;
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
	if (argc - optind != 1 || !ca_key || !ca_cert || !out) {
		fimg_usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (!force && (ret = fimg_refuse_existing(out)))
		return ret;
	ret = fimg_load_image(argv[optind], &f);
	if (ret)
		return ret;
	ret = fimg_ca_load(ca_key, ca_cert, &ca);
	if (!ret)
		ret = fimg_chip_cert(&f, &ca, days, &pem, &len);
	if (!ret) {
		ret = fimg_write(out, pem, len, 0644, force);
		free(pem);
	}
	fimg_ca_free(&ca);
	ck_fuse_image_wipe(&f);
	return ret;
}
