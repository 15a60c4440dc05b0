// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: keys sealed to the chip for the kernel keyring
 * (CHIPKEY_IOC_KEY_NEW, CHIPKEY_IOC_KEY_LOAD; docs/sealed-keys.md).
 *
 * KEY_NEW draws a random key inside the kernel, seals it and returns only
 * the blob.  KEY_LOAD opens a blob inside the kernel and adds the key as a
 * new "logon" key (no read method: its payload never goes back to
 * userspace) to the keyring the caller names, resolved with
 * lookup_user_key() as add_key(2) resolves it, so dm-crypt's request_key()
 * finds it from the caller's process keyrings.  The key is always a new
 * one (key_alloc() + key_instantiate_and_link(), never an update of a key
 * that is already there), owned by the caller, with no write or setattr
 * permission for anyone, in a keyring the caller owns and may write; a key
 * of the same description in that keyring loses its place there to the new
 * key.  The plaintext key only ever lives in a kmalloc'd blob buffer (wiped
 * by kfree_sensitive() on every path) and in
 * the logon key's payload (freed with kfree_sensitive() by the key type).
 * A kernel without CONFIG_KEYS answers KEY_LOAD with -EOPNOTSUPP.
 *
 *   AEAD key = HKDF-SHA256(IKM = chip key, salt = salt,
 *                          info = "chipkey v1 sealed logon key" || chip ID)
 *   blob     = header || AES-256-GCM(key, nonce, AAD = header, key) || tag
 */

#include <crypto/aead.h>
#include <crypto/sha2.h>
#include <keys/user-type.h>
#include <linux/build_bug.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/key.h>
#include <linux/key-type.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "chipkey.h"
#include "chipkey/sealed_key.h"

/* "chipkey:" NAME NUL */
#define CK_SKEY_DESC_LEN	(sizeof(CHIPKEY_SKEY_DESC_PREFIX) + \
				 CHIPKEY_SKEY_NAME_MAX)

/*
 * The logon key's permissions (0x19010000): possessor view, search (what
 * request_key() needs) and link; owner view.  No write (keyctl update would
 * replace the payload), no setattr (setperm/chown would give write back),
 * no read (the type has no read method anyway).
 */
#define CK_SKEY_PERM	(KEY_POS_VIEW | KEY_POS_SEARCH | KEY_POS_LINK | \
			 KEY_USR_VIEW)

/* The uapi structures have one layout on every ABI (no compat handler). */
static_assert(sizeof(struct chipkey_key_new) == 40);
static_assert(sizeof(struct chipkey_key_load) == 56);

/* Key the context's AEAD with the sealed-key key for @salt. */
static int ck_skey_setkey(struct ck_crypto_ctx *c, const struct ck_fuses *f,
			  const u8 *salt)
{
	u8 info[CK_SKEY_KDF_INFO_LEN];
	u8 okm[SHA256_DIGEST_SIZE];
	int ret;

	ck_skey_kdf_info(f->chip_id, info);
	ret = ck_hkdf(c, salt, CK_SKEY_SALT_LEN, f->chip_key,
		      sizeof(f->chip_key), info, sizeof(info), okm);
	if (!ret)
		ret = crypto_aead_setkey(c->aead, okm, sizeof(okm));
	memzero_explicit(okm, sizeof(okm));
	return ret;
}

/*
 * Seal (@encrypt) or open @blob in place: header || key (|| tag).  Takes
 * @ck->lock for reading around the crypto only.
 */
static int ck_skey_gcm(struct chipkey *ck, u8 *blob,
		       const struct ck_skey_header *h, bool encrypt)
{
	struct ck_crypto_ctx *c;
	int ret;

	ret = ck_crypto_lock(ck);
	if (ret)
		return ret;
	c = ck_ctx_get(ck);
	if (!c) {
		up_read(&ck->lock);
		return -EINTR;
	}
	ret = ck_skey_setkey(c, &ck->fuses, h->salt);
	if (!ret)
		ret = ck_ctx_gcm(c, blob, CHIPKEY_SKEY_HEADER_LEN, h->key_len,
				 h->nonce, encrypt);
	ck_ctx_put(c);
	up_read(&ck->lock);
	return ret;
}

long ck_ioctl_key_new(struct chipkey *ck, void __user *uarg)
{
	struct ck_skey_header h = {
		.version = CK_SKEY_VERSION,
		.alg = CK_SKEY_ALG_HKDF_SHA256_AES256GCM,
	};
	struct chipkey_key_new k;
	size_t need;
	u8 *blob;
	long ret;

	if (copy_from_user(&k, uarg, sizeof(k)))
		return -EFAULT;
	if (k.flags || memchr_inv(k.reserved, 0, sizeof(k.reserved)))
		return -EINVAL;
	h.key_len = k.key_len ? k.key_len : CHIPKEY_SKEY_DEFAULT_LEN;
	if (h.key_len < CHIPKEY_SKEY_MIN_LEN || h.key_len > CHIPKEY_SKEY_MAX_LEN)
		return -EINVAL;
	need = ck_skey_size(h.key_len);
	if (k.out_len < need) {
		k.out_len = need;
		if (copy_to_user(uarg, &k, sizeof(k)))
			return -EFAULT;
		return -ENOSPC;
	}

	blob = kmalloc(need, GFP_KERNEL);
	if (!blob)
		return -ENOMEM;
	memcpy(h.chip_id, ck->fuses.chip_id, CHIPKEY_CHIP_ID_LEN);
	get_random_bytes(h.salt, sizeof(h.salt));
	get_random_bytes(h.nonce, sizeof(h.nonce));

	ck_skey_header_encode(&h, blob);
	get_random_bytes(blob + CHIPKEY_SKEY_HEADER_LEN, h.key_len);
	ret = ck_skey_gcm(ck, blob, &h, true);
	if (ret)
		goto out;

	if (copy_to_user(u64_to_user_ptr(k.out_ptr), blob, need)) {
		ret = -EFAULT;
		goto out;
	}
	k.out_len = need;
	if (copy_to_user(uarg, &k, sizeof(k)))
		ret = -EFAULT;
out:
	kfree_sensitive(blob);
	memzero_explicit(&h, sizeof(h));
	return ret;
}

