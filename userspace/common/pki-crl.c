// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Revocation as devices check it (pki_crls_*, common/pki.h): CRLs of the
 * manufacturer root (revoked issuing CAs) and of issuing CAs (revoked SPP
 * TLS, record-signing and station credentials, device certificates).  A
 * CRL counts only for the CA whose key signed it; once CRLs are given, an
 * issuer without one, or with only stale ones, fails closed.
 * docs/factory-pki.md, "Revocation".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/pki.h"

/* The rollback floors of a set (pki_crls_floor): the directories where
 * the newest CRL of each issuer is kept (every one a command can see: a
 * state directory, a slot directory), and which CRLs of the set were
 * compared to all of them since they verified (raised[i]: stored or found
 * not newer in each). */
#define CRL_FLOOR_DIRS 4
struct crl_floor {
	int dfd[CRL_FLOOR_DIRS];
	int ndir;
	pthread_mutex_t lock;
	unsigned char *raised;
	int n;
};

struct pki_crls {
	STACK_OF(X509_CRL) *crls;
	struct crl_floor *floor;	/* NULL: no floor */
};

void pki_crls_free(struct pki_crls *c)
{
	if (!c)
		return;
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	if (c->floor) {
		for (int d = 0; d < c->floor->ndir; d++)
			close(c->floor->dfd[d]);
		pthread_mutex_destroy(&c->floor->lock);
		free(c->floor->raised);
		free(c->floor);
	}
	free(c);
}

int pki_crl_file_read(const char *path, STACK_OF(X509_CRL) *out)
{
	const unsigned char *p;
	uint8_t *buf = NULL;
	X509_CRL *crl;
	size_t len = 0;
	BIO *b;
	int n = 0;

	/* a regular file of at most PKI_CRL_FILE_MAX: a FIFO or a device
	 * named here is refused, never waited on */
	n = ck_file_read_regular(path, PKI_CRL_FILE_MAX, &buf, &len);
	if (n)
		return n == -EFBIG ? -EINVAL : n;
	b = BIO_new_mem_buf(buf, (int)len);
	if (!b) {
		free(buf);
		return -ENOMEM;
	}
	/* every CRL of a PEM bundle (other PEM blocks are skipped) */
	while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL))) {
		if (!sk_X509_CRL_push(out, crl)) {
			X509_CRL_free(crl);
			n = -ENOMEM;
			break;
		}
		n++;
	}
	BIO_free(b);
	if (n == 0) {
		p = buf;
		crl = d2i_X509_CRL(NULL, &p, (long)len);
		if (crl && !sk_X509_CRL_push(out, crl)) {
			X509_CRL_free(crl);
			n = -ENOMEM;
		} else if (crl) {
			n = 1;
		}
	}
	free(buf);
	ERR_clear_error();
	return n == 0 ? -EINVAL : n;
}

/* The key identifier of @crl's signer (authorityKeyIdentifier), or NULL. */
static ASN1_OCTET_STRING *crl_keyid(X509_CRL *crl)
{
	AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	ASN1_OCTET_STRING *id = NULL;

	if (akid) {
		id = akid->keyid;
		akid->keyid = NULL;
		AUTHORITY_KEYID_free(akid);
	}
	ERR_clear_error();
	return id;
}

/* @a and @b may be of the same signing key: the same
 * authorityKeyIdentifier, or one of them has none (it names no key, so it
 * is taken as of any key under its name: an old CRL made without one is
 * still a replay of a newer one with it).  A CA re-keyed under the same
 * name (an issuing CA rotated, docs/factory-pki.md "Rotation") starts its
 * cRLNumbers again without being taken for a replay. */
static int same_signer(X509_CRL *a, X509_CRL *b)
{
	ASN1_OCTET_STRING *ia = crl_keyid(a), *ib = crl_keyid(b);
	int same = !ia || !ib || !ASN1_OCTET_STRING_cmp(ia, ib);

	ASN1_OCTET_STRING_free(ia);
	ASN1_OCTET_STRING_free(ib);
	return same;
}

int pki_crl_same_issuer(X509_CRL *a, X509_CRL *b)
{
	return !X509_NAME_cmp(X509_CRL_get_issuer(a), X509_CRL_get_issuer(b)) &&
	       same_signer(a, b);
}

