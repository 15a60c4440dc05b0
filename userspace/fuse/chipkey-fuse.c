// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse: create and inspect virtual fuse images (the 512-byte file
 * of include/chipkey/fuse_image.h used by chipkey_vfuse.ko and chipkey-emu).
 *
 *   chipkey-fuse create OUT --rom-key KEYFILE [--chip-id HEX]
 *                [--unprogrammed zero|ones] [--force]
 *   chipkey-fuse show FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <chipkey/fuse_image.h>
#include "../cli/cli.h"
#include "../emu/chip.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chipkey-fuse create OUT --rom-key KEYFILE [--chip-id HEX]\n"
		"                    [--unprogrammed zero|ones] [--force]\n"
		"       chipkey-fuse show FILE\n"
		"\n"
		"KEYFILE: the manufacturer public key (PEM or DER), or a private key\n"
		"whose public half is taken.  The chip key is always random and is\n"
		"never printed.\n");
}

/* Load a public key, or the public half of a private key, PEM or DER. */
static EVP_PKEY *load_key(const char *path)
{
	EVP_PKEY *pk = NULL;
	uint8_t *buf = NULL;
	size_t len;
	BIO *bio;
	int ret;

	ret = ck_read_input(path, &buf, &len, 1 << 20);
	if (ret) {
		fprintf(stderr, "chipkey-fuse: cannot read %s: %s\n", path,
			strerror(-ret));
		return NULL;
	}
	if (len > (1 << 20)) {
		fprintf(stderr, "chipkey-fuse: %s is too large for a key\n", path);
		free(buf);
		return NULL;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pk && bio && BIO_reset(bio) == 1)
		pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pk) {
		const unsigned char *p = buf;

		pk = d2i_PUBKEY(NULL, &p, (long)len);
	}
	if (!pk) {
		const unsigned char *p = buf;

		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!pk)
		fprintf(stderr, "chipkey-fuse: %s: not a PEM or DER public or private key\n",
			path);
	return pk;
}

