// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-agent: the device side of the provisioning protocol
 * (docs/provisioning-protocol.md), on a connection made by tls.c:
 *
 *   send HELLO(chip ID, ROM key fingerprint, attestation key Q), then
 *   OFFER    check the device certificate (ROM key, this chip, this Q),
 *            have the chip open the sealed package and wrap it
 *            (SEALED_WRAP, generation 1, context = label || nonce), send
 *            BACKUP(backup, the chip's MAC); then DONE (the certificate's
 *            identity, generation 1) -> flash store
 *   ALREADY  unwrap the record's backup on this chip, check the package
 *            (this chip, certificate) -> flash store, with the generation
 *            the chip reported
 *   ERROR    the SPP refused: print its code
 *
 * This process never sees the offered package in clear: only the chip
 * opens it.  The flash store records what the chip authenticated, never
 * the SPP's word.  Test builds misbehave on purpose (faults.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "common/exit.h"
#include "common/pki.h"
#include "flash/flash.h"
#include "lib/libchipkey.h"
#include "proto/messages.h"
#include "proto/context.h"
#include "agent.h"
#include "faults.h"

/* A data package as the device checked it. */
struct checked_dp {
	struct ck_dp *dp;
	char identity[CK_DP_DEVICE_ID_LEN + 1];
};

int agent_read_chip(struct agent *a, const char *dev)
{
	struct chipkey_info info;
	EVP_PKEY *pk;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int err;

	err = chipkey_open(dev, &a->ck);
	if (!err)
		err = chipkey_get_info(a->ck, &info);
	if (!err) {
		memcpy(a->chip_id, info.chip_id, CHIPKEY_CHIP_ID_LEN);
		a->rom_len = sizeof(a->rom);
		err = chipkey_get_rom_key(a->ck, a->rom, &a->rom_len);
	}
	if (!err)
		err = chipkey_get_attest_key(a->ck, a->attest_pub);
	if (!err) {
		pk = pki_public_from_der(a->rom, a->rom_len);
		err = pk ? pki_public_to_der(pk, &der, &der_len) : -EINVAL;
		EVP_PKEY_free(pk);
	}
	if (!err) {
		err = spp_sha256(der, der_len, a->fp);
		OPENSSL_free(der);
	}
	if (err)
		return agent_die(ck_exit_for_errno(err), "cannot read the chip: %s",
				 chipkey_strerror(err));
	return CK_EXIT_OK;
}

int agent_report_error(const struct spp_frame *f)
{
	struct ck_spp_error e;

	if (spp_error_decode(f, &e))
		return agent_die(CK_EXIT_PROTOCOL, "malformed ERROR from the SPP");
	fprintf(stderr, "chipkey-agent: SPP refused: %s: %s\n", spp_err_name(e.code), e.text);
	return CK_EXIT_REFUSED;
}

/* Unwrap @bk on @ck: the data package as the device sees it (free_dp()). */
static int unwrap_dp(struct chipkey *ck, const uint8_t *bk, size_t bk_len,
		     uint8_t **dp_out, size_t *dp_len, uint64_t *gen)
{
	uint8_t *buf = malloc(CHIPKEY_MAX_PAYLOAD);
	size_t len = CHIPKEY_MAX_PAYLOAD;
	int err;

	if (!buf)
		return -ENOMEM;
	err = chipkey_unwrap(ck, bk, bk_len, buf, &len, gen);
	if (err) {
		OPENSSL_clear_free(buf, CHIPKEY_MAX_PAYLOAD);
		return err;
	}
	*dp_out = buf;
	*dp_len = len;
	return 0;
}

static void free_dp(uint8_t *dp)
{
	if (dp) {
		OPENSSL_cleanse(dp, CHIPKEY_MAX_PAYLOAD);
		free(dp);
	}
}

