// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ck_prov_stages: per-stage cost of one provisioning, in-process, one
 * thread (a benchmark, not a test).
 *
 *   ck_prov_stages --factory DIR --db URL --device emu:SOCK [--iterations K]
 *
 * Part 1 calls the same library functions as chipkey-spp's session.c and
 * chipkey-agent, one stage at a time, K times, with a fresh random chip ID
 * per iteration (the store needs distinct chips):
 *   SPP:    tls_server, claim_identity, claim_keypair, keygen, build_package
 *           (cert_sign is the certificate part of it, timed alone as well),
 *           encode, verify, record_sign, commit
 *   device: tls_client (+ SPP credential check with the ROM key),
 *           device_check (data package + device certificate),
 *           device_wrap (chipkey_wrap + chipkey_unwrap on the emulator + proof)
 * The TLS handshake runs over an in-memory BIO pair, so each side's CPU
 * time is measured without the network.
 *
 * Part 2 is the crypto-only floor with plain OpenSSL (no chipkey code):
 * P-256 keygen, ECDSA sign / verify, HKDF, AES-256-GCM over the package
 * size, HMAC + SHA-256, and a TLS 1.3 handshake with a self-signed P-256
 * certificate.
 *
 * Output: key=value lines, microseconds per operation (mean).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chipkey/backup_package.h>
#include <chipkey/data_package.h>
#include "common/pki.h"
#include "common/pubdb-record.h"
#include "factory/factory.h"
#include "factory/pki-issue.h"
#include "lib/libchipkey.h"
#include "proto/context.h"
#include "store/store.h"

enum {
	S_TLS_SERVER, S_TLS_CLIENT, S_CLAIM_ID, S_CLAIM_KP, S_KEYGEN, S_BUILD,
	S_CERT_SIGN, S_ENCODE, S_DEV_CHECK, S_DEV_WRAP, S_VERIFY, S_RECORD_SIGN,
	S_COMMIT, S_CERT_FAST,
	F_TLS_SERVER, F_TLS_CLIENT, F_KEYGEN, F_SIGN, F_VERIFY, F_HKDF, F_GCM,
	F_HMAC, NS
};
static const char *sname[NS] = {
	"tls_server", "tls_client", "claim_identity", "claim_keypair", "keygen",
	"build_package", "cert_sign", "encode", "device_check", "device_wrap",
	"verify", "record_sign", "commit", "cert_sign_proposed",
	"floor_tls_server", "floor_tls_client", "floor_keygen", "floor_sign",
	"floor_verify", "floor_hkdf", "floor_gcm_wrap_unwrap", "floor_hmac_sha",
};
static double acc[NS];
static int cnt[NS];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define TIME(idx, ...) do { double t_ = now(); __VA_ARGS__; acc[idx] += now() - t_; cnt[idx]++; } while (0)

static void die(const char *what)
{
	fprintf(stderr, "ck_prov_stages: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* One TLS 1.3 handshake over a BIO pair; time each side separately. */
static void handshake(SSL_CTX *sctx, SSL_CTX *cctx, int is, int ic, X509 **peer)
{
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	BIO *bs, *bc;
	int sdone = 0, cdone = 0, rounds = 0;

	if (!s || !c || BIO_new_bio_pair(&bs, 0, &bc, 0) != 1)
		die("TLS objects");
	SSL_set_bio(s, bs, bs);
	SSL_set_bio(c, bc, bc);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	while ((!sdone || !cdone) && rounds++ < 20) {
		double t = now();
		int r;

		if (!cdone) {
			r = SSL_do_handshake(c);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				die("client handshake");
		}
		acc[ic] += now() - t;
		t = now();
		if (!sdone) {
			r = SSL_do_handshake(s);
			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				die("server handshake");
		}
		acc[is] += now() - t;
	}
	if (!sdone || !cdone)
		die("handshake did not finish");
	cnt[is]++;
	cnt[ic]++;
	if (peer)
		*peer = SSL_get1_peer_certificate(c);
	SSL_free(s);
	SSL_free(c);
}

static SSL_CTX *server_ctx(EVP_PKEY *key, X509 *cert, X509 *chain)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    (chain && SSL_CTX_add1_chain_cert(ctx, chain) != 1))
		die("server context");
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
}

static SSL_CTX *client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
		die("client context");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

/*
 * The proposal for pki_issue_device_cert(): the same certificate, but the
 * SubjectPublicKeyInfo is set from the encoded point with
 * X509_PUBKEY_set0_param() instead of X509_set_pubkey(), which in OpenSSL
 * 3.0 round-trips the key through an OSSL_DECODER (most of the cost).
 */
