// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mode 2: RESYNC (link-cert.h).  A device that lost its state directory
 * starts its counter again at 1, one whose counter was moved by a rogue
 * server (a stolen service credential) may be anywhere below 2^62; the
 * server, having checked everything else of its AUTH, answers with its
 * highest accepted counter, signed, and bound to that AUTH; the device
 * sets its counter to it, up or down (the server is authoritative: it
 * accepts only what its own window allows), and goes on from there.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "counters.h"
#include "link-cert.h"
#include "messages.h"

/* S3 for a stale or out-of-range counter: RESYNC, signed, naming the highest accepted, so
 * that a device which lost its state can go on above it (D3). */
void ck_link_cert_send_resync(int fd, EVP_PKEY *key, const char *id, const char *state,
			const uint8_t *d2, size_t d2_len)
{
	struct ck_link_resync r = { 0 };
	uint8_t buf[16 + CK_LINK_HASH_LEN + CK_LINK_SIG_MAX];
	ssize_t n;

	if (ck_link_window_highest(state, id, &r.highest))
		return;
	SHA256(d2, d2_len, r.transcript);
	n = ck_link_resync_encode(&r, buf, sizeof(buf));
	r.sig_len = sizeof(r.sig);
	if (n > 0 && !ck_link_cert_sign(key, 1, CK_LINK_RESYNC_SIG_LABEL, buf, (size_t)n, r.sig,
				 &r.sig_len))
		n = ck_link_resync_encode(&r, buf, sizeof(buf));
	else
		n = -1;
	if (n > 0)
		ck_link_msg_send(fd, buf, (size_t)n);
}

/* D3 for a RESYNC: signed by the server of S1 and about our AUTH: our
 * counter becomes the highest the server has; -ERESTART (try again). */
int ck_link_cert_take_resync(const struct ck_link_device *d, X509 *sc, const uint8_t *in,
		       size_t len, const uint8_t mine[CK_LINK_HASH_LEN])
{
	struct ck_link_resync r;
	uint64_t old;
	size_t sl;
	int err;

	if (ck_link_resync_decode(in, len, &r))
		return -EPROTO;
	sl = r.sig_len;
	if (ck_link_cert_sign(X509_get0_pubkey(sc), 0, CK_LINK_RESYNC_SIG_LABEL, in, r.signed_len,
		       r.sig, &sl))
		return -EBADMSG;
	if (CRYPTO_memcmp(r.transcript, mine, CK_LINK_HASH_LEN))
		return -EPROTO;
	if (ck_link_counter_get(d->state_dir, "device-counter", &old))
		old = 0;
	err = ck_link_counter_set(d->state_dir, "device-counter", r.highest);
	/* a large step is no lost state of a few links: a server holding the
	 * service key moved it (review L2), or the device stayed away from a
	 * server that a thief with its keys used; never silent */
	if (!err && (r.highest > old ? r.highest - old : old - r.highest) > CK_LINK_RESYNC_LOG_STEP)
		fprintf(stderr, "chipkey link: a signed RESYNC moved this device's counter from "
			"%" PRIu64 " to %" PRIu64 " (a step of more than %u: a server with the "
			"service key, or a copy of this device's keys, moved it)\n", old,
			r.highest, CK_LINK_RESYNC_LOG_STEP);
	return err ? err : -ERESTART;
}

