/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Software licences and their atomic install (docs/software-update.md):
 *   licence.c          the codec of the signed content (include/chipkey/licence.h)
 *   licence-signer.c   the licence-signing credential: issue (factory), check (device)
 *   licence-cms.c      the CMS SignedData around it: sign (factory), verify (device)
 *   licence-check.c    what a device checks before it installs (audience, clock rule)
 *   install.c          the A/B slots and the state file, the atomic install
 *   state.c            the state file codec
 *   image-digest.c     SHA-256 and size of an image file
 *   image-decrypt.c    an image encrypted to the device key (CMS)
 *   device-id.c        who this device is (keys directory, ROM key, chip)
 *   accept.c           every check of a licence that needs no image
 *   download.c         download directories and an image arriving into one
 * Functions return 0 or a negative errno unless they say otherwise; those
 * that take @err write a one-line reason there.
 */
#ifndef CHIPKEY_UPDATE_H
#define CHIPKEY_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chipkey/licence.h>

/* ---- codec (licence.c) ---- */

/* DER of @l (checked as the decoder checks it) into a new buffer (free()).
 * -EINVAL (not a valid licence), -ENOMEM, -EIO. */
int ck_licence_encode(const struct ck_licence *l, uint8_t **der, size_t *len);
/* Decode the whole buffer (DER only) into @l (ck_licence_free() it, also
 * after an error).  -EINVAL with a reason in @err. */
int ck_licence_decode(const uint8_t *der, size_t len, struct ck_licence *l,
		      char *err, size_t errlen);
void ck_licence_free(struct ck_licence *l);
/* 1 if @s is a device class name (1..64 of A-Za-z0-9._-). */
int ck_licence_class_valid(const char *s);

/* ---- the licence-signing credential (licence-signer.c) ---- */

/* Organizational unit marking it. */
#define CK_LICENCE_SIGNER_OU	"chipkey-licence-signer"
/* Its files in a factory directory (chipkey-factory licence-cred). */
#define CK_LICENCE_KEY_FILE	"licence-key.pem"	/* 0600 */
#define CK_LICENCE_CERT_FILE	"licence-cert.pem"	/* 0644 */
/* Default validity in days (docs/software-update.md "Signer"). */
#define CK_LICENCE_SIGNER_DAYS	3650
/*
 * CN=@name, OU=chipkey-licence-signer, O=<issuer O>, CA:FALSE, keyUsage
 * digitalSignature (critical), no EKU; issued by @ca_cert/@ca_key (the
 * factory's issuing CA).  NULL on failure.
 */
X509 *ck_licence_signer_issue(EVP_PKEY *ca_key, X509 *ca_cert, EVP_PKEY *pub,
			      const char *name, int days);
/* The role alone: end entity, exactly one OU, chipkey-licence-signer,
 * keyUsage digitalSignature without keyCertSign/cRLSign, no EKU, P-256.
 * 0 or -EKEYREJECTED. */
int ck_licence_signer_role(X509 *cert);

/* ---- the SignedData (licence-cms.c) ---- */

/* Sign the content DER @content with @key/@cert, adding @ica (the issuing
 * CA) to the certificates; DER SignedData into a new buffer (free()). */
int ck_licence_sign(const uint8_t *content, size_t content_len, EVP_PKEY *key,
		    X509 *cert, X509 *ica, uint8_t **out, size_t *out_len);

/* -EKEYEXPIRED unless @signer and @ica are both valid at @l's notBefore
 * and notAfter and the validity lasts at most CK_LICENCE_MAX_VALIDITY
 * (what ck_licence_verify() checks; the factory checks it before signing). */
int ck_licence_covered(X509 *signer, X509 *ica, const struct ck_licence *l, char *err,
		       size_t errlen);

/* What ck_licence_verify() found (for messages and status). */
struct ck_licence_signer_info {
	char subject[256];
	char serial[80];
};
/*
 * Verify the licence @buf against the ROM key @rom_key (DER SPKI): a DER
 * SignedData with the content attached, of eContentType
 * id-ct-chipkeyLicence, one signer; its certificate has the
 * licence-signer role and is issued by an issuing CA in the SignedData
 * that pki_verify_issuing_ca() accepts; neither is revoked by @crls
 * (NULL: not checked; else pki_crls_check(), failing closed); both
 * cover the licence's validity, at most CK_LICENCE_MAX_VALIDITY; the
 * signature verifies.  Then decodes the content into @l.
 *   -EINVAL        not a licence (malformed DER, wrong content type, bad content)
 *   -EMSGSIZE      larger than CK_LICENCE_MAX_LEN
 *   -EKEYREJECTED  the signer is not trusted (chain, role, revoked, no CRL)
 *   -EKEYEXPIRED   signer or CA not covering the licence's validity, or
 *                  too long a validity, or a CRL out of date
 *   -EBADMSG       the signature does not verify
 * @who (may be NULL) gets the signer's name.
 */
