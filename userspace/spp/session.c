// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: one provisioning session, the SPP side of the protocol of
 * docs/provisioning-protocol.md ("Steps and SPP checks").
 *
 * One state per protocol step (enum sess_state), one handler per state
 * (step_*, each commented with what it checks), run in turn by
 * spp_session_run():
 *
 *   HELLO -> CLAIM -> OFFER -> BACKUP -> COMMIT -> END
 *     \-> (chip not in a batch) ERROR NOT_IN_BATCH
 *              \-> ALREADY -> END  (chip issued before)
 *
 * The TLS handshake is done before (gate.c): a session only ever starts
 * on a connection whose client passed the station checks.
 *
 * Any step may end the session: an unexpected frame type -> ERROR
 * UNEXPECTED; body over the limit -> ERROR TOO_LARGE; other protocol
 * version -> ERROR VERSION; a malformed body -> ERROR MALFORMED; a failed
 * check -> its ERROR; timeouts and TLS errors just close.  Nothing is
 * committed before COMMIT.  The whole session is bounded by the session
 * deadline: past it workers.c's watchdog shuts the
 * socket down, whatever the peer trickles.  Nothing secret is ever logged
 * (chip ID, identity and outcome only).
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

#include <chipkey/attest.h>
#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "common/attest.h"
#include "common/hex.h"
#include "common/crashpoint.h"
#include "common/pubdb-cms.h"
#include "common/pubdb-record.h"
#include "proto/messages.h"
#include "proto/context.h"
#include "issue.h"
#include "offer-fault.h"
#include "publish.h"
#include "session.h"

/*
 * The states, in protocol order.  Each has one handler below, which does
 * the step and returns the next state; SESS_END carries the outcome.
 */
enum sess_state {
	SESS_HELLO,		/* read HELLO: manufacturer, chip in the batch */
	SESS_CLAIM,		/* reserve identity (+ pre-generated key pair) */
	SESS_OFFER,		/* build the data package, seal it, send OFFER */
	SESS_BACKUP,		/* read BACKUP, verify it and the chip's MAC */
	SESS_COMMIT,		/* one transaction, then DONE */
	SESS_ALREADY,		/* issued before: resend the latest record */
	SESS_END,
};

struct sess {
	struct spp_server *srv;
	struct store *st;
	struct spp_conn c;
	const char *peer;
	enum spp_outcome out;		/* set with SESS_END */
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	char chip_hex[2 * CHIPKEY_CHIP_ID_LEN + 1];
	char identity[STORE_IDENTITY_LEN + 1];
	uint8_t attest_pub[CK_SPP_ATTEST_PUB_LEN];	/* Q, from the batch */
	uint8_t nonce[CK_SPP_NONCE_LEN];
	uint8_t k2[CK_ATT_KEY_LEN];	/* the OFFER's seal's SEALED_WRAP MAC key */
	int have_k2;			/* k2 set: the OFFER was sealed */
	struct spp_issued is;		/* the data package and its copies */
	struct store_keypair kp;	/* reserved with the identity, if any */
	struct spp_frame bk_frame;	/* BACKUP as received */
	struct ck_spp_backup bk;	/* ... decoded (points into bk_frame) */
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

static enum sess_state end(struct sess *s, enum spp_outcome out)
{
	s->out = out;
	return SESS_END;
}

/* Send ERROR @code and end: nothing is committed. */
static enum sess_state refuse(struct sess *s, uint16_t code, const char *text)
{
	slog(s, "refused: %s (%s)", spp_err_name(code), text);
	spp_send_error(&s->c, code, text);
	return end(s, SPP_OUT_REFUSED);
}

static enum sess_state dropped(struct sess *s, const char *what, int err)
{
	slog(s, "dropped %s: %s", what, strerror(-err));
	return end(s, SPP_OUT_DROPPED);
}

/*
 * Receive a frame of type @want.  0, or -1 with the session ended: a frame
 * too large, of another version or of another type is answered with ERROR;
 * an ERROR from the device is logged; a dead connection just ends.
 */
static int expect(struct sess *s, uint16_t want, struct spp_frame *f,
		  enum sess_state *next)
{
	struct ck_spp_error e;
	int err = spp_recv(&s->c, f, CK_SPP_MAX_BODY);

