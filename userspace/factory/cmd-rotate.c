// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rotating the factory's online credentials (docs/factory-pki.md, "Key
 * hierarchy"):
 *   chipkey-factory spp-cred DIR --tls|--records|--service [--spp-name HOST] [--spp-days N]
 *     a new SPP TLS (spp-key.pem, spp-cert.pem), record-signing
 *     (record-key.pem, record-cert.pem) or device service server
 *     (service-key.pem, service-cert.pem: chipkey-service) credential,
 *     issued by the issuing CA;
 *   chipkey-factory issuing-ca DIR --root-key FILE [--ca-days N] [--spp-name HOST]
 *     a new issuing CA signed by the offline root key FILE, with new TLS and
 *     record-signing credentials under it and a new empty CRL
 *     (station-crl.pem; the old one is kept as ica-crl-<old serial>.pem);
 *     station credentials must then be issued again.
 * Each file is written under a temporary name and renamed into place; the
 * old certificate's serial is printed, for `revoke`.  Restart chipkey-spp
 * to use the new credentials.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/exit.h"
#include "factory.h"
#include "pki-issue.h"
#include "station-crl.h"
#include "subcommands.h"

/*
 * The old issuing CA's CRL kept as DIR/ica-crl-<serial in hex>.pem (a hard
 * link: station-crl.pem is replaced next), since its device certificates
 * and credentials still exist and verifiers need their issuer's CRL.
 */
static int keep_old_crl(const char *dir, X509 *old)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(old), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char from[PATH_MAX], to[PATH_MAX];
	int err = 0;

	if (!hex) {
		BN_free(bn);
		return -ENOMEM;
	}
	snprintf(from, sizeof(from), "%s/%s", dir, CK_FACTORY_STATION_CRL);
	snprintf(to, sizeof(to), "%s/ica-crl-%s.pem", dir, hex);
	if (link(from, to) < 0 && errno != EEXIST && errno != ENOENT)
		err = -errno;
	else
		printf("old issuing CA's CRL kept as %s\n", to);
	OPENSSL_free(hex);
	BN_free(bn);
	return err;
}

