// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse: create and inspect virtual fuse images (the 512-byte file
 * of include/chipkey/fuse_image.h used by chipkey_vfuse.ko and chipkey-emu),
 * through the one fuse image codec, common/fuse-image.c.  Exit codes from
 * common/exit.h (docs/fuse-image.md).
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

#include "common/exit.h"
#include "common/file.h"
#include "common/fuse-image.h"
#include "common/hex.h"

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

/* Exit code for a file that cannot be read: missing, or errno's. */
static int read_exit_code(int err)
{
	return err == -ENOENT ? CK_EXIT_NOT_FOUND : ck_exit_for_errno(err);
}

/*
 * Load a public key, or the public half of a private key, PEM or DER.
 * CK_EXIT_OK, or the exit code (message printed).
 */
static int load_key(const char *path, EVP_PKEY **pkp)
{
	EVP_PKEY *pk = NULL;
	uint8_t *buf = NULL;
	size_t len;
	BIO *bio;
	int ret;

	*pkp = NULL;
	ret = ck_file_read(path, &buf, &len, 1 << 20);
	if (ret) {
		fprintf(stderr, "chipkey-fuse: cannot read %s: %s\n", path,
			strerror(-ret));
		return read_exit_code(ret);
	}
	if (len > (1 << 20)) {
		fprintf(stderr, "chipkey-fuse: %s is too large for a key\n", path);
		ret = CK_EXIT_TOO_LARGE;
		goto out;
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
	if (!pk) {
		fprintf(stderr, "chipkey-fuse: %s: not a PEM or DER public or private key\n",
			path);
		ret = CK_EXIT_MALFORMED;
	}
out:
	OPENSSL_clear_free(buf, len);
	*pkp = pk;
	return ret;
}

/* The manufacturer public key of @keyfile, as DER, into the ROM of @f. */
static int set_rom_key(struct ck_fuse_image *f, const char *keyfile)
{
	unsigned char *der = NULL;
	EVP_PKEY *pk;
	int der_len, ret;

	ret = load_key(keyfile, &pk);
	if (ret)
		return ret;
	der_len = i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (der_len <= 0 || der_len > CK_FUSE_ROM_KEY_SIZE) {
		fprintf(stderr, "chipkey-fuse: public key is %d bytes in DER; the ROM holds at most %d\n",
			der_len, CK_FUSE_ROM_KEY_SIZE);
		OPENSSL_free(der);
		return der_len <= 0 ? CK_EXIT_MALFORMED : CK_EXIT_TOO_LARGE;
	}
	memcpy(f->rom_key, der, (size_t)der_len);
	f->rom_key_len = (size_t)der_len;
	OPENSSL_free(der);
	return CK_EXIT_OK;
}

/* Write the image @f to @path (mode 0600, atomic).  An exit code. */
static int write_image(const char *path, const struct ck_fuse_image *f,
		       int force)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	int ret;

	ret = ck_fuse_image_encode(f, img);
	if (!ret)
		ret = ck_file_write_atomic(path, img, sizeof(img), 0600, force);
	OPENSSL_cleanse(img, sizeof(img));
	if (ret == -EEXIST) {
		fprintf(stderr, "chipkey-fuse: %s exists; use --force to replace it\n",
			path);
		return CK_EXIT_CONFLICT;
	}
	if (ret) {
		fprintf(stderr, "chipkey-fuse: cannot write %s: %s\n", path,
			strerror(-ret));
		return ret == -EACCES || ret == -EPERM ? CK_EXIT_PERM :
		       CK_EXIT_OTHER;
	}
	return CK_EXIT_OK;
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
	struct ck_fuse_image f;
	int force = 0, c, ret;

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
			return CK_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !keyfile) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (unprog && strcmp(unprog, "zero") && strcmp(unprog, "ones")) {
		fprintf(stderr, "chipkey-fuse: --unprogrammed takes zero or ones\n");
		return CK_EXIT_USAGE;
	}
	memset(&f, 0, sizeof(f));
	if (chip_id_hex) {
		if (ck_hex_decode(chip_id_hex, f.chip_id, CHIPKEY_CHIP_ID_LEN)) {
			fprintf(stderr, "chipkey-fuse: --chip-id needs %d hex digits\n",
				2 * CHIPKEY_CHIP_ID_LEN);
			return CK_EXIT_USAGE;
		}
	} else if (RAND_bytes(f.chip_id, CHIPKEY_CHIP_ID_LEN) != 1) {
		fprintf(stderr, "chipkey-fuse: no randomness\n");
		return CK_EXIT_OTHER;
	}
	if (unprog) {
		memset(f.chip_key, !strcmp(unprog, "ones") ? 0xff : 0,
		       CHIPKEY_CHIP_KEY_LEN);
	} else if (RAND_bytes(f.chip_key, CHIPKEY_CHIP_KEY_LEN) != 1) {
		fprintf(stderr, "chipkey-fuse: no randomness\n");
		ret = CK_EXIT_OTHER;
		goto out;
	}
	ret = set_rom_key(&f, keyfile);
	if (!ret)
		ret = write_image(argv[optind], &f, force);
