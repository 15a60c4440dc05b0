/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A pre-generated private key at rest (include/chipkey/pregen_key.h):
 * sealed by chipkey-factory with the factory's master key, opened by the
 * SPP when it uses the pair.
 */
#ifndef CHIPKEY_COMMON_PREGEN_KEY_H
#define CHIPKEY_COMMON_PREGEN_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <chipkey/pregen_key.h>

/*
 * Seal the PKCS#8 DER @priv of the pair whose public key (DER SPKI) is
 * @pub under @master (32 bytes).  *@out (CK_PREGEN_OVERHEAD + @priv_len
 * bytes) is malloc'd: free().  0, -EINVAL, -ENOMEM or -EIO.
 */
int ck_pregen_seal(const uint8_t *master, const uint8_t *pub, size_t pub_len,
		   const uint8_t *priv, size_t priv_len, uint8_t **out, size_t *out_len);

/*
 * Open @blob of the pair with public key @pub: *@priv (malloc'd; wipe it
 * with ck_pregen_free) is the PKCS#8 DER.  0, -EPROTO (not a sealed key:
 * no CKPK magic or another version), -EBADMSG (does not authenticate:
 * another master key, another row's public key, tampered), -ENOMEM, -EIO.
 */
int ck_pregen_open(const uint8_t *master, const uint8_t *pub, size_t pub_len,
		   const uint8_t *blob, size_t blob_len, uint8_t **priv, size_t *priv_len);

void ck_pregen_free(uint8_t *priv, size_t len);

#endif /* CHIPKEY_COMMON_PREGEN_KEY_H */
