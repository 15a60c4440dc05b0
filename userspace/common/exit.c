// SPDX-License-Identifier: GPL-2.0
/*
 * The exit-code table: see exit.h and docs/cli.md.
 */
#include <errno.h>
#include <stddef.h>

#include "common/exit.h"

int ck_exit_for_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return CK_EXIT_OK;
	case ENOENT: case ENODEV: case ENXIO: case ECONNREFUSED: case ENOTTY:
	case EPROTO: case ENOTSOCK: case ECONNRESET: case EPIPE:
		return CK_EXIT_NODEV;
	case EPERM: case EACCES:
		return CK_EXIT_PERM;
	case ENOKEY:
		return CK_EXIT_NOT_OURS;
	case EBADMSG:
		return CK_EXIT_TAMPERED;
	case EINVAL:
		return CK_EXIT_MALFORMED;
	case EMSGSIZE: case EFBIG:
		return CK_EXIT_TOO_LARGE;
	default:
		return CK_EXIT_OTHER;
	}
}

int ck_exit_for_open(int err)
{
	switch (err < 0 ? -err : err) {
	case EPERM: case EACCES:
		return CK_EXIT_PERM;
	case ENOMEM:
		return CK_EXIT_OTHER;
	default:
		return CK_EXIT_NODEV;
	}
}

const char *ck_exit_name(int code)
{
	static const char *const names[CK_EXIT_MAX + 1] = {
		[CK_EXIT_OK] = "ok",
		[CK_EXIT_USAGE] = "usage",
		[CK_EXIT_NODEV] = "no-device",
		[CK_EXIT_PERM] = "permission",
		[CK_EXIT_NOT_OURS] = "not-ours",
		[CK_EXIT_TAMPERED] = "tampered",
		[CK_EXIT_MALFORMED] = "malformed",
		[CK_EXIT_TOO_LARGE] = "too-large",
		[CK_EXIT_OTHER] = "other",
		[CK_EXIT_NOT_FOUND] = "not-found",
		[CK_EXIT_NETWORK] = "network",
		[CK_EXIT_BAD_CERT] = "bad-certificate",
		[CK_EXIT_IDENTITY] = "identity-mismatch",
		[CK_EXIT_ROLLBACK] = "rollback",
		[CK_EXIT_STORE_WRITE] = "store-write",
		[CK_EXIT_STORE_CORRUPT] = "store-corrupt",
		[CK_EXIT_NO_STORE] = "no-store",
		[CK_EXIT_KEYS] = "keys",
		[CK_EXIT_OTHER_CHIP] = "other-chip-store",
		[CK_EXIT_UNTRUSTED] = "untrusted",
		[CK_EXIT_REFUSED] = "refused",
		[CK_EXIT_PROTOCOL] = "protocol",
		[CK_EXIT_CONFLICT] = "conflict",
		[CK_EXIT_EXPIRED] = "expired",
		[CK_EXIT_INSTALL] = "install",
	};

	return code >= 0 && code <= CK_EXIT_MAX ? names[code] : "?";
}