out:
	ck_fuse_image_wipe(&f);
	return ret;
}

static const char *key_state_text(enum ck_fuse_key_state ks)
{
	switch (ks) {
	case CK_FUSE_KEY_ZEROS:
		return "UNPROGRAMMED (all 0x00): chipkey.ko and chipkey-emu refuse it";
	case CK_FUSE_KEY_ONES:
		return "UNPROGRAMMED (all 0xff): chipkey.ko and chipkey-emu refuse it";
	default:
		return "programmed (secret, not shown)";
	}
}

static int cmd_show(int argc, char **argv)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	uint8_t md[EVP_MAX_MD_SIZE];
	struct ck_fuse_image f;
	const unsigned char *p;
	unsigned int mdlen = 0;
	uint8_t *buf;
	size_t len;
	EVP_PKEY *pk;
	int ret;

	if (argc != 2 || !strcmp(argv[1], "-h")) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	ret = ck_file_read(argv[1], &buf, &len, CK_FUSE_IMAGE_SIZE);
	if (ret) {
		fprintf(stderr, "chipkey-fuse: cannot read %s: %s\n", argv[1],
			strerror(-ret));
		return read_exit_code(ret);
	}
	ret = ck_fuse_image_decode(buf, len, &f);
	OPENSSL_clear_free(buf, len);
	if (ret) {
		fprintf(stderr, "chipkey-fuse: %s is not a %d-byte chipkey fuse image\n",
			argv[1], CK_FUSE_IMAGE_SIZE);
		return CK_EXIT_MALFORMED;
	}
	printf("file:         %s\n", argv[1]);
	ck_hex_encode(f.chip_id, CHIPKEY_CHIP_ID_LEN, hex);
	printf("chip id:      %s\n", hex);
	printf("chip key:     %s\n", key_state_text(ck_fuse_key_state(&f)));

	p = f.rom_key;
	pk = f.rom_key_len ? d2i_PUBKEY(NULL, &p, (long)f.rom_key_len) : NULL;
	if (!pk) {
		printf("rom key:      MALFORMED (not a DER SubjectPublicKeyInfo)\n");
		ret = CK_EXIT_MALFORMED;
		goto out;
	}
	EVP_Digest(f.rom_key, f.rom_key_len, md, &mdlen, EVP_sha256(), NULL);
	ck_hex_encode(md, mdlen, hex);
	printf("rom key:      %s, %d bits, %zu bytes DER\n",
	       EVP_PKEY_get0_type_name(pk), EVP_PKEY_get_bits(pk), f.rom_key_len);
	printf("rom key sha256: %s\n", hex);
	EVP_PKEY_free(pk);
out:
	ck_fuse_image_wipe(&f);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "create"))
		return cmd_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return CK_EXIT_OK;
	}
	fprintf(stderr, "chipkey-fuse: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CK_EXIT_USAGE;
}