static void print_serial(const char *what, X509 *x)
{
	BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	if (hex)
		printf("%s serial %s\n", what, hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* @key (0600) or else @cert (0644) into DIR/@name.new, then renamed to
 * DIR/@name. */
static int replace_file(const char *dir, const char *name, EVP_PKEY *key, X509 *cert)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	err = key ? factory_write_key_pem(key, tmp) : factory_write_cert_pem(cert, tmp);
	if (!err && !key && chmod(tmp, 0644) < 0)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	return err;
}

/* A new TLS (@tls 1), record-signing (0) or device service (2, files
 * service-key.pem and service-cert.pem) credential issued by @ca_key/@ca. */
static int new_cred(const char *dir, EVP_PKEY *ca_key, X509 *ca, int tls,
		    const char *name, int days)
{
	EVP_PKEY *key = pki_ec_keygen();
	X509 *cert = NULL;
	int err = -EIO;

	if (key)
		cert = tls == 2 ? pki_issue_service_cert(ca_key, ca, key, name, days) :
		       tls ? pki_issue_spp_cert(ca_key, ca, key, name, days)
			   : pki_issue_record_cert(ca_key, ca, key, name, days);
	if (cert && tls == 2) {
		err = replace_file(dir, "service-key.pem", key, NULL);
		if (!err)
			err = replace_file(dir, "service-cert.pem", NULL, cert);
		if (!err)
			print_serial("new service certificate", cert);
	} else if (cert) {
		err = replace_file(dir, tls ? CK_FACTORY_SPP_KEY : CK_FACTORY_RECORD_KEY, key, NULL);
		if (!err)
			err = replace_file(dir, tls ? CK_FACTORY_SPP_CERT : CK_FACTORY_RECORD_CERT,
					   NULL, cert);
		if (!err)
			print_serial(tls ? "new TLS certificate" : "new record-signing certificate",
				     cert);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return err;
}

int cmd_spp_cred(const struct factory_args *a)
{
	struct ck_factory *f = NULL;
	int days = a->spp_days ? (int)a->spp_days : PKI_DEFAULT_SPP_DAYS;
	int err;

	if (a->npos != 1 || a->tls + a->records + a->service != 1)
		return factory_usage_error();
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return factory_fail("open factory", err);
	if (!a->service)
		print_serial(a->tls ? "old TLS certificate" : "old record-signing certificate",
			     a->tls ? f->spp_cert : f->record_cert);
	err = new_cred(a->pos[0], f->ca_key, f->ca_cert, a->service ? 2 : a->tls,
		       a->spp_name ? a->spp_name : "localhost", days);
	ck_factory_close(f);
	return err ? factory_fail("new credential", err) : CK_EXIT_OK;
}

int cmd_issuing_ca(const struct factory_args *a)
{
	struct ck_factory *f = NULL;
	EVP_PKEY *root_key = NULL, *ica = NULL;
	X509 *icac = NULL;
	X509_CRL *crl = NULL;
	char path[PATH_MAX];
	const char *name = a->spp_name ? a->spp_name : "localhost";
	int days = a->ca_days ? (int)a->ca_days : PKI_DEFAULT_CA_DAYS;
	int err, rc;

	if (a->npos != 1 || !a->root_key)
		return factory_usage_error();
	err = ck_factory_open(a->pos[0], &f);
	if (err)
		return factory_fail("open factory", err);
	rc = factory_load_root_key(a->root_key, f->mfr_cert, &root_key);
	if (rc)
		goto out;
	print_serial("old issuing CA", f->ca_cert);
	ica = pki_ec_keygen();
	icac = ica ? pki_make_issuing_ca(root_key, f->mfr_cert, ica, NULL, days) : NULL;
	crl = icac ? station_crl_make(ica, icac, NULL, NULL, CRL_REASON_NONE,
				      PKI_DEFAULT_CRL_DAYS) : NULL;
	err = crl ? 0 : -EIO;
	/* the CA first: a crash before the credentials leaves a factory that
	 * ck_factory_open() refuses (credentials not issued by the CA) */
	if (!err)
		err = replace_file(a->pos[0], CK_FACTORY_CA_KEY, ica, NULL);
	if (!err)
		err = replace_file(a->pos[0], CK_FACTORY_CA_CERT, NULL, icac);
	if (!err)
		err = keep_old_crl(a->pos[0], f->ca_cert);
	if (!err) {
		snprintf(path, sizeof(path), "%s/%s", a->pos[0], CK_FACTORY_STATION_CRL);
		err = station_crl_write(path, crl);
	}
	if (!err)
		err = new_cred(a->pos[0], ica, icac, 1, name, PKI_DEFAULT_SPP_DAYS);
	if (!err)
		err = new_cred(a->pos[0], ica, icac, 0, name, PKI_DEFAULT_SPP_DAYS);
	if (err) {
		rc = factory_fail("new issuing CA", err);
		goto out;
	}
	print_serial("new issuing CA", icac);
	printf("issue station credentials again (chipkey-factory station); "
	       "revoke the old issuing CA with revoke --root-key\n");
out:
	X509_CRL_free(crl);
	X509_free(icac);
	EVP_PKEY_free(ica);
	EVP_PKEY_free(root_key);
	ck_factory_close(f);
	return rc;
}

int factory_load_root_key(const char *path, X509 *root, EVP_PKEY **key)
{
	FILE *fp = fopen(path, "r");

	*key = fp ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
	if (fp)
		fclose(fp);
	if (*key && X509_check_private_key(root, *key) == 1)
		return CK_EXIT_OK;
	EVP_PKEY_free(*key);
	*key = NULL;
	fprintf(stderr, "%s: --root-key %s is not the private key of the root certificate "
		"(%s)\n", factory_prog, path, CK_FACTORY_MFR_CA_PEM);
	return CK_EXIT_BAD_CERT;
}
