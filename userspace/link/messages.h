/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one encoder/decoder pair of each pre-TLS message of the secure link
 * (include/chipkey/link_messages.h, docs/service-link.md).  Decoders check
 * every length against the buffer and the limits, accept no trailing
 * bytes, and return 0 or -EINVAL (malformed) / -EMSGSIZE (over a limit);
 * encoders return the length written or -EMSGSIZE if @cap is too small.
 */
#ifndef CHIPKEY_LINK_MESSAGES_H
#define CHIPKEY_LINK_MESSAGES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <chipkey/link_messages.h>

ssize_t ck_link_hello_encode(const struct ck_link_hello *h, uint8_t *out, size_t cap);
int ck_link_hello_decode(const uint8_t *in, size_t len, struct ck_link_hello *h);

/* The signed part (everything before sig_len) when @a->sig_len is 0, or
 * the whole body. */
ssize_t ck_link_auth_encode(const struct ck_link_auth *a, uint8_t *out, size_t cap);
/* @a->cert and @a->chain point into @in afterwards. */
int ck_link_auth_decode(const uint8_t *in, size_t len, struct ck_link_auth *a);

ssize_t ck_link_certs_encode(const struct ck_link_certs *c, uint8_t *out, size_t cap);
int ck_link_certs_decode(const uint8_t *in, size_t len, struct ck_link_certs *c);

/* The signed part when @r->sig_len is 0, or the whole body. */
ssize_t ck_link_resync_encode(const struct ck_link_resync *r, uint8_t *out, size_t cap);
int ck_link_resync_decode(const uint8_t *in, size_t len, struct ck_link_resync *r);

ssize_t ck_link_error_encode(const struct ck_link_error *e, uint8_t *out, size_t cap);
int ck_link_error_decode(const uint8_t *in, size_t len, struct ck_link_error *e);

/* The type byte of a frame body (-EINVAL if empty). */
int ck_link_body_type(const uint8_t *in, size_t len);

#endif /* CHIPKEY_LINK_MESSAGES_H */