struct pki_crls;
int ck_licence_verify(const uint8_t *buf, size_t len, const uint8_t *rom_key,
		      size_t rom_key_len, const struct pki_crls *crls, struct ck_licence *l,
		      struct ck_licence_signer_info *who, char *err, size_t errlen);

/* ---- the device's checks (licence-check.c) ---- */

/* Who the device is: any field may be absent (NULL / has_chip_id 0); a
 * licence for an absent kind of target is refused. */
struct ck_device_id {
	const char *identity;
	const char *device_class;
	uint8_t chip_id[CK_LICENCE_CHIP_ID_LEN];
	int has_chip_id;
};
/* -ENOKEY if @l is not for @dev (reason in @err). */
int ck_licence_check_audience(const struct ck_licence *l, const struct ck_device_id *dev,
			      char *err, size_t errlen);
/*
 * The clock rule (docs/software-update.md "Time"): @clock is the wall
 * clock (pki_clock_now(): PKI_TIME_IGNORE when not set), @high_water the
 * persisted largest notBefore of an installed licence (0: none).
 * -EKEYEXPIRED if notAfter is before max(clock, high_water), or notBefore
 * after a set clock.  0 otherwise.
 */
int ck_licence_check_time(const struct ck_licence *l, time_t clock, int64_t high_water,
			  char *err, size_t errlen);

/* ---- who this device is (device-id.c) ---- */

struct ck_update_device {
	struct ck_device_id id;			/* identity points into @identity */
	char identity[CK_LICENCE_IDENTITY_LEN + 1];
};
/*
 * From the keys directory @keys (written by chipkey load / recover):
 * device-cert.pem (the device certificate, then the issuing CA that
 * signed it) must verify against the ROM key @rom; the identity and chip
 * ID are the certificate's; KEYS/identity and KEYS/device-cert.der, where
 * present, must say the same, and so must the chip's ID @chip (NULL: not
 * at hand).  No device-cert.pem: identity and chip ID unknown (licences
 * for them are refused).  @d->id.device_class is left as it is.
 * 0 or -EKEYREJECTED.
 */
int ck_update_device_id(const char *keys, const uint8_t *rom, size_t rom_len,
			const uint8_t *chip, struct ck_update_device *d, char *err,
			size_t errlen);

/* ---- the state file (state.c) ---- */

#define CK_UPDATE_STATE_FILE	"state"
#define CK_UPDATE_STATE_MAX	1024
struct ck_update_state {
	char slot;				/* 'a' or 'b'; 0: nothing installed */
	uint64_t sequence;			/* the rollback floor */
	int64_t high_water;			/* largest notBefore installed */
	uint64_t image_size;
	uint8_t image_digest[CK_LICENCE_DIGEST_LEN];
};
/* Text, one "key value" a line (docs/software-update.md "State file"). */
int ck_update_state_encode(const struct ck_update_state *s, char *buf, size_t size,
			   size_t *len);
int ck_update_state_decode(const char *buf, size_t len, struct ck_update_state *s);

/* SHA-256 and size of the file @path (image-digest.c). */
int ck_update_image_digest(const char *path, uint8_t md[CK_LICENCE_DIGEST_LEN],
			   uint64_t *size);

/* -ESTALE unless @l's sequence is above the installed @s->sequence (when
 * something is installed) by at most CK_LICENCE_MAX_SEQUENCE_STEP
 * (licence-check.c). */
int ck_licence_check_rollback(const struct ck_licence *l, const struct ck_update_state *s,
			      char *err, size_t errlen);

/* ---- every check that needs no image (accept.c) ---- */

struct pki_crls;
struct ck_update_accept {
	const char *keys;		/* the keys directory (ck_update_device_id) */
	const uint8_t *rom;		/* the ROM key (DER SPKI) */
	size_t rom_len;
	const uint8_t *chip;		/* the chip's ID; NULL: not at hand */
	const char *device_class;	/* --class; NULL: none */
	struct pki_crls *crls;		/* NULL: not checked */
	const char *slot_dir;		/* its state: rollback, clock high-water */
	const char *state_dir;		/* a CRL floor besides the slot directory's;
					 * NULL: none */
	time_t clock;			/* pki_clock_now() */
};
/* Where a directory DIR keeps its CRL floor (pki_crls_floor): DIR/crl-floor. */
#define CK_UPDATE_CRL_FLOOR	"crl-floor"
/*
 * The CRL floors of @crls (pki_crls_floor()): @slot_dir's (the directory
 * created 0755 if missing, so that a refused install still raises it)
 * and, if not NULL, @state_dir's (created 0700).  Each CRL older than the
 * one kept there is refused, -ESTALE; other errors -errno (a reason in
 * @err).  From then on a CRL of @crls that verifies raises both.
 */
