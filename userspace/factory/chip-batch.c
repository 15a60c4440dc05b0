// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory load-chips: the chip batch of database 140 from the chip
 * certificates a chip vendor ships (docs/chip-certificates.md).  Every
 * certificate is checked before anything is loaded: it chains to the
 * chip-vendor CA (X509_verify_cert() with that one anchor), is not a CA
 * (basicConstraints CA:FALSE), has keyUsage keyAgreement, a P-256 key (Q,
 * its point) and one valid urn:chipkey:chip-id: URI.  Then all chips are
 * loaded in one transaction (store_load_chips()).  docs/factory-pki.md,
 * "Loading a chip batch".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/attest.h"
#include "common/exit.h"
#include "common/file.h"
#include "common/pki.h"
#include "chip-batch.h"
#include "store/store.h"
#include "subcommands.h"

#define CHIP_FILE_MAX	(64u << 20)	/* one input file */

struct batch {
	struct store_chip *v;
	uint8_t **der;
	size_t n, cap;
};

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		OPENSSL_free(b->der[i]);
	free(b->der);
	free(b->v);
}

/*
 * The next PEM block of @bio, which must be a CERTIFICATE whose DER is
 * exactly one certificate.  *@x NULL at the end of the input; CK_EXIT_*
 * (a block of another type, e.g. a TRUSTED CERTIFICATE or a key, is
 * malformed input: refused, never skipped).
 */
static int next_cert(BIO *bio, const char *path, X509 **x)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	const unsigned char *q;
	long dlen = 0;
	int rc = CK_EXIT_OK;

	*x = NULL;
	if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE)
			return CK_EXIT_OK;
		fprintf(stderr, "%s: %s: malformed PEM\n", factory_prog, path);
		return CK_EXIT_MALFORMED;
	}
	q = data;
	if (strcmp(name, PEM_STRING_X509) || header[0] ||
	    !(*x = d2i_X509(NULL, &q, dlen)) || q != data + dlen) {
		fprintf(stderr, "%s: %s: a PEM block that is not exactly one CERTIFICATE (%s)\n",
			factory_prog, path, name);
		X509_free(*x);
		*x = NULL;
		rc = CK_EXIT_MALFORMED;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	return rc;
}

/* The PEM certificates of @path, each passed to @fn; CK_EXIT_*. */
static int read_certs(const char *path, int (*fn)(X509 *x, const char *where, void *arg),
		      void *arg)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char where[600];
	BIO *bio;
	X509 *x = NULL;
	int err, count = 0, rc = CK_EXIT_OK;

	err = ck_file_read(path, &buf, &len, CHIP_FILE_MAX);
	if (!err && len > CHIP_FILE_MAX)
		err = -EFBIG;
	if (err) {
		free(buf);
		return factory_fail(path, err);
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	ERR_clear_error();
	while (bio && rc == CK_EXIT_OK && (rc = next_cert(bio, path, &x)) == CK_EXIT_OK && x) {
		snprintf(where, sizeof(where), "%s, certificate %d", path, ++count);
		rc = fn(x, where, arg);
		X509_free(x);
	}
	if (rc == CK_EXIT_OK && (!bio || count == 0)) {
		fprintf(stderr, "%s: %s: no PEM certificate\n", factory_prog, path);
		rc = bio ? CK_EXIT_MALFORMED : CK_EXIT_OTHER;
	}
	ERR_clear_error();
	BIO_free(bio);
	free(buf);
	return rc;
}

static int refuse(const char *where, const char *why)
{
	fprintf(stderr, "%s: %s: refused: %s\n", factory_prog, where, why);
	return CK_EXIT_BAD_CERT;
}

struct check_arg {
	X509_STORE *anchor;
	struct batch *b;
};

