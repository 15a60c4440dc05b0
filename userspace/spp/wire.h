/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Provisioning protocol framing over a TLS connection, shared by chipkey-spp
 * and chipkey-agent.  See include/chipkey/spp_messages.h.
 */
#ifndef CHIPKEY_SPP_WIRE_H
#define CHIPKEY_SPP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include <chipkey/spp_messages.h>

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
int spp_send(struct spp_conn *c, uint16_t type, const void *body, size_t len);
/* Send an ERROR frame; @text is truncated to CK_SPP_MAX_ERROR_TEXT. */
int spp_send_error(struct spp_conn *c, uint16_t code, const char *text);
/* Decode an ERROR body; @text gets a NUL-terminated, sanitized copy. */
int spp_parse_error(const struct spp_frame *f, uint16_t *code,
		    char text[CK_SPP_MAX_ERROR_TEXT + 1]);
const char *spp_err_name(uint16_t code);
const char *spp_type_name(uint16_t type);

int spp_sha256(const void *buf, size_t len, uint8_t out[32]);
/* The unwrap proof (see spp_messages.h). */
int spp_proof(const uint8_t *channel_key, size_t key_len,
	      const uint8_t nonce[CK_SPP_NONCE_LEN],
	      const uint8_t chip_id[CHIPKEY_CHIP_ID_LEN],
	      const void *dp, size_t dp_len, const void *backup,
	      size_t backup_len, uint8_t out[CK_SPP_PROOF_LEN]);

/* Set SO_RCVTIMEO/SO_SNDTIMEO on @fd. */
int spp_set_timeouts(int fd, int seconds);
time_t spp_now(void);

static inline void spp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint32_t spp_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}
static inline void spp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v;
}
static inline uint16_t spp_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline void spp_put64(uint8_t *p, uint64_t v)
{
	spp_put32(p, (uint32_t)(v >> 32)); spp_put32(p + 4, (uint32_t)v);
}
static inline uint64_t spp_get64(const uint8_t *p)
{
	return ((uint64_t)spp_get32(p) << 32) | spp_get32(p + 4);
}

#endif
