// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory revoke DIR [CERT] [--reason R] [--days N]: add the
 * certificate CERT (a station, SPP TLS or record-signing credential issued
 * by this factory's issuing CA) to the issuing CA's CRL,
 * DIR/station-crl.pem, re-signed with crlNumber + 1 and
 * nextUpdate in N days (default PKI_DEFAULT_CRL_DAYS) and replaced
 * atomically; with --root-key FILE (the offline root key), CERT is an
 * issuing CA and the CRL the root's, DIR/root-crl.pem; without CERT only
 * re-sign it (before its nextUpdate: an
 * expired CRL makes chipkey-spp refuse every station).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/exit.h"
#include "common/pki.h"
#include "factory.h"
#include "station-crl.h"
#include "subcommands.h"

/* CERT: a PEM end-entity certificate (station, SPP TLS, record signer)
 * signed by @f's issuing CA; with @root, an issuing CA signed by @root. */
static int read_station_cert(const char *path, struct ck_factory *f, EVP_PKEY *root,
			     X509 **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int err = factory_read_file(path, &buf, &len);

	*out = NULL;
	if (err)
		return factory_fail(path, err);
	bio = BIO_new_mem_buf(buf, (int)len);
	*out = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(buf);
	if (!*out)
		return factory_fail(path, -EINVAL);
	if (root && (X509_NAME_cmp(X509_get_issuer_name(*out), X509_get_subject_name(f->mfr_cert)) ||
		     X509_verify(*out, root) != 1 || X509_check_ca(*out) != 1)) {
		fprintf(stderr, "%s: %s is not an issuing CA of this factory's root\n",
			factory_prog, path);
		return CK_EXIT_BAD_CERT;
	}
	if (!root &&
	    (X509_NAME_cmp(X509_get_issuer_name(*out), X509_get_subject_name(f->ca_cert)) ||
	     X509_verify(*out, f->ca_key) != 1 || X509_check_ca(*out) != 0)) {
		fprintf(stderr, "%s: %s is not an end-entity certificate of this factory's "
			"issuing CA\n",
			factory_prog, path);
		return CK_EXIT_BAD_CERT;
	}
	return CK_EXIT_OK;
}

static void print_serial(const char *what, const ASN1_INTEGER *serial)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	printf("%s%s\n", what, hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

int cmd_revoke(const struct factory_args *a)
{
	struct ck_factory *f = NULL;
	EVP_PKEY *root = NULL, *key;
	X509 *cert = NULL, *issuer;
	X509_CRL *old = NULL, *crl = NULL;
	const ASN1_INTEGER *serial = NULL;
	char path[PATH_MAX];
	int reason = station_crl_reason(a->reason ? a->reason : "unspecified");
	int days = a->days ? (int)a->days : PKI_DEFAULT_CRL_DAYS;
	int err, rc = CK_EXIT_OK;

	if (a->npos < 1 || a->npos > 2 || reason == -2 || a->days > PKI_MAX_CRL_DAYS ||
	    (a->reason && a->npos == 1))
		return factory_usage_error();
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", a->pos[0],
			     a->root_key ? CK_FACTORY_ROOT_CRL : CK_FACTORY_STATION_CRL) >=
	    sizeof(path))
		return factory_fail(a->pos[0], -ENAMETOOLONG);
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return factory_fail("open factory", err);
	/* --root-key: the root's CRL, signed offline with the root key */
	if (a->root_key) {
		rc = factory_load_root_key(a->root_key, f->mfr_cert, &root);
		if (rc)
			goto out;
		key = root;
		issuer = f->mfr_cert;
	}
	else {
		key = f->ca_key;
		issuer = f->ca_cert;
	}
	if (a->npos == 2) {
		rc = read_station_cert(a->pos[1], f, root, &cert);
		if (rc)
			goto out;
		serial = X509_get0_serialNumber(cert);
	}
	/* The current CRL, which must be this factory's (a factory made
	 * before CRLs existed has none: start one). */
	err = station_crl_read(path, &old);
	if (err == -ENOENT) {
		fprintf(stderr, "%s: %s does not exist: starting a new CRL\n",
			factory_prog, path);
	} else if (err) {
		rc = factory_fail(path, err);
		goto out;
	} else if ((err = station_crl_check(old, issuer, time(NULL))) &&
		   err != -EKEYEXPIRED) {
		fprintf(stderr, "%s: %s is not a CRL of this factory's issuing CA\n",
			factory_prog, path);
		rc = CK_EXIT_BAD_CERT;
		goto out;
	}
	if (serial && old && station_crl_lists(old, serial)) {
		print_serial("already revoked: serial ", serial);
		goto out;
	}
	crl = station_crl_make(key, issuer, old, serial, reason, days);
	if (!crl) {
		rc = factory_fail("CRL", -EIO);
		goto out;
	}
	err = station_crl_write(path, crl);
	if (err) {
		rc = factory_fail(path, err);
		goto out;
	}
	if (serial)
		print_serial("revoked: serial ", serial);
	{
		char num[64];

		pki_crl_number(crl, num, sizeof(num));
		printf("CRL number %s\n", num);
	}
	printf("%s: %d revoked, next update in %d days\n", path,
	       X509_CRL_get_REVOKED(crl) ? sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) : 0,
	       days);
out:
	X509_CRL_free(crl);
	X509_CRL_free(old);
	X509_free(cert);
	EVP_PKEY_free(root);
	ck_factory_close(f);
	return rc;
}