/* One chip certificate: checked, then its chip ID, Q and DER added. */
static int check_chip(X509 *x, const char *where, void *p)
{
	struct check_arg *a = p;
	struct batch *b = a->b;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	struct store_chip *c;
	uint32_t flags;
	size_t len;
	int ok;

	if (!ctx || !X509_STORE_CTX_init(ctx, a->anchor, x, NULL)) {
		X509_STORE_CTX_free(ctx);
		return factory_fail("verify", -ENOMEM);
	}
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		fprintf(stderr, "%s: %s: refused: does not chain to the chip-vendor CA: %s\n",
			factory_prog, where,
			X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	if (!ok)
		return CK_EXIT_BAD_CERT;
	flags = X509_get_extension_flags(x);
	if (!(flags & EXFLAG_BCONS) || (flags & EXFLAG_CA) || X509_check_ca(x))
		return refuse(where, "not a chip certificate (basicConstraints CA:FALSE wanted)");
	if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(x) & KU_KEY_AGREEMENT))
		return refuse(where, "keyUsage without keyAgreement");
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct store_chip *v = realloc(b->v, cap * sizeof(*v));
		uint8_t **d = v ? realloc(b->der, cap * sizeof(*d)) : NULL;

		if (v)
			b->v = v;
		if (d)
			b->der = d;
		if (!v || !d)
			return factory_fail("load-chips", -ENOMEM);
		b->cap = cap;
	}
	c = &b->v[b->n];
	memset(c, 0, sizeof(*c));
	if (!pki_is_p256(X509_get0_pubkey(x)) ||
	    ck_att_pkey_to_pub(X509_get0_pubkey(x), c->attest_pub))
		return refuse(where, "the key is not a P-256 point");
	if (pki_cert_chip_id(x, c->chip_id))
		return refuse(where, "no single valid " PKI_CHIP_ID_URI_PREFIX " URI");
	if (pki_cert_to_der(x, &b->der[b->n], &len))
		return factory_fail(where, -ENOMEM);
	c->cert = b->der[b->n];
	c->cert_len = len;
	b->n++;
	return CK_EXIT_OK;
}

static int take_ca(X509 *x, const char *where, void *p)
{
	X509 **ca = p;

	if (*ca) {
		fprintf(stderr, "%s: %s: one chip-vendor CA certificate wanted\n", factory_prog,
			where);
		return CK_EXIT_USAGE;
	}
	/* a CA that may sign certificates, never a chip certificate as its
	 * own anchor (X509_V_FLAG_PARTIAL_CHAIN would accept that) */
	if (X509_check_ca(x) < 1 || ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) &&
				     !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN)))
		return refuse(where, "the chip-vendor CA is not a CA (basicConstraints "
			      "CA:TRUE and keyCertSign wanted)");
	X509_up_ref(x);
	*ca = x;
	return CK_EXIT_OK;
}

/* The batch into the database; CK_EXIT_*. */
static int store_batch(const char *url, const struct batch *b)
{
	struct store *st = NULL;
	char msg[256] = "";
	size_t added = 0;
	uint64_t total = 0;
	int err;

	err = store_open_kind(url, STORE_FACTORY, &st, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", factory_prog, url, msg[0] ? msg : strerror(-err));
		return ck_exit_for_errno(err);
	}
	err = store_load_chips(st, b->v, b->n, &added);
	if (!err)
		err = store_chip_count(st, &total);
	if (err)
		fprintf(stderr, "%s: loading chips: %s; nothing loaded\n", factory_prog,
			store_error(st)[0] ? store_error(st) : strerror(-err));
	else
		printf("chip batch: %zu added, %zu already present; batch: %llu chips\n", added,
		       b->n - added, (unsigned long long)total);
	store_close(st);
	return err == -EEXIST ? CK_EXIT_CONFLICT : ck_exit_for_errno(err);
}

int chip_batch_load(const char *url, const char *ca_path, const char *const *files,
		    size_t n)
{
	struct batch b = { 0 };
	struct check_arg a = { NULL, &b };
	X509 *ca = NULL;
	size_t i;
	int rc;

	rc = read_certs(ca_path, take_ca, &ca);
	if (rc == CK_EXIT_OK) {
		a.anchor = X509_STORE_new();
		if (!a.anchor || !X509_STORE_add_cert(a.anchor, ca) ||
		    !X509_STORE_set_flags(a.anchor, X509_V_FLAG_PARTIAL_CHAIN))
			rc = factory_fail("chip-vendor CA", -ENOMEM);
	}
	for (i = 0; rc == CK_EXIT_OK && i < n; i++)
		rc = read_certs(files[i], check_chip, &a);
	if (rc == CK_EXIT_OK)
		rc = store_batch(url, &b);
	else
		fprintf(stderr, "%s: nothing loaded\n", factory_prog);
	X509_STORE_free(a.anchor);
	X509_free(ca);
	batch_free(&b);
	return rc;
}