static X509 *issue_fast(EVP_PKEY *mfr_key, X509 *mfr_cert, const char *identity,
			const uint8_t chip[16], EVP_PKEY *dev)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	uint8_t pt[65], *ptc, sn[16];
	size_t ptl = 0;
	char san[200], hex[33];
	BIGNUM *bn;
	static const struct { int nid; const char *v; } ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature,keyAgreement" },
		{ NID_subject_alt_name, NULL },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
	};

	if (!x || !n || EVP_PKEY_get_octet_string_param(dev, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
							pt, sizeof(pt), &ptl) != 1)
		die("fast cert");
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", chip[i]);
	snprintf(san, sizeof(san), "URI:urn:chipkey:chip-id:%s,URI:urn:gsma:imei:%.8s-%.6s-%.1s",
		 hex, identity, identity + 8, identity + 14);
	X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8, (const unsigned char *)identity, -1, -1, 0);
	X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_ASC, (const unsigned char *)identity, -1, -1, 0);
	RAND_bytes(sn, sizeof(sn));
	sn[0] &= 0x7f;
	bn = BN_bin2bn(sn, sizeof(sn), NULL);
	ptc = OPENSSL_memdup(pt, ptl);
	if (!bn || !ptc || !X509_set_version(x, X509_VERSION_3) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !ASN1_TIME_set_string(X509_getm_notAfter(x), "99991231235959Z") ||
	    !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(mfr_cert)) ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
				    V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1), ptc, (int)ptl))
		die("fast cert fields");
	BN_free(bn);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		X509V3_CTX ctx;
		X509_EXTENSION *e;

		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, mfr_cert, x, NULL, NULL, 0);
		e = X509V3_EXT_nconf_nid(NULL, &ctx, ext[i].nid, ext[i].v ? ext[i].v : san);
		if (!e || !X509_add_ext(x, e, -1))
			die("fast cert extension");
		X509_EXTENSION_free(e);
	}
	if (X509_sign(x, mfr_key, EVP_sha256()) <= 0)
		die("fast cert sign");
	X509_NAME_free(n);
	return x;
}

/* ---- part 1: the chipkey stages ---- */

