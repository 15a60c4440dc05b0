// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TLS 1.3 with an external PSK (tls.h).  The PSK is an SSL_SESSION whose
 * master key is the secret and whose cipher fixes the PSK's hash: the
 * client offers it through SSL_set_psk_use_session_callback, the server
 * finds it through SSL_CTX_set_psk_find_session_callback (RFC 8446 4.2.11).
 * OpenSSL refuses psk_ke-only clients unless SSL_OP_ALLOW_NO_DHE_KEX,
 * which is never set; both sides also check afterwards that the PSK was
 * used and that an (EC)DHE group was negotiated.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include "tls.h"

#define SUITES_SHA256	"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
#define SUITES_SHA384	"TLS_AES_256_GCM_SHA384"
#define SUITES_ALL	SUITES_SHA256 ":" SUITES_SHA384

static const unsigned char id_aes128_sha256[2] = { 0x13, 0x01 };
static const unsigned char id_aes256_sha384[2] = { 0x13, 0x02 };

/* The PSK session of @sec: SHA-384 for 48 bytes, else SHA-256. */
static SSL_SESSION *psk_session(SSL *ssl, const struct ck_link_secret *sec)
{
	const SSL_CIPHER *ciph = SSL_CIPHER_find(ssl, sec->key_len == 48 ?
						 id_aes256_sha384 : id_aes128_sha256);
	SSL_SESSION *s = SSL_SESSION_new();

	if (!s || !ciph || (sec->key_len != 32 && sec->key_len != 48) ||
	    !SSL_SESSION_set1_master_key(s, sec->key, sec->key_len) ||
	    !SSL_SESSION_set_cipher(s, ciph) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

static int use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
			  size_t *idlen, SSL_SESSION **sess)
{
	struct ck_link_conn *c = SSL_get_app_data(ssl);
	SSL_SESSION *s = psk_session(ssl, &c->secret);

	if (!s)
		return 0;
	/* after a HelloRetryRequest: only a PSK of the chosen hash */
	if (md && md != SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(s))) {
		SSL_SESSION_free(s);
		*sess = NULL;
		return 1;
	}
	*id = (const unsigned char *)c->secret.psk_identity;
	*idlen = strlen(c->secret.psk_identity);
	*sess = s;
	return 1;
}

static int find_session_cb(SSL *ssl, const unsigned char *id, size_t idlen,
			   SSL_SESSION **sess)
{
	struct ck_link_conn *c = SSL_get_app_data(ssl);
	size_t want = strlen(c->secret.psk_identity);

	*sess = NULL;
	if (c->secret.key_len == 0) {
		/* mode 1: derive from the identity the device names */
		if (ck_link_channel_key_psk(c->server, id, idlen, &c->secret))
			return 0;
	} else if (idlen != want || CRYPTO_memcmp(id, c->secret.psk_identity, want)) {
		return 0;	/* not the identity the pre-exchange agreed */
	}
	*sess = psk_session(ssl, &c->secret);
	return *sess ? 1 : 0;
}

static int handshake(struct ck_link_conn *c, int server)
{
	const char *gname;
	int ret;

	c->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!c->ctx)
		return -ENOMEM;
	if (!SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(c->ctx, server ? SUITES_ALL :
				      c->secret.key_len == 48 ? SUITES_SHA384 : SUITES_SHA256))
		return -EIO;
	/* server order, SHA-256 suites first: a standard client offering every
	 * suite with a 32-byte PSK (openssl s_client -psk) gets a suite of its
	 * PSK's hash; our devices offer only the suites of theirs */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(c->ctx, 0);
	if (server)
		SSL_CTX_set_psk_find_session_callback(c->ctx, find_session_cb);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
		return -ENOMEM;
	SSL_set_app_data(c->ssl, c);
	if (!server)
		SSL_set_psk_use_session_callback(c->ssl, use_session_cb);
	ret = server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
	OPENSSL_cleanse(c->secret.key, sizeof(c->secret.key));
	if (ret != 1) {
		int e = SSL_get_error(c->ssl, ret);

		if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			e = SSL_ERROR_SYSCALL;
		ERR_clear_error();
		/* a blocking socket's SO_RCVTIMEO / SO_SNDTIMEO ran out */
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return -ETIMEDOUT;
		/* closed under us, vs. a TLS alert (wrong key, no PSK) */
		return e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ? -ECONNRESET
									   : -ECONNREFUSED;
	}
	/* the PSK authenticated the peer, and ECDHE gave forward secrecy */
	if (!SSL_session_reused(c->ssl) || SSL_get_negotiated_group(c->ssl) <= 0)
		return -ECONNREFUSED;
	snprintf(c->cipher, sizeof(c->cipher), "%s", SSL_get_cipher_name(c->ssl));
	gname = OBJ_nid2sn(SSL_get_negotiated_group(c->ssl));
	snprintf(c->group, sizeof(c->group), "%s", gname ? gname : "?");
	return 0;
}

int ck_link_tls_client(struct ck_link_conn *c)
{
	return handshake(c, 0);
}

int ck_link_tls_server(struct ck_link_conn *c)
{
	return handshake(c, 1);
}
