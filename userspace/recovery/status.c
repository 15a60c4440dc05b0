// SPDX-License-Identifier: GPL-2.0-or-later
/* chipkey status: what the device holds, and whether to trust it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "flash/flash.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/pki.h"
#include "rec_status.h"

static void asn1_time_str(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;

	out[0] = 0;
	if (t && ASN1_TIME_to_tm(t, &tm))
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void validity(X509 *cert, char *out, size_t cap)
{
	time_t now = pki_clock_now();

	if (now == PKI_TIME_IGNORE)
		snprintf(out, cap, "unknown");
	else if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0)
		snprintf(out, cap, "not-yet-valid");
	else if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0)
		snprintf(out, cap, "expired");
	else
		snprintf(out, cap, "current");
}

/* 1 if the store's backup unwraps on this chip and its certificate passes
 * rec_verify() (the chain through the package's issuing CA), else 0 with
 * the reason in st->cert_msg. */
static int cert_chain_ok(struct rec_ctx *ctx, const struct flash_store *s,
			 struct rec_status *st)
{
	struct ck_dp *dp = NULL;
	char id[CK_DP_DEVICE_ID_LEN + 1];
	uint64_t gen;
	int code = rec_verify(ctx, s->backup, s->backup_len, s->cert, s->cert_len, s->identity,
			      &dp, id, &gen);

	ck_dp_free(dp);
	if (code)
		snprintf(st->cert_msg, sizeof(st->cert_msg), "%.159s", ctx->msg);
	ctx->msg[0] = '\0';
	return !code;
}

/* The first line of the regular file @dir/@name (at most @size - 1
 * bytes in all, never waiting on a FIFO), without its newline, in @line:
 * 1, or 0. */
static int keys_line(const char *dir, const char *name, char *line, size_t size)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ck_file_read_regular(path, size - 1, &buf, &len))
		return 0;
	memcpy(line, buf, len);
	line[len] = 0;
	line[strcspn(line, "\n")] = 0;
	free(buf);
	return 1;
}

/* @dir/@name is a regular file (not followed). */
static int keys_regular(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !lstat(path, &sb) && S_ISREG(sb.st_mode);
}

int rec_status(struct rec_ctx *ctx, const char *store_dir, const char *keys_dir,
	       struct rec_status *st)
{
	const char *store = store_dir ? store_dir : REC_DEFAULT_STORE;
	struct flash_store s;
	X509 *cert;
	int err, code;

	memset(st, 0, sizeof(*st));
	st->chip_match = -1;
	st->cert_valid = -1;
	st->device_ok = ctx->ck != NULL;
	if (ctx->ck)
		memcpy(st->chip_hex, ctx->chip_hex, sizeof(st->chip_hex));
	err = flash_read_store(store, ctx->ck, &s);
	st->store_err = err;
	st->authenticated = s.authenticated;
	snprintf(st->why, sizeof(st->why), "%s", s.why);
	/* what the manifest says, if it is this chip's and authenticated, or
	 * consistent with its files (another chip's; no chip to ask) */
	if (s.authenticated || err == -EXDEV || err == -ENOKEY) {
		st->manifest_ok = 1;
		snprintf(st->identity, sizeof(st->identity), "%s", s.identity);
		st->generation = s.generation;
		ck_hex_encode(s.chip_id, sizeof(s.chip_id), st->store_chip_hex);
		if (ctx->ck)
			st->chip_match = !memcmp(s.chip_id, ctx->chip_id, sizeof(s.chip_id));
	}
	if (err == -EXDEV)
		snprintf(st->why, sizeof(st->why), "the store belongs to chip %s, this chip is %s",
			 st->store_chip_hex, ctx->chip_hex);
	if (!err || err == -ENOKEY) {
		cert = pki_cert_from_der(s.cert, s.cert_len);
		if (!cert) {
			st->cert_valid = 0;
			snprintf(st->cert_msg, sizeof(st->cert_msg), "not a DER certificate");
		} else {
			asn1_time_str(X509_get0_notBefore(cert), st->not_before,
				      sizeof(st->not_before));
			asn1_time_str(X509_get0_notAfter(cert), st->not_after,
				      sizeof(st->not_after));
			validity(cert, st->validity, sizeof(st->validity));
			X509_free(cert);
			/* what load and recover check (no validity period): the
			 * chain to the ROM key needs the issuing CA, which is
			 * inside the package, so the chip unwraps it */
			if (ctx->ck && s.backup)
				st->cert_valid = cert_chain_ok(ctx, &s, st);
		}
	}
	if (keys_dir) {
		char line[32], gen[24];

		/* this identity and this generation (stale keys beside a newer
		 * store are not loaded), and the device key there */
		snprintf(gen, sizeof(gen), "%llu", (unsigned long long)st->generation);
		st->keys_loaded = st->manifest_ok &&
				  keys_line(keys_dir, "identity", line, sizeof(line)) &&
				  !strcmp(line, st->identity) &&
				  keys_line(keys_dir, "generation", line, sizeof(line)) &&
				  !strcmp(line, gen) && keys_regular(keys_dir, "device-key.pem");
	}
	flash_store_release(&s);

	if (err == -ENOENT)
		code = CK_EXIT_NO_STORE;
	else if (err == -EXDEV)
		code = CK_EXIT_OTHER_CHIP;
	else if (err == -EPERM || err == -EACCES)
		code = CK_EXIT_PERM;	/* the chip's MAC needs CAP_SYS_ADMIN */
	else if (err && err != -ENOKEY)
		code = CK_EXIT_STORE_CORRUPT;
	else if (st->cert_valid == 0)
		code = CK_EXIT_STORE_CORRUPT;
	else if (!ctx->ck)
		code = CK_EXIT_NODEV;
	else
		code = CK_EXIT_OK;
	st->healthy = code == CK_EXIT_OK;
	return code;
}
