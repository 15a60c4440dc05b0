// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The customer CA (docs/enrollment.md): make the node directory, load it,
 * issue the customer certificate of one authenticated device.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/exit.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/pem.h"
#include "common/pki.h"
#include "common/x509-issue.h"
#include "ca.h"
#include "ledger.h"

#define PEM_MAX	(64 * 1024)

static int fail(const char *what, int err)
{
	fprintf(stderr, "chipkey-enroll: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return ck_exit_for_errno(err);
}

/* The first certificate of the PEM buffer @buf, or NULL. */
static X509 *cert_from_pem(const uint8_t *buf, size_t len)
{
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* The manufacturer root: self-signed, a CA, P-256.  0 or -EKEYREJECTED. */
static int check_mfr_ca(X509 *c)
{
	EVP_PKEY *pub = X509_get0_pubkey(c);

	if (!pub || !pki_is_p256(pub) || X509_check_issued(c, c) != X509_V_OK ||
	    X509_verify(c, pub) != 1 || X509_check_ca(c) < 1)
		return -EKEYREJECTED;
	return 0;
}

/* @dir/@name into @out: 0 or -ENAMETOOLONG. */
static int path_in(char out[PATH_MAX], const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int write_key(const char *dir, const char *name, EVP_PKEY *key)
{
	char path[PATH_MAX], *pem = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0, pem_len = 0;
	int err;

	err = path_in(path, dir, name);
	if (err)
		return err;
	err = pki_private_to_pkcs8_der(key, &der, &der_len);
	if (!err)
		err = ck_pem_encode("PRIVATE KEY", der, der_len, &pem, &pem_len);
	pki_free_secret(der, der_len);
	if (!err)
		err = ck_file_write_atomic(path, pem, pem_len, 0600, 0);
	if (pem) {
		OPENSSL_cleanse(pem, pem_len);
		free(pem);
	}
	return err;
}

static int write_cert(const char *dir, const char *name, X509 *x)
{
	char path[PATH_MAX], *pem = NULL;
	size_t len = 0;
	int err;

	err = path_in(path, dir, name);
	if (err)
		return err;
	err = ck_x509_to_pem(x, &pem, &len);
	if (!err)
		err = ck_file_write_atomic(path, pem, len, 0644, 0);
	free(pem);
	return err;
}

static X509 *make_ca(EVP_PKEY *key, const char *org)
{
	static const struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	if (n && ck_x509_name_add(n, NID_organizationName, org) &&
	    ck_x509_name_add(n, NID_commonName, "chipkey customer CA")) {
		struct ck_x509_req r = {
			.subject = n, .pub = key, .not_before = -ENROLL_NOT_BEFORE_SLACK,
			.days = ENROLL_CA_DAYS, .ext = ext, .n_ext = 2, .signer = key,
		};
		x = ck_x509_issue(&r);
	}
	X509_NAME_free(n);
	return x;
}

/* 1 if @name is an IPv4 or IPv6 address */
static int is_address(const char *name)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

/* 1 if @name is an address or a host name a TLS client can match: labels
 * of letters, digits and hyphens (1..63, no hyphen first or last) joined
 * by dots, 253 characters at most ("127.1", "[::1]", "a b" are neither) */
static int tls_name_ok(const char *name)
{
	size_t n = strlen(name), i, label = 0, digits_dots = 1;

	if (is_address(name))
		return 1;
	if (!n || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (c == '.') {
			if (!label || name[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c == '-' && label)) || ++label > 63)
			return 0;
		if (!(c >= '0' && c <= '9'))
			digits_dots = 0;
	}
	/* all digits and dots but not an address (127.1): refused */
	return label && name[n - 1] != '-' && !digits_dots;
}

static X509 *make_tls(EVP_PKEY *key, const char *org, const char *name,
		      EVP_PKEY *ca_key, X509 *ca)
{
	char san[300];
	struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "serverAuth" },
		{ NID_subject_alt_name, san },
	};
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;

	/* an address is an iPAddress entry: TLS clients (curl) match an
	 * https://127.0.0.1/ URL against those only, never against a DNS name */
	snprintf(san, sizeof(san), "%s:%s", is_address(name) ? "IP" : "DNS", name);
	if (n && ck_x509_name_add(n, NID_organizationName, org) &&
	    ck_x509_name_add(n, NID_commonName, name)) {
		struct ck_x509_req r = {
			.subject = n, .issuer = ca, .pub = key,
			.not_before = -ENROLL_NOT_BEFORE_SLACK,
			.days = ENROLL_TLS_DAYS, .ext = ext, .n_ext = 4, .signer = ca_key,
		};
		x = ck_x509_issue(&r);
	}
	X509_NAME_free(n);
	return x;
}

/* Everything of a new node directory into the (empty) directory @tmp. */
static int populate(const char *tmp, const char *org, X509 *mfr, const char *tls_name)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *tls_key = EVP_EC_gen("P-256");
	X509 *ca = NULL, *tls = NULL;
	char path[PATH_MAX];
	int err = -EIO;

	if (!ca_key || !tls_key)
		goto out;
	ca = make_ca(ca_key, org);
	tls = ca ? make_tls(tls_key, org, tls_name, ca_key, ca) : NULL;
	if (!tls)
		goto out;
	if ((err = write_key(tmp, ENROLL_CA_KEY, ca_key)) ||
	    (err = write_cert(tmp, ENROLL_CA_CERT, ca)) ||
	    (err = write_key(tmp, ENROLL_TLS_KEY, tls_key)) ||
	    (err = write_cert(tmp, ENROLL_TLS_CERT, tls)) ||
	    (err = write_cert(tmp, ENROLL_MFR_CA, mfr)))
		goto out;
	err = path_in(path, tmp, ENROLL_VERSION);
	if (!err)
		err = ck_file_write_atomic(path, "chipkey-enroll 1\n", 17, 0644, 0);
	if (!err)
		err = ledger_create(tmp);
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(tls_key);
	X509_free(ca);
	X509_free(tls);
	return err;
}

