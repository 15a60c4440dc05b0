/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chipkey-service --revoked-ids FILE (revoked.c): device identities refused
 * in every mode (docs/service-link.md "Revocation"), so that a device
 * revoked at the factory is stopped in mode 1 too, which carries no
 * certificate for a CRL to apply to.  FILE: one 15-digit identity a line;
 * blank lines and lines starting with '#' are ignored; anything else makes
 * the whole file unusable.  Read again at each connection when it changed
 * (device, inode, size, mtime); a file that cannot be read or does not
 * parse fails closed: every connection is refused until it can be read.
 */
#ifndef CHIPKEY_SERVICE_REVOKED_H
#define CHIPKEY_SERVICE_REVOKED_H

#include <stddef.h>

/* Reads @path (kept, not copied): 0 or -errno with a message in @why. */
int svc_revoked_init(const char *path, char *why, size_t whylen);
/* At the start of a connection: read the file again if it changed.
 * 0, or -EKEYREJECTED (unusable: refuse the connection; logged). */
int svc_revoked_refresh(void);
/* For ck_link_server.identity_check: -EKEYREVOKED if @id is listed. */
int svc_revoked_check(const char *id);

#endif /* CHIPKEY_SERVICE_REVOKED_H */
