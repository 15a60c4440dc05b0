/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The secure links between a device and the manufacturer's device service
 * server (docs/service-link.md).  Every mode runs a short pre-exchange on
 * the connected socket (none for the channel-key mode) that leaves both
 * ends with the same secret; that secret keys TLS 1.3 as an external PSK
 * with (EC)DHE, so that the record layer is always TLS 1.3.
 *
 * One ops table entry per mode (LAYOUT rule 5: link-<mode>.c); the
 * dispatcher (link.c) sends the mode byte, runs the pre-exchange and then
 * the TLS handshake.  Functions return 0 or a negative errno; on error
 * @out is wiped.
 */
#ifndef CHIPKEY_LINK_H
#define CHIPKEY_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct pki_crls;	/* common/pki.h */

enum ck_link_mode_id {
	CK_LINK_CHANNEL_KEY = 1,	/* Nokia claims 3-5 */
	CK_LINK_CERT = 2,		/* Toshiba claims 15-16 */
	CK_LINK_CMS = 3,		/* Toshiba claims 1-8 */
	CK_LINK_BROADCAST = 4,		/* Toshiba claims 9-14 */
};

#define CK_LINK_SECRET_MAX	48
#define CK_LINK_PSK_ID_MAX	128

/* What a pre-exchange establishes. */
struct ck_link_secret {
	uint8_t key[CK_LINK_SECRET_MAX];	/* the external PSK */
	size_t key_len;				/* 32 (SHA-256) or 48 (SHA-384) */
	char psk_identity[CK_LINK_PSK_ID_MAX];	/* NUL-terminated */
	char peer[64];		/* server: the device identity it authenticated */
};

/* The server's keys and state (chipkey-service). */
struct ck_link_server {
	const uint8_t *master_key;	/* 32 bytes: channel keys (mode 1) */
	EVP_PKEY *key;			/* service credential, OU=chipkey-service */
	X509 *cert;
	STACK_OF(X509) *chain;		/* issuing CA (to the ROM key) */
	EVP_PKEY *rom_key;		/* verifies device certificates */
	const char *state_dir;		/* persistent replay state */
	/* revocation of device certificates and their issuing CAs (modes
	 * 2-4, pki_crls_check, failing closed); NULL: not checked */
	const struct pki_crls *crls;
	/* identities refused in every mode, mode 1 included (chipkey-service
	 * --revoked-ids): 0 to go on, -EKEYREVOKED to refuse; NULL: none */
	int (*identity_check)(const char *identity);
	int no_channel_key;	/* mode 1 switched off (--no-channel-key) */
};

/* The device's keys and state (the keys directory, /run/chipkey). */
struct ck_link_device {
	char identity[16];		/* 15 digits, NUL */
	uint8_t channel_key[32];
	EVP_PKEY *key;			/* device key */
	X509 *cert;			/* device certificate */
	EVP_PKEY *rom_key;		/* verifies the server's chain */
	const char *state_dir;		/* persistent counters, versions */
	/* added by the channel-key and certificate modes: */
	int sha384;			/* mode 1: the SHA-384 PSK identity */
	X509 *chain;			/* issuing CA of @cert (NULL: none) */
	/* revocation of the service credential and its issuing CA (modes
	 * 2-4, pki_crls_check, failing closed); NULL: not checked */
	const struct pki_crls *crls;
};

/*
 * A mode's pre-exchange (server and device ends) fills @out: key_len 32
 * (SHA-256 suites) or 48 (TLS_AES_256_GCM_SHA384), the same psk_identity
 * on both ends (the server's PSK callback accepts only that identity), and
 * on the server @peer (logged, the device the mode authenticated).
 * key_len 0 on the server: derive the PSK from the ClientHello's identity
 * (mode 1 only).  Helpers for modes: ck_link_msg_send/recv below,
 * pki_verify_service_cert (common/pki.h) for the server's credential.
 */
struct ck_link_mode {
	const char *name;
	enum ck_link_mode_id id;
	int (*server)(const struct ck_link_server *s, int fd, struct ck_link_secret *out);
	int (*device)(const struct ck_link_device *d, int fd, struct ck_link_secret *out);
};

/* The modes (link-<mode>.c); link.c's table lists the ones built in. */
extern const struct ck_link_mode ck_link_mode_channel_key;
extern const struct ck_link_mode ck_link_mode_cert;
extern const struct ck_link_mode ck_link_mode_cms;
extern const struct ck_link_mode ck_link_mode_bcast;

const struct ck_link_mode *ck_link_mode_by_id(int id);
const struct ck_link_mode *ck_link_mode_by_name(const char *name);

/* An established link: TLS 1.3 over @fd, keyed by @secret. */
struct ck_link_conn {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	const struct ck_link_mode *mode;
	const struct ck_link_server *server;	/* server side: for mode 1 */
	struct ck_link_secret secret;		/* wiped once TLS is up */
	char peer[64];		/* server: the device identity */
	char cipher[64];	/* the TLS 1.3 suite */
	char group[32];		/* the (EC)DHE group */
};

/*
 * Device side: on the connected @fd, send the HELLO (not for mode 1), run
 * @m's pre-exchange and the TLS handshake.  0 or -errno (ck_link_strerror).
 */
int ck_link_device_open(const struct ck_link_device *d, const struct ck_link_mode *m,
			int fd, struct ck_link_conn *c);
/* Server side: which mode @fd starts with, its pre-exchange, the handshake. */
int ck_link_server_accept(const struct ck_link_server *s, int fd, struct ck_link_conn *c);
/* Frees the TLS state and wipes @c (does not close @fd). */
void ck_link_conn_free(struct ck_link_conn *c);
/* A person's explanation of a link error. */
const char *ck_link_strerror(int err);

/* A TCP connection to HOST:PORT ([V6]:PORT), each send/receive bounded by
 * @timeout seconds (0: not).  The socket, or -EINVAL / -EHOSTUNREACH / -errno. */
int ck_link_dial(const char *host_port, int timeout);

/* Read/write all of @buf on @fd (EINTR retried).  0, -ECONNRESET (EOF) or
 * -errno.  The caller ignores SIGPIPE (a peer that closes: -EPIPE). */
int ck_link_read_full(int fd, void *buf, size_t n);
int ck_link_write_full(int fd, const void *buf, size_t n);
/* CLOCK_MONOTONIC in milliseconds: the clock of frame deadlines. */
int64_t ck_link_now_ms(void);
/* ck_link_read_full() that gives up at @deadline (ck_link_now_ms() time;
 * poll() on @fd) with -ETIMEDOUT; @deadline < 0: none (blocking reads). */
int ck_link_read_until(int fd, void *buf, size_t n, int64_t deadline);
/* A frame's encoded header (@hlen bytes), then its body: 0 or -errno.
 * Both frame formats (frame.c, link-cms-frame.c) use it (frame-io.c). */
int ck_link_frame_write(int fd, const void *hdr, size_t hlen, const void *body, size_t len);
/* One frame (4-byte length + body): -EMSGSIZE if longer than @cap or
 * CK_LINK_FRAME_MAX (nothing of the body is read then). */
int ck_link_msg_send(int fd, const void *body, size_t len);
int ck_link_msg_recv(int fd, uint8_t *buf, size_t cap, size_t *len);

#endif /* CHIPKEY_LINK_H */
