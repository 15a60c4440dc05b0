// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey enroll --est URL [--anchor CA.pem] [--store DIR] [--keys DIR]
 *                [--db URL] [--renew]
 *
 * The device side of customer enrollment (docs/enrollment.md "The device
 * side"): a new customer key, the chip's proof, EST simpleenroll with the
 * factory credential, the answer checked, then the next data package
 * (factory entries kept, customer key, certificate and CA added) wrapped
 * as generation + 1, the flash store switched, the generation published,
 * the keys directory rewritten (the last three: nextgen.c, shared with
 * chipkey pair and unpair).
 *
 * The key pair is made here with OpenSSL, not in the chip: the chip
 * interface (include/uapi/linux/chipkey.h, lib/libchipkey.h) has no
 * general key generation, only wrap/unwrap, MAC, ATTEST and sealed keys.
 * The key is protected the way every device key is: inside a backup
 * package only this chip can unwrap.
 *
 * Crash safety: the pending key is kept wrapped by the chip in
 * STORE/enroll-pending.pkg (written atomically, fsync'd) before anything
 * is sent; a re-run reuses it, and the node re-delivers the certificate it
 * recorded for the same device and key.  The one commit point is the
 * flash store switch; publication and the keys directory follow and are
 * repeated by a re-run on a store that already holds the customer set.
 *
 * --renew, on a store holding the customer set: the current generation is
 * published first (repeatable), then a new key (pending, as above), EST
 * simplereenroll with the customer key and certificate, the request's
 * subject the current certificate's; the answer checked against the
 * stored customer CA; generation + 1 as above.  A re-run after a crash
 * before the store switch gets the recorded renewal again (same pending
 * key); after it, --renew renews once more (no harm: the node supersedes).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/crashpoint.h"
#include "common/hex.h"
#include "common/pem.h"
#include "common/pki.h"
#include "enroll/proof.h"
#include "flash/flash.h"
#include "recovery/recovery.h"
#include "cli.h"
#include "enroll.h"
#include "nextgen.h"

#define PENDING "enroll-pending.pkg"

struct enr {
	struct rec_ctx rc;
	struct ck_next n;		/* store, db, keys; the current generation */
	const char *est, *anchor;
	char *cert_pem, *key_pem;	/* factory credential for TLS */
};

static int usage(void)
{
	fprintf(stderr, "usage: chipkey enroll --est URL [--anchor CA.pem] [--store DIR] "
		"[--keys DIR] [--db URL] [--renew]\n");
	return CK_EXIT_USAGE;
}

static int fail(int code, const char *fmt, const char *arg)
{
	fprintf(stderr, "chipkey: enroll: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return code;
}

/* The factory key and certificate chain of the data package, PEM. */
static int factory_pem(struct enr *e)
{
	const uint8_t *k, *c, *ca;
	size_t kl, cl, cal;
	char *p = NULL, *q = NULL;
	size_t n, m = 0;

	if (ck_dp_get(e->n.dp, CK_DP_DEVICE_KEY, &k, &kl) ||
	    ck_dp_get(e->n.dp, CK_DP_DEVICE_CERT, &c, &cl))
		return -ENOENT;
	if (ck_pem_encode("PRIVATE KEY", k, kl, &e->key_pem, &n) ||
	    ck_pem_encode("CERTIFICATE", c, cl, &p, &n))
		return -ENOMEM;
	if (!ck_dp_get(e->n.dp, CK_DP_ISSUING_CA_CERT, &ca, &cal) &&
	    ck_pem_encode("CERTIFICATE", ca, cal, &q, &m)) {
		free(p);
		return -ENOMEM;
	}
	e->cert_pem = malloc(n + m + 1);
	if (e->cert_pem) {
		memcpy(e->cert_pem, p, n);
		memcpy(e->cert_pem + n, q ? q : "", m);
		e->cert_pem[n + m] = 0;
	}
	free(p);
	free(q);
	return e->cert_pem ? 0 : -ENOMEM;
}

/* The customer key and certificate of the data package, PEM (renewal). */
static int customer_pem(struct enr *e)
{
	const uint8_t *k, *c;
	size_t kl, cl, n;

	if (ck_dp_get(e->n.dp, CK_DP_CUSTOMER_KEY, &k, &kl) ||
	    ck_dp_get(e->n.dp, CK_DP_CUSTOMER_CERT, &c, &cl))
		return -ENOENT;
	if (ck_pem_encode("PRIVATE KEY", k, kl, &e->key_pem, &n) ||
	    ck_pem_encode("CERTIFICATE", c, cl, &e->cert_pem, &n))
		return -ENOMEM;
	return 0;
}

/* The certificate of entry @type of the data package, or NULL. */
static X509 *dp_x509(const struct ck_dp *dp, uint16_t type)
{
	const uint8_t *v;
	size_t len;

	return ck_dp_get(dp, type, &v, &len) ? NULL : d2i_X509(NULL, &v, (long)len);
}

/* The pending customer key: the one kept in STORE/enroll-pending.pkg, or
 * a new one written there (wrapped by the chip, fsync'd) before use. */
static EVP_PKEY *pending_key(struct enr *e, int *code)
{
	char path[4096];
	uint8_t *pkg = NULL, *plain = NULL, *der = NULL;
	size_t pkg_len, plain_len = 0, der_len = 0;
	const uint8_t *v;
	size_t len;
	struct ck_dp *p = NULL;
	EVP_PKEY *key = NULL;
	int err;

	*code = CK_EXIT_OTHER;
	snprintf(path, sizeof(path), "%s/%s", e->n.store, PENDING);
	err = ck_file_read(path, &pkg, &pkg_len, FLASH_MAX_BACKUP);
	if (!err) {
		plain_len = pkg_len;
		plain = malloc(plain_len);
		if (plain && !chipkey_unwrap(e->rc.ck, pkg, pkg_len, plain, &plain_len, NULL) &&
		    !ck_dp_decode(plain, plain_len, &p) &&
		    !ck_dp_get(p, CK_DP_CUSTOMER_KEY, &v, &len))
			key = d2i_AutoPrivateKey(NULL, &v, (long)len);
		if (!key)
			fprintf(stderr, "chipkey: enroll: %s is not a pending key of this chip\n", path);
		else if (e->rc.verbose)
			fprintf(stderr, "chipkey: enroll: reusing the pending key\n");
		goto out;
	}
	if (err != -ENOENT) {
		fprintf(stderr, "chipkey: enroll: %s: %s\n", path, strerror(-err));
		goto out;
	}
	key = EVP_EC_gen("P-256");
	p = ck_dp_new();
	if (!key || !p || pki_private_to_pkcs8_der(key, &der, &der_len) ||
	    ck_dp_set_device_id(p, e->n.identity) || ck_dp_set_chip_id(p, e->rc.chip_id) ||
	    ck_dp_set(p, CK_DP_CUSTOMER_KEY, 0, der, der_len) ||
	    ck_next_wrap(e->rc.ck, p, 0, &pkg, &pkg_len) ||
	    ck_file_write_atomic(path, pkg, pkg_len, 0600, 0)) {
		fprintf(stderr, "chipkey: enroll: cannot keep the pending key in %s\n", path);
		EVP_PKEY_free(key);
		key = NULL;
		*code = CK_EXIT_STORE_WRITE;
	}
	CK_CRASH_POINT("enroll-pending");
out:
	if (der)
		pki_free_secret(der, der_len);
	if (plain) {
		OPENSSL_cleanse(plain, plain_len);
		free(plain);
	}
	free(pkg);
	ck_dp_free(p);
	ERR_clear_error();
	return key;
}

/* GET cacerts: the customer CA (checked against --anchor) */
static X509 *customer_ca(struct enr *e, char *url, size_t n, int *code)
{
	struct enr_http h = { .url = url, .anchor = e->anchor };
	STACK_OF(X509) *sk;
	X509 *ca = NULL, *anchor = NULL;
	const char *why;
	FILE *f;

	snprintf(url, n, "%s/.well-known/est/cacerts", e->est);
	*code = CK_EXIT_UNTRUSTED;
	if (enr_http_do(&h)) {
		*code = h.untrusted ? CK_EXIT_UNTRUSTED : CK_EXIT_NETWORK;
		fail(*code, "%s", h.err);
		goto out;
	}
	sk = h.status == 200 ? enr_certs_only(h.resp, h.resp_len) : NULL;
	if (!sk || sk_X509_num(sk) != 1) {
		*code = CK_EXIT_PROTOCOL;
		fail(*code, "cacerts: not one CA certificate (HTTP %s)", h.status == 200 ? "200" : "error");
		sk_X509_pop_free(sk, X509_free);
		goto out;
	}
	ca = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	if (e->anchor) {
		f = fopen(e->anchor, "r");
		anchor = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		why = anchor ? enr_check_ca(ca, anchor) : "cannot read --anchor";
		if (why) {
			fail(*code, "%s", why);
			X509_free(ca);
			ca = NULL;
		}
	}
out:
	X509_free(anchor);
	enr_http_release(&h);
	return ca;
}

/* challenge, chip proof, simpleenroll: the node's certificate, checked */
static X509 *request(struct enr *e, EVP_PKEY *key, X509 *ca, char *url, size_t n, int *code)
{
	struct enr_http h = { .url = url, .anchor = e->anchor, .cert_pem = e->cert_pem,
			      .key_pem = e->key_pem, .body = "", .content_type = "text/plain" };
	uint8_t nonce[PROOF_NONCE_LEN], peer[CHIPKEY_EC_POINT_LEN], ctx[PROOF_CONTEXT_LEN];
	uint8_t csha[32], ksha[32], mac[CHIPKEY_MAC_LEN];
	char nhex[2 * PROOF_NONCE_LEN + 1], phex[2 * CHIPKEY_EC_POINT_LEN + 1];
	char hdr[64 + 2 * PROOF_NONCE_LEN + 2 * CHIPKEY_MAC_LEN], mhex[2 * CHIPKEY_MAC_LEN + 1];
	char *csr = enr_make_csr(key, e->n.identity);
	const uint8_t *c;
	size_t cl;
	STACK_OF(X509) *sk = NULL;
	X509 *cert = NULL;
	const char *why;

	*code = CK_EXIT_OTHER;
	ck_dp_get(e->n.dp, CK_DP_DEVICE_CERT, &c, &cl);
	if (!csr || enr_spki_sha256(key, ksha) ||
	    !EVP_Digest(c, cl, csha, NULL, EVP_sha256(), NULL))
		goto out;
	snprintf(url, n, "%s/chipkey/v1/challenge", e->est);
	if (enr_http_do(&h) || h.status != 200 ||
	    sscanf(h.resp, "nonce %64s peer %130s", nhex, phex) != 2 ||
	    ck_hex_decode(nhex, nonce, sizeof(nonce)) || ck_hex_decode(phex, peer, sizeof(peer))) {
		*code = h.status == 401 || h.status == 403 ? CK_EXIT_REFUSED : CK_EXIT_PROTOCOL;
		fail(*code, "challenge: %s", h.err[0] ? h.err : h.resp ? h.resp : "no answer");
		goto out;
	}
	enr_http_release(&h);
	proof_context(ctx, nonce, csha, ksha);
	if (chipkey_attest(e->rc.ck, peer, ctx, sizeof(ctx), mac)) {
		*code = fail(CK_EXIT_NODEV, "%s", "the chip did not answer ATTEST");
		goto out;
	}
	ck_hex_encode(mac, sizeof(mac), mhex);
	snprintf(hdr, sizeof(hdr), "%s: %s %s", PROOF_HEADER, nhex, mhex);
	snprintf(url, n, "%s/.well-known/est/simpleenroll", e->est);
	h.header = hdr;
	h.body = csr;
	h.body_len = strlen(csr);
	h.content_type = "application/pkcs10";
	if (enr_http_do(&h) || h.status != 200) {
		*code = h.status == 409 ? CK_EXIT_CONFLICT :
			h.status == 401 || h.status == 403 ? CK_EXIT_REFUSED : CK_EXIT_PROTOCOL;
		fail(*code, "simpleenroll: %s", h.err[0] ? h.err : h.resp ? h.resp : "no answer");
		goto out;
	}
	CK_CRASH_POINT("enroll-answer");
	sk = enr_certs_only(h.resp, h.resp_len);
	cert = sk && sk_X509_num(sk) == 1 ? sk_X509_shift(sk) : NULL;
	why = cert ? enr_check_answer(cert, key, e->n.identity, e->rc.chip_id, ca)
		   : "the answer is not one certificate";
	if (why) {
		*code = fail(CK_EXIT_UNTRUSTED, "refused the node's answer: %s", why);
		X509_free(cert);
		cert = NULL;
	}
out:
	sk_X509_pop_free(sk, X509_free);
	enr_http_release(&h);
	free(csr);
	return cert;
}

static int set_x509(struct ck_dp *dp, uint16_t type, X509 *x)
{
	uint8_t *der = NULL;
	size_t len;
	int err = pki_cert_to_der(x, &der, &len);

	if (!err)
		err = ck_dp_set(dp, type, 0, der, len);
	OPENSSL_free(der);
	return err;
}

/* simplereenroll with the customer credential: the renewed certificate, checked */
static X509 *renew_request(struct enr *e, EVP_PKEY *key, X509 *ca, char *url, size_t n,
			   int *code)
{
	struct enr_http h = { .url = url, .anchor = e->anchor, .cert_pem = e->cert_pem,
			      .key_pem = e->key_pem, .content_type = "application/pkcs10" };
	X509 *cur = dp_x509(e->n.dp, CK_DP_CUSTOMER_CERT), *cert = NULL;
	char *csr = cur ? enr_make_csr_name(key, X509_get_subject_name(cur)) : NULL;
	STACK_OF(X509) *sk = NULL;
	const char *why;

	*code = CK_EXIT_OTHER;
	if (!csr)
		goto out;
	snprintf(url, n, "%s/.well-known/est/simplereenroll", e->est);
	h.body = csr;
	h.body_len = strlen(csr);
	if (enr_http_do(&h) || h.status != 200) {
		*code = h.untrusted ? CK_EXIT_UNTRUSTED : h.status == 409 ? CK_EXIT_CONFLICT :
			h.status == 401 || h.status == 403 ? CK_EXIT_REFUSED :
			h.status ? CK_EXIT_PROTOCOL : CK_EXIT_NETWORK;
		fail(*code, "simplereenroll: %s", h.err[0] ? h.err : h.resp ? h.resp : "no answer");
		goto out;
	}
	CK_CRASH_POINT("renew-answer");
	sk = enr_certs_only(h.resp, h.resp_len);
	cert = sk && sk_X509_num(sk) == 1 ? sk_X509_shift(sk) : NULL;
	why = cert ? enr_check_answer(cert, key, e->n.identity, e->rc.chip_id, ca)
		   : "the answer is not one certificate";
	if (why) {
		*code = fail(CK_EXIT_UNTRUSTED, "refused the node's answer: %s", why);
		X509_free(cert);
		cert = NULL;
	}
out:
	sk_X509_pop_free(sk, X509_free);
	enr_http_release(&h);
	X509_free(cur);
	free(csr);
	return cert;
}

/* The customer set into the data package, then generation + 1 into the
 * flash store (the commit point, nextgen.c). */
static int store_next(struct enr *e, EVP_PKEY *key, X509 *cert, X509 *ca)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	char path[4096];
	int err = pki_private_to_pkcs8_der(key, &der, &der_len), rc;

	if (!err)
		err = ck_dp_set(e->n.dp, CK_DP_CUSTOMER_KEY, 0, der, der_len);
	if (der)
		pki_free_secret(der, der_len);
	if (err || set_x509(e->n.dp, CK_DP_CUSTOMER_CERT, cert) ||
	    set_x509(e->n.dp, CK_DP_CUSTOMER_CA_CERT, ca))
		return fail(CK_EXIT_OTHER, "%s", "cannot build the next data package");
	rc = ck_next_store(&e->n);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", e->n.store, PENDING);
	unlink(path);
	return CK_EXIT_OK;
}

int cmd_enroll(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "est", required_argument, NULL, 'e' },
		{ "anchor", required_argument, NULL, 'a' },
		{ "store", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "db", required_argument, NULL, 'D' },
		{ "renew", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct enr e = { .n = { .store = REC_DEFAULT_STORE, .keys = REC_DEFAULT_KEYS,
				.prog = "enroll" } };
	const uint8_t *v;
	size_t len;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL, *cert = NULL, *cur;
	char url[4096];
	int c, rc, renew = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'e')
			e.est = optarg;
		else if (c == 'a')
			e.anchor = optarg;
		else if (c == 's')
			e.n.store = optarg;
		else if (c == 'k')
			e.n.keys = optarg;
		else if (c == 'D')
			e.n.db = optarg;
		else if (c == 'r')
			renew = 1;
		else
			return usage();
	}
	if (!e.est || optind != argc || strlen(e.est) > 2000 || strncmp(e.est, "https://", 8))
		return usage();
	e.n.db = rec_db_url(e.n.db);
	if (!e.n.db)
		return fail(CK_EXIT_USAGE, "%s", "no public database (--db URL or $CHIPKEY_PUBDB)");
	rc = rec_open(&e.rc, cli->device);
	if (rc) {
		fprintf(stderr, "chipkey: %s\n", e.rc.msg);
		return rc;
	}
	e.rc.verbose = cli->verbose;
	e.rc.prog = "chipkey: enroll";
	e.n.rc = &e.rc;
	rc = ck_next_load(&e.n);
	if (rc)
		goto out;
	if (renew && ck_dp_get(e.n.dp, CK_DP_CUSTOMER_CERT, &v, &len)) {
		rc = fail(CK_EXIT_NOT_FOUND, "%s", "--renew: no customer certificate yet (enroll first)");
		goto out;
	} else if (renew) {
		/* the current generation published first: N + 1 follows N */
		rc = ck_next_catch_up(&e.n);
		if (rc)
			goto out;
		if (customer_pem(&e) || !(ca = dp_x509(e.n.dp, CK_DP_CUSTOMER_CA_CERT))) {
			rc = fail(CK_EXIT_MALFORMED, "%s",
				  "the data package has no customer key, certificate and CA");
			goto out;
		}
		key = pending_key(&e, &rc);
		cur = key ? dp_x509(e.n.dp, CK_DP_CUSTOMER_CERT) : NULL;
		if (cur && EVP_PKEY_eq(X509_get0_pubkey(cur), key) == 1) {
			/* left by a crash after the last switch: that key is in use */
			snprintf(url, sizeof(url), "%s/%s", e.n.store, PENDING);
			unlink(url);
			EVP_PKEY_free(key);
			key = pending_key(&e, &rc);
		}
		X509_free(cur);
		cert = key ? renew_request(&e, key, ca, url, sizeof(url), &rc) : NULL;
		if (!cert)
			goto out;
		rc = store_next(&e, key, cert, ca);
		if (rc)
			goto out;
	} else if (ck_dp_get(e.n.dp, CK_DP_CUSTOMER_CERT, &v, &len)) {
		/* the factory set: enroll (not on a store the database is ahead of) */
		rc = ck_next_catch_up(&e.n);
		if (rc)
			goto out;
		if (factory_pem(&e)) {
			rc = fail(CK_EXIT_MALFORMED, "%s",
				  "the data package has no factory key and certificate");
			goto out;
		}
		key = pending_key(&e, &rc);
		ca = key ? customer_ca(&e, url, sizeof(url), &rc) : NULL;
		cert = ca ? request(&e, key, ca, url, sizeof(url), &rc) : NULL;
		if (!cert)
			goto out;
		rc = store_next(&e, key, cert, ca);
		if (rc)
			goto out;
	} else if (cli->verbose) {
		fprintf(stderr, "chipkey: enroll: the store holds the customer set (generation %llu):"
			" finishing\n", (unsigned long long)e.n.gen);
	}
	rc = ck_next_finish(&e.n);
	if (rc)
		goto out;
	printf("%s: identity %s, generation %llu\n", renew ? "renewed" : "enrolled", e.n.identity,
	       (unsigned long long)e.n.gen);
out:
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	ck_next_release(&e.n);
	if (e.key_pem) {
		OPENSSL_cleanse(e.key_pem, strlen(e.key_pem));
		free(e.key_pem);
	}
	free(e.cert_pem);
	rec_close(&e.rc);
	return rc;
}
