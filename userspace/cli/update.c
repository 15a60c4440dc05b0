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
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cli.h"
#include "service.h"
#include "common/crashpoint.h"
#include "common/hex.h"
#include "common/pki.h"
#include "update/update.h"

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
int ck_update_exit_code(int err)
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

/* The licence file: a regular file (a symlink is followed, as for the
 * image) of at most CK_LICENCE_MAX_LEN bytes, opened without blocking, so
 * that a FIFO or a device is refused at once instead of hanging the
 * install or being read until the bound (docs/software-update.md check 1).
 * CK_EXIT_*: 7 too-large, 8 not a regular file or unreadable. */
static int read_licence(const char *path, uint8_t **buf, size_t *len)
{
	int err = ck_file_read_regular(path, CK_LICENCE_MAX_LEN, buf, len);

	if (!err)
		return CK_EXIT_OK;
	if (err == -EFBIG) {
		fprintf(stderr, "chipkey: update refused (%s): the licence %s is larger than "
			"%d bytes\n", ck_exit_name(CK_EXIT_TOO_LARGE), path, CK_LICENCE_MAX_LEN);
		return CK_EXIT_TOO_LARGE;
	}
	fprintf(stderr, "chipkey: cannot read the licence %s: %s\n", path,
		err == -EINVAL ? "not a regular file" : strerror(-err));
	return CK_EXIT_OTHER;
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
	const char *image = NULL, *lic_path = NULL, *slots = CK_UPDATE_SLOT_DIR;
	const char *keys = DEFAULT_KEYS_DIR, *rom_path = NULL;
	const char *device_class = NULL;
	char why[512] = "";
	struct ck_update_accept acc;
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
		case 'c': device_class = optarg; break;
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
	    (device_class && !ck_licence_class_valid(device_class))) {
		pki_crls_free(crls);
		return usage();
	}
	ret = read_licence(lic_path, &lic, &lic_len);
	if (ret) {
		pki_crls_free(crls);
		return ret;
	}
	rom_len = sizeof(rom);
	ret = ck_cli_rom_key(cli, rom_path, rom, &rom_len, chip, &has_chip);
	if (ret)
		goto out;
	/* 1-6: the licence, for this device, against the installed state
	 * (with --crl, first the slot directory's CRL floor: check 3b) */
	acc = (struct ck_update_accept){
		.keys = keys, .rom = rom, .rom_len = rom_len, .chip = has_chip ? chip : NULL,
		.device_class = device_class, .crls = crls, .slot_dir = slots,
		.clock = pki_clock_now(),
	};
	err = ck_update_accept(&acc, lic, lic_len, &l, &who, why, sizeof(why));
	/* the image (decrypted if --encrypted); under the slot directory's
	 * lock: the state checks again, then the image (digest, size) as it
	 * is written; commit */
	if (!err)
		err = open_image(image, encrypted, keys, &fd, why, sizeof(why));
	/* (another install may commit here: ck_update_install checks again) */
	CK_CRASH_POINT("update-accepted");
	if (!err)
		err = ck_update_install(slots, fd, &l, lic, lic_len, acc.clock, why,
					sizeof(why));
	if (err) {
		ret = ck_update_exit_code(err);
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
	const char *slots = CK_UPDATE_SLOT_DIR;
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
