// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userspace/link/: the pre-TLS message codecs (round trips,
 * every truncation, trailing bytes, limits), the replay window and the
 * counters (refusals, persistence), the sealed secret (tampering), the
 * catalogue names and framing.  TAP.
 *   test-link STATE_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <chipkey/byteorder.h>
#include "common/attest.h"
#include "common/file.h"
#include "common/tap.h"
#include "link/catalogue.h"
#include "link/counters.h"
#include "link/link.h"
#include "link/messages.h"
#include "link/seal.h"

static void fill_auth(struct ck_link_auth *a, const uint8_t *cert, size_t cl)
{
	memset(a, 0, sizeof(*a));
	a->type = CK_LINK_AUTH_DEVICE;
	a->cert = cert;
	a->cert_len = cl;
	a->chain = cert;
	a->chain_len = 10;
	strcpy(a->id, "352099001761481");
	strcpy(a->peer, "service.example");
	a->counter = 0x0102030405060708ULL;
	a->seen = 0x1112131415161718ULL;
	memset(a->nonce, 0x11, sizeof(a->nonce));
	memset(a->eph, 0x22, sizeof(a->eph));
	a->sig_len = 70;
	memset(a->sig, 0x33, a->sig_len);
}

static void test_auth(void)
{
	static uint8_t buf[CK_LINK_FRAME_MAX], cert[CK_LINK_CERT_MAX + 1];
	struct ck_link_auth a, b;
	ssize_t n;
	size_t cut, bad = 0;

	memset(cert, 0x30, sizeof(cert));
	fill_auth(&a, cert, 500);
	n = ck_link_auth_encode(&a, buf, sizeof(buf));
	tap_ok(n > 0 && ck_link_auth_decode(buf, (size_t)n, &b) == 0 &&
	       b.cert_len == 500 && b.chain_len == 10 && !strcmp(b.id, a.id) &&
	       !strcmp(b.peer, a.peer) && b.counter == a.counter && b.seen == a.seen && b.sig_len == 70 &&
	       !memcmp(b.sig, a.sig, 70) && b.signed_len == (size_t)n - 72,
	       "AUTH: encode/decode round trip, signed_len stops before sig_len");
	tap_eq_int(n, 2 + 2 + 500 + 2 + 10 + 1 + 15 + 1 + 15 + 8 + 8 + 32 + 32 + 65 + 32 + 16 + 2 + 70,
		   "AUTH: the documented length");
	for (cut = 0; cut < (size_t)n; cut++)
		if (ck_link_auth_decode(buf, cut, &b) == 0)
			bad++;
	tap_ok(bad == 0, "AUTH: every truncation refused");
	buf[n] = 0;
	tap_ok(ck_link_auth_decode(buf, (size_t)n + 1, &b) == -EINVAL, "AUTH: a trailing byte refused");
	tap_eq_int(buf[1], 2, "AUTH: version 2 (with seen)");
	buf[1] = 1;
	tap_ok(ck_link_auth_decode(buf, (size_t)n, &b) == -EINVAL, "AUTH: version 1 (no seen) refused");
	buf[1] = 2;
	buf[0] = 7;
	tap_ok(ck_link_auth_decode(buf, (size_t)n, &b) == -EINVAL, "AUTH: an unknown type refused");
	fill_auth(&a, cert, CK_LINK_CERT_MAX + 1);
	tap_ok(ck_link_auth_encode(&a, buf, sizeof(buf)) == -EMSGSIZE,
	       "AUTH: a certificate over the limit is not encoded");
	fill_auth(&a, cert, 500);
	strcpy(a.id, "has space");
	n = ck_link_auth_encode(&a, buf, sizeof(buf));
	tap_ok(n > 0 && ck_link_auth_decode(buf, (size_t)n, &b) == -EINVAL,
	       "AUTH: a non-printable identifier refused");
	fill_auth(&a, cert, 500);
	a.sig_len = 0;
	n = ck_link_auth_encode(&a, buf, sizeof(buf));
	tap_ok(n > 0 && ck_link_auth_decode(buf, (size_t)n, &b) == -EINVAL,
	       "AUTH: no signature refused");
	tap_ok(ck_link_auth_decode(buf, CK_LINK_FRAME_MAX + 1, &b) == -EMSGSIZE,
	       "AUTH: over the frame limit refused");
}

