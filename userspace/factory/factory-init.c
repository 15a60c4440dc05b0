// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Creating a factory directory (chipkey-factory init): a new manufacturer
 * root (its key for the operator to move offline), issuing CA, SPP TLS,
 * record-signing and line station credentials, CRLs, master key, written
 * into a sibling temporary directory that is renamed into place.  Layout:
 * docs/factory-pki.md.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/file.h"
#include "factory.h"
#include "pki-issue.h"
#include "station-crl.h"

/* Write @dir/@name, new, with @mode whatever the umask, synced. */
static int write_file_at(const char *dir, const char *name, const void *data,
			 size_t len, mode_t mode)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	return ck_file_write_atomic(path, data, len, mode, 0);
}

/* Write a PEM produced into a secure-heap memory BIO. */
static int write_bio_at(const char *dir, const char *name, BIO *bio, mode_t mode)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0)
		return -EIO;
	return write_file_at(dir, name, data, (size_t)n, mode);
}

static int write_private_pem(const char *dir, const char *name, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int err;

	if (!bio)
		return -ENOMEM;
	/* Unencrypted PKCS#8 ("BEGIN PRIVATE KEY"), protected by 0600. */
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		err = -EIO;
	else
		err = write_bio_at(dir, name, bio, 0600);
	BIO_free(bio);
	return err;
}

static int write_cert_pem(const char *dir, const char *name, X509 *cert,
			  mode_t mode)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int err;

	if (!bio)
		return -ENOMEM;
	if (!PEM_write_bio_X509(bio, cert))
		err = -EIO;
	else
		err = write_bio_at(dir, name, bio, mode);
	BIO_free(bio);
	return err;
}

static const char *const factory_files[] = {
	CK_FACTORY_MFR_KEY, CK_FACTORY_MFR_CA_PEM, CK_FACTORY_MFR_CA_DER,
	CK_FACTORY_MFR_PUBKEY, CK_FACTORY_MASTER_KEY, CK_FACTORY_SPP_KEY,
	CK_FACTORY_SPP_CERT, CK_FACTORY_STATION_KEY, CK_FACTORY_STATION_CERT,
	CK_FACTORY_STATION_CRL, CK_FACTORY_VERSION, CK_FACTORY_CA_KEY,
	CK_FACTORY_CA_CERT, CK_FACTORY_RECORD_KEY, CK_FACTORY_RECORD_CERT,
	CK_FACTORY_ROOT_CRL,
};

static void remove_tmp(const char *tmp)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(factory_files) / sizeof(*factory_files); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", tmp,
				     factory_files[i]) < sizeof(path))
			unlink(path);
	}
	rmdir(tmp);
}

/* 0 if @dir does not exist or is an empty directory, else -EEXIST etc. */
static int check_target(const char *dir)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int err = 0;

	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return -EEXIST;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			err = -EEXIST;
			break;
		}
	}
	closedir(d);
	return err;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* @crl as PEM to @dir/@name (0644). */
static int write_crl_at(const char *dir, const char *name, X509_CRL *crl)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	return station_crl_write(path, crl);
}

/* The root's public key in ROM form (mfr-pubkey.der) and the root
 * certificate in DER (mfr-ca.der). */
static int write_root_der(const char *tmp, EVP_PKEY *root, X509 *ca)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	int err = pki_cert_to_der(ca, &der, &der_len);

	if (!err) {
		err = write_file_at(tmp, CK_FACTORY_MFR_CA_DER, der, der_len, 0644);
		OPENSSL_free(der);
		der = NULL;
	}
	if (!err)
		err = pki_public_to_der(root, &der, &der_len);
	if (!err) {
		if (der_len > CHIPKEY_MAX_ROM_KEY)
			err = -EMSGSIZE;
		else
			err = write_file_at(tmp, CK_FACTORY_MFR_PUBKEY, der, der_len, 0644);
		OPENSSL_free(der);
	}
	return err;
}

/* A key (0600) and its certificate (@cert_mode) into @tmp. */
static int write_credential(const char *tmp, const char *kname, EVP_PKEY *key,
			    const char *cname, X509 *cert, mode_t cert_mode)
{
	int err = write_private_pem(tmp, kname, key);

	return err ? err : write_cert_pem(tmp, cname, cert, cert_mode);
}