int enroll_ca_init(const char *dir, const char *org, const char *mfr_ca_path,
		   const char *tls_name)
{
	char tmp[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	X509 *mfr = NULL;
	int err, dfd;

	if (!*org || strlen(org) > ENROLL_ORG_MAX || !tls_name_ok(tls_name)) {
		fprintf(stderr, "chipkey-enroll: --org (1..%d bytes) or --tls-name is not usable\n",
			ENROLL_ORG_MAX);
		return CK_EXIT_USAGE;
	}
	err = ck_file_read(mfr_ca_path, &buf, &len, PEM_MAX);
	if (err || len > PEM_MAX)
		return fail(mfr_ca_path, err ? err : -EFBIG);
	mfr = cert_from_pem(buf, len);
	free(buf);
	if (!mfr) {
		fprintf(stderr, "chipkey-enroll: %s: no PEM certificate\n", mfr_ca_path);
		return CK_EXIT_MALFORMED;
	}
	if (check_mfr_ca(mfr)) {
		X509_free(mfr);
		fprintf(stderr, "chipkey-enroll: %s: not a self-signed P-256 CA certificate\n",
			mfr_ca_path);
		return CK_EXIT_BAD_CERT;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.init-XXXXXX", dir) >= (int)sizeof(tmp) || !mkdtemp(tmp)) {
		X509_free(mfr);
		return fail(dir, -errno);
	}
	err = populate(tmp, org, mfr, tls_name);
	X509_free(mfr);
	if (!err && rename(tmp, dir))
		err = -errno;
	if (err) {
		dfd = open(".", O_RDONLY | O_DIRECTORY);
		fs_rm_tree_at(dfd, tmp);
		if (dfd >= 0)
			close(dfd);
		if (err == -ENOTEMPTY || err == -EEXIST) {
			fprintf(stderr, "chipkey-enroll: %s exists and is not empty\n", dir);
			return CK_EXIT_CONFLICT;
		}
		return fail("init", err);
	}
	printf("customer CA made in %s\n", dir);
	return CK_EXIT_OK;
}

static int read_pem(int dfd, const char *name, int secret, uint8_t **buf, size_t *len)
{
	int err = secret ? ck_file_read_secret_at(dfd, name, PEM_MAX, buf, len)
			 : ck_file_read_at(dfd, name, PEM_MAX, buf, len);

	if (err)
		fprintf(stderr, "chipkey-enroll: %s: %s\n", name,
			err == -EPERM ? "readable by group or others" : strerror(-err));
	return err;
}

int enroll_ca_open(const char *dir, struct enroll_ca *ca)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *b;
	int dfd, err;

	memset(ca, 0, sizeof(*ca));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(dir, -errno);
	if ((err = read_pem(dfd, ENROLL_CA_KEY, 1, &buf, &len)))
		goto out;
	b = BIO_new_mem_buf(buf, (int)len);
	ca->key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	OPENSSL_clear_free(buf, len);
	if ((err = read_pem(dfd, ENROLL_CA_CERT, 0, &buf, &len)))
		goto out;
	ca->cert = cert_from_pem(buf, len);
	free(buf);
	if ((err = read_pem(dfd, ENROLL_MFR_CA, 0, &buf, &len)))
		goto out;
	ca->mfr_ca = cert_from_pem(buf, len);
	free(buf);
	err = -EINVAL;
	if (!ca->key || !ca->cert || !ca->mfr_ca || X509_check_private_key(ca->cert, ca->key) != 1 ||
	    check_mfr_ca(ca->mfr_ca) ||
	    pki_public_to_der(X509_get0_pubkey(ca->mfr_ca), &ca->rom_key, &ca->rom_key_len)) {
		fprintf(stderr, "chipkey-enroll: %s: the CA key, CA certificate or manufacturer CA is not usable\n",
			dir);
		goto out;
	}
	err = 0;
out:
	close(dfd);
	if (err) {
		enroll_ca_close(ca);
		return err == -EINVAL ? CK_EXIT_MALFORMED : ck_exit_for_errno(err);
	}
	return CK_EXIT_OK;
}

