// SPDX-License-Identifier: GPL-2.0
/*
 * Factory PKI tests: the certificates factory/pki-issue.c issues, checked by
 * the device-side verification (common/pki.c) against a ROM key, and the
 * channel key derivation (checked against `openssl kdf` and Python's
 * cryptography HKDF, two independent implementations).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/hex.h"
#include "common/pki.h"
#include "common/tap.h"
#include "common/channel-key.h"
#include "factory/pki-issue.h"
#include "factory/station-crl.h"

#define IMEI "352099001761481"
static const uint8_t chip[16] = {
	0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
};

/* Run a shell command, return its first output line (trimmed) or "". */
static void run_cmd(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");

	out[0] = '\0';
	if (!p)
		return;
	if (!fgets(out, (int)size, p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\r\n")] = '\0';
}

/* A manufacturer: root (ROM key) and the issuing CA it signed. */
struct ca {
	EVP_PKEY *root_key;
	X509 *root;
	EVP_PKEY *key;		/* the issuing CA */
	X509 *cert;
	uint8_t *rom;
	size_t rom_len;
};

static int make_ca(struct ca *c, const char *org)
{
	c->root_key = pki_ec_keygen();
	c->root = c->root_key ? pki_make_mfr_ca(c->root_key, org, NULL, 0) : NULL;
	c->key = pki_ec_keygen();
	c->cert = c->root && c->key ? pki_make_issuing_ca(c->root_key, c->root, c->key,
							  NULL, 0) : NULL;
	return c->cert && pki_public_to_der(c->root_key, &c->rom, &c->rom_len) == 0;
}

static void free_ca(struct ca *c)
{
	EVP_PKEY_free(c->root_key);
	X509_free(c->root);
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	OPENSSL_free(c->rom);
}

/* Re-parse @cert with one byte of its DER changed at @off. */
static X509 *tamper(X509 *cert, size_t off)
{
	uint8_t *der = NULL;
	size_t len = 0;
	X509 *t;

	if (pki_cert_to_der(cert, &der, &len))
		return NULL;
	der[off % len] ^= 0x01;
	t = pki_cert_from_der(der, len);
	OPENSSL_free(der);
	return t;
}

static size_t find_in_der(X509 *cert, const char *s)
{
	uint8_t *der = NULL;
	size_t len = 0, n = strlen(s), at = 0;

	pki_cert_to_der(cert, &der, &len);
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(der + i, s, n)) {
			at = i;
			break;
		}
	OPENSSL_free(der);
	return at;
}

static void test_certs(void)
{
	struct ca ca = { 0 }, other = { 0 };
	EVP_PKEY *dev = pki_ec_keygen(), *spp = pki_ec_keygen();
	X509 *cert = NULL, *sppc = NULL, *t;
	char id[16];
	uint8_t cid[16], other_chip[16];
	time_t now = time(NULL), before = 0;
	size_t off;
	int rc;

	tap_ok(make_ca(&ca, "Test Maker") && make_ca(&other, "Other Maker"),
	       "two manufacturer CAs created");
	tap_ok(X509_check_ca(ca.root) >= 1 && X509_verify(ca.root, ca.root_key) == 1,
	       "manufacturer root CA is a self-signed CA");
	tap_ok(pki_verify_issuing_ca(ca.cert, ca.rom, ca.rom_len, 0) == 0,
	       "the issuing CA verifies against the ROM key");
	tap_ok(pki_verify_issuing_ca(ca.cert, other.rom, other.rom_len, 0) == -EKEYREJECTED,
	       "an issuing CA of another root is refused");
	tap_ok(pki_verify_issuing_ca(ca.root, ca.rom, ca.rom_len, 0) == -EKEYREJECTED,
	       "the root itself (pathlen 1) is not an issuing CA");
	/* the issuing CA's signature is remembered once it verified
	 * (common/pki.c): nothing else is */
	{
		uint8_t *ider = NULL;
		size_t ilen = 0;

		pki_cert_to_der(ca.cert, &ider, &ilen);
		OPENSSL_free(ider);
		for (int i = 0; i < 3; i++) {
			t = tamper(ca.cert, i == 0 ? ilen - 1 : i == 1 ? ilen - 30 : 40);
			tap_ok(ilen > 100 && t &&
			       pki_verify_issuing_ca(ca.cert, ca.rom, ca.rom_len, 0) == 0 &&
			       pki_verify_issuing_ca(t, ca.rom, ca.rom_len, 0) != 0,
			       "a verified issuing CA changed in one byte (%s) is refused",
			       i < 2 ? "its signature" : "the signed part");
			X509_free(t);
		}
	}
	tap_ok(pki_verify_issuing_ca(ca.cert, ca.rom, ca.rom_len, 0) == 0 &&
	       !pki_asn1_time(X509_get0_notBefore(ca.cert), &before) &&
	       pki_verify_issuing_ca(ca.cert, ca.rom, ca.rom_len, before - 86400) ==
	       -EKEYEXPIRED &&
	       pki_verify_issuing_ca(ca.cert, other.rom, other.rom_len, 0) == -EKEYREJECTED,
	       "a verified issuing CA: still not valid before its notBefore, still not another root's");
	cert = pki_issue_device_cert(ca.key, ca.cert, IMEI, chip, dev, NULL, 0);
	tap_ok(cert != NULL, "device certificate issued");
	if (!cert)
		goto out;
	tap_ok(pki_cert_device_identity(cert, id) == 0 && !strcmp(id, IMEI),
	       "identity parsed back from the certificate");
	tap_ok(pki_cert_chip_id(cert, cid) == 0 && !memcmp(cid, chip, 16),
	       "chip ID parsed back from the certificate");
	tap_ok(EVP_PKEY_eq(X509_get0_pubkey(cert), dev) == 1,
	       "certificate carries the device public key");
	tap_ok(pki_verify_device_cert(cert, ca.cert, ca.rom, ca.rom_len, IMEI, chip, 0) == 0,
	       "verifies against the manufacturer ROM key, naming identity and chip");
	tap_ok(pki_verify_device_cert(cert, ca.cert, ca.rom, ca.rom_len, NULL, NULL, 0) == 0,
	       "verifies without expected identity/chip");
	tap_ok(pki_verify_device_cert(cert, other.cert, other.rom, other.rom_len, NULL, NULL, 0) ==
	       -EKEYREJECTED, "refused against another manufacturer's ROM key");
	{
		X509 *forged = pki_issue_device_cert(other.key, ca.cert, IMEI, chip, dev, NULL, 0);

		tap_ok(forged &&
		       pki_verify_device_cert(forged, ca.cert, ca.rom, ca.rom_len, NULL, NULL, 0) ==
		       -EKEYREJECTED,
		       "certificate signed by another key (same issuer name) refused");
		X509_free(forged);
		/* a whole foreign chain: its own issuing CA, not signed by our root */
		forged = pki_issue_device_cert(other.key, other.cert, IMEI, chip, dev, NULL, 0);
		tap_ok(forged &&
		       pki_verify_device_cert(forged, other.cert, ca.rom, ca.rom_len, NULL, NULL, 0) ==
		       -EKEYREJECTED,
		       "device certificate of a foreign issuing CA (not under the ROM key) refused");
		X509_free(forged);
	}
	off = find_in_der(cert, IMEI);
	t = off ? tamper(cert, off + 3) : NULL;
	tap_ok(t && pki_verify_device_cert(t, ca.cert, ca.rom, ca.rom_len, NULL, NULL, 0) == -EKEYREJECTED,
	       "certificate with a changed identity digit refused");
	X509_free(t);
	off = find_in_der(cert, "urn:chipkey:chip-id:");
	t = off ? tamper(cert, off + 22) : NULL;
	tap_ok(t && pki_verify_device_cert(t, ca.cert, ca.rom, ca.rom_len, NULL, NULL, 0) == -EKEYREJECTED,
	       "certificate with a changed chip ID refused");
	X509_free(t);
	memcpy(other_chip, chip, 16);
	other_chip[15] ^= 1;
	tap_ok(pki_verify_device_cert(cert, ca.cert, ca.rom, ca.rom_len, "490154203237518", NULL, 0) ==
	       -EKEYREJECTED, "refused when it names another identity");
	tap_ok(pki_verify_device_cert(cert, ca.cert, ca.rom, ca.rom_len, NULL, other_chip, 0) ==
	       -EKEYREJECTED, "refused when it names another chip");
	tap_ok(pki_verify_device_cert(cert, ca.cert, ca.rom, ca.rom_len, NULL, NULL,
				      now + 3600L * 24 * 365 * 100) == 0,
	       "device certificate (no expiry) still valid in 100 years");
	tap_ok(pki_verify_device_cert(cert, ca.cert, ca.rom, ca.rom_len, NULL, NULL, now - 3600) ==
	       -EKEYEXPIRED,
	       "device certificate not valid before its notBefore");
	tap_ok(pki_verify_device_cert(ca.cert, ca.cert, ca.rom, ca.rom_len, NULL, NULL, 0) == -EKEYREJECTED,
	       "the CA certificate is not accepted as a device certificate");
	tap_ok(!pki_issue_device_cert(ca.key, ca.cert, "352099001761482", chip, dev, NULL, 0) &&
	       !pki_issue_device_cert(ca.key, ca.cert, "35209900176148", chip, dev, NULL, 0),
	       "no certificate for an identity with a wrong check digit");
	ERR_clear_error();

	sppc = pki_issue_spp_cert(ca.key, ca.cert, spp, "spp.example", 30);
	tap_ok(sppc && pki_verify_spp_cert(sppc, ca.cert, ca.rom, ca.rom_len, 0) == 0,
	       "SPP credential verifies against the ROM key");
	tap_ok(sppc && pki_verify_spp_cert(sppc, other.cert, other.rom, other.rom_len, 0) == -EKEYREJECTED,
	       "SPP credential refused against another ROM key");
	tap_ok(sppc && pki_verify_spp_cert(sppc, ca.cert, ca.rom, ca.rom_len, now + 3600L * 24 * 31) ==
	       -EKEYEXPIRED,
	       "expired SPP credential refused");
	tap_ok(pki_verify_spp_cert(cert, ca.cert, ca.rom, ca.rom_len, 0) == -EKEYREJECTED,
	       "a device certificate is not accepted as an SPP credential");
	rc = sppc ? pki_verify_device_cert(sppc, ca.cert, ca.rom, ca.rom_len, NULL, NULL, 0) : 0;
	tap_ok(rc == -EKEYREJECTED, "an SPP credential is not accepted as a device certificate");
out:
	X509_free(cert);
	X509_free(sppc);
	EVP_PKEY_free(dev);
	EVP_PKEY_free(spp);
	free_ca(&ca);
	free_ca(&other);
}

/*
 * The subject public key is written from the encoded point, not through
 * X509_set_pubkey(): the result must be the same SubjectPublicKeyInfo, with
 * the key identifier over it, and the X509 returned must have the key
 * decoded; the DER variant must give a certificate just as valid.
 */
static void test_cert_pubkey(void)
{
	struct ca ca = { 0 };
	EVP_PKEY *dev = pki_ec_keygen();
	X509 *cert = NULL, *fromder = NULL;
	unsigned char *spki = NULL, *cert_spki = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const ASN1_OCTET_STRING *skid;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int spki_len, cert_spki_len;

	if (!tap_ok(dev && make_ca(&ca, "Key Maker"), "CA and device key for the SPKI tests"))
		goto out;
	cert = pki_issue_device_cert(ca.key, ca.cert, IMEI, chip, dev, NULL, 0);
	tap_ok(cert && X509_get0_pubkey(cert) != NULL,
	       "issued X509 has its public key decoded (X509_get0_pubkey)");
	if (!cert)
		goto out;
	spki_len = i2d_PUBKEY(dev, &spki);
	cert_spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &cert_spki);
	tap_ok(spki_len > 0 && spki_len == cert_spki_len &&
	       !memcmp(spki, cert_spki, (size_t)spki_len),
	       "certificate SPKI is byte-identical to i2d_PUBKEY of the device key (%d bytes)",
	       spki_len);
	skid = X509_get0_subject_key_id(cert);
	tap_ok(skid && X509_pubkey_digest(cert, EVP_sha1(), md, &mdlen) == 1 &&
	       (unsigned int)ASN1_STRING_length(skid) == mdlen &&
	       !memcmp(ASN1_STRING_get0_data(skid), md, mdlen),
	       "subjectKeyIdentifier is the SHA-1 of the subject public key");
	tap_ok(pki_issue_device_cert_der(ca.key, ca.cert, IMEI, chip, dev, NULL, 0,
					 &der, &der_len) == 0 &&
	       (fromder = pki_cert_from_der(der, der_len)) != NULL &&
	       pki_verify_device_cert(fromder, ca.cert, ca.rom, ca.rom_len, IMEI, chip, 0) == 0 &&
	       EVP_PKEY_eq(X509_get0_pubkey(fromder), dev) == 1,
	       "pki_issue_device_cert_der: DER verifies and carries the device key");
	{
		uint8_t *bad = (uint8_t *)"x";
		size_t bad_len = 1;

		tap_ok(pki_issue_device_cert_der(ca.key, ca.cert, "35209900176148", chip,
						 dev, NULL, 0, &bad, &bad_len) == -EINVAL &&
		       !bad && !bad_len,
		       "pki_issue_device_cert_der: bad identity -> -EINVAL, no output");
	}
out:
	OPENSSL_free(cert_spki);
	OPENSSL_free(spki);
	OPENSSL_free(der);
	X509_free(cert);
	X509_free(fromder);
	EVP_PKEY_free(dev);
	free_ca(&ca);
}

