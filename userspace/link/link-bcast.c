// SPDX-License-Identifier: GPL-2.0
/*
 * Mode 4 (docs/service-link-cms.md): the anonymous signed broadcast of the
 * server's Diffie-Hellman value and an authenticated Diffie-Hellman
 * exchange (Toshiba claims 9-14), in the steps of <chipkey/link_bcast.h>:
 *
 *   server: OFFER(broadcast)       device: accept it, SHARE(signed Q_d)
 *   server: check the share        both:   Z = ECDH, PSK = HKDF(Z, ...)
 *
 * The corrected equation 4: the published form derives the session key
 * from the server's broadcast value and the terminal's public data only;
 * here Z = d_d * Q_s = d_s * Q_d, so the device's ephemeral private key
 * d_d is part of the secret (and Q_d is signed by the device's key).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/attest.h"
#include "common/kdf.h"
#include "common/pki.h"
#include "link/link-bcast.h"
#include "link/revocation.h"

/* The name of @signer's high-water mark: per server key (link_bcast.h). */
static int mark_name(X509 *signer, char *name, size_t cap)
{
	unsigned char *der = NULL;
	uint8_t h[32];
	int n = i2d_PUBKEY(X509_get0_pubkey(signer), &der), i, ok;
	size_t off;

	ok = n > 0 && EVP_Digest(der, (size_t)n, h, NULL, EVP_sha256(), NULL) == 1;
	OPENSSL_free(der);
	if (!ok)
		return ck_link_fail(-EIO, "cannot hash the signer's key");
	off = (size_t)snprintf(name, cap, "%s", CK_LINK_BCAST_STATE_PREFIX);
	for (i = 0; i < 32; i++)
		off += (size_t)snprintf(name + off, cap - off, "%02x", h[i]);
	snprintf(name + off, cap - off, "%s", CK_LINK_BCAST_STATE_SUFFIX);
	return 0;
}