/* Checks of a data package (for this chip, certificate from our manufacturer). */
static int check_dp(struct agent *a, const uint8_t *buf, size_t len, struct checked_dp *out)
{
	uint8_t chip[CHIPKEY_CHIP_ID_LEN];
	char id[CK_DP_DEVICE_ID_LEN + 1];
	const uint8_t *cder;
	size_t clen;
	X509 *cert, *ca;
	int err;

	err = ck_dp_decode(buf, len, &out->dp);
	if (!err)
		err = ck_dp_chip_id(out->dp, chip);
	if (!err && memcmp(chip, a->chip_id, sizeof(chip)))
		err = -EXDEV;
	if (!err)
		err = ck_dp_device_id(out->dp, out->identity);
	if (!err)
		err = ck_dp_get(out->dp, CK_DP_DEVICE_CERT, &cder, &clen);
	if (!err) {
		cert = pki_cert_from_der(cder, clen);
		/* the package's issuing CA (none: a package of a factory made
		 * before the key hierarchy, signed by the ROM key itself) */
		ca = ck_dp_get(out->dp, CK_DP_ISSUING_CA_CERT, &cder, &clen) ? NULL
			: pki_cert_from_der(cder, clen);
		/* As at recovery: the device's clock may be unset or behind. */
		err = cert ? agent_check_chain(a, cert, ca, 1, PKI_TIME_IGNORE) : -EINVAL;
		if (!err)
			err = pki_cert_device_identity(cert, id);
		if (!err && strcmp(id, out->identity))
			err = -EKEYREJECTED;
		X509_free(cert);
		X509_free(ca);
	}
	if (err) {
		ck_dp_free(out->dp);
		out->dp = NULL;
	}
	return err;
}

/* The flash store: this chip, @identity, the backup of generation @gen and
 * the device certificate @cder (checked with the ROM key by the caller). */
static int finish_store(struct agent *a, const char *identity, uint64_t gen,
			const uint8_t *bk, size_t bk_len, const uint8_t *cder, size_t clen)
{
	struct flash_contents fc;
	int err;

	memset(&fc, 0, sizeof(fc));
	fc.chip = a->ck;	/* MACs the manifest (docs/flash-store.md) */
	memcpy(fc.chip_id, a->chip_id, sizeof(fc.chip_id));
	fc.identity = identity;
	fc.generation = gen;
	fc.backup = bk;
	fc.backup_len = bk_len;
	fc.cert = cder;
	fc.cert_len = clen;
	err = flash_write_store(a->store_dir, &fc);
	if (err == -ESTALE)	/* checked under the writer's lock */
		return agent_die(CK_EXIT_ROLLBACK, "the flash store holds a later generation than "
				 "%llu: store kept (use chipkey recover for a newer generation)",
				 (unsigned long long)gen);
	if (err)
		return agent_die(CK_EXIT_STORE_WRITE, "cannot write the flash store: %s",
				 strerror(-err));
	return CK_EXIT_OK;
}

/* The rollback floor of the flash store already there (0: none, or one
 * this chip does not authenticate). */
static uint64_t already_floor(struct agent *a)
{
	struct flash_store old;
	uint64_t floor;

	memset(&old, 0, sizeof(old));
	flash_read_store(a->store_dir, a->ck, &old);
	floor = flash_store_floor(&old);
	flash_store_release(&old);
	return floor;
}

/* ALREADY: the SPP's record must unwrap on this chip and say the same, and
 * be no older than the store it would replace (an SPP answers with
 * generation 1 when it cannot read the public store). */
