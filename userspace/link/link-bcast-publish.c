// SPDX-License-Identifier: GPL-2.0
/*
 * The server's broadcast of mode 4 (docs/service-link-cms.md "Mode 4"):
 * an ephemeral P-256 key d_s and the SignedData of its public value Q_s,
 * kept in the server's state directory as CK_LINK_BCAST_KEY_FILE (0600)
 * and CK_LINK_BCAST_FILE (0644, the file anyone may redistribute).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chipkey/link_bcast.h>
#include "common/attest.h"
#include "common/file.h"
#include "common/pki.h"
#include "link/link-bcast.h"

int ck_link_cert_digest(X509 *cert, uint8_t out[32])
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);
	int ok = n > 0 && EVP_Digest(der, (size_t)n, out, NULL, EVP_sha256(), NULL) == 1;

	OPENSSL_free(der);
	return ok ? 0 : ck_link_fail(-EIO, "cannot hash a certificate");
}

int ck_link_bcast_publish(const char *dir, EVP_PKEY *key, X509 *cert,
			  STACK_OF(X509) *chain, uint64_t version, uint32_t valid_for)
{
	struct ck_link_bcast_body b = { .version = version, .valid_for = valid_for };
	uint8_t raw[CK_LINK_BCAST_BODY_LEN], *sd = NULL, *kder = NULL;
	size_t sd_len = 0, kder_len = 0;
	EVP_PKEY *eph = NULL;
	int dfd = -1, rc;

	b.issued_at = (uint64_t)time(NULL);
	if (!version || version > b.issued_at + valid_for)
		return ck_link_fail(-EINVAL, "broadcast version %llu: not 1..issued_at + valid_for",
				    (unsigned long long)version);
	rc = ck_link_cert_digest(cert, b.server_id);
	if (rc)
		return rc;
	if (ck_att_ephemeral(&eph, b.pub) || pki_private_to_pkcs8_der(eph, &kder, &kder_len)) {
		rc = ck_link_fail(-EIO, "cannot make an ephemeral key");
		goto out;
	}
	ck_link_bcast_body_encode(&b, raw);
	rc = ck_link_cms_sign(CK_LINK_BCAST_OID, raw, sizeof(raw), key, cert, chain, &sd, &sd_len);
	if (rc)
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = ck_link_fail(-errno, "state directory %s: cannot open", dir);
		goto out;
	}
	/* the key first: a crash in between leaves a broadcast whose Q_s
	 * does not match the key, which ck_link_bcast_current() replaces */
	rc = ck_file_write_at(dfd, CK_LINK_BCAST_KEY_FILE, kder, kder_len, 0600);
	if (!rc)
		rc = ck_file_write_at(dfd, CK_LINK_BCAST_FILE, sd, sd_len, 0644);
	if (!rc && fsync(dfd))
		rc = -errno;
	if (rc)
		ck_link_fail(rc, "%s: cannot write the broadcast", dir);
out:
	if (dfd >= 0)
		close(dfd);
	pki_free_secret(kder, kder_len);
	OPENSSL_free(sd);
	EVP_PKEY_free(eph);
	return rc;
}

/* The broadcast of @dfd, if it is whole, signed by @cert and matches its
 * key; 0 or -errno (-ENOENT: none). */
static int load(int dfd, X509 *cert, uint8_t **der, size_t *len,
		struct ck_link_bcast_body *b, EVP_PKEY **eph)
{
	uint8_t raw[CK_LINK_BCAST_BODY_LEN], pub[CK_LINK_BCAST_PUB_LEN], sid[32];
	uint8_t *kder = NULL;
	STACK_OF(X509) *certs = NULL;
	X509 *signer = NULL;
	size_t kder_len = 0;
	int rc;

