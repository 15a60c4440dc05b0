// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The link dispatcher (link.h, docs/service-link.md "Connection"): the
 * table of modes, the HELLO that names a mode (none for mode 1, whose
 * connection starts with the TLS ClientHello), the mode's pre-exchange,
 * then TLS 1.3 keyed by what the pre-exchange established.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "link.h"
#include "messages.h"
#include "tls.h"

/* One line per mode built in. */
static const struct ck_link_mode *const modes[] = {
	&ck_link_mode_channel_key,
	&ck_link_mode_cert,
	&ck_link_mode_cms,	/* mode 3, link-cms.c */
	&ck_link_mode_bcast,	/* mode 4, link-bcast.c */
};

const struct ck_link_mode *ck_link_mode_by_id(int id)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if ((int)modes[i]->id == id)
			return modes[i];
	return NULL;
}

const struct ck_link_mode *ck_link_mode_by_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i]->name, name))
			return modes[i];
	return NULL;
}

int ck_link_device_open(const struct ck_link_device *d, const struct ck_link_mode *m,
			int fd, struct ck_link_conn *c)
{
	uint8_t hello[CK_LINK_HELLO_LEN];
	struct ck_link_hello h = { .version = CK_LINK_VERSION, .mode = (uint8_t)m->id };
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->mode = m;
	if (m->id != CK_LINK_CHANNEL_KEY) {
		if (ck_link_hello_encode(&h, hello, sizeof(hello)) != CK_LINK_HELLO_LEN)
			return -EINVAL;
		err = ck_link_write_full(fd, hello, sizeof(hello));
		if (err)
			return err;
	}
	err = m->device(d, fd, &c->secret);
	if (!err)
		err = ck_link_tls_client(c);
	OPENSSL_cleanse(&c->secret, sizeof(c->secret));
	return err;
}

int ck_link_server_accept(const struct ck_link_server *s, int fd, struct ck_link_conn *c)
{
	uint8_t hello[CK_LINK_HELLO_LEN];
	struct ck_link_hello h;
	ssize_t n;
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->server = s;
	do
		n = recv(fd, hello, 1, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -ECONNRESET;
	if (hello[0] == CK_LINK_TLS_FIRST_BYTE) {
		if (s->no_channel_key)
			return -EPROTONOSUPPORT;
		c->mode = ck_link_mode_by_id(CK_LINK_CHANNEL_KEY);
	} else {
		err = ck_link_read_full(fd, hello, sizeof(hello));
		if (err)
			return err;
		if (ck_link_hello_decode(hello, sizeof(hello), &h) ||
		    h.version != CK_LINK_VERSION)
			return -EPROTO;
		c->mode = ck_link_mode_by_id(h.mode);
		if (!c->mode || c->mode->id == CK_LINK_CHANNEL_KEY)
			return -EPROTONOSUPPORT;
	}
	err = c->mode->server(s, fd, &c->secret);
	if (!err)
		err = ck_link_tls_server(c);
	if (!err)
		memcpy(c->peer, c->secret.peer, sizeof(c->peer));
	OPENSSL_cleanse(&c->secret, sizeof(c->secret));
	return err;
}

void ck_link_conn_free(struct ck_link_conn *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	OPENSSL_cleanse(c, sizeof(*c));
	c->fd = -1;
}

const char *ck_link_strerror(int err)
{
	switch (err) {
	case -ECONNREFUSED:
		return "TLS handshake failed (wrong key, or the peer is not who it claims)";
	case -ECONNRESET:
		return "the peer closed the connection";
	case -EPROTO:
		return "malformed message";
	case -EMSGSIZE:
		return "message too large";
	case -EPROTONOSUPPORT:
		return "link mode not supported";
	case -EKEYREJECTED:
		return "certificate refused (not chained to the ROM key, wrong role or identity)";
	case -EKEYEXPIRED:
		return "certificate expired or not yet valid";
	case -EKEYREVOKED:
		return "certificate revoked (a CRL given with --crl lists it or its issuing CA; "
		       "at the server also: --revoked-ids lists the identity)";
	case -ENODATA:
		return "no current CRL of the certificate's issuer among --crl (failing closed)";
	case -EACCES:
		return "the server refused this device's certificate";
	case -EBADMSG:
		return "malformed message, or its signature or sealed secret does not verify";
	case -EUCLEAN:
		return "a state file of this device (a counter or high-water mark in --state) is "
		       "damaged: failing closed (docs/service-link-cms.md, \"Recovery\")";
	case -EBADE:
		return "a message for another device (it does not decrypt with this device's key), "
		       "or tampered";
	case -ESTALE:
		return "replayed or stale message (counter not newer than the last seen)";
	case -ERANGE:
		return "counter out of range (more than 2^32 above the last seen, or 2^62 and above)";
	case -ERESTART:
		return "counter resynchronised with the server (signed); connect again";
	case -ENOKEY:
		return "a key or certificate the mode needs is missing";
	case -ETIMEDOUT:
	case -EAGAIN:
		return "timed out";
	default:
		return strerror(-err);
	}
}