static int handle_already(struct agent *a, const struct spp_frame *f)
{
	struct checked_dp cd = { 0 };
	struct ck_spp_already m;
	const uint8_t *cder;
	uint8_t *dpb = NULL;
	size_t dpl, clen;
	uint64_t gen = 0, have;
	int err, ret;

	if (spp_already_decode(f, &m))
		return agent_die(CK_EXIT_PROTOCOL, "malformed ALREADY");
	err = unwrap_dp(a->ck, m.backup, m.backup_len, &dpb, &dpl, &gen);
	if (err)
		return agent_die(ck_exit_for_errno(err),
				 "the SPP's record does not unwrap on this chip: %s",
				 chipkey_strerror(err));
	/* The flash store records the generation of the backup itself (the
	 * chip authenticated it in the unwrap), never the SPP's word for it. */
	if (gen != m.generation) {
		free_dp(dpb);
		return agent_die(CK_EXIT_PROTOCOL, "the SPP's record is inconsistent: "
				 "ALREADY names another generation than its backup");
	}
	err = check_dp(a, dpb, dpl, &cd);
	free_dp(dpb);
	if (err || strcmp(cd.identity, m.identity)) {
		ck_dp_free(cd.dp);
		return agent_die(CK_EXIT_PROTOCOL, "the SPP's record is inconsistent");
	}
	if (ck_dp_get(cd.dp, CK_DP_DEVICE_CERT, &cder, &clen))
		ret = agent_die(CK_EXIT_OTHER, "data package has no certificate");
	else if (gen < (have = already_floor(a)))
		ret = agent_die(CK_EXIT_ROLLBACK, "the SPP's record is generation %llu, older than "
				"the generation %llu the flash store holds: store kept (use chipkey "
				"recover for a newer generation)", (unsigned long long)gen,
				(unsigned long long)have);
	else
		ret = finish_store(a, cd.identity, gen, m.backup, m.backup_len, cder, clen);
	ck_dp_free(cd.dp);
	if (!ret)
		printf("already provisioned: identity %s (store rewritten)\n", cd.identity);
	return ret;
}

/*
 * The device certificate of the OFFER: signed by the OFFER's issuing CA,
 * itself signed by the ROM key, not revoked (--crl), an end-entity
 * device certificate of this chip, naming this chip's attestation key.
 * @identity gets the identity it names.  0 or -errno.
 */
static int check_offer_cert(struct agent *a, const struct ck_spp_offer *offer,
			    char identity[CK_DP_DEVICE_ID_LEN + 1])
{
	uint8_t q[CHIPKEY_EC_POINT_LEN];
	X509 *cert = pki_cert_from_der(offer->cert, offer->cert_len);
	/* the issuing CA is normally the one the SPP's TLS chain carried */
	X509 *ca = pki_cert_from_der_known(offer->ca_cert, offer->ca_cert_len,
					   SSL_get_peer_cert_chain(a->c.ssl));
	int err;

	/* As at recovery: the device's clock may be unset or behind. */
	err = cert && ca ? agent_check_chain(a, cert, ca, 1, PKI_TIME_IGNORE) : -EINVAL;
	X509_free(ca);
	if (!err)
		err = pki_cert_device_identity(cert, identity);
	if (!err)
		err = pki_cert_attest_key(cert, q);
	if (!err && CRYPTO_memcmp(q, a->attest_pub, sizeof(q)))
		err = -EKEYREJECTED;
	X509_free(cert);
	return err;
}

/*
 * SEALED_WRAP of the offered package on @wrapper: the backup (*@bk, free()
 * it) and the chip's MAC in @m.  Exit status.
 */
static int sealed_wrap(struct agent *a, struct chipkey *wrapper,
		       const struct ck_spp_offer *offer, uint8_t **bk,
		       struct ck_spp_backup *m)
{
	uint8_t ctx[CK_SPP_WRAP_CTX_LEN];
	size_t bk_len = CHIPKEY_MAX_PACKAGE;
	int err;

	*bk = malloc(bk_len);
	if (!*bk)
		return agent_die(CK_EXIT_OTHER, "out of memory");
	spp_wrap_context(offer->nonce, ctx);
	err = chipkey_sealed_wrap(wrapper, offer->sealed, offer->sealed_len, 1,
				  ctx, sizeof(ctx), *bk, &bk_len, m->mac);
	if (err) {
		spp_send_error(&a->c, CK_SPP_E_DEVICE, "sealed wrap failed");
		return agent_die(ck_exit_for_errno(err),
				 "the chip refused the sealed package: %s",
				 chipkey_strerror(err));
	}
	m->backup = *bk;
	m->backup_len = bk_len;
	return CK_EXIT_OK;
}

