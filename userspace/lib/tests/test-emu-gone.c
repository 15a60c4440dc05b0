// SPDX-License-Identifier: GPL-2.0
/*
 * libchipkey emulator backend when the emulator goes away: -ENODEV, like
 * the kernel for an unbound chip; a reply cut short releases nothing.
 *
 *   test-emu-gone PATH-TO-chipkey-emu
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <chipkey/emu_messages.h>
#include "lib/libchipkey.h"
#include "emu/tests/emu-helpers.h"
#include "common/tap.h"

static char dir[] = "/tmp/chipkey-test-gone-XXXXXX";
static const char *emu_bin;
static char state1[300], state2[300], sock[300], log1[300], dev[320];

static pid_t start(const char *state)
{
	int status;

	return th_start_emu(emu_bin, state, sock, log1, NULL, NULL, &status);
}

static void test_killed(int sig)
{
	const char *how = sig == SIGKILL ? "SIGKILL" : "SIGTERM";
	uint8_t pkg[64 + CHIPKEY_PKG_OVERHEAD], out[64];
	size_t plen = sizeof(pkg), olen = sizeof(out);
	struct chipkey_info info;
	struct chipkey *ck = NULL;
	int st, r1, r2, r3;
	pid_t pid = start(state1);

	if (!tap_ok(pid > 0 && chipkey_open(dev, &ck) == 0 &&
		    chipkey_wrap(ck, "secret", 6, 1, pkg, &plen) == 0,
		    "%s: open a handle, wrap", how)) {
		th_stop_emu(pid);
		chipkey_close(ck);
		return;
	}
	kill(pid, sig);
	waitpid(pid, &st, 0);
	r1 = chipkey_unwrap(ck, pkg, plen, out, &olen, NULL);
	r2 = chipkey_get_info(ck, &info);
	plen = sizeof(pkg);
	r3 = chipkey_wrap(ck, "x", 1, 0, pkg, &plen);
	tap_eq_int(r1, -ENODEV, "%s: emulator killed between two calls -> unwrap -ENODEV", how);
	tap_eq_int(r2, -ENODEV, "%s: ... info -ENODEV", how);
	tap_eq_int(r3, -ENODEV, "%s: ... and wrap -ENODEV", how);
	chipkey_close(ck);
	unlink(sock);
}

/* Restarted on the same fuse image: the same chip, the handle carries on. */
static void test_restarted(void)
{
	uint8_t pkg[64 + CHIPKEY_PKG_OVERHEAD], out[64];
	size_t plen = sizeof(pkg), olen = sizeof(out);
	struct chipkey_info info;
	struct chipkey *ck = NULL;
	pid_t pid = start(state1);
	int ok;

	ok = pid > 0 && chipkey_open(dev, &ck) == 0 &&
	     chipkey_wrap(ck, "secret", 6, 7, pkg, &plen) == 0;
	th_stop_emu(pid);
	pid = start(state1);
	tap_ok(ok && pid > 0 && chipkey_unwrap(ck, pkg, plen, out, &olen, NULL) == 0 &&
	       olen == 6 && !memcmp(out, "secret", 6),
	       "emulator restarted on the same chip: the open handle carries on");
	th_stop_emu(pid);

	/* Restarted on another chip: that is not the chip of the handle. */
	pid = start(state2);
	tap_eq_int(pid > 0 ? chipkey_get_info(ck, &info) : 1, -ENODEV,
		   "emulator restarted on another chip: the old handle gets -ENODEV");
	chipkey_close(ck);
	ck = NULL;
	tap_ok(chipkey_open(dev, &ck) == 0 && chipkey_get_info(ck, &info) == 0,
	       "... while a new handle opens on the new chip");
	chipkey_close(ck);
	th_stop_emu(pid);
	unlink(sock);
}

/* ---------- a fake emulator that hangs up in the middle ---------- */

enum fake_mode { HANG_UP_AFTER_REQUEST, HALF_REPLY };

