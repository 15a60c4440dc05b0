/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-service --crl (crls.c): the factory's CRLs, checked against the
 * certificate of every device in modes 2-4 (link/revocation.h).  Each
 * connection takes the set in force when it starts; a file that changed
 * (device, inode, size or mtime: `chipkey-factory revoke` replaces it) is
 * read again first.  A file that cannot be read or holds no CRL once the
 * server runs fails closed: every connection is refused (and logged)
 * until it can be read again.
 */
#ifndef CHIPKEY_SERVICE_CRLS_H
#define CHIPKEY_SERVICE_CRLS_H

#include <stddef.h>

#define SVC_CRL_FILES_MAX	8

struct pki_crls;
struct svc_crls_set;

/*
 * Reads the files @paths[0..n-1] (kept, not copied): 0, or -errno with a
 * message in @why (-ESTALE: a CRL older than the newest of its issuer
 * accepted before, kept in @state_dir/crl-floor: pki_crls_floor()).  At
 * run time such an older CRL is replaced by the newer one (logged).
 */
int svc_crls_init(const char *const *paths, int n, const char *state_dir, char *why,
		  size_t whylen);
/*
 * The set in force for one connection (*@crls NULL: no --crl), re-read
 * first if a file changed: 0, or -EKEYREJECTED (a file cannot be read:
 * refuse the connection).  Give it back with svc_crls_put(*@ref).
 */
int svc_crls_get(const struct pki_crls **crls, struct svc_crls_set **ref);
void svc_crls_put(struct svc_crls_set *ref);

#endif /* CHIPKEY_SERVICE_CRLS_H */
