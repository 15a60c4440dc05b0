// SPDX-License-Identifier: GPL-2.0
/*
 * Factory directory tests (factory/factory-init.c, factory.c, package.c):
 * init, open, the mode check of secret files, and the data package a
 * loaded factory builds for a device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/pki.h"
#include "common/tap.h"
#include "factory/factory.h"
#include "factory/pki-issue.h"

#define IMEI "352099001761481"
static const uint8_t chip[16] = {
	0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
};

static void test_factory_dir(void)
{
	char tmpl[] = "/tmp/ck-factory-test-XXXXXX", dir[200], path[300];
	struct ck_factory *f = NULL;
	struct ck_dp *dp = NULL;
	X509 *cert = NULL;
	uint8_t *enc = NULL, cid[16], ck[32];
	size_t enc_len = 0;
	const uint8_t *v;
	size_t vlen;
	char id[16];
	EVP_PKEY *k = NULL;

	if (!mkdtemp(tmpl)) {
		tap_ok(0, "temp dir");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/factory", tmpl);
	tap_ok(ck_factory_init(dir, NULL) == 0, "factory created");
	tap_ok(ck_factory_init(dir, NULL) == -EEXIST, "second init refused (-EEXIST)");
	tap_ok(ck_factory_open(dir, &f) == 0 && f->spp_key && f->spp_cert,
	       "factory loads, with its SPP credential");
	if (!f)
		goto out;
	tap_ok(pki_verify_spp_cert(f->spp_cert, f->ca_cert, f->rom_key, f->rom_key_len, 0) == 0,
	       "the SPP credential chains to the factory's ROM key");
	tap_ok(ck_factory_build_package(f, IMEI, chip, NULL, 1, NULL, &dp, &cert) == 0,
	       "data package built for one device");
	if (!dp || !cert)
		goto out;
	{
		int err = ck_dp_encode(dp, &enc, &enc_len);

		tap_ok(err == 0 && enc_len <= CK_DP_MAX_LEN,
		       "data package encodes (%zu bytes)", enc_len);
	}
	ck_dp_free(dp);
	dp = NULL;
	tap_ok(ck_dp_decode(enc, enc_len, &dp) == 0 && ck_dp_device_id(dp, id) == 0 &&
	       !strcmp(id, IMEI) && ck_dp_chip_id(dp, cid) == 0 && !memcmp(cid, chip, 16),
	       "decoded package names the identity and chip");
	tap_ok(dp && ck_dp_get(dp, CK_DP_CHANNEL_KEY, &v, &vlen) == 0 &&
	       pki_channel_key(f->master, IMEI, ck) == 0 && vlen == 32 && !memcmp(v, ck, 32),
	       "package channel key = re-derivation from master key and identity");
	if (dp && ck_dp_get(dp, CK_DP_DEVICE_KEY, &v, &vlen) == 0)
		k = pki_private_from_pkcs8_der(v, vlen);
	tap_ok(k && EVP_PKEY_eq(k, X509_get0_pubkey(cert)) == 1,
	       "package device key matches the certificate");
	{
		X509 *c2 = NULL;

		if (dp && ck_dp_get(dp, CK_DP_DEVICE_CERT, &v, &vlen) == 0)
			c2 = pki_cert_from_der(v, vlen);
		tap_ok(c2 && pki_verify_device_cert(c2, f->ca_cert, f->rom_key, f->rom_key_len, IMEI,
						    chip, 0) == 0,
		       "package certificate verifies against the ROM key for this chip");
		X509_free(c2);
	}
	{
		EVP_PKEY *pre = pki_ec_keygen();
		struct ck_dp *dp2 = NULL;
		X509 *c3 = NULL;

		tap_ok(ck_factory_build_package(f, IMEI, chip, pre, 1, NULL, &dp2, &c3) == 0 &&
		       EVP_PKEY_eq(pre, X509_get0_pubkey(c3)) == 1,
		       "package built with a pre-generated key pair uses that key");
		ck_dp_free(dp2);
		X509_free(c3);
		EVP_PKEY_free(pre);
	}
	ck_factory_close(f);
	f = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, CK_FACTORY_MASTER_KEY);
	chmod(path, 0644);
	tap_ok(ck_factory_open(dir, &f) == -EPERM,
	       "factory with a group/other-readable master key refused");
	chmod(path, 0600);
out:
	EVP_PKEY_free(k);
	ck_factory_close(f);
	ck_dp_free(dp);
	ck_dp_buf_free(enc, enc_len);
	X509_free(cert);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	if (system(path))
		tap_diag("could not remove %s", tmpl);
}

int main(void)
{
	test_factory_dir();
	return tap_exit_status();
}
