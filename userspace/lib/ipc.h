/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libchipkey internal: the two backends.  Each one implements one entry
 * point with ioctl semantics: the argument is the ioctl structure with real
 * user pointers; the return is 0 or a negative errno, and the structure is
 * updated exactly as the kernel updates it.
 */
#ifndef CHIPKEY_IPC_H
#define CHIPKEY_IPC_H

#include <pthread.h>
#include "lib/libchipkey.h"

struct chipkey_backend {
	const char *name;
	int (*ioctl)(struct chipkey *ck, unsigned int cmd, void *arg);
	void (*close)(struct chipkey *ck);
};

struct chipkey {
	const struct chipkey_backend *be;
	int fd;			/* emulator: -1 once the emulator is gone */
	pthread_mutex_t lock;	/* emulator: one request at a time per handle */
	/* emulator: where to reconnect, and the chip that must answer there */
	char emu_path[108];
	uint8_t emu_chip_id[CHIPKEY_CHIP_ID_LEN];
};

int ck_kernel_open(const char *path, struct chipkey *ck);
int ck_emu_open(const char *socket_path, struct chipkey *ck);

#endif /* CHIPKEY_IPC_H */
