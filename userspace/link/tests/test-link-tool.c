// SPDX-License-Identifier: GPL-2.0
/*
 * An adversary's tool for service/tests/run.sh (not a test by itself):
 *   record HOST:PORT KEYS ROM.der STATE FLIGHT   mode-2 link through a proxy
 *          that keeps the device's HELLO + AUTH frame in FLIGHT
 *   replay HOST:PORT FLIGHT                      send FLIGHT again
 *   raw HOST:PORT tamper|truncate|oversize FLIGHT   send a damaged FLIGHT
 *   get-raw HOST:PORT KEYS NAME                  mode 1, GET NAME unchecked
 *   psk384 IDENTITY CHANNEL-KEY-HEX              the mode-1 SHA-384 PSK (hex)
 *   fake-resync PORTFILE CERT.der CHAIN.der [KEY.pem]   a server with the
 *          public service certificate but not its key: answers one AUTH
 *          with a RESYNC (highest 10^9) whose signature is not the
 *          service's; with KEY (the stolen service key): a RESYNC (highest
 *          5) signed by it but about another AUTH (transcript)
 * Prints "refused: code N", "accepted" or "status N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/sha.h>

#include <chipkey/byteorder.h>
#include "common/file.h"
#include "common/hex.h"
#include "link/catalogue.h"
#include "link/device-keys.h"
#include "link/link.h"
#include "link/link-cert.h"
#include "link/messages.h"

static uint8_t rec[CK_LINK_FRAME_MAX + 64];
static size_t rec_len;
static int px[2];	/* px[0]: the device's end, px[1]: the proxy's */
static int up;

static void *proxy(void *arg)
{
	struct pollfd p[2] = { { px[1], POLLIN, 0 }, { up, POLLIN, 0 } };
	uint8_t buf[16384];
	ssize_t n;

	(void)arg;
	while (poll(p, 2, 5000) > 0) {
		if (p[0].revents) {
			n = read(px[1], buf, sizeof(buf));
			if (n <= 0)
				break;
			if (rec_len + (size_t)n <= sizeof(rec)) {
				memcpy(rec + rec_len, buf, (size_t)n);
				rec_len += (size_t)n;
			}
			ck_link_write_full(up, buf, (size_t)n);
		}
		if (p[1].revents) {
			n = read(up, buf, sizeof(buf));
			if (n <= 0)
				break;
			ck_link_write_full(px[1], buf, (size_t)n);
		}
	}
	shutdown(px[1], SHUT_RDWR);
	return NULL;
}

static int record(char **argv)
{
	struct ck_link_device d;
	struct ck_link_conn c;
	uint8_t *rom;
	size_t rom_len, flen;
	const char *what;
	pthread_t t;
	int err;

	if (ck_file_read(argv[2], &rom, &rom_len, 4096) ||
	    ck_link_device_load(&d, argv[1], rom, rom_len, &what))
		return 2;
	d.state_dir = argv[3];
	up = ck_link_dial(argv[0], 30);
	if (up < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, px))
		return 2;
	pthread_create(&t, NULL, proxy, NULL);
	err = ck_link_device_open(&d, &ck_link_mode_cert, px[0], &c);
	printf("%s\n", err ? ck_link_strerror(err) : "link up");
	ck_link_conn_free(&c);
	close(px[0]);
	pthread_join(t, NULL);
	ck_link_device_free(&d);
	free(rom);
	if (err || rec_len < CK_LINK_HELLO_LEN + 4)
		return 1;
	flen = CK_LINK_HELLO_LEN + 4 + ck_get_be32(rec + CK_LINK_HELLO_LEN);
	return flen <= rec_len && !ck_file_write_atomic(argv[4], rec, flen, 0600, 1) ? 0 : 1;
}

/* Send @buf, skip the CERTS frame, report the answer to the AUTH. */
static int send_flight(const char *server, const uint8_t *buf, size_t len)
{
	static uint8_t in[CK_LINK_FRAME_MAX];
	size_t n;
	int fd = ck_link_dial(server, 30), err;

	if (fd < 0)
		return 2;
	ck_link_write_full(fd, buf, len);
	err = ck_link_msg_recv(fd, in, sizeof(in), &n);	/* CERTS */
	if (!err)
		err = ck_link_msg_recv(fd, in, sizeof(in), &n);
	close(fd);
	if (err) {
		printf("closed: %s\n", ck_link_strerror(err));
		return 1;
	}
	if (ck_link_body_type(in, n) == CK_LINK_AUTH_ERROR && n > 2) {
		printf("refused: code %d\n", in[2]);
		return 1;
	}
	if (ck_link_body_type(in, n) == CK_LINK_AUTH_RESYNC) {
		printf("refused: code 4 (signed RESYNC)\n");
		return 1;
	}
	printf("accepted\n");
	return 0;
}

static int raw(const char *server, const char *how, const char *path)
{
	uint8_t *f = NULL, *body;
	size_t len, blen;
	struct ck_link_auth a;
	int ret;

	if (ck_file_read(path, &f, &len, sizeof(rec)) || len < CK_LINK_HELLO_LEN + 4)
		return 2;
	body = f + CK_LINK_HELLO_LEN + 4;
	blen = len - CK_LINK_HELLO_LEN - 4;
	if (!strcmp(how, "tamper")) {
		if (ck_link_auth_decode(body, blen, &a))
			return 2;
		/* one bit of the nonce: signed_len - tag - sealed - eph - transcript - nonce */
		body[a.signed_len - 16 - 32 - 65 - 32 - 32] ^= 1;
	} else if (!strcmp(how, "truncate")) {
		len -= 10;
		ck_put_be32(f + CK_LINK_HELLO_LEN, (uint32_t)(blen - 10));
	} else {
		ck_put_be32(f + CK_LINK_HELLO_LEN, 1u << 20);
	}
	ret = send_flight(server, f, len);
	free(f);
	return ret;
}

