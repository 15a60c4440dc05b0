/* SPDX-License-Identifier: GPL-2.0-or-later */
/* chipkey-factory: identity pool and pre-generated keys (database 140). */
#ifndef CHIPKEY_FACTORY_POOL_H
#define CHIPKEY_FACTORY_POOL_H

/* Load identities (one per line; all validated before anything is loaded). */
int pool_load(const char *url, const char *path);
/* Generate @count P-256 key pairs: public DER SPKI + private PKCS#8 DER. */
int pool_pregen_keys(const char *url, unsigned long long count);

#endif
