// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Station authentication (station-auth.h).  The CRL is not added to the
 * SSL_CTX's X509_STORE (a CRL cannot be taken out of a store that
 * handshakes are using); instead each verification gets the current CRL
 * with X509_STORE_CTX_set0_crls() and X509_V_FLAG_CRL_CHECK, in the
 * SSL_CTX's certificate verification callback.  That callback also checks
 * the CRL file first (one stat(): device, inode, size, mtime) and re-reads
 * it when it changed, so a `chipkey-factory revoke` (which replaces the
 * file by rename) holds from the next handshake on.  A CRL file that is
 * missing, unreadable, not signed by a station CA or outside its
 * lastUpdate..nextUpdate fails closed: every station is refused
 * ("unable to get certificate CRL") until a valid one is there.
 *
 * A verification that succeeded is remembered (cache[]: at most
 * SPP_STATION_CACHE entries, the oldest replaced), keyed by the SHA-256 of
 * the certificates the station sent (its own first, DER) and the CRL load
 * it was made with (crl_gen); it holds until the first notAfter of the
 * verified chain or the CRL's nextUpdate, whichever comes first, and not
 * before the last notBefore / lastUpdate.  A station's next handshake then
 * skips X509_verify_cert (the chain's and the CRL's signatures: the same
 * certificates against the same CRL give the same answer).  Any change of
 * the CRL file (re-read, gone, invalid) empties the cache.  Refusals are
 * not remembered.  The handshake's own proof (the station's
 * CertificateVerify signature) is checked by OpenSSL every time.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "common/pki.h"
#include "factory/station-crl.h"
#include "station-auth.h"

static struct {
	pthread_mutex_t lock;
	char path[PATH_MAX];
	STACK_OF(X509) *cas;		/* the station CAs */
	X509_CRL *crl;			/* in force when loaded; NULL: none */
	/* per station CA (sa.cas), the highest cRLNumber loaded that its key
	 * signed (replay): a CA re-keyed under the same name starts again at
	 * 1, and must neither be taken for a replay of the other's CRL nor
	 * wipe out what the other's replay is compared to */
	X509_CRL **newest;
	struct stat st;			/* of the file last looked at */
	int have_st;
	unsigned long crl_gen;		/* +1 at every change of the CRL file */
	struct {
		uint8_t key[SHA256_DIGEST_LENGTH];
		unsigned long crl_gen;
		time_t from, until;	/* valid for now in [from, until) */
		int used;
	} cache[SPP_STATION_CACHE];
	unsigned int cache_next;	/* the entry replaced next */
} sa = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Under sa.lock: forget every remembered verification. */
static void cache_clear(void)
{
	memset(sa.cache, 0, sizeof(sa.cache));
	sa.cache_next = 0;
	sa.crl_gen++;
}

/* The log line of a CRL taken into force (sa.crl; an empty CRL has no
 * list at all: 0 revoked). */
static void loaded(void)
{
	STACK_OF(X509_REVOKED) *r = X509_CRL_get_REVOKED(sa.crl);

	fprintf(stderr, "chipkey-spp: station CRL %s loaded: %d revoked\n", sa.path,
		r ? sk_X509_REVOKED_num(r) : 0);
}

/* Read and check the CRL file: 0, *@out and the index of the station CA
 * that signed it in *@ca, or -errno and @why set. */
