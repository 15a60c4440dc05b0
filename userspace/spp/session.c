// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: the per-connection state machine.
 *
 *   HANDSHAKE   TLS 1.3 server handshake; with station authentication
 *               (the default) the client must present a certificate that
 *               chains to the manufacturer CA (verified by OpenSSL in the
 *               handshake) and has the factory station role
 *               (pki_check_station_role, checked here): otherwise the
 *               connection is closed before HELLO, nothing is claimed
 *   HELLO       read HELLO: exact size, version, ROM key fingerprint = ours
 *   CLAIM       store_claim_identity_keypair(chip ID):
 *                 issued already  -> send ALREADY(latest record), END
 *                 pool empty      -> ERROR EXHAUSTED, END
 *                 reserved        -> BUILD
 *               (with the identity, in the same transaction: the
 *               pre-generated key pair reserved for this chip, if any left)
 *   BUILD       key pair: the one reserved for this chip in the pre-generated
 *               pool, else a fresh one; data package (identity, chip ID,
 *               generation 1, channel key, device key, device certificate,
 *               manufacturer CA); random nonce; send OFFER
 *   BACKUP      read BACKUP (exact size), then VERIFY
 *   VERIFY      backup header parses (backup code, version, algorithm);
 *               chip ID in it == HELLO chip ID; length == data package length
 *               + CHIPKEY_PKG_OVERHEAD; generation 1; proof == HMAC(channel
 *               key, label || nonce || chip ID || SHA-256(data package) ||
 *               SHA-256(backup))
 *               (constant-time compare).  Any failure: ERROR, END (nothing
 *               committed).
 *   COMMIT      store_commit_provisioning (public record + secret record +
 *               identity issued + pre-generated key deleted, one transaction)
 *   DONE        send DONE(identity, generation), END
 *
 * Any unexpected frame type -> ERROR UNEXPECTED; body over the limit ->
 * ERROR TOO_LARGE; other protocol version -> ERROR VERSION; a malformed
 * body -> ERROR MALFORMED.  Timeouts and TLS errors just close.  The whole
 * session, handshake included, is bounded by the session deadline: past it
 * main.c's watchdog shuts the socket down, whatever the peer trickles.  Nothing
 * secret is ever logged (chip ID, identity and outcome only).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "crashpoint.h"
#include "pubdb_client.h"
#include "session.h"
#include "wire.h"

struct sess {
	struct spp_server *srv;
	struct store *st;
	struct spp_conn c;
	const char *peer;
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	char chip_hex[33];
	char identity[STORE_IDENTITY_LEN + 1];
	uint8_t nonce[CK_SPP_NONCE_LEN];
	uint8_t *dp_buf;
	size_t dp_len;
	uint8_t *secret_buf;
	size_t secret_len;
	uint8_t *cert_der;
	size_t cert_len;
	int used_pregen;
	struct store_keypair kp;	/* reserved with the identity, if any */
};

static void slog(struct sess *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "chipkey-spp: %s chip=%s id=%s: %s\n", s->peer,
		s->chip_hex[0] ? s->chip_hex : "-",
		s->identity[0] ? s->identity : "-", msg);
}

static enum spp_outcome refuse(struct sess *s, uint16_t code, const char *text)
{
	slog(s, "refused: %s (%s)", spp_err_name(code), text);
	spp_send_error(&s->c, code, text);
	return SPP_OUT_REFUSED;
}

/* Receive a frame of type @want; on failure, reply/log and return -1. */
static int expect(struct sess *s, uint16_t want, struct spp_frame *f,
		  enum spp_outcome *out)
{
	int err = spp_recv(&s->c, f, CK_SPP_MAX_BODY);

	if (err == -EMSGSIZE) {
		*out = refuse(s, CK_SPP_E_TOO_LARGE, "frame body too large");
		return -1;
	}
	if (err == -EPROTO) {
		spp_frame_clear(f);
		*out = refuse(s, CK_SPP_E_VERSION, "unsupported protocol version");
		return -1;
	}
	if (err) {
		slog(s, "dropped while waiting for %s: %s", spp_type_name(want),
		     strerror(-err));
		*out = SPP_OUT_DROPPED;
		return -1;
	}
	if (f->type == CK_SPP_ERROR) {
		uint16_t code = 0;
		char text[CK_SPP_MAX_ERROR_TEXT + 1];

		spp_parse_error(f, &code, text);
		slog(s, "device reported error %s: %s", spp_err_name(code), text);
		spp_frame_clear(f);
		*out = SPP_OUT_REFUSED;
		return -1;
	}
	if (f->type != want) {
		spp_frame_clear(f);
		*out = refuse(s, CK_SPP_E_UNEXPECTED, "unexpected message type");
		return -1;
	}
	return 0;
}

