/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The provisioning messages' codec: one encoder/decoder pair per message of
 * include/chipkey/spp_messages.h, plus "send" helpers that encode and frame.
 *
 * Decoders check the frame type and the exact body size and lengths; they
 * return 0, -EBADMSG (another message type) or -EINVAL (malformed body).
 * What they decode points into the frame body (valid until spp_frame_clear).
 * Encoders return 0, -EINVAL (a field out of range) or -ENOMEM; encoded
 * bodies are malloc'd: release them with spp_body_free (wiped: an OFFER
 * carries a device private key).
 */
#ifndef CHIPKEY_PROTO_MESSAGES_H
#define CHIPKEY_PROTO_MESSAGES_H

#include <chipkey/spp_messages.h>
#include "proto/frame.h"

void spp_body_free(uint8_t *body, size_t len);

int spp_hello_encode(const struct ck_spp_hello *m, uint8_t out[CK_SPP_HELLO_LEN]);
int spp_hello_decode(const struct spp_frame *f, struct ck_spp_hello *m);
int spp_send_hello(struct spp_conn *c, const struct ck_spp_hello *m);

int spp_offer_encode(const struct ck_spp_offer *m, uint8_t **body, size_t *len);
int spp_offer_decode(const struct spp_frame *f, struct ck_spp_offer *m);
int spp_send_offer(struct spp_conn *c, const struct ck_spp_offer *m);

int spp_backup_encode(const struct ck_spp_backup *m, uint8_t **body, size_t *len);
int spp_backup_decode(const struct spp_frame *f, struct ck_spp_backup *m);
int spp_send_backup(struct spp_conn *c, const struct ck_spp_backup *m);

int spp_done_encode(const struct ck_spp_done *m, uint8_t out[CK_SPP_DONE_LEN]);
int spp_done_decode(const struct spp_frame *f, struct ck_spp_done *m);
int spp_send_done(struct spp_conn *c, const struct ck_spp_done *m);

int spp_already_encode(const struct ck_spp_already *m, uint8_t **body, size_t *len);
int spp_already_decode(const struct spp_frame *f, struct ck_spp_already *m);

/* The text is truncated to CK_SPP_MAX_ERROR_TEXT. */
int spp_error_encode(const struct ck_spp_error *m, uint8_t **body, size_t *len);
/* @m->code is set as soon as it is read, even if the rest is malformed. */
int spp_error_decode(const struct spp_frame *f, struct ck_spp_error *m);
/* Send ERROR(@code, @text) (@text may be NULL). */
int spp_send_error(struct spp_conn *c, uint16_t code, const char *text);
const char *spp_err_name(uint16_t code);

#endif /* CHIPKEY_PROTO_MESSAGES_H */
