/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The authenticated channel between two paired devices (docs/pairing.md
 * "The channel"): a PSK derived from the pairing record's link key keys
 * TLS 1.3 with (EC)DHE, through the service link's TLS code
 * (link/tls.c: PSK session callbacks, psk_dhe_ke only, both sides check
 * afterwards that the PSK and an (EC)DHE group were used); then bytes are
 * relayed between standard input/output and the session.  Functions
 * return 0 or a negative errno.
 */
#ifndef CHIPKEY_PAIR_CHANNEL_H
#define CHIPKEY_PAIR_CHANNEL_H

#include "link/link.h"
#include "pair.h"

/* The HKDF info's label, and the PSK identity's prefix. */
#define CK_PAIR_CHANNEL_LABEL		"chipkey pair channel v1"
#define CK_PAIR_CHANNEL_PSK_ID_PREFIX	"chipkey-pair-channel-v1:"

/*
 * The channel PSK of the pairing record @r, on the device @self (its
 * identity) in @role (CK_PAIR_CONNECT: the TLS client):
 *   key = HKDF-SHA256(link key, LABEL || 0x00 || connector's identity ||
 *                     listener's identity), 32 bytes;
 *   psk_identity = PREFIX || connector's identity || ":" || listener's.
 * The roles are part of both, so a device's own ClientHello reflected to
 * its own listener names another PSK (no selfie reflection).
 * @out is wiped on error.
 */
int ck_pair_channel_secret(const struct ck_pair_record *r, const char *self,
			   enum ck_pair_role role, struct ck_link_secret *out);

/* TLS 1.3 over @fd keyed by @sec (wiped, also on error), as @role.  0,
 * -ECONNREFUSED (the handshake failed: not the PSK of this pair and
 * roles, no PSK or no (EC)DHE used), -ECONNRESET (closed during it),
 * -errno.  Free @c with ck_link_conn_free(). */
int ck_pair_channel_open(struct ck_link_conn *c, int fd, struct ck_link_secret *sec,
			 enum ck_pair_role role);

/*
 * Relay @in -> the session and the session -> @out until both ends are
 * done: end of @in sends close_notify (half-close), the peer's
 * close_notify ends reading.  @timeout > 0: give up after that many
 * seconds without any progress.  0, -ETIMEDOUT, -ECONNRESET (the peer's
 * connection ended without close_notify, or a TLS error: what was received
 * may be truncated), -EPIPE / -errno (@in or @out).
 */
int ck_pair_channel_relay(struct ck_link_conn *c, int in, int out, int timeout);

#endif /* CHIPKEY_PAIR_CHANNEL_H */
