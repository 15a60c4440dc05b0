// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spp-check: independent checks of a provisioned device for test-spp.sh.
 * Prints diagnostics as "# ..." and exits 0 (pass) or 1 (fail).
 *
 * DB is the factory database's URL, or FACTORY_URL|PUBLIC_URL: then the
 * public store's record is checked too (docs/databases.md, "Databases apart").
 *
 *   spp-check device DB FACTORY STORE_DIR DEVICE [OTHER_DEVICE]
 *       the flash store, the issued record (the public record, 170, as the
 *       factory store keeps it; and the public store's), the secret record (160)
 *       and the backup unwrapped on DEVICE all agree; the data package is
 *       exactly the secret record plus the device private key, whose public
 *       half is the certificate's; the channel key is the one derived from
 *       the master key; OTHER_DEVICE cannot unwrap the backup (-ENOKEY)
 *   spp-check nothing DB CHIP_HEX     no public and no secret record
 *   spp-check counts DB               "free reserved issued kfree kreserved"
 *   spp-check invariants DUMP ...     crash-safety invariants (invariants.c)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <chipkey/data_package.h>
#include "common/file.h"
#include "common/hex.h"
#include "lib/libchipkey.h"
#include "common/pki.h"
#include "common/channel-key.h"
#include "factory/factory.h"
#include "store/store.h"

#define FAIL(...) do { printf("# " __VA_ARGS__); printf("\n"); goto out; } while (0)

/* DIR/NAME, whole (common/file.h); NULL if it cannot be read. */
static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	uint8_t *buf = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ck_file_read(path, &buf, len, 1 << 20)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The factory store of DB and, if DB names one, the public store (*pub). */
static int open_store(const char *db, struct store **st, struct store **pub)
{
	char err[256], url[4096];
	const char *bar = strchr(db, '|');

	*st = NULL;
	if (pub)
		*pub = NULL;
	snprintf(url, sizeof(url), "%.*s", bar ? (int)(bar - db) : (int)strlen(db), db);
	if (store_open_kind(url, STORE_FACTORY, st, err, sizeof(err)) ||
	    (bar && pub && store_open_kind(bar + 1, STORE_PUBLIC, pub, err, sizeof(err)))) {
		printf("# store: %s\n", err);
		store_close(*st);
		*st = NULL;
		return -1;
	}
	return 0;
}

/* The public store's newest record of @chip equals @want. */
static int same_public(struct store *pub, const struct store_pub_record *want)
{
	struct store_pub_record r;
	int ok;

	if (store_pub_latest(pub, want->chip_id, &r)) {
		printf("# public store: %s\n", store_error(pub));
		return 0;
	}
	ok = r.generation == want->generation && !strcmp(r.identity, want->identity) &&
	     r.backup_len == want->backup_len && !memcmp(r.backup, want->backup, r.backup_len) &&
	     r.cert_len == want->cert_len && !memcmp(r.cert, want->cert, r.cert_len);
	store_pub_record_clear(&r);
	return ok;
}

static int check_device(char **argv, int argc)
{
	struct store *st = NULL, *ps = NULL;
	struct ck_factory *fac = NULL;
	struct chipkey *ck = NULL, *other = NULL;
	struct chipkey_info info;
	struct store_pub_record pub;
	struct store_secret_record sec;
	struct ck_dp *dp = NULL, *sdp = NULL;
	uint8_t *bk = NULL, *cert = NULL, *idf = NULL, *out = NULL;
	size_t bk_len = 0, cert_len = 0, id_len = 0, out_len = CHIPKEY_MAX_PAYLOAD;
	char id[16];
	const uint8_t *v, *v2;
	size_t vl, vl2;
	uint8_t chan[CK_DP_CHANNEL_KEY_LEN];
	EVP_PKEY *dk = NULL, *ck_pub = NULL;
	X509 *x = NULL;
	int rc = 1, err;

	memset(&pub, 0, sizeof(pub));
	memset(&sec, 0, sizeof(sec));
	if (open_store(argv[2], &st, &ps) || ck_factory_open(argv[3], &fac))
		FAIL("cannot open the store or the factory");
	bk = slurp(argv[4], "backup.pkg", &bk_len);
	cert = slurp(argv[4], "device-cert.der", &cert_len);
	idf = slurp(argv[4], "identity", &id_len);
	if (!bk || !cert || !idf || id_len != 16 || idf[15] != '\n')
		FAIL("flash store incomplete");
	if (chipkey_open(argv[5], &ck) || chipkey_get_info(ck, &info))
		FAIL("cannot open device %s", argv[5]);
	if (store_issued_get(st, info.chip_id, &pub))
		FAIL("no issued record: %s", store_error(st));
	if (ps && !same_public(ps, &pub))
		FAIL("the public store's record is not the one issued");
	if (pub.backup_len != bk_len || memcmp(pub.backup, bk, bk_len))
		FAIL("public backup differs from the flash store");
	if (pub.cert_len != cert_len || memcmp(pub.cert, cert, cert_len))
		FAIL("public certificate differs from the flash store");
	if (memcmp(pub.identity, idf, 15))
		FAIL("public identity differs from the flash store");
	if (store_secret_get(st, info.chip_id, &sec))
		FAIL("no secret record: %s", store_error(st));
	err = chipkey_unwrap(ck, bk, bk_len, (out = malloc(out_len)), &out_len, NULL);
	if (err)
		FAIL("backup does not unwrap on its own device: %s", chipkey_strerror(err));
	if (ck_dp_decode(out, out_len, &dp) || ck_dp_decode(sec.data, sec.data_len, &sdp))
		FAIL("data package does not decode");
	if (ck_dp_device_id(dp, id) || memcmp(id, idf, 15) || strcmp(sec.identity, id))
		FAIL("identity in the package differs");
	/* Package == secret record + device key. */
	if (ck_dp_count(dp) != ck_dp_count(sdp) + 1)
		FAIL("entry count: package %zu, secret record %zu", ck_dp_count(dp),
		     ck_dp_count(sdp));
	for (size_t i = 0; i < ck_dp_count(sdp); i++) {
		uint16_t t, fl;

		if (ck_dp_entry(sdp, i, &t, &fl, &v, &vl) ||
		    ck_dp_get(dp, t, &v2, &vl2) || vl != vl2 || memcmp(v, v2, vl))
			FAIL("entry %u differs between package and secret record", t);
	}
	if (ck_dp_get(dp, CK_DP_DEVICE_CERT, &v, &vl) || vl != cert_len ||
	    memcmp(v, cert, vl))
		FAIL("certificate in the package differs");
	if (ck_dp_get(dp, CK_DP_CHANNEL_KEY, &v, &vl) ||
	    pki_channel_key(fac->master, id, chan) || vl != sizeof(chan) ||
	    CRYPTO_memcmp(v, chan, vl))
		FAIL("channel key is not derived from the master key");
	if (ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &vl) ||
	    !(dk = pki_private_from_pkcs8_der(v, vl)) ||
	    !(x = pki_cert_from_der(cert, cert_len)) ||
	    !(ck_pub = X509_get_pubkey(x)) || EVP_PKEY_eq(dk, ck_pub) != 1)
		FAIL("device key does not match the certificate");
	if (pki_verify_device_cert(x, fac->ca_cert, fac->rom_key, fac->rom_key_len, id,
				   info.chip_id, 0))
		FAIL("certificate does not verify for this identity and chip");
	if (argc > 6) {
		size_t ol = CHIPKEY_MAX_PAYLOAD;

		if (chipkey_open(argv[6], &other))
			FAIL("cannot open %s", argv[6]);
		err = chipkey_unwrap(other, bk, bk_len, out, &ol, NULL);
		if (err != -ENOKEY)
			FAIL("another chip's unwrap gave %d, want -ENOKEY", err);
	}
	rc = 0;
out:
	if (out) {
		OPENSSL_cleanse(out, CHIPKEY_MAX_PAYLOAD);
		free(out);
	}
	EVP_PKEY_free(dk);
	EVP_PKEY_free(ck_pub);
	X509_free(x);
	ck_dp_free(dp);
	ck_dp_free(sdp);
	store_pub_record_clear(&pub);
	store_secret_record_clear(&sec);
	free(bk);
	free(cert);
	free(idf);
	chipkey_close(ck);
	chipkey_close(other);
	ck_factory_close(fac);
	store_close(st);
	store_close(ps);
	return rc;
}

