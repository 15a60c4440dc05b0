// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-emu hardening: the ROM-region check shared with chipkey.ko,
 * EPERM before any other check, the idle timeout, the per-uid connection
 * limit and the locked chip key.
 *
 *   test-emu-hardening PATH-TO-chipkey-emu [PATH-TO-chipkey-emu-without-ASan]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <chipkey/emu_messages.h>
#include <chipkey/fuse_image.h>
#include "lib/libchipkey.h"
#include "emu/emu.h"
#include "emu/tests/emu-helpers.h"
#include "common/file.h"
#include "common/fuse-image.h"
#include "common/tap.h"

static char dir[] = "/tmp/chipkey-test-emuh-XXXXXX";
static const char *emu_bin;

enum { PATH_LEN = 300 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---------- fuse images ---------- */

/* A programmed image with @rom (@rom_len bytes) as the ROM region's start. */
static void make_image(uint8_t img[CK_FUSE_IMAGE_SIZE], const uint8_t *rom,
		       size_t rom_len)
{
	struct ck_fuse_image f = { .rom_key_len = rom_len };

	RAND_bytes(f.chip_id, CHIPKEY_CHIP_ID_LEN);
	RAND_bytes(f.chip_key, CHIPKEY_CHIP_KEY_LEN);
	f.chip_key[0] |= 1;	/* never all 0x00 / all 0xff */
	f.chip_key[1] &= 0xfe;
	memcpy(f.rom_key, rom, rom_len);
	ck_fuse_image_encode(&f, img);
	ck_fuse_image_wipe(&f);
}

static int write_file(const char *path, const uint8_t *img)
{
	return ck_file_write_atomic(path, img, CK_FUSE_IMAGE_SIZE, 0600, 1);
}

/* DER SubjectPublicKeyInfo of a fresh key; returns its length or 0. */
static size_t spki(const char *type, const char *param, uint8_t *out,
		   size_t cap)
{
	EVP_PKEY *pk;
	unsigned char *der = NULL;
	int len;

	if (param)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type, param);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)2048);
	if (!pk)
		return 0;
	len = i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (len <= 0 || (size_t)len > cap) {
		OPENSSL_free(der);
		return 0;
	}
	memcpy(out, der, (size_t)len);
	OPENSSL_free(der);
	return (size_t)len;
}

/* Start the emulator on @img; returns the pid or -1 (*status, log in @log). */
static pid_t start_on(const char *tag, const uint8_t *img, char *sock,
		      size_t sock_cap, char *log, size_t log_cap, int *status)
{
	char state[300];

	snprintf(state, sizeof(state), "%s/%s.bin", dir, tag);
	snprintf(sock, sock_cap, "%s/%s.sock", dir, tag);
	snprintf(log, log_cap, "%s/%s.log", dir, tag);
	if (write_file(state, img))
		return -1;
	return th_start_emu(emu_bin, state, sock, log, NULL, NULL, status);
}

/*
 * A state file DIR/TAG.bin with a fresh EC P-256 ROM key, and the paths of
 * its socket, log and device ("emu:" + socket; @dev may be NULL).
 */
static void ec_state(const char *tag, char state[PATH_LEN], char sock[PATH_LEN],
		     char log[PATH_LEN], char dev[PATH_LEN + 8])
{
	uint8_t img[CK_FUSE_IMAGE_SIZE], rom[CK_FUSE_ROM_KEY_SIZE];

	make_image(img, rom, spki("EC", "P-256", rom, sizeof(rom)));
	snprintf(state, PATH_LEN, "%s/%s.bin", dir, tag);
	snprintf(sock, PATH_LEN, "%s/%s.sock", dir, tag);
	snprintf(log, PATH_LEN, "%s/%s.log", dir, tag);
	if (dev)
		snprintf(dev, PATH_LEN + 8, "emu:%s", sock);
	if (write_file(state, img))
		tap_diag("cannot write %s", state);
	OPENSSL_cleanse(img, sizeof(img));
}