int pki_crl_older(X509_CRL *a, X509_CRL *b)
{
	ASN1_INTEGER *na, *nb;
	int older;

	if (!pki_crl_same_issuer(a, b))
		return 0;
	na = X509_CRL_get_ext_d2i(a, NID_crl_number, NULL, NULL);
	nb = X509_CRL_get_ext_d2i(b, NID_crl_number, NULL, NULL);
	older = na && nb && ASN1_INTEGER_cmp(na, nb) < 0;
	ASN1_INTEGER_free(na);
	ASN1_INTEGER_free(nb);
	ERR_clear_error();
	return older;
}

struct pki_crls *pki_crls_load(const char *const *paths, size_t n, char *err,
			       size_t errlen)
{
	struct pki_crls *c = calloc(1, sizeof(*c));

	if (!c || !(c->crls = sk_X509_CRL_new_null())) {
		snprintf(err, errlen, "out of memory");
		pki_crls_free(c);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (pki_crl_file_read(paths[i], c->crls) <= 0) {
			snprintf(err, errlen, "%s: not a readable CRL", paths[i]);
			pki_crls_free(c);
			return NULL;
		}
	}
	return c;
}

int pki_crls_add(struct pki_crls **c, const char *path, char *err, size_t errlen)
{
	int n;

	if (!*c && !(*c = pki_crls_load(NULL, 0, err, errlen)))
		return -ENOMEM;
	n = pki_crl_file_read(path, (*c)->crls);
	if (n <= 0) {
		snprintf(err, errlen, "%s: not a readable CRL", path);
		return n < 0 ? n : -EINVAL;
	}
	return 0;
}

/* "<hex SHA-256 of the issuer's DER name || its authorityKeyIdentifier
 * keyid>.der": the floor file of @crl's issuer and key. */
static int floor_name(X509_CRL *crl, char *name, size_t size)
{
	unsigned char md[32], *der = NULL;
	ASN1_OCTET_STRING *id = crl_keyid(crl);
	int len = i2d_X509_NAME(X509_CRL_get_issuer(crl), &der);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = size >= 2 * sizeof(md) + 5 && len > 0 && m &&
		 EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(m, der, (size_t)len) == 1 &&
		 (!id || EVP_DigestUpdate(m, id->data, (size_t)id->length) == 1) &&
		 EVP_DigestFinal_ex(m, md, NULL) == 1;

	EVP_MD_CTX_free(m);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(id);
	ERR_clear_error();
	if (!ok)
		return -EINVAL;
	ck_hex_encode(md, sizeof(md), name);
	memcpy(name + 2 * sizeof(md), ".der", 5);
	return 0;
}

/* The floor CRL kept for @crl's issuer in @dfd: NULL if none (or unreadable:
 * a file that is not a CRL is no floor; a new one replaces it). */
static X509_CRL *floor_read(int dfd, X509_CRL *crl)
{
	const unsigned char *p;
	uint8_t *buf = NULL;
	X509_CRL *f = NULL;
	size_t len = 0;
	char name[80];

	if (floor_name(crl, name, sizeof(name)) ||
	    ck_file_read_at(dfd, name, PKI_CRL_FILE_MAX, &buf, &len))
		return NULL;
	p = buf;
	f = d2i_X509_CRL(NULL, &p, (long)len);
	free(buf);
	ERR_clear_error();
	return f;
}

/* @crl's cRLNumber in decimal, whatever its size (up to 20 octets, RFC
 * 5280 5.2.3), in @buf: "none" without one, "?" if it does not decode. */
void pki_crl_number(X509_CRL *crl, char *buf, size_t size)
{
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	BIGNUM *bn = num ? ASN1_INTEGER_to_BN(num, NULL) : NULL;
	char *dec = bn ? BN_bn2dec(bn) : NULL;

	snprintf(buf, size, "%s", dec ? dec : num ? "?" : "none");
	OPENSSL_free(dec);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	ERR_clear_error();
}

