// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mode 2, certificates, mutual (Toshiba claims 15-16; docs/service-link.md
 * "Mode 2").  The steps, as numbered in the doc:
 *
 *   S1 server -> device  CERTS: its certificate and issuing CA
 *   D1 device  verifies them up to the ROM key (role chipkey-service)
 *   D2 device -> server  AUTH(DEVICE): its certificate and chain, identity,
 *                        counter (stored first), the highest server counter
 *                        it has seen, nonce, secret Sd sealed to the
 *                        server's key; signed by the device key
 *   S2 server  checks: device certificate up to the ROM key, identity =
 *              the certificate's, signature, addressed to this server, Sd
 *              opens, seen in range, counter fresh (window stored before
 *              going on)
 *   S3 server -> device  AUTH(SERVER): transcript = SHA-256(D2 body),
 *                        server counter (above seen), secret Ss sealed to
 *                        the device key; signed by the service key
 *                      | RESYNC (counter stale or out of range: the
 *                        server's highest, signed; the device follows it)
 *                      | ERROR(code)
 *   D3 device  checks: same certificate as S1, signature, addressed to it,
 *              transcript, counter above the highest seen (stored), Ss opens
 *   both: PSK = HKDF-SHA384(Sd || Ss, LABEL || SHA-256(D2) || SHA-256(S3)),
 *         identity "chipkey-cert:" || device identity -> TLS 1.3
 * No step reads the wall clock except the certificate validity checks,
 * which a device whose clock is unset (pki_clock_now) skips.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "common/kdf.h"
#include "common/pki.h"
#include "counters.h"
#include "link.h"
#include "messages.h"
#include "link-cert.h"
#include "revocation.h"
#include "seal.h"

struct side {
	EVP_PKEY *key;
	X509 *cert, *chain;
	EVP_PKEY *rom;
	const char *state;
};

int ck_link_cert_sign(EVP_PKEY *key, int sign, const char *label, const uint8_t *msg,
		      size_t len, uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md && (sign ? EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key)
			 : EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key)) == 1 &&
	     (sign ? EVP_DigestSignUpdate(md, label, strlen(label))
		   : EVP_DigestVerifyUpdate(md, label, strlen(label))) == 1 &&
	     (sign ? EVP_DigestSignUpdate(md, msg, len)
		   : EVP_DigestVerifyUpdate(md, msg, len)) == 1 &&
	     (sign ? EVP_DigestSignFinal(md, sig, sig_len)
		   : EVP_DigestVerifyFinal(md, sig, *sig_len)) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : sign ? -EIO : -EBADMSG;
}

static int sign_or_verify(EVP_PKEY *key, int sign, const uint8_t *msg, size_t len,
			  uint8_t *sig, size_t *sig_len)
{
	return ck_link_cert_sign(key, sign, CK_LINK_CERT_SIG_LABEL, msg, len, sig, sig_len);
}

static int der(X509 *x, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	return x ? pki_cert_to_der(x, out, len) : 0;
}

static int rom_der(EVP_PKEY *rom, uint8_t **out, size_t *len)
{
	return rom ? pki_public_to_der(rom, out, len) : -ENOKEY;
}

/* Fill, seal @secret to @to, sign and encode an AUTH into @buf. */
static ssize_t make_auth(const struct side *me, struct ck_link_auth *a, EVP_PKEY *to,
			 const uint8_t secret[CK_LINK_SECRET_LEN], uint8_t *buf, size_t cap)
{
	uint8_t *cert = NULL, *chain = NULL;
	ssize_t n;
	int err;

	err = der(me->cert, &cert, &a->cert_len);
	if (!err)
		err = der(me->chain, &chain, &a->chain_len);
	a->cert = cert;
	a->chain = chain;
	if (!err && RAND_bytes(a->nonce, sizeof(a->nonce)) != 1)
		err = -EIO;
	if (!err)
		err = ck_link_seal(to, secret, a->id, strlen(a->id), a->eph, a->sealed, a->tag);
	a->sig_len = 0;
	n = err ? err : ck_link_auth_encode(a, buf, cap);
	if (n > 0) {
		a->sig_len = sizeof(a->sig);
		err = sign_or_verify(me->key, 1, buf, (size_t)n, a->sig, &a->sig_len);
		n = err ? err : ck_link_auth_encode(a, buf, cap);
	}
	OPENSSL_free(cert);
	OPENSSL_free(chain);
	return n;
}