static void stages(struct ck_factory *f, struct store *st, struct chipkey *ck, int iters,
		   size_t *dp_len_out)
{
	SSL_CTX *sctx = server_ctx(f->spp_key, f->spp_cert, f->mfr_cert), *cctx = client_ctx();
	struct chipkey_info info;

	if (chipkey_get_info(ck, &info))
		die("chip info");
	for (int i = 0; i < iters; i++) {
		uint8_t chip[16], nonce[32], proof[32];
		char identity[STORE_IDENTITY_LEN + 1], id2[CK_DP_DEVICE_ID_LEN + 1];
		struct store_keypair kp;
		struct store_commit cm;
		struct pubdb_fields pf;
		struct ck_pkg_header h;
		EVP_PKEY *key = NULL;
		struct ck_dp *dp = NULL, *dp2 = NULL;
		X509 *cert = NULL, *cert2 = NULL, *peer = NULL;
		uint8_t *dp_buf = NULL, *secret = NULL, *cder = NULL, *rec = NULL;
		uint8_t *bk, *ub;
		size_t dp_len = 0, secret_len = 0, cder_len = 0, rec_len = 0, bk_len, ul;
		const uint8_t *c2;
		size_t c2l;
		char err[256];
		int state, r;

		RAND_bytes(chip, sizeof(chip));
		/* TLS: both halves; the device also checks the SPP credential */
		handshake(sctx, cctx, S_TLS_SERVER, S_TLS_CLIENT, &peer);
		TIME(S_TLS_CLIENT, r = pki_verify_spp_cert(peer, f->rom_key, f->rom_key_len, 0));
		cnt[S_TLS_CLIENT]--;
		if (r)
			die("SPP credential");
		X509_free(peer);

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
		TIME(S_CERT_SIGN, cert2 = pki_issue_device_cert(f->mfr_key, f->mfr_cert, identity,
								 chip, key, NULL, 0));
		if (!cert2)
			die("device certificate");
		X509_free(cert2);
		TIME(S_CERT_FAST, cert2 = issue_fast(f->mfr_key, f->mfr_cert, identity, chip, key));
		/* the proposal must give a certificate (DER) the devices accept */
		{
			uint8_t *d = NULL;
			size_t dl = 0;
			X509 *back;

			if (pki_cert_to_der(cert2, &d, &dl) || !(back = pki_cert_from_der(d, dl)))
				die("proposed device certificate: DER");
			if (pki_verify_device_cert(back, f->rom_key, f->rom_key_len, identity, chip, 0))
				die("the proposed device certificate does not verify");
			X509_free(back);
			OPENSSL_free(d);
		}
		X509_free(cert2);
		/* the package as the SPP builds it (for the emulator's chip, so the
		 * device side below accepts it) */
		TIME(S_BUILD, r = ck_factory_build_package(f, identity, info.chip_id, key, 1,
							    NULL, &dp, &cert));
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
		RAND_bytes(nonce, sizeof(nonce));

		/* device: check the package and its certificate */
		TIME(S_DEV_CHECK,
		     r = ck_dp_decode(dp_buf, dp_len, &dp2);
		     if (!r) r = ck_dp_device_id(dp2, id2);
		     if (!r) r = ck_dp_get(dp2, CK_DP_DEVICE_CERT, &c2, &c2l);
		     if (!r) { X509 *x = pki_cert_from_der(c2, c2l);
			       r = x ? pki_verify_device_cert(x, f->rom_key, f->rom_key_len, id2,
							      info.chip_id, 0) : -EINVAL;
			       X509_free(x); });
		if (r)
			die("device check");
		/* device: wrap + unwrap on the chip + proof */
		bk_len = ck_pkg_size(dp_len);
		bk = malloc(bk_len);
		ul = CHIPKEY_MAX_PAYLOAD;
		ub = malloc(ul);
		if (!bk || !ub)
			die("oom");
		TIME(S_DEV_WRAP,
		     r = chipkey_wrap(ck, dp_buf, dp_len, 1, bk, &bk_len);
		     if (!r) r = chipkey_unwrap(ck, bk, bk_len, ub, &ul, NULL);
		     if (!r) r = spp_proof_compute(&(struct spp_proof_input) {
				.nonce = nonce, .chip_id = info.chip_id, .dp = ub, .dp_len = ul,
				.backup = bk, .backup_len = bk_len }, proof));
		if (r || ul != dp_len || memcmp(ub, dp_buf, dp_len))
			die("wrap/unwrap");

		/* SPP: verify the backup (as session.c verify_backup) */
		TIME(S_VERIFY,
		     r = ck_pkg_header_parse(bk, bk_len, &h);
		     if (!r && (memcmp(h.chip_id, info.chip_id, 16) ||
				bk_len != ck_pkg_size(dp_len) || h.generation != 1)) r = -EINVAL;
		     if (!r) r = spp_proof_check(&(struct spp_proof_input) {
				.nonce = nonce, .chip_id = info.chip_id, .dp = dp_buf,
				.dp_len = dp_len, .backup = bk, .backup_len = bk_len }, proof));
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
		TIME(S_RECORD_SIGN, r = pubdb_record_build(&pf, f->spp_key, f->spp_cert, &rec,
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
			printf("size_data_package=%zu\nsize_backup=%zu\nsize_cert=%zu\n"
			       "size_signed_record=%zu\nsize_secret=%zu\n",
			       dp_len, bk_len, cder_len, rec_len, secret_len);

		free(rec);
		free(bk);
		OPENSSL_cleanse(ub, CHIPKEY_MAX_PAYLOAD);
		free(ub);
		ck_dp_free(dp);
		ck_dp_free(dp2);
		X509_free(cert);
		ck_dp_buf_free(dp_buf, dp_len);
		ck_dp_buf_free(secret, secret_len);
		OPENSSL_free(cder);
	}
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* ---- part 2: plain OpenSSL ---- */

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    !X509_set_pubkey(x, key))
		die("self-signed");
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"bench", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (!X509_sign(x, key, EVP_sha256()))
		die("self-sign");
	return x;
}

static void floor_ops(int iters, size_t dp_len)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *cert = key ? self_signed(key) : NULL;
	SSL_CTX *sctx = server_ctx(key, cert, NULL), *cctx = client_ctx();
	uint8_t tbs[600], sig[80], ikm[32], okm[32], iv[12], tag[16], mac[32], md[32];
	uint8_t *pt = malloc(dp_len), *ct = malloc(dp_len + 16);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	size_t siglen;

	if (!key || !pt || !ct || !kdf || !hmac)
		die("floor setup");
	RAND_bytes(tbs, sizeof(tbs));
	RAND_bytes(ikm, sizeof(ikm));
	RAND_bytes(pt, dp_len);
	RAND_bytes(iv, sizeof(iv));
	for (int i = 0; i < iters; i++) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY *k;
		int r, outl;

		handshake(sctx, cctx, F_TLS_SERVER, F_TLS_CLIENT, NULL);
		TIME(F_KEYGEN, k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
		EVP_PKEY_free(k);
		siglen = sizeof(sig);
		TIME(F_SIGN, r = EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key) == 1 &&
				 EVP_DigestSign(m, sig, &siglen, tbs, sizeof(tbs)) == 1);
		if (!r)
			die("sign");
		EVP_MD_CTX_reset(m);
		TIME(F_VERIFY, r = EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, key) == 1 &&
				   EVP_DigestVerify(m, sig, siglen, tbs, sizeof(tbs)) == 1);
		if (!r)
			die("verify");
		EVP_MD_CTX_free(m);
		TIME(F_HKDF, {
			EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
			OSSL_PARAM p[] = {
				OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
				OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm, sizeof(ikm)),
				OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (char *)"info", 4),
				OSSL_PARAM_construct_end() };
			r = kc && EVP_KDF_derive(kc, okm, sizeof(okm), p) == 1;
			EVP_KDF_CTX_free(kc);
		});
		if (!r)
			die("hkdf");
		/* device wrap + unwrap: HKDF once more + GCM both ways */
		TIME(F_GCM, {
			EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
			r = cc && EVP_EncryptInit_ex2(cc, EVP_aes_256_gcm(), okm, iv, NULL) == 1 &&
			    EVP_EncryptUpdate(cc, NULL, &outl, ikm, 32) == 1 &&
			    EVP_EncryptUpdate(cc, ct, &outl, pt, (int)dp_len) == 1 &&
			    EVP_EncryptFinal_ex(cc, ct + outl, &outl) == 1 &&
			    EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1 &&
			    EVP_DecryptInit_ex2(cc, EVP_aes_256_gcm(), okm, iv, NULL) == 1 &&
			    EVP_DecryptUpdate(cc, NULL, &outl, ikm, 32) == 1 &&
			    EVP_DecryptUpdate(cc, pt, &outl, ct, (int)dp_len) == 1 &&
			    EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
			    EVP_DecryptFinal_ex(cc, pt + outl, &outl) == 1;
			EVP_CIPHER_CTX_free(cc);
		});
		if (!r)
			die("gcm");
		/* proof: SHA-256 of package and backup + HMAC over ~150 bytes */
		TIME(F_HMAC, {
			size_t ml = sizeof(mac);
			OSSL_PARAM p[] = {
				OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
				OSSL_PARAM_construct_end() };
			EVP_MAC_CTX *mc = EVP_MAC_CTX_new(hmac);
			r = EVP_Digest(pt, dp_len, md, NULL, EVP_sha256(), NULL) == 1 &&
			    EVP_Digest(ct, dp_len + 16, md, NULL, EVP_sha256(), NULL) == 1 &&
			    mc && EVP_MAC_init(mc, okm, 32, p) == 1 &&
			    EVP_MAC_update(mc, tbs, 150) == 1 &&
			    EVP_MAC_final(mc, mac, &ml, sizeof(mac)) == 1;
			EVP_MAC_CTX_free(mc);
		});
		if (!r)
			die("hmac");
	}
	EVP_KDF_free(kdf);
	EVP_MAC_free(hmac);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(pt);
	free(ct);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "factory", required_argument, NULL, 'f' },
		{ "db", required_argument, NULL, 'd' },
		{ "device", required_argument, NULL, 'D' },
		{ "iterations", required_argument, NULL, 'n' },
		{ 0 }
	};
	const char *fdir = NULL, *db = NULL, *dev = NULL;
	int iters = 200, opt;
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
		default: return 2;
		}
	}
	if (!fdir || !db || !dev || iters < 1) {
		fprintf(stderr, "usage: ck_prov_stages --factory DIR --db URL --device emu:SOCK [--iterations K]\n");
		return 2;
	}
	if (ck_factory_open(fdir, &f) || !f->spp_key)
		die("factory");
	if (store_open(db, &st, err, sizeof(err)))
		die(err);
	if (chipkey_open(dev, &ck))
		die("device");
	stages(f, st, ck, iters, &dp_len);
	floor_ops(iters, dp_len);
	printf("iterations=%d\n", iters);
	for (int i = 0; i < NS; i++)
		if (cnt[i])
			printf("us_%s=%.1f\n", sname[i], 1e6 * acc[i] / cnt[i]);
	chipkey_close(ck);
	store_close(st);
	ck_factory_close(f);
	return 0;
}
