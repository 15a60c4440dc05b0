/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libchipkey: one interface to the chip, two backends.
 *
 *   kernel backend   ioctls on a character device (default /dev/chipkey)
 *   emulator backend the same request structures over the Unix socket of a
 *                    chipkey-emu process ("emu:/path/to/socket")
 *
 * The backend is chosen by the device string given to chipkey_open(); when it
 * is NULL, $CHIPKEY_DEVICE is used, and when that is unset, /dev/chipkey.
 * There is no silent fallback from one backend to the other: if the kernel
 * device is missing, chipkey_open() fails with -ENOENT.
 *
 * Every function returns 0 or a negative errno with the meaning documented in
 * include/uapi/linux/chipkey.h (EPERM, EINVAL, EMSGSIZE, ENOSPC, ENOKEY,
 * EBADMSG, ...), identical for both backends.
 */
#ifndef LIBCHIPKEY_H
#define LIBCHIPKEY_H

#include <stddef.h>
#include <stdint.h>
#include <linux/chipkey.h>

#define CHIPKEY_DEFAULT_DEVICE	"/dev/chipkey"
#define CHIPKEY_DEVICE_ENV	"CHIPKEY_DEVICE"
#define CHIPKEY_EMU_PREFIX	"emu:"

struct chipkey;

/* Open a backend; @device may be NULL (see above). */
int chipkey_open(const char *device, struct chipkey **out);
void chipkey_close(struct chipkey *ck);

/* Which backend is in use: "kernel" or "emulator". */
const char *chipkey_backend_name(const struct chipkey *ck);

int chipkey_get_info(struct chipkey *ck, struct chipkey_info *info);

/*
 * Wrap a data package into a backup package.  *out_len is the size of @out on
 * entry and the bytes written on return (or the size needed, with -ENOSPC).
 */
int chipkey_wrap(struct chipkey *ck, const void *in, size_t in_len,
		 uint64_t generation, void *out, size_t *out_len);

/* Unwrap a backup package; *generation (may be NULL) gets its generation. */
int chipkey_unwrap(struct chipkey *ck, const void *in, size_t in_len,
		   void *out, size_t *out_len, uint64_t *generation);

/* Read the manufacturer public key (DER SubjectPublicKeyInfo). */
int chipkey_get_rom_key(struct chipkey *ck, void *buf, size_t *len);

/*
 * ---- attestation (ABI 2, docs/attestation.md)
 *
 * The chip's attestation public key Q (SEC1 uncompressed, 65 bytes); open
 * to all.
 */
int chipkey_get_attest_key(struct chipkey *ck, uint8_t pub[CHIPKEY_EC_POINT_LEN]);

/*
 * Prove the live chip to a verifier: @v is the verifier's ephemeral P-256
 * public key, @ctx (at most CHIPKEY_MAX_CONTEXT bytes, may be NULL if
 * empty) its challenge; @mac gets HMAC-SHA256 under the ECDH-derived key.
 */
int chipkey_attest(struct chipkey *ck, const uint8_t v[CHIPKEY_EC_POINT_LEN],
		   const void *ctx, size_t ctx_len, uint8_t mac[CHIPKEY_MAC_LEN]);

/*
 * Open a package sealed to this chip and wrap its content into a backup
 * package with @generation, in the chip: the data package never leaves it.
 * *out_len as for chipkey_wrap(); @mac gets the sealed-wrap MAC.
 */
int chipkey_sealed_wrap(struct chipkey *ck, const void *sealed, size_t len,
			uint64_t generation, const void *ctx, size_t ctx_len,
			void *out, size_t *out_len, uint8_t mac[CHIPKEY_MAC_LEN]);

/* HMAC-SHA256 of @in under the chip-derived key of @purpose (CHIPKEY_MAC_*). */
int chipkey_chip_mac(struct chipkey *ck, uint32_t purpose, const void *in,
		     size_t len, uint8_t mac[CHIPKEY_MAC_LEN]);

/*
 * Keys sealed to the chip for the kernel keyring (docs/sealed-keys.md).
 * chipkey_key_new(): a new random key of @key_len bytes (0: 32), sealed in
 * the kernel; only the blob comes out (*out_len as for chipkey_wrap()).
 * chipkey_key_load(): the kernel opens @blob and adds the key as logon key
 * "chipkey:@name" to @keyring (a serial or KEY_SPEC_*); *serial gets its
 * serial.  The emulator answers both with -EOPNOTSUPP: it cannot feed a
 * kernel keyring.
 */
int chipkey_key_new(struct chipkey *ck, uint32_t key_len, void *out,
		    size_t *out_len);
int chipkey_key_load(struct chipkey *ck, const void *blob, size_t len,
		     const char *name, int32_t keyring, int32_t *serial);

/* Human-readable text for a negative errno returned by this library. */
const char *chipkey_strerror(int err);

#endif /* LIBCHIPKEY_H */
