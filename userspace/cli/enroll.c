// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey enroll --est URL [--anchor CA.pem] [--store DIR] [--keys DIR]
 *                [--db URL] [--renew | --serverkeygen]
 *
 * Without --anchor, the data package's customer-anchor entry (put there
 * by the factory) is the anchor: two-way; with neither, one-way.
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
 *
 * --serverkeygen, on the factory set: the chip proof (keygen label) for a
 * throwaway request key, EST serverkeygen; the node's key opened with the
 * factory key (CMS EnvelopedData), the certificate checked against it; key,
 * certificate and CA kept in the pending file before the store switch (the
 * node sends no key twice), from which a re-run finishes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/crashpoint.h"
#include "common/file.h"
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
	const char *est;
	char *anchor;			/* the anchor (set_anchor), PEM, or NULL */
	X509 *anchor_ca;		/* the same, parsed */
	char *cert_pem, *key_pem;	/* factory credential for TLS */
};

static int usage(void)
{
	fprintf(stderr, "usage: chipkey enroll --est URL [--anchor CA.pem] [--store DIR] "
		"[--keys DIR] [--db URL] [--renew | --serverkeygen]\n");
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

/*
 * Keep @key (and, from serverkeygen, its certificate @cert and the
 * customer CA @ca) in STORE/enroll-pending.pkg: a data package wrapped by
 * the chip (generation 0), written atomically and fsync'd.  0 or -errno.
 */
static int pending_write(struct enr *e, EVP_PKEY *key, X509 *cert, X509 *ca)
{
	char path[4096];
	uint8_t *pkg = NULL, *der = NULL;
	size_t pkg_len, der_len = 0;
	struct ck_dp *p = ck_dp_new();
	int err = -ENOMEM;

	snprintf(path, sizeof(path), "%s/%s", e->n.store, PENDING);
	if (p && !pki_private_to_pkcs8_der(key, &der, &der_len) &&
	    !ck_dp_set_device_id(p, e->n.identity) && !ck_dp_set_chip_id(p, e->rc.chip_id) &&
	    !ck_dp_set(p, CK_DP_CUSTOMER_KEY, 0, der, der_len) &&
	    (!cert || !set_x509(p, CK_DP_CUSTOMER_CERT, cert)) &&
	    (!ca || !set_x509(p, CK_DP_CUSTOMER_CA_CERT, ca)) &&
	    !ck_next_wrap(e->rc.ck, p, 0, &pkg, &pkg_len))
		err = ck_file_write_atomic(path, pkg, pkg_len, 0600, 0);
	if (err)
		fprintf(stderr, "chipkey: enroll: cannot keep the pending key in %s\n", path);
	if (der)
		pki_free_secret(der, der_len);
	free(pkg);
	ck_dp_free(p);
	ERR_clear_error();
	return err;
}

/*
 * The pending customer key: the one kept in STORE/enroll-pending.pkg (with
 * *@cert and *@ca if a serverkeygen answer was kept there; @cert NULL: not
 * asked), or if there is none and @make, a new one written there before
 * use.  Anything but a regular file there (planted: chipkey renames only
 * regular files into place) is removed and counts as none.  NULL with
 * *@code (none and not @make: CK_EXIT_NOT_FOUND).
 */
static EVP_PKEY *pending_key(struct enr *e, int make, X509 **cert, X509 **ca, int *code)
{
	char path[4096];
	uint8_t *pkg = NULL, *plain = NULL;
	size_t pkg_len, plain_len = 0;
	const uint8_t *v;
	size_t len;
	struct ck_dp *p = NULL;
	EVP_PKEY *key = NULL;
	int dfd = -1, err;

	*code = CK_EXIT_OTHER;
	snprintf(path, sizeof(path), "%s/%s", e->n.store, PENDING);
	dfd = flash_dir_open(e->n.store);
	if (dfd < 0) {
		fprintf(stderr, "chipkey: enroll: %s: %s\n", e->n.store, strerror(-dfd));
		goto out;
	}
	/* a regular file only, never followed, never blocking on a FIFO */
	err = ck_file_read_at(dfd, PENDING, FLASH_MAX_BACKUP, &pkg, &pkg_len);
	if (err == -EINVAL || err == -ELOOP || err == -ENXIO) {
		/* not a file chipkey wrote (those are renamed into place):
		 * it holds no key, so it is as good as none */
		fprintf(stderr, "chipkey: enroll: %s is not a regular file: removed\n", path);
		err = fs_rm_tree_at(dfd, PENDING);
		if (err) {
			fprintf(stderr, "chipkey: enroll: %s: %s\n", path, strerror(-err));
			goto out;
		}
		err = -ENOENT;
	}
	if (!err) {
		int uerr = -ENOMEM;

		plain_len = pkg_len;
		plain = malloc(plain_len);
		if (plain)
			uerr = chipkey_unwrap(e->rc.ck, pkg, pkg_len, plain, &plain_len, NULL);
		if (!uerr && !ck_dp_decode(plain, plain_len, &p) &&
		    !ck_dp_get(p, CK_DP_CUSTOMER_KEY, &v, &len))
			key = d2i_AutoPrivateKey(NULL, &v, (long)len);
		if (key && cert) {
			*cert = dp_x509(p, CK_DP_CUSTOMER_CERT);
			*ca = dp_x509(p, CK_DP_CUSTOMER_CA_CERT);
		}
		if (key) {
			if (e->rc.verbose)
				fprintf(stderr, "chipkey: enroll: reusing the pending key\n");
			goto out;
		}
		if (uerr && uerr != -EBADMSG && uerr != -ENOKEY && uerr != -EINVAL &&
		    uerr != -EMSGSIZE) {
			/* the chip could not answer (not allowed, I/O): it may
			 * still be a pending key of this chip, kept */
			fprintf(stderr, "chipkey: enroll: %s: cannot unwrap: %s\n", path,
				strerror(-uerr));
			goto out;
		}
		/* not a package this chip made with a customer key in it:
		 * planted, it holds no key of ours, so it is as good as none */
		fprintf(stderr, "chipkey: enroll: %s is not a pending key of this chip: removed\n",
			path);
		err = unlinkat(dfd, PENDING, 0) ? -errno : -ENOENT;
		if (err != -ENOENT) {
			fprintf(stderr, "chipkey: enroll: %s: %s\n", path, strerror(-err));
			goto out;
		}
		OPENSSL_cleanse(plain, plain_len);
		ck_dp_free(p);
		p = NULL;
	}
	if (err != -ENOENT) {
		fprintf(stderr, "chipkey: enroll: %s: %s\n", path, strerror(-err));
		goto out;
	}
	if (!make) {
		*code = CK_EXIT_NOT_FOUND;
		goto out;
	}
	key = EVP_EC_gen("P-256");
	if (!key || pending_write(e, key, NULL, NULL)) {
		EVP_PKEY_free(key);
		key = NULL;
		*code = CK_EXIT_STORE_WRITE;
	}
	CK_CRASH_POINT("enroll-pending");
out:
	if (dfd >= 0)
		close(dfd);
	if (plain) {
		OPENSSL_cleanse(plain, plain_len);
		free(plain);
	}
	free(pkg);
	ck_dp_free(p);
	ERR_clear_error();
	return key;
}

/*
 * One request to the node: 0 with a 200 answer in @h; else the exit code
 * (docs/enrollment.md "Exit status of chipkey enroll"), the reason on
 * stderr: 19 the node's TLS certificate is not the anchor's; 10 no answer
 * (no node, the connection refused, reset or closed mid-request); 20
 * 401/403; 22 409; 21 any other status; 8 no libcurl.
 */
static int exchange(struct enr_http *h, const char *what)
{
	int rc = enr_http_do(h), code;

	if (!rc && h->status == 200)
		return 0;
	if (rc == -ECONNREFUSED)
		code = h->untrusted ? CK_EXIT_UNTRUSTED : CK_EXIT_NETWORK;
	else if (rc)
		code = CK_EXIT_OTHER;
	else
		code = h->status == 409 ? CK_EXIT_CONFLICT :
		       h->status == 401 || h->status == 403 ? CK_EXIT_REFUSED : CK_EXIT_PROTOCOL;
	fprintf(stderr, "chipkey: enroll: %s: ", what);
	if (!rc)
		fprintf(stderr, "HTTP %ld: ", h->status);
	fprintf(stderr, "%s\n", h->err[0] ? h->err : h->resp && h->resp[0] ? h->resp : "no answer");
	return code;
}

/* GET cacerts: the customer CA (checked against --anchor) */
static X509 *customer_ca(struct enr *e, char *url, size_t n, int *code)
{
	struct enr_http h = { .url = url, .anchor = e->anchor };
	STACK_OF(X509) *sk;
	X509 *ca = NULL;
	const char *why;

	snprintf(url, n, "%s/.well-known/est/cacerts", e->est);
	*code = exchange(&h, "cacerts");
	if (*code)
		goto out;
	*code = CK_EXIT_UNTRUSTED;
	sk = enr_certs_only(h.resp, h.resp_len);
	if (!sk || sk_X509_num(sk) != 1) {
		*code = fail(CK_EXIT_PROTOCOL, "%s", "cacerts: not one CA certificate");
		sk_X509_pop_free(sk, X509_free);
		goto out;
	}
	ca = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	if (e->anchor_ca) {
		why = enr_check_ca(ca, e->anchor_ca);
		if (why) {
			fail(*code, "%s", why);
			X509_free(ca);
			ca = NULL;
		}
	}
out:
	enr_http_release(&h);
	return ca;
}

/*
 * The certificate of the node's answer, checked (enroll-answer.c): for
 * @key, this identity and chip, chaining to @ca alone.  NULL: exit 19.
 */
static X509 *check_cert(struct enr *e, STACK_OF(X509) *sk, EVP_PKEY *key, X509 *ca, int *code)
{
	X509 *cert = sk && sk_X509_num(sk) == 1 ? sk_X509_shift(sk) : NULL;
	const char *why = cert ? enr_check_answer(cert, key, e->n.identity, e->rc.chip_id, ca)
			       : "the answer is not one certificate";

	if (why) {
		*code = fail(CK_EXIT_UNTRUSTED, "refused the node's answer: %s", why);
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

/*
 * POST @h (simpleenroll, simplereenroll) and check its certs-only answer:
 * the certificate, or NULL with the exit code in *@code.  The one path of
 * enrollment and renewal: @crash names the crash point once answered.
 */
static X509 *post_cert(struct enr *e, struct enr_http *h, const char *what, const char *crash,
		       EVP_PKEY *key, X509 *ca, int *code)
{
	STACK_OF(X509) *sk;
	X509 *cert;

	(void)crash;	/* without CK_CRASH_HOOKS */
	*code = exchange(h, what);
	if (*code)
		return NULL;
	CK_CRASH_POINT(crash);
	sk = enr_certs_only(h->resp, h->resp_len);
	cert = check_cert(e, sk, key, ca, code);
	sk_X509_pop_free(sk, X509_free);
	return cert;
}

/*
 * challenge, then the chip's MAC over the context for @label and @csr's
 * key (@ksha): the Chipkey-Attest header line in @hdr.  0 or the exit code.
 */
static int chip_proof(struct enr *e, const char *label, const uint8_t ksha[32], char *url,
		      size_t n, char hdr[64 + 2 * PROOF_NONCE_LEN + 2 * CHIPKEY_MAC_LEN])
{
	struct enr_http h = { .url = url, .anchor = e->anchor, .cert_pem = e->cert_pem,
			      .key_pem = e->key_pem, .body = "", .content_type = "text/plain" };
	uint8_t nonce[PROOF_NONCE_LEN], peer[CHIPKEY_EC_POINT_LEN], ctx[PROOF_CONTEXT_LEN];
	uint8_t csha[32], mac[CHIPKEY_MAC_LEN];
	char nhex[2 * PROOF_NONCE_LEN + 1], phex[2 * CHIPKEY_EC_POINT_LEN + 1];
	char mhex[2 * CHIPKEY_MAC_LEN + 1];
	const uint8_t *c;
	size_t cl;
	int code;

	if (ck_dp_get(e->n.dp, CK_DP_DEVICE_CERT, &c, &cl) ||
	    !EVP_Digest(c, cl, csha, NULL, EVP_sha256(), NULL))
		return CK_EXIT_OTHER;
	snprintf(url, n, "%s/chipkey/v1/challenge", e->est);
	code = exchange(&h, "challenge");
	if (!code && (sscanf(h.resp, "nonce %64s peer %130s", nhex, phex) != 2 ||
		      ck_hex_decode(nhex, nonce, sizeof(nonce)) ||
		      ck_hex_decode(phex, peer, sizeof(peer))))
		code = fail(CK_EXIT_PROTOCOL, "challenge: not a challenge: %s", h.resp);
	enr_http_release(&h);
	if (code)
		return code;
	proof_context_label(ctx, label, nonce, csha, ksha);
	if (chipkey_attest(e->rc.ck, peer, ctx, sizeof(ctx), mac))
		return fail(CK_EXIT_NODEV, "%s", "the chip did not answer ATTEST");
	ck_hex_encode(mac, sizeof(mac), mhex);
	snprintf(hdr, 64 + 2 * PROOF_NONCE_LEN + 2 * CHIPKEY_MAC_LEN, "%s: %s %s",
		 PROOF_HEADER, nhex, mhex);
	return 0;
}

/* challenge, chip proof, simpleenroll: the node's certificate, checked */
static X509 *request(struct enr *e, EVP_PKEY *key, X509 *ca, char *url, size_t n, int *code)
{
	char hdr[64 + 2 * PROOF_NONCE_LEN + 2 * CHIPKEY_MAC_LEN];
	char *csr = enr_make_csr(key, e->n.identity);
	struct enr_http h = { .url = url, .anchor = e->anchor, .cert_pem = e->cert_pem,
			      .key_pem = e->key_pem, .header = hdr, .body = csr,
			      .body_len = csr ? strlen(csr) : 0, .content_type = "application/pkcs10" };
	uint8_t ksha[32];
	X509 *cert = NULL;

	*code = CK_EXIT_OTHER;
	if (csr && !enr_spki_sha256(key, ksha) &&
	    !(*code = chip_proof(e, PROOF_LABEL, ksha, url, n, hdr))) {
		snprintf(url, n, "%s/.well-known/est/simpleenroll", e->est);
		cert = post_cert(e, &h, "simpleenroll", "enroll-answer", key, ca, code);
	}
	enr_http_release(&h);
	free(csr);
	return cert;
}

/*
 * serverkeygen (docs/enrollment.md "The device side"): challenge and chip
 * proof (the keygen label) for a throwaway request key, POST serverkeygen;
 * the key of the answer opened with the factory key and checked to be a
 * P-256 key, the certificate checked against it as simpleenroll's answer.
 * The certificate, the key in *@key; or NULL with *@code.
 */
static X509 *keygen_request(struct enr *e, X509 *ca, char *url, size_t n, EVP_PKEY **key,
			    int *code)
{
	char hdr[64 + 2 * PROOF_NONCE_LEN + 2 * CHIPKEY_MAC_LEN];
	EVP_PKEY *tmp = EVP_EC_gen("P-256"), *fkey = NULL;
	char *csr = tmp ? enr_make_csr(tmp, e->n.identity) : NULL;
	struct enr_http h = { .url = url, .anchor = e->anchor, .cert_pem = e->cert_pem,
			      .key_pem = e->key_pem, .header = hdr, .body = csr,
			      .body_len = csr ? strlen(csr) : 0, .content_type = "application/pkcs10" };
	X509 *fcert = dp_x509(e->n.dp, CK_DP_DEVICE_CERT), *cert = NULL;
	STACK_OF(X509) *sk = NULL;
	uint8_t *env = NULL, ksha[32];
	size_t env_len = 0, kl;
	const uint8_t *k;
	const char *why;

	*key = NULL;
	*code = CK_EXIT_OTHER;
	if (!csr || !fcert || enr_spki_sha256(tmp, ksha) ||
	    ck_dp_get(e->n.dp, CK_DP_DEVICE_KEY, &k, &kl) ||
	    !(fkey = d2i_AutoPrivateKey(NULL, &k, (long)kl)) ||
	    (*code = chip_proof(e, PROOF_LABEL_KEYGEN, ksha, url, n, hdr)))
		goto out;
	snprintf(url, n, "%s/.well-known/est/serverkeygen", e->est);
	*code = exchange(&h, "serverkeygen");
	if (*code)
		goto out;
	CK_CRASH_POINT("keygen-answer");
	why = enr_keygen_parts(h.ctype, h.resp, h.resp_len, &env, &env_len, &sk);
	if (why) {
		*code = fail(CK_EXIT_PROTOCOL, "serverkeygen: %s", why);
		goto out;
	}
	*key = enr_open_key(env, env_len, fkey, fcert);
	if (!*key) {
		*code = fail(CK_EXIT_UNTRUSTED, "%s", "refused the node's answer: the key does not"
			     " open with the factory key, or is not a P-256 key");
		goto out;
	}
	cert = check_cert(e, sk, *key, ca, code);
	if (!cert) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
out:
	sk_X509_pop_free(sk, X509_free);
	free(env);
	X509_free(fcert);
	EVP_PKEY_free(fkey);
	EVP_PKEY_free(tmp);
	enr_http_release(&h);
	free(csr);
	ERR_clear_error();
	return cert;
}

/* simplereenroll with the customer credential: the renewed certificate, checked */
static X509 *renew_request(struct enr *e, EVP_PKEY *key, X509 *ca, char *url, size_t n,
			   int *code)
{
	X509 *cur = dp_x509(e->n.dp, CK_DP_CUSTOMER_CERT), *cert = NULL;
	char *csr = cur ? enr_make_csr_name(key, X509_get_subject_name(cur)) : NULL;
	struct enr_http h = { .url = url, .anchor = e->anchor, .cert_pem = e->cert_pem,
			      .key_pem = e->key_pem, .body = csr, .body_len = csr ? strlen(csr) : 0,
			      .content_type = "application/pkcs10" };

	*code = CK_EXIT_OTHER;
	if (csr) {
		snprintf(url, n, "%s/.well-known/est/simplereenroll", e->est);
		cert = post_cert(e, &h, "simplereenroll", "renew-answer", key, ca, code);
	}
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

/*
 * The anchor of a two-way enrollment (--anchor FILE, or the data package's
 * customer-anchor entry: docs/enrollment.md "The anchor from the factory"):
 * exactly one CA certificate, nothing after it.  curl gets it re-encoded
 * (CURLOPT_CAINFO_BLOB) and the cacerts check gets it parsed, so both
 * trust the same one certificate.  0 or -EINVAL.
 */
static int set_anchor(struct enr *e, const uint8_t *der, size_t len)
{
	const uint8_t *p = der;
	X509 *ca = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	size_t pl;

	if (!ca || p != der + len || X509_check_ca(ca) != 1 ||
	    ck_pem_encode("CERTIFICATE", der, len, &e->anchor, &pl)) {
		X509_free(ca);
		ERR_clear_error();
		return -EINVAL;
	}
	e->anchor_ca = ca;
	return 0;
}

/* --anchor FILE: one PEM certificate (set_anchor).  0, or an exit code. */
static int file_anchor(struct enr *e, const char *path)
{
	uint8_t *buf = NULL, *der = NULL;
	size_t len;
	int n, err;
	BIO *b;
	X509 *x = NULL, *more = NULL;

	err = ck_file_read(path, &buf, &len, 1u << 20);
	if (err) {
		fprintf(stderr, "chipkey: enroll: --anchor %s: %s\n", path, strerror(-err));
		return CK_EXIT_USAGE;
	}
	b = len <= INT_MAX ? BIO_new_mem_buf(buf, (int)len) : NULL;
	x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	more = x ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	n = x && !more ? i2d_X509(x, &der) : -1;
	err = n > 0 ? set_anchor(e, der, (size_t)n) : -EINVAL;
	OPENSSL_free(der);
	X509_free(more);
	X509_free(x);
	BIO_free(b);
	free(buf);
	ERR_clear_error();
	if (err)
		return fail(CK_EXIT_MALFORMED, "--anchor %s: not one CA certificate (PEM)", path);
	return 0;
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
		{ "serverkeygen", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct enr e = { .n = { .store = REC_DEFAULT_STORE, .keys = REC_DEFAULT_KEYS,
				.prog = "enroll" } };
	const uint8_t *v;
	size_t len;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL, *cert = NULL, *cur;
	char url[4096];
	const char *anchor_file = NULL;
	int c, rc, renew = 0, keygen = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'e')
			e.est = optarg;
		else if (c == 'a')
			anchor_file = optarg;
		else if (c == 's')
			e.n.store = optarg;
		else if (c == 'k')
			e.n.keys = optarg;
		else if (c == 'D')
			e.n.db = optarg;
		else if (c == 'r')
			renew = 1;
		else if (c == 'g')
			keygen = 1;
		else
			return usage();
	}
	if (!e.est || optind != argc || strlen(e.est) > 2000 || strncmp(e.est, "https://", 8) ||
	    (renew && keygen))
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
	if (anchor_file) {
		rc = file_anchor(&e, anchor_file);
		if (rc)
			goto out;
	} else if (!ck_dp_get(e.n.dp, CK_DP_CUSTOMER_ANCHOR, &v, &len)) {
		if (set_anchor(&e, v, len)) {
			rc = fail(CK_EXIT_MALFORMED, "%s",
				  "the data package's customer anchor is not one CA certificate");
			goto out;
		}
		if (cli->verbose)
			fprintf(stderr, "chipkey: enroll: two-way: the anchor from the data package\n");
	}
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
		key = pending_key(&e, 1, NULL, NULL, &rc);
		cur = key ? dp_x509(e.n.dp, CK_DP_CUSTOMER_CERT) : NULL;
		if (cur && EVP_PKEY_eq(X509_get0_pubkey(cur), key) == 1) {
			/* left by a crash after the last switch: that key is in use */
			snprintf(url, sizeof(url), "%s/%s", e.n.store, PENDING);
			unlink(url);
			EVP_PKEY_free(key);
			key = pending_key(&e, 1, NULL, NULL, &rc);
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
		key = pending_key(&e, !keygen, &cert, &ca, &rc);
		if (key && (cert || ca)) {
			/* a serverkeygen answer kept before a crash: stored, no request */
			const char *why = cert && ca ? enr_check_answer(cert, key, e.n.identity,
									 e.rc.chip_id, ca) :
						       "incomplete";

			if (why) {
				rc = fail(CK_EXIT_MALFORMED, "the kept serverkeygen answer: %s", why);
				goto out;
			}
		} else if (keygen && key) {
			rc = fail(CK_EXIT_CONFLICT, "%s", "--serverkeygen: a simpleenroll is pending ("
				  PENDING "): finish it without --serverkeygen");
			goto out;
		} else if (keygen && rc == CK_EXIT_NOT_FOUND) {
			ca = customer_ca(&e, url, sizeof(url), &rc);
			cert = ca ? keygen_request(&e, ca, url, sizeof(url), &key, &rc) : NULL;
			if (!cert)
				goto out;
			/* kept before it is stored: the node never sends this key again */
			if (pending_write(&e, key, cert, ca)) {
				rc = CK_EXIT_STORE_WRITE;
				goto out;
			}
			CK_CRASH_POINT("keygen-pending");
		} else {
			ca = key ? customer_ca(&e, url, sizeof(url), &rc) : NULL;
			cert = ca ? request(&e, key, ca, url, sizeof(url), &rc) : NULL;
		}
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
	free(e.anchor);
	X509_free(e.anchor_ca);
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
