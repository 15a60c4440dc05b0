// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-agent: the device side of the provisioning protocol
 * (docs/provisioning-protocol.md), on a connection made by tls.c:
 *
 *   send HELLO(chip ID, ROM key fingerprint), then
 *   OFFER    check the data package (this chip, certificate from the ROM
 *            key), wrap it (generation 1), unwrap the own backup again, and
 *            only if that gives the very same bytes: proof over them, send
 *            BACKUP; then DONE (same identity, generation 1) -> flash store
 *   ALREADY  unwrap the record's backup on this chip, check it the same way
 *            -> flash store, with the generation the chip reported
 *   ERROR    the SPP refused: print its code
 *
 * The flash store records what the chip authenticated, never the SPP's word.
 *
 * Built with -DCK_AGENT_FAULTS (tests only), --fault KIND makes it misbehave
 * on purpose: other-chip (with --other-device), truncate, tamper, bad-proof,
 * oversize, short-hello, bad-version, wrong-type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "common/exit.h"
#include "common/pki.h"
#include "flash/flash.h"
#include "lib/libchipkey.h"
#include "proto/messages.h"
#include "proto/proof.h"
#include "agent.h"

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

static int report_error(const struct spp_frame *f)
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
	const uint8_t *cder;
	size_t clen;
	X509 *cert;
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
		/* As at recovery: the device's clock may be unset or behind. */
		err = cert ? pki_verify_device_cert(cert, a->rom, a->rom_len,
						    out->identity, a->chip_id,
						    PKI_TIME_IGNORE)
			   : -EINVAL;
		X509_free(cert);
	}
	if (err) {
		ck_dp_free(out->dp);
		out->dp = NULL;
	}
	return err;
}

static int finish_store(struct agent *a, const struct checked_dp *cd, uint64_t gen,
			const uint8_t *bk, size_t bk_len)
{
	struct flash_contents fc;
	const uint8_t *cder;
	size_t clen;
	int err;

	if (ck_dp_get(cd->dp, CK_DP_DEVICE_CERT, &cder, &clen))
		return agent_die(CK_EXIT_OTHER, "data package has no certificate");
	memset(&fc, 0, sizeof(fc));
	fc.chip = a->ck;	/* MACs the manifest (docs/flash-store.md) */
	memcpy(fc.chip_id, a->chip_id, sizeof(fc.chip_id));
	fc.identity = cd->identity;
	fc.generation = gen;
	fc.backup = bk;
	fc.backup_len = bk_len;
	fc.cert = cder;
	fc.cert_len = clen;
	err = flash_write_store(a->store_dir, &fc);
	if (err)
		return agent_die(CK_EXIT_STORE_WRITE, "cannot write the flash store: %s",
				 strerror(-err));
	return CK_EXIT_OK;
}

/* ALREADY: the SPP's record must unwrap on this chip and say the same. */
static int handle_already(struct agent *a, const struct spp_frame *f)
{
	struct checked_dp cd = { 0 };
	struct ck_spp_already m;
	uint8_t *dpb = NULL;
	size_t dpl;
	uint64_t gen = 0;
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
	ret = finish_store(a, &cd, gen, m.backup, m.backup_len);
	ck_dp_free(cd.dp);
	if (!ret)
		printf("already provisioned: identity %s (store rewritten)\n", cd.identity);
	return ret;
}

#ifdef CK_AGENT_FAULTS
/* Frame-level faults: send a forged first frame, then read the reply. */
static int frame_fault(struct agent *a, const struct ck_spp_hello *hello)
{
	struct ck_spp_header h = {
		.body_len = CK_SPP_HELLO_LEN, .type = CK_SPP_HELLO, .version = CK_SPP_VERSION,
	};
	uint8_t body[CK_SPP_HELLO_LEN];
	size_t len = sizeof(body);
	struct spp_frame f;
	int err;

	spp_hello_encode(hello, body);
	if (!strcmp(a->fault, "oversize"))
		h.body_len = CK_SPP_MAX_BODY + 1, len = 0;
	else if (!strcmp(a->fault, "short-hello"))
		h.body_len = 10, len = 10;
	else if (!strcmp(a->fault, "bad-version"))
		h.version = 99;
	else if (!strcmp(a->fault, "wrong-type"))
		h.type = CK_SPP_BACKUP;
	else
		return -1;
	if (spp_send_raw(&a->c, &h, body, len))
		return agent_die(CK_EXIT_PROTOCOL, "send failed");
	err = spp_recv(&a->c, &f, CK_SPP_MAX_BODY);
	if (err)
		return agent_die(CK_EXIT_PROTOCOL, "no reply: %s", strerror(-err));
	err = f.type == CK_SPP_ERROR ? report_error(&f) :
	      agent_die(CK_EXIT_PROTOCOL, "unexpected %s", spp_type_name(f.type));
	spp_frame_clear(&f);
	return err;
}