/* DONE: the identity of the certificate, the generation wrapped (1). */
static int expect_done(struct agent *a, const char *identity)
{
	struct ck_spp_done done;
	struct spp_frame f;
	int err, ret = CK_EXIT_OK;

	err = spp_recv(&a->c, &f, CK_SPP_MAX_BODY);
	if (err) {
		spp_frame_clear(&f);
		return agent_die(CK_EXIT_PROTOCOL, "no DONE: %s", strerror(-err));
	}
	if (f.type == CK_SPP_ERROR)
		ret = agent_report_error(&f);
	else if (spp_done_decode(&f, &done) ||
		 memcmp(done.identity, identity, CK_SPP_IDENTITY_LEN))
		ret = agent_die(CK_EXIT_PROTOCOL, "bad DONE");
	/* The generation recorded is the one wrapped (1), not the SPP's word. */
	else if (done.generation != 1)
		ret = agent_die(CK_EXIT_PROTOCOL, "bad DONE: the SPP names another "
				"generation than the backup it committed");
	spp_frame_clear(&f);
	return ret;
}

/* OFFER -> BACKUP -> DONE -> flash store. */
static int handle_offer(struct agent *a, struct spp_frame *f)
{
	char identity[CK_DP_DEVICE_ID_LEN + 1];
	struct ck_spp_offer offer;
	struct ck_spp_backup m;
	struct chipkey *wrapper = a->ck;
	uint8_t *bk = NULL;
	int err, ret;

	if (spp_offer_decode(f, &offer)) {
		spp_send_error(&a->c, CK_SPP_E_MALFORMED, "bad OFFER");
		return agent_die(CK_EXIT_PROTOCOL, "malformed OFFER");
	}
	err = check_offer_cert(a, &offer, identity);
	if (err) {
		spp_send_error(&a->c, CK_SPP_E_MALFORMED, "device certificate refused");
		return agent_die(CK_EXIT_PROTOCOL, "device certificate refused: %s",
				 strerror(-err));
	}
	ret = agent_fault_offer(a, f, &offer, &wrapper);
	if (!ret)
		ret = sealed_wrap(a, wrapper, &offer, &bk, &m);
	if (ret)
		goto out;
	agent_fault_backup(a, &m, bk);
	err = spp_send_backup(&a->c, &m);
	OPENSSL_cleanse(m.mac, sizeof(m.mac));
	if (err) {
		ret = agent_die(CK_EXIT_PROTOCOL, "cannot send BACKUP");
		goto out;
	}
	ret = expect_done(a, identity);
	if (!ret)
		ret = finish_store(a, identity, 1, m.backup, m.backup_len,
				   offer.cert, offer.cert_len);
	if (!ret)
		printf("provisioned: identity %s\n", identity);
out:
	free(bk);
	if (wrapper != a->ck)
		chipkey_close(wrapper);
	return ret;
}

int agent_provision(struct agent *a)
{
	struct ck_spp_hello hello = { .flags = 0 };
	struct spp_frame f;
	int err, ret;

	memcpy(hello.chip_id, a->chip_id, sizeof(hello.chip_id));
	memcpy(hello.rom_fp, a->fp, sizeof(hello.rom_fp));
	memcpy(hello.attest_pub, a->attest_pub, sizeof(hello.attest_pub));
	ret = agent_fault_hello(a, &hello);
	if (ret >= 0)
		return ret;
	if (spp_send_hello(&a->c, &hello))
		return agent_die(CK_EXIT_PROTOCOL, "cannot send HELLO");
	err = spp_recv(&a->c, &f, CK_SPP_MAX_BODY);
	if (err) {
		spp_frame_clear(&f);
		return agent_die(CK_EXIT_PROTOCOL, "no OFFER: %s", strerror(-err));
	}
	if (f.type == CK_SPP_ERROR)
		ret = agent_report_error(&f);
	else if (f.type == CK_SPP_ALREADY)
		ret = handle_already(a, &f);
	else
		ret = handle_offer(a, &f);
	spp_frame_clear(&f);
	return ret;
}