struct fake {
	int lfd;
	enum fake_mode mode;
	uint8_t chip_id[CHIPKEY_CHIP_ID_LEN];
	uint8_t sent[32];	/* the plaintext bytes it got out before hanging up */
};

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	static uint8_t buf[CK_EMU_HDR_LEN + CK_EMU_MAX_PAYLOAD];
	struct ck_emu_req_hdr rq;
	struct ck_emu_reply_hdr rp = { CK_EMU_REPLY_MAGIC, CK_EMU_PROTO_VERSION,
				       0, CK_EMU_INFO_LEN };
	struct chipkey_info info;
	struct chipkey_xfer x;
	int fd = accept(f->lfd, NULL, NULL);

	close(f->lfd);	/* nobody to reconnect to */
	if (fd < 0)
		return NULL;
	/* The library's INFO at open */
	if (th_read_full(fd, buf, CK_EMU_HDR_LEN))
		goto out;
	memset(&info, 0, sizeof(info));
	info.abi_version = CHIPKEY_ABI_VERSION;
	memcpy(info.chip_id, f->chip_id, sizeof(f->chip_id));
	ck_emu_reply_hdr_encode(&rp, buf);
	ck_emu_info_encode(&info, buf + CK_EMU_HDR_LEN);
	if (write(fd, buf, CK_EMU_HDR_LEN + CK_EMU_INFO_LEN) < 0)
		goto out;
	/* The next request */
	if (th_read_full(fd, buf, CK_EMU_HDR_LEN))
		goto out;
	ck_emu_req_hdr_decode(buf, &rq);
	if (th_read_full(fd, buf, rq.len))
		goto out;
	if (f->mode == HALF_REPLY) {
		/* status 0 with 32 bytes of "plaintext", of which 16 arrive */
		ck_emu_xfer_decode(buf, &x);
		x.out_len = sizeof(f->sent);
		rp.len = CK_EMU_XFER_LEN + sizeof(f->sent);
		ck_emu_reply_hdr_encode(&rp, buf);
		ck_emu_xfer_encode(&x, buf + CK_EMU_HDR_LEN);
		memcpy(buf + CK_EMU_HDR_LEN + CK_EMU_XFER_LEN, f->sent,
		       sizeof(f->sent) / 2);
		if (write(fd, buf, CK_EMU_HDR_LEN + CK_EMU_XFER_LEN +
			  sizeof(f->sent) / 2) < 0)
			goto out;
	}
out:
	close(fd);
	return NULL;
}

static void test_fake(enum fake_mode mode)
{
	const char *what = mode == HALF_REPLY ?
		"emulator hangs up half-way through the output" :
		"emulator hangs up after reading the request";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char fsock[100], fdev[120];
	uint8_t pkg[200], out[64];
	size_t olen = sizeof(out);
	struct chipkey *ck = NULL;
	struct fake f;
	pthread_t t;
	size_t i;
	int ret, zero = 1;

	snprintf(fsock, sizeof(fsock), "%s/fake%d.sock", dir, (int)mode);
	snprintf(fdev, sizeof(fdev), "emu:%s", fsock);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fsock);
	f.mode = mode;
	RAND_bytes(f.chip_id, sizeof(f.chip_id));
	memset(f.sent, 0xa5, sizeof(f.sent));
	f.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(f.lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f.lfd, 4) ||
	    pthread_create(&t, NULL, fake_thread, &f)) {
		tap_ok(0, "fake emulator: %s", what);
		return;
	}
	memset(pkg, 0, sizeof(pkg));
	memset(out, 0, sizeof(out));
	ret = chipkey_open(fdev, &ck);
	if (!ret)
		ret = chipkey_unwrap(ck, pkg, sizeof(pkg), out, &olen, NULL);
	for (i = 0; i < sizeof(out); i++)
		if (out[i])
			zero = 0;
	tap_eq_int(ret, -ENODEV, "%s -> -ENODEV", what);
	if (mode == HALF_REPLY)
		tap_ok(zero, "... and no byte of the partial output is left in the caller's buffer");
	if (ck) {
		size_t plen = sizeof(pkg);

		tap_eq_int(chipkey_wrap(ck, "a", 1, 0, pkg, &plen), -ENODEV,
			   "... and the handle stays -ENODEV");
	}
	chipkey_close(ck);
	pthread_join(t, NULL);
	unlink(fsock);
}

int main(int argc, char **argv)
{
	uint8_t id1[16], id2[16];

	emu_bin = argc > 1 ? argv[1] : getenv("CHIPKEY_EMU_BIN");
	if (!emu_bin) {
		printf("not ok 1 - usage: test-emu-gone PATH-TO-chipkey-emu\n");
		return 1;
	}
	if (!mkdtemp(dir)) {
		printf("not ok 1 - mkdtemp\n");
		return 1;
	}
	snprintf(state1, sizeof(state1), "%s/chip1.bin", dir);
	snprintf(state2, sizeof(state2), "%s/chip2.bin", dir);
	snprintf(sock, sizeof(sock), "%s/emu.sock", dir);
	snprintf(log1, sizeof(log1), "%s/emu.log", dir);
	snprintf(dev, sizeof(dev), "emu:%s", sock);
	RAND_bytes(id1, sizeof(id1));
	memcpy(id2, id1, sizeof(id2));
	id2[15] ^= 1;
	if (!tap_ok(th_make_state(state1, id1, 0, 0, 0600, NULL, NULL) == 0 &&
		    th_make_state(state2, id2, 0, 0, 0600, NULL, NULL) == 0,
		    "create two fuse images"))
		return 1;
	test_killed(SIGKILL);
	test_killed(SIGTERM);
	test_restarted();
	test_fake(HANG_UP_AFTER_REQUEST);
	test_fake(HALF_REPLY);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			tap_diag("cannot remove %s", dir);
	}
	return tap_exit_status();
}
