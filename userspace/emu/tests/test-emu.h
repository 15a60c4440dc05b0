/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of test-emu (one program): test-emu.c runs them in order.
 */
#ifndef CHIPKEY_TEST_EMU_H
#define CHIPKEY_TEST_EMU_H

#include <sys/types.h>

/* Raw protocol frames against the emulator @emu_pid on @sock (@dev: "emu:" + @sock). */
void test_emu_wire(const char *sock, const char *dev, pid_t emu_pid);

#endif /* CHIPKEY_TEST_EMU_H */
