// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-spp: has the client's whole TLS ClientHello arrived? (see
 * client-hello.h).  For the gate's thread only (one peek buffer).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client-hello.h"
#include "gate.h"

#define PEEK_MAX	(2 * SPP_CLIENT_HELLO_MAX)	/* records, headers included */
#define TLS_REC_MAX	(16384 + 256)

static uint8_t peek[PEEK_MAX];

/*
 * Peek at what the client sent: TLS handshake records (type 22) whose
 * payloads, concatenated, start with a ClientHello (type 1, 24-bit
 * length).  READY once the whole ClientHello is there.  @why: for BAD.
 */
enum spp_hello spp_client_hello(int fd, const char **why, int *peeked)
{
	ssize_t n = recv(fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
	uint8_t hs[4];
	size_t off = 0, got = 0, tot = 0, need;

	if (n == 0)
		return HELLO_GONE;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ?
		       HELLO_WAIT : HELLO_GONE;
	*peeked = (int)n;
	while (off + 5 <= (size_t)n) {
		size_t rlen = (size_t)peek[off + 3] << 8 | peek[off + 4];

		if (peek[off] != 22 || peek[off + 1] != 3) {
			*why = "not a TLS handshake";
			return HELLO_BAD;
		}
		if (!rlen || rlen > TLS_REC_MAX) {
			*why = "bad TLS record length";
			return HELLO_BAD;
		}
		if (off + 5 + rlen > (size_t)n)
			break;			/* record still incomplete */
		for (size_t i = 0; i < rlen && got < 4; i++)
			hs[got++] = peek[off + 5 + i];
		tot += rlen;
		off += 5 + rlen;
		if (got < 4)
			continue;
		if (hs[0] != 1) {
			*why = "first handshake message is not a ClientHello";
			return HELLO_BAD;
		}
		need = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
		if (need > SPP_CLIENT_HELLO_MAX) {
			*why = "ClientHello too large";
			return HELLO_BAD;
		}
		if (tot >= need)
			return HELLO_READY;
	}
	if ((size_t)n == sizeof(peek)) {
		*why = "ClientHello in too many records";
		return HELLO_BAD;
	}
	return HELLO_WAIT;
}

/*
 * The bytes peeked stay in the socket, so a level-triggered poll() would
 * report it readable at once, forever: raise its low-water mark to one
 * byte more than it holds (poll() honours SO_RCVLOWAT; end of stream is
 * still reported), and lower it again before a worker reads.
 */
void spp_client_hello_want_more(int fd, int have)
{
	int lowat = have + 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
}

