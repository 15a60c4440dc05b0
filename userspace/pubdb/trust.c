// SPDX-License-Identifier: GPL-2.0
/*
 * The trust store every write is checked against (docs/pubdb-api.md, "Who
 * may write" and "Revocation"): the --writers certificates, and with
 * --crl the CRLs of the manufacturer root and of the issuing CAs, checked
 * for every certificate of a chain (X509_V_FLAG_CRL_CHECK_ALL).  A CRL
 * file is read again when it changes (inode, size or mtime); a CRL that
 * cannot be read, or one past its nextUpdate, refuses every write (fail
 * closed).  A CRL whose cRLNumber is lower than that of a CRL of the same
 * issuing CA (same name and key) seen since the start is not used: the
 * newer one stays (replay).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "common/pki.h"
#include "common/pubdb-record.h"
#include "pubdb.h"

#define TRUST_MAX_ISSUERS	16

static struct {
	pthread_mutex_t lock;
	const char *writers;
	const char *paths[PUBDB_MAX_CRLS];
	struct stat seen[PUBDB_MAX_CRLS];
	size_t n;
	X509_STORE *cur;	/* NULL: the CRLs could not be read */
	/* per issuer (name and key: pki_crl_same_issuer), the CRL with the
	 * highest cRLNumber seen since start */
	X509_CRL *newest[TRUST_MAX_ISSUERS];
	size_t nnewest;
} trust = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * CRL replay: @crl, or the newer CRL of the same issuer seen before if
 * @crl's cRLNumber is lower (pki_crl_older(), logged).  An issuing CA
 * rotated keeps its name and starts again at cRLNumber 1: keyed on the
 * name alone, its CRL would be taken for a replay of the old CA's and
 * every chain under it would have no CRL.  A CRL without a
 * readable cRLNumber is taken as it is and not kept.  Returns a new
 * reference.
 */
static X509_CRL *newest_crl(X509_CRL *crl)
{
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	int numbered = num != NULL;
	char now[300], was[300];
	size_t i;

	ASN1_INTEGER_free(num);
	ERR_clear_error();
	if (!numbered) {
		X509_CRL_up_ref(crl);
		return crl;
	}
	for (i = 0; i < trust.nnewest; i++)
		if (pki_crl_same_issuer(trust.newest[i], crl))
			break;
	if (i < trust.nnewest && pki_crl_older(crl, trust.newest[i])) {
		pki_crl_describe(crl, now, sizeof(now));
		pki_crl_describe(trust.newest[i], was, sizeof(was));
		fprintf(stderr, "chipkey-pubdb: %s: older than %s seen before (replayed?): "
			"keeping the newer one\n", now, strrchr(was, ' ') + 1);
		X509_CRL_up_ref(trust.newest[i]);
		return trust.newest[i];
	}
	if (i == trust.nnewest && i < TRUST_MAX_ISSUERS)
		trust.nnewest++;
	if (i < trust.nnewest) {
		X509_CRL_free(trust.newest[i]);
		X509_CRL_up_ref(crl);
		trust.newest[i] = crl;
	}
	X509_CRL_up_ref(crl);
	return crl;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The --writers certificates and every CRL file, CRL checks on; NULL with
 * the reason in @err. */
static X509_STORE *build(char *err, size_t errlen)
{
	X509_STORE *st = pubdb_load_cas(trust.writers, err, errlen);

	for (size_t i = 0; st && i < trust.n; i++) {
		STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
		int n = crls ? pki_crl_file_read(trust.paths[i], crls) : -ENOMEM;

		for (int j = 0; n > 0 && j < n; j++) {
			X509_CRL *use = newest_crl(sk_X509_CRL_value(crls, j));

			if (X509_STORE_add_crl(st, use) != 1)
				n = -EINVAL;
			X509_CRL_free(use);
		}
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
		if (n <= 0) {
			snprintf(err, errlen, "--crl %s: not a readable CRL", trust.paths[i]);
			X509_STORE_free(st);
			st = NULL;
		}
	}
	if (st && trust.n)
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	ERR_clear_error();
	return st;
}

int pubdb_trust_init(const char *writers, const char *const *crls, size_t n, char *err,
		     size_t errlen)
{
	if (n > PUBDB_MAX_CRLS) {
		snprintf(err, errlen, "at most %d --crl", PUBDB_MAX_CRLS);
		return -EINVAL;
	}
	trust.writers = writers;
	trust.n = n;
	for (size_t i = 0; i < n; i++) {
		trust.paths[i] = crls[i];
		if (stat(crls[i], &trust.seen[i]) < 0) {
			snprintf(err, errlen, "--crl %s: %s", crls[i], strerror(errno));
			return -errno;
		}
	}
	trust.cur = build(err, errlen);
	return trust.cur ? 0 : -EINVAL;
}

X509_STORE *pubdb_trust_get(char *err, size_t errlen)
{
	X509_STORE *st;
	int changed = 0;

	pthread_mutex_lock(&trust.lock);
	for (size_t i = 0; i < trust.n; i++) {
		struct stat now;

		if (stat(trust.paths[i], &now) < 0)
			memset(&now, 0, sizeof(now));
		if (!same_file(&now, &trust.seen[i])) {
			trust.seen[i] = now;
			changed = 1;
		}
	}
	if (changed) {
		X509_STORE_free(trust.cur);
		trust.cur = build(err, errlen);
		if (!trust.cur)
			fprintf(stderr, "chipkey-pubdb: %s: refusing writes until it is fixed\n",
				err);
	}
	st = trust.cur;
	if (st)
		X509_STORE_up_ref(st);
	else
		snprintf(err, errlen, "a CRL given with --crl cannot be read");
	pthread_mutex_unlock(&trust.lock);
	return st;
}

void pubdb_trust_free(void)
{
	X509_STORE_free(trust.cur);
	trust.cur = NULL;
	for (size_t i = 0; i < trust.nnewest; i++) {
		X509_CRL_free(trust.newest[i]);
	}
	trust.nnewest = 0;
}
