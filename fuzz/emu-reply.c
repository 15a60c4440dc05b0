// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fuzz target: the emulator's replies as libchipkey decodes them
 * (userspace/lib/ipc-emu.c, ipc-emu-wire.c): whatever a process listening
 * on the emulator socket answers to INFO, WRAP, UNWRAP, ROM_KEY,
 * ATTEST_KEY, ATTEST, SEALED_WRAP and CHIP_MAC.
 *
 * Input: one selector byte (the command: low 3 bits), then the bytes the
 * "emulator" sends back, through a socketpair.  On success the library
 * must never report more output than the caller's buffer holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ipc-emu-wire.c"
#include "lib/ipc-emu.c"

enum { IN_LEN = 64, OUT_CAP = 4096 };

static int call(int fd, unsigned int sel)
{
	static uint8_t in[IN_LEN], out[OUT_CAP];
	int broken = 0, ret;

	switch (sel & 7) {
	case 0: {
		struct chipkey_info i;

		return emu_op(fd, CHIPKEY_IOC_INFO, &i, &broken);
	}
	case 1:
	case 2: {
		struct chipkey_xfer x = {
			.in_ptr = (uintptr_t)in, .in_len = IN_LEN,
			.out_ptr = (uintptr_t)out, .out_len = OUT_CAP,
			.generation = 1,
		};

		ret = emu_op(fd, (sel & 7) == 1 ? CHIPKEY_IOC_WRAP : CHIPKEY_IOC_UNWRAP,
			     &x, &broken);
		if (ret == 0 && x.out_len > OUT_CAP)
			abort();
		return ret;
	}
	case 3: {
		struct chipkey_rom_key k = {
			.buf_ptr = (uintptr_t)out, .buf_len = CHIPKEY_MAX_ROM_KEY,
		};

		ret = emu_op(fd, CHIPKEY_IOC_ROM_KEY, &k, &broken);
		if (ret == 0 && k.buf_len > CHIPKEY_MAX_ROM_KEY)
			abort();
		return ret;
	}
	case 4: {
		struct chipkey_attest_key k;

		return emu_op(fd, CHIPKEY_IOC_ATTEST_KEY, &k, &broken);
	}
	case 5: {
		struct chipkey_attest a = {
			.context_ptr = (uintptr_t)in, .context_len = IN_LEN,
		};

		a.verifier_pub[0] = 0x04;
		return emu_op(fd, CHIPKEY_IOC_ATTEST, &a, &broken);
	}
	case 6: {
		struct chipkey_sealed_wrap s = {
			.in_ptr = (uintptr_t)in, .in_len = IN_LEN,
			.out_ptr = (uintptr_t)out, .out_len = OUT_CAP,
			.context_ptr = (uintptr_t)in, .context_len = 8,
			.generation = 1,
		};

		ret = emu_op(fd, CHIPKEY_IOC_SEALED_WRAP, &s, &broken);
		if (ret == 0 && s.out_len > OUT_CAP)
			abort();
		return ret;
	}
	default: {
		struct chipkey_chip_mac m = {
			.purpose = CHIPKEY_MAC_FLASH_MANIFEST,
			.in_ptr = (uintptr_t)in, .in_len = IN_LEN,
		};

		return emu_op(fd, CHIPKEY_IOC_CHIP_MAC, &m, &broken);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];

	if (size < 1 || size > 65536)
		return 0;	/* stays within the socket buffer: no reader needed */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	if (write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	shutdown(sv[1], SHUT_WR);
	call(sv[0], data[0]);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
