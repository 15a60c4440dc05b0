// SPDX-License-Identifier: GPL-2.0
/*
 * The adversary of the sealed-key boot tests (selftests/qemu/guest/
 * guest-skey.sh, docs/sealed-keys.md): a uid-0 process WITHOUT
 * CAP_SYS_ADMIN, which may not use /dev/chipkey, plants a logon key
 * "chipkey:NAME" with a key of its choice in a keyring, with every
 * permission for everyone, and prints its serial.
 *
 *   chipkey_keyplant NAME @u|@us|@s HEX
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>

#include "chipkey_caps.h"

int main(int argc, char **argv)
{
	uint8_t key[64];
	char desc[64];
	size_t n, i;
	int32_t ring;
	long id;

	if (argc != 4 || (n = strlen(argv[3]) / 2) == 0 || n > sizeof(key)) {
		fprintf(stderr, "usage: chipkey_keyplant NAME @u|@us|@s HEX\n");
		return 2;
	}
	ring = !strcmp(argv[2], "@u") ? KEY_SPEC_USER_KEYRING :
	       !strcmp(argv[2], "@us") ? KEY_SPEC_USER_SESSION_KEYRING : KEY_SPEC_SESSION_KEYRING;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(argv[3] + 2 * i, "%2x", &b) != 1)
			return 2;
		key[i] = (uint8_t)b;
	}
	if (drop_sys_admin()) {
		perror("chipkey_keyplant: drop CAP_SYS_ADMIN");
		return 1;
	}
	snprintf(desc, sizeof(desc), "chipkey:%s", argv[1]);
	id = syscall(SYS_add_key, "logon", desc, key, n, ring);
	if (id < 0 || syscall(SYS_keyctl, KEYCTL_SETPERM, id, 0x3f3f3f3f) < 0) {
		perror("chipkey_keyplant: add_key");
		return 1;
	}
	printf("%ld\n", id);
	return 0;
}
