// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory: fill the temporary secure database (140) through
 * userspace/store: the identity pool and pre-generated device key pairs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/identity.h"
#include "common/pki.h"
#include "common/pregen-key.h"
#include "factory.h"
#include "pki-issue.h"
#include "pool.h"
#include "store/store.h"

#define POOL_BATCH 10000

static int open_db(const char *url, struct store **st)
{
	char msg[256] = "";
	int err = store_open_kind(url, STORE_FACTORY, st, msg, sizeof(msg));

	if (err)
		fprintf(stderr, "chipkey-factory: %s: %s\n", url, msg[0] ? msg : strerror(-err));
	return err;
}

static int flush(struct store *st, char **ids, size_t n, size_t *added)
{
	size_t a = 0;
	int err = store_load_identities(st, (const char *const *)ids, n, &a);

	if (err) {
		fprintf(stderr, "chipkey-factory: loading identities: %s\n",
			store_error(st)[0] ? store_error(st) : strerror(-err));
		return err;
	}
	*added += a;
	return 0;
}

/* @path opened, every line checked (a bad line loads nothing), and
 * rewound: the stream and *@total identities, or NULL and *@err. */
static FILE *pool_open(const char *path, size_t *total, int *err)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char line[64];
	size_t lineno = 0;

	*total = 0;
	*err = 0;
	if (!f) {
		*err = path ? -errno : -EINVAL;
		fprintf(stderr, "chipkey-factory: %s: %s\n", path ? path : "(none)",
			strerror(-*err));
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (!ck_identity_valid(line)) {
			fprintf(stderr, "chipkey-factory: %s: line %zu: not a 15-digit identity "
				"with a valid check digit\n", path, lineno);
			*err = -EINVAL;
			break;
		}
		(*total)++;
	}
	if (!*err && (ferror(f) || fseek(f, 0, SEEK_SET))) {
		fprintf(stderr, "chipkey-factory: cannot read %s twice (use a file, not a pipe)\n",
			path);
		*err = -EIO;
	}
	if (*err) {
		fclose(f);
		return NULL;
	}
	return f;
}

int pool_check(const char *path)
{
	size_t total;
	int err;
	FILE *f = pool_open(path, &total, &err);

	if (f)
		fclose(f);
	return err;
}

int pool_load(const char *url, const char *path)
{
	struct store *st = NULL;
	char line[64], **ids = NULL;
	size_t n = 0, total = 0, added = 0;
	uint64_t nfree = 0, nres = 0, niss = 0;
	int err = 0;
	FILE *f = pool_open(path, &total, &err);

	if (!f)
		return err;
	ids = calloc(POOL_BATCH, sizeof(*ids));
	if (!ids) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < POOL_BATCH; i++) {
		ids[i] = malloc(CK_DP_DEVICE_ID_LEN + 1);
		if (!ids[i]) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = open_db(url, &st);
	if (err)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		memcpy(ids[n++], line, CK_DP_DEVICE_ID_LEN + 1);
		if (n == POOL_BATCH) {
			err = flush(st, ids, n, &added);
			if (err)
				goto out;
			n = 0;
		}
	}
	if (n) {
		err = flush(st, ids, n, &added);
		if (err)
			goto out;
	}
	store_identity_counts(st, &nfree, &nres, &niss);
	printf("%zu identities read, %zu added, %zu already present; "
	       "pool: %llu free, %llu reserved, %llu issued\n",
	       total, added, total - added, (unsigned long long)nfree,
	       (unsigned long long)nres, (unsigned long long)niss);
out:
	if (ids)
		for (size_t i = 0; i < POOL_BATCH; i++)
			free(ids[i]);
	free(ids);
	store_close(st);
	fclose(f);
	return err;
}

int pool_pregen_keys(const char *url, const uint8_t *master, unsigned long long count)
{
	struct store *st = NULL;
	uint64_t nfree = 0, nres = 0;
	int err = open_db(url, &st);

	if (err)
		return err;
	for (unsigned long long i = 0; i < count && !err; i++) {
		EVP_PKEY *k = pki_ec_keygen();
		uint8_t *pub = NULL, *priv = NULL, *sealed = NULL;
		size_t pub_len = 0, priv_len = 0, sealed_len = 0;

		if (!k) {
			err = -EIO;
			break;
		}
		err = pki_public_to_der(k, &pub, &pub_len);
		if (!err)
			err = pki_private_to_pkcs8_der(k, &priv, &priv_len);
		/* at rest only sealed under the master key */
		if (!err)
			err = ck_pregen_seal(master, pub, pub_len, priv, priv_len, &sealed,
					     &sealed_len);
		if (!err) {
			err = store_add_keypair(st, pub, pub_len, sealed, sealed_len, NULL);
			if (err)
				fprintf(stderr, "chipkey-factory: storing key pair: %s\n",
					store_error(st));
		}
		OPENSSL_free(pub);
		free(sealed);
		pki_free_secret(priv, priv_len);
		EVP_PKEY_free(k);
	}
	if (!err) {
		store_keypair_counts(st, &nfree, &nres);
		printf("%llu key pairs generated; pool: %llu free, %llu reserved\n",
		       count, (unsigned long long)nfree, (unsigned long long)nres);
	}
	store_close(st);
	return err;
}

int pool_pregen_keys_in(const char *dir, const char *url, unsigned long long count)
{
	struct ck_factory *f = NULL;
	int err = ck_factory_open(dir, &f);

	if (err) {
		fprintf(stderr, "chipkey-factory: factory %s: %s\n", dir, strerror(-err));
		return err;
	}
	err = pool_pregen_keys(url, f->master, count);
	ck_factory_close(f);
	return err;
}
