/* SPDX-License-Identifier: GPL-2.0-or-later */
/* chipkey-factory: identity pool and pre-generated keys (database 140). */
#ifndef CHIPKEY_FACTORY_POOL_H
#define CHIPKEY_FACTORY_POOL_H

#include <stdint.h>

/* Load identities (one per line; all validated before anything is loaded). */
int pool_load(const char *url, const char *path);
/* Only the check of pool_load (the file readable twice, every line an
 * identity): 0 or -errno, said on stderr.  init runs it before it makes
 * the factory directory. */
int pool_check(const char *path);
/* Generate @count P-256 key pairs: public DER SPKI + the private PKCS#8 DER
 * sealed under the factory's @master key (common/pregen-key.h). */
int pool_pregen_keys(const char *url, const uint8_t *master, unsigned long long count);
/* The same with the master key of the factory directory @dir. */
int pool_pregen_keys_in(const char *dir, const char *url, unsigned long long count);

#endif