static void test_rom_regions(void)
{
	uint8_t ec[CK_FUSE_ROM_KEY_SIZE], rom[CK_FUSE_ROM_KEY_SIZE];
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	char sock[300], log[300];
	size_t n, body;
	int status;
	pid_t pid;
	struct {
		const char *type, *param, *what;
	} good[] = {
		{ "EC", "P-256", "P-256 key (short length form)" },
		{ "EC", "P-521", "P-521 key (30 81 xx)" },
		{ "RSA", NULL, "RSA-2048 key (30 82 xx xx)" },
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char tag[16];
		struct chipkey *ck = NULL;
		uint8_t got[CHIPKEY_MAX_ROM_KEY];
		size_t got_len = sizeof(got);
		char dev[320];

		n = spki(good[i].type, good[i].param, rom, sizeof(rom));
		if (!n) {
			tap_ok(0, "generate a %s", good[i].what);
			continue;
		}
		make_image(img, rom, n);
		snprintf(tag, sizeof(tag), "good%zu", i);
		pid = start_on(tag, img, sock, sizeof(sock), log, sizeof(log),
			       &status);
		snprintf(dev, sizeof(dev), "emu:%s", sock);
		tap_ok(pid > 0 && chipkey_open(dev, &ck) == 0 &&
		       chipkey_get_rom_key(ck, got, &got_len) == 0 &&
		       got_len == n && !memcmp(got, rom, n),
		       "ROM region with a %s accepted, served back exactly", good[i].what);
		chipkey_close(ck);
		th_stop_emu(pid);
	}

	/* The cases chipkey.ko refuses (ck_rom_key_der_len()) */
	n = spki("EC", "P-256", ec, sizeof(ec));
	body = n - 2;
	if (!tap_ok(n > 2 && ec[1] == body && body < 0x80,
		    "P-256 SPKI uses the short length form (%zu bytes)", n))
		return;
	for (i = 0; i < 4; i++) {
		static const char *const what[] = {
			"non-minimal length 30 81 <short>",
			"non-minimal length 30 82 00 <short>",
			"empty SEQUENCE 30 00",
			"non-zero byte after the DER key",
		};
		char tag[16];

		memset(rom, 0, sizeof(rom));
		switch (i) {
		case 0:
			rom[0] = 0x30;
			rom[1] = 0x81;
			rom[2] = (uint8_t)body;
			memcpy(rom + 3, ec + 2, body);
			break;
		case 1:
			rom[0] = 0x30;
			rom[1] = 0x82;
			rom[2] = 0x00;
			rom[3] = (uint8_t)body;
			memcpy(rom + 4, ec + 2, body);
			break;
		case 2:
			rom[0] = 0x30;
			rom[1] = 0x00;
			break;
		default:
			memcpy(rom, ec, n);
			rom[n + 7] = 0x01;
			break;
		}
		/* The region must be refused by the shared check itself... */
		tap_ok(ck_rom_key_der_len(rom, sizeof(rom)) == 0,
		       "ck_rom_key_der_len refuses: %s", what[i]);
		/* ...and by the emulator, with a clear message. */
		make_image(img, rom, sizeof(rom));
		snprintf(tag, sizeof(tag), "bad%zu", i);
		status = 0;
		pid = start_on(tag, img, sock, sizeof(sock), log, sizeof(log),
			       &status);
		if (pid > 0)
			th_stop_emu(pid);
		tap_ok(pid < 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		       th_file_contains(log, "malformed ROM key") &&
		       th_file_contains(log, "minimal length") &&
		       access(sock, F_OK) != 0,
		       "emulator refuses a fuse image whose ROM region has a %s", what[i]);
	}
}

/* ---------- privilege first ---------- */

static int reply_status(const uint8_t *frame)
{
	struct ck_emu_reply_hdr h;

	ck_emu_reply_hdr_decode(frame, &h);
	return h.magic == CK_EMU_REPLY_MAGIC ? h.status : 1;
}

