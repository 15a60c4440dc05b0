// SPDX-License-Identifier: GPL-2.0
/*
 * test-emu, part two: the socket protocol seen as raw frames
 * (include/chipkey/emu_messages.h): reserved words, flags and pointer
 * fields, sizes, bad magic, unknown commands, truncated and random frames.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <chipkey/emu_messages.h>
#include "lib/libchipkey.h"
#include "emu/tests/emu-helpers.h"
#include "emu/tests/test-emu.h"
#include "common/tap.h"

static const char *sock1;
static const char *dev1;

static void test_reserved(void)
{
	struct chipkey_xfer x;
	uint8_t data[4] = { 1, 2, 3, 4 };
	int i, bad = 0, st;

	memset(&x, 0, sizeof(x));
	x.in_len = 4;
	x.out_len = 200;
	st = th_raw_xfer(sock1, CHIPKEY_IOC_WRAP, &x, data, 4);
	tap_eq_int(st, 0, "raw: well-formed wrap frame accepted");
	for (i = 0; i < 5; i++) {
		x.reserved[i] = 1u << (i * 7);
		st = th_raw_xfer(sock1, CHIPKEY_IOC_WRAP, &x, data, 4);
		bad += st != -EINVAL;
		st = th_raw_xfer(sock1, CHIPKEY_IOC_UNWRAP, &x, data, 4);
		bad += st != -EINVAL;
		x.reserved[i] = 0;
	}
	tap_eq_int(bad, 0, "raw: each non-zero reserved word -> EINVAL (wrap, unwrap)");
	x.flags = 0x80000000u;
	tap_eq_int(th_raw_xfer(sock1, CHIPKEY_IOC_WRAP, &x, data, 4), -EINVAL,
		   "raw: non-zero flags -> EINVAL");
	x.flags = 0;
	x.in_ptr = 0x1000;
	tap_eq_int(th_raw_xfer(sock1, CHIPKEY_IOC_WRAP, &x, data, 4), -EINVAL,
		   "raw: non-zero pointer field -> EINVAL");
	x.in_ptr = 0;
	x.in_len = 5;
	tap_eq_int(th_raw_xfer(sock1, CHIPKEY_IOC_WRAP, &x, data, 4), -EINVAL,
		   "raw: in_len larger than the data carried -> EINVAL");
	x.in_len = CHIPKEY_MAX_PAYLOAD + 1;
	x.flags = 1;
	tap_eq_int(th_raw_xfer(sock1, CHIPKEY_IOC_WRAP, &x, data, 4), -EINVAL,
		   "raw: flags are checked before size (EINVAL before EMSGSIZE)");
	x.flags = 0;
	tap_eq_int(th_raw_xfer(sock1, CHIPKEY_IOC_WRAP, &x, data, 4), -EMSGSIZE,
		   "raw: oversize in_len without data -> EMSGSIZE");
	{
		struct chipkey_rom_key k = { .buf_len = 448 };
		uint8_t w[CK_EMU_ROM_KEY_LEN], reply[600];
		int fd = th_raw_connect(sock1);

		k.reserved[3] = 9;
		ck_emu_rom_key_encode(&k, w);
		th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_ROM_KEY, w, sizeof(w));
		tap_eq_int(th_raw_recv(fd, reply, sizeof(reply), NULL), -EINVAL,
			   "raw: rom-key with non-zero reserved -> EINVAL");
		close(fd);
	}
}

static void test_garbage(pid_t emu_pid)
{
	uint8_t reply[256], junk[512];
	struct chipkey *ck;
	struct chipkey_info info;
	int fd, i, st, ok = 1;

	fd = th_raw_connect(sock1);
	th_raw_send(fd, 0xdeadbeef, CHIPKEY_IOC_INFO, NULL, 0);
	st = th_raw_recv(fd, reply, sizeof(reply), NULL);
	tap_eq_int(st, -EINVAL, "garbage: bad magic -> EINVAL reply");
	tap_eq_int(read(fd, reply, 1), 0, "garbage: ... and connection closed");
	close(fd);

	fd = th_raw_connect(sock1);
	th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_WRAP, NULL, 0xfffffff0u);
	tap_eq_int(th_raw_recv(fd, reply, sizeof(reply), NULL), -EINVAL,
		   "garbage: huge frame length -> EINVAL");
	close(fd);

	fd = th_raw_connect(sock1);
	th_raw_send(fd, CK_EMU_REQ_MAGIC, 0x12345678, NULL, 0);
	st = th_raw_recv(fd, reply, sizeof(reply), NULL);
	th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_INFO, NULL, 0);
	tap_ok(st == -ENOTTY && th_raw_recv(fd, reply, sizeof(reply), NULL) == 0,
	       "garbage: unknown command -> ENOTTY, connection still usable");
	th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_WRAP, "abc", 3);
	tap_eq_int(th_raw_recv(fd, reply, sizeof(reply), NULL), -EINVAL,
		   "garbage: wrap frame shorter than the structure -> EINVAL");
	th_raw_send(fd, CK_EMU_REQ_MAGIC, CHIPKEY_IOC_INFO, "abc", 3);
	tap_eq_int(th_raw_recv(fd, reply, sizeof(reply), NULL), -EINVAL,
		   "garbage: info with a stray payload -> EINVAL");
	close(fd);

	/* Truncated frames and random bytes, then hang up. */
	for (i = 0; i < 200; i++) {
		size_t n;

		fd = th_raw_connect(sock1);
		if (fd < 0) {
			ok = 0;
			break;
		}
		RAND_bytes(junk, sizeof(junk));
		if (i % 2) {	/* valid magic, random rest */
			ck_put_le32(junk, CK_EMU_REQ_MAGIC);
			ck_put_le32(junk + 4, CK_EMU_PROTO_VERSION);
			ck_put_le32(junk + 12, junk[12] % 120);
			ck_put_le32(junk + 8, (uint32_t[]){ CHIPKEY_IOC_INFO,
				CHIPKEY_IOC_WRAP, CHIPKEY_IOC_UNWRAP,
				CHIPKEY_IOC_ROM_KEY }[junk[8] % 4]);
		}
		n = 1 + junk[20] % sizeof(junk);
		if (send(fd, junk, n, MSG_NOSIGNAL) < 0)
			ok = 0;
		close(fd);
	}
	tap_ok(ok, "garbage: 200 connections with random / truncated frames");
	tap_ok(waitpid(emu_pid, &st, WNOHANG) == 0,
	       "garbage: the emulator is still running");
	tap_ok(chipkey_open(dev1, &ck) == 0 && chipkey_get_info(ck, &info) == 0,
	       "garbage: and still answers");
	chipkey_close(ck);
}

void test_emu_wire(const char *sock, const char *dev, pid_t emu_pid)
{
	sock1 = sock;
	dev1 = dev;
	test_reserved();
	test_garbage(emu_pid);
}