/*
 * The generation this SPP names in ALREADY / DONE.  Crash-test builds
 * (-DCK_CRASH_HOOKS) lie on purpose with CHIPKEY_SPP_FAULT=wrong-generation
 * (test-spp.sh: the agent must record the generation of the backup itself).
 */
static uint64_t said_generation(uint64_t g)
{
#ifdef CK_CRASH_HOOKS
	const char *f = getenv("CHIPKEY_SPP_FAULT");

	if (f && !strcmp(f, "wrong-generation"))
		return g + 1;
#endif
	return g;
}

static enum spp_outcome send_already(struct sess *s)
{
	struct store_pub_record rec;
	uint8_t *body;
	size_t len;
	int err;

	memset(&rec, 0, sizeof(rec));
	err = store_pub_latest(s->st, s->chip_id, &rec);
	if (err) {
		slog(s, "issued identity without public record: %s",
		     store_error(s->st));
		return refuse(s, CK_SPP_E_INTERNAL, "no public record");
	}
	len = CK_SPP_ALREADY_FIXED + rec.backup_len + rec.cert_len;
	body = malloc(len);
	if (!body) {
		store_pub_record_clear(&rec);
		return refuse(s, CK_SPP_E_INTERNAL, "out of memory");
	}
	memcpy(body, rec.identity, CK_SPP_IDENTITY_LEN);
	spp_put64(body + 15, said_generation(rec.generation));
	spp_put32(body + 23, (uint32_t)rec.backup_len);
	memcpy(body + 27, rec.backup, rec.backup_len);
	spp_put32(body + 27 + rec.backup_len, (uint32_t)rec.cert_len);
	memcpy(body + 31 + rec.backup_len, rec.cert, rec.cert_len);
	err = spp_send(&s->c, CK_SPP_ALREADY, body, len);
	free(body);
	store_pub_record_clear(&rec);
	if (err) {
		slog(s, "dropped sending ALREADY: %s", strerror(-err));
		return SPP_OUT_DROPPED;
	}
	slog(s, "already provisioned: record resent");
	return SPP_OUT_ALREADY;
}

/* BUILD: data package + secret-database copy + certificate DER. */
static int build(struct sess *s)
{
	EVP_PKEY *key = NULL;
	struct ck_dp *dp = NULL;
	X509 *cert = NULL;
	int err;

	if (s->kp.priv) {
		key = pki_private_from_pkcs8_der(s->kp.priv, s->kp.priv_len);
		store_keypair_clear(&s->kp);
		if (!key) {
			slog(s, "pre-generated key pair is malformed");
			return -EINVAL;
		}
		s->used_pregen = 1;
	}
	err = ck_factory_build_package(s->srv->factory, s->identity, s->chip_id,
				       key, 1, &dp, &cert);
	EVP_PKEY_free(key);
	if (err)
		return err;
	err = ck_dp_encode(dp, &s->dp_buf, &s->dp_len);
	if (!err)
		err = pki_cert_to_der(cert, &s->cert_der, &s->cert_len);
	/* The secret database keeps everything but the device private key. */
	if (!err)
		err = ck_dp_remove(dp, CK_DP_DEVICE_KEY);
	if (!err)
		err = ck_dp_encode(dp, &s->secret_buf, &s->secret_len);
	ck_dp_free(dp);
	X509_free(cert);
	return err;
}

