// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-agent: the TLS 1.3 client (see agent.h).  The device has no CA
 * certificate, only the manufacturer root public key in ROM: the SPP's
 * certificate and the issuing CA the SPP sends with it (required: one the
 * root signed itself is refused) are checked up to that key
 * (pki_verify_spp_cert: signatures, SPP role, validity when the
 * clock is set; --crl: not revoked); the handshake itself
 * (CertificateVerify) proves the SPP holds the certificate's private key.
 * The factory station credential (mutual TLS) is what lets the SPP tell a
 * station of this factory line from any other client.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/exit.h"
#include "common/hostport.h"
#include "common/pki.h"
#include "agent.h"

static int connect_tcp(const char *spec, int timeout)
{
	char host[256], port[6];
	struct addrinfo hints, *ai = NULL, *p;
	int fd = -1;

	if (ck_hostport_parse(spec, CK_HOSTPORT_DIAL, host, sizeof(host), port))
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai))
		return -EHOSTUNREACH;
	for (p = ai; p; p = p->ai_next) {
		fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		spp_set_timeouts(fd, timeout);
		if (!connect(fd, p->ai_addr, p->ai_addrlen))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd < 0 ? -ECONNREFUSED : fd;
}

static SSL_CTX *client_ctx(const char *st_cert, const char *st_key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		SSL_CTX_free(ctx);
		agent_die(CK_EXIT_OTHER, "TLS setup failed");
		return NULL;
	}
	/* No CA: the chain is checked after the handshake with the ROM key. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (st_cert && (SSL_CTX_use_certificate_chain_file(ctx, st_cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(ctx, st_key, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(ctx) != 1)) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		agent_die(CK_EXIT_OTHER, "cannot load the station credential %s", st_cert);
		return NULL;
	}
	return ctx;
}

int agent_check_chain(struct agent *a, X509 *cert, X509 *ca, int device, time_t now)
{
	char why[320];
	int err;

	if (!cert)
		return -EINVAL;
	err = device ? pki_verify_device_cert(cert, ca, a->rom, a->rom_len, NULL, a->chip_id, now)
		     : pki_verify_spp_cert(cert, ca, a->rom, a->rom_len, now);
	if (!err)
		err = pki_crls_check(a->crls, cert, ca, a->rom, a->rom_len, pki_clock_now(),
				     why, sizeof(why));
	if (err == -ENOKEY)
		fprintf(stderr, "chipkey-agent: %s\n", why);
	return err;
}

/* The certificate of the peer's chain that issued @peer, or NULL. */
static X509 *peer_issuer(SSL *ssl, X509 *peer)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);

	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (x != peer && X509_check_issued(x, peer) == X509_V_OK)
			return x;
	}
	return NULL;
}

/* The SPP's certificate: issued by an issuing CA under the ROM key, SPP
 * role, valid now, not revoked. */
static int check_spp(struct agent *a)
{
	X509 *peer, *ica;
	time_t now;
	int err;

	if (SSL_version(a->c.ssl) != TLS1_3_VERSION)
		return agent_die(CK_EXIT_UNTRUSTED, "SPP did not negotiate TLS 1.3");
	peer = SSL_get1_peer_certificate(a->c.ssl);
	if (!peer)
		return agent_die(CK_EXIT_UNTRUSTED, "SPP presented no certificate");
	/*
	 * A device fresh off the line may have no clock yet (1970): then the
	 * SPP certificate's validity cannot be checked and only its signature
	 * by the ROM key, its role and the handshake count (pki_clock_now()).
	 */
	now = pki_clock_now();
	if (now == PKI_TIME_IGNORE)
		fprintf(stderr, "chipkey-agent: warning: the clock is not set; "
			"not checking the SPP certificate's validity period\n");
	ica = peer_issuer(a->c.ssl, peer);
	err = ica ? agent_check_chain(a, peer, ica, 0, now) : -EKEYREJECTED;
	X509_free(peer);
	if (!ica)
		return agent_die(CK_EXIT_UNTRUSTED, "SPP sent no issuing CA certificate that issued "
				 "its credential (one signed by the root itself is not accepted): refused");
	if (err == -EKEYREVOKED)
		return agent_die(CK_EXIT_UNTRUSTED, "SPP credential or its issuing CA is revoked "
				 "(--crl): refused");
	if (err)
		return agent_die(CK_EXIT_UNTRUSTED,
				 "SPP credential does not chain to the manufacturer key in ROM (%s): refused",
				 strerror(-err));
	return CK_EXIT_OK;
}

int agent_tls_connect(struct agent *a, const char *spec, int timeout,
		      const char *st_cert, const char *st_key)
{
	int fd;

	a->c.fd = -1;
	fd = connect_tcp(spec, timeout);
	if (fd < 0)
		return agent_die(CK_EXIT_PROTOCOL, "cannot connect to the SPP %s", spec);
	a->c.fd = fd;
	a->ctx = client_ctx(st_cert, st_key);
	if (!a->ctx)
		return CK_EXIT_OTHER;
	a->c.ssl = SSL_new(a->ctx);
	if (!a->c.ssl || SSL_set_fd(a->c.ssl, fd) != 1 ||
	    SSL_connect(a->c.ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return agent_die(CK_EXIT_PROTOCOL, "TLS handshake with %s failed", spec);
	}
	return check_spp(a);
}

void agent_tls_close(struct agent *a, int polite)
{
	if (a->c.ssl) {
		if (polite)
			SSL_shutdown(a->c.ssl);
		SSL_free(a->c.ssl);
		a->c.ssl = NULL;
	}
	if (a->c.fd >= 0)
		close(a->c.fd);
	a->c.fd = -1;
	SSL_CTX_free(a->ctx);
	a->ctx = NULL;
}