#ifdef CONFIG_KEYS
/* Copy NAME in and build "chipkey:NAME" into @desc (CK_SKEY_DESC_LEN). */
static int ck_skey_desc(char *desc, u64 name_ptr, u32 name_len)
{
	size_t plen = sizeof(CHIPKEY_SKEY_DESC_PREFIX) - 1;
	u32 i;

	if (!name_len || name_len > CHIPKEY_SKEY_NAME_MAX)
		return -EINVAL;
	memcpy(desc, CHIPKEY_SKEY_DESC_PREFIX, plen);
	if (copy_from_user(desc + plen, u64_to_user_ptr(name_ptr), name_len))
		return -EFAULT;
	desc[plen + name_len] = '\0';
	for (i = 0; i < name_len; i++) {
		char ch = desc[plen + i];

		/* ASCII only: isalnum() also accepts Latin-1 letters */
		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '.' && ch != '_' &&
		    ch != '-')
			return -EINVAL;
	}
	return 0;
}

/*
 * The destination keyring: resolved as add_key(2) resolves it (the caller
 * must be allowed to write it), a keyring, and owned by the caller's fsuid,
 * so that nobody else may rearrange it behind the caller.
 */
static key_ref_t ck_skey_keyring(s32 id)
{
	key_ref_t kref = lookup_user_key(id, KEY_LOOKUP_CREATE, KEY_NEED_WRITE);
	struct key *keyring;

	if (IS_ERR(kref))
		return kref;
	keyring = key_ref_to_ptr(kref);
	if (keyring->type != &key_type_keyring) {
		key_ref_put(kref);
		return ERR_PTR(-ENOTDIR);
	}
	if (!uid_eq(keyring->uid, current_fsuid())) {
		key_ref_put(kref);
		return ERR_PTR(-EACCES);
	}
	return kref;
}

/*
 * A new logon key @desc holding the @len bytes at @payload, linked into
 * @keyring.  Never an update of an existing key: a key of the same type and
 * description already in @keyring loses its link to the new one (the
 * keyring's assoc_array_insert() replaces the leaf), the old key itself is
 * left as it was.  Returns the new key (key_put() it) or an ERR_PTR.
 */
static struct key *ck_skey_add(struct key *keyring, const char *desc,
			       const u8 *payload, u32 len)
{
	const struct cred *cred = current_cred();
	struct key *key;
	int ret;

	key = key_alloc(&key_type_logon, desc, cred->fsuid, cred->fsgid, cred,
			CK_SKEY_PERM, KEY_ALLOC_IN_QUOTA, NULL);
	if (IS_ERR(key))
		return key;
	ret = key_instantiate_and_link(key, payload, len, keyring, NULL);
	if (ret) {
		key_put(key);
		return ERR_PTR(ret);
	}
	return key;
}

long ck_ioctl_key_load(struct chipkey *ck, void __user *uarg)
{
	char desc[CK_SKEY_DESC_LEN];
	struct chipkey_key_load k;
	struct ck_skey_header h;
	key_ref_t keyring;
	struct key *key;
	u8 *blob;
	long ret;

	if (copy_from_user(&k, uarg, sizeof(k)))
		return -EFAULT;
	if (k.flags || memchr_inv(k.reserved, 0, sizeof(k.reserved)))
		return -EINVAL;
	if (k.in_len < ck_skey_size(CHIPKEY_SKEY_MIN_LEN) ||
	    k.in_len > CHIPKEY_MAX_SKEY)
		return -EINVAL;
	ret = ck_skey_desc(desc, k.name_ptr, k.name_len);
	if (ret)
		return ret;

	blob = kmalloc(k.in_len, GFP_KERNEL);
	if (!blob)
		return -ENOMEM;
	if (copy_from_user(blob, u64_to_user_ptr(k.in_ptr), k.in_len)) {
		ret = -EFAULT;
		goto out;
	}
	ret = ck_skey_header_parse(blob, k.in_len, &h);
	if (ret)
		goto out;
	if (memcmp(h.chip_id, ck->fuses.chip_id, CHIPKEY_CHIP_ID_LEN)) {
		ret = -ENOKEY;
		goto out;
	}

	keyring = ck_skey_keyring(k.keyring);
	if (IS_ERR(keyring)) {
		ret = PTR_ERR(keyring);
		goto out;
	}

	ret = ck_skey_gcm(ck, blob, &h, false);
	if (!ret) {
		key = ck_skey_add(key_ref_to_ptr(keyring), desc,
				  blob + CHIPKEY_SKEY_HEADER_LEN, h.key_len);
		if (IS_ERR(key))
			ret = PTR_ERR(key);
	}
	key_ref_put(keyring);
	if (ret)
		goto out;
	k.serial = key->serial;
	/* a caller that cannot learn the serial gets no key either */
	if (copy_to_user(uarg, &k, sizeof(k))) {
		key_invalidate(key);
		ret = -EFAULT;
	}
	key_put(key);
out:
	kfree_sensitive(blob);
	memzero_explicit(&h, sizeof(h));
	return ret;
}
#else /* !CONFIG_KEYS */
long ck_ioctl_key_load(struct chipkey *ck, void __user *uarg)
{
	return -EOPNOTSUPP;	/* a kernel without keyrings */
}
#endif /* CONFIG_KEYS */
