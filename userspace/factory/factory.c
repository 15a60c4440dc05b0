// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chipkey factory directory: creation (chipkey-factory init), loading, and
 * building a device's data package.  Layout: docs/factory-pki.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pki.h"

#define MAX_FACTORY_FILE	(64 * 1024)

static int write_file_at(const char *dir, const char *name, const void *data,
			 size_t len, mode_t mode)
{
	char path[PATH_MAX];
	const uint8_t *p = data;
	int fd, err = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)	/* whatever the umask */
		err = -errno;
	while (!err && len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
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
	CK_FACTORY_VERSION,
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

static int populate(const char *tmp, const struct ck_factory_opts *o)
{
	EVP_PKEY *mfr = NULL, *spp = NULL, *sta = NULL;
	X509 *ca = NULL, *sppc = NULL, *stac = NULL;
	uint8_t master[PKI_MASTER_KEY_LEN];
	uint8_t *der = NULL;
	size_t der_len = 0;
	int err = -EIO;
	static const char version[] = "chipkey-factory 1\n";

	mfr = pki_ec_keygen();
	spp = pki_ec_keygen();
	sta = pki_ec_keygen();
	if (!mfr || !spp || !sta)
		goto out;
	ca = pki_make_mfr_ca(mfr, o->org, NULL, o->ca_days);
	if (!ca)
		goto out;
	sppc = pki_issue_spp_cert(mfr, ca, spp, o->spp_name, o->spp_days);
	if (!sppc)
		goto out;
	stac = pki_issue_station_cert(mfr, ca, sta, NULL, o->spp_days);
	if (!stac)
		goto out;
	if (RAND_priv_bytes(master, sizeof(master)) != 1)
		goto out;

	err = write_private_pem(tmp, CK_FACTORY_MFR_KEY, mfr);
	if (!err)
		err = write_file_at(tmp, CK_FACTORY_MASTER_KEY, master,
				    sizeof(master), 0600);
	if (!err)
		err = write_private_pem(tmp, CK_FACTORY_SPP_KEY, spp);
	if (!err)
		err = write_cert_pem(tmp, CK_FACTORY_MFR_CA_PEM, ca, 0644);
	if (!err)
		err = write_cert_pem(tmp, CK_FACTORY_SPP_CERT, sppc, 0644);
	/* The station credential lets a client obtain device OFFERs: 0600. */
	if (!err)
		err = write_private_pem(tmp, CK_FACTORY_STATION_KEY, sta);
	if (!err)
		err = write_cert_pem(tmp, CK_FACTORY_STATION_CERT, stac, 0600);
	if (!err && !(err = pki_cert_to_der(ca, &der, &der_len))) {
		err = write_file_at(tmp, CK_FACTORY_MFR_CA_DER, der, der_len, 0644);
		OPENSSL_free(der);
		der = NULL;
	}
	if (!err && !(err = pki_public_to_der(mfr, &der, &der_len))) {
		if (der_len > CHIPKEY_MAX_ROM_KEY)
			err = -EMSGSIZE;
		else
			err = write_file_at(tmp, CK_FACTORY_MFR_PUBKEY, der,
					    der_len, 0644);
		OPENSSL_free(der);
	}
	if (!err)
		err = write_file_at(tmp, CK_FACTORY_VERSION, version,
				    sizeof(version) - 1, 0644);
out:
	OPENSSL_cleanse(master, sizeof(master));
	EVP_PKEY_free(mfr);
	EVP_PKEY_free(spp);
	EVP_PKEY_free(sta);
	X509_free(ca);
	X509_free(sppc);
	X509_free(stac);
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

/* Read a whole (small) file; secret files must not be group/other readable. */
static int read_file_at(const char *dir, const char *name, int secret,
			uint8_t **out, size_t *out_len)
{
	char path[PATH_MAX];
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, err = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > MAX_FACTORY_FILE) {
		err = -EINVAL;
		goto out;
	}
	if (secret && (st.st_mode & 077)) {
		err = -EPERM;
		goto out;
	}
	buf = OPENSSL_secure_malloc((size_t)st.st_size);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			OPENSSL_secure_clear_free(buf, (size_t)st.st_size);
			goto out;
		}
		got += (size_t)r;
	}
	*out = buf;
	*out_len = got;
out:
	close(fd);
	return err;
}

static void free_file(uint8_t *buf, size_t len)
{
	if (buf)
		OPENSSL_secure_clear_free(buf, len);
}