/* The signature of a decoded AUTH @a (body @buf) by @cert's key. */
static int check_sig(X509 *cert, const struct ck_link_auth *a, const uint8_t *buf)
{
	size_t sl = a->sig_len;

	return sign_or_verify(X509_get0_pubkey(cert), 0, buf, a->signed_len,
			      (uint8_t *)a->sig, &sl);
}

static int make_psk(const uint8_t sd[32], const uint8_t ss[32], const uint8_t *d2,
		    size_t d2_len, const uint8_t *s3, size_t s3_len, const char *identity,
		    struct ck_link_secret *out)
{
	static const char label[] = CK_LINK_CERT_PSK_LABEL;
	uint8_t ikm[64], info[sizeof(label) - 1 + 64];
	int err;

	memcpy(ikm, sd, 32);
	memcpy(ikm + 32, ss, 32);
	memcpy(info, label, sizeof(label) - 1);
	SHA256(d2, d2_len, info + sizeof(label) - 1);
	SHA256(s3, s3_len, info + sizeof(label) - 1 + 32);
	out->key_len = 48;
	err = ck_hkdf("SHA384", ikm, sizeof(ikm), info, sizeof(info), out->key, 48);
	OPENSSL_cleanse(ikm, sizeof(ikm));
	snprintf(out->psk_identity, sizeof(out->psk_identity), "%s%s",
		 CK_LINK_CERT_PSK_ID_PREFIX, identity);
	snprintf(out->peer, sizeof(out->peer), "%s", identity);
	return err;
}

static int cert_cn(X509 *x, char out[CK_LINK_ID_MAX + 1])
{
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
					  out, CK_LINK_ID_MAX + 1);

	return n > 0 && n <= CK_LINK_ID_MAX ? 0 : -EINVAL;
}

static void send_error(int fd, uint8_t code, const char *text)
{
	struct ck_link_error e = { .code = code };
	uint8_t buf[8 + CK_LINK_ERR_TEXT_MAX];
	ssize_t n;

	snprintf(e.text, sizeof(e.text), "%s", text);
	n = ck_link_error_encode(&e, buf, sizeof(buf));
	if (n > 0)
		ck_link_msg_send(fd, buf, (size_t)n);
}

static int refuse(int fd, int err, uint8_t code, const char *text)
{
	send_error(fd, code, text);
	return err;
}