	if (err == -EMSGSIZE) {
		*next = refuse(s, CK_SPP_E_TOO_LARGE, "frame body too large");
	} else if (err == -EPROTO) {
		*next = refuse(s, CK_SPP_E_VERSION, "unsupported protocol version");
	} else if (err) {
		slog(s, "dropped while waiting for %s: %s", spp_type_name(want),
		     strerror(-err));
		*next = end(s, SPP_OUT_DROPPED);
	} else if (f->type == CK_SPP_ERROR) {
		e.code = 0;
		spp_error_decode(f, &e);
		slog(s, "device reported error %s: %s", spp_err_name(e.code), e.text);
		*next = end(s, SPP_OUT_REFUSED);
	} else if (f->type != want) {
		*next = refuse(s, CK_SPP_E_UNEXPECTED, "unexpected message type");
	} else {
		return 0;
	}
	spp_frame_clear(f);
	return -1;
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

/*
 * HELLO: exact size, flags 0, ROM key fingerprint = this manufacturer's;
 * the chip is in a loaded batch (its chip certificate was verified against
 * the chip-vendor CA when it was loaded) with the Q that HELLO names.
 * Refused before anything is reserved.
 */
static enum sess_state step_hello(struct sess *s)
{
	struct ck_spp_hello hello;
	enum sess_state next;
	struct spp_frame f;
	int err;

	if (expect(s, CK_SPP_HELLO, &f, &next))
		return next;
	err = spp_hello_decode(&f, &hello);
	spp_frame_clear(&f);
	if (err)
		return refuse(s, CK_SPP_E_MALFORMED, "bad HELLO");
	memcpy(s->chip_id, hello.chip_id, sizeof(s->chip_id));
	ck_hex_encode(s->chip_id, sizeof(s->chip_id), s->chip_hex);
	if (CRYPTO_memcmp(hello.rom_fp, s->srv->rom_fp, CK_SPP_FP_LEN))
		return refuse(s, CK_SPP_E_WRONG_MFR, "ROM key is not this manufacturer's");
	err = store_chip_get(s->st, s->chip_id, s->attest_pub);
	if (err == -ENOENT)
		return refuse(s, CK_SPP_E_NOT_IN_BATCH, "chip is not in a loaded batch");
	if (err) {
		slog(s, "batch lookup: %s", store_error(s->st));
		return refuse(s, CK_SPP_E_INTERNAL, "cannot look the chip up");
	}
	if (CRYPTO_memcmp(hello.attest_pub, s->attest_pub, sizeof(s->attest_pub)))
		return refuse(s, CK_SPP_E_NOT_IN_BATCH,
			      "attestation key is not the one of the chip certificate");
	return SESS_CLAIM;
}

/*
 * CLAIM: the chip's identity and, in the same transaction, a pre-generated
 * key pair for it if any is left.  Issued before: ALREADY.
 */
static enum sess_state step_claim(struct sess *s)
{
	int state, err;

	err = store_claim_identity_keypair(s->st, s->chip_id, s->identity, &state, &s->kp);
	if (err == -ENOSPC)
		return refuse(s, CK_SPP_E_EXHAUSTED, "identity pool exhausted");
	if (err) {
		slog(s, "claim: %s", store_error(s->st));
		return refuse(s, CK_SPP_E_INTERNAL, "cannot claim an identity");
	}
	if (state == STORE_ID_ISSUED)
		return SESS_ALREADY;
	CK_CRASH_POINT("spp:claimed");
	return SESS_OFFER;
}

/* ALREADY: the newest current public record of the chip (a device may
 * have written generations after the SPP's), else the record the SPP
 * issued (generation 1), as it is; the agent refuses one older than its
 * store. */
static enum sess_state step_already(struct sess *s)
{
	struct store_pub_record rec;
	struct ck_spp_already m;
	uint8_t *body = NULL;
	size_t len = 0;
	int err;

	memset(&rec, 0, sizeof(rec));
	err = spp_publish_current(s->chip_id, &rec);
	if (err) {
		if (err != -ENOENT)
			slog(s, "ALREADY: public store not readable (%s): the issued record",
			     strerror(-err));
		memset(&rec, 0, sizeof(rec));
		err = store_issued_get(s->st, s->chip_id, &rec);
	}
	if (err) {
		slog(s, "issued identity without issued record: %s",
		     store_error(s->st));
		return refuse(s, CK_SPP_E_INTERNAL, "no public record");
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.identity, rec.identity, sizeof(m.identity));
	m.generation = said_generation(rec.generation);
	m.backup = rec.backup;
	m.backup_len = rec.backup_len;
	m.cert = rec.cert;
	m.cert_len = rec.cert_len;
	/* Encode, then send: a stored record that does not fit the message
	 * is refused with an ERROR; only a failed send drops the session. */
	err = spp_already_encode(&m, &body, &len);
	store_pub_record_clear(&rec);
	if (err)
		return refuse(s, CK_SPP_E_INTERNAL, "stored record does not fit ALREADY");
	err = spp_send(&s->c, CK_SPP_ALREADY, body, len);
	spp_body_free(body, len);
	if (err)
		return dropped(s, "sending ALREADY", err);
	slog(s, "already provisioned: record resent");
	return end(s, SPP_OUT_ALREADY);
}

/*
 * OFFER: the data package issued to this chip (issue.c; its certificate
 * names Q), sealed to Q with a fresh ephemeral key; the MAC key K2 of that
 * seal (from its ECDH) is kept to check the chip's MAC; a fresh nonce.  The package leaves the SPP only sealed.
 */
static enum sess_state step_offer(struct sess *s)
{
	struct ck_spp_offer m;
	uint8_t *sealed, *fcert = NULL, *fca = NULL;
	size_t sealed_len;
	int err;