static uint16_t verify_backup(struct sess *s, const uint8_t *bk, size_t bk_len,
			      const uint8_t *proof, const char **why)
{
	struct ck_pkg_header h;
	struct ck_dp *dp = NULL;
	const uint8_t *chan;
	size_t chan_len;
	uint8_t want[CK_SPP_PROOF_LEN];
	int err;

	if (ck_pkg_header_parse(bk, bk_len, &h)) {
		*why = "not a backup package (backup code, version or length)";
		return CK_SPP_E_BAD_BACKUP;
	}
	if (memcmp(h.chip_id, s->chip_id, CHIPKEY_CHIP_ID_LEN)) {
		*why = "backup package is for another chip";
		return CK_SPP_E_WRONG_CHIP;
	}
	if (bk_len != ck_pkg_size(s->dp_len) || h.payload_len != s->dp_len) {
		*why = "backup length does not match the data package";
		return CK_SPP_E_BAD_LENGTH;
	}
	if (h.generation != 1) {
		*why = "backup generation is not 1";
		return CK_SPP_E_BAD_BACKUP;
	}
	err = ck_dp_decode(s->dp_buf, s->dp_len, &dp);
	if (!err)
		err = ck_dp_get(dp, CK_DP_CHANNEL_KEY, &chan, &chan_len);
	if (!err)
		err = spp_proof(chan, chan_len, s->nonce, s->chip_id, s->dp_buf,
				s->dp_len, bk, bk_len, want);
	ck_dp_free(dp);
	if (err) {
		*why = "cannot compute the expected proof";
		return CK_SPP_E_INTERNAL;
	}
	err = CRYPTO_memcmp(want, proof, CK_SPP_PROOF_LEN);
	OPENSSL_cleanse(want, sizeof(want));
	if (err) {
		*why = "unwrap proof does not verify";
		return CK_SPP_E_BAD_PROOF;
	}
	return 0;
}

static enum spp_outcome commit(struct sess *s, const uint8_t *bk, size_t bk_len)
{
	struct store_commit c;
	struct pubdb_fields pf;
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	char err_txt[256];
	uint8_t done[CK_SPP_DONE_LEN];
	int err, committed;

	memset(&pf, 0, sizeof(pf));
	memcpy(pf.chip_id, s->chip_id, sizeof(pf.chip_id));
	pf.generation = 1;
	pf.identity = s->identity;
	pf.backup = bk;
	pf.backup_len = bk_len;
	pf.cert = s->cert_der;
	pf.cert_len = s->cert_len;
	if (s->srv->factory->spp_key &&
	    pubdb_record_build(&pf, s->srv->factory->spp_key,
			       s->srv->factory->spp_cert, &rec, &rec_len,
			       err_txt, sizeof(err_txt))) {
		slog(s, "signing the public record failed: %s", err_txt);
		return refuse(s, CK_SPP_E_INTERNAL, "cannot sign the record");
	}

	memset(&c, 0, sizeof(c));
	memcpy(c.chip_id, s->chip_id, sizeof(c.chip_id));
	c.identity = s->identity;
	c.generation = 1;
	c.backup = bk;
	c.backup_len = bk_len;
	c.cert = s->cert_der;
	c.cert_len = s->cert_len;
	c.signed_record = rec;
	c.signed_record_len = rec_len;
	c.secret = s->secret_buf;
	c.secret_len = s->secret_len;
	c.used_pregenerated_key = s->used_pregen;
	committed = err = store_commit_provisioning(s->st, &c);
	free(rec);
	if (err < 0) {
		slog(s, "commit refused: %s", store_error(s->st));
		return refuse(s, err == -EEXIST || err == -EPERM || err == -ESTALE ?
			      CK_SPP_E_CONFLICT : CK_SPP_E_INTERNAL,
			      "the store refused the commit");
	}
	memcpy(done, s->identity, CK_SPP_IDENTITY_LEN);
	spp_put64(done + CK_SPP_IDENTITY_LEN, said_generation(1));
	err = spp_send(&s->c, CK_SPP_DONE, done, sizeof(done));
	slog(s, "provisioned%s%s", committed == STORE_ALREADY ? " (re-commit)" : "",
	     err ? " (DONE not delivered)" : "");
	return SPP_OUT_DONE;
}

static enum spp_outcome run(struct sess *s)
{
	struct spp_frame f;
	enum spp_outcome out;
	uint8_t *bk = NULL, proof[CK_SPP_PROOF_LEN];
	size_t bk_len;
	uint16_t code;
	const char *why = NULL;
	int state, err;

