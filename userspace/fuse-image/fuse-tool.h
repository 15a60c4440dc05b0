/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey-fuse: what its subcommands share, and the subcommands (dispatched
 * by main.c).  Every function returning int returns an exit code of
 * common/exit.h (docs/fuse-image.md) and has printed a message when it is
 * not CK_EXIT_OK, unless said otherwise.
 *
 *   files.c      reading keys, certificates and images; writing outputs
 *   subject.c    the --subject of "ca" (issuing: common/x509-issue.h)
 *   image.c      create and show (the fuse image)
 *   ca.c         the chip-vendor CA: making one, loading one to issue with
 *   chip-cert.c  the chip certificate profile (docs/chip-certificates.md)
 */
#ifndef CHIPKEY_FUSE_TOOL_H
#define CHIPKEY_FUSE_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/exit.h"
#include "common/fuse-image.h"

#define FIMG_PROG "chipkey-fuse"

/* ---- files.c */

/* Exit code of a file that cannot be read (-errno): missing, or errno's. */
int fimg_read_exit(int err);
/* A key (PEM or DER): any public or private key, or (@private_only) a
 * private key only.  *@pk is NULL on error. */
int fimg_load_key(const char *path, int private_only, EVP_PKEY **pk);
/* A certificate, PEM or DER (the first one of a PEM file). */
int fimg_load_cert(const char *path, X509 **cert);
/* A fuse image; wipe @f with ck_fuse_image_wipe() (also done on error). */
int fimg_load_image(const char *path, struct ck_fuse_image *f);
/* CK_EXIT_CONFLICT (message: "use --force") if @path exists (never for
 * "-", standard output), else OK. */
int fimg_refuse_existing(const char *path);
/* Remove an output written before a later step failed ("-": nothing). */
void fimg_remove(const char *path);
/* ck_file_write_atomic() of @path ("-": standard output) (mode @mode, replacing only if @force). */
int fimg_write(const char *path, const void *buf, size_t len, mode_t mode,
	       int force);
/* --days: 0 (no well-defined expiry) to FIMG_MAX_DAYS; else CK_EXIT_USAGE. */
#define FIMG_MAX_DAYS 36500
int fimg_parse_days(const char *s, int *days);

/* ---- subject.c */

/* "/type0=value0/type1=value1...", '\' escapes the next character; the
 * types are OpenSSL's names (CN, O, OU, C, serialNumber...) or OIDs.
 * NULL if malformed (message printed). */
X509_NAME *fimg_subject_parse(const char *s);

/* ---- ca.c */

/* A CA to issue with: its private key and its certificate. */
struct fimg_ca {
	EVP_PKEY *key;
	X509 *cert;
};
/* Load them and check that they belong together and that the certificate
 * may issue (CA:TRUE, keyCertSign if keyUsage is present, a subject key
 * identifier).  Free with fimg_ca_free() (also on error). */
int fimg_ca_load(const char *key_path, const char *cert_path,
		 struct fimg_ca *ca);
void fimg_ca_free(struct fimg_ca *ca);

/* ---- chip-cert.c */

/* The chip certificate of the chip @f (programmed chip key), issued by @ca,
 * as PEM into a new buffer (*@pem, free()). */
int fimg_chip_cert(const struct ck_fuse_image *f, const struct fimg_ca *ca,
		   int days, char **pem, size_t *len);

/* ---- the subcommands; argv[0] is the subcommand's name */
int cmd_create(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_cert(int argc, char **argv);
void fimg_usage(FILE *f);

#endif /* CHIPKEY_FUSE_TOOL_H */