	err = spp_issue(s->srv->factory, s->identity, s->chip_id, s->attest_pub,
			&s->kp, &s->is);
	if (err == -EBADMSG)
		slog(s, "pre-generated key pair is malformed");
	if (err)
		return refuse(s, CK_SPP_E_INTERNAL, "cannot build the data package");
	CK_CRASH_POINT("spp:built");
	if (RAND_bytes(s->nonce, sizeof(s->nonce)) != 1)
		return refuse(s, CK_SPP_E_INTERNAL, "no randomness");
	sealed_len = ck_seal_size(s->is.dp_len);
	sealed = malloc(sealed_len);
	if (!sealed)
		return refuse(s, CK_SPP_E_INTERNAL, "out of memory");
	err = ck_att_seal_k2(s->attest_pub, s->chip_id, s->is.dp, s->is.dp_len, sealed,
			     s->k2);
	if (err) {
		free(sealed);
		return refuse(s, CK_SPP_E_INTERNAL, "cannot seal the data package");
	}
	s->have_k2 = 1;
	memcpy(m.nonce, s->nonce, sizeof(m.nonce));
	m.cert = s->is.cert_der;
	m.cert_len = s->is.cert_len;
	m.ca_cert = s->srv->factory->ca_cert_der;
	m.ca_cert_len = s->srv->factory->ca_cert_der_len;
	if (spp_offer_fault(s->identity, s->chip_id, s->attest_pub, &fcert, &m.cert_len, &fca,
			    &m.ca_cert_len)) {
		m.cert = fcert;
		m.ca_cert = fca;
	}
	m.sealed = sealed;
	m.sealed_len = sealed_len;
	err = spp_send_offer(&s->c, &m);
	OPENSSL_free(fcert);
	OPENSSL_free(fca);
	free(sealed);
	if (err == -ENOMEM || err == -EINVAL)
		return refuse(s, CK_SPP_E_INTERNAL, "cannot encode the OFFER");
	if (err)
		return dropped(s, "sending OFFER", err);
	return SESS_BACKUP;
}

/*
 * VERIFY, in this order: the header parses (backup code, version,
 * algorithm); its chip ID is the HELLO's; length = data package length +
 * CHIPKEY_PKG_OVERHEAD; generation 1; the chip's MAC over the backup, the
 * data package offered and this session's context, under the key only the
 * chip holding Q's private key shares with the ephemeral key: K2, kept
 * from the seal (ck_att_sealed_wrap_verify_key: constant-time compare).
 */
static uint16_t verify_backup(struct sess *s, const char **why)
{
	const struct ck_spp_backup *bk = &s->bk;
	uint8_t ctx[CK_SPP_WRAP_CTX_LEN];
	struct ck_pkg_header h;
	int err;

	if (ck_pkg_header_parse(bk->backup, bk->backup_len, &h)) {
		*why = "not a backup package (backup code, version or length)";
		return CK_SPP_E_BAD_BACKUP;
	}
	if (memcmp(h.chip_id, s->chip_id, CHIPKEY_CHIP_ID_LEN)) {
		*why = "backup package is for another chip";
		return CK_SPP_E_WRONG_CHIP;
	}
	if (bk->backup_len != ck_pkg_size(s->is.dp_len) || h.payload_len != s->is.dp_len) {
		*why = "backup length does not match the data package";
		return CK_SPP_E_BAD_LENGTH;
	}
	if (h.generation != 1) {
		*why = "backup generation is not 1";
		return CK_SPP_E_BAD_BACKUP;
	}
	if (!s->have_k2) {	/* no OFFER sealed in this session */
		*why = "cannot compute the expected MAC";
		return CK_SPP_E_INTERNAL;
	}
	spp_wrap_context(s->nonce, ctx);
	err = ck_att_sealed_wrap_verify_key(s->k2, s->chip_id,
					    bk->backup, bk->backup_len, 1,
					    s->is.dp, s->is.dp_len, ctx, sizeof(ctx),
					    bk->mac);
	if (err == -EBADMSG) {
		*why = "the chip's MAC does not verify";
		return CK_SPP_E_BAD_PROOF;
	}
	if (err) {
		*why = "cannot compute the expected MAC";
		return CK_SPP_E_INTERNAL;
	}
	return 0;
}

/* BACKUP: exact size, then VERIFY.  Any failure: ERROR, nothing committed. */
static enum sess_state step_backup(struct sess *s)
{
	const char *why = NULL;
	enum sess_state next;
	uint16_t code;