static int populate(const char *tmp, const struct ck_factory_opts *o)
{
	EVP_PKEY *mfr = NULL, *ica = NULL, *spp = NULL, *rec = NULL, *sta = NULL;
	X509 *ca = NULL, *icac = NULL, *sppc = NULL, *recc = NULL, *stac = NULL;
	X509_CRL *crl = NULL, *root_crl = NULL;
	uint8_t master[PKI_MASTER_KEY_LEN];
	int err = -EIO;
	static const char version[] = "chipkey-factory 2\n";

	mfr = pki_ec_keygen();
	ica = pki_ec_keygen();
	spp = pki_ec_keygen();
	rec = pki_ec_keygen();
	sta = pki_ec_keygen();
	if (!mfr || !ica || !spp || !rec || !sta)
		goto out;
	/* root (offline) -> issuing CA -> TLS, record signer, station */
	ca = pki_make_mfr_ca(mfr, o->org, NULL, o->ca_days);
	icac = ca ? pki_make_issuing_ca(mfr, ca, ica, NULL, o->ca_days) : NULL;
	if (!icac)
		goto out;
	sppc = pki_issue_spp_cert(ica, icac, spp, o->spp_name, o->spp_days);
	recc = pki_issue_record_cert(ica, icac, rec, o->spp_name, o->spp_days);
	stac = pki_issue_station_cert(ica, icac, sta, NULL, PKI_DEFAULT_STATION_DAYS);
	if (!sppc || !recc || !stac)
		goto out;
	/* the (empty) CRLs of the issuing CA and of the root: revoke adds */
	crl = station_crl_make(ica, icac, NULL, NULL, CRL_REASON_NONE, PKI_DEFAULT_CRL_DAYS);
	root_crl = station_crl_make(mfr, ca, NULL, NULL, CRL_REASON_NONE, PKI_DEFAULT_CRL_DAYS);
	if (!crl || !root_crl)
		goto out;
	if (RAND_priv_bytes(master, sizeof(master)) != 1)
		goto out;

	err = write_private_pem(tmp, CK_FACTORY_MFR_KEY, mfr);
	if (!err)
		err = write_file_at(tmp, CK_FACTORY_MASTER_KEY, master,
				    sizeof(master), 0600);
	if (!err)
		err = write_cert_pem(tmp, CK_FACTORY_MFR_CA_PEM, ca, 0644);
	if (!err)
		err = write_credential(tmp, CK_FACTORY_CA_KEY, ica, CK_FACTORY_CA_CERT, icac, 0644);
	if (!err)
		err = write_credential(tmp, CK_FACTORY_SPP_KEY, spp, CK_FACTORY_SPP_CERT, sppc, 0644);
	if (!err)
		err = write_credential(tmp, CK_FACTORY_RECORD_KEY, rec, CK_FACTORY_RECORD_CERT,
				       recc, 0644);
	/* The station credential lets a client obtain device OFFERs: 0600. */
	if (!err)
		err = write_credential(tmp, CK_FACTORY_STATION_KEY, sta,
				       CK_FACTORY_STATION_CERT, stac, 0600);
	if (!err)
		err = write_crl_at(tmp, CK_FACTORY_STATION_CRL, crl);
	if (!err)
		err = write_crl_at(tmp, CK_FACTORY_ROOT_CRL, root_crl);
	if (!err)
		err = write_root_der(tmp, mfr, ca);
	if (!err)
		err = write_file_at(tmp, CK_FACTORY_VERSION, version,
				    sizeof(version) - 1, 0644);
out:
	OPENSSL_cleanse(master, sizeof(master));
	EVP_PKEY_free(mfr);
	EVP_PKEY_free(ica);
	EVP_PKEY_free(spp);
	EVP_PKEY_free(rec);
	EVP_PKEY_free(sta);
	X509_free(ca);
	X509_free(icac);
	X509_free(sppc);
	X509_free(recc);
	X509_free(stac);
	X509_CRL_free(crl);
	X509_CRL_free(root_crl);
	return err;
}

int ck_factory_init(const char *dir, const struct ck_factory_opts *opts)
{
	struct ck_factory_opts o = { 0 };
	char tmp[PATH_MAX], parent_buf[PATH_MAX];
	size_t n;
	int err;

	if (!dir || !*dir)
		return -EINVAL;
	if (opts)
		o = *opts;
	if (!o.org)
		o.org = "chipkey";
	if (!o.spp_name)
		o.spp_name = "localhost";
	if (!o.ca_days)
		o.ca_days = PKI_DEFAULT_CA_DAYS;
	if (!o.spp_days)
		o.spp_days = PKI_DEFAULT_SPP_DAYS;

	/* Strip trailing slashes so the sibling temp dir is a sibling. */
	n = strlen(dir);
	if (n >= sizeof(tmp) - 16)
		return -ENAMETOOLONG;
	memcpy(parent_buf, dir, n + 1);
	while (n > 1 && parent_buf[n - 1] == '/')
		parent_buf[--n] = '\0';
	err = check_target(parent_buf);
	if (err)
		return err;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.init-XXXXXX", parent_buf) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	if (!mkdtemp(tmp))	/* mode 0700 */
		return -errno;
	err = populate(tmp, &o);
	if (!err)
		err = fsync_path(tmp);
	if (!err && rename(tmp, parent_buf) < 0)
		err = (errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR)
			? -EEXIST : -errno;
	if (err) {
		remove_tmp(tmp);
		return err;
	}
	fsync_path(dirname(parent_buf));
	return 0;
}
