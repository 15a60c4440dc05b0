/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pairing two devices (docs/pairing.md): TLS 1.3 with both device
 * certificates, each checked against the manufacturer key in the checking
 * device's own ROM (tls.c); ATTEST of each chip over a value bound to the
 * session (attest.c); a commitment round (commit.c); the link key and the
 * six-digit code from the TLS exporter (secrets.c); the messages inside the session (messages.c); the
 * pairing records in the data package (record.c).  Functions return 0 or a
 * negative errno unless they say otherwise.
 */
#ifndef CHIPKEY_PAIR_H
#define CHIPKEY_PAIR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include <chipkey/data_package.h>
#include <chipkey/pair_messages.h>
#include "lib/libchipkey.h"
#include "link/link.h"

#define CK_PAIR_KEY_LEN		32
#define CK_PAIR_CODE_DIGITS	6

/* The exporter labels (RFC 8446 7.5), one per use. */
#define CK_PAIR_LABEL_ATTEST	"EXPORTER-chipkey-pair-attest"
#define CK_PAIR_LABEL_LINK_KEY	"EXPORTER-chipkey-pair-link-key"
#define CK_PAIR_LABEL_CODE	"EXPORTER-chipkey-pair-code"
#define CK_PAIR_LABEL_SYNC	"EXPORTER-chipkey-pair-sync"

enum ck_pair_role { CK_PAIR_LISTEN = 0, CK_PAIR_CONNECT = 1 };

/* ---- listen.c */
/* Listen on IPv4 @addr:@port (0: any free port; written to @port_file if
 * not NULL), accept one connection and stop listening; its send/receive
 * bounded by @timeout seconds.  The socket or -errno (-EINVAL: @addr). */
int ck_pair_accept_one(const char *addr, int port, const char *port_file, int timeout);

/* ---- messages.c: the frames of include/chipkey/pair_messages.h */
/* Encode @m into @buf (CK_PAIR_FRAME_MAX bytes): the frame's length. */
size_t ck_pair_msg_encode(const struct ck_pair_msg *m, uint8_t buf[CK_PAIR_FRAME_MAX]);
/* Decode exactly @len bytes: 0 or -EBADMSG (magic, version, type, length,
 * a DECISION other than 0/1). */
int ck_pair_msg_decode(const uint8_t *buf, size_t len, struct ck_pair_msg *m);
/* Send @m / receive a message of type @want over @ssl: 0, -EBADMSG (not a
 * frame, or another type), -ECONNRESET (the peer went away). */
int ck_pair_msg_send(SSL *ssl, const struct ck_pair_msg *m);
int ck_pair_msg_recv(SSL *ssl, enum ck_pair_type want, struct ck_pair_msg *m);

/* ---- tls.c: the session */
struct ck_pair_peer {
	X509 *cert;				/* the peer's device certificate */
	char identity[16];
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	uint8_t attest_q[CHIPKEY_EC_POINT_LEN];	/* from its certificate */
	int verify_err;				/* why its chain was refused */
};
struct ck_pair_session {
	SSL_CTX *ctx;
	SSL *ssl;
	enum ck_pair_role role;
	const struct ck_link_device *self;
	struct ck_pair_peer peer;
};
/*
 * TLS 1.3 over @fd as @role with @self's key and certificate chain; the
 * peer must present a device certificate that pki_verify_device_cert()
 * accepts against @self->rom_key and that names an attestation key; with
 * @self->crls, neither it nor its issuing CA revoked (verify_err
 * -EKEYREVOKED; -ENODATA: an issuer has no current CRL among them).
 * 0, -EKEYREJECTED (the peer's certificate; why in s->peer.verify_err),
 * -ECONNREFUSED (the handshake failed otherwise), -ECONNRESET, -errno.
 */
int ck_pair_tls(struct ck_pair_session *s, const struct ck_link_device *self,
		enum ck_pair_role role, int fd);
void ck_pair_session_free(struct ck_pair_session *s);

/* ---- directory.c: pair --directory (docs/pairing.md "Directory and CRL
 * checks") */
/* After ck_pair_tls(): the public database at @url holds the factory's
 * record (generation 1) of the peer's chip, signed by a record signer under
 * @s->self->rom_key, naming the peer's identity and, byte for byte, its
 * device certificate, and no void entry of that record signed by the
 * manufacturer (the ROM key's own certificate).  0; -EKEYREJECTED (no such
 * record, another identity or certificate, unsigned, forged, malformed,
 * voided, a void entry that does not verify: why in @why); -ENETUNREACH
 * (no answer within @timeout seconds each for the record and the void
 * entry, after retries). */
int ck_pair_directory_check(const struct ck_pair_session *s, const char *url, double timeout,
			    char *why, size_t whylen);

/* ---- secrets.c: values from the TLS exporter */
/* The ATTEST context the chip of @prover answers over (32 bytes). */
int ck_pair_attest_context(SSL *ssl, enum ck_pair_role prover, uint8_t out[32]);
/* The link key: exporter(link-key label, SHA-256(listener's certificate)
 * || SHA-256(connector's certificate)). */