static void test_eperm_first(void)
{
	static uint8_t reply[CK_EMU_REPLY_BUF];
	uint8_t img[CK_FUSE_IMAGE_SIZE], rom[CK_FUSE_ROM_KEY_SIZE];
	uint8_t payload[CK_EMU_XFER_LEN + 8];
	struct chipkey_xfer x;
	struct ck_emu_chip chip;
	char err[256];
	size_t n = spki("EC", "P-256", rom, sizeof(rom));
	unsigned int c;

	make_image(img, rom, n);
	if (!tap_ok(ck_chip_parse(img, &chip, err, sizeof(err)) == 0,
		    "parse a valid fuse image"))
		return;
	for (c = 0; c < 2; c++) {
		uint32_t cmd = c ? CHIPKEY_IOC_UNWRAP : CHIPKEY_IOC_WRAP;
		const char *name = c ? "unwrap" : "wrap";

		/* A frame too short for the structure */
		ck_emu_handle(&chip, 0, cmd, payload, 3, reply);
		tap_eq_int(reply_status(reply), -EPERM,
			   "%s: unprivileged, frame shorter than the structure -> EPERM", name);
		ck_emu_handle(&chip, 1, cmd, payload, 3, reply);
		tap_eq_int(reply_status(reply), -EINVAL,
			   "%s: privileged, frame shorter than the structure -> EINVAL", name);
		/* An empty frame */
		ck_emu_handle(&chip, 0, cmd, payload, 0, reply);
		tap_eq_int(reply_status(reply), -EPERM,
			   "%s: unprivileged, empty frame -> EPERM", name);
		/* Reserved fields set, oversized input */
		memset(&x, 0, sizeof(x));
		x.flags = 1;
		x.in_len = 0xffffffffu;
		ck_emu_xfer_encode(&x, payload);
		ck_emu_handle(&chip, 0, cmd, payload, CK_EMU_XFER_LEN, reply);
		tap_eq_int(reply_status(reply), -EPERM,
			   "%s: unprivileged, bad flags + huge in_len -> EPERM", name);
		ck_emu_handle(&chip, 1, cmd, payload, CK_EMU_XFER_LEN, reply);
		tap_eq_int(reply_status(reply), -EINVAL,
			   "%s: privileged, bad flags -> EINVAL", name);
	}
	/* sealed keys (KEY_NEW, KEY_LOAD) are not served, but an
	 * unprivileged caller gets the module's first answer, EPERM */
	for (c = 0; c < 2; c++) {
		uint32_t cmd = c ? CHIPKEY_IOC_KEY_LOAD : CHIPKEY_IOC_KEY_NEW;
		const char *name = c ? "key load" : "key new";

		ck_emu_handle(&chip, 0, cmd, payload, 0, reply);
		tap_eq_int(reply_status(reply), -EPERM, "%s: unprivileged -> EPERM", name);
		ck_emu_handle(&chip, 1, cmd, payload, 0, reply);
		tap_eq_int(reply_status(reply), -ENOTTY,
			   "%s: privileged -> ENOTTY (not served by the emulator)", name);
	}
	ck_chip_wipe(&chip);
}

/* ---------- raw connections ---------- */

/* INFO over a raw connection: its status, or 1 if the connection failed. */
static int raw_info(int fd)
{
	uint8_t reply[CK_EMU_INFO_LEN];

	if (th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_INFO, NULL, 0))
		return 1;
	return th_raw_recv(fd, reply, sizeof(reply), NULL);
}

/*
 * The emulator closed a connection we read @n bytes from (read's result):
 * end of file, or ECONNRESET, which a Unix socket gives when the other end
 * closed with bytes of ours unread (a byte sent as the deadline passed).
 */
