// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chipkey-factory verify-device --rom MFR-PUBKEY.der --issuing-ca CA CERT
 * [--identity IMEI] [--chip-id HEX]: check a device certificate (PEM or
 * DER) as a device does, against its issuing CA (PEM or DER) and that CA
 * against the ROM key, and print the identity and chip ID it names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/exit.h"
#include "common/hex.h"
#include "common/pki.h"
#include "subcommands.h"

/* A certificate file, PEM or DER; NULL if it is neither. */
static X509 *read_cert(const char *path)
{
	uint8_t *buf;
	size_t len;
	BIO *bio;
	X509 *x;

	if (factory_read_file(path, &buf, &len))
		return NULL;
	bio = BIO_new_mem_buf(buf, (int)len);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!x) {
		ERR_clear_error();
		x = pki_cert_from_der(buf, len);
	}
	free(buf);
	return x;
}

int cmd_verify_device(const struct factory_args *a)
{
	uint8_t *rom = NULL, chip[CHIPKEY_CHIP_ID_LEN], want[CHIPKEY_CHIP_ID_LEN];
	char id[CK_DP_DEVICE_ID_LEN + 1], chip_hex[2 * CHIPKEY_CHIP_ID_LEN + 1];
	size_t rom_len;
	X509 *cert, *ca;
	int err;

	if (a->npos != 1 || !a->rom || !a->issuing_ca)
		return factory_usage_error();
	if (a->chip_id && factory_parse_chip_id(a->chip_id, want)) {
		fprintf(stderr, "%s: --chip-id must be 32 hex digits\n", factory_prog);
		return CK_EXIT_USAGE;
	}
	err = factory_read_file(a->rom, &rom, &rom_len);
	if (err)
		return factory_fail(a->rom, err);
	ca = read_cert(a->issuing_ca);
	if (!ca) {
		free(rom);
		return factory_fail(a->issuing_ca, -EINVAL);
	}
	cert = read_cert(a->pos[0]);
	if (!cert) {
		free(rom);
		X509_free(ca);
		return factory_fail(a->pos[0], -EINVAL);
	}
	err = pki_verify_device_cert(cert, ca, rom, rom_len, a->identity,
				     a->chip_id ? want : NULL, 0);
	free(rom);
	X509_free(ca);
	if (err) {
		X509_free(cert);
		fprintf(stderr, "%s: %s: refused: %s\n", factory_prog, a->pos[0],
			err == -EKEYREJECTED ?
				"not issued under the ROM key, wrong role or wrong device" :
			err == -EKEYEXPIRED ? "outside its validity period" :
			strerror(-err));
		return err == -EKEYREJECTED || err == -EKEYEXPIRED ? CK_EXIT_BAD_CERT
								     : ck_exit_for_errno(err);
	}
	pki_cert_device_identity(cert, id);
	pki_cert_chip_id(cert, chip);
	X509_free(cert);
	ck_hex_encode(chip, sizeof(chip), chip_hex);
	printf("ok: identity %s chip-id %s\n", id, chip_hex);
	return CK_EXIT_OK;
}
