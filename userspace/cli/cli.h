/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey CLI: shared helpers, exit codes (docs/cli.md), subcommands.
 */
#ifndef CHIPKEY_CLI_H
#define CHIPKEY_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libchipkey.h"

/* Exit codes, documented in docs/cli.md. */
enum {
	CK_EXIT_OK = 0,
	CK_EXIT_USAGE = 1,
	CK_EXIT_NODEV = 2,	/* device/socket missing, not a chipkey, gone */
	CK_EXIT_PERM = 3,	/* EPERM / EACCES */
	CK_EXIT_NOT_OURS = 4,	/* ENOKEY: another chip's package */
	CK_EXIT_TAMPERED = 5,	/* EBADMSG */
	CK_EXIT_MALFORMED = 6,	/* EINVAL */
	CK_EXIT_TOO_LARGE = 7,	/* EMSGSIZE */
	CK_EXIT_OTHER = 8,	/* I/O and everything else */
};

struct ck_cli {
	const char *device;	/* as given, or resolved default */
	int verbose;
};

/* Map an errno of a device operation to an exit code. */
int ck_exit_for_op(int err);
/* Map an errno of chipkey_open() to an exit code. */
int ck_exit_for_open(int err);

/* Open the device; on failure prints a message and returns an exit code. */
int ck_cli_open(struct ck_cli *cli, struct chipkey **ck);
/* Print "chipkey: DEVICE: WHAT: reason" and return the exit code. */
int ck_cli_op_error(struct ck_cli *cli, const char *what, int err);
/* ck_cli_open() then chipkey_get_info(); on failure @*ck is closed, a
 * message printed and the exit code returned. */
int ck_cli_open_info(struct ck_cli *cli, struct chipkey **ck,
		     struct chipkey_info *info);

/*
 * Read all of @path ("-" = stdin), at most @max bytes; if there is more,
 * *len is @max + 1 (so the caller can report "too large").  0 or -errno.
 */
int ck_read_input(const char *path, uint8_t **buf, size_t *len, size_t max);

/*
 * Write @buf to @path ("-" = stdout) atomically: a temporary file in the
 * same directory, fsync, then rename over @path (or, without @overwrite,
 * fail with -EEXIST if @path exists).  Nothing is left behind on error.
 */
int ck_write_output(const char *path, const void *buf, size_t len,
		    mode_t mode, int overwrite);

/* ck_read_input() / ck_write_output() (overwriting) for a command: on
 * failure print "chipkey: cannot read/write PATH: reason", CK_EXIT_OTHER. */
int ck_cli_read(const char *path, uint8_t **buf, size_t *len, size_t max);
int ck_cli_write(const char *path, const void *buf, size_t len, mode_t mode);

/* Print @s to stdout as a JSON string literal. */
void ck_json_string(const char *s);

int cmd_info(struct ck_cli *cli, int argc, char **argv);
int cmd_wrap(struct ck_cli *cli, int argc, char **argv);
int cmd_unwrap(struct ck_cli *cli, int argc, char **argv);
int cmd_rom_key(struct ck_cli *cli, int argc, char **argv);
/* Recovery (docs/recovery.md; exit codes 9-17 there). */
int cmd_status(struct ck_cli *cli, int argc, char **argv);
int cmd_recover(struct ck_cli *cli, int argc, char **argv);
int cmd_load(struct ck_cli *cli, int argc, char **argv);
int cmd_backup(struct ck_cli *cli, int argc, char **argv);

#endif /* CHIPKEY_CLI_H */
