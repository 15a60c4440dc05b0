// SPDX-License-Identifier: LGPL-2.1-or-later
/* Provisioning protocol framing (see wire.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "wire.h"
#include "crashpoint.h"

#ifdef CK_CRASH_HOOKS
/* Test builds: crash points "send:TYPE", "sent:TYPE", "recv:TYPE". */
static void frame_crash_point(const char *what, uint16_t type)
{
	char name[32];

	snprintf(name, sizeof(name), "%s:%s", what, spp_type_name(type));
	CK_CRASH_POINT(name);
}
#else
#define frame_crash_point(what, type) do { } while (0)
#endif

time_t spp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int spp_set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int io_error(struct spp_conn *c, int ret, int saved_errno)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_ZERO_RETURN)
		return -ECONNRESET;
	if (e == SSL_ERROR_SYSCALL &&
	    (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))
		return -ETIMEDOUT;
	if (e == SSL_ERROR_SYSCALL && saved_errno == 0)
		return -ECONNRESET;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -ETIMEDOUT;
	return -EIO;
}

static int read_full(struct spp_conn *c, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t got = 0;
		int r;

		if (c->deadline && spp_now() > c->deadline)
			return -ETIMEDOUT;
		errno = 0;
		r = SSL_read_ex(c->ssl, buf + done, len - done, &got);
		if (r <= 0)
			return io_error(c, r, errno);
		done += got;
	}
	return 0;
}

int spp_recv(struct spp_conn *c, struct spp_frame *f, size_t max)
{
	uint8_t hdr[CK_SPP_FRAME_HDR_LEN];
	int err;

	memset(f, 0, sizeof(*f));
	err = read_full(c, hdr, sizeof(hdr));
	if (err)
		return err;
	f->len = spp_get32(hdr);
	f->type = spp_get16(hdr + 4);
	f->version = spp_get16(hdr + 6);
	if (f->len > max)
		return -EMSGSIZE;
	f->body = malloc(f->len ? f->len : 1);
	if (!f->body)
		return -ENOMEM;
	err = read_full(c, f->body, f->len);
	if (err) {
		spp_frame_clear(f);
		return err;
	}
	if (f->version != CK_SPP_VERSION)
		return -EPROTO;
	frame_crash_point("recv", f->type);
	return 0;
}

void spp_frame_clear(struct spp_frame *f)
{
	if (f->body) {
		OPENSSL_cleanse(f->body, f->len);
		free(f->body);
	}
	memset(f, 0, sizeof(*f));
}

int spp_send(struct spp_conn *c, uint16_t type, const void *body, size_t len)
{
	uint8_t *buf;
	size_t written = 0;
	int r, err = 0;

	if (len > CK_SPP_MAX_BODY)
		return -EMSGSIZE;
	buf = malloc(CK_SPP_FRAME_HDR_LEN + len);
	if (!buf)
		return -ENOMEM;
	spp_put32(buf, (uint32_t)len);
	spp_put16(buf + 4, type);
	spp_put16(buf + 6, CK_SPP_VERSION);
	if (len)
		memcpy(buf + CK_SPP_FRAME_HDR_LEN, body, len);
	frame_crash_point("send", type);
	errno = 0;
	r = SSL_write_ex(c->ssl, buf, CK_SPP_FRAME_HDR_LEN + len, &written);
	if (r <= 0)
		err = io_error(c, r, errno);
	else
		frame_crash_point("sent", type);
	OPENSSL_cleanse(buf, CK_SPP_FRAME_HDR_LEN + len);
	free(buf);
	return err;
}

int spp_send_error(struct spp_conn *c, uint16_t code, const char *text)
{
	uint8_t body[CK_SPP_ERROR_FIXED + CK_SPP_MAX_ERROR_TEXT];
	size_t t = text ? strlen(text) : 0;

	if (t > CK_SPP_MAX_ERROR_TEXT)
		t = CK_SPP_MAX_ERROR_TEXT;
	spp_put16(body, code);
	spp_put16(body + 2, (uint16_t)t);
	if (t)
		memcpy(body + 4, text, t);
	return spp_send(c, CK_SPP_ERROR, body, CK_SPP_ERROR_FIXED + t);
}