/* Describes @crl's issuer and cRLNumber (pki_crl_number) in @buf. */
void pki_crl_describe(X509_CRL *crl, char *buf, size_t size)
{
	char name[200], num[64];

	X509_NAME_oneline(X509_CRL_get_issuer(crl), name, sizeof(name));
	pki_crl_number(crl, num, sizeof(num));
	snprintf(buf, size, "CRL of %s number %s", name, num);
}

int pki_crls_floor(struct pki_crls *c, const char *dir, const struct pki_crls *prev,
		   int keep, char *why, size_t whylen)
{
	int kept = 0, n, dfd;
	char was[300], now[300];

	if (why && whylen)
		why[0] = 0;
	if (!c)
		return -EINVAL;
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		int e = errno;

		snprintf(why, whylen, "CRL floor %s: %s", dir, strerror(e));
		return -e;
	}
	n = sk_X509_CRL_num(c->crls);
	if (c->floor) {
		/* one more floor of the same set: each CRL is checked against
		 * it now, and raises it (with the others) from the next check */
		struct stat a, b;
		int d, err = fstat(dfd, &a) < 0 ? -errno : 0;

		for (d = 0; !err && d < c->floor->ndir; d++)
			if (fstat(c->floor->dfd[d], &b) < 0)
				err = -errno;
			else if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				break;	/* already a floor of the set */
		if (!err && d == c->floor->ndir && d == CRL_FLOOR_DIRS)
			err = -E2BIG;
		if (err) {
			close(dfd);
			snprintf(why, whylen, "CRL floor %s: %s", dir, strerror(-err));
			return err;
		}
		pthread_mutex_lock(&c->floor->lock);
		if (d == c->floor->ndir) {
			c->floor->dfd[c->floor->ndir++] = dfd;
			memset(c->floor->raised, 0, (size_t)c->floor->n + 1);
		} else {
			close(dfd);
			dfd = c->floor->dfd[d];
		}
		pthread_mutex_unlock(&c->floor->lock);
	} else {
		if (!(c->floor = calloc(1, sizeof(*c->floor))) ||
		    !(c->floor->raised = calloc((size_t)n + 1, 1))) {
			free(c->floor);
			c->floor = NULL;
			close(dfd);
			return -ENOMEM;
		}
		c->floor->dfd[0] = dfd;
		c->floor->ndir = 1;
		c->floor->n = n;
		pthread_mutex_init(&c->floor->lock, NULL);
	}
	for (int i = 0; i < n && i < c->floor->n; i++) {
		X509_CRL *crl = sk_X509_CRL_value(c->crls, i);
		X509_CRL *newer = floor_read(dfd, crl);

		/* the persisted floor first, then the set this one replaces */
		if (newer && !pki_crl_older(crl, newer)) {
			X509_CRL_free(newer);
			newer = NULL;
		}
		for (int j = 0; !newer && prev && j < sk_X509_CRL_num(prev->crls); j++) {
			X509_CRL *p = sk_X509_CRL_value(prev->crls, j);

			if (pki_crl_older(crl, p) && X509_CRL_up_ref(p))
				newer = p;
		}
		if (!newer)
			continue;
		pki_crl_describe(crl, now, sizeof(now));
		pki_crl_describe(newer, was, sizeof(was));
		snprintf(why, whylen, "%s: older than number %s accepted before (replayed?)%s",
			 now, strrchr(was, ' ') + 1, keep ? ": keeping the newer one" : "");
		if (!keep) {
			X509_CRL_free(newer);
			return -ESTALE;
		}
		X509_CRL_free(crl);
		(void)sk_X509_CRL_set(c->crls, i, newer);
		kept++;
	}
	return kept;
}

/* Raises the floor in the directory @dfd to @crl (which has a cRLNumber):
 * 0, or -errno if it could not be stored. */
static int floor_raise_dir(int dfd, X509_CRL *crl)
{
	unsigned char *der = NULL;
	X509_CRL *old;
	char name[80];
	int len, err = 0;

	/* another process of the same directory: one at a time */
	if (flock(dfd, LOCK_EX) < 0)
		return -errno;
	old = floor_read(dfd, crl);
	if ((!old || pki_crl_older(old, crl) || !pki_crl_same_issuer(old, crl)) &&
	    !floor_name(crl, name, sizeof(name))) {
		len = i2d_X509_CRL(crl, &der);
		err = len <= 0 ? -ENOMEM : ck_file_write_at(dfd, name, der, (size_t)len, 0600);
		if (!err && fsync(dfd) < 0)
			err = -errno;
		OPENSSL_free(der);
	}
	X509_CRL_free(old);
	flock(dfd, LOCK_UN);
	return err;
}