int ck_pair_link_key(SSL *ssl, X509 *listener, X509 *connector,
		     uint8_t key[CK_PAIR_KEY_LEN]);
/* The code both devices show: exporter(code label, Nl || Nc), its first 8
 * bytes big endian mod 10^6: six decimal digits and a NUL. */
int ck_pair_code(SSL *ssl, const uint8_t nl[CK_PAIR_NONCE_SIZE],
		 const uint8_t nc[CK_PAIR_NONCE_SIZE], char code[CK_PAIR_CODE_DIGITS + 1]);

/* ---- sync.c: chipkey pair sync (docs/pairing.md "Sync") */
/* The SYNC tag of @sender in this session: HKDF-SHA256 (common/kdf.h) of
 * @link_key with the info "chipkey pair sync v1" || 0x00 || exporter(sync
 * label, context "listen" or "connect": @sender's role, 32 bytes). */
int ck_pair_sync_tag(SSL *ssl, enum ck_pair_role sender, const uint8_t link_key[CK_PAIR_KEY_LEN],
		     uint8_t tag[CK_PAIR_NONCE_SIZE]);
/* The SYNC exchange (connector first): ours says whether we keep a record
 * of the peer (@link_key: its link key, NULL: no record).  *@peer_held:
 * the peer says it keeps one; *@same: it keeps one with our link key (its
 * tag is the one @link_key gives for its role; 0 without @link_key).
 * 0, -EBADMSG, -ECONNRESET, -EIO. */
int ck_pair_sync_exchange(struct ck_pair_session *s, const uint8_t *link_key, int *peer_held,
			  int *same);

/* ---- commit.c: the commitment round before the code (docs/pairing.md) */
/* Listener: sends COMMIT = SHA-256("chipkey-pair-commit" || 0x00 || Nl),
 * receives Nc, reveals Nl.  Connector: receives COMMIT, then picks Nc and
 * sends it, receives Nl and checks it against COMMIT.  @nl and @nc out.
 * 0, -EBADE (the revealed Nl does not match the commitment), -EBADMSG,
 * -ECONNRESET, -EIO. */
int ck_pair_commit_round(struct ck_pair_session *s, uint8_t nl[CK_PAIR_NONCE_SIZE],
			 uint8_t nc[CK_PAIR_NONCE_SIZE]);

/* ---- attest.c: each chip proves it is live */
/*
 * The exchange of the two chips' ATTEST (connector's challenge first):
 * @ck is this device's chip.  0, -EKEYREJECTED (the peer's chip did not
 * answer as the chip its certificate names), -EBADMSG, -ECONNRESET, -errno.
 */
int ck_pair_attest_exchange(struct ck_pair_session *s, struct chipkey *ck);

/* ---- record.c: the pairing records inside the data package (entry
 * pairing-records, docs/pairing.md "The pairing records") */
struct ck_pair_record {
	char identity[16];			/* the peer's */
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	enum ck_pair_role role;			/* ours in that pairing */
	uint8_t flags;				/* CK_PAIR_F_* */
	time_t paired_at;
	uint8_t link_key[CK_PAIR_KEY_LEN];	/* secret */
	uint8_t *cert;				/* the peer's certificate, DER */
	size_t cert_len;
};
#define CK_PAIR_F_EXCLUSIVE	0x01	/* this device refuses any other pairing */
/* The pairings of one device, sorted by identity (no identity twice). */
struct ck_pair_list {
	struct ck_pair_record *v;
	size_t n;
};
/* The entry's value: -EINVAL if malformed (anything but the one canonical
 * encoding), -ENOMEM. */
int ck_pair_list_decode(const uint8_t *buf, size_t len, struct ck_pair_list *l);
/* The canonical value (free with OPENSSL_clear_free(*out, *len)); -EINVAL
 * for an empty list (no pairing: no entry) or an unsorted one. */
int ck_pair_list_encode(const struct ck_pair_list *l, uint8_t **out, size_t *len);
/* The list of @dp (empty if it has no entry); written back into @dp (the
 * entry removed if the list is empty). */
int ck_pair_list_get(const struct ck_dp *dp, struct ck_pair_list *l);
int ck_pair_list_put(struct ck_dp *dp, const struct ck_pair_list *l);
/* Index of the record of @identity or @chip_id (either may be NULL), -1. */
int ck_pair_list_find(const struct ck_pair_list *l, const char *identity,
		      const uint8_t *chip_id);
/* Add @r in order (replacing a record of the same identity); the list
 * takes over @r's certificate and @r is zeroed.  -ENOSPC: 255 already. */
int ck_pair_list_add(struct ck_pair_list *l, struct ck_pair_record *r);
void ck_pair_list_remove(struct ck_pair_list *l, size_t i);
void ck_pair_record_free(struct ck_pair_record *r);
void ck_pair_list_free(struct ck_pair_list *l);

#endif /* CHIPKEY_PAIR_H */
