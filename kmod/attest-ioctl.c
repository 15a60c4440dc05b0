// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: the attestation ioctls of /dev/chipkey (ATTEST_KEY, ATTEST,
 * SEALED_WRAP, CHIP_MAC), called from ck_ioctl() in device.c after its
 * permission and unbinding checks, with the same locking rule: validate and
 * copy in first, hold @ck->lock only around the crypto (attest.c), copy out
 * after.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "chipkey.h"

long ck_ioctl_attest_key(struct chipkey *ck, void __user *uarg)
{
	struct chipkey_attest_key ak = { };

	memcpy(ak.pub, ck->att_pub, CHIPKEY_EC_POINT_LEN);
	if (copy_to_user(uarg, &ak, sizeof(ak)))
		return -EFAULT;
	return 0;
}

/* Copy a context string (at most CHIPKEY_MAX_CONTEXT bytes) in. */
static int ck_context_in(u8 *buf, u64 ptr, u32 len)
{
	if (len && copy_from_user(buf, u64_to_user_ptr(ptr), len))
		return -EFAULT;
	return 0;
}

long ck_ioctl_attest(struct chipkey *ck, void __user *uarg)
{
	u8 context[CHIPKEY_MAX_CONTEXT];
	struct chipkey_attest a;
	long ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || memchr_inv(a.pad, 0, sizeof(a.pad)) ||
	    memchr_inv(a.reserved, 0, sizeof(a.reserved)))
		return -EINVAL;
	if (a.context_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	if (a.verifier_pub[0] != 0x04)
		return -EINVAL;
	ret = ck_context_in(context, a.context_ptr, a.context_len);
	if (ret)
		return ret;

	ret = ck_crypto_lock(ck);
	if (ret)
		return ret;
	ret = ck_attest(ck, a.verifier_pub, context, a.context_len, a.mac);
	up_read(&ck->lock);
	if (!ret && copy_to_user(uarg, &a, sizeof(a)))
		ret = -EFAULT;
	memzero_explicit(&a, sizeof(a));
	return ret;
}

long ck_ioctl_sealed_wrap(struct chipkey *ck, void __user *uarg)
{
	u8 hdr[CHIPKEY_SEAL_HEADER_LEN], context[CHIPKEY_MAX_CONTEXT];
	struct chipkey_sealed_wrap s;
	struct ck_seal_header h;
	u8 *sealed, *pkg = NULL;
	size_t need = 0;
	long ret;

	if (copy_from_user(&s, uarg, sizeof(s)))
		return -EFAULT;
	if (s.flags || memchr_inv(s.reserved, 0, sizeof(s.reserved)))
		return -EINVAL;
	if (s.in_len > CHIPKEY_MAX_SEALED || s.context_len > CHIPKEY_MAX_CONTEXT)
		return -EMSGSIZE;
	if (s.in_len < CHIPKEY_SEAL_OVERHEAD)
		return -EINVAL;

	/* Everything that can be refused without the key is refused here. */
	if (copy_from_user(hdr, u64_to_user_ptr(s.in_ptr), sizeof(hdr)))
		return -EFAULT;
	ret = ck_seal_header_parse(hdr, s.in_len, &h);
	if (ret)
		return ret;
	if (memcmp(h.chip_id, ck->fuses.chip_id, CHIPKEY_CHIP_ID_LEN))
		return -ENOKEY;
	need = ck_pkg_size(h.payload_len);
	if (s.out_len < need) {
		s.out_len = need;
		if (copy_to_user(uarg, &s, sizeof(s)))
			return -EFAULT;
		return -ENOSPC;
	}
	ret = ck_context_in(context, s.context_ptr, s.context_len);
	if (ret)
		return ret;

	sealed = ck_pkg_alloc(s.in_len);
	if (!sealed)
		return -ENOMEM;
	/* Keep the header that was checked: read only the rest again. */
	memcpy(sealed, hdr, sizeof(hdr));
	if (copy_from_user(sealed + sizeof(hdr),
			   u64_to_user_ptr(s.in_ptr) + sizeof(hdr),
			   s.in_len - sizeof(hdr))) {
		ret = -EFAULT;
		goto out;
	}
	pkg = ck_pkg_alloc(need);
	if (!pkg) {
		ret = -ENOMEM;
		goto out;
	}

	ret = ck_crypto_lock(ck);
	if (ret)
		goto out;
	ret = ck_sealed_wrap(ck, sealed, &h, s.generation, context,
			     s.context_len, pkg, s.mac);
	up_read(&ck->lock);
	if (ret)
		goto out;

	if (copy_to_user(u64_to_user_ptr(s.out_ptr), pkg, need)) {
		ret = -EFAULT;
		goto out;
	}
	s.out_len = need;
	if (copy_to_user(uarg, &s, sizeof(s)))
		ret = -EFAULT;
out:
	ck_pkg_free(pkg, need);
	ck_pkg_free(sealed, s.in_len);
	memzero_explicit(&s, sizeof(s));
	return ret;
}

long ck_ioctl_chip_mac(struct chipkey *ck, void __user *uarg)
{
	struct chipkey_chip_mac m;
	u8 *in;
	long ret;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if (m.flags || memchr_inv(m.reserved, 0, sizeof(m.reserved)) ||
	    !ck_att_mac_purpose_known(m.purpose))
		return -EINVAL;
	if (m.in_len > CHIPKEY_MAX_MAC_INPUT)
		return -EMSGSIZE;

	/* kmalloc(0) gives ZERO_SIZE_PTR, which ck_pkg_free() accepts */
	in = ck_pkg_alloc(m.in_len);
	if (!in)
		return -ENOMEM;
	if (m.in_len && copy_from_user(in, u64_to_user_ptr(m.in_ptr), m.in_len)) {
		ret = -EFAULT;
		goto out;
	}

	ret = ck_crypto_lock(ck);
	if (ret)
		goto out;
	ret = ck_chip_mac(ck, m.purpose, in, m.in_len, m.mac);
	up_read(&ck->lock);
	if (!ret && copy_to_user(uarg, &m, sizeof(m)))
		ret = -EFAULT;
out:
	ck_pkg_free(in, m.in_len);
	memzero_explicit(&m, sizeof(m));
	return ret;
}
