/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Revocation on the secure links (docs/service-link.md "Revocation"):
 * the peer's certificate and its issuing CA against the CRLs an end was
 * given (--crl), failing closed.
 */
#ifndef CHIPKEY_LINK_REVOCATION_H
#define CHIPKEY_LINK_REVOCATION_H

#include <openssl/evp.h>
#include <openssl/x509.h>

struct pki_crls;

/*
 * pki_crls_check() of @cert (issued by @ica, or by the ROM key @rom if
 * @ica is NULL) at the current time.  @crls NULL: 0 (not checked).
 * -EKEYREVOKED: a CRL lists @cert or @ica; -ENODATA: an issuer of the
 * chain has no current CRL among @crls (none, or all past nextUpdate).
 * The reason, naming @what, goes to stderr.
 */
int ck_link_crl_check(const struct pki_crls *crls, X509 *cert, X509 *ica, EVP_PKEY *rom,
		      const char *what);

struct ck_link_server;
/*
 * The server's list of revoked identities (s->identity_check, every mode):
 * 0, or -EKEYREVOKED (logged on stderr, naming @id).
 */
int ck_link_identity_check(const struct ck_link_server *s, const char *id);

#endif /* CHIPKEY_LINK_REVOCATION_H */