static int parse_hex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rom-key", required_argument, NULL, 'k' },
		{ "chip-id", required_argument, NULL, 'i' },
		{ "unprogrammed", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL, *chip_id_hex = NULL, *unprog = NULL;
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	unsigned char *der = NULL;
	EVP_PKEY *pk;
	int force = 0, c, der_len, ret;

	while ((c = getopt_long(argc, argv, "k:i:u:f", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyfile = optarg;
			break;
		case 'i':
			chip_id_hex = optarg;
			break;
		case 'u':
			unprog = optarg;
			break;
		case 'f':
			force = 1;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (argc - optind != 1 || !keyfile) {
		usage(stderr);
		return 1;
	}
	if (unprog && strcmp(unprog, "zero") && strcmp(unprog, "ones")) {
		fprintf(stderr, "chipkey-fuse: --unprogrammed takes zero or ones\n");
		return 1;
	}
	memset(img, 0, sizeof(img));
	memcpy(img, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN);
	if (chip_id_hex) {
		if (parse_hex(chip_id_hex, img + CK_FUSE_OFF_CHIP_ID,
			      CHIPKEY_CHIP_ID_LEN)) {
			fprintf(stderr, "chipkey-fuse: --chip-id needs %d hex digits\n",
				2 * CHIPKEY_CHIP_ID_LEN);
			return 1;
		}
	} else if (RAND_bytes(img + CK_FUSE_OFF_CHIP_ID, CHIPKEY_CHIP_ID_LEN) != 1) {
		fprintf(stderr, "chipkey-fuse: no randomness\n");
		return 1;
	}
	if (unprog) {
		memset(img + CK_FUSE_OFF_CHIP_KEY, !strcmp(unprog, "ones") ? 0xff : 0,
		       CHIPKEY_CHIP_KEY_LEN);
	} else if (RAND_bytes(img + CK_FUSE_OFF_CHIP_KEY,
			      CHIPKEY_CHIP_KEY_LEN) != 1) {
		fprintf(stderr, "chipkey-fuse: no randomness\n");
		return 1;
	}

	pk = load_key(keyfile);
	if (!pk) {
		OPENSSL_cleanse(img, sizeof(img));
		return 1;
	}
	der_len = i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (der_len <= 0 || der_len > CK_FUSE_ROM_KEY_SIZE) {
		fprintf(stderr, "chipkey-fuse: public key is %d bytes in DER; the ROM holds at most %d\n",
			der_len, CK_FUSE_ROM_KEY_SIZE);
		OPENSSL_free(der);
		OPENSSL_cleanse(img, sizeof(img));
		return 1;
	}
	memcpy(img + CK_FUSE_OFF_ROM_KEY, der, (size_t)der_len);
	OPENSSL_free(der);

	ret = ck_write_output(argv[optind], img, sizeof(img), 0600, force);
	OPENSSL_cleanse(img, sizeof(img));
	if (ret == -EEXIST) {
		fprintf(stderr, "chipkey-fuse: %s exists; use --force to replace it\n",
			argv[optind]);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "chipkey-fuse: cannot write %s: %s\n",
			argv[optind], strerror(-ret));
		return 1;
	}
	return 0;
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int cmd_show(int argc, char **argv)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE + 1], md[32];
	const uint8_t *key, *rom;
	const unsigned char *p;
	unsigned int mdlen = 0;
	uint8_t *buf;
	size_t len, der_len, i;
	EVP_PKEY *pk;
	int ret;

	if (argc != 2 || !strcmp(argv[1], "-h")) {
		usage(stderr);
		return 1;
	}
	ret = ck_read_input(argv[1], &buf, &len, CK_FUSE_IMAGE_SIZE);
	if (ret) {
		fprintf(stderr, "chipkey-fuse: cannot read %s: %s\n", argv[1],
			strerror(-ret));
		return 1;
	}
	memcpy(img, buf, len < sizeof(img) ? len : sizeof(img));
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (len != CK_FUSE_IMAGE_SIZE ||
	    memcmp(img, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN)) {
		fprintf(stderr, "chipkey-fuse: %s is not a %d-byte chipkey fuse image\n",
			argv[1], CK_FUSE_IMAGE_SIZE);
		OPENSSL_cleanse(img, sizeof(img));
		return 1;
	}
	key = img + CK_FUSE_OFF_CHIP_KEY;
	rom = img + CK_FUSE_OFF_ROM_KEY;
	printf("file:         %s\n", argv[1]);
	printf("chip id:      ");
	for (i = 0; i < CHIPKEY_CHIP_ID_LEN; i++)
		printf("%02x", img[CK_FUSE_OFF_CHIP_ID + i]);
	printf("\nchip key:     %s\n",
	       all_bytes(key, CHIPKEY_CHIP_KEY_LEN, 0) ?
			"UNPROGRAMMED (all 0x00): chipkey.ko and chipkey-emu refuse it" :
	       all_bytes(key, CHIPKEY_CHIP_KEY_LEN, 0xff) ?
			"UNPROGRAMMED (all 0xff): chipkey.ko and chipkey-emu refuse it" :
			"programmed (secret, not shown)");
	OPENSSL_cleanse(img + CK_FUSE_OFF_CHIP_KEY, CHIPKEY_CHIP_KEY_LEN);

	der_len = ck_rom_key_der_len(rom, CK_FUSE_ROM_KEY_SIZE);
	p = rom;
	pk = der_len ? d2i_PUBKEY(NULL, &p, (long)der_len) : NULL;
	if (!pk) {
		printf("rom key:      MALFORMED (not a DER SubjectPublicKeyInfo)\n");
		return 1;
	}
	EVP_Digest(rom, der_len, md, &mdlen, EVP_sha256(), NULL);
	printf("rom key:      %s, %d bits, %zu bytes DER\n",
	       EVP_PKEY_get0_type_name(pk), EVP_PKEY_get_bits(pk), der_len);
	printf("rom key sha256: ");
	for (i = 0; i < mdlen; i++)
		printf("%02x", md[i]);
	printf("\n");
	EVP_PKEY_free(pk);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "create"))
		return cmd_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "chipkey-fuse: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