static int closed_by_peer(ssize_t n)
{
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Seconds until the emulator closes @fd, or -1. */
static double time_to_close(int fd, double t0)
{
	uint8_t b[64];

	for (;;) {
		ssize_t n = read(fd, b, sizeof(b));

		if (closed_by_peer(n))
			return now_s() - t0;
		if (n < 0)
			return -1;	/* our own 10 s SO_RCVTIMEO */
	}
}

/*
 * Send @frame one byte every 0.4 s (each inside the idle timeout) until the
 * emulator closes the connection: seconds from the first byte, or -1 if it
 * never did (all sent, or our own 10 s SO_RCVTIMEO).
 */
static double trickle_until_cut(int fd, const uint8_t *frame, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double t0 = now_s();
	uint8_t b[64];

	for (size_t i = 0; i < len; i++) {
		if (send(fd, frame + i, 1, MSG_NOSIGNAL) != 1 || poll(&p, 1, 400) < 0)
			return now_s() - t0;
		if (p.revents) {
			ssize_t n = read(fd, b, sizeof(b));

			return closed_by_peer(n) ? now_s() - t0 : -1;
		}
	}
	return -1;
}

/* The request deadline: a frame trickled in is cut, a whole one is served. */
static void test_request_deadline(void)
{
	char state[PATH_LEN], sock[PATH_LEN], log[PATH_LEN], dev[PATH_LEN + 8];
	uint8_t frame[CK_EMU_HDR_LEN + 200] = { 0 };
	struct ck_emu_req_hdr h = {
		.magic = CK_EMU_REQ_MAGIC, .version = CK_EMU_PROTO_VERSION,
		.cmd = CHIPKEY_IOC_INFO, .len = 200,
	};
	double t;
	int fd, status, ok, i;
	pid_t pid;

	ec_state("deadline", state, sock, log, dev);
	pid = th_start_emu(emu_bin, state, sock, log, "--request-timeout", "2", &status);
	if (!tap_ok(pid > 0, "start an emulator with --request-timeout 2 (idle timeout 30 s)"))
		return;
	ck_emu_req_hdr_encode(&h, frame);
	fd = th_raw_connect(sock);
	t = trickle_until_cut(fd, frame, CK_EMU_HDR_LEN);
	tap_ok(t >= 1.8 && t < 9, "a request header trickled in (a byte every 0.4 s) is cut at the "
	       "2 s deadline (%.2f s)", t);
	close(fd);
	fd = th_raw_connect(sock);
	ok = fd >= 0 && write(fd, frame, CK_EMU_HDR_LEN) == CK_EMU_HDR_LEN;
	t = ok ? trickle_until_cut(fd, frame + CK_EMU_HDR_LEN, 200) : -1;
	tap_ok(t >= 1.8 && t < 9, "a payload trickled in after a whole header is cut by the "
	       "deadline of its frame (%.2f s after the header)", t);
	close(fd);
	/* whole requests, 0.5 s apart for 3 s: each frame is on time */
	fd = th_raw_connect(sock);
	ok = fd >= 0;
	for (i = 0; ok && i < 6; i++) {
		ok = raw_info(fd) == 0;
		sleep_ms(500);
	}
	tap_ok(ok, "a client sending whole requests is served past the deadline");
	close(fd);
	tap_ok(th_file_contains(log, "request not complete within 2 s: connection cut"),
	       "the cut is logged");
	th_stop_emu(pid);
	pid = th_start_emu(emu_bin, state, sock, log, "--request-timeout", "-1", &status);
	tap_ok(pid < 0 && th_file_contains(log, "--request-timeout"), "--request-timeout -1 refused");
	if (pid > 0)
		th_stop_emu(pid);
}

static void test_idle_timeout(void)
{
	char state[PATH_LEN], sock[PATH_LEN], log[PATH_LEN], dev[PATH_LEN + 8];
	struct chipkey *ck = NULL;
	struct chipkey_info info;
	double t0, t;
	int fd, status, i, ok;
	pid_t pid;

	ec_state("idle", state, sock, log, dev);
	pid = th_start_emu(emu_bin, state, sock, log, "--idle-timeout", "1",
			   &status);
	if (!tap_ok(pid > 0, "start an emulator with --idle-timeout 1"))
		return;

	/* A client that connects and says nothing */
	fd = th_raw_connect(sock);
	t0 = now_s();
	t = time_to_close(fd, t0);
	tap_ok(t >= 0.8 && t < 5, "silent connection dropped after the idle timeout (%.2f s)", t);
	close(fd);

	/* A client that stops in the middle of a frame */
	fd = th_raw_connect(sock);
	t0 = now_s();
	if (send(fd, "CKEQ\x01", 5, MSG_NOSIGNAL) != 5)
		tap_diag("send failed");
	t = time_to_close(fd, t0);
	tap_ok(t >= 0.8 && t < 5, "connection stalled mid-frame dropped after the idle timeout (%.2f s)", t);
	close(fd);

	/* Idle is idle: a client busy for 2.5 s (a request every 0.25 s) stays */
	fd = th_raw_connect(sock);
	ok = fd >= 0;
	for (i = 0; ok && i < 10; i++) {
		ok = raw_info(fd) == 0;
		sleep_ms(250);
	}
	tap_ok(ok, "a client that keeps asking (10 x every 0.25 s) is served past the timeout");
	close(fd);

	/* A libchipkey handle idle past the timeout keeps working */
	ok = chipkey_open(dev, &ck) == 0 && chipkey_get_info(ck, &info) == 0;
	sleep_ms(1800);
	tap_ok(ok && chipkey_get_info(ck, &info) == 0,
	       "libchipkey handle idle past the timeout reconnects to the same chip");
	chipkey_close(ck);
	th_stop_emu(pid);

	pid = th_start_emu(emu_bin, state, sock, log, "--idle-timeout", "x",
			   &status);
	tap_ok(pid < 0 && th_file_contains(log, "--idle-timeout"),
	       "--idle-timeout x refused");
	if (pid > 0)
		th_stop_emu(pid);
}

/*
 * As @uid: hold @hold connections (each answered an INFO), then report
 * what one more connection gets, through the pipe, then wait for a byte on
 * @go before releasing them.
 */
static pid_t hold_as(uid_t uid, const char *dev, int hold, int res_fd,
		     int go_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct chipkey *ck[64];
		struct chipkey *extra = NULL;
		int r[2] = { 0, 0 }, i;
		char b;

		if (setgid(uid) || setuid(uid))
			_exit(2);
		for (i = 0; i < hold; i++)
			if (chipkey_open(dev, &ck[i]))
				r[0]++;
		r[1] = chipkey_open(dev, &extra);
		if (!r[1])
			chipkey_close(extra);
		if (write(res_fd, r, sizeof(r)) != sizeof(r))
			_exit(3);
		if (read(go_fd, &b, 1) != 1)
			_exit(4);
		/* release one, and a new connection must be taken again */
		chipkey_close(ck[0]);
		for (i = 0; i < 100; i++) {
			r[1] = chipkey_open(dev, &extra);
			if (!r[1])
				break;
			sleep_ms(20);
		}
		if (!r[1])
			chipkey_close(extra);
		if (write(res_fd, &r[1], sizeof(r[1])) != sizeof(r[1]))
			_exit(3);
		for (i = 1; i < hold; i++)
			chipkey_close(ck[i]);
		_exit(0);
	}
	return pid;
}