static void test_channel_key(void)
{
	uint8_t master[32], master2[32], k1[32], k2[32], k3[32];
	char mhex[65], khex[65], infohex[2 * 40 + 1], cmd[1024], out[256];
	static const char *const ids[] = { IMEI, "490154203237518", "000000000000000" };
	int agree_openssl = 1, agree_python = 1, python_ok = 1;

	RAND_bytes(master, sizeof(master));
	memcpy(master2, master, 32);
	master2[0] ^= 0x80;
	tap_ok(pki_channel_key(master, IMEI, k1) == 0 && pki_channel_key(master, IMEI, k2) == 0 &&
	       !memcmp(k1, k2, 32), "channel key is deterministic");
	tap_ok(pki_channel_key(master, "490154203237518", k2) == 0 && memcmp(k1, k2, 32) &&
	       pki_channel_key(master2, IMEI, k3) == 0 && memcmp(k1, k3, 32),
	       "channel key depends on identity and master key");
	tap_ok(pki_channel_key(master, "352099001761482", k2) == -EINVAL,
	       "no channel key for an invalid identity");

	ck_hex_encode(master, 32, mhex);
	python_ok = system("python3 -c 'import cryptography.hazmat.primitives.kdf.hkdf' "
			   "2>/dev/null") == 0;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char info[64];

		snprintf(info, sizeof(info), "chipkey v1 channel key%s", ids[i]);
		ck_hex_encode((const uint8_t *)info, strlen(info), infohex);
		pki_channel_key(master, ids[i], k1);
		ck_hex_encode(k1, 32, khex);
		snprintf(cmd, sizeof(cmd),
			 "openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:%s "
			 "-kdfopt hexinfo:%s HKDF 2>/dev/null | tr -d ':' | tr 'A-F' 'a-f'",
			 mhex, infohex);
		run_cmd(cmd, out, sizeof(out));
		if (strcmp(out, khex)) {
			tap_diag("openssl kdf: %s, library: %s", out, khex);
			agree_openssl = 0;
		}
		if (python_ok) {
			snprintf(cmd, sizeof(cmd),
				 "python3 -c 'import sys\n"
				 "from cryptography.hazmat.primitives import hashes\n"
				 "from cryptography.hazmat.primitives.kdf.hkdf import HKDF\n"
				 "k = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, "
				 "info=b\"chipkey v1 channel key\" + sys.argv[2].encode())"
				 ".derive(bytes.fromhex(sys.argv[1]))\n"
				 "print(k.hex())' %s %s", mhex, ids[i]);
			run_cmd(cmd, out, sizeof(out));
			if (strcmp(out, khex)) {
				tap_diag("python: %s, library: %s", out, khex);
				agree_python = 0;
			}
		}
	}
	tap_ok(agree_openssl, "channel keys equal `openssl kdf ... HKDF` for 3 identities");
	if (python_ok)
		tap_ok(agree_python,
		       "channel keys equal Python cryptography HKDF for 3 identities");
	else
		tap_skip("python3-cryptography missing", "channel keys equal Python HKDF");
	OPENSSL_cleanse(master, sizeof(master));
}