	if (expect(s, CK_SPP_BACKUP, &s->bk_frame, &next))
		return next;
	if (spp_backup_decode(&s->bk_frame, &s->bk))
		return refuse(s, CK_SPP_E_MALFORMED, "bad BACKUP");
	code = verify_backup(s, &why);
	if (code)
		return refuse(s, code, why);
	return SESS_COMMIT;
}

/*
 * COMMIT: public record (signed with the SPP key) + secret record +
 * identity issued + pre-generated key deleted, one transaction; then DONE.
 */
static enum sess_state step_commit(struct sess *s)
{
	struct store_commit c;
	struct pubdb_fields pf;
	struct ck_spp_done done;
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	char err_txt[256];
	int err, committed, published;

	memset(&pf, 0, sizeof(pf));
	memcpy(pf.chip_id, s->chip_id, sizeof(pf.chip_id));
	pf.generation = 1;
	pf.identity = s->identity;
	pf.backup = s->bk.backup;
	pf.backup_len = s->bk.backup_len;
	pf.cert = s->is.cert_der;
	pf.cert_len = s->is.cert_len;
	if (s->srv->factory->record_key &&
	    pubdb_record_build_chain(&pf, s->srv->factory->record_key,
				     s->srv->factory->record_cert, s->srv->factory->ca_cert,
				     &rec, &rec_len, err_txt, sizeof(err_txt))) {
		slog(s, "signing the public record failed: %s", err_txt);
		return refuse(s, CK_SPP_E_INTERNAL, "cannot sign the record");
	}

	memset(&c, 0, sizeof(c));
	memcpy(c.chip_id, s->chip_id, sizeof(c.chip_id));
	c.identity = s->identity;
	c.generation = 1;
	c.backup = s->bk.backup;
	c.backup_len = s->bk.backup_len;
	c.cert = s->is.cert_der;
	c.cert_len = s->is.cert_len;
	c.signed_record = rec;
	c.signed_record_len = rec_len;
	c.secret = s->is.secret;
	c.secret_len = s->is.secret_len;
	c.used_pregenerated_key = s->is.used_pregen;
	committed = err = store_commit_provisioning(s->st, &c);
	free(rec);
	if (err < 0) {
		slog(s, "commit refused: %s", store_error(s->st));
		return refuse(s, err == -EEXIST || err == -EPERM || err == -ESTALE ?
			      CK_SPP_E_CONFLICT : CK_SPP_E_INTERNAL,
			      "the store refused the commit");
	}
	/* publication, then DONE (publish.h) */
	published = spp_publish_wait(s->chip_id);
	CK_CRASH_POINT("spp:published");
	/* DONE */
	memcpy(done.identity, s->identity, sizeof(done.identity));
	done.generation = said_generation(1);
	err = spp_send_done(&s->c, &done);
	slog(s, "provisioned%s%s%s", committed == STORE_ALREADY ? " (re-commit)" : "",
	     published ? " (publication pending, see the publisher's log)" : "",
	     err ? " (DONE not delivered)" : "");
	return end(s, SPP_OUT_DONE);
}

static enum sess_state (*const steps[SESS_END])(struct sess *) = {
	[SESS_HELLO] = step_hello,
	[SESS_CLAIM] = step_claim,
	[SESS_OFFER] = step_offer,
	[SESS_BACKUP] = step_backup,
	[SESS_COMMIT] = step_commit,
	[SESS_ALREADY] = step_already,
};

enum spp_outcome spp_session_run(struct spp_server *srv, struct store *st,
				 SSL *ssl, int fd, const char *peer)
{
	enum sess_state state = SESS_HELLO;
	struct sess s;

	memset(&s, 0, sizeof(s));
	s.srv = srv;
	s.st = st;
	s.peer = peer;
	s.c.fd = fd;
	s.c.ssl = ssl;
	s.c.deadline = spp_now() + srv->session_timeout;
	spp_set_timeouts(fd, srv->step_timeout);
	while (state != SESS_END)
		state = steps[state](&s);
	if (s.out != SPP_OUT_DROPPED)
		SSL_shutdown(s.c.ssl);
	SSL_free(s.c.ssl);
	ERR_clear_error();
	spp_frame_clear(&s.bk_frame);
	store_keypair_clear(&s.kp);
	spp_issued_clear(&s.is);
	OPENSSL_cleanse(s.k2, sizeof(s.k2));
	OPENSSL_cleanse(s.nonce, sizeof(s.nonce));
	return s.out;
}
