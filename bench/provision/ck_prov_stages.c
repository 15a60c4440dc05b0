// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ck_prov_stages: per-stage cost of one provisioning (protocol 2),
 * in-process, one thread (a benchmark, not a test).
 *
 *   ck_prov_stages --factory DIR --db URL --device emu:SOCK [--iterations K]
 *
 * Part 1 calls the same library functions as chipkey-spp's session.c and
 * chipkey-agent, one stage at a time, K times, with a fresh random chip ID
 * per iteration for the store (which needs distinct chips; each is first
 * put into the chip batch, untimed), while the package is issued, sealed
 * and wrapped for the emulator's chip:
 *   SPP:    tls_server, chip_lookup (store_chip_get), claim_identity,
 *           claim_keypair, keygen, build_package (cert_sign, the device
 *           certificate naming Q, is part of it, timed alone as well),
 *           encode, seal (ck_att_seal to Q), verify (backup header +
 *           ck_att_sealed_wrap_verify of the chip's MAC), record_sign, commit
 *   device: tls_client (+ SPP credential check with the ROM key),
 *           device_check (device certificate: ROM key, chip, Q),
 *           device_sealed_wrap (chipkey_sealed_wrap on the emulator: the
 *           chip opens the sealed package, wraps it and MACs the result;
 *           includes the round trip to the emulator process)
 * The TLS handshake runs over an in-memory BIO pair, so each side's CPU
 * time is measured without the network.
 *
 * Part 2 (ck_prov_floor.c) is the crypto-only floor with plain OpenSSL.
 *
 * Output: key=value lines, microseconds per operation (mean).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chipkey/attest.h>
#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "common/attest.h"
#include "common/pki.h"
#include "common/pubdb-record.h"
#include "factory/factory.h"
#include "factory/pki-issue.h"
#include "lib/libchipkey.h"
#include "proto/context.h"
#include "store/store.h"
#include "ck_prov_stages.h"

static const char *sname[NS] = {
	"tls_server", "tls_client", "chip_lookup", "claim_identity", "claim_keypair",
	"keygen", "build_package", "cert_sign", "encode", "seal", "device_check",
	"device_sealed_wrap", "verify", "record_sign", "commit",
	"floor_tls_server", "floor_tls_client", "floor_keygen", "floor_sign",
	"floor_verify", "floor_ecdh", "floor_hkdf", "floor_gcm", "floor_hmac_sha",
};
double acc[NS], cpu_acc[NS];
int cnt[NS];

/* @chip into the batch with the chip's @q (untimed: loaded before the day). */
static void batch_add(struct store *st, const uint8_t chip[16], const uint8_t q[65])
{
	static uint8_t fake_cert[584];	/* the store keeps, never parses, it */
	struct store_chip c = { .cert = fake_cert, .cert_len = sizeof(fake_cert) };

	memcpy(c.chip_id, chip, sizeof(c.chip_id));
	memcpy(c.attest_pub, q, sizeof(c.attest_pub));
	if (store_load_chips(st, &c, 1, NULL))
		die(store_error(st));
}

/* ---- part 1: the chipkey stages ---- */

static void stages(struct ck_factory *f, struct store *st, struct chipkey *ck, int iters,
		   size_t *dp_len_out)
{
	SSL_CTX *sctx = server_ctx(f->spp_key, f->spp_cert, f->ca_cert), *cctx = client_ctx();
	struct chipkey_info info;
	uint8_t q[CHIPKEY_EC_POINT_LEN];

	if (chipkey_get_info(ck, &info) || chipkey_get_attest_key(ck, q))
		die("chip info, attestation key");
	for (int i = 0; i < iters; i++) {
		uint8_t chip[16], nonce[CK_SPP_NONCE_LEN], ctx[CK_SPP_WRAP_CTX_LEN];
		uint8_t q2[CHIPKEY_EC_POINT_LEN], mac[CHIPKEY_MAC_LEN];
		char identity[STORE_IDENTITY_LEN + 1], id2[CK_DP_DEVICE_ID_LEN + 1];
		struct store_keypair kp;
		struct store_commit cm;
		struct pubdb_fields pf;
		struct ck_pkg_header h;
		EVP_PKEY *key = NULL, *eph = NULL;
		struct ck_dp *dp = NULL;
		X509 *cert = NULL, *cert2 = NULL, *peer = NULL;
		uint8_t *dp_buf = NULL, *secret = NULL, *cder = NULL, *rec = NULL;
		uint8_t *bk, *sealed;
		size_t dp_len = 0, secret_len = 0, cder_len = 0, rec_len = 0, bk_len, sealed_len;
		char err[256];
		int state, r;

		RAND_bytes(chip, sizeof(chip));
		batch_add(st, chip, q);
		/* TLS: both halves; the device also checks the SPP credential
		 * (as a new device: the issuing CA's signature not remembered) */
		pki_sig_memo_forget();
		handshake(sctx, cctx, S_TLS_SERVER, S_TLS_CLIENT, &peer);
		TIME(S_TLS_CLIENT, r = pki_verify_spp_cert(peer, f->ca_cert, f->rom_key, f->rom_key_len, 0));
		cnt[S_TLS_CLIENT]--;
		if (r)
			die("SPP credential");
		X509_free(peer);

		/* SPP: HELLO's chip in the batch, then the claims */
		TIME(S_CHIP_LOOKUP, r = store_chip_get(st, chip, q2));
		if (r || memcmp(q, q2, sizeof(q)))
			die("chip lookup");
		TIME(S_CLAIM_ID, r = store_claim_identity(st, chip, identity, &state));
		if (r || state != STORE_ID_RESERVED)
			die(store_error(st));
		memset(&kp, 0, sizeof(kp));
		TIME(S_CLAIM_KP, r = store_claim_keypair(st, chip, &kp));
		if (!r)
			store_keypair_clear(&kp);
		else if (r != -ENOENT)
			die(store_error(st));
		TIME(S_KEYGEN, key = pki_ec_keygen());
		if (!key)
			die("keygen");
		TIME(S_CERT_SIGN, cert2 = pki_issue_device_cert(f->ca_key, f->ca_cert, identity,
								 chip, key, q, 0));
		if (!cert2)
			die("device certificate");
		X509_free(cert2);
		/* the package as the SPP builds it (for the emulator's chip, so the
		 * device side below accepts it) */
		TIME(S_BUILD, r = ck_factory_build_package(f, identity, info.chip_id, key, 1,
							    q, &dp, &cert));
		EVP_PKEY_free(key);
		if (r)
			die("build package");
		TIME(S_ENCODE,
		     r = ck_dp_encode(dp, &dp_buf, &dp_len);
		     if (!r) r = pki_cert_to_der(cert, &cder, &cder_len);
		     if (!r) r = ck_dp_remove(dp, CK_DP_DEVICE_KEY);
		     if (!r) r = ck_dp_encode(dp, &secret, &secret_len));
		if (r)
			die("encode");
		*dp_len_out = dp_len;
		/* SPP: seal to Q, keeping the ephemeral key for the MAC check */
		sealed_len = ck_seal_size(dp_len);
		bk_len = CHIPKEY_MAX_PACKAGE;
		sealed = malloc(sealed_len);
		bk = malloc(bk_len);
		if (!sealed || !bk)
			die("oom");
		TIME(S_SEAL, r = ck_att_seal(q, info.chip_id, dp_buf, dp_len, sealed, &eph));
		if (r)
			die("seal");
		RAND_bytes(nonce, sizeof(nonce));
		spp_wrap_context(nonce, ctx);

		/* device: the OFFER's certificate (ROM key, this chip, this Q) */
		TIME(S_DEV_CHECK, {
			X509 *x = pki_cert_from_der(cder, cder_len);
			r = x ? pki_verify_device_cert(x, f->ca_cert, f->rom_key, f->rom_key_len, NULL,
						       info.chip_id, 0) : -EINVAL;
			if (!r) r = pki_cert_device_identity(x, id2);
			if (!r) r = pki_cert_attest_key(x, q2);
			if (!r && CRYPTO_memcmp(q, q2, sizeof(q))) r = -EKEYREJECTED;
			X509_free(x);
		});
		if (r)
			die("device check");
		/* device: the chip opens, wraps and MACs (SEALED_WRAP) */
		TIME(S_DEV_SEALED_WRAP, r = chipkey_sealed_wrap(ck, sealed, sealed_len, 1, ctx,
								 sizeof(ctx), bk, &bk_len, mac));
		if (r)
			die("sealed wrap");

		/* SPP: verify the backup and the chip's MAC (as session.c) */
		TIME(S_VERIFY,
		     r = ck_pkg_header_parse(bk, bk_len, &h);
		     if (!r && (memcmp(h.chip_id, info.chip_id, 16) ||
				bk_len != ck_pkg_size(dp_len) || h.generation != 1)) r = -EINVAL;
		     if (!r) r = ck_att_sealed_wrap_verify(eph, q, info.chip_id, bk, bk_len, 1,
							    dp_buf, dp_len, ctx, sizeof(ctx), mac));
		if (r)
			die("verify");

		/* SPP: signed public record, then the commit */
		memset(&pf, 0, sizeof(pf));
		memcpy(pf.chip_id, chip, 16);
		pf.generation = 1;
		pf.identity = identity;
		pf.backup = bk;
		pf.backup_len = bk_len;
		pf.cert = cder;
		pf.cert_len = cder_len;
		TIME(S_RECORD_SIGN, r = pubdb_record_build(&pf, f->record_key, f->record_cert, &rec,
							   &rec_len, err, sizeof(err)));
		if (r)
			die(err);
		memset(&cm, 0, sizeof(cm));
		memcpy(cm.chip_id, chip, 16);
		cm.identity = identity;
		cm.generation = 1;
		cm.backup = bk;
		cm.backup_len = bk_len;
		cm.cert = cder;
		cm.cert_len = cder_len;
		cm.signed_record = rec;
		cm.signed_record_len = rec_len;
		cm.secret = secret;
		cm.secret_len = secret_len;
		TIME(S_COMMIT, r = store_commit_provisioning(st, &cm));
		if (r < 0)
			die(store_error(st));
		if (i == 0)
			printf("size_data_package=%zu\nsize_sealed=%zu\nsize_backup=%zu\n"
			       "size_cert=%zu\nsize_signed_record=%zu\nsize_secret=%zu\n",
			       dp_len, sealed_len, bk_len, cder_len, rec_len, secret_len);

		OPENSSL_cleanse(mac, sizeof(mac));
		EVP_PKEY_free(eph);
		free(rec);
		free(bk);
		free(sealed);
		ck_dp_free(dp);
		X509_free(cert);
		ck_dp_buf_free(dp_buf, dp_len);
		ck_dp_buf_free(secret, secret_len);
		OPENSSL_free(cder);
	}
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void print_times(int iters)
{
	printf("iterations=%d\n", iters);
	for (int i = 0; i < NS; i++)
		if (cnt[i])
			printf("us_%s=%.1f\ncpu_us_%s=%.1f\n", sname[i], 1e6 * acc[i] / cnt[i],
			       sname[i], 1e6 * cpu_acc[i] / cnt[i]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "factory", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "device", required_argument, NULL, 'D' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "floor-only", required_argument, NULL, 'F' },
		{ 0 }
	};
	const char *fdir = NULL, *db = NULL, *dev = NULL;
	int iters = 200, opt, floor_only = 0;
	struct ck_factory *f = NULL;
	struct store *st = NULL;
	struct chipkey *ck = NULL;
	char err[256];
	size_t dp_len = 1500;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': fdir = optarg; break;
		case 'd': db = optarg; break;
		case 'D': dev = optarg; break;
		case 'n': iters = atoi(optarg); break;
		case 'F': floor_only = 1; dp_len = (size_t)atol(optarg); break;
		default: return 2;
		}
	}
	if ((!floor_only && (!fdir || !db || !dev)) || (floor_only && !dp_len) || iters < 1) {
		fprintf(stderr, "usage: ck_prov_stages --factory DIR --db URL --device emu:SOCK [--iterations K]\n"
			"       ck_prov_stages --floor-only PACKAGE_BYTES [--iterations K]\n");
		return 2;
	}
	if (floor_only) {
		/* the floor again, e.g. after the end-to-end run: on a shared
		 * machine its speed can change between the two */
		floor_ops(iters, dp_len);
		print_times(iters);
		return 0;
	}
	if (ck_factory_open(fdir, &f) || !f->spp_key)
		die("factory");
	if (store_open_kind(db, STORE_FACTORY, &st, err, sizeof(err)))
		die(err);
	if (chipkey_open(dev, &ck))
		die("device");
	stages(f, st, ck, iters, &dp_len);
	floor_ops(iters, dp_len);
	print_times(iters);
	chipkey_close(ck);
	store_close(st);
	ck_factory_close(f);
	return 0;
}
