// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pairing session (pair.h): TLS 1.3, each side with its device key and
 * certificate chain (device certificate + issuing CA).  OpenSSL's chain
 * building is replaced by the checks devices make (cert verify callback):
 * pki_verify_device_cert() against the manufacturer key in this device's
 * own ROM, plus an attestation key in the certificate, and with --crl
 * (self->crls) neither it nor its issuing CA revoked (link/revocation.c,
 * failing closed).  The TLS handshake
 * performs the certificate exchange, the challenge signatures
 * (CertificateVerify over the transcript, which holds both fresh randoms)
 * and the ECDHE key agreement of the seed's claim 1 (docs/pairing.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/pki.h"
#include "link/revocation.h"
#include "pair.h"

/* The peer's issuing CA in the chain it sent: the first certificate other
 * than @leaf whose subject is @leaf's issuer (NULL: none). */
static X509 *find_ica(STACK_OF(X509) *chain, X509 *leaf)
{
	int i;

	for (i = 0; chain && i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);

		if (X509_cmp(c, leaf) &&
		    !X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(leaf)))
			return c;
	}
	return NULL;
}

static int verify_peer(X509_STORE_CTX *xs, void *arg)
{
	struct ck_pair_session *s = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	X509 *ica = find_ica(X509_STORE_CTX_get0_untrusted(xs), leaf);
	uint8_t *rom = NULL;
	size_t rom_len = 0;
	int err;

	err = pki_public_to_der(s->self->rom_key, &rom, &rom_len);
	if (!err)
		err = pki_verify_device_cert(leaf, ica, rom, rom_len, NULL, NULL,
					     pki_clock_now());
	OPENSSL_free(rom);
	if (!err)
		err = pki_cert_device_identity(leaf, s->peer.identity);
	if (!err)
		err = pki_cert_chip_id(leaf, s->peer.chip_id);
	if (!err)	/* no attestation key: its chip could not prove it is live */
		err = pki_cert_attest_key(leaf, s->peer.attest_q);
	if (!err && !strcmp(s->peer.identity, s->self->identity))
		err = -EEXIST;	/* our own identity: a copy of us, never a peer */
	if (!err)	/* revoked, or no current CRL of an issuer: -EKEYREVOKED, -ENODATA */
		err = ck_link_crl_check(s->self->crls, leaf, ica, s->self->rom_key,
					"the peer's device certificate");
	if (err) {
		s->peer.verify_err = err;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	X509_free(s->peer.cert);
	s->peer.cert = X509_dup(leaf);
	return s->peer.cert ? 1 : 0;
}

/*
 * SSL_accept / SSL_connect on @fd, the handshake as a whole bounded by the
 * socket's receive timeout (the caller's --timeout, pair/listen.c,
 * link/dial.c): that bounds each read only, so a peer sending its
 * handshake a byte at a time would otherwise hold the session (and the
 * store's update lock) for as long as it goes on.  Non-blocking for the
 * handshake, blocking again after it.  Past the deadline: 0 with
 * *@timed_out set.
 */
static int handshake(SSL *ssl, int fd, int server, int *timed_out)
{
	struct timeval tv = { 0 };
	socklen_t tl = sizeof(tv);
	struct timespec now;
	int flags = fcntl(fd, F_GETFL), ret, e;
	long long deadline, left;

	*timed_out = 0;
	if (flags < 0 || getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &tl) ||
	    (!tv.tv_sec && !tv.tv_usec) || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return server ? SSL_accept(ssl) : SSL_connect(ssl);
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = now.tv_sec * 1000LL + now.tv_nsec / 1000000 + tv.tv_sec * 1000LL +
		   tv.tv_usec / 1000;
	for (;;) {
		struct pollfd p = { .fd = fd };

		ret = server ? SSL_accept(ssl) : SSL_connect(ssl);
		if (ret == 1)
			break;
		e = SSL_get_error(ssl, ret);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = deadline - (now.tv_sec * 1000LL + now.tv_nsec / 1000000);
		p.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (left <= 0 || (poll(&p, 1, (int)left) == 0)) {
			*timed_out = 1;
			ret = 0;
			break;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return ret;
}

int ck_pair_tls(struct ck_pair_session *s, const struct ck_link_device *self,
		enum ck_pair_role role, int fd)
{
	int server = role == CK_PAIR_LISTEN, ret, timed_out;

	memset(s, 0, sizeof(*s));
	s->self = self;
	s->role = role;
	if (!self->key || !self->cert || !self->rom_key)
		return -ENOKEY;
	s->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!s->ctx)
		return -ENOMEM;
	if (!SSL_CTX_set_min_proto_version(s->ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_use_certificate(s->ctx, self->cert) ||
	    !SSL_CTX_use_PrivateKey(s->ctx, self->key) ||
	    !SSL_CTX_check_private_key(s->ctx) ||
	    (self->chain && !SSL_CTX_add1_chain_cert(s->ctx, self->chain)) ||
	    !SSL_CTX_set1_sigalgs_list(s->ctx, "ECDSA+SHA256")) {
		ERR_clear_error();
		return -EIO;
	}
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(s->ctx, 0);
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(s->ctx, verify_peer, s);
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || !SSL_set_fd(s->ssl, fd))
		return -ENOMEM;
	ret = handshake(s->ssl, fd, server, &timed_out);
	if (ret != 1) {
		int e = timed_out ? SSL_ERROR_SYSCALL : SSL_get_error(s->ssl, ret);

		ERR_clear_error();
		if (s->peer.verify_err)
			return -EKEYREJECTED;
		return e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ? -ECONNRESET
									   : -ECONNREFUSED;
	}
	/* a certificate was required and checked by verify_peer */
	if (!s->peer.cert || SSL_version(s->ssl) != TLS1_3_VERSION)
		return -ECONNREFUSED;
	return 0;
}

void ck_pair_session_free(struct ck_pair_session *s)
{
	if (s->ssl)
		SSL_shutdown(s->ssl);
	SSL_free(s->ssl);
	SSL_CTX_free(s->ctx);
	X509_free(s->peer.cert);
	OPENSSL_cleanse(s, sizeof(*s));
}