static int load_private(const char *dir, const char *name, EVP_PKEY **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int err = read_file_at(dir, name, 1, &buf, &len);

	if (err)
		return err;
	bio = BIO_new_mem_buf(buf, (int)len);
	*out = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free_file(buf, len);
	if (!*out)
		return -EINVAL;
	if (!pki_is_p256(*out)) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

static int load_cert(const char *dir, const char *name, X509 **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int err = read_file_at(dir, name, 0, &buf, &len);

	if (err)
		return err;
	bio = BIO_new_mem_buf(buf, (int)len);
	*out = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free_file(buf, len);
	return *out ? 0 : -EINVAL;
}

void ck_factory_close(struct ck_factory *f)
{
	if (!f)
		return;
	EVP_PKEY_free(f->mfr_key);
	X509_free(f->mfr_cert);
	OPENSSL_free(f->mfr_cert_der);
	OPENSSL_free(f->rom_key);
	EVP_PKEY_free(f->spp_key);
	X509_free(f->spp_cert);
	OPENSSL_cleanse(f, sizeof(*f));
	free(f);
}

int ck_factory_open(const char *dir, struct ck_factory **out)
{
	struct ck_factory *f;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (!dir || !out)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	err = load_private(dir, CK_FACTORY_MFR_KEY, &f->mfr_key);
	if (!err)
		err = load_cert(dir, CK_FACTORY_MFR_CA_PEM, &f->mfr_cert);
	if (err)
		goto fail;
	/* The CA certificate must be for the signing key we hold. */
	if (X509_check_private_key(f->mfr_cert, f->mfr_key) != 1) {
		err = -EINVAL;
		goto fail;
	}
	err = read_file_at(dir, CK_FACTORY_MASTER_KEY, 1, &buf, &len);
	if (err)
		goto fail;
	if (len != PKI_MASTER_KEY_LEN) {
		free_file(buf, len);
		err = -EINVAL;
		goto fail;
	}
	memcpy(f->master, buf, PKI_MASTER_KEY_LEN);
	free_file(buf, len);
	err = pki_cert_to_der(f->mfr_cert, &f->mfr_cert_der, &f->mfr_cert_der_len);
	if (!err)
		err = pki_public_to_der(f->mfr_key, &f->rom_key, &f->rom_key_len);
	if (err)
		goto fail;
	/* The SPP credential is optional (a signing-only station). */
	err = load_private(dir, CK_FACTORY_SPP_KEY, &f->spp_key);
	if (err == -ENOENT) {
		err = 0;
	} else if (!err) {
		err = load_cert(dir, CK_FACTORY_SPP_CERT, &f->spp_cert);
		if (!err && X509_check_private_key(f->spp_cert, f->spp_key) != 1)
			err = -EINVAL;
	}
	if (err)
		goto fail;
	*out = f;
	return 0;
fail:
	ck_factory_close(f);
	return err;
}

int ck_factory_build_package(struct ck_factory *f, const char *identity,
			     const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
			     EVP_PKEY *dev_key, uint64_t generation,
			     struct ck_dp **out, X509 **cert_out)
{
	EVP_PKEY *key = dev_key;
	X509 *cert = NULL;
	struct ck_dp *dp = NULL;
	uint8_t chan[CK_DP_CHANNEL_KEY_LEN];
	uint8_t *p8 = NULL, *cder = NULL;
	size_t p8_len = 0, cder_len = 0;
	int err = -EINVAL;

	if (!f || !out || !chip_id || !ck_device_id_valid(identity))
		return -EINVAL;
	if (key) {
		if (!pki_is_p256(key))
			return -EINVAL;
		EVP_PKEY_up_ref(key);
	} else {
		key = pki_ec_keygen();
		if (!key)
			return -EIO;
	}
	err = -EIO;
	err = pki_issue_device_cert_der(f->mfr_key, f->mfr_cert, identity,
					chip_id, key, PKI_DEFAULT_DEVICE_DAYS,
					&cder, &cder_len);
	if (err) {
		err = -EIO;
		goto out;
	}
	err = pki_channel_key(f->master, identity, chan);
	if (!err)
		err = pki_private_to_pkcs8_der(key, &p8, &p8_len);
	if (!err && cert_out) {
		cert = pki_cert_from_der(cder, cder_len);
		if (!cert)
			err = -EIO;
	}
	if (err)
		goto out;
	err = -ENOMEM;
	dp = ck_dp_new();
	if (!dp)
		goto out;
	err = ck_dp_set_device_id(dp, identity);
	if (!err)
		err = ck_dp_set_chip_id(dp, chip_id);
	if (!err)
		err = ck_dp_set_u64(dp, CK_DP_GENERATION, generation);
	if (!err)
		err = ck_dp_set_u64(dp, CK_DP_CREATED, (uint64_t)time(NULL));
	if (!err)
		err = ck_dp_set(dp, CK_DP_CHANNEL_KEY, 0, chan, sizeof(chan));
	if (!err)
		err = ck_dp_set(dp, CK_DP_DEVICE_KEY, 0, p8, p8_len);
	if (!err)
		err = ck_dp_set(dp, CK_DP_DEVICE_CERT, 0, cder, cder_len);
	if (!err)
		err = ck_dp_set(dp, CK_DP_MFR_CA_CERT, 0, f->mfr_cert_der,
				f->mfr_cert_der_len);
	if (err)
		goto out;
	*out = dp;
	dp = NULL;
	if (cert_out) {
		*cert_out = cert;
		cert = NULL;
	}
out:
	OPENSSL_cleanse(chan, sizeof(chan));
	pki_free_secret(p8, p8_len);
	OPENSSL_free(cder);
	ck_dp_free(dp);
	X509_free(cert);
	EVP_PKEY_free(key);
	return err;
}
