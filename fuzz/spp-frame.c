// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fuzz target: the provisioning protocol as a peer sends it
 * (userspace/proto/frame.c and messages.c): frames read with spp_recv()
 * from a TLS stream replaced by the fuzz input (up to 8 frames), each
 * body decoded as the message its type names.  Decoded messages must
 * encode back to the same body.
 *
 * frame.c is included with SSL_read_ex/SSL_get_error redirected to the
 * fuzz input, the way wireguard-tools' fuzzers stub the kernel interface.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>

static const uint8_t *in_p;
static size_t in_left;

static int fuzz_ssl_read_ex(SSL *s, void *buf, size_t num, size_t *got)
{
	size_t n = num < in_left ? num : in_left;

	(void)s;
	if (!n)
		return 0;
	if (n > 1 && (in_p[0] & 1))
		n = n / 2 + 1;	/* short reads too */
	memcpy(buf, in_p, n);
	in_p += n;
	in_left -= n;
	*got = n;
	return 1;
}

static int fuzz_ssl_get_error(const SSL *s, int ret)
{
	(void)s;
	(void)ret;
	return SSL_ERROR_ZERO_RETURN;
}

#define SSL_read_ex fuzz_ssl_read_ex
#define SSL_get_error fuzz_ssl_get_error
#include "proto/frame.c"
#undef SSL_read_ex
#undef SSL_get_error
#include "proto/messages.h"

static void same(const uint8_t *a, size_t alen, const struct spp_frame *f)
{
	if (alen != f->len || memcmp(a, f->body, alen))
		abort();
}

static void decode(struct spp_frame *f, uint16_t as)
{
	uint8_t fixed[CK_SPP_HELLO_LEN > CK_SPP_DONE_LEN ? CK_SPP_HELLO_LEN : CK_SPP_DONE_LEN];
	uint8_t *body = NULL;
	size_t len = 0;
	union {
		struct ck_spp_hello hello;
		struct ck_spp_offer offer;
		struct ck_spp_backup backup;
		struct ck_spp_done done;
		struct ck_spp_already already;
		struct ck_spp_error error;
	} m;

	switch (as) {
	case CK_SPP_HELLO:
		if (!spp_hello_decode(f, &m.hello) && !spp_hello_encode(&m.hello, fixed))
			same(fixed, CK_SPP_HELLO_LEN, f);
		break;
	case CK_SPP_OFFER:
		if (!spp_offer_decode(f, &m.offer) && !spp_offer_encode(&m.offer, &body, &len))
			same(body, len, f);
		break;
	case CK_SPP_BACKUP:
		if (!spp_backup_decode(f, &m.backup) && !spp_backup_encode(&m.backup, &body, &len))
			same(body, len, f);
		break;
	case CK_SPP_DONE:
		if (!spp_done_decode(f, &m.done) && !spp_done_encode(&m.done, fixed))
			same(fixed, CK_SPP_DONE_LEN, f);
		break;
	case CK_SPP_ALREADY:
		if (!spp_already_decode(f, &m.already) &&
		    !spp_already_encode(&m.already, &body, &len))
			same(body, len, f);
		break;
	case CK_SPP_ERROR:
		/* decoding sanitizes the text: no round trip */
		if (!spp_error_decode(f, &m.error)) {
			if (strlen(m.error.text) > CK_SPP_MAX_ERROR_TEXT)
				abort();
			spp_err_name(m.error.code);
		}
		break;
	}
	if (body)
		spp_body_free(body, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spp_conn c = { .ssl = NULL, .fd = -1, .deadline = 0 };
	struct spp_frame f;
	int frames;

	in_p = data;
	in_left = size;
	for (frames = 0; frames < 8; frames++) {
		int ret = spp_recv(&c, &f, CK_SPP_MAX_BODY);

		if (ret == -EPROTO)
			spp_frame_clear(&f);
		if (ret)
			break;
		spp_type_name(f.type);
		decode(&f, f.type);
		spp_frame_clear(&f);
	}
	return 0;
}