int spp_check_invariants(int argc, char **argv);

int main(int argc, char **argv)
{
	struct store *st = NULL, *ps = NULL;
	int rc = 1;

	if (argc >= 5 && !strcmp(argv[1], "invariants"))
		return spp_check_invariants(argc, argv);
	if (argc >= 6 && !strcmp(argv[1], "device"))
		return check_device(argv, argc);
	if (argc == 4 && !strcmp(argv[1], "nothing")) {
		uint8_t chip[16];
		struct store_pub_record pub;
		struct store_secret_record sec;
		int a, b, c = -ENOENT;

		memset(&pub, 0, sizeof(pub));
		memset(&sec, 0, sizeof(sec));
		if (open_store(argv[2], &st, &ps) || ck_hex_decode(argv[3], chip, STORE_CHIP_ID_LEN))
			return 1;
		a = store_issued_get(st, chip, &pub);
		store_pub_record_clear(&pub);
		b = store_secret_get(st, chip, &sec);
		if (ps)
			c = store_pub_latest(ps, chip, &pub);
		store_pub_record_clear(&pub);
		store_secret_record_clear(&sec);
		store_close(st);
		store_close(ps);
		if (a != -ENOENT || b != -ENOENT || c != -ENOENT) {
			printf("# issued record: %d, secret record: %d, public record: %d"
			       " (want -ENOENT)\n", a, b, c);
			return 1;
		}
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "counts")) {
		uint64_t f = 0, r = 0, i = 0, kf = 0, kr = 0;

		if (open_store(argv[2], &st, NULL))
			return 1;
		if (!store_identity_counts(st, &f, &r, &i) &&
		    !store_keypair_counts(st, &kf, &kr)) {
			printf("%llu %llu %llu %llu %llu\n", (unsigned long long)f,
			       (unsigned long long)r, (unsigned long long)i,
			       (unsigned long long)kf, (unsigned long long)kr);
			rc = 0;
		}
		store_close(st);
		return rc;
	}
	fprintf(stderr, "usage: see the comment at the top of spp-check.c\n");
	return 2;
}