void enroll_ca_close(struct enroll_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	X509_free(ca->mfr_ca);
	OPENSSL_free(ca->rom_key);
	memset(ca, 0, sizeof(*ca));
}

/* RFC 7254 IMEI URN of a 15-digit identity: 8-6-1 digits. */
static void imei_urn(const char *id, char *out, size_t n)
{
	snprintf(out, n, "URI:urn:gsma:imei:%.8s-%.6s-%.1s", id, id + 8, id + 14);
}

X509 *enroll_ca_issue(const struct enroll_ca *ca, X509 *factory, EVP_PKEY *pub,
		      int days)
{
	char id[CK_DP_DEVICE_ID_LEN + 1], chip_hex[2 * CHIPKEY_CHIP_ID_LEN + 1];
	char san[200], imei[64];
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	struct ck_x509_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature,keyAgreement" },
		{ NID_ext_key_usage, "clientAuth" },
		{ NID_subject_alt_name, san },
	};
	X509_EXTENSION *raw[1];
	const X509_NAME *ca_name = X509_get_subject_name(ca->cert);
	X509_NAME *n = NULL;
	X509 *x = NULL;
	ASN1_OBJECT *oid = NULL;
	size_t n_raw = 0;
	int org, i;

	if (pki_cert_device_identity(factory, id) || pki_cert_chip_id(factory, chip))
		return NULL;
	ck_hex_encode(chip, sizeof(chip), chip_hex);
	imei_urn(id, imei, sizeof(imei));
	snprintf(san, sizeof(san), "URI:%s%s, %s", PKI_CHIP_ID_URI_PREFIX, chip_hex, imei);
	/* the chip's attestation key: copied as it is (docs/enrollment.md) */
	oid = OBJ_txt2obj(PKI_ATTEST_KEY_OID, 1);
	i = oid ? X509_get_ext_by_OBJ(factory, oid, -1) : -1;
	if (i >= 0)
		raw[n_raw++] = X509_get_ext(factory, i);
	org = X509_NAME_get_index_by_NID(ca_name, NID_organizationName, -1);
	n = X509_NAME_new();
	if (n && (org < 0 || X509_NAME_add_entry(n, X509_NAME_get_entry(ca_name, org), -1, 0)) &&
	    ck_x509_name_add(n, NID_commonName, id) &&
	    ck_x509_name_add(n, NID_serialNumber, id)) {
		struct ck_x509_req r = {
			.subject = n, .issuer = ca->cert, .pub = pub,
			.not_before = -ENROLL_NOT_BEFORE_SLACK,
			.days = days, .ext = ext, .n_ext = 4, .raw = raw, .n_raw = n_raw,
			.signer = ca->key,
		};
		x = ck_x509_reparse(ck_x509_issue(&r));
	}
	ASN1_OBJECT_free(oid);
	X509_NAME_free(n);
	return x;
}