static int load_crl(X509_CRL **out, int *ca, const char **why)
{
	X509_CRL *crl = NULL;
	int err = station_crl_read(sa.path, &crl), best = -EKEYREJECTED;

	*out = NULL;
	if (err) {
		*why = err == -EINVAL ? "not a PEM CRL" : strerror(-err);
		return err;
	}
	for (int i = 0; i < sk_X509_num(sa.cas); i++) {
		err = station_crl_check(crl, sk_X509_value(sa.cas, i), time(NULL));
		if (!err) {
			*out = crl;
			*ca = i;
			return 0;
		}
		if (err != -EKEYREJECTED)
			best = err;
	}
	*why = best == -EKEYEXPIRED ? "outside its lastUpdate..nextUpdate (re-sign it: "
	       "chipkey-factory revoke DIR)" : best == -EINVAL ? "not a v2 CRL with a nextUpdate"
	       : "not signed by the station CA";
	X509_CRL_free(crl);
	return best;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Under sa.lock: re-read the CRL if its file changed. */
static void refresh_crl(void)
{
	struct stat st;
	X509_CRL *crl = NULL;
	const char *why = NULL;
	int ca;

	if (stat(sa.path, &st) < 0) {
		cache_clear();
		if (sa.have_st || sa.crl)
			fprintf(stderr, "chipkey-spp: station CRL %s: %s: refusing every station "
				"until it is back\n", sa.path, strerror(errno));
		sa.have_st = 0;
		X509_CRL_free(sa.crl);
		sa.crl = NULL;
		return;
	}
	if (sa.have_st && same_file(&st, &sa.st))
		return;
	cache_clear();
	sa.st = st;
	sa.have_st = 1;
	X509_CRL_free(sa.crl);
	sa.crl = NULL;
	if (load_crl(&crl, &ca, &why)) {
		fprintf(stderr, "chipkey-spp: station CRL %s: %s: refusing every station "
			"until it is valid\n", sa.path, why);
		return;
	}
	if (sa.newest[ca] && pki_crl_older(crl, sa.newest[ca])) {
		/* a replayed older CRL: the newer one stays, while it is current */
		X509_CRL_free(crl);
		if (X509_cmp_time(X509_CRL_get0_nextUpdate(sa.newest[ca]), NULL) <= 0) {
			fprintf(stderr, "chipkey-spp: station CRL %s: older than the one loaded "
				"before, which is past its nextUpdate: refusing every station\n",
				sa.path);
			return;
		}
		fprintf(stderr, "chipkey-spp: station CRL %s: older than the one loaded before "
			"(replayed?): keeping the newer one\n", sa.path);
		crl = sa.newest[ca];
		X509_CRL_up_ref(crl);
	} else {
		X509_CRL_free(sa.newest[ca]);
		X509_CRL_up_ref(crl);
		sa.newest[ca] = crl;
	}
	sa.crl = crl;
	loaded();
}

/* "CN=<cn> serial=<hex>" of @x, the CN's unprintable bytes as '?'. */
static void describe(X509 *x, char *buf, size_t size)
{
	char cn[65] = "?";
	BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	if (x && X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
					   cn, sizeof(cn)) < 0)
		snprintf(cn, sizeof(cn), "(none)");
	for (char *p = cn; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	snprintf(buf, size, "CN=%s serial=%s", cn, hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/* The client's address, as the gate logs it. */
static void peer_of(X509_STORE_CTX *xc, char *buf, size_t size)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xc, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = ssl ? SSL_get_fd(ssl) : -1;

	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) ||
	    getnameinfo((struct sockaddr *)&ss, sl, buf, (socklen_t)size, NULL, 0,
			NI_NUMERICHOST))
		snprintf(buf, size, "?");
}

static X509_CRL *crl_ref(const X509_CRL *c)
{
	X509_CRL_up_ref((X509_CRL *)c);
	return (X509_CRL *)c;
}

/* Under sa.lock: remember the verification of @xc (it succeeded) with
 * @crl, for as long as every certificate of its chain and @crl are
 * within their validity: notBefore/lastUpdate .. notAfter/nextUpdate. */
static void cache_put(X509_STORE_CTX *xc, const uint8_t key[SHA256_DIGEST_LENGTH],
		      unsigned long gen, X509_CRL *crl)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(xc);
	time_t from, until, t;
	unsigned int i;

	if (gen != sa.crl_gen || !chain || !crl ||
	    pki_asn1_time(X509_CRL_get0_lastUpdate(crl), &from) ||
	    pki_asn1_time(X509_CRL_get0_nextUpdate(crl), &until))
		return;
	for (int k = 0; k < sk_X509_num(chain); k++) {
		X509 *x = sk_X509_value(chain, k);

		if (pki_asn1_time(X509_get0_notBefore(x), &t))
			return;
		if (t > from)
			from = t;
		if (pki_asn1_time(X509_get0_notAfter(x), &t))
			return;
		if (t < until)
			until = t;
	}
	i = sa.cache_next;
	sa.cache_next = (i + 1) % SPP_STATION_CACHE;
	memcpy(sa.cache[i].key, key, SHA256_DIGEST_LENGTH);
	sa.cache[i].crl_gen = gen;
	sa.cache[i].from = from;
	sa.cache[i].until = until;
	sa.cache[i].used = 1;
}

/* Under sa.lock: 1 if a verification of @key with the CRL in force
 * succeeded and is still within its validity at @now */
static int cache_hit(const uint8_t key[SHA256_DIGEST_LENGTH], time_t now)
{
	for (unsigned int i = 0; i < SPP_STATION_CACHE; i++)
		if (sa.cache[i].used && sa.cache[i].crl_gen == sa.crl_gen &&
		    !memcmp(sa.cache[i].key, key, SHA256_DIGEST_LENGTH))
			return now >= sa.cache[i].from && now < sa.cache[i].until;
	return 0;
}

