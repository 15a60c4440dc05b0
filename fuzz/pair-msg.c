// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the frames of a pairing session,
 * userspace/pair/messages.c: ck_pair_msg_decode (what `chipkey pair`
 * reads from its peer inside TLS, include/chipkey/pair_messages.h).  A
 * frame that decodes must encode back to the same bytes.
 */
#include "pair/messages.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t again[CK_PAIR_FRAME_MAX];
	struct ck_pair_msg m;

	if (ck_pair_msg_decode(data, size, &m) == 0) {
		if (size > CK_PAIR_FRAME_MAX || ck_pair_msg_encode(&m, again) != size ||
		    memcmp(again, data, size))
			abort();
	}
	return 0;
}