int ck_link_bcast_device_accept(const struct ck_link_device *d, const uint8_t *der,
				size_t len, struct ck_link_bcast_body *b)
{
	uint8_t raw[CK_LINK_BCAST_BODY_LEN], sid[32];
	char mark[sizeof(CK_LINK_BCAST_STATE_PREFIX) + 64 + sizeof(CK_LINK_BCAST_STATE_SUFFIX)];
	STACK_OF(X509) *certs = NULL;
	time_t now = pki_clock_now();
	X509 *signer = NULL;
	uint64_t hw;
	int rc, lk = -1;

	rc = ck_link_cms_open_signed(der, len, CK_LINK_BCAST_OID, raw, sizeof(raw),
				     &signer, &certs);
	if (rc)
		return rc;
	rc = ck_link_verify_service(signer, certs, d->rom_key, now, d->crls);
	if (rc)
		goto out;
	rc = ck_link_bcast_body_decode(raw, sizeof(raw), b);
	if (rc) {
		rc = ck_link_fail(rc, "broadcast body: malformed");
		goto out;
	}
	rc = ck_link_cert_digest(signer, sid);
	if (!rc && CRYPTO_memcmp(sid, b->server_id, sizeof(sid)))
		rc = ck_link_fail(-EKEYREJECTED, "broadcast: server_id is not its signer's");
	if (!rc)
		rc = ck_link_validity_check(b->issued_at, b->valid_for, now);
	if (!rc)
		rc = ck_link_signed_in_validity(signer, b->issued_at);
	if (!rc)
		rc = mark_name(signer, mark, sizeof(mark));
	if (!rc && (lk = ck_link_state_lock(d->state_dir)) < 0)
		rc = lk;
	if (!rc)
		rc = ck_link_hw_read(d->state_dir, mark, &hw);
	if (rc)
		goto out;
	if (b->version < hw) {
		rc = ck_link_fail(-ESTALE, "broadcast version %llu is older than %llu, seen before "
				  "from this server",
				  (unsigned long long)b->version, (unsigned long long)hw);
		goto out;
	}
	if (b->version > hw)
		rc = ck_link_hw_write(d->state_dir, mark, b->version);
out:
	ck_link_state_unlock(lk);
	X509_free(signer);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* PSK = HKDF(Z, label || NUL || SHA-256(OFFER) || Q_d || identity) */
static int derive(EVP_PKEY *priv, const uint8_t peer[CK_LINK_BCAST_PUB_LEN],
		  const struct ck_link_share_body *sh, struct ck_link_secret *out)
{
	uint8_t z[32], info[sizeof(CK_LINK_BCAST_LABEL) + 32 + CK_LINK_BCAST_PUB_LEN +
			     CK_LINK_CMS_ID_LEN];
	size_t n = sizeof(CK_LINK_BCAST_LABEL);
	int rc;

	if (ck_att_ecdh(priv, peer, z))
		return ck_link_fail(-EKEYREJECTED, "ECDH: the peer's value is not a P-256 point");
	memcpy(info, CK_LINK_BCAST_LABEL, n);
	memcpy(info + n, sh->bcast_digest, 32);
	n += 32;
	memcpy(info + n, sh->pub, CK_LINK_BCAST_PUB_LEN);
	n += CK_LINK_BCAST_PUB_LEN;
	memcpy(info + n, sh->identity, CK_LINK_CMS_ID_LEN - 1);
	n += CK_LINK_CMS_ID_LEN - 1;
	rc = ck_hkdf_sha256(z, sizeof(z), info, n, out->key);
	OPENSSL_cleanse(z, sizeof(z));
	if (rc)
		return ck_link_fail(rc, "HKDF failed");
	out->key_len = CK_HKDF_OUT_LEN;
	snprintf(out->psk_identity, sizeof(out->psk_identity), "chipkey-bcast:%s", sh->identity);
	snprintf(out->peer, sizeof(out->peer), "%s", sh->identity);
	return 0;
}

static int bcast_server(const struct ck_link_server *s, int fd, struct ck_link_secret *out)
{
	struct ck_link_bcast_body b;
	struct ck_link_share_body sh;
	uint8_t raw[CK_LINK_SHARE_LEN], dg[32], *offer = NULL, *msg = NULL;
	uint8_t nonce[CK_LINK_BCAST_NONCE_LEN];
	char id[CK_LINK_CMS_ID_LEN];
	STACK_OF(X509) *certs = NULL;
	X509 *signer = NULL;
	EVP_PKEY *eph = NULL;
	size_t offer_len = 0, len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ck_link_bcast_current(s, &offer, &offer_len, &b, &eph);
	if (!rc)
		rc = ck_link_frame_send(fd, CK_LINK_BCAST_OFFER, offer, offer_len);
	/* this connection's freshness: the share must sign this nonce */
	if (!rc && RAND_bytes(nonce, sizeof(nonce)) != 1)
		rc = ck_link_fail(-EIO, "no random bytes");
	if (!rc)
		rc = ck_link_frame_send(fd, CK_LINK_BCAST_NONCE, nonce, sizeof(nonce));
	if (!rc)
		rc = ck_link_frame_recv(fd, CK_LINK_BCAST_SHARE, &msg, &len);
	if (!rc)
		rc = ck_link_cms_open_signed(msg, len, CK_LINK_SHARE_OID, raw, sizeof(raw),
					     &signer, &certs);
	if (!rc)
		rc = ck_link_verify_device(signer, s->chain, s->rom_key, 0, s->crls, id);
	if (!rc && ck_link_identity_check(s, id))
		rc = ck_link_fail(-EKEYREVOKED, "device %s: revoked (--revoked-ids)", id);
	if (rc)
		goto out;
	if (ck_link_share_body_decode(raw, sizeof(raw), &sh)) {
		rc = ck_link_fail(-EBADMSG, "share: malformed");
		goto out;
	}
	if (EVP_Digest(offer, offer_len, dg, NULL, EVP_sha256(), NULL) != 1) {
		rc = ck_link_fail(-EIO, "SHA-256 failed");
		goto out;
	}
	rc = -EKEYREJECTED;
	if (strcmp(sh.identity, id))
		ck_link_fail(rc, "share: names %s, signed by %s", sh.identity, id);
	else if (CRYPTO_memcmp(dg, sh.bcast_digest, sizeof(dg)))
		ck_link_fail(rc, "share: answers another broadcast");
	else if (!(rc = derive(eph, sh.pub, &sh, out)) &&
		 CRYPTO_memcmp(nonce, sh.nonce, sizeof(nonce)))
		/* a share recorded from another connection (a replay) */
		rc = ck_link_fail(-EKEYREJECTED, "share: not for this connection's nonce");
out:
	free(offer);
	free(msg);
	X509_free(signer);
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(eph);
	if (rc)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

static int bcast_device(const struct ck_link_device *d, int fd, struct ck_link_secret *out)
{
	struct ck_link_bcast_body b;
	struct ck_link_share_body sh;
	uint8_t raw[CK_LINK_SHARE_LEN], *offer = NULL, *sd = NULL, *nonce = NULL;
	EVP_PKEY *eph = NULL;
	size_t offer_len = 0, sd_len = 0, nonce_len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&sh, 0, sizeof(sh));
	rc = ck_link_frame_recv(fd, CK_LINK_BCAST_OFFER, &offer, &offer_len);
	if (!rc)
		rc = ck_link_frame_recv(fd, CK_LINK_BCAST_NONCE, &nonce, &nonce_len);
	if (!rc && nonce_len != CK_LINK_BCAST_NONCE_LEN)
		rc = ck_link_fail(-EBADMSG, "NONCE: %zu bytes, not %d", nonce_len,
				  CK_LINK_BCAST_NONCE_LEN);
	if (!rc)
		rc = ck_link_bcast_device_accept(d, offer, offer_len, &b);
	if (rc)
		goto out;
	memcpy(sh.nonce, nonce, CK_LINK_BCAST_NONCE_LEN);
	memcpy(sh.identity, d->identity, CK_LINK_CMS_ID_LEN - 1);
	if (EVP_Digest(offer, offer_len, sh.bcast_digest, NULL, EVP_sha256(), NULL) != 1 ||
	    ck_att_ephemeral(&eph, sh.pub)) {
		rc = ck_link_fail(-EIO, "cannot make the device's share");
		goto out;
	}
	ck_link_share_body_encode(&sh, raw);
	rc = ck_link_cms_sign(CK_LINK_SHARE_OID, raw, sizeof(raw), d->key, d->cert, NULL,
			      &sd, &sd_len);
	if (!rc)
		rc = ck_link_frame_send(fd, CK_LINK_BCAST_SHARE, sd, sd_len);
	if (!rc)
		rc = derive(eph, b.pub, &sh, out);
out:
	free(offer);
	free(nonce);
	OPENSSL_free(sd);
	EVP_PKEY_free(eph);
	if (rc)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

const struct ck_link_mode ck_link_mode_bcast = {
	.name = "broadcast",
	.id = CK_LINK_BROADCAST,
	.server = bcast_server,
	.device = bcast_device,
};
