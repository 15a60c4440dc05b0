// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator's crypto against the independent test vectors
 * (docs/test-vectors, made by scripts/gen-test-vectors.py).
 *
 *   test-vectors [VECTOR_DIR]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "emu/emu.h"
#include "common/file.h"
#include "common/tap.h"
#include "vectors.h"

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../docs/test-vectors";
	char path[4096];
	struct ck_vector *vs;
	uint8_t *img = NULL;
	struct ck_emu_chip echip;
	struct ck_fuse_image *fchip = &echip.fuses;
	char err[256];
	size_t n = 0, i, len = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/backup-v1.txt", dir);
	ret = ck_vectors_load(path, &vs, &n);
	if (!tap_ok(ret == 0 && n >= 5, "vectors: load %s (%zu vectors)", path, n))
		return 1;

	/* Sizes required by the spec are present. */
	{
		static const size_t want[] = { 0, 1, 16, 17, 100 };
		size_t w, found = 0;

		for (w = 0; w < sizeof(want) / sizeof(want[0]); w++)
			for (i = 0; i < n; i++)
				if (vs[i].plaintext_len == want[w]) {
					found++;
					break;
				}
		tap_ok(found == 5, "vectors: payload sizes 0,1,16,17,100 present");
	}

	snprintf(path, sizeof(path), "%s/fuse-vectors.bin", dir);
	ret = ck_file_read(path, &img, &len, CK_FUSE_IMAGE_SIZE);
	if (!tap_ok(ret == 0 && len == CK_FUSE_IMAGE_SIZE,
		    "fuse-vectors.bin is a %d-byte image", CK_FUSE_IMAGE_SIZE))
		return 1;
	ret = ck_chip_parse(img, &echip, err, sizeof(err));
	free(img);
	if (ret)
		tap_diag("%s", err);
	tap_ok(ret == 0, "fuse-vectors.bin parses as a programmed chip");
	tap_ok(!memcmp(fchip->chip_id, vs[0].chip_id, 16) &&
	       !memcmp(fchip->chip_key, vs[0].chip_key, 32),
	       "fuse-vectors.bin holds the vectors' chip ID and chip key");
	{
		const unsigned char *p = fchip->rom_key;
		EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)fchip->rom_key_len);
		char gname[64] = "";
		size_t glen = 0;

		if (pk)
			EVP_PKEY_get_group_name(pk, gname, sizeof(gname), &glen);
		tap_ok(pk && EVP_PKEY_is_a(pk, "EC") &&
		       !strcmp(gname, "prime256v1") &&
		       p == fchip->rom_key + fchip->rom_key_len,
		       "fuse-vectors.bin ROM key is a DER EC P-256 public key (%zu bytes, %s)",
		       fchip->rom_key_len, gname);
		EVP_PKEY_free(pk);
	}

	for (i = 0; i < n; i++) {
		struct ck_vector *v = &vs[i];
		struct ck_fuse_image chip;
		uint8_t key[32], *pkg, *pt;
		size_t pt_len;
		uint64_t gen = 0;

		memset(&chip, 0, sizeof(chip));
		memcpy(chip.chip_id, v->chip_id, 16);
		memcpy(chip.chip_key, v->chip_key, 32);

		ret = ck_derive_key(&chip, v->salt, key);
		tap_ok(ret == 0 && !memcmp(key, v->derived_key, 32),
		       "%s: derived key matches", v->name);

		pkg = malloc(ck_pkg_size(v->plaintext_len));
		ret = ck_wrap_with(&chip, v->generation, v->salt, v->nonce,
				   v->plaintext, v->plaintext_len, pkg);
		tap_ok(ret == 0 && v->package_len == ck_pkg_size(v->plaintext_len) &&
		       !memcmp(pkg, v->package, v->package_len),
		       "%s: wrap reproduces the package byte for byte", v->name);
		free(pkg);

		pt_len = v->package_len;
		pt = malloc(pt_len);
		ret = ck_unwrap(&chip, v->package, v->package_len, pt, &pt_len,
				&gen);
		tap_ok(ret == 0 && pt_len == v->plaintext_len &&
		       !memcmp(pt, v->plaintext, pt_len) &&
		       gen == v->generation,
		       "%s: unwrap gives the plaintext and generation", v->name);
		/* Same package against the image's chip, as the emulator has it. */
		pt_len = v->package_len;
		ret = ck_unwrap(fchip, v->package, v->package_len, pt, &pt_len,
				NULL);
		tap_ok(ret == 0 && pt_len == v->plaintext_len,
		       "%s: unwraps with the chip of fuse-vectors.bin", v->name);
		free(pt);
	}
	ck_chip_wipe(&echip);
	ck_vectors_free(vs, n);

	/* The parser itself rejects broken files. */
	{
		static const char *bad[] = {
			"name = x\nchip_key = 00\n\n",		/* short key, incomplete */
			"garbage line\n",
			"name = x\nbogus = 1\n",
		};
		char tmpl[] = "/tmp/ck-vec-XXXXXX";
		size_t b;

		for (b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			int fd = mkstemp(tmpl);
			FILE *f = fdopen(fd, "w");
			struct ck_vector *x = NULL;
			size_t xn = 0;

			fputs(bad[b], f);
			fclose(f);
			ret = ck_vectors_load(tmpl, &x, &xn);
			tap_ok(ret == -EINVAL && !x,
			       "vector parser rejects malformed file #%zu", b + 1);
			unlink(tmpl);
			strcpy(tmpl, "/tmp/ck-vec-XXXXXX");
		}
	}
	return tap_exit_status();
}