	rc = ck_file_read_at(dfd, CK_LINK_BCAST_FILE, CK_LINK_FRAME_MAX, der, len);
	if (rc)
		return rc;
	rc = ck_link_cms_open_signed(*der, *len, CK_LINK_BCAST_OID, raw, sizeof(raw),
				     &signer, &certs);
	if (!rc)
		rc = ck_link_bcast_body_decode(raw, sizeof(raw), b);
	if (!rc)
		rc = ck_link_cert_digest(cert, sid);
	if (!rc && (X509_cmp(signer, cert) || memcmp(sid, b->server_id, sizeof(sid))))
		rc = -EKEYREJECTED;	/* an older credential's: make a new one */
	if (!rc)
		rc = ck_file_read_secret_at(dfd, CK_LINK_BCAST_KEY_FILE, 4096, &kder, &kder_len);
	if (!rc) {
		*eph = pki_private_from_pkcs8_der(kder, kder_len);
		if (!*eph || ck_att_pkey_to_pub(*eph, pub) ||
		    memcmp(pub, b->pub, sizeof(pub)))
			rc = -EKEYREJECTED;
	}
	if (kder)
		OPENSSL_clear_free(kder, kder_len);
	X509_free(signer);
	sk_X509_pop_free(certs, X509_free);
	if (rc) {
		EVP_PKEY_free(*eph);
		*eph = NULL;
		free(*der);
		*der = NULL;
	}
	return rc;
}

int ck_link_bcast_current(const struct ck_link_server *s, uint8_t **der, size_t *len,
			  struct ck_link_bcast_body *b, EVP_PKEY **eph)
{
	uint64_t version = 0, now = (uint64_t)time(NULL);
	uint32_t valid_for = CK_LINK_BCAST_VALID_DEFAULT;
	int dfd, lk, rc;

	*der = NULL;
	*eph = NULL;
	if (!s->state_dir)
		return ck_link_fail(-EINVAL, "no state directory");
	dfd = open(s->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ck_link_fail(-errno, "state directory %s: cannot open", s->state_dir);
	/* one renewal at a time, between the server's threads and processes */
	lk = ck_link_state_lock(s->state_dir);
	if (lk < 0) {
		close(dfd);
		return lk;
	}
	rc = load(dfd, s->cert, der, len, b, eph);
	/* renewed when it has less than a quarter of its lifetime left, or
	 * when it was issued in the future (the clock was ahead when it was
	 * made): devices with a set clock would refuse it */
	if (!rc && now + b->valid_for / 4 < b->issued_at + b->valid_for &&
	    b->issued_at <= now + CK_LINK_BCAST_FUTURE_SLACK)
		goto out;
	if (!rc) {
		version = b->version;
		free(*der);
		*der = NULL;
		EVP_PKEY_free(*eph);
		*eph = NULL;
	}
	/* above every version before (devices without a clock that took a
	 * future one need it), within the counter limit version <= issued_at
	 * + valid_for: a longer lifetime, up to the maximum, carries a version
	 * ahead of the clock; beyond that the limit wins (docs) */
	version = version + 1 > now ? version + 1 : now;
	if (version > now + valid_for)
		valid_for = version - now < CK_LINK_BCAST_VALID_MAX ?
			    (uint32_t)(version - now) : CK_LINK_BCAST_VALID_MAX;
	if (version > now + valid_for) {
		fprintf(stderr, "chipkey link: broadcast version %llu is more than %u s ahead of "
			"the clock: publishing %llu (devices that took a later one refuse it)\n",
			(unsigned long long)version, (unsigned)CK_LINK_BCAST_VALID_MAX,
			(unsigned long long)(now + valid_for));
		version = now + valid_for;
	}
	rc = ck_link_bcast_publish(s->state_dir, s->key, s->cert, s->chain, version, valid_for);
	if (!rc)
		rc = load(dfd, s->cert, der, len, b, eph);
	if (rc)
		rc = ck_link_fail(rc, "%s: no usable broadcast", s->state_dir);
out:
	ck_link_state_unlock(lk);
	close(dfd);
	return rc;
}
