/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-factory subcommands: the parsed command line every subcommand
 * gets, one entry point per subcommand (cmd-<name>.c), and the helpers of
 * main.c they share.  Exit codes: common/exit.h.
 */
#ifndef CHIPKEY_FACTORY_SUBCOMMANDS_H
#define CHIPKEY_FACTORY_SUBCOMMANDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/chipkey.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

extern const char *const factory_prog;

/* The options of every subcommand; each uses the ones it documents. */
struct factory_args {
	const char *org, *spp_name, *prefix, *identity, *chip_id, *pubkey;
	const char *key_out, *out, *rom, *db, *pool, *attest_key, *chip_ca;
	const char *name, *out_key, *out_cert, *reason, *issuing_ca, *root_key;
	int tls, records, service;
	unsigned long long ca_days, spp_days, count, start, generation, pregen;
	unsigned long long days;	/* 0: not given */
	int have_count;
	const char *const *pos;		/* the operands (argv) */
	int npos;
};

int cmd_init(const struct factory_args *a);
int cmd_load_pool(const struct factory_args *a);
int cmd_pregen_keys(const struct factory_args *a);
int cmd_identities(const struct factory_args *a);
int cmd_issue(const struct factory_args *a);
int cmd_verify_device(const struct factory_args *a);
int cmd_package(const struct factory_args *a);
int cmd_dump(const struct factory_args *a);
int cmd_load_chips(const struct factory_args *a);
int cmd_station(const struct factory_args *a);
int cmd_revoke(const struct factory_args *a);

/* The usage text, and CK_EXIT_USAGE after printing it to stderr. */
void factory_usage(FILE *f);
int factory_usage_error(void);
/* Report "@what: <errno text>" and OpenSSL's errors; ck_exit_for_errno(). */
int factory_fail(const char *what, int err);
/* 32 hex digits (either case).  0 or -EINVAL. */
int factory_parse_chip_id(const char *s, uint8_t out[CHIPKEY_CHIP_ID_LEN]);
/* A whole input file of at most CK_DP_MAX_LEN bytes (free()).  0 or -errno. */
int factory_read_file(const char *path, uint8_t **buf, size_t *len);
/* --attest-key FILE: the chip's attestation key Q (PEM or DER SPKI, as
 * `chipkey attest-key --pem` prints it; also the 65 raw bytes or 130 hex
 * digits), a valid P-256 point.  CK_EXIT_OK or an exit code (reported). */
int factory_read_attest_key(const char *path, uint8_t q[CHIPKEY_EC_POINT_LEN]);

/* Write @cert as PEM to the new file @path (NULL: standard output; the
 * tool's umask 077 makes it 0600).  0, -EEXIST if @path exists, -errno. */
int factory_write_cert_pem(X509 *cert, const char *path);
/* @key as unencrypted PKCS#8 PEM in a new 0600 file @path ("-" refused:
 * a private key is never printed).  0, -EEXIST, -EINVAL or -errno. */
int factory_write_key_pem(EVP_PKEY *key, const char *path);

int cmd_spp_cred(const struct factory_args *a);
int cmd_issuing_ca(const struct factory_args *a);
/* The offline root key at @path (PEM), checked against the root
 * certificate @root: CK_EXIT_OK or CK_EXIT_BAD_CERT (reported). */
int factory_load_root_key(const char *path, X509 *root, EVP_PKEY **key);
/* Software licences (cmd-licence.c); cmd_licence parses its own argv. */
int cmd_licence_cred(const struct factory_args *a);
int cmd_licence(int argc, char **argv);

#endif /* CHIPKEY_FACTORY_SUBCOMMANDS_H */