static int cert_server(const struct ck_link_server *s, int fd, struct ck_link_secret *out)
{
	uint8_t *rom = NULL, *cert = NULL, *chain = NULL, *in = NULL, *o = NULL;
	uint8_t sd[32], ss[32];
	struct ck_link_certs k = { 0 };
	struct ck_link_auth a, r = { .type = CK_LINK_AUTH_SERVER };
	struct side me = { s->key, s->cert, NULL, NULL, s->state_dir };
	X509 *dc = NULL, *dica = NULL;
	size_t rom_len = 0, d2_len = 0;
	char id[CK_DP_DEVICE_ID_LEN + 1];
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if (!s->key || !s->cert || !s->rom_key || !s->state_dir)
		return -ENOKEY;
	in = OPENSSL_malloc(CK_LINK_FRAME_MAX);
	o = OPENSSL_malloc(CK_LINK_FRAME_MAX);
	if (!in || !o) {
		err = -ENOMEM;
		goto out;
	}
	me.chain = s->chain && sk_X509_num(s->chain) ? sk_X509_value(s->chain, 0) : NULL;
	/* S1 */
	err = der(s->cert, &cert, &k.cert_len);
	if (!err)
		err = der(me.chain, &chain, &k.chain_len);
	k.cert = cert;
	k.chain = chain;
	n = err ? err : ck_link_certs_encode(&k, o, CK_LINK_FRAME_MAX);
	err = n < 0 ? (int)n : ck_link_msg_send(fd, o, (size_t)n);
	if (err)
		goto out;
	/* S2: the device's AUTH, checked in the documented order */
	err = ck_link_msg_recv(fd, in, CK_LINK_FRAME_MAX, &d2_len);
	if (err == -EMSGSIZE) {
		err = refuse(fd, err, CK_LINK_ERR_MALFORMED, "message too large");
		goto out;
	}
	if (err)
		goto out;
	if (ck_link_auth_decode(in, d2_len, &a) || a.type != CK_LINK_AUTH_DEVICE) {
		err = refuse(fd, -EPROTO, CK_LINK_ERR_MALFORMED, "malformed AUTH");
		goto out;
	}
	dc = pki_cert_from_der(a.cert, a.cert_len);
	dica = a.chain ? pki_cert_from_der(a.chain, a.chain_len) : NULL;
	err = rom_der(s->rom_key, &rom, &rom_len);
	if (err)
		goto out;
	if (!dc || (a.chain && !dica)) {
		err = refuse(fd, -EPROTO, CK_LINK_ERR_MALFORMED, "certificate does not parse");
		goto out;
	}
	err = pki_verify_device_cert(dc, dica, rom, rom_len, NULL, NULL, pki_clock_now());
	if (!err && (pki_cert_device_identity(dc, id) || strcmp(id, a.id)))
		err = -EKEYREJECTED;
	if (!err)
		err = ck_link_identity_check(s, id);
	if (!err)
		err = ck_link_crl_check(s->crls, dc, dica, s->rom_key, "device certificate");
	if (err) {
		err = refuse(fd, err, CK_LINK_ERR_CERT, err == -EKEYREVOKED ?
			     "device certificate revoked" : "device certificate refused");
		goto out;
	}
	if (check_sig(dc, &a, in)) {
		err = refuse(fd, -EBADMSG, CK_LINK_ERR_SIGNATURE, "signature does not verify");
		goto out;
	}
	if (cert_cn(s->cert, r.id) || strcmp(a.peer, r.id)) {
		err = refuse(fd, -EKEYREJECTED, CK_LINK_ERR_CERT, "addressed to another server");
		goto out;
	}
	if (ck_link_open(s->key, a.eph, a.sealed, a.tag, a.id, strlen(a.id), sd)) {
		err = refuse(fd, -EBADMSG, CK_LINK_ERR_SECRET, "secret does not open");
		goto out;
	}
	if (a.seen >= CK_LINK_COUNTER_LIMIT - 1) {
		err = refuse(fd, -ERANGE, CK_LINK_ERR_REPLAY, "server counter out of range");
		goto out;
	}
	/* stale or out of range: this server is authoritative for the device
	 * counter, the device follows its signed RESYNC up or down */
	err = ck_link_window_accept(s->state_dir, a.id, a.counter);
	if (err == -ESTALE || err == -ERANGE) {
		ck_link_cert_send_resync(fd, s->key, a.id, s->state_dir, in, d2_len);
		goto out;
	}
	if (err) {
		err = refuse(fd, err, CK_LINK_ERR_INTERNAL, "state not stored");
		goto out;
	}
	/* S3 */
	snprintf(r.peer, sizeof(r.peer), "%s", a.id);
	SHA256(in, d2_len, r.transcript);
	err = ck_link_server_counter(s->state_dir, a.seen, &r.counter);
	if (!err && RAND_priv_bytes(ss, sizeof(ss)) != 1)
		err = -EIO;
	n = err ? err : make_auth(&me, &r, X509_get0_pubkey(dc), ss, o, CK_LINK_FRAME_MAX);
	err = n < 0 ? (int)n : ck_link_msg_send(fd, o, (size_t)n);
	if (!err)
		err = make_psk(sd, ss, in, d2_len, o, (size_t)n, a.id, out);
out:
	OPENSSL_cleanse(sd, sizeof(sd));
	OPENSSL_cleanse(ss, sizeof(ss));
	OPENSSL_free(in);
	OPENSSL_free(o);
	OPENSSL_free(rom);
	OPENSSL_free(cert);
	OPENSSL_free(chain);
	X509_free(dc);
	X509_free(dica);
	if (err)
		OPENSSL_cleanse(out, sizeof(*out));
	return err;
}

static int error_errno(const uint8_t *buf, size_t len)
{
	struct ck_link_error e;

	if (ck_link_error_decode(buf, len, &e))
		return -EPROTO;
	switch (e.code) {
	case CK_LINK_ERR_CERT:
		return -EACCES;	/* ours refused: not -EKEYREJECTED (theirs) */
	case CK_LINK_ERR_SIGNATURE:
	case CK_LINK_ERR_SECRET:
		return -EBADMSG;
	case CK_LINK_ERR_REPLAY:
		return -ESTALE;
	case CK_LINK_ERR_MALFORMED:
		return -EPROTO;
	default:
		return -EIO;
	}
}