static void test_small(void)
{
	uint8_t buf[512];
	struct ck_link_hello h = { 1, 2 }, h2;
	struct ck_link_error e = { .code = 4 }, e2;
	struct ck_link_certs k = { buf + 300, 5, NULL, 0 }, k2;
	ssize_t n;

	n = ck_link_hello_encode(&h, buf, sizeof(buf));
	tap_ok(n == 8 && !memcmp(buf, "CKLN\x01\x02\x00\x00", 8) &&
	       ck_link_hello_decode(buf, 8, &h2) == 0 && h2.mode == 2,
	       "HELLO: the documented 8 bytes, decoded back");
	buf[6] = 1;
	tap_ok(ck_link_hello_decode(buf, 8, &h2) == -EINVAL, "HELLO: reserved bytes must be 0");
	tap_ok(buf[0] != CK_LINK_TLS_FIRST_BYTE, "HELLO: cannot be taken for a TLS record");
	strcpy(e.text, "replayed\x01");
	n = ck_link_error_encode(&e, buf, sizeof(buf));
	tap_ok(n == 4 + 9 && ck_link_error_decode(buf, (size_t)n, &e2) == 0 && e2.code == 4 &&
	       !strcmp(e2.text, "replayed?"), "ERROR: round trip, control characters replaced");
	tap_ok(ck_link_error_decode(buf, (size_t)n - 1, &e2) == -EINVAL, "ERROR: truncated refused");
	memset(buf + 300, 0x30, 5);
	n = ck_link_certs_encode(&k, buf, 300);
	tap_ok(n == 2 + 2 + 5 + 2 && ck_link_certs_decode(buf, (size_t)n, &k2) == 0 &&
	       k2.cert_len == 5 && k2.chain == NULL, "CERTS: round trip");
	buf[2] = 0xff;
	tap_ok(ck_link_certs_decode(buf, (size_t)n, &k2) == -EINVAL, "CERTS: a length past the end refused");
	{
		struct ck_link_resync r = { .highest = 77, .sig_len = 0 }, r2;
		size_t cut, bad = 0;

		memset(r.transcript, 0x44, sizeof(r.transcript));
		n = ck_link_resync_encode(&r, buf, sizeof(buf));
		tap_ok(n == 2 + 8 + 32, "RESYNC: the signed part is 42 bytes");
		r.sig_len = 71;
		memset(r.sig, 0x30, 71);
		n = ck_link_resync_encode(&r, buf, sizeof(buf));
		tap_ok(n == 42 + 2 + 71 && ck_link_resync_decode(buf, (size_t)n, &r2) == 0 &&
		       r2.highest == 77 && r2.signed_len == 42 && r2.sig_len == 71,
		       "RESYNC: round trip");
		for (cut = 0; cut < (size_t)n; cut++)
			bad += ck_link_resync_decode(buf, cut, &r2) == 0;
		tap_ok(bad == 0, "RESYNC: every truncation refused");
	}
}

