/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chipkey pre-generated private key at rest: how the temporary database
 * (140, keypair_pool.priv) holds the private half of a pre-generated device
 * key pair (docs/databases.md, "Pre-generated key pairs at rest").
 *
 *   off len  field
 *     0   4  magic "CKPK"
 *     4   1  version (1)
 *     5  12  AES-256-GCM nonce (random)
 *    17   n  ciphertext of the PKCS#8 DER private key
 *  17+n  16  GCM tag
 *
 *   key = HKDF-SHA256(master key, salt none, CK_PREGEN_LABEL, 32)
 *   AAD = magic || version || the pair's public key (DER SPKI, as stored
 *         in keypair_pool.pub)
 *
 * The AAD binds a private key to its row's public key: a blob moved to
 * another row does not open.  Codec: userspace/common/pregen-key.c.
 */
#ifndef _CHIPKEY_PREGEN_KEY_H
#define _CHIPKEY_PREGEN_KEY_H

#define CK_PREGEN_MAGIC		"CKPK"
#define CK_PREGEN_LABEL		"chipkey v1 pregen key at rest"

enum ck_pregen_lengths {
	CK_PREGEN_MAGIC_LEN	= 4,
	CK_PREGEN_VERSION	= 1,
	CK_PREGEN_HEADER_LEN	= CK_PREGEN_MAGIC_LEN + 1,	/* magic + version */
	CK_PREGEN_NONCE_LEN	= 12,
	CK_PREGEN_TAG_LEN	= 16,
	CK_PREGEN_OVERHEAD	= CK_PREGEN_HEADER_LEN + CK_PREGEN_NONCE_LEN +
				  CK_PREGEN_TAG_LEN,
	CK_PREGEN_MAX_KEY	= 4096,		/* PKCS#8 P-256: about 138 */
	CK_PREGEN_LABEL_LEN	= sizeof(CK_PREGEN_LABEL) - 1,
};

#endif /* _CHIPKEY_PREGEN_KEY_H */
