// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey update install --image FILE --licence FILE [--slot-dir DIR]
 *                        [--keys DIR] [--rom-key FILE] [--class NAME] [--encrypted]
 *                        [--crl FILE]...
 * chipkey update status [--slot-dir DIR] [--json]
 *
 * Install software under a licence from the manufacturer, after checking
 * it (signer chained to the ROM key, audience, clock rule, rollback, the
 * image's digest and size), atomically into A/B slots; and report what is
 * installed.  docs/software-update.md; exit codes there and in docs/cli.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cli.h"
#include "common/hex.h"
#include "common/pki.h"
#include "update/update.h"

#define DEFAULT_SLOT_DIR "/var/lib/chipkey/software"
#define DEFAULT_KEYS_DIR "/run/chipkey"

static int usage(void)
{
	fprintf(stderr, "usage: chipkey update install --image FILE --licence FILE [--slot-dir DIR]\n"
		"                [--keys DIR] [--rom-key FILE] [--class NAME] [--encrypted]\n"
		"                [--crl FILE]...\n"
		"       chipkey update status [--slot-dir DIR] [--json]\n");
	return CK_EXIT_USAGE;
}

/* The exit code of a licence or install error (docs/software-update.md). */
static int exit_for(int err)
{
	switch (-err) {
	case EKEYREJECTED: return CK_EXIT_BAD_CERT;
	case EKEYEXPIRED: return CK_EXIT_EXPIRED;
	case ESTALE: return CK_EXIT_ROLLBACK;
	case ENOKEY: return CK_EXIT_NOT_OURS;
	case ENOENT: return CK_EXIT_OTHER;
	case EFBIG: return CK_EXIT_TOO_LARGE;
	case EBADMSG: return CK_EXIT_TAMPERED;
	case EINVAL: return CK_EXIT_MALFORMED;
	case EMSGSIZE: return CK_EXIT_TOO_LARGE;
	default: return CK_EXIT_INSTALL;
	}
}

/*
 * Who this device is, from KEYS (written by chipkey load / recover):
 * device-cert.pem (the device certificate, then the issuing CA that
 * signed it) must verify against the ROM key; the identity and chip ID
 * are the certificate's; KEYS/identity and KEYS/device-cert.der, where
 * present, must say the same.  No device-cert.pem: identity and chip ID
 * unknown (licences for them are refused).  0 or -EKEYREJECTED (reason
 * in @why).
 */
static int device_id(const char *keys, const uint8_t *rom, size_t rom_len,
		     char identity[CK_LICENCE_IDENTITY_LEN + 1], struct ck_device_id *dev,
		     char *why, size_t whylen)
{
	char path[4096];
	uint8_t *buf = NULL, *der = NULL;
	size_t len = 0;
	int der_len, rc = 0;
	X509 *cert = NULL, *ica = NULL;
	BIO *b;

	snprintf(path, sizeof(path), "%s/device-cert.pem", keys);
	if (ck_file_read(path, &buf, &len, 65536) || len > 65536) {
		free(buf);
		return 0;
	}
	b = BIO_new_mem_buf(buf, (int)len);
	cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	ica = cert ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(buf);
	buf = NULL;
	ERR_clear_error();
	if (!cert || pki_verify_device_cert(cert, ica, rom, rom_len, NULL, NULL, PKI_TIME_IGNORE) ||
	    pki_cert_device_identity(cert, identity) || pki_cert_chip_id(cert, dev->chip_id)) {
		rc = -EKEYREJECTED;
		snprintf(why, whylen, "%.400s is not a device certificate issued under this "
			 "device's ROM key", path);
		goto out;
	}
	/* the other files the keys directory holds must name the same device */
	snprintf(path, sizeof(path), "%s/identity", keys);
	if (!ck_file_read(path, &buf, &len, 64) &&
	    !(len >= CK_LICENCE_IDENTITY_LEN && len <= CK_LICENCE_IDENTITY_LEN + 1 &&
	      !memcmp(buf, identity, CK_LICENCE_IDENTITY_LEN) &&
	      (len == CK_LICENCE_IDENTITY_LEN || buf[CK_LICENCE_IDENTITY_LEN] == '\n'))) {
		rc = -EKEYREJECTED;
		snprintf(why, whylen, "%.400s does not hold the device certificate's identity %s",
			 path, identity);
		goto out;
	}
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/device-cert.der", keys);
	der_len = i2d_X509(cert, &der);
	if (!ck_file_read(path, &buf, &len, 16384) &&
	    (der_len <= 0 || len != (size_t)der_len || memcmp(buf, der, len))) {
		rc = -EKEYREJECTED;
		snprintf(why, whylen, "%.400s is not the certificate of device-cert.pem", path);
		goto out;
	}
	dev->identity = identity;
	dev->has_chip_id = 1;
out:
	OPENSSL_free(der);
	free(buf);
	X509_free(cert);
	X509_free(ica);
	return rc;
}

/* The image as an open file: FILE itself, or with --encrypted its
 * plaintext, decrypted with KEYS/device-key.pem (docs/software-update.md
 * "Encrypted images").  0 or -errno with a reason in @why. */
static int open_image(const char *path, int encrypted, const char *keys, int *fd,
		      char *why, size_t whylen)
{
	char p[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *b;
	int err;

	if (!encrypted) {
		/* O_NONBLOCK: a FIFO does not hang the open (refused later
		 * as not a regular file) */
		*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (*fd < 0)
			snprintf(why, whylen, "cannot read the image %s: %s", path, strerror(errno));
		return *fd < 0 ? -ENOENT : 0;
	}
	snprintf(p, sizeof(p), "%s/device-key.pem", keys);
	err = ck_file_read(p, &buf, &len, 16384);
	b = !err && len <= 16384 ? BIO_new_mem_buf(buf, (int)len) : NULL;
	key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (buf)
		OPENSSL_clear_free(buf, len);
	buf = NULL;
	snprintf(p, sizeof(p), "%s/device-cert.der", keys);
	if (key && !ck_file_read(p, &buf, &len, 16384) && len <= 16384)
		cert = pki_cert_from_der(buf, len);
	free(buf);
	if (!key || !cert) {
		snprintf(why, whylen, "--encrypted needs the device key and certificate "
			 "(%s/device-key.pem, device-cert.der)", keys);
		err = -ENOENT;
	} else {
		err = ck_update_decrypt_image(path, key, cert, fd, why, whylen);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	return err;
}

static int install(struct ck_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "licence", required_argument, NULL, 'l' },
		{ "slot-dir", required_argument, NULL, 's' },
		{ "keys", required_argument, NULL, 'k' },
		{ "rom-key", required_argument, NULL, 'r' },
		{ "class", required_argument, NULL, 'c' },
		{ "encrypted", no_argument, NULL, 'e' },
		{ "crl", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct pki_crls *crls = NULL;
	const char *image = NULL, *lic_path = NULL, *slots = DEFAULT_SLOT_DIR;
	const char *keys = DEFAULT_KEYS_DIR, *rom_path = NULL;
	char identity[CK_LICENCE_IDENTITY_LEN + 1], why[512] = "";
	struct ck_device_id dev = { 0 };
	struct ck_licence l = { 0 };
	struct ck_licence_signer_info who = { 0 };
	struct ck_update_state st;
	uint8_t rom[CHIPKEY_MAX_ROM_KEY], chip[CK_LICENCE_CHIP_ID_LEN], *lic = NULL;
	size_t rom_len = 0, lic_len = 0;
	int c, err, ret, encrypted = 0, fd = -1, has_chip = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 'l': lic_path = optarg; break;
		case 's': slots = optarg; break;
		case 'k': keys = optarg; break;
		case 'r': rom_path = optarg; break;
		case 'c': dev.device_class = optarg; break;
		case 'e': encrypted = 1; break;
		case 'C':
			if (pki_crls_add(&crls, optarg, why, sizeof(why))) {
				fprintf(stderr, "chipkey update: --crl %s\n", why);
				pki_crls_free(crls);
				return CK_EXIT_OTHER;
			}
			break;
		default:
			pki_crls_free(crls);
			return usage();
		}
	}
	if (optind != argc || !image || !lic_path ||
	    (dev.device_class && !ck_licence_class_valid(dev.device_class))) {
		pki_crls_free(crls);
		return usage();
	}
	ret = ck_cli_read(lic_path, &lic, &lic_len, CK_LICENCE_MAX_LEN);
	if (ret) {
		pki_crls_free(crls);
		return ret;
	}
	rom_len = sizeof(rom);
	ret = ck_cli_rom_key(cli, rom_path, rom, &rom_len, chip, &has_chip);
	if (ret)
		goto out;
	/* 1. the container, the signer's chain to the ROM key and role, the
	 * signature, the content */
	err = ck_licence_verify(lic, lic_len, rom, rom_len, crls, &l, &who, why, sizeof(why));
	/* 2. for this device */
	if (!err)
		err = device_id(keys, rom, rom_len, identity, &dev, why, sizeof(why));
	/* and, with the chip at hand, the certificate is this chip's */
	if (!err && has_chip && dev.has_chip_id &&
	    CRYPTO_memcmp(chip, dev.chip_id, sizeof(chip))) {
		err = -EKEYREJECTED;
		snprintf(why, sizeof(why), "%.400s/device-cert.pem names another chip ID "
			 "than the chip's", keys);
	}
	if (!err)
		err = ck_licence_check_audience(&l, &dev, why, sizeof(why));
	/* 3. the image (decrypted if --encrypted); under the slot directory's
	 * lock: rollback, the clock rule against the persisted high-water
	 * mark, then the image (digest, size) as it is written; commit */
	if (!err)
		err = open_image(image, encrypted, keys, &fd, why, sizeof(why));
	if (!err)
		err = ck_update_install(slots, fd, &l, lic, lic_len, pki_clock_now(), why,
					sizeof(why));
	if (err) {
		ret = exit_for(err);
		fprintf(stderr, "chipkey: update refused (%s): %s\n", ck_exit_name(ret), why);
		goto out;
	}
	ret = ck_update_read_state(slots, &st) ? CK_EXIT_INSTALL : CK_EXIT_OK;
	printf("installed sequence %" PRIu64 " into %s/%c (licence signed by %s, serial %s)\n",
	       l.sequence, slots, st.slot, who.subject, who.serial);
out:
	if (fd >= 0)
		close(fd);
	ck_licence_free(&l);
	pki_crls_free(crls);
	free(lic);
	return ret;
}

static int status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "slot-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *slots = DEFAULT_SLOT_DIR;
	char path[4096], hex[2 * CK_LICENCE_DIGEST_LEN + 1] = "";
	uint8_t md[CK_LICENCE_DIGEST_LEN];
	struct ck_update_state st;
	uint64_t size = 0;
	int c, json = 0, err, intact = 0, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			slots = optarg;
		else if (c == 'j')
			json = 1;
		else
			return usage();
	}
	if (optind != argc)
		return usage();
	err = ck_update_read_state(slots, &st);
	if (!err && st.slot) {
		snprintf(path, sizeof(path), "%s/%c/image", slots, st.slot);
		intact = !ck_update_image_digest(path, md, &size) && size == st.image_size &&
			 !CRYPTO_memcmp(md, st.image_digest, sizeof(md));
		ck_hex_encode(st.image_digest, sizeof(md), hex);
	}
	ret = err ? CK_EXIT_TAMPERED : st.slot && !intact ? CK_EXIT_TAMPERED : CK_EXIT_OK;
	if (json)
		return ck_cli_print_json(json_pack("{s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
			"slot_dir", ck_json_str(slots),
			"installed", !err && st.slot,
			"slot", st.slot ? json_sprintf("%c", st.slot) : json_null(),
			"image", st.slot ? ck_json_str(path) : json_null(),
			"sequence", st.slot ? json_integer((json_int_t)st.sequence) : json_null(),
			"size", st.slot ? json_integer((json_int_t)st.image_size) : json_null(),
			"sha256", st.slot ? ck_json_str(hex) : json_null(),
			"high_water", st.slot ? json_integer((json_int_t)st.high_water) : json_null(),
			"intact", err ? json_false() : st.slot ? json_boolean(intact) : json_null(),
			"exit", ret)) ? CK_EXIT_OTHER : ret;
	if (err)
		printf("state: %s (%s/state)\n", err == -EBADMSG ? "corrupt" : strerror(-err), slots);
	else if (!st.slot)
		printf("installed: nothing (%s)\n", slots);
	else
		printf("installed: sequence %" PRIu64 ", slot %c (%s), %" PRIu64 " bytes, sha256 %s\n"
		       "high-water: %" PRId64 "\nintact: %s\n", st.sequence, st.slot, path,
		       st.image_size, hex, st.high_water, intact ? "yes" : "NO (image differs "
		       "from the state)");
	return ret;
}

int cmd_update(struct ck_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "install"))
		return install(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return status(argc - 1, argv + 1);
	return usage();
}
