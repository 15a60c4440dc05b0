// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the pre-TLS messages of the secure link
 * (userspace/link/messages.c, include/chipkey/link_messages.h), what
 * chipkey-service decodes from any peer before it has authenticated it,
 * and what a device decodes from the server.  The first byte selects the
 * decoder (0 HELLO, 1 AUTH, 2 CERTS, 3 and 5-7 ERROR, 4 RESYNC); a message that decodes must
 * encode back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link/messages.c"

static uint8_t out[CK_LINK_FRAME_MAX + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_link_hello h;
	struct ck_link_auth a;
	struct ck_link_certs k;
	struct ck_link_error e;
	struct ck_link_resync r;
	ssize_t n = -1;

	if (size < 1)
		return 0;
	switch (data[0] & 7) {
	case 0:
		if (ck_link_hello_decode(data + 1, size - 1, &h) == 0)
			n = ck_link_hello_encode(&h, out, sizeof(out));
		break;
	case 1:
		if (ck_link_auth_decode(data + 1, size - 1, &a) == 0) {
			if (a.signed_len >= size - 1 || a.cert_len == 0)
				abort();
			n = ck_link_auth_encode(&a, out, sizeof(out));
		}
		break;
	case 2:
		if (ck_link_certs_decode(data + 1, size - 1, &k) == 0)
			n = ck_link_certs_encode(&k, out, sizeof(out));
		break;
	case 4:
		if (ck_link_resync_decode(data + 1, size - 1, &r) == 0)
			n = ck_link_resync_encode(&r, out, sizeof(out));
		break;
	default:
		if (ck_link_error_decode(data + 1, size - 1, &e) == 0) {
			if (strlen(e.text) > CK_LINK_ERR_TEXT_MAX)
				abort();
			return 0;	/* control characters are replaced: no round trip */
		}
		break;
	}
	if (n >= 0 && ((size_t)n != size - 1 || memcmp(out, data + 1, size - 1)))
		abort();
	return 0;
}
