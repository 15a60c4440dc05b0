/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one exit-code table of every chipkey program (chipkey, chipkey-agent,
 * chipkey-spp, chipkey-factory, chipkey-pubdb, chipkey-pubdb-put,
 * chipkey-emu, chipkey-fuse), documented in docs/cli.md.  A program uses
 * the codes that can happen to it; a code never changes meaning.
 */
#ifndef CHIPKEY_COMMON_EXIT_H
#define CHIPKEY_COMMON_EXIT_H

enum ck_exit {
	CK_EXIT_OK = 0,
	CK_EXIT_USAGE = 1,		/* bad arguments */
	CK_EXIT_NODEV = 2,		/* device/emulator missing, not a chipkey, gone */
	CK_EXIT_PERM = 3,		/* EPERM / EACCES */
	CK_EXIT_NOT_OURS = 4,		/* ENOKEY: another chip's package */
	CK_EXIT_TAMPERED = 5,		/* EBADMSG: fails authentication */
	CK_EXIT_MALFORMED = 6,		/* EINVAL: not a package/record */
	CK_EXIT_TOO_LARGE = 7,		/* EMSGSIZE */
	CK_EXIT_OTHER = 8,		/* I/O and everything else */
	CK_EXIT_NOT_FOUND = 9,		/* no backup/record for this chip */
	CK_EXIT_NETWORK = 10,		/* server unreachable within the time limit */
	CK_EXIT_BAD_CERT = 11,		/* certificate not from the ROM key / not this chip */
	CK_EXIT_IDENTITY = 12,		/* identity differs between certificate, package, store */
	CK_EXIT_ROLLBACK = 13,		/* older generation than the store holds */
	CK_EXIT_STORE_WRITE = 14,	/* the flash store could not be written */
	CK_EXIT_STORE_CORRUPT = 15,	/* the flash store is not trusted */
	CK_EXIT_NO_STORE = 16,		/* nothing provisioned */
	CK_EXIT_KEYS = 17,		/* the keys directory could not be written */
	CK_EXIT_OTHER_CHIP = 18,	/* the (intact) store belongs to another chip */
	CK_EXIT_UNTRUSTED = 19,		/* the peer's credential is not trusted */
	CK_EXIT_REFUSED = 20,		/* the peer refused (protocol ERROR, HTTP 401/403) */
	CK_EXIT_PROTOCOL = 21,		/* connection lost or protocol violated */
	CK_EXIT_CONFLICT = 22,		/* the record exists already (HTTP 409) */
	CK_EXIT_EXPIRED = 23,		/* licence outside its validity period (update) */
	CK_EXIT_INSTALL = 24,		/* the software could not be installed (update) */
	CK_EXIT_MAX = CK_EXIT_INSTALL,
};

/* Exit code for the errno @err (either sign) of a device or file operation. */
int ck_exit_for_errno(int err);

/* Exit code for the errno of opening a device (chipkey_open()). */
int ck_exit_for_open(int err);

/* Short name of @code as printed in messages ("rollback"), or "?". */
const char *ck_exit_name(int code);

#endif /* CHIPKEY_COMMON_EXIT_H */