static void test_frames(void)
{
	uint8_t big[16], got[64];
	size_t len;
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ck_put_be32(big, CK_LINK_FRAME_MAX + 1);
	write(sv[0], big, 4);
	tap_ok(ck_link_msg_recv(sv[1], got, sizeof(got), &len) == -EMSGSIZE,
	       "frame: a length over CK_LINK_FRAME_MAX refused before reading");
	ck_link_msg_send(sv[0], "abc", 3);
	tap_ok(ck_link_msg_recv(sv[1], got, sizeof(got), &len) == 0 && len == 3 &&
	       !memcmp(got, "abc", 3), "frame: round trip");
	ck_put_be32(big, 10);
	write(sv[0], big, 4);
	write(sv[0], "abc", 3);
	close(sv[0]);
	tap_ok(ck_link_msg_recv(sv[1], got, sizeof(got), &len) == -ECONNRESET,
	       "frame: a short body is an error");
	close(sv[1]);
}

static void test_counters(const char *dir)
{
	const uint64_t step = CK_LINK_COUNTER_STEP, lim = CK_LINK_COUNTER_LIMIT;
	uint64_t c1 = 0, c2 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
	int ok;

	tap_ok(ck_link_window_accept(dir, "352099001761481", 10) == 0, "window: first counter accepted");
	tap_ok(ck_link_window_accept(dir, "352099001761481", 10) == -ESTALE, "window: the same counter refused");
	tap_ok(ck_link_window_accept(dir, "352099001761481", 12) == 0 &&
	       ck_link_window_accept(dir, "352099001761481", 11) == 0,
	       "window: an out-of-order counter inside the window accepted once");
	tap_ok(ck_link_window_accept(dir, "352099001761481", 11) == -ESTALE &&
	       ck_link_window_accept(dir, "352099001761481", 10) == -ESTALE,
	       "window: ...and refused again");
	tap_ok(ck_link_window_accept(dir, "352099001761481", 200) == 0 &&
	       ck_link_window_accept(dir, "352099001761481", 200 - CK_LINK_WINDOW - 1) == -ESTALE &&
	       ck_link_window_accept(dir, "352099001761481", 200 - CK_LINK_WINDOW) == 0,
	       "window: below the window refused, its lowest slot accepted");
	tap_ok(ck_link_window_accept(dir, "490154203237518", 1) == 0, "window: per device");
	ok = ck_link_counter_next(dir, "dc", &c1) == 0 && ck_link_counter_next(dir, "dc", &c2) == 0;
	tap_ok(ok && c1 == 1 && c2 == 2, "device counter: 1, 2 (stored)");
	tap_ok(ck_link_counter_newer(dir, "sc", 5) == 0 && ck_link_counter_newer(dir, "sc", 5) == -ESTALE &&
	       ck_link_counter_newer(dir, "sc", 4) == -ESTALE && ck_link_counter_newer(dir, "sc", 6) == 0,
	       "device: the server counter must grow");
	tap_ok(ck_link_server_counter(dir, 0, &s1) == 0 && ck_link_server_counter(dir, 0, &s2) == 0 &&
	       s2 == s1 + 1, "server counter: strictly increasing");
	tap_ok(ck_link_server_counter(dir, s2 + step + 5, &s3) == 0 && s3 == s2 + step + 6 &&
	       ck_link_server_counter(dir, 0, &s4) == 0 && s4 == s2 + 2,
	       "server counter: above what the device has seen, its own counter unmoved");
	tap_ok(ck_link_server_counter(dir, lim - 2, &s3) == 0 && s3 == lim - 1 &&
	       ck_link_server_counter(dir, lim - 1, &s3) == -ERANGE,
	       "server counter: never 2^62 for a device that has seen 2^62 - 1");
	tap_ok(ck_link_window_accept(dir, "353001000000009", step) == 0 &&
	       ck_link_window_accept(dir, "353001000000009", 3 * step + 1) == -ERANGE &&
	       ck_link_window_accept(dir, "353001000000009", 2 * step) == 0 &&
	       ck_link_window_accept(dir, "353001000000009", lim) == -ERANGE,
	       "window: a jump of 2^32 accepted, 2^32 + 1 refused, 2^62 refused");
	tap_ok(ck_link_counter_newer(dir, "sc2", step) == 0 &&
	       ck_link_counter_newer(dir, "sc2", 2 * step + 1) == -ERANGE &&
	       ck_link_counter_newer(dir, "sc2", 2 * step) == 0,
	       "device: the server counter may grow by 2^32, not more");
	tap_ok(ck_link_counter_set(dir, "dc2", lim - 1) == 0 && ck_link_counter_get(dir, "dc2", &c1) == 0 &&
	       c1 == lim - 1 && ck_link_counter_set(dir, "dc2", 7) == 0 &&
	       ck_link_counter_get(dir, "dc2", &c2) == 0 && c2 == 7,
	       "device counter: a RESYNC sets it up or down");
	tap_ok(ck_link_counter_set(dir, "dc2", lim) == -ERANGE && ck_link_counter_get(dir, "dc2", &c1) == 0 &&
	       c1 == 7, "device counter: a RESYNC to 2^62 refused, nothing stored");
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/dc", dir);
		ck_file_write_atomic(path, "short", 5, 0600, 1);
		tap_ok(ck_link_counter_next(dir, "dc", &c1) == -EUCLEAN,
		       "a damaged counter file is an error, never counter 0");
		snprintf(path, sizeof(path), "%s/device-352099001761481", dir);
		ck_file_write_atomic(path, "", 0, 0600, 1);
		tap_ok(ck_link_window_accept(dir, "352099001761481", 1) == -EUCLEAN,
		       "a damaged window file refuses every counter");
	}
}