static int cert_device(const struct ck_link_device *d, int fd, struct ck_link_secret *out)
{
	uint8_t *rom = NULL, *in = NULL, *o = NULL, sd[32], ss[32];
	struct ck_link_certs k;
	struct ck_link_auth a = { .type = CK_LINK_AUTH_DEVICE }, r;
	struct side me = { d->key, d->cert, d->chain, NULL, d->state_dir };
	X509 *sc = NULL, *sica = NULL;
	size_t rom_len = 0, len = 0, s1_len = 0;
	uint8_t s1cert[CK_LINK_CERT_MAX], mine[CK_LINK_HASH_LEN];
	ssize_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if (!d->key || !d->cert || !d->rom_key || !d->state_dir)
		return -ENOKEY;
	in = OPENSSL_malloc(CK_LINK_FRAME_MAX);
	o = OPENSSL_malloc(CK_LINK_FRAME_MAX);
	if (!in || !o) {
		err = -ENOMEM;
		goto out;
	}
	/* D1: the server's certificate, up to the ROM key */
	err = ck_link_msg_recv(fd, in, CK_LINK_FRAME_MAX, &len);
	if (err)
		goto out;
	if (ck_link_certs_decode(in, len, &k)) {
		err = -EPROTO;
		goto out;
	}
	sc = pki_cert_from_der(k.cert, k.cert_len);
	sica = k.chain ? pki_cert_from_der(k.chain, k.chain_len) : NULL;
	err = rom_der(d->rom_key, &rom, &rom_len);
	if (!err && (!sc || (k.chain && !sica)))
		err = -EPROTO;
	if (!err)
		err = pki_verify_service_cert(sc, sica, rom, rom_len, pki_clock_now());
	if (!err)	/* before any counter moves */
		err = ck_link_crl_check(d->crls, sc, sica, d->rom_key, "server certificate");
	if (!err)
		err = cert_cn(sc, a.peer);
	if (err)
		goto out;
	memcpy(s1cert, k.cert, k.cert_len);
	s1_len = k.cert_len;
	/* D2 (processes on one state directory: chipkey service takes
	 * STATE/counter.lock around the whole link, svc_link_open) */
	snprintf(a.id, sizeof(a.id), "%s", d->identity);
	err = ck_link_counter_next(d->state_dir, "device-counter", &a.counter);
	if (!err)
		err = ck_link_counter_get(d->state_dir, "server-counter", &a.seen);
	if (!err && RAND_priv_bytes(sd, sizeof(sd)) != 1)
		err = -EIO;
	n = err ? err : make_auth(&me, &a, X509_get0_pubkey(sc), sd, o, CK_LINK_FRAME_MAX);
	err = n < 0 ? (int)n : ck_link_msg_send(fd, o, (size_t)n);
	if (err)
		goto out;
	SHA256(o, (size_t)n, mine);
	/* D3 */
	err = ck_link_msg_recv(fd, in, CK_LINK_FRAME_MAX, &len);
	if (err)
		goto out;
	if (ck_link_body_type(in, len) == CK_LINK_AUTH_ERROR) {
		err = error_errno(in, len);
		goto out;
	}
	if (ck_link_body_type(in, len) == CK_LINK_AUTH_RESYNC) {
		err = ck_link_cert_take_resync(d, sc, in, len, mine);
		goto out;
	}
	if (ck_link_auth_decode(in, len, &r) || r.type != CK_LINK_AUTH_SERVER ||
	    r.cert_len != s1_len || memcmp(r.cert, s1cert, s1_len)) {
		err = -EPROTO;
		goto out;
	}
	if (check_sig(sc, &r, in)) {
		err = -EBADMSG;
		goto out;
	}
	if (strcmp(r.peer, d->identity) || strcmp(r.id, a.peer) ||
	    CRYPTO_memcmp(r.transcript, mine, sizeof(mine))) {
		err = -EPROTO;	/* an answer to another message */
		goto out;
	}
	err = ck_link_counter_newer(d->state_dir, "server-counter", r.counter);
	if (err)
		goto out;
	if (ck_link_open(d->key, r.eph, r.sealed, r.tag, r.id, strlen(r.id), ss)) {
		err = -EBADMSG;
		goto out;
	}
	err = make_psk(sd, ss, o, (size_t)n, in, len, d->identity, out);
out:
	OPENSSL_cleanse(sd, sizeof(sd));
	OPENSSL_cleanse(ss, sizeof(ss));
	OPENSSL_free(in);
	OPENSSL_free(o);
	OPENSSL_free(rom);
	X509_free(sc);
	X509_free(sica);
	if (err)
		OPENSSL_cleanse(out, sizeof(*out));
	return err;
}

const struct ck_link_mode ck_link_mode_cert = {
	.name = "cert",
	.id = CK_LINK_CERT,
	.server = cert_server,
	.device = cert_device,
};
