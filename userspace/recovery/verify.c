// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Verification of a backup for this chip (docs/recovery.md, "What is
 * checked"): the backup code, whose it is, the unwrap through the chip, the
 * data package, and every device certificate against the issuing CA in the
 * package, that CA against the manufacturer key in ROM, the CRLs given
 * (--crl), the chip ID and the identity.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <chipkey/backup_package.h>
#include "common/hex.h"
#include "common/pki.h"
#include "rec_int.h"

static int check_cert(struct rec_ctx *ctx, const uint8_t *der, size_t len, X509 *ca,
		      const char *identity, const char *what)
{
	char cid[CK_DP_DEVICE_ID_LEN + 1], chex[2 * CHIPKEY_CHIP_ID_LEN + 1], why[320];
	uint8_t cchip[CHIPKEY_CHIP_ID_LEN];
	X509 *cert = pki_cert_from_der(der, len);
	int err, code = CK_EXIT_OK;

	if (!cert)
		return rec_fail(ctx, CK_EXIT_MALFORMED, "%s is not a DER X.509 certificate", what);
	/*
	 * No validity-period check: a recovery restores what the manufacturer
	 * issued to this chip, and a device certificate does not expire for
	 * that purpose.  Devices without a real-time clock boot at 1970 and
	 * could never load their keys otherwise (docs/recovery.md).
	 */
	err = pki_verify_device_cert(cert, ca, ctx->rom, ctx->rom_len, NULL, NULL, PKI_TIME_IGNORE);
	/* revocation, with the CRLs given (--crl): a stale CRL fails closed
	 * when the clock is set */
	if (!err)
		err = pki_crls_check(ctx->crls, cert, ca, ctx->rom, ctx->rom_len, pki_clock_now(),
				     why, sizeof(why));
	if (err == -ENOKEY) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT, "%s: %s", what, why);
	} else if (err == -EKEYREVOKED || (err == -EKEYEXPIRED && ctx->crls)) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT,
				"%s or its issuing CA is revoked, or a CRL given is out of date (%s)",
				what, strerror(-err));
	} else if (err) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT,
				"%s is not a device certificate issued by an issuing CA under the manufacturer key in ROM (%s)",
				what, strerror(-err));
	} else if (pki_cert_chip_id(cert, cchip)) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT, "%s names no chip ID", what);
	} else if (memcmp(cchip, ctx->chip_id, sizeof(cchip))) {
		ck_hex_encode(cchip, sizeof(cchip), chex);
		code = rec_fail(ctx, CK_EXIT_BAD_CERT, "%s names chip %s, this chip is %s",
				what, chex, ctx->chip_hex);
	} else if (pki_cert_device_identity(cert, cid)) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT, "%s names no valid device identity", what);
	} else if (strcmp(cid, identity)) {
		code = rec_fail(ctx, CK_EXIT_IDENTITY,
				"%s names identity %s but the backup package holds identity %s: refusing to change the device identity",
				what, cid, identity);
	}
	X509_free(cert);
	return code;
}