int spp_parse_error(const struct spp_frame *f, uint16_t *code,
		    char text[CK_SPP_MAX_ERROR_TEXT + 1])
{
	size_t t;

	text[0] = 0;
	if (f->type != CK_SPP_ERROR || f->len < CK_SPP_ERROR_FIXED)
		return -EINVAL;
	*code = spp_get16(f->body);
	t = spp_get16(f->body + 2);
	if (t > CK_SPP_MAX_ERROR_TEXT || CK_SPP_ERROR_FIXED + t != f->len)
		return -EINVAL;
	for (size_t i = 0; i < t; i++) {
		uint8_t ch = f->body[4 + i];

		text[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	text[t] = 0;
	return 0;
}

const char *spp_err_name(uint16_t code)
{
	switch (code) {
	case CK_SPP_E_MALFORMED: return "MALFORMED";
	case CK_SPP_E_VERSION: return "VERSION";
	case CK_SPP_E_UNEXPECTED: return "UNEXPECTED";
	case CK_SPP_E_TOO_LARGE: return "TOO_LARGE";
	case CK_SPP_E_WRONG_MFR: return "WRONG_MFR";
	case CK_SPP_E_EXHAUSTED: return "EXHAUSTED";
	case CK_SPP_E_BAD_BACKUP: return "BAD_BACKUP";
	case CK_SPP_E_WRONG_CHIP: return "WRONG_CHIP";
	case CK_SPP_E_BAD_LENGTH: return "BAD_LENGTH";
	case CK_SPP_E_BAD_PROOF: return "BAD_PROOF";
	case CK_SPP_E_CONFLICT: return "CONFLICT";
	case CK_SPP_E_INTERNAL: return "INTERNAL";
	case CK_SPP_E_TIMEOUT: return "TIMEOUT";
	case CK_SPP_E_DEVICE: return "DEVICE";
	}
	return "UNKNOWN";
}

const char *spp_type_name(uint16_t type)
{
	switch (type) {
	case CK_SPP_HELLO: return "HELLO";
	case CK_SPP_OFFER: return "OFFER";
	case CK_SPP_BACKUP: return "BACKUP";
	case CK_SPP_DONE: return "DONE";
	case CK_SPP_ALREADY: return "ALREADY";
	case CK_SPP_ERROR: return "ERROR";
	}
	return "UNKNOWN";
}

int spp_sha256(const void *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int spp_proof(const uint8_t *channel_key, size_t key_len,
	      const uint8_t nonce[CK_SPP_NONCE_LEN],
	      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
	      const void *dp, size_t dp_len, const void *backup,
	      size_t backup_len, uint8_t out[CK_SPP_PROOF_LEN])
{
	uint8_t h[32], hb[32];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int err = -EIO;

	if (spp_sha256(dp, dp_len, h) || spp_sha256(backup, backup_len, hb))
		return -EIO;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, channel_key, key_len, params) != 1 ||
	    EVP_MAC_update(ctx, (const uint8_t *)CK_SPP_PROOF_LABEL,
			   CK_SPP_PROOF_LABEL_LEN) != 1 ||
	    EVP_MAC_update(ctx, nonce, CK_SPP_NONCE_LEN) != 1 ||
	    EVP_MAC_update(ctx, chip_id, CHIPKEY_CHIP_ID_LEN) != 1 ||
	    EVP_MAC_update(ctx, h, sizeof(h)) != 1 ||
	    EVP_MAC_update(ctx, hb, sizeof(hb)) != 1 ||
	    EVP_MAC_final(ctx, out, &outl, CK_SPP_PROOF_LEN) != 1 ||
	    outl != CK_SPP_PROOF_LEN)
		goto out;
	err = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return err;
}