/* The attestation key Q in the device certificate: read back by
 * pki_cert_attest_key(), not critical, the DER (the SPP's way) alike, and
 * no certificate at all for a Q that is not a P-256 point.  The openssl
 * command's view of it: test-chip-batch.sh. */
static void test_attest_key(void)
{
	struct ca ca = { 0 };
	EVP_PKEY *dev = pki_ec_keygen(), *qk = pki_ec_keygen();
	uint8_t *spki = NULL, *der = NULL, q[PKI_ATTEST_PUB_LEN], bad[PKI_ATTEST_PUB_LEN];
	size_t len = 0, der_len = 0;
	ASN1_OBJECT *oid = OBJ_txt2obj(PKI_ATTEST_KEY_OID, 1);
	X509 *cert = NULL, *c2 = NULL;
	int loc;

	if (!tap_ok(dev && qk && oid && make_ca(&ca, "Attest Maker") &&
		    !pki_public_to_der(qk, &spki, &len) && len == 91,
		    "keys for the attestation key tests"))
		goto out;
	cert = pki_issue_device_cert(ca.key, ca.cert, IMEI, chip, dev, spki + 26, 0);
	memset(q, 0, sizeof(q));
	tap_ok(cert && pki_cert_attest_key(cert, q) == 0 && !memcmp(q, spki + 26, sizeof(q)),
	       "device certificate with Q: pki_cert_attest_key reads Q back");
	loc = cert ? X509_get_ext_by_OBJ(cert, oid, -1) : -1;
	tap_ok(loc >= 0 && !X509_EXTENSION_get_critical(X509_get_ext(cert, loc)) &&
	       ASN1_STRING_length(X509_EXTENSION_get_data(X509_get_ext(cert, loc))) == 91 &&
	       !memcmp(ASN1_STRING_get0_data(X509_EXTENSION_get_data(X509_get_ext(cert, loc))),
		       spki, 91),
	       "the extension is not critical and holds Q's DER SPKI, byte for byte");
	tap_ok(pki_verify_device_cert(cert, ca.cert, ca.rom, ca.rom_len, IMEI, chip, 0) == 0,
	       "the device certificate with Q still verifies against the ROM key");
	tap_ok(pki_issue_device_cert_der(ca.key, ca.cert, IMEI, chip, dev, spki + 26, 0,
					 &der, &der_len) == 0 &&
	       (c2 = pki_cert_from_der(der, der_len)) && pki_cert_attest_key(c2, q) == 0 &&
	       !memcmp(q, spki + 26, sizeof(q)), "pki_issue_device_cert_der carries Q too");
	X509_free(c2);
	c2 = pki_issue_device_cert(ca.key, ca.cert, IMEI, chip, dev, NULL, 0);
	tap_ok(c2 && pki_cert_attest_key(c2, q) == -ENOENT, "NULL: no extension");
	X509_free(c2);
	memcpy(bad, spki + 26, sizeof(bad));
	bad[64] ^= 1;
	c2 = pki_issue_device_cert(ca.key, ca.cert, IMEI, chip, dev, bad, 0);
	tap_ok(!c2, "a Q off the curve: no certificate");
	X509_free(c2);
	ERR_clear_error();
out:
	ASN1_OBJECT_free(oid);
	OPENSSL_free(spki);
	OPENSSL_free(der);
	X509_free(cert);
	free_ca(&ca);
	EVP_PKEY_free(dev);
	EVP_PKEY_free(qk);
}

