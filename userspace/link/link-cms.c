// SPDX-License-Identifier: GPL-2.0
/*
 * Mode 3 (docs/service-link-cms.md): a signed secret transport encrypted
 * to the terminal (Toshiba claims 1-7) and its mirror, terminal to server
 * (claim 8).  The steps of <chipkey/link_cms.h>, in order:
 *
 *   device: HELLO(cert)            server: check cert, SECRET(to device)
 *   device: accept, SECRET(back)   server: check the echo
 *   both:   PSK = HKDF(secret_s || secret_d, label || nonce || identity)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/kdf.h"
#include "common/pki.h"
#include "link/link-cms.h"
#include "link/revocation.h"

/* The server's message lifetime: the exchange takes a round trip. */
#define CMS_VALID_FOR	300

/* A strictly increasing sequence for this process: microseconds of the
 * wall clock, or the last one + 1 if the clock has not moved on. */
static uint64_t next_seq(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static uint64_t last;
	struct timeval tv;
	uint64_t v;

	gettimeofday(&tv, NULL);
	v = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	pthread_mutex_lock(&lock);
	if (v <= last)
		v = last + 1;
	last = v;
	pthread_mutex_unlock(&lock);
	return v;
}

/* Sign @b with @key/@cert (+@extra) and encrypt it to @recip. */
static int seal(const struct ck_link_cms_body *b, EVP_PKEY *key, X509 *cert,
		STACK_OF(X509) *extra, X509 *recip, uint8_t **out, size_t *out_len)
{
	uint8_t raw[CK_LINK_CMS_BODY_LEN], *sd = NULL;
	size_t sd_len = 0;
	int rc;

	ck_link_cms_body_encode(b, raw);
	rc = ck_link_cms_sign(CK_LINK_CMS_BODY_OID, raw, sizeof(raw), key, cert, extra,
			      &sd, &sd_len);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc)
		return rc;
	rc = ck_link_cms_encrypt(sd, sd_len, recip, out, out_len);
	OPENSSL_clear_free(sd, sd_len);
	return rc;
}

/* Decrypt with @key/@cert, check the signature and parse the body. */
static int unseal(const uint8_t *msg, size_t len, EVP_PKEY *key, X509 *cert,
		  struct ck_link_cms_body *b, X509 **signer, STACK_OF(X509) **certs)
{
	uint8_t raw[CK_LINK_CMS_BODY_LEN], *sd = NULL;
	size_t sd_len = 0;
	int rc;

	rc = ck_link_cms_decrypt(msg, len, key, cert, &sd, &sd_len);
	if (rc)
		return rc;
	rc = ck_link_cms_open_signed(sd, sd_len, CK_LINK_CMS_BODY_OID, raw, sizeof(raw),
				     signer, certs);
	OPENSSL_clear_free(sd, sd_len);
	if (rc)
		return rc;
	rc = ck_link_cms_body_decode(raw, sizeof(raw), b);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc) {
		X509_free(*signer);
		sk_X509_pop_free(*certs, X509_free);
		*signer = NULL;
		*certs = NULL;
		return ck_link_fail(rc, "mode-3 body: malformed");
	}
	return 0;
}