int ck_update_crl_floors(struct pki_crls *crls, const char *slot_dir, const char *state_dir,
			 char *err, size_t errlen);
/*
 * The licence @lic, checked in the order of docs/software-update.md
 * "Checks": with CRLs, ck_update_crl_floors() (the slot directory's and
 * @state_dir's CRL floor: check 3b), then ck_licence_verify() (container,
 * signer chain to the ROM key, CRLs, signature; a CRL that verifies raises
 * those floors), ck_update_device_id() and ck_licence_check_audience()
 * (for this device), then against the slot directory's state as it is
 * now: ck_licence_check_time() and ck_licence_check_rollback().  The
 * install checks the state again under its lock.  @l is decoded
 * (ck_licence_free() it, also after an error).  The errors of those.
 */
int ck_update_accept(const struct ck_update_accept *a, const uint8_t *lic, size_t lic_len,
		     struct ck_licence *l, struct ck_licence_signer_info *who, char *err,
		     size_t errlen);

/* ---- the download directory (download.c) ---- */

/*
 * A new private directory @path (mode 0700, PATH_MAX room) named
 * download.XXXXXX under @parent, locked (flock) through *@lockfd for as
 * long as the caller keeps it open.  Under the lock of the slot directory
 * @slot_dir (the install's, waited for; the directory is created 0755 if
 * missing) it first removes every download.* directory under @parent that
 * no live process holds locked: what a killed run left behind.
 * @removed (may be NULL) counts them.
 */
int ck_update_download_dir(const char *slot_dir, const char *parent, char *path,
			   int *lockfd, int *removed, char *err, size_t errlen);
/* Remove the download directory @path (its files, then itself) and close
 * @lockfd. */
void ck_update_download_dir_remove(const char *path, int lockfd);

/* An image arriving into a file: at most @cap bytes, hashed as written. */
struct ck_update_download {
	int fd;
	uint64_t cap, len;
	EVP_MD_CTX *md;
};
/* Create @path (O_EXCL, 0600) for at most @cap bytes. */
int ck_update_download_open(struct ck_update_download *dl, const char *path, uint64_t cap);
/* Append @n bytes: -EFBIG (nothing written) if that goes past the cap. */
int ck_update_download_write(struct ck_update_download *dl, const void *buf, size_t n);
/* fsync and close; with @l, -EBADMSG unless size and SHA-256 are @l's. */
int ck_update_download_close(struct ck_update_download *dl, const struct ck_licence *l,
			     char *err, size_t errlen);

/* ---- the install (install.c) ---- */

/* The slot directory when none is given (docs/software-update.md "Install"). */
#define CK_UPDATE_SLOT_DIR	"/var/lib/chipkey/software"

/*
 * Open the slot directory @dir (created 0755 if missing) and read its
 * state (no state file: nothing installed).  -EBADMSG: the state file is
 * corrupt.
 */
int ck_update_read_state(const char *dir, struct ck_update_state *s);
/*
 * The plaintext of the image file @path, a DER CMS AuthEnvelopedData or
 * EnvelopedData (ECDH, `openssl cms -encrypt -recip device-cert.pem`)
 * of at most CK_UPDATE_MAX_ENCRYPTED bytes, decrypted with the device key
 * @key (its certificate @cert picks the recipient) into a new memory file
 * *@fd (close() it).  -ENOKEY: not encrypted to this device; -EBADMSG:
 * decryption or its authentication failed; -EINVAL: not CMS; -EFBIG.
 */
#define CK_UPDATE_MAX_ENCRYPTED	(256L << 20)
int ck_update_decrypt_image(const char *path, EVP_PKEY *key, X509 *cert, int *fd,
			    char *err, size_t errlen);

/*
 * Install the image (the regular file open at @image_fd, read from its
 * start) under the verified licence @l (its DER
 * @lic, kept beside the image) into @dir, created only once the checks
 * that need no copy pass, and removed again if this call created it and
 * the install then fails (the digest, say).  Under the lock: rollback check against the state (-ESTALE:
 * sequence not above the installed one, or more than
 * CK_LICENCE_MAX_SEQUENCE_STEP above it), the clock rule with @clock
 * (pki_clock_now()) and the state's high-water mark (-EKEYEXPIRED), the
 * image copied into DIR/.incoming while hashed (-EBADMSG: not a regular
 * file, digest or size differs from the licence), fsynced, only then
 * renamed over the inactive slot, then the state file replaced
 * atomically (the commit point).  A crash at any step leaves the old or the new
 * software (docs/software-update.md "Install").
 */
int ck_update_install(const char *dir, int image_fd, const struct ck_licence *l,
		      const uint8_t *lic, size_t lic_len, time_t clock, char *err,
		      size_t errlen);

#endif /* CHIPKEY_UPDATE_H */