static void test_per_uid(void)
{
	char state[PATH_LEN], sock[PATH_LEN], log[PATH_LEN], dev[PATH_LEN + 8];
	struct chipkey *ck = NULL;
	struct chipkey_info info;
	int res[2], go[2], r[2] = { -1, -1 }, again = -1, status, other;
	pid_t pid, child;

	if (geteuid() != 0) {
		tap_skip("not root: cannot run clients as other users",
			 "per-uid limit: 3 connections of uid 65534 served");
		tap_skip("not root", "per-uid limit: the 4th connection -> EBUSY");
		tap_skip("not root", "per-uid limit: another user still served");
		tap_skip("not root", "per-uid limit: root still served");
		tap_skip("not root", "per-uid limit: a slot freed is taken again");
		return;
	}
	ec_state("uid", state, sock, log, dev);
	pid = th_start_emu(emu_bin, state, sock, log, "--max-per-uid", "3",
			   &status);
	if (!tap_ok(pid > 0, "start an emulator with --max-per-uid 3"))
		return;
	if (pipe(res) || pipe(go)) {
		tap_ok(0, "pipe");
		th_stop_emu(pid);
		return;
	}
	child = hold_as(65534, dev, 3, res[1], go[0]);
	if (read(res[0], r, sizeof(r)) != sizeof(r))
		r[0] = r[1] = 99;
	tap_eq_int(r[0], 0, "per-uid limit: 3 connections of uid 65534 served");
	tap_eq_int(r[1], -EBUSY, "per-uid limit: the 4th connection of uid 65534 -> EBUSY");
	/* While 65534 holds all of its slots, others are not locked out. */
	{
		pid_t p = fork();

		if (p == 0) {
			struct chipkey *c2;

			if (setgid(65533) || setuid(65533))
				_exit(2);
			_exit(chipkey_open(dev, &c2) == 0 &&
			      chipkey_get_info(c2, &info) == 0 ? 0 : 1);
		}
		waitpid(p, &other, 0);
	}
	tap_ok(WIFEXITED(other) && WEXITSTATUS(other) == 0,
	       "per-uid limit: another user (65533) is still served");
	tap_ok(chipkey_open(dev, &ck) == 0 && chipkey_get_info(ck, &info) == 0,
	       "per-uid limit: root is still served");
	chipkey_close(ck);
	if (write(go[1], "g", 1) != 1 ||
	    read(res[0], &again, sizeof(again)) != sizeof(again))
		again = 99;
	tap_eq_int(again, 0, "per-uid limit: a slot freed is taken again");
	waitpid(child, &status, 0);
	tap_ok(th_file_contains(log, "refusing a connection of uid 65534"),
	       "per-uid limit: the refusal is logged");
	close(res[0]);
	close(res[1]);
	close(go[0]);
	close(go[1]);
	th_stop_emu(pid);

	pid = th_start_emu(emu_bin, state, sock, log, "--max-per-uid", "0",
			   &status);
	tap_ok(pid < 0 && th_file_contains(log, "--max-per-uid"),
	       "--max-per-uid 0 refused");
	if (pid > 0)
		th_stop_emu(pid);
}

