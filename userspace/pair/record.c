// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A pairing record (pair.h; docs/pairing.md "Pairing store"): one text
 * file DIR/<peer identity>.pair, mode 0600, written atomically.
 *
 *   chipkey-pairing 1
 *   identity <15 digits>            the peer's
 *   chip-id <32 hex digits>         the peer's
 *   role listen|connect             ours in this pairing
 *   paired-at <unix seconds>
 *   link-key <64 hex digits>        secret
 *   <the peer's device certificate, PEM>
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/identity.h"
#include "pair.h"

#define MAGIC_LINE	"chipkey-pairing 1\n"
#define CERT_BEGIN	"-----BEGIN CERTIFICATE-----\n"
#define RECORD_MAX	(16 * 1024)

int ck_pair_record_encode(const struct ck_pair_record *r, char **out, size_t *len)
{
	char chip[2 * CHIPKEY_CHIP_ID_LEN + 1], key[2 * CK_PAIR_KEY_LEN + 1];
	size_t cap = 512 + (r->cert_pem ? strlen(r->cert_pem) : 0);
	char *buf;
	int n;

	if (!ck_identity_valid(r->identity) || !r->cert_pem ||
	    strncmp(r->cert_pem, CERT_BEGIN, strlen(CERT_BEGIN)))
		return -EINVAL;
	buf = OPENSSL_malloc(cap);
	if (!buf)
		return -ENOMEM;
	ck_hex_encode(r->chip_id, sizeof(r->chip_id), chip);
	ck_hex_encode(r->link_key, sizeof(r->link_key), key);
	n = snprintf(buf, cap, MAGIC_LINE "identity %s\nchip-id %s\nrole %s\npaired-at %" PRId64
		     "\nlink-key %s\n%s", r->identity, chip,
		     r->role == CK_PAIR_LISTEN ? "listen" : "connect", (int64_t)r->paired_at,
		     key, r->cert_pem);
	OPENSSL_cleanse(key, sizeof(key));
	if (n < 0 || (size_t)n >= cap) {
		OPENSSL_clear_free(buf, cap);
		return -EINVAL;
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* The value of the line "@name VALUE\n" at *@p (advanced past it), NUL
 * terminated in place; NULL if the line is not that. */
static char *field(char **p, char *end, const char *name)
{
	size_t n = strlen(name);
	char *nl, *v;

	if ((size_t)(end - *p) <= n || strncmp(*p, name, n) || (*p)[n] != ' ')
		return NULL;
	v = *p + n + 1;
	nl = memchr(v, '\n', (size_t)(end - v));
	if (!nl)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return v;
}

int ck_pair_record_decode(const char *text, size_t len, struct ck_pair_record *r)
{
	char *buf, *p, *end, *v, *stop;
	long long t;
	BIO *bio;
	X509 *x = NULL;
	int err = -EINVAL;

	memset(r, 0, sizeof(*r));
	if (len > RECORD_MAX || len < strlen(MAGIC_LINE) ||
	    memcmp(text, MAGIC_LINE, strlen(MAGIC_LINE)))
		return -EINVAL;
	buf = OPENSSL_malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	p = buf + strlen(MAGIC_LINE);
	end = buf + len;
	if (!(v = field(&p, end, "identity")) || !ck_identity_valid(v))
		goto out;
	memcpy(r->identity, v, 16);
	if (!(v = field(&p, end, "chip-id")) || ck_hex_decode(v, r->chip_id, sizeof(r->chip_id)))
		goto out;
	if (!(v = field(&p, end, "role")) || (strcmp(v, "listen") && strcmp(v, "connect")))
		goto out;
	r->role = !strcmp(v, "listen") ? CK_PAIR_LISTEN : CK_PAIR_CONNECT;
	if (!(v = field(&p, end, "paired-at")) || *v < '0' || *v > '9')
		goto out;
	errno = 0;
	t = strtoll(v, &stop, 10);
	if (errno || *stop || t < 0)
		goto out;
	r->paired_at = (time_t)t;
	if (!(v = field(&p, end, "link-key")) || ck_hex_decode(v, r->link_key, sizeof(r->link_key)))
		goto out;
	/* the rest: exactly one PEM certificate */
	if ((size_t)(end - p) < strlen(CERT_BEGIN) || strncmp(p, CERT_BEGIN, strlen(CERT_BEGIN)) ||
	    memchr(p, '\0', (size_t)(end - p)))
		goto out;
	bio = BIO_new_mem_buf(p, (int)(end - p));
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!x)
		goto out;
	r->cert_pem = strdup(p);
	err = r->cert_pem ? 0 : -ENOMEM;
out:
	X509_free(x);
	OPENSSL_clear_free(buf, len + 1);
	if (err)
		ck_pair_record_free(r);
	return err;
}

void ck_pair_record_free(struct ck_pair_record *r)
{
	free(r->cert_pem);
	OPENSSL_cleanse(r, sizeof(*r));
}

int ck_pair_record_store(const char *dir, const struct ck_pair_record *r)
{
	char name[32], *text = NULL;
	size_t len = 0;
	int dfd, err;

	if (!ck_identity_valid(r->identity))
		return -EINVAL;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	snprintf(name, sizeof(name), "%s.pair", r->identity);
	err = ck_pair_record_encode(r, &text, &len);
	if (!err)
		err = ck_file_write_at(dfd, name, text, len, 0600);
	if (!err && fsync(dfd))
		err = -errno;
	if (text)
		OPENSSL_clear_free(text, len);
	close(dfd);
	return err;
}
