/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal to modes 3 and 4 (link-cms*.c, link-bcast*.c): the framing on
 * the socket, the CMS containers, the certificate checks up to the ROM
 * key and the device's persisted high-water marks.  Formats:
 * <chipkey/link_cms.h>, <chipkey/link_bcast.h>; docs/service-link-cms.md.
 *
 * Functions return 0 or a negative errno:
 *   -EBADMSG       malformed message (frame, CMS structure, body)
 *   -EMSGSIZE      a frame or message larger than the limit
 *   -EPROTO        a frame of another type than the step expects
 *   -EKEYREJECTED  bad signature, not chained to the ROM key, wrong role,
 *                  another identity, a reply that does not echo the offer
 *   -EBADE         an AuthEnvelopedData that does not decrypt with this
 *                  end's key: for another recipient, or tampered
 *   -EKEYEXPIRED   outside the validity rule (expired or in the future)
 *   -ESTALE        replay: seq / version not above the high-water mark
 *   -ECONNRESET    the peer closed the connection
 *   -ETIMEDOUT     a frame not whole within ck_link_frame_timeout_ms
 *   -ENOMEM, -EIO  (I/O or an OpenSSL failure)
 * and leave a one-line reason for ck_link_cms_why().
 */
#ifndef CHIPKEY_LINK_CMS_INT_H
#define CHIPKEY_LINK_CMS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chipkey/link_cms.h>
#include "link/link.h"

extern const struct ck_link_mode ck_link_mode_cms;
extern const struct ck_link_mode ck_link_mode_bcast;

/* ---- reasons (link-cms-state.c) ---- */
/* The reason of the last failure in this thread ("" if none). */
const char *ck_link_cms_why(void);
/* Records a reason, clears OpenSSL's error queue, returns @rc. */
int ck_link_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- frames (link-cms-frame.c) ---- */
/* A frame must arrive whole within this long (ms) of the start of
 * ck_link_frame_recv(), else -ETIMEDOUT; a test driver may lower it. */
#define CK_LINK_FRAME_TIMEOUT_MS	30000
extern int ck_link_frame_timeout_ms;
int ck_link_frame_send(int fd, uint8_t type, const uint8_t *body, size_t len);
/* A frame of @type; *@body: free() it. */
int ck_link_frame_recv(int fd, uint8_t type, uint8_t **body, size_t *len);

/* ---- CMS (link-cms-sign.c) ---- */
/* DER SignedData of @content (eContentType @oid, attached), signed by
 * @key/@cert, certificates @cert and @extra (may be NULL). OPENSSL_free. */
int ck_link_cms_sign(const char *oid, const uint8_t *content, size_t len,
		     EVP_PKEY *key, X509 *cert, STACK_OF(X509) *extra,
		     uint8_t **out, size_t *out_len);
/*
 * Parse a DER SignedData of eContentType @oid whose content is exactly
 * @content_len bytes, with exactly one signer whose certificate is in it,
 * and check that signature (no chain: the caller's).  Fills @content,
 * *@signer (X509_free) and *@certs (every certificate, sk_X509_pop_free).
 */
int ck_link_cms_open_signed(const uint8_t *der, size_t len, const char *oid,
			    uint8_t *content, size_t content_len, X509 **signer,
			    STACK_OF(X509) **certs);
/* DER EnvelopedData (kari, AES-256-CBC, AES-256 key wrap) of @in to @recip. */
int ck_link_cms_encrypt(const uint8_t *in, size_t len, X509 *recip, uint8_t **out,
			size_t *out_len);
/* The content of a DER EnvelopedData for @key/@cert (*@out: OPENSSL_free). */
int ck_link_cms_decrypt(const uint8_t *der, size_t len, EVP_PKEY *key, X509 *cert,
			uint8_t **out, size_t *out_len);

/* ---- certificates (link-cms-chain.c) ---- */
#define CK_LINK_SERVICE_OU	"chipkey-service"
/* @cert is a service credential (exactly one OU=chipkey-service, an end
 * entity with digitalSignature, P-256) issued by an issuing CA of @certs
 * that the ROM key @rom signed; validity at @now as pki.h; not revoked
 * by @crls (link/revocation.h; NULL: not checked). */
int ck_link_verify_service(X509 *cert, STACK_OF(X509) *certs, EVP_PKEY *rom, time_t now,
			   const struct pki_crls *crls);
/* A signed time @t (issued_at) within @cert's validity period. */
int ck_link_signed_in_validity(X509 *cert, uint64_t t);
/* @cert is a device certificate issued by an issuing CA of @icas under
 * @rom (pki_verify_device_cert), not revoked by @crls (as above); its
 * identity into @id. */
int ck_link_verify_device(X509 *cert, STACK_OF(X509) *icas, EVP_PKEY *rom, time_t now,
			  const struct pki_crls *crls,
			  char id[CK_LINK_CMS_ID_LEN]);

/* ---- the device's state (link-cms-state.c) ---- */
#define CK_LINK_LOCK_FILE	"link.lock"

/*
 * The lock of a device's link state directory: flock(LOCK_EX) on
 * @dir/CK_LINK_LOCK_FILE (common/lockfile.h), held across read, compare and
 * write of a high-water mark (modes 3 and 4) and across a broadcast
 * renewal, between processes and threads; never across network I/O.  The
 * locked descriptor, or a negative errno.
 */
int ck_link_state_lock(const char *dir);
/* Release it (@fd < 0: nothing). */
void ck_link_state_unlock(int fd);
/* The high-water mark in @dir/@name (0 if the file does not exist). */
int ck_link_hw_read(const char *dir, const char *name, uint64_t *v);
/* Persist @v there (atomic write, fsync of the file and @dir). */
int ck_link_hw_write(const char *dir, const char *name, uint64_t v);
/*
 * The validity rule (docs/service-link-cms.md "Validity"): with a set
 * clock (@now != PKI_TIME_IGNORE), issued_at - SKEW <= now < issued_at +
 * valid_for; with an unset one, only the high-water mark decides.
 */
int ck_link_validity_check(uint64_t issued_at, uint32_t valid_for, time_t now);

/* ---- mode 3, outside a connection (link-cms.c) ---- */
/* What the device checks of a SECRET addressed to it, then persists:
 * the server's body into @b, the verified signer into *@server. */
int ck_link_cms_device_accept(const struct ck_link_device *d, const uint8_t *msg,
			      size_t len, struct ck_link_cms_body *b, X509 **server);

#endif /* CHIPKEY_LINK_CMS_INT_H */