static void test_seal(void)
{
	EVP_PKEY *r = NULL, *other = NULL;
	uint8_t pub[65], eph[65], ct[32], tag[16], s[32], out[32];
	int ok;

	memset(s, 0x5a, sizeof(s));
	ok = ck_att_ephemeral(&r, pub) == 0 && ck_att_ephemeral(&other, pub) == 0 &&
	     ck_link_seal(r, s, "id", 2, eph, ct, tag) == 0;
	tap_ok(ok && ck_link_open(r, eph, ct, tag, "id", 2, out) == 0 && !memcmp(out, s, 32),
	       "seal: opens with the recipient key");
	tap_ok(ck_link_open(other, eph, ct, tag, "id", 2, out) == -EBADMSG,
	       "seal: another key does not open it");
	tap_ok(ck_link_open(r, eph, ct, tag, "xx", 2, out) == -EBADMSG, "seal: another AAD refused");
	ct[0] ^= 1;
	tap_ok(ck_link_open(r, eph, ct, tag, "id", 2, out) == -EBADMSG, "seal: a flipped bit refused");
	ct[0] ^= 1;
	eph[10] ^= 1;
	tap_ok(ck_link_open(r, eph, ct, tag, "id", 2, out) == -EBADMSG, "seal: a bad point refused");
	EVP_PKEY_free(r);
	EVP_PKEY_free(other);
}

static void test_names(void)
{
	static const char *const bad[] = { "", ".", "..", "../x", "a/b", "/etc/passwd",
		".hidden", "a b", "a\\b", "x\n" };
	size_t i, refused = 0;
	char longname[CK_CAT_NAME_MAX + 2];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused += !ck_cat_name_ok(bad[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	tap_ok(refused == sizeof(bad) / sizeof(bad[0]) && !ck_cat_name_ok(longname),
	       "catalogue: traversal, hidden, separators, too long: refused");
	tap_ok(ck_cat_name_ok("image-1.2_x.bin"), "catalogue: a plain name accepted");
	tap_ok(ck_link_mode_by_name("channel-key") == &ck_link_mode_channel_key &&
	       ck_link_mode_by_id(CK_LINK_CERT) == &ck_link_mode_cert && !ck_link_mode_by_id(9),
	       "mode table: by name and id");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test-link STATE_DIR\n");
		return 2;
	}
	test_auth();
	test_small();
	test_frames();
	test_counters(argv[1]);
	test_seal();
	test_names();
	return tap_exit_status();
}
