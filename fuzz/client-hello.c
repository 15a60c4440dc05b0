// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the SPP gate's look at a new connection before any TLS
 * (userspace/spp/client-hello.c): the first bytes any client on the
 * network sends, peeked (MSG_PEEK) from the socket until a whole
 * ClientHello is there.  The input is what the client sent, arriving in
 * two parts (the first byte says where the cut is), then end of stream.
 *
 * Properties: READY only for bytes that start with a handshake record
 * holding a ClientHello, never more peeked than sent, BAD always with a
 * reason, and once all bytes are there the answer is the same on a second
 * look (the bytes stay in the socket: a peek).  A ClientHello cut short
 * stays WAIT even at end of stream (the peek sees the bytes, not the
 * end): the gate's handshake deadline cuts it (test-slowloris.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spp/client-hello.c"

static enum spp_hello look(int fd, size_t sent, const char **why)
{
	int peeked = 0;
	enum spp_hello h;

	*why = NULL;
	h = spp_client_hello(fd, why, &peeked);
	if (peeked < 0 || (size_t)peeked > sent)
		abort();
	if (h == HELLO_BAD && !*why)
		abort();
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	enum spp_hello h;
	size_t cut;
	int sv[2];

	if (size < 1 || size > 64 * 1024)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	if (cut > size)
		cut = size;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	if (write(sv[1], data, cut) != (ssize_t)cut)
		goto out;
	h = look(sv[0], cut, &why);
	if (h != HELLO_WAIT)
		goto out;
	if (write(sv[1], data + cut, size - cut) != (ssize_t)(size - cut))
		goto out;
	shutdown(sv[1], SHUT_WR);
	h = look(sv[0], size, &why);
	if (look(sv[0], size, &why) != h)
		abort();
	/* READY: a TLS handshake record (type 22) holding a ClientHello (1) */
	if (h == HELLO_READY && (size < 6 || data[0] != 22 || data[5] != 1))
		abort();
out:
	close(sv[0]);
	close(sv[1]);
	return 0;
}
