// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey-fuse create and show: virtual fuse images (the 512-byte file of
 * include/chipkey/fuse_image.h used by chipkey_vfuse.ko and chipkey-emu),
 * through the one fuse image codec, common/fuse-image.c.
 *
 *   chipkey-fuse create OUT --rom-key KEYFILE [--chip-id HEX]
 *                [--unprogrammed zero|ones] [--force]
 *                [--cert CERT --ca-key KEY --ca-cert CA [--days N]]
 *   chipkey-fuse show FILE
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/hex.h"
#include "fuse-tool.h"

/* The manufacturer public key of @keyfile, as DER, into the ROM of @f. */
static int set_rom_key(struct ck_fuse_image *f, const char *keyfile)
{
	unsigned char *der = NULL;
	EVP_PKEY *pk;
	int der_len, ret;

	ret = fimg_load_key(keyfile, 0, &pk);
	if (ret)
		return ret;
	der_len = i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (der_len <= 0 || der_len > CK_FUSE_ROM_KEY_SIZE) {
		fprintf(stderr, FIMG_PROG ": public key is %d bytes in DER; the ROM holds at most %d\n",
			der_len, CK_FUSE_ROM_KEY_SIZE);
		OPENSSL_free(der);
		return der_len <= 0 ? CK_EXIT_MALFORMED : CK_EXIT_TOO_LARGE;
	}
	memcpy(f->rom_key, der, (size_t)der_len);
	f->rom_key_len = (size_t)der_len;
	OPENSSL_free(der);
	return CK_EXIT_OK;
}

/* What create was asked for. */
struct create_args {
	const char *out, *keyfile, *chip_id_hex, *unprog;
	const char *cert, *ca_key, *ca_cert;	/* all three, or none */
	int days, days_given, force;
};

/* The fuse contents of @a into @f (wiped by the caller). */
static int make_fuses(const struct create_args *a, struct ck_fuse_image *f)
{
	if (a->chip_id_hex) {
		if (ck_hex_decode(a->chip_id_hex, f->chip_id, CHIPKEY_CHIP_ID_LEN)) {
			fprintf(stderr, FIMG_PROG ": --chip-id needs %d hex digits\n",
				2 * CHIPKEY_CHIP_ID_LEN);
			return CK_EXIT_USAGE;
		}
	} else if (RAND_bytes(f->chip_id, CHIPKEY_CHIP_ID_LEN) != 1) {
		fprintf(stderr, FIMG_PROG ": no randomness\n");
		return CK_EXIT_OTHER;
	}
	if (a->unprog) {
		memset(f->chip_key, !strcmp(a->unprog, "ones") ? 0xff : 0,
		       CHIPKEY_CHIP_KEY_LEN);
	} else if (RAND_bytes(f->chip_key, CHIPKEY_CHIP_KEY_LEN) != 1) {
		fprintf(stderr, FIMG_PROG ": no randomness\n");
		return CK_EXIT_OTHER;
	}
	return set_rom_key(f, a->keyfile);
}

/*
 * Make the image and, if asked, its chip certificate; write the image
 * (0600) then the certificate (0644).  Nothing is written unless both can
 * be: existing outputs are refused first (without --force), the CA is
 * checked before the image is made, and the image is removed again if the
 * certificate cannot be written.
 */
static int create(const struct create_args *a)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	struct fimg_ca ca = { NULL, NULL };
	struct ck_fuse_image f;
	char *pem = NULL;
	size_t pem_len = 0;
	int ret;

	memset(&f, 0, sizeof(f));
	if (!a->force && ((ret = fimg_refuse_existing(a->out)) ||
			  (a->cert && (ret = fimg_refuse_existing(a->cert)))))
		return ret;
	if (a->cert && (ret = fimg_ca_load(a->ca_key, a->ca_cert, &ca)))
		return ret;
	ret = make_fuses(a, &f);
	if (!ret && a->cert)
		ret = fimg_chip_cert(&f, &ca, a->days, &pem, &pem_len);
	if (!ret && ck_fuse_image_encode(&f, img)) {
		fprintf(stderr, FIMG_PROG ": cannot encode the image\n");
		ret = CK_EXIT_OTHER;
	}
	if (!ret)
		ret = fimg_write(a->out, img, sizeof(img), 0600, a->force);
	if (!ret && a->cert) {
		ret = fimg_write(a->cert, pem, pem_len, 0644, a->force);
		if (ret)
			fimg_remove(a->out);	/* a chip without its certificate */
	}
	OPENSSL_cleanse(img, sizeof(img));
	ck_fuse_image_wipe(&f);
	free(pem);
	fimg_ca_free(&ca);
	return ret;
}

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rom-key", required_argument, NULL, 'k' },
		{ "chip-id", required_argument, NULL, 'i' },
		{ "unprogrammed", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ "cert", required_argument, NULL, 'C' },
		{ "ca-key", required_argument, NULL, 'K' },
		{ "ca-cert", required_argument, NULL, 'A' },
		{ "days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct create_args a;
	int c, ncert;

	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, "k:i:u:f", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			a.keyfile = optarg;
			break;
		case 'i':
			a.chip_id_hex = optarg;
			break;
		case 'u':
			a.unprog = optarg;
			break;
		case 'f':
			a.force = 1;
			break;
		case 'C':
			a.cert = optarg;
			break;
		case 'K':
			a.ca_key = optarg;
			break;
		case 'A':
			a.ca_cert = optarg;
			break;
		case 'd':
			if (fimg_parse_days(optarg, &a.days))
				return CK_EXIT_USAGE;
			a.days_given = 1;
			break;
		default:
			fimg_usage(stderr);
			return CK_EXIT_USAGE;
		}
	}
	ncert = !!a.cert + !!a.ca_key + !!a.ca_cert;
	if (argc - optind != 1 || !a.keyfile || (ncert && ncert != 3) ||
	    (a.days_given && !a.cert)) {
		fimg_usage(stderr);
		return CK_EXIT_USAGE;
	}
	a.out = argv[optind];
	if (a.unprog && strcmp(a.unprog, "zero") && strcmp(a.unprog, "ones")) {
		fprintf(stderr, FIMG_PROG ": --unprogrammed takes zero or ones\n");
		return CK_EXIT_USAGE;
	}
	if (a.unprog && a.cert) {
		fprintf(stderr, FIMG_PROG ": an unprogrammed chip has no attestation key: no --cert\n");
		return CK_EXIT_USAGE;
	}
	if (a.cert && !strcmp(a.cert, a.out)) {
		fprintf(stderr, FIMG_PROG ": --cert and OUT must differ\n");
		return CK_EXIT_USAGE;
	}
	return create(&a);
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

int cmd_show(int argc, char **argv)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	uint8_t md[EVP_MAX_MD_SIZE];
	struct ck_fuse_image f;
	const unsigned char *p;
	unsigned int mdlen = 0;
	EVP_PKEY *pk;
	int ret;

	if (argc != 2 || !strcmp(argv[1], "-h")) {
		fimg_usage(stderr);
		return CK_EXIT_USAGE;
	}
	ret = fimg_load_image(argv[1], &f);
	if (ret)
		return ret;
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