int ck_link_cms_device_accept(const struct ck_link_device *d, const uint8_t *msg,
			      size_t len, struct ck_link_cms_body *b, X509 **server)
{
	STACK_OF(X509) *certs = NULL;
	time_t now = pki_clock_now();
	uint64_t hw;
	int rc, lk = -1;

	*server = NULL;
	rc = unseal(msg, len, d->key, d->cert, b, server, &certs);
	if (rc)
		return rc;
	rc = ck_link_verify_service(*server, certs, d->rom_key, now, d->crls);
	sk_X509_pop_free(certs, X509_free);
	if (rc)
		goto out;
	rc = -EKEYREJECTED;
	if (b->dir != CK_LINK_CMS_TO_DEVICE) {
		ck_link_fail(rc, "mode-3 body: not addressed to a device");
		goto out;
	}
	if (strcmp(b->identity, d->identity)) {
		ck_link_fail(rc, "mode-3 body: for identity %s, not %s", b->identity,
			     d->identity);
		goto out;
	}
	rc = ck_link_validity_check(b->issued_at, b->valid_for, now);
	if (!rc)
		rc = ck_link_signed_in_validity(*server, b->issued_at);
	if (rc)
		goto out;
	lk = ck_link_state_lock(d->state_dir);
	if (lk < 0) {
		rc = lk;
		goto out;
	}
	rc = ck_link_hw_read(d->state_dir, CK_LINK_CMS_STATE_FILE, &hw);
	if (rc)
		goto out;
	if (b->seq <= hw) {
		rc = ck_link_fail(-ESTALE, "replay: seq %llu, already accepted %llu",
				  (unsigned long long)b->seq, (unsigned long long)hw);
		goto out;
	}
	/* persisted before the secret is used: a crash cannot reopen it */
	rc = ck_link_hw_write(d->state_dir, CK_LINK_CMS_STATE_FILE, b->seq);
out:
	ck_link_state_unlock(lk);
	if (rc) {
		X509_free(*server);
		*server = NULL;
		OPENSSL_cleanse(b, sizeof(*b));
	}
	return rc;
}

static int derive(const struct ck_link_cms_body *s, const struct ck_link_cms_body *d,
		  struct ck_link_secret *out)
{
	uint8_t ikm[2 * CK_LINK_CMS_SECRET_LEN];
	uint8_t info[sizeof(CK_LINK_CMS_LABEL) + CK_LINK_CMS_NONCE_LEN + CK_LINK_CMS_ID_LEN];
	size_t n = sizeof(CK_LINK_CMS_LABEL);	/* with its NUL */
	int rc;

	memcpy(ikm, s->secret, CK_LINK_CMS_SECRET_LEN);
	memcpy(ikm + CK_LINK_CMS_SECRET_LEN, d->secret, CK_LINK_CMS_SECRET_LEN);
	memcpy(info, CK_LINK_CMS_LABEL, n);
	memcpy(info + n, s->nonce, CK_LINK_CMS_NONCE_LEN);
	n += CK_LINK_CMS_NONCE_LEN;
	memcpy(info + n, s->identity, CK_LINK_CMS_ID_LEN - 1);
	n += CK_LINK_CMS_ID_LEN - 1;
	rc = ck_hkdf_sha256(ikm, sizeof(ikm), info, n, out->key);
	OPENSSL_cleanse(ikm, sizeof(ikm));
	if (rc)
		return ck_link_fail(rc, "HKDF failed");
	out->key_len = CK_HKDF_OUT_LEN;
	snprintf(out->psk_identity, sizeof(out->psk_identity), "chipkey-cms:%s", s->identity);
	snprintf(out->peer, sizeof(out->peer), "%s", s->identity);
	return 0;
}