static int verify_station(X509_STORE_CTX *xc, void *arg)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	char who[200], peer[NI_MAXHOST];
	uint8_t key[SHA256_DIGEST_LENGTH];
	int have_key = !pki_certs_sha256(X509_STORE_CTX_get0_cert(xc),
					 X509_STORE_CTX_get0_untrusted(xc), key), hit = 0, ok;
	unsigned long gen;

	(void)arg;
	pthread_mutex_lock(&sa.lock);
	refresh_crl();
	gen = sa.crl_gen;
	if (sa.crl && have_key)
		hit = cache_hit(key, time(NULL));
	if (crls && sa.crl && !sk_X509_CRL_push(crls, crl_ref(sa.crl)))
		X509_CRL_free(sa.crl);
	pthread_mutex_unlock(&sa.lock);
	if (hit) {
		/* verified before, with this CRL, still within every validity */
		ok = 1;
	} else {
		X509_STORE_CTX_set0_crls(xc, crls);
		X509_STORE_CTX_set_flags(xc, X509_V_FLAG_CRL_CHECK);
		ok = crls && X509_verify_cert(xc) > 0;
		if (ok && have_key && sk_X509_CRL_num(crls) == 1) {
			pthread_mutex_lock(&sa.lock);
			cache_put(xc, key, gen, sk_X509_CRL_value(crls, 0));
			pthread_mutex_unlock(&sa.lock);
		}
	}
	describe(X509_STORE_CTX_get0_cert(xc), who, sizeof(who));
	peer_of(xc, peer, sizeof(peer));
	if (ok)
		fprintf(stderr, "chipkey-spp: %s station %s: certificate accepted\n", peer, who);
	else
		fprintf(stderr, "chipkey-spp: %s station %s: refused in the TLS handshake: %s\n",
			peer, who, X509_verify_cert_error_string(X509_STORE_CTX_get_error(xc)));
	X509_STORE_CTX_set0_crls(xc, NULL);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return ok;
}

int spp_station_auth_setup(SSL_CTX *ctx, const char *ca_file, X509 *issuing_ca,
			   const char *crl_file)
{
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
	const char *why = NULL;
	int ca;

	if (!names || SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		fprintf(stderr, "chipkey-spp: cannot load the station CA %s\n", ca_file);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	/* station certificates are issued by the issuing CA, under the root */
	if (issuing_ca && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), issuing_ca) != 1) {
		fprintf(stderr, "chipkey-spp: cannot add the issuing CA to the station CAs\n");
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if ((size_t)snprintf(sa.path, sizeof(sa.path), "%s", crl_file) >= sizeof(sa.path))
		return -1;
	sa.cas = X509_STORE_get1_all_certs(SSL_CTX_get_cert_store(ctx));
	if (!sa.cas || !(sa.newest = calloc((size_t)sk_X509_num(sa.cas) + 1, sizeof(*sa.newest))))
		return -1;
	if (stat(sa.path, &sa.st) < 0 || load_crl(&sa.crl, &ca, &why)) {
		fprintf(stderr, "chipkey-spp: station CRL %s: %s (chipkey-factory init makes "
			"one; --station-crl FILE)\n", sa.path, why ? why : strerror(errno));
		return -1;
	}
	/* the CRL of the start is the first "newest": one older than it
	 * put in place later is a replay too */
	X509_CRL_up_ref(sa.crl);
	sa.newest[ca] = sa.crl;
	sa.have_st = 1;
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK);
	SSL_CTX_set_cert_verify_callback(ctx, verify_station, NULL);
	loaded();
	return 0;
}

const char *spp_station_refusal(SSL *ssl, int required)
{
	X509 *peer;
	long vr;

	if (!required)
		return NULL;
	peer = SSL_get0_peer_certificate(ssl);
	vr = SSL_get_verify_result(ssl);
	if (!peer)
		return "no certificate";
	if (vr != X509_V_OK)
		return X509_verify_cert_error_string(vr);
	if (pki_check_station_role(peer))
		return "certificate without the station role";
	return NULL;
}

void spp_station_auth_free(void)
{
	X509_CRL_free(sa.crl);
	sa.crl = NULL;
	for (int i = 0; sa.newest && i < sk_X509_num(sa.cas); i++)
		X509_CRL_free(sa.newest[i]);
	free(sa.newest);
	sa.newest = NULL;
	sk_X509_pop_free(sa.cas, X509_free);
	sa.cas = NULL;
}