int rec_verify(struct rec_ctx *ctx, const uint8_t *backup, size_t backup_len,
	       const uint8_t *cert, size_t cert_len, const char *want_identity,
	       struct ck_dp **dpp, char identity[CK_DP_DEVICE_ID_LEN + 1],
	       uint64_t *generation)
{
	struct ck_pkg_header h;
	uint8_t *plain = NULL, dchip[CHIPKEY_CHIP_ID_LEN];
	size_t plen = CHIPKEY_MAX_PAYLOAD;
	struct ck_dp *dp = NULL;
	const uint8_t *inner, *ca_der;
	size_t inner_len, ca_len;
	X509 *ca = NULL;
	char hx[2 * CHIPKEY_CHIP_ID_LEN + 1];
	uint64_t gen = 0;
	int err, code;

	*dpp = NULL;
	/* 1. the backup code */
	if (!ck_pkg_has_magic(backup, backup_len))
		return rec_fail(ctx, CK_EXIT_MALFORMED,
				"not a backup package (no backup code " CK_PKG_MAGIC ")");
	err = ck_pkg_header_parse(backup, backup_len, &h);
	if (err)
		return rec_fail(ctx, err == -EMSGSIZE ? CK_EXIT_TOO_LARGE : CK_EXIT_MALFORMED,
				"malformed backup package header");
	/* 2. whose it is, before any decryption */
	if (memcmp(h.chip_id, ctx->chip_id, sizeof(h.chip_id))) {
		ck_hex_encode(h.chip_id, sizeof(h.chip_id), hx);
		return rec_fail(ctx, CK_EXIT_NOT_OURS,
				"the backup belongs to chip %s, this chip is %s", hx, ctx->chip_hex);
	}
	/* 3. unwrap through the chip */
	plain = malloc(plen);
	if (!plain)
		return rec_fail(ctx, CK_EXIT_OTHER, "out of memory");
	err = chipkey_unwrap(ctx->ck, backup, backup_len, plain, &plen, &gen);
	if (err) {
		code = ck_exit_for_errno(err);
		rec_fail(ctx, code, "unwrap: %s%s", chipkey_strerror(err),
			 code == CK_EXIT_TAMPERED ? " (the backup package was modified)" : "");
		goto out;
	}
	rec_note(ctx, "backup generation %llu unwrapped on chip %s", (unsigned long long)gen,
		 ctx->chip_hex);
	/* 4. the data package */
	err = ck_dp_decode(plain, plen, &dp);
	if (err) {
		code = rec_fail(ctx, CK_EXIT_MALFORMED, "the unwrapped data package is malformed");
		goto out;
	}
	if (ck_dp_chip_id(dp, dchip) || memcmp(dchip, ctx->chip_id, sizeof(dchip))) {
		code = rec_fail(ctx, CK_EXIT_NOT_OURS, "the data package names another chip");
		goto out;
	}
	ck_dp_device_id(dp, identity);
	if (want_identity && strcmp(want_identity, identity)) {
		code = rec_fail(ctx, CK_EXIT_IDENTITY,
				"the record claims identity %s but the backup package holds identity %s",
				want_identity, identity);
		goto out;
	}
	/*
	 * 5. certificates: the one inside the package (the one a store
	 * keeps) must be there; the one given (a record's, a store's) must
	 * pass the same checks when it differs
	 */
	if (ck_dp_get(dp, CK_DP_DEVICE_CERT, &inner, &inner_len)) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT,
				"the backup package holds no device certificate");
		goto out;
	}
	if (!cert) {
		cert = inner;
		cert_len = inner_len;
	}
	/* the issuing CA that signed it travels in the package (none in
	 * packages of factories made before the key hierarchy: then the
	 * certificate must be signed by the ROM key itself) */
	if (!ck_dp_get(dp, CK_DP_ISSUING_CA_CERT, &ca_der, &ca_len) &&
	    !(ca = pki_cert_from_der(ca_der, ca_len))) {
		code = rec_fail(ctx, CK_EXIT_BAD_CERT,
				"the package's issuing CA certificate is not one DER certificate");
		goto out;
	}
	code = check_cert(ctx, cert, cert_len, ca, identity, "the device certificate");
	if (code)
		goto out;
	if (inner_len != cert_len || memcmp(inner, cert, cert_len)) {
		code = check_cert(ctx, inner, inner_len, ca, identity,
				  "the certificate inside the package");
		if (code)
			goto out;
	}
	*dpp = dp;
	dp = NULL;
	*generation = gen;
	code = CK_EXIT_OK;
out:
	X509_free(ca);
	ck_dp_free(dp);
	OPENSSL_cleanse(plain, CHIPKEY_MAX_PAYLOAD);
	free(plain);
	return code;
}
