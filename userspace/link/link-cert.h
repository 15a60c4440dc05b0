/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode 2's parts shared by link-cert.c and link-cert-resync.c (the RESYNC
 * of a device whose counter is stale, docs/service-link.md "Mode 2").
 */
#ifndef CHIPKEY_LINK_CERT_H
#define CHIPKEY_LINK_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <chipkey/link_messages.h>
#include "link.h"

/* ECDSA-SHA256 over @label || @msg: sign (@sig_len in/out) or verify.
 * 0, -EIO (signing) or -EBADMSG (does not verify). */
int ck_link_cert_sign(EVP_PKEY *key, int sign, const char *label, const uint8_t *msg,
		      size_t len, uint8_t *sig, size_t *sig_len);

/* Server, step S3 for a stale or out-of-range counter: a signed RESYNC naming the highest
 * counter of the device @id accepted so far, about the AUTH @d2. */
void ck_link_cert_send_resync(int fd, EVP_PKEY *key, const char *id, const char *state,
			      const uint8_t *d2, size_t d2_len);
/* A RESYNC that moves the device counter by more than this (up or down)
 * is logged on stderr with the old and new values (review L2: a server
 * with the stolen service key moving it is not silent).  A device that
 * lost its state after fewer links than this is not logged. */
#define CK_LINK_RESYNC_LOG_STEP	65536u
/* Device, step D3 for a RESYNC: signed by the certificate @sc of S1 and
 * about our AUTH (SHA-256 @mine): our counter is set to the highest (a
 * large step logged: CK_LINK_RESYNC_LOG_STEP); -ERESTART (connect again),
 * or -EPROTO / -EBADMSG / -errno. */
int ck_link_cert_take_resync(const struct ck_link_device *d, X509 *sc, const uint8_t *in,
			     size_t len, const uint8_t mine[CK_LINK_HASH_LEN]);

#endif /* CHIPKEY_LINK_CERT_H */