/* Damage after the proof: the proof covers the backup as it was. */
static void backup_fault(struct agent *a, struct ck_spp_backup *m, uint8_t *bk)
{
	if (!strcmp(a->fault, "truncate"))
		m->backup_len--;
	if (!strcmp(a->fault, "tamper"))
		bk[CHIPKEY_PKG_HEADER_LEN + 3] ^= 0x40;
	if (!strcmp(a->fault, "bad-proof"))
		m->proof[0] ^= 1;
}

/* --fault other-chip: the backup is made by the --other-device chip. */
static int wrapper_fault(struct agent *a, struct chipkey **wrapper)
{
	if (strcmp(a->fault, "other-chip"))
		return 0;
	if (!a->other_dev || chipkey_open(a->other_dev, wrapper))
		return agent_die(CK_EXIT_USAGE,
				 "--fault other-chip needs a working --other-device");
	return 0;
}
#else
static int frame_fault(struct agent *a, const struct ck_spp_hello *hello)
{
	(void)a;
	(void)hello;
	return -1;
}
#define backup_fault(a, m, bk) do { } while (0)
#define wrapper_fault(a, wrapper) 0
#endif

/*
 * Wrap the offered package (generation 1) on @wrapper, unwrap the backup
 * again and check it is byte for byte the offer; then the proof over the
 * unwrapped bytes.  *@bk: the backup (free() it).  Exit status.
 */
static int wrap_and_prove(struct agent *a, struct chipkey *wrapper,
			  const struct ck_spp_offer *offer, uint8_t **bk,
			  struct ck_spp_backup *m)
{
	struct spp_proof_input in;
	size_t bk_len = ck_pkg_size(offer->dp_len), dpl = 0;
	uint8_t *dpb = NULL;
	uint64_t gen = 0;
	int err;

	*bk = malloc(bk_len);
	if (!*bk)
		return agent_die(CK_EXIT_OTHER, "out of memory");
	err = chipkey_wrap(wrapper, offer->dp, offer->dp_len, 1, *bk, &bk_len);
	if (!err)
		err = unwrap_dp(wrapper, *bk, bk_len, &dpb, &dpl, &gen);
	if (err) {
		spp_send_error(&a->c, CK_SPP_E_DEVICE, "wrap failed");
		return agent_die(ck_exit_for_errno(err), "wrap/unwrap failed: %s",
				 chipkey_strerror(err));
	}
	in = (struct spp_proof_input) {
		.nonce = offer->nonce, .chip_id = a->chip_id, .dp = dpb, .dp_len = dpl,
		.backup = *bk, .backup_len = bk_len,
	};
	if (gen != 1 || dpl != offer->dp_len || memcmp(dpb, offer->dp, dpl))
		err = -EBADMSG;
	if (!err)
		err = spp_proof_compute(&in, m->proof);
	free_dp(dpb);
	if (err) {
		spp_send_error(&a->c, CK_SPP_E_DEVICE, "unwrap mismatch");
		return agent_die(ck_exit_for_errno(err),
				 "own backup does not unwrap to the package");
	}
	m->backup = *bk;
	m->backup_len = bk_len;
	return CK_EXIT_OK;
}

/* DONE: the identity of the package, the generation wrapped (1). */
static int expect_done(struct agent *a, const struct checked_dp *cd)
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
		ret = report_error(&f);
	else if (spp_done_decode(&f, &done) ||
		 memcmp(done.identity, cd->identity, CK_SPP_IDENTITY_LEN))
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
	struct checked_dp cd = { 0 };
	struct ck_spp_offer offer;
	struct ck_spp_backup m;
	struct chipkey *wrapper = a->ck;
	uint8_t *bk = NULL;
	int err, ret;

	if (spp_offer_decode(f, &offer)) {
		spp_send_error(&a->c, CK_SPP_E_MALFORMED, "bad OFFER");
		return agent_die(CK_EXIT_PROTOCOL, "malformed OFFER");
	}
	err = check_dp(a, offer.dp, offer.dp_len, &cd);
	if (err) {
		spp_send_error(&a->c, CK_SPP_E_MALFORMED, "data package refused");
		return agent_die(CK_EXIT_PROTOCOL, "data package refused: %s", strerror(-err));
	}
	ret = wrapper_fault(a, &wrapper);
	if (!ret)
		ret = wrap_and_prove(a, wrapper, &offer, &bk, &m);
	if (ret)
		goto out;
	backup_fault(a, &m, bk);
	err = spp_send_backup(&a->c, &m);
	OPENSSL_cleanse(m.proof, sizeof(m.proof));
	spp_frame_clear(f);		/* the offer is not needed any more */
	if (err) {
		ret = agent_die(CK_EXIT_PROTOCOL, "cannot send BACKUP");
		goto out;
	}
	ret = expect_done(a, &cd);
	if (!ret)
		ret = finish_store(a, &cd, 1, m.backup, m.backup_len);
	if (!ret)
		printf("provisioned: identity %s\n", cd.identity);
out:
	free(bk);
	ck_dp_free(cd.dp);
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
	ret = frame_fault(a, &hello);
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
		ret = report_error(&f);
	else if (f.type == CK_SPP_ALREADY)
		ret = handle_already(a, &f);
	else
		ret = handle_offer(a, &f);
	spp_frame_clear(&f);
	return ret;
}
