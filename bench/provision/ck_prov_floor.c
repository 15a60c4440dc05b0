// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ck_prov_stages, part 2: the crypto-only floor of one provisioning with
 * plain OpenSSL (no chipkey code), and the TLS helpers both parts use (a
 * benchmark, not a test).  Measured, microseconds per operation:
 *   floor_tls_server/client  a TLS 1.3 handshake, self-signed P-256
 *                            certificate, over an in-memory BIO pair
 *   floor_keygen             P-256 key pair
 *   floor_sign / verify      ECDSA P-256 SHA-256 over 600 bytes
 *   floor_ecdh               P-256 ECDH with a peer given as an encoded
 *                            point (decoded and checked, as Q or E are)
 *   floor_hkdf               HKDF-SHA256, 32-byte output
 *   floor_gcm                AES-256-GCM over the data package, one way
 *   floor_hmac_sha           SHA-256 of the package and of the backup,
 *                            HMAC-SHA256 over ~150 bytes (the MAC of
 *                            SEALED_WRAP, docs/attestation.md)
 * report.py adds them up per side as protocol 2 needs them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ck_prov_stages.h"

void die(const char *what)
{
	fprintf(stderr, "ck_prov_stages: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

void handshake(SSL_CTX *sctx, SSL_CTX *cctx, int is, int ic, X509 **peer)
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
		double t = now(), ct = cpu_now();
		int r;

		if (!cdone) {
			r = SSL_do_handshake(c);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				die("client handshake");
		}
		acc[ic] += now() - t;
		cpu_acc[ic] += cpu_now() - ct;
		t = now();
		ct = cpu_now();
		if (!sdone) {
			r = SSL_do_handshake(s);
			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				die("server handshake");
		}
		acc[is] += now() - t;
		cpu_acc[is] += cpu_now() - ct;
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

SSL_CTX *server_ctx(EVP_PKEY *key, X509 *cert, X509 *chain)
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

SSL_CTX *client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
		die("client context");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
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

/* ECDH of @key with the peer whose encoded point is @pt (decoded here). */
static int ecdh(EVP_PKEY *key, const uint8_t pt[65], uint8_t z[32])
{
	EVP_PKEY *peer = EVP_PKEY_new();
	EVP_PKEY_CTX *dc = NULL;
	size_t zl = 32;
	int r;

	r = peer && EVP_PKEY_copy_parameters(peer, key) == 1 &&
	    EVP_PKEY_set1_encoded_public_key(peer, pt, 65) == 1 &&
	    (dc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) &&
	    EVP_PKEY_derive_init(dc) == 1 && EVP_PKEY_derive_set_peer_ex(dc, peer, 1) == 1 &&
	    EVP_PKEY_derive(dc, z, &zl) == 1 && zl == 32;
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_free(peer);
	return r;
}

void floor_ops(int iters, size_t dp_len)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *cert = key ? self_signed(key) : NULL;
	SSL_CTX *sctx = server_ctx(key, cert, NULL), *cctx = client_ctx();
	uint8_t tbs[600], sig[80], ikm[32], okm[32], iv[12], tag[16], mac[32], md[32];
	uint8_t opt[65], z[32];
	uint8_t *pt = malloc(dp_len), *ct = malloc(dp_len + 16);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	size_t siglen;

	if (!key || !other || !pt || !ct || !kdf || !hmac ||
	    EVP_PKEY_get_octet_string_param(other, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					    opt, sizeof(opt), &siglen) != 1 || siglen != 65)
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
		TIME(F_ECDH, r = ecdh(key, opt, z));
		if (!r)
			die("ecdh");
		TIME(F_HKDF, {
			EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
			OSSL_PARAM p[] = {
				OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
				OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, sizeof(z)),
				OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (char *)"info", 4),
				OSSL_PARAM_construct_end() };
			r = kc && EVP_KDF_derive(kc, okm, sizeof(okm), p) == 1;
			EVP_KDF_CTX_free(kc);
		});
		if (!r)
			die("hkdf");
		/* one way: seal, open (decryption costs the same) or wrap */
		TIME(F_GCM, {
			EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
			r = cc && EVP_EncryptInit_ex2(cc, EVP_aes_256_gcm(), okm, iv, NULL) == 1 &&
			    EVP_EncryptUpdate(cc, NULL, &outl, ikm, 32) == 1 &&
			    EVP_EncryptUpdate(cc, ct, &outl, pt, (int)dp_len) == 1 &&
			    EVP_EncryptFinal_ex(cc, ct + outl, &outl) == 1 &&
			    EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
			EVP_CIPHER_CTX_free(cc);
		});
		if (!r)
			die("gcm");
		/* the SEALED_WRAP MAC: SHA-256 of package and backup + HMAC */
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
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(okm, sizeof(okm));
	EVP_KDF_free(kdf);
	EVP_MAC_free(hmac);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	free(pt);
	free(ct);
}