	/* HANDSHAKE */
	if (SSL_accept(s->c.ssl) != 1) {
		unsigned long e = ERR_peek_last_error();
		const char *why = e ? ERR_reason_error_string(e) : NULL;

		slog(s, "TLS handshake failed%s%s%s", why ? " (" : "",
		     why ? why : "", why ? ")" : "");
		return SPP_OUT_DROPPED;
	}
	if (s->srv->station_auth) {
		X509 *peer = SSL_get0_peer_certificate(s->c.ssl);
		long vr = SSL_get_verify_result(s->c.ssl);

		if (!peer || vr != X509_V_OK || pki_check_station_role(peer)) {
			slog(s, "refused: the TLS client is not a factory station (%s)",
			     !peer ? "no certificate" : vr != X509_V_OK ?
			     X509_verify_cert_error_string(vr) :
			     "certificate without the station role");
			return SPP_OUT_REFUSED;
		}
	}
	/* HELLO */
	if (expect(s, CK_SPP_HELLO, &f, &out))
		return out;
	if (f.len != CK_SPP_HELLO_LEN || spp_get32(f.body + 48) != 0) {
		spp_frame_clear(&f);
		return refuse(s, CK_SPP_E_MALFORMED, "bad HELLO");
	}
	memcpy(s->chip_id, f.body, CHIPKEY_CHIP_ID_LEN);
	store_chip_id_format(s->chip_id, s->chip_hex);
	err = CRYPTO_memcmp(f.body + 16, s->srv->rom_fp, CK_SPP_FP_LEN);
	spp_frame_clear(&f);
	if (err)
		return refuse(s, CK_SPP_E_WRONG_MFR,
			      "ROM key is not this manufacturer's");
	/* CLAIM */
	err = store_claim_identity_keypair(s->st, s->chip_id, s->identity, &state, &s->kp);
	if (err == -ENOSPC)
		return refuse(s, CK_SPP_E_EXHAUSTED, "identity pool exhausted");
	if (err) {
		slog(s, "claim: %s", store_error(s->st));
		return refuse(s, CK_SPP_E_INTERNAL, "cannot claim an identity");
	}
	if (state == STORE_ID_ISSUED)
		return send_already(s);
	CK_CRASH_POINT("spp:claimed");
	/* BUILD + OFFER */
	if (build(s))
		return refuse(s, CK_SPP_E_INTERNAL, "cannot build the data package");
	CK_CRASH_POINT("spp:built");
	if (RAND_bytes(s->nonce, sizeof(s->nonce)) != 1)
		return refuse(s, CK_SPP_E_INTERNAL, "no randomness");
	{
		size_t len = CK_SPP_OFFER_FIXED + s->dp_len;
		uint8_t *body = malloc(len);

		if (!body)
			return refuse(s, CK_SPP_E_INTERNAL, "out of memory");
		memcpy(body, s->nonce, CK_SPP_NONCE_LEN);
		spp_put32(body + CK_SPP_NONCE_LEN, (uint32_t)s->dp_len);
		memcpy(body + CK_SPP_OFFER_FIXED, s->dp_buf, s->dp_len);
		err = spp_send(&s->c, CK_SPP_OFFER, body, len);
		OPENSSL_cleanse(body, len);
		free(body);
		if (err) {
			slog(s, "dropped sending OFFER: %s", strerror(-err));
			return SPP_OUT_DROPPED;
		}
	}
	/* BACKUP */
	if (expect(s, CK_SPP_BACKUP, &f, &out))
		return out;
	if (f.len < CK_SPP_BACKUP_FIXED ||
	    (bk_len = spp_get32(f.body)) != f.len - CK_SPP_BACKUP_FIXED) {
		spp_frame_clear(&f);
		return refuse(s, CK_SPP_E_MALFORMED, "bad BACKUP");
	}
	bk = f.body + 4;
	memcpy(proof, bk + bk_len, CK_SPP_PROOF_LEN);
	/* VERIFY */
	code = verify_backup(s, bk, bk_len, proof, &why);
	if (code) {
		spp_frame_clear(&f);
		return refuse(s, code, why);
	}
	/* COMMIT + DONE */
	out = commit(s, bk, bk_len);
	spp_frame_clear(&f);
	return out;
}

enum spp_outcome spp_session_run(struct spp_server *srv, struct store *st,
				 int fd, const char *peer)
{
	struct sess s;
	enum spp_outcome out;

	memset(&s, 0, sizeof(s));
	s.srv = srv;
	s.st = st;
	s.peer = peer;
	s.c.fd = fd;
	s.c.deadline = spp_now() + srv->session_timeout;
	spp_set_timeouts(fd, srv->step_timeout);
	s.c.ssl = SSL_new(srv->ctx);
	if (!s.c.ssl || SSL_set_fd(s.c.ssl, fd) != 1) {
		out = SPP_OUT_DROPPED;
	} else {
		out = run(&s);
		if (out != SPP_OUT_DROPPED)
			SSL_shutdown(s.c.ssl);
	}
	SSL_free(s.c.ssl);
	ERR_clear_error();
	store_keypair_clear(&s.kp);
	ck_dp_buf_free(s.dp_buf, s.dp_len);
	ck_dp_buf_free(s.secret_buf, s.secret_len);
	OPENSSL_free(s.cert_der);
	OPENSSL_cleanse(s.nonce, sizeof(s.nonce));
	return out;
}
