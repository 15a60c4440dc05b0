/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Provisioning protocol framing over a TLS connection, shared by chipkey-spp
 * and chipkey-agent: read and write one frame (header + body) within the
 * limits of include/chipkey/spp_messages.h and the connection deadline.
 */
#ifndef CHIPKEY_PROTO_FRAME_H
#define CHIPKEY_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include <chipkey/spp_messages.h>

/* One received frame. */
struct spp_frame {
	uint16_t type;
	uint16_t version;
	uint8_t *body;		/* malloc'd (free with spp_frame_clear) */
	size_t len;
};

/* Absolute deadline (CLOCK_MONOTONIC seconds) for the whole connection; 0: none. */
struct spp_conn {
	SSL *ssl;
	int fd;
	time_t deadline;
};

/* The one codec of the frame header. */
void spp_header_encode(const struct ck_spp_header *h, uint8_t out[CK_SPP_FRAME_HDR_LEN]);
void spp_header_decode(const uint8_t in[CK_SPP_FRAME_HDR_LEN], struct ck_spp_header *h);

/*
 * Read one frame.  Returns 0, or:
 *   -EMSGSIZE  header announces a body over @max (body not read)
 *   -EPROTO    protocol version is not CK_SPP_VERSION (body read and kept)
 *   -ETIMEDOUT the socket timeout or the connection deadline expired
 *   -ECONNRESET the peer closed the connection
 *   -EIO       TLS or socket error
 */
int spp_recv(struct spp_conn *c, struct spp_frame *f, size_t max);
void spp_frame_clear(struct spp_frame *f);

/* Send one frame of @type (current version); @len <= CK_SPP_MAX_BODY. */
int spp_send(struct spp_conn *c, uint16_t type, const void *body, size_t len);

/*
 * Write the header @h exactly as given, then @len body bytes, whatever
 * they say (test agents forge frames with it); spp_send() is the normal way.
 */
int spp_send_raw(struct spp_conn *c, const struct ck_spp_header *h,
		 const void *body, size_t len);

const char *spp_type_name(uint16_t type);

/* Set SO_RCVTIMEO/SO_SNDTIMEO on @fd. */
int spp_set_timeouts(int fd, int seconds);
/* CLOCK_MONOTONIC seconds (for struct spp_conn deadlines). */
time_t spp_now(void);

#endif /* CHIPKEY_PROTO_FRAME_H */