static int cms_server(const struct ck_link_server *s, int fd, struct ck_link_secret *out)
{
	struct ck_link_cms_body sb = { .dir = CK_LINK_CMS_TO_DEVICE }, db;
	STACK_OF(X509) *certs = NULL;
	X509 *dev = NULL, *signer = NULL;
	uint8_t *msg = NULL;
	const uint8_t *p;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&db, 0, sizeof(db));
	rc = ck_link_frame_recv(fd, CK_LINK_CMS_HELLO, &msg, &len);
	if (rc)
		goto out;
	p = msg;
	dev = d2i_X509(NULL, &p, (long)len);
	if (!dev || p != msg + len) {
		rc = ck_link_fail(-EBADMSG, "HELLO: not one DER certificate");
		goto out;
	}
	free(msg);
	msg = NULL;
	rc = ck_link_verify_device(dev, s->chain, s->rom_key, 0, s->crls, sb.identity);
	if (!rc && ck_link_identity_check(s, sb.identity))
		rc = ck_link_fail(-EKEYREVOKED, "device %s: revoked (--revoked-ids)", sb.identity);
	if (rc)
		goto out;
	sb.issued_at = (uint64_t)time(NULL);
	sb.valid_for = CMS_VALID_FOR;
	sb.seq = next_seq();
	if (RAND_bytes(sb.nonce, sizeof(sb.nonce)) != 1 ||
	    RAND_priv_bytes(sb.secret, sizeof(sb.secret)) != 1) {
		rc = ck_link_fail(-EIO, "no random bytes");
		goto out;
	}
	rc = seal(&sb, s->key, s->cert, s->chain, dev, &msg, &len);
	if (!rc)
		rc = ck_link_frame_send(fd, CK_LINK_CMS_SECRET, msg, len);
	OPENSSL_free(msg);
	msg = NULL;
	if (rc)
		goto out;
	rc = ck_link_frame_recv(fd, CK_LINK_CMS_SECRET, &msg, &len);
	if (!rc)
		rc = unseal(msg, len, s->key, s->cert, &db, &signer, &certs);
	if (rc)
		goto out;
	rc = -EKEYREJECTED;
	if (X509_cmp(signer, dev)) {
		ck_link_fail(rc, "reply: signed by another certificate than HELLO's");
		goto out;
	}
	/* the reply echoes this connection's offer: fresh, for this device */
	if (db.dir != CK_LINK_CMS_TO_SERVER || strcmp(db.identity, sb.identity) ||
	    db.issued_at != sb.issued_at || db.valid_for != sb.valid_for ||
	    db.seq != sb.seq || CRYPTO_memcmp(db.nonce, sb.nonce, sizeof(sb.nonce))) {
		ck_link_fail(rc, "reply: does not echo this connection's offer");
		goto out;
	}
	rc = derive(&sb, &db, out);
out:
	free(msg);
	X509_free(dev);
	X509_free(signer);
	sk_X509_pop_free(certs, X509_free);
	OPENSSL_cleanse(&sb, sizeof(sb));
	OPENSSL_cleanse(&db, sizeof(db));
	if (rc)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

static int cms_device(const struct ck_link_device *d, int fd, struct ck_link_secret *out)
{
	struct ck_link_cms_body sb, db;
	X509 *server = NULL;
	uint8_t *msg = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	int n, rc;

	memset(out, 0, sizeof(*out));
	memset(&sb, 0, sizeof(sb));
	n = i2d_X509(d->cert, &der);
	if (n <= 0)
		return ck_link_fail(-EINVAL, "device certificate: cannot encode");
	rc = ck_link_frame_send(fd, CK_LINK_CMS_HELLO, der, (size_t)n);
	OPENSSL_free(der);
	if (!rc)
		rc = ck_link_frame_recv(fd, CK_LINK_CMS_SECRET, &msg, &len);
	if (!rc)
		rc = ck_link_cms_device_accept(d, msg, len, &sb, &server);
	free(msg);
	msg = NULL;
	if (rc)
		goto out;
	db = sb;
	db.dir = CK_LINK_CMS_TO_SERVER;
	if (RAND_priv_bytes(db.secret, sizeof(db.secret)) != 1) {
		rc = ck_link_fail(-EIO, "no random bytes");
		goto out;
	}
	rc = seal(&db, d->key, d->cert, NULL, server, &msg, &len);
	if (!rc)
		rc = ck_link_frame_send(fd, CK_LINK_CMS_SECRET, msg, len);
	OPENSSL_free(msg);
	if (!rc)
		rc = derive(&sb, &db, out);
out:
	X509_free(server);
	OPENSSL_cleanse(&sb, sizeof(sb));
	OPENSSL_cleanse(&db, sizeof(db));
	if (rc)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

const struct ck_link_mode ck_link_mode_cms = {
	.name = "cms",
	.id = CK_LINK_CMS,
	.server = cms_server,
	.device = cms_device,
};