/*
 * The chip key is locked in memory (VmLck in /proc/PID/status).  ASan turns
 * mlock() into a no-op, so this needs an emulator built without it.
 */
static void test_mlock(const char *bin)
{
	char state[PATH_LEN], sock[PATH_LEN], log[PATH_LEN], path[64], line[256];
	long lck = -1;
	int status;
	pid_t pid;
	FILE *f;

	ec_state("lck", state, sock, log, NULL);
	if (!bin) {
		tap_skip("no emulator built without ASan given (ASan makes mlock a no-op)",
			 "the chip key is locked in memory");
		return;
	}
	pid = th_start_emu(bin, state, sock, log, NULL, NULL, &status);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = pid > 0 ? fopen(path, "r") : NULL;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &lck) == 1)
			break;
	if (f)
		fclose(f);
	if (lck == 0 && th_file_contains(log, "cannot mlock"))
		tap_skip("mlock not permitted here (RLIMIT_MEMLOCK)",
			 "the chip key is locked in memory");
	else
		tap_ok(lck > 0, "the chip key is locked in memory (VmLck %ld kB)", lck);
	th_stop_emu(pid);
}

int main(int argc, char **argv)
{
	emu_bin = argc > 1 ? argv[1] : getenv("CHIPKEY_EMU_BIN");
	if (!emu_bin) {
		printf("not ok 1 - usage: test-emu-hardening PATH-TO-chipkey-emu\n");
		return 1;
	}
	if (!mkdtemp(dir)) {
		printf("not ok 1 - mkdtemp\n");
		return 1;
	}
	chmod(dir, 0755);	/* clients of other users must reach the socket */
	test_rom_regions();
	test_eperm_first();
	test_idle_timeout();
	test_request_deadline();
	test_per_uid();
	test_mlock(argc > 2 && access(argv[2], X_OK) == 0 ? argv[2] : NULL);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			tap_diag("cannot remove %s", dir);
	}
	return tap_exit_status();
}
