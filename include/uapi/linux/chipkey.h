/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * chipkey: ioctl ABI of /dev/chipkey.
 *
 * The same structures and error codes are served by the userspace device
 * emulator (chipkey-emu) over a Unix socket; see docs/emulator-protocol.md.
 *
 * Rules of this ABI:
 *  - fixed-width types only, every pointer is a __u64, every structure is a
 *    multiple of 8 bytes with naturally aligned members, so 32-bit userspace
 *    on a 64-bit kernel sees the same layout (no compat translation needed);
 *  - every "flags" and "reserved" field must be zero on input, or the call
 *    fails with -EINVAL (so they can be given a meaning later);
 *  - sizes are in/out: the caller says how large its buffer is, the driver
 *    says how many bytes it wrote (or, on -ENOSPC, how many it needs).
 *
 * Errors (negative errno in the kernel, errno in userspace):
 *   EPERM        wrap/unwrap, ATTEST, SEALED_WRAP, CHIP_MAC, KEY_NEW or
 *                KEY_LOAD without CAP_SYS_ADMIN
 *   EINVAL       malformed request or package (bad magic, version, lengths,
 *                non-zero reserved fields or flags, unknown MAC purpose),
 *                or an EC point that is not on P-256 (or is infinity)
 *   EMSGSIZE     input larger than the limits reported by CHIPKEY_IOC_INFO
 *   ENOSPC       output buffer too small (out_len is set to the needed size)
 *   ENOKEY       the package was made by (or sealed to) another chip ("not
 *                ours"); refused before any decryption is attempted
 *   EBADMSG      authentication failed: the package was tampered with
 *   EFAULT       a user pointer is bad
 *   ENODEV       the chip is gone (device unbound)
 *   ENOTTY       unknown command (not a chipkey ioctl)
 *   ENOMEM       the kernel (or the emulator) is out of memory
 *   EINTR        the caller was killed (fatal signal) while waiting for the
 *                chip; nothing was done
 */
#ifndef _UAPI_LINUX_CHIPKEY_H
#define _UAPI_LINUX_CHIPKEY_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * 1: INFO, WRAP, UNWRAP, ROM_KEY.
 * 2: + ATTEST_KEY, ATTEST, SEALED_WRAP, CHIP_MAC (docs/attestation.md).
 */
#define CHIPKEY_ABI_VERSION		2

#define CHIPKEY_CHIP_ID_LEN		16
#define CHIPKEY_CHIP_KEY_LEN		32
/* Largest data package that can be wrapped. */
#define CHIPKEY_MAX_PAYLOAD		65536
/* Backup package = 72-byte header + ciphertext + 16-byte tag. */
#define CHIPKEY_PKG_HEADER_LEN		72
#define CHIPKEY_PKG_TAG_LEN		16
#define CHIPKEY_PKG_OVERHEAD		(CHIPKEY_PKG_HEADER_LEN + CHIPKEY_PKG_TAG_LEN)
#define CHIPKEY_MAX_PACKAGE		(CHIPKEY_MAX_PAYLOAD + CHIPKEY_PKG_OVERHEAD)
/* Manufacturer public key in ROM: DER SubjectPublicKeyInfo, at most this. */
#define CHIPKEY_MAX_ROM_KEY		448

/*
 * The chip attestation key (docs/attestation.md): an EC P-256 key derived
 * from the chip key.  Points travel as SEC1 uncompressed encodings,
 * 0x04 || X || Y (65 bytes, big endian coordinates).
 */
#define CHIPKEY_EC_POINT_LEN		65
#define CHIPKEY_MAC_LEN			32
/* Largest context string of ATTEST and SEALED_WRAP. */
#define CHIPKEY_MAX_CONTEXT		256
/* Sealed package = 120-byte header + ciphertext + 16-byte tag. */
#define CHIPKEY_SEAL_HEADER_LEN		120
#define CHIPKEY_SEAL_OVERHEAD		(CHIPKEY_SEAL_HEADER_LEN + CHIPKEY_PKG_TAG_LEN)
#define CHIPKEY_MAX_SEALED		(CHIPKEY_MAX_PAYLOAD + CHIPKEY_SEAL_OVERHEAD)
/* Largest input of CHIP_MAC. */
#define CHIPKEY_MAX_MAC_INPUT		65536

/* Purposes of CHIP_MAC (chipkey_chip_mac.purpose): a closed set. */
#define CHIPKEY_MAC_FLASH_MANIFEST	1

/* Where the chip ID and chip key come from (chipkey_info.key_source). */
#define CHIPKEY_SRC_OTP			1	/* nvmem cells of real fuses */
#define CHIPKEY_SRC_VIRTUAL_FUSE	2	/* chipkey_vfuse.ko fuse image */
#define CHIPKEY_SRC_EMULATOR		3	/* chipkey-emu userspace process */

/**
 * struct chipkey_info - what the chip is (CHIPKEY_IOC_INFO, open to all)
 * @abi_version:  CHIPKEY_ABI_VERSION of the driver
 * @key_source:   CHIPKEY_SRC_*
 * @chip_id:      the unique chip ID (public)
 * @max_payload:  largest data package accepted by wrap
 * @max_package:  largest backup package accepted by unwrap
 * @pkg_overhead: backup package size minus data package size
 * @rom_key_len:  length of the manufacturer public key in ROM
 * @flags:        0 for now
 * @reserved:     zero
 */
struct chipkey_info {
	__u32 abi_version;
	__u32 key_source;
	__u8  chip_id[CHIPKEY_CHIP_ID_LEN];
	__u32 max_payload;
	__u32 max_package;
	__u32 pkg_overhead;
	__u32 rom_key_len;
	__u32 flags;
	__u32 reserved[5];
};

/**
 * struct chipkey_xfer - a wrap or unwrap request
 * @in_ptr:     user pointer to the input (data package for wrap, backup
 *              package for unwrap)
 * @out_ptr:    user pointer to the output buffer
 * @in_len:     bytes at @in_ptr
 * @out_len:    in: size of the buffer at @out_ptr; out: bytes written, or
 *              the size needed when the call fails with ENOSPC
 * @generation: wrap: in, the generation counter to record in the package;
 *              unwrap: out, the generation found in the package
 * @flags:      must be 0
 * @reserved:   must be 0
 */
struct chipkey_xfer {
	__u64 in_ptr;
	__u64 out_ptr;
	__u32 in_len;
	__u32 out_len;
	__u64 generation;
	__u32 flags;
	__u32 reserved[5];
};

/**
 * struct chipkey_rom_key - read the manufacturer public key (open to all)
 * @buf_ptr:  user pointer to a buffer
 * @buf_len:  in: size of the buffer; out: length of the key (also on ENOSPC)
 * @flags:    must be 0
 * @reserved: must be 0
 */
struct chipkey_rom_key {
	__u64 buf_ptr;
	__u32 buf_len;
	__u32 flags;
	__u32 reserved[4];
};

/**
 * struct chipkey_attest_key - the chip's attestation public key
 *                             (CHIPKEY_IOC_ATTEST_KEY, open to all)
 * @pub:      SEC1 uncompressed point, 0x04 || X || Y
 * @pad:      zero
 * @flags:    0 for now
 * @reserved: zero
 */
struct chipkey_attest_key {
	__u8  pub[CHIPKEY_EC_POINT_LEN];
	__u8  pad[7];
	__u32 flags;
	__u32 reserved[5];
};

/**
 * struct chipkey_attest - prove the live chip (CHIPKEY_IOC_ATTEST)
 * @context_ptr:  user pointer to the context string (may be 0 if empty)
 * @context_len:  its length, at most CHIPKEY_MAX_CONTEXT
 * @flags:        must be 0
 * @verifier_pub: the verifier's ephemeral P-256 public key (SEC1 uncompressed)
 * @pad:          must be 0
 * @mac:          out: HMAC-SHA256 of the context under the ECDH-derived key
 * @reserved:     must be 0
 */
struct chipkey_attest {
	__u64 context_ptr;
	__u32 context_len;
	__u32 flags;
	__u8  verifier_pub[CHIPKEY_EC_POINT_LEN];
	__u8  pad[7];
	__u8  mac[CHIPKEY_MAC_LEN];
	__u32 reserved[4];
};

/**
 * struct chipkey_sealed_wrap - open a package sealed to the chip and wrap
 *                              its content (CHIPKEY_IOC_SEALED_WRAP)
 * @in_ptr:      user pointer to the sealed package
 * @out_ptr:     user pointer to the output buffer (the backup package)
 * @context_ptr: user pointer to the context string (may be 0 if empty)
 * @in_len:      bytes at @in_ptr
 * @out_len:     in: size of the buffer at @out_ptr; out: bytes written, or
 *               the size needed when the call fails with ENOSPC
 * @generation:  the generation counter to record in the backup package
 * @context_len: at most CHIPKEY_MAX_CONTEXT
 * @flags:       must be 0
 * @mac:         out: the sealed-wrap MAC (docs/attestation.md)
 * @reserved:    must be 0
 */
struct chipkey_sealed_wrap {
	__u64 in_ptr;
	__u64 out_ptr;
	__u64 context_ptr;
	__u32 in_len;
	__u32 out_len;
	__u64 generation;
	__u32 context_len;
	__u32 flags;
	__u8  mac[CHIPKEY_MAC_LEN];
	__u32 reserved[4];
};

/**
 * struct chipkey_chip_mac - HMAC under a chip-derived key (CHIPKEY_IOC_CHIP_MAC)
 * @in_ptr:   user pointer to the input
 * @in_len:   at most CHIPKEY_MAX_MAC_INPUT
 * @purpose:  CHIPKEY_MAC_* (any other value: EINVAL)
 * @flags:    must be 0
 * @reserved: must be 0
 * @mac:      out: HMAC-SHA256 of the input
 */
struct chipkey_chip_mac {
	__u64 in_ptr;
	__u32 in_len;
	__u32 purpose;
	__u32 flags;
	__u32 reserved[5];
	__u8  mac[CHIPKEY_MAC_LEN];
};

/*
 * Keys sealed to the chip for the kernel keyring (docs/sealed-keys.md).
 * KEY_NEW makes a random key inside the kernel and returns only its sealed
 * blob; KEY_LOAD opens a blob inside the kernel and adds the key as a
 * "logon" key "chipkey:NAME" to a keyring of the caller.  Both need
 * CAP_SYS_ADMIN.  Not counted in CHIPKEY_ABI_VERSION (2): probe with the
 * ioctl (ENOTTY on an older module).  Both structures are the same on
 * every ABI (40 and 56 bytes; no compat translation).
 */
#define CHIPKEY_SKEY_HEADER_LEN		64
#define CHIPKEY_SKEY_OVERHEAD		(CHIPKEY_SKEY_HEADER_LEN + CHIPKEY_PKG_TAG_LEN)
#define CHIPKEY_SKEY_MIN_LEN		16
#define CHIPKEY_SKEY_DEFAULT_LEN	32
#define CHIPKEY_SKEY_MAX_LEN		64
#define CHIPKEY_MAX_SKEY		(CHIPKEY_SKEY_MAX_LEN + CHIPKEY_SKEY_OVERHEAD)
/* NAME of "chipkey:NAME": 1..32 bytes of ASCII [A-Za-z0-9._-]. */
#define CHIPKEY_SKEY_NAME_MAX		32
#define CHIPKEY_SKEY_DESC_PREFIX	"chipkey:"

/**
 * struct chipkey_key_new - make a new sealed key (CHIPKEY_IOC_KEY_NEW)
 * @out_ptr:  user pointer to the buffer for the sealed blob
 * @key_len:  length of the key: 0 (= CHIPKEY_SKEY_DEFAULT_LEN) or
 *            CHIPKEY_SKEY_MIN_LEN..CHIPKEY_SKEY_MAX_LEN
 * @out_len:  in: size of the buffer; out: bytes written, or the size needed
 *            when the call fails with ENOSPC
 * @flags:    must be 0
 * @reserved: must be 0
 */
struct chipkey_key_new {
	__u64 out_ptr;
	__u32 key_len;
	__u32 out_len;
	__u32 flags;
	__u32 reserved[5];
};

/**
 * struct chipkey_key_load - load a sealed key into a keyring
 *                           (CHIPKEY_IOC_KEY_LOAD)
 * @in_ptr:   user pointer to the sealed blob
 * @name_ptr: user pointer to NAME (not NUL-terminated); the key's
 *            description is "chipkey:NAME"
 * @in_len:   bytes at @in_ptr
 * @name_len: bytes at @name_ptr, 1..CHIPKEY_SKEY_NAME_MAX
 * @keyring:  destination keyring: a serial or a KEY_SPEC_* value
 *            (KEY_SPEC_SESSION_KEYRING = -3, KEY_SPEC_USER_KEYRING = -4, ...)
 *            resolved as add_key(2) does; the caller needs write
 *            permission on it and must own it (EACCES otherwise)
 * @serial:   out: the serial of the new logon key (every load makes a new
 *            key, which replaces a key of the same description in the
 *            keyring; docs/sealed-keys.md)
 * @flags:    must be 0
 * @reserved: must be 0
 */
struct chipkey_key_load {
	__u64 in_ptr;
	__u64 name_ptr;
	__u32 in_len;
	__u32 name_len;
	__s32 keyring;
	__s32 serial;
	__u32 flags;
	__u32 reserved[5];
};

#define CHIPKEY_IOC_MAGIC	0xC7

#define CHIPKEY_IOC_INFO	_IOR(CHIPKEY_IOC_MAGIC, 0x00, struct chipkey_info)
#define CHIPKEY_IOC_WRAP	_IOWR(CHIPKEY_IOC_MAGIC, 0x01, struct chipkey_xfer)
#define CHIPKEY_IOC_UNWRAP	_IOWR(CHIPKEY_IOC_MAGIC, 0x02, struct chipkey_xfer)
#define CHIPKEY_IOC_ROM_KEY	_IOWR(CHIPKEY_IOC_MAGIC, 0x03, struct chipkey_rom_key)
#define CHIPKEY_IOC_ATTEST_KEY	_IOR(CHIPKEY_IOC_MAGIC, 0x04, struct chipkey_attest_key)
#define CHIPKEY_IOC_ATTEST	_IOWR(CHIPKEY_IOC_MAGIC, 0x05, struct chipkey_attest)
#define CHIPKEY_IOC_SEALED_WRAP	_IOWR(CHIPKEY_IOC_MAGIC, 0x06, struct chipkey_sealed_wrap)
#define CHIPKEY_IOC_CHIP_MAC	_IOWR(CHIPKEY_IOC_MAGIC, 0x07, struct chipkey_chip_mac)
#define CHIPKEY_IOC_KEY_NEW	_IOWR(CHIPKEY_IOC_MAGIC, 0x08, struct chipkey_key_new)
#define CHIPKEY_IOC_KEY_LOAD	_IOWR(CHIPKEY_IOC_MAGIC, 0x09, struct chipkey_key_load)

#endif /* _UAPI_LINUX_CHIPKEY_H */