/* @c (NULL: a new set) with one CRL more, made by station_crl_make(@key,
 * @issuer) listing @serial (NULL: none), through a file as devices read it. */
static struct pki_crls *one_crl(struct pki_crls *c, EVP_PKEY *key, X509 *issuer,
				const ASN1_INTEGER *serial)
{
	char path[] = "/tmp/ck-test-crl-XXXXXX", err[128];
	X509_CRL *crl = station_crl_make(key, issuer, NULL, serial, CRL_REASON_NONE, 30);
	int fd = mkstemp(path);

	if (fd >= 0)
		close(fd);
	if (crl && fd >= 0 && !station_crl_write(path, crl))
		pki_crls_add(&c, path, err, sizeof(err));
	unlink(path);
	X509_CRL_free(crl);
	return c;
}

/* Revocation as devices check it (common/pki-crl.c), against CRLs made by
 * the factory's CRL code and the checks' verdicts. */
static void test_crls(void)
{
	struct ca ca = { 0 }, other = { 0 };
	EVP_PKEY *dev = pki_ec_keygen();
	X509 *cert = NULL;
	struct pki_crls *c;
	time_t now = time(NULL);
	char why[320], rname[256];

	if (!make_ca(&ca, "Test Maker") || !make_ca(&other, "Other Maker") || !dev ||
	    !(cert = pki_issue_device_cert(ca.key, ca.cert, IMEI, chip, dev, NULL, 0))) {
		tap_ok(0, "CRL test set-up");
		goto out;
	}
	c = one_crl(one_crl(NULL, ca.root_key, ca.root, NULL), ca.key, ca.cert, NULL);
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, 0, NULL, 0) == 0,
	       "CRL: empty CRLs of the root and the issuing CA revoke nothing");
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, now + 31L * 86400, NULL, 0) ==
	       -EKEYEXPIRED, "CRL: past its nextUpdate: -EKEYEXPIRED (fail closed)");
	pki_crls_free(c);
	c = one_crl(one_crl(NULL, ca.root_key, ca.root, NULL), ca.key, ca.cert,
		    X509_get0_serialNumber(cert));
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, 0, NULL, 0) == -EKEYREVOKED,
	       "CRL: the device certificate listed by its issuing CA: -EKEYREVOKED");
	pki_crls_free(c);
	c = one_crl(NULL, ca.key, ca.cert, X509_get0_serialNumber(cert));
	why[0] = 0;
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, 0, why, sizeof(why)) ==
	       -EKEYREVOKED, "CRL: ... also without the root's CRL (a listing is a listing)");
	pki_crls_free(c);
	c = one_crl(NULL, ca.key, ca.cert, NULL);
	X509_NAME_oneline(X509_get_subject_name(ca.root), rname, sizeof(rname));
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, 0, why, sizeof(why)) ==
	       -ENOKEY && strstr(why, rname),
	       "CRL: only the issuing CA's CRL: -ENOKEY naming the root (fail closed)");
	pki_crls_free(c);
	c = one_crl(NULL, ca.root_key, ca.root, NULL);
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, 0, why, sizeof(why)) ==
	       -ENOKEY, "CRL: only the root's CRL: -ENOKEY (the issuing CA's is missing)");
	pki_crls_free(c);
	c = one_crl(one_crl(NULL, ca.root_key, ca.root, NULL), other.key, ca.cert,
		    X509_get0_serialNumber(cert));
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, 0, NULL, 0) == -ENOKEY,
	       "CRL: a CRL with the issuing CA's name but signed by another key does not count");
	pki_crls_free(c);
	c = one_crl(NULL, ca.root_key, ca.root, X509_get0_serialNumber(ca.cert));
	tap_ok(c && pki_crls_check(c, cert, ca.cert, ca.rom, ca.rom_len, 0, NULL, 0) == -EKEYREVOKED,
	       "CRL: the issuing CA listed by the root: its device certificates -EKEYREVOKED");
	pki_crls_free(c);
	tap_ok(pki_crls_check(NULL, cert, ca.cert, ca.rom, ca.rom_len, 0, NULL, 0) == 0,
	       "CRL: no CRLs given: nothing checked");
out:
	X509_free(cert);
	EVP_PKEY_free(dev);
	free_ca(&ca);
	free_ca(&other);
}

int main(void)
{
	EVP_PKEY *k = pki_ec_keygen();

	tap_ok(k && pki_is_p256(k), "pki_ec_keygen makes an EC P-256 key pair");
	EVP_PKEY_free(k);
	test_certs();
	test_cert_pubkey();
	test_attest_key();
	test_channel_key();
	test_crls();
	return tap_exit_status();
}
