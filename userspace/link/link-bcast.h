/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to mode 4 (link-bcast*.c): the server's broadcast files and
 * what the device checks of a broadcast.  Errors as link/link-cms.h.
 */
#ifndef CHIPKEY_LINK_BCAST_INT_H
#define CHIPKEY_LINK_BCAST_INT_H

#include <chipkey/link_bcast.h>
#include "link/link-cms.h"

/* The lifetime of a broadcast the server makes by itself: one day. */
#define CK_LINK_BCAST_VALID_DEFAULT	(24 * 3600)
/* A broadcast of the server's state issued more than this far ahead of its
 * clock (made while the clock was ahead) is not offered again: renewed. */
#define CK_LINK_BCAST_FUTURE_SLACK	60

/* SHA-256 of @cert's DER (the server_id of a broadcast). */
int ck_link_cert_digest(X509 *cert, uint8_t out[32]);
/*
 * A new broadcast of @version, valid for @valid_for seconds from now,
 * signed by @key/@cert (with @chain), with a fresh ephemeral key, written
 * to @dir (chipkey-service, or a manufacturer tool publishing a file).
 */
int ck_link_bcast_publish(const char *dir, EVP_PKEY *key, X509 *cert,
			  STACK_OF(X509) *chain, uint64_t version, uint32_t valid_for);
/*
 * The broadcast the server offers: the one in s->state_dir if it is signed
 * by s->cert, matches its key file and has more than a quarter of its
 * lifetime left and was not issued in the future (more than
 * CK_LINK_BCAST_FUTURE_SLACK s ahead); else a new one, version max(old + 1,
 * now), valid a day or longer (up to 7 days) so that the version stays
 * within issued_at + valid_for, published first.  *@der: free(); *@eph: EVP_PKEY_free.
 */
int ck_link_bcast_current(const struct ck_link_server *s, uint8_t **der, size_t *len,
			  struct ck_link_bcast_body *b, EVP_PKEY **eph);
/*
 * What a device checks of a broadcast (a file or an OFFER), in order:
 * SignedData structure and signature, signer a service credential under
 * the ROM key, body, server_id, validity rule, version >= the highest seen
 * (persisted when higher).  Fills @b.
 */
int ck_link_bcast_device_accept(const struct ck_link_device *d, const uint8_t *der,
				size_t len, struct ck_link_bcast_body *b);

#endif /* CHIPKEY_LINK_BCAST_INT_H */
