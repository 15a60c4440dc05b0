/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey CLI: the helpers its subcommands share, and the subcommands (one
 * file each, dispatched by main.c).  Exit codes: common/exit.h (docs/cli.md).
 */
#ifndef CHIPKEY_CLI_H
#define CHIPKEY_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/exit.h"
#include "common/file.h"
#include "lib/libchipkey.h"

struct ck_cli {
	const char *device;	/* as given, or resolved default */
	int verbose;
};

/* Open the device; on failure prints a message and returns an exit code. */
int ck_cli_open(struct ck_cli *cli, struct chipkey **ck);
/* Print "chipkey: DEVICE: WHAT: reason" and return the exit code. */
int ck_cli_op_error(struct ck_cli *cli, const char *what, int err);
/* ck_cli_open() then chipkey_get_info(); on failure @*ck is closed, a
 * message printed and the exit code returned. */
int ck_cli_open_info(struct ck_cli *cli, struct chipkey **ck,
		     struct chipkey_info *info);

/* ck_file_read() / ck_file_write_atomic() (overwriting) for a command: on
 * failure print "chipkey: cannot read/write PATH: reason", CK_EXIT_OTHER. */
int ck_cli_read(const char *path, uint8_t **buf, size_t *len, size_t max);
int ck_cli_write(const char *path, const void *buf, size_t len, mode_t mode);

/* Print @root (NULL: out of memory) to stdout, indented, and drop it.
 * CK_EXIT_OK, or CK_EXIT_OTHER with a message. */
int ck_cli_print_json(json_t *root);
/* A JSON string of @s (null for NULL); bytes that are not UTF-8 become '?'. */
json_t *ck_json_str(const char *s);

/*
 * A P-256 public key given on the command line: the name of a file holding
 * PEM or DER SubjectPublicKeyInfo, 65 raw bytes or 130 hex digits, or the
 * 130 hex digits themselves.  CK_EXIT_OK, or a message and the exit code.
 */
int ck_cli_read_pub(const char *arg, uint8_t pub[CHIPKEY_EC_POINT_LEN]);
/* The ROM key: PATH (DER SPKI), else the chip's (@len: the room in @key,
 * at least CHIPKEY_MAX_ROM_KEY), and then the chip's ID in @chip_id and
 * *@has_chip = 1 (both may be NULL).  CK_EXIT_*. */
int ck_cli_rom_key(struct ck_cli *cli, const char *path, uint8_t *key, size_t *len,
		   uint8_t chip_id[CHIPKEY_CHIP_ID_LEN], int *has_chip);

int cmd_info(struct ck_cli *cli, int argc, char **argv);
int cmd_wrap(struct ck_cli *cli, int argc, char **argv);
int cmd_enroll(struct ck_cli *cli, int argc, char **argv);
int cmd_unwrap(struct ck_cli *cli, int argc, char **argv);
int cmd_rom_key(struct ck_cli *cli, int argc, char **argv);
/* Attestation (docs/attestation.md). */
int cmd_attest_key(struct ck_cli *cli, int argc, char **argv);
int cmd_attest(struct ck_cli *cli, int argc, char **argv);
int cmd_seal(struct ck_cli *cli, int argc, char **argv);
int cmd_sealed_wrap(struct ck_cli *cli, int argc, char **argv);
int cmd_mac(struct ck_cli *cli, int argc, char **argv);
int cmd_service(struct ck_cli *cli, int argc, char **argv);
/* Recovery (docs/recovery.md; exit codes 9-18). */
int cmd_status(struct ck_cli *cli, int argc, char **argv);
int cmd_recover(struct ck_cli *cli, int argc, char **argv);
int cmd_load(struct ck_cli *cli, int argc, char **argv);
int cmd_backup(struct ck_cli *cli, int argc, char **argv);
/* Keys sealed to the chip for the kernel keyring (docs/sealed-keys.md). */
int cmd_key(struct ck_cli *cli, int argc, char **argv);
/* Software install under a licence (docs/software-update.md). */
int cmd_update(struct ck_cli *cli, int argc, char **argv);
/* Pairing two devices (docs/pairing.md). */
int cmd_pair(struct ck_cli *cli, int argc, char **argv);
int cmd_pairs(struct ck_cli *cli, int argc, char **argv);
int cmd_unpair(struct ck_cli *cli, int argc, char **argv);
/* chipkey pair channel: called by cmd_pair, @argv[0] "channel". */
int cmd_pair_channel(struct ck_cli *cli, int argc, char **argv);

#endif /* CHIPKEY_CLI_H */
