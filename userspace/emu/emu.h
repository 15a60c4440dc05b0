/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chipkey-emu internals: the emulated chip (fuses.c), its crypto (wrap.c),
 * the request dispatch (ioctl.c) and the connections (conn.c).
 */
#ifndef CHIPKEY_EMU_H
#define CHIPKEY_EMU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/chipkey.h>
#include <chipkey/backup_package.h>
#include <chipkey/emu_messages.h>
#include <chipkey/fuse_image.h>
#include "common/attest.h"
#include "common/fuse-image.h"

/*
 * ---- the chip: fuses.c
 *
 * The emulated chip is its fuses: a struct ck_fuse_image (common/fuse-image.h,
 * chip ID, chip key, ROM key), plus the attestation key derived from them
 * once, when the chip is loaded (common/attest.h).  Wiped with ck_chip_wipe().
 */
struct ck_emu_chip {
	struct ck_fuse_image fuses;
	struct ck_att_key att;
};

/*
 * Load a 512-byte fuse image (the state file).  Refuses a file that group or
 * others may read or write (-EACCES), a wrong size or magic (-EINVAL), an
 * unprogrammed chip key (-ENOKEY), a malformed ROM key (-EINVAL) and a chip
 * key that yields no attestation scalar in 16 tries (-EDOM).  On error
 * returns a negative errno and writes a human-readable reason into @err.
 */
int ck_chip_load(const char *path, struct ck_emu_chip *chip, char *err,
		 size_t errlen);

/* Decode an in-memory fuse image with the same refusals (no file checks). */
int ck_chip_parse(const uint8_t img[CK_FUSE_IMAGE_SIZE],
		  struct ck_emu_chip *chip, char *err, size_t errlen);

/* Wipe the chip: fuses and attestation key (safe on a zeroed chip). */
void ck_chip_wipe(struct ck_emu_chip *chip);

/*
 * The power-on self-test (selftest.c): a test payload sealed to the chip's
 * Q, opened, wrapped, MACed and unwrapped with its own keys.  0, or a
 * negative errno if any step fails or any byte differs (-EBADMSG).
 */
int ck_emu_self_test(const struct ck_emu_chip *chip);

/* ---- the crypto: wrap.c */

/* Fetch the algorithms (also done on first use); 0 or -ENOSYS. */
int ck_crypto_init(void);

/* AEAD key = HKDF-SHA256(chip key, salt, label || chip ID). 0 or -errno. */
int ck_derive_key(const struct ck_fuse_image *chip,
		  const uint8_t salt[CK_PKG_SALT_LEN],
		  uint8_t key[CK_PKG_KEY_LEN]);

/*
 * Wrap with an explicit salt and nonce (for test vectors).  @out must hold
 * ck_pkg_size(@in_len) bytes.  No size checks beyond the ABI maximum.
 */
int ck_wrap_with(const struct ck_fuse_image *chip, uint64_t generation,
		 const uint8_t salt[CK_PKG_SALT_LEN],
		 const uint8_t nonce[CK_PKG_NONCE_LEN],
		 const uint8_t *in, size_t in_len, uint8_t *out);

/*
 * The emulator's wrap: EMSGSIZE if @in_len is over the limit, ENOSPC (with
 * *out_len = needed) if @out is too small, else fresh random salt and nonce.
 */
int ck_wrap(const struct ck_fuse_image *chip, uint64_t generation,
	    const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len);

/*
 * The emulator's unwrap, checks in the kernel's order: EMSGSIZE, EINVAL
 * (header), ENOKEY (other chip, before any decryption), ENOSPC (with
 * *out_len = needed), EBADMSG (authentication; @out is wiped).
 */
int ck_unwrap(const struct ck_fuse_image *chip, const uint8_t *pkg, size_t pkg_len,
	      uint8_t *out, size_t *out_len, uint64_t *generation);

/* ---- the requests: ioctl.c */

/* Size of a buffer that holds any reply frame. */
#define CK_EMU_REPLY_BUF	(CK_EMU_HDR_LEN + CK_EMU_MAX_PAYLOAD)

/*
 * Answer one request (already read: command and payload) for @chip.
 * @privileged: the peer may wrap/unwrap.  Writes the reply frame (header
 * included) into @reply, which must hold CK_EMU_REPLY_BUF bytes, and returns
 * its length.  @payload and @reply must not overlap.
 */
size_t ck_emu_handle(const struct ck_emu_chip *chip, int privileged, uint32_t cmd,
		     const uint8_t *payload, size_t len,
		     uint8_t reply[CK_EMU_REPLY_BUF]);

/* Write a reply frame with just a status (no payload); returns its length. */
size_t ck_emu_status_frame(int status, uint8_t buf[CK_EMU_HDR_LEN]);

/*
 * Write a reply header for @payload_len bytes (already in place after the
 * header) into @buf; returns the frame size.
 */
size_t ck_emu_frame_put(int status, size_t payload_len, uint8_t *buf);

/* 1 if any of the @n words at @r is not zero. */
int ck_emu_reserved_nonzero(const uint32_t *r, size_t n);

/*
 * ---- the attestation requests: attest.c
 * ATTEST_KEY, ATTEST, SEALED_WRAP and CHIP_MAC, with ck_emu_handle()'s
 * conventions (reply frame into @buf, its length returned).
 */
size_t ck_emu_attest_key(const struct ck_emu_chip *chip, size_t len, uint8_t *buf);
size_t ck_emu_attest(const struct ck_emu_chip *chip, int privileged,
		     const uint8_t *payload, size_t len, uint8_t *buf);
size_t ck_emu_sealed_wrap(const struct ck_emu_chip *chip, int privileged,
			  const uint8_t *payload, size_t len, uint8_t *buf);
size_t ck_emu_chip_mac(const struct ck_emu_chip *chip, int privileged,
		       const uint8_t *payload, size_t len, uint8_t *buf);

/* ---- the connections: conn.c */

enum {
	CK_EMU_MAX_CLIENTS = 256,	/* connections in all */
	CK_EMU_DEF_PER_UID = 32,	/* connections of one uid (--max-per-uid) */
	CK_EMU_DEF_IDLE_S = 30,		/* drop a connection silent this long */
	CK_EMU_MAX_IDLE_S = 86400,
	CK_EMU_DEF_REQUEST_S = 10,	/* a started frame must be complete by then */
	CK_EMU_MAX_ALLOW_UIDS = 16,	/* --allow-uid given at most this often */
};

/* Who may do what, and for how long: the options of chipkey-emu. */
struct ck_emu_limits {
	uid_t allow_uids[CK_EMU_MAX_ALLOW_UIDS];	/* may wrap/unwrap */
	int n_allow_uids;
	int idle_timeout_s;	/* 0: never */
	int request_timeout_s;	/* whole request frame; 0: never */
	int max_per_uid;	/* 1..CK_EMU_MAX_CLIENTS */
};

/* "chipkey-emu: " + message + newline on stderr. */
void ck_emu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Serve @chip under @limits (both must outlive every connection).
 * 0 or -errno.
 */
int ck_conn_init(const struct ck_emu_chip *chip,
		 const struct ck_emu_limits *limits);

/*
 * Listen on the Unix socket @path (mode 0666), replacing only a stale
 * socket; the path appears once it accepts connections.  The fd, or -1.
 */
int ck_conn_listen(const char *path);

/* Take an accepted connection: count it, or refuse it, and serve it. */
void ck_conn_serve(int cfd);

/* Wait for the requests in flight; afterwards none is ever answered. */
void ck_conn_stop(void);

#endif /* CHIPKEY_EMU_H */
