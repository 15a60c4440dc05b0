// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pair --directory URL (docs/pairing.md "Directory and CRL checks"): after
 * the handshake has verified the peer's device certificate, the public
 * database is asked for the factory's record of the peer's chip
 * (generation 1, fetched and parsed by recovery's client, rec_source_db)
 * and the peer is accepted only if that record is signed by the
 * manufacturer's record signer (its signature: pubdb_cms_check_signature;
 * the signer under an issuing CA under this device's ROM key:
 * pki_verify_record_signer; with --crl, neither revoked:
 * ck_link_crl_check) and names the peer's identity and, byte for
 * byte, the device certificate the peer presented; and only if that
 * record has no void entry the manufacturer signed (the root itself, the
 * key in this device's ROM: docs/pubdb-api.md "Voiding a generation").
 * Anything else refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/hex.h"
#include "common/pki.h"
#include "common/pubdb-cms.h"
#include "common/pubdb-record.h"
#include "common/pubdb-void.h"
#include "link/revocation.h"
#include "recovery/recovery.h"
#include "pair.h"

/* The issuing CA of @w among the record's other certificates (NULL: none). */
static X509 *record_ica(STACK_OF(X509) *extra, X509 *w)
{
	for (int i = 0; extra && i < sk_X509_num(extra); i++)
		if (X509_check_issued(sk_X509_value(extra, i), w) == X509_V_OK)
			return sk_X509_value(extra, i);
	return NULL;
}

/* The record in @buf: signed by the manufacturer's record signer, naming
 * the peer of @s and its certificate.  0 or -EKEYREJECTED (why in @why). */
static int vouches(const struct ck_pair_session *s, const uint8_t *buf, size_t len,
		   char *why, size_t whylen)
{
	struct pubdb_cms_decoded d = { 0 };
	struct pubdb_record r;
	unsigned char *der = NULL;
	uint8_t *rom = NULL;
	size_t rom_len = 0;
	char e[256] = "";
	X509 *ica;
	int der_len, err = -EKEYREJECTED;

	if (pubdb_cms_parse_decoded(buf, len, &r, &d, e, sizeof(e)) < 0) {
		snprintf(why, whylen, "its record is malformed: %s", e);
		goto out;
	}
	if (r.format != PUBDB_FORMAT_CMS || !d.writer) {
		snprintf(why, whylen, "its record is not signed (format %d, no writer)",
			 (int)r.format);
		goto out;
	}
	if (pubdb_cms_check_signature(&d, d.writer, e, sizeof(e)) != PUBDB_VALID) {
		snprintf(why, whylen, "its record's signature does not verify: %s", e);
		goto out;
	}
	/* the writer's validity is not checked: the record was signed at the
	 * factory and stays true when the signer's certificate runs out */
	ica = record_ica(d.extra, d.writer);
	if (pki_public_to_der(s->self->rom_key, &rom, &rom_len) ||
	    pki_verify_record_signer(d.writer, ica, rom, rom_len, PKI_TIME_IGNORE)) {
		snprintf(why, whylen, "its record is not signed by a record signer of the "
			 "manufacturer key in this device's ROM");
		goto out;
	}
	/* with --crl: neither the record signer nor its issuing CA revoked,
	 * failing closed as for the peer's certificate */
	if (ck_link_crl_check(s->self->crls, d.writer, ica, s->self->rom_key,
			      "the signer of the directory's record")) {
		snprintf(why, whylen, "its record's signer is revoked, or its issuer has no "
			 "current CRL among --crl");
		goto out;
	}
	if (memcmp(r.chip_id, s->peer.chip_id, sizeof(r.chip_id))) {
		char hx[2 * sizeof(r.chip_id) + 1];

		ck_hex_encode(r.chip_id, sizeof(r.chip_id), hx);
		snprintf(why, whylen, "the record is for chip %s, not the peer's", hx);
		goto out;
	}
	if (r.generation != 1) {
		snprintf(why, whylen, "the record is not the factory's record of its chip "
			 "(generation %llu)", (unsigned long long)r.generation);
		goto out;
	}
	if (strcmp(r.identity, s->peer.identity)) {
		snprintf(why, whylen, "its record names identity %s, the peer presents %s",
			 r.identity, s->peer.identity);
		goto out;
	}
	der_len = i2d_X509(s->peer.cert, &der);
	if (der_len <= 0 || (size_t)der_len != r.cert_len ||
	    CRYPTO_memcmp(der, r.cert, r.cert_len)) {
		snprintf(why, whylen, "its record names another device certificate than the "
			 "one the peer presented");
		goto out;
	}
	err = 0;
out:
	OPENSSL_free(der);
	OPENSSL_free(rom);
	pubdb_cms_decoded_free(&d);
	return err;
}

/*
 * The void entry of the peer's factory record, if the directory has one
 * (GET .../generations/1/void; 404: none, 0).  One that the manufacturer
 * signed -- its signer the self-signed certificate of the key in this
 * device's ROM, its signature valid (pubdb_void_verify) -- for this chip's
 * generation 1 refuses the peer; so does one that does not verify (fail
 * closed: the directory is not believed to be honest).  -EKEYREJECTED
 * (why in @why), -ENETUNREACH.
 */
static int voided(const struct ck_pair_session *s, struct rec_ctx *ctx, const char *url,
		  double timeout, char *why, size_t whylen)
{
	struct pubdb_void v;
	uint8_t *buf = NULL;
	size_t len = 0;
	char e[256] = "";
	X509_STORE *st = NULL;
	X509 *w = NULL;
	int attempts = 0, code, err = -EKEYREJECTED;

	code = rec_db_fetch(ctx, url, "generations/1/void", timeout, &buf, &len, &attempts);
	if (code == CK_EXIT_NOT_FOUND)
		return 0;
	if (code) {
		snprintf(why, whylen, "%s", ctx->msg);
		return code == CK_EXIT_NETWORK ? -ENETUNREACH : -EKEYREJECTED;
	}
	if (pubdb_void_parse(buf, len, &v, e, sizeof(e))) {
		snprintf(why, whylen, "its factory record has a void entry that is malformed: %s", e);
		goto out;
	}
	if (v.generation != 1 || memcmp(v.chip_id, s->peer.chip_id, sizeof(v.chip_id))) {
		snprintf(why, whylen, "the directory answered another chip's or generation's void "
			 "entry");
		goto out;
	}
	w = pki_cert_from_der(v.sig.writer_cert, v.sig.writer_cert_len);
	st = X509_STORE_new();
	if (!w || !st || EVP_PKEY_eq(X509_get0_pubkey(w), s->self->rom_key) != 1 ||
	    X509_STORE_add_cert(st, w) != 1 ||
	    pubdb_void_verify(&v, st, e, sizeof(e)) != PUBDB_VALID) {
		snprintf(why, whylen, "its factory record has a void entry that does not verify "
			 "against the manufacturer key in this device's ROM%s%s", e[0] ? ": " : "", e);
		goto out;
	}
	snprintf(why, whylen, "the manufacturer voided its factory record (%s)", v.reason);
out:
	X509_STORE_free(st);
	X509_free(w);
	free(buf);
	ERR_clear_error();
	return err;
}

int ck_pair_directory_check(const struct ck_pair_session *s, const char *url, double timeout,
			    char *why, size_t whylen)
{
	struct rec_ctx ctx = { .prog = "chipkey: pair --directory" };
	uint8_t *buf = NULL;
	size_t len = 0;
	int attempts = 0, code, err;

	memcpy(ctx.chip_id, s->peer.chip_id, sizeof(ctx.chip_id));
	ck_hex_encode(ctx.chip_id, sizeof(ctx.chip_id), ctx.chip_hex);
	/* GET URL/v1/chips/CHIP/generations/1/record: the factory's record */
	code = rec_db_fetch(&ctx, url, "generations/1/record", timeout, &buf, &len, &attempts);
	if (code) {
		snprintf(why, whylen, "%s", ctx.msg);
		err = code == CK_EXIT_NETWORK ? -ENETUNREACH : -EKEYREJECTED;
	} else {
		err = vouches(s, buf, len, why, whylen);
	}
	free(buf);
	if (!err)
		err = voided(s, &ctx, url, timeout, why, whylen);
	return err;
}