/*
 * Raises every floor of @c to @crl (index @i of @c), which verified with
 * its issuer's key: kept where it has a cRLNumber higher than the floor's.
 * 0, or -errno if it could not be stored in one of them (the caller fails
 * closed).
 */
static int floor_raise(const struct pki_crls *c, int i, X509_CRL *crl)
{
	struct crl_floor *f = c->floor;
	ASN1_INTEGER *num;
	int err = 0;

	if (!f || i >= f->n)
		return 0;
	pthread_mutex_lock(&f->lock);
	if (f->raised[i]) {
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	for (int d = 0; num && d < f->ndir; d++) {
		int e = floor_raise_dir(f->dfd[d], crl);

		if (e && !err)
			err = e;
	}
	ASN1_INTEGER_free(num);
	ERR_clear_error();
	/* a failure is tried again at the next check (a full disk passes) */
	f->raised[i] = !err;
	pthread_mutex_unlock(&f->lock);
	return err;
}

/*
 * @cert against every CRL of @c that @issuer_key signed with @cert's issuer
 * name: -EKEYREVOKED if one lists it, -EKEYEXPIRED if none of them is
 * current at @now, -ENOKEY (a message naming the issuer in @why) if there
 * is no such CRL at all.
 */
static int check_one(const struct pki_crls *c, X509 *cert, EVP_PKEY *issuer_key,
		     time_t now, char *why, size_t whylen)
{
	int found = 0, current = 0, revoked = 0;
	char name[256];

	for (int i = 0; i < sk_X509_CRL_num(c->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(c->crls, i);
		X509_REVOKED *rev = NULL;
		const ASN1_TIME *next;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) ||
		    X509_CRL_verify(crl, issuer_key) != 1)
			continue;	/* another CA's */
		found = 1;
		/* authentic: the rollback floor moves up to it */
		if (floor_raise(c, i, crl)) {
			if (why)
				snprintf(why, whylen, "the newest CRL of an issuer cannot be "
					 "stored in the CRL floor directory");
			return -EIO;
		}
		next = X509_CRL_get0_nextUpdate(crl);
		if (now == PKI_TIME_IGNORE || (next && X509_cmp_time(next, &now) == 1))
			current = 1;
		if (X509_CRL_get0_by_cert(crl, &rev, cert) == 1)
			revoked = 1;
	}
	ERR_clear_error();
	if (revoked)
		return -EKEYREVOKED;
	if (!found) {
		X509_NAME_oneline(X509_get_issuer_name(cert), name, sizeof(name));
		if (why)
			snprintf(why, whylen, "no CRL of the issuer %s among the CRLs given "
				 "(with --crl, every issuer of the chain needs its CRL)", name);
		return -ENOKEY;
	}
	return current ? 0 : -EKEYEXPIRED;
}

int pki_crls_check(const struct pki_crls *c, X509 *cert, X509 *ica,
		   const uint8_t *rom_key, size_t rom_key_len, time_t now,
		   char *why, size_t whylen)
{
	EVP_PKEY *rom;
	int err;

	if (why && whylen)
		why[0] = 0;
	if (!c || sk_X509_CRL_num(c->crls) == 0)
		return 0;
	if (!cert || !rom_key)
		return -EINVAL;
	rom = pki_public_from_der(rom_key, rom_key_len);
	if (!rom)
		return -EINVAL;
	if (!now)
		now = time(NULL);
	err = ica ? check_one(c, ica, rom, now, why, whylen) : 0;
	/* a listing wins over a missing or stale CRL of the other issuer */
	if (err != -EKEYREVOKED) {
		int e2 = check_one(c, cert, ica ? X509_get0_pubkey(ica) : rom, now,
				   err ? NULL : why, whylen);

		if (!err || e2 == -EKEYREVOKED)
			err = e2;
	}
	EVP_PKEY_free(rom);
	return err;
}