static int get_raw(char **argv)
{
	struct ck_link_device d;
	struct ck_link_conn c;
	struct ck_cat_response_hdr h;
	uint8_t req[2 + 255], hdr[CK_CAT_RESP_HDR];
	size_t n = strlen(argv[2]);
	const char *what;
	int fd, err;

	if (n > 255 || ck_link_device_load(&d, argv[1], NULL, 0, &what))
		return 2;
	fd = ck_link_dial(argv[0], 30);
	err = fd < 0 ? -EIO : ck_link_device_open(&d, &ck_link_mode_channel_key, fd, &c);
	ck_link_device_free(&d);
	if (err)
		return 2;
	req[0] = CK_CAT_GET;
	req[1] = (uint8_t)n;
	memcpy(req + 2, argv[2], n);
	if (ck_ssl_write_full(c.ssl, req, 2 + n) || ck_ssl_read_full(c.ssl, hdr, sizeof(hdr)) ||
	    ck_cat_response_hdr_decode(hdr, &h))
		printf("no answer\n");
	else
		printf("status %d\n", h.status);
	ck_link_conn_free(&c);
	close(fd);
	return 0;
}

static int fake_resync(char **argv, const char *keyfile)
{
	static uint8_t in[CK_LINK_FRAME_MAX];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct ck_link_certs k = { 0 };
	struct ck_link_resync r = { .highest = 1000000000, .sig_len = 70 };
	uint8_t *cert, *chain, out[4096];
	char port[16];
	size_t n;
	ssize_t m;
	int l = socket(AF_INET, SOCK_STREAM, 0), fd;

	if (ck_file_read(argv[1], &cert, &k.cert_len, 3000) ||
	    ck_file_read(argv[2], &chain, &k.chain_len, 3000) || l < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &al))
		return 2;
	k.cert = cert;
	k.chain = chain;
	snprintf(port, sizeof(port), "%u\n", ntohs(a.sin_port));
	ck_file_write_atomic(argv[0], port, strlen(port), 0644, 1);
	fd = accept(l, NULL, NULL);
	if (fd < 0 || ck_link_read_full(fd, in, CK_LINK_HELLO_LEN))
		return 2;
	m = ck_link_certs_encode(&k, out, sizeof(out));
	if (m < 0 || ck_link_msg_send(fd, out, (size_t)m) ||
	    ck_link_msg_recv(fd, in, sizeof(in), &n))
		return 2;
	if (keyfile) {
		FILE *f = fopen(keyfile, "r");
		EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

		if (f)
			fclose(f);
		in[n - 1] ^= 1;		/* about another AUTH... */
		SHA256(in, n, r.transcript);
		r.highest = 5;
		r.sig_len = 0;
		m = ck_link_resync_encode(&r, out, sizeof(out));
		r.sig_len = sizeof(r.sig);	/* ...signed by the service key */
		if (!key || m < 0 ||
		    ck_link_cert_sign(key, 1, CK_LINK_RESYNC_SIG_LABEL, out, (size_t)m, r.sig, &r.sig_len))
			return 2;
		EVP_PKEY_free(key);
	} else {
		SHA256(in, n, r.transcript);	/* about the right message... */
		memset(r.sig, 0x30, r.sig_len);	/* ...but not signed by the service key */
	}
	m = ck_link_resync_encode(&r, out, sizeof(out));
	if (m > 0)
		ck_link_msg_send(fd, out, (size_t)m);
	close(fd);
	close(l);
	return 0;
}

static int psk384(const char *id, const char *hex)
{
	struct ck_link_device d = { .sha384 = 1 };
	struct ck_link_secret sec;
	char out[2 * 48 + 1];

	snprintf(d.identity, sizeof(d.identity), "%s", id);
	if (ck_hex_decode(hex, d.channel_key, sizeof(d.channel_key)) ||
	    ck_link_mode_channel_key.device(&d, -1, &sec) || sec.key_len != 48)
		return 2;
	ck_hex_encode(sec.key, 48, out);
	printf("%s %s\n", sec.psk_identity, out);
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t *f;
	size_t len;
	int ret;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 7 && !strcmp(argv[1], "record"))
		return record(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "replay")) {
		if (ck_file_read(argv[3], &f, &len, sizeof(rec)))
			return 2;
		ret = send_flight(argv[2], f, len);
		free(f);
		return ret;
	}
	if (argc == 5 && !strcmp(argv[1], "raw"))
		return raw(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "get-raw"))
		return get_raw(argv + 2);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "fake-resync"))
		return fake_resync(argv + 2, argc == 6 ? argv[5] : NULL);
	if (argc == 4 && !strcmp(argv[1], "psk384"))
		return psk384(argv[2], argv[3]);
	fprintf(stderr, "usage: see the comment of link/tests/test-link-tool.c\n");
	return 2;
}
