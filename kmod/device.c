// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: /dev/chipkey, its ioctls and its sysfs attributes.  The
 * attestation ioctls (ATTEST_KEY, ATTEST, SEALED_WRAP, CHIP_MAC) are in
 * attest-ioctl.c, the sealed-key ioctls (KEY_NEW, KEY_LOAD) in sealed-key.c.
 *
 * INFO, ROM_KEY and ATTEST_KEY are open to everyone (the node is 0666);
 * WRAP, UNWRAP, ATTEST, SEALED_WRAP, CHIP_MAC, KEY_NEW and KEY_LOAD need
 * CAP_SYS_ADMIN.  No path copies key material to userspace: wrap returns
 * ciphertext, unwrap returns plaintext only after the tag verified, sealed
 * wrap returns only the backup package and a MAC, attest and chip MAC
 * return only MACs, key new returns only the sealed blob and key load puts
 * the key in a keyring.
 */

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "chipkey.h"

static struct chipkey *ck_from_dev(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct chipkey, misc);
}

static ssize_t chip_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%*phN\n", CHIPKEY_CHIP_ID_LEN,
			  ck_from_dev(dev)->fuses.chip_id);
}
static DEVICE_ATTR_RO(chip_id);

static ssize_t key_source_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  ck_key_source_name(ck_from_dev(dev)->fuses.key_source));
}
static DEVICE_ATTR_RO(key_source);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	/* The attribute exists only while the chip is bound and usable. */
	return sysfs_emit(buf, "ready\n");
}
static DEVICE_ATTR_RO(state);

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", CHIPKEY_ABI_VERSION);
}
static DEVICE_ATTR_RO(abi_version);

static struct attribute *chipkey_attrs[] = {
	&dev_attr_chip_id.attr,
	&dev_attr_key_source.attr,
	&dev_attr_state.attr,
	&dev_attr_abi_version.attr,
	NULL
};
ATTRIBUTE_GROUPS(chipkey);

static bool ck_xfer_valid(const struct chipkey_xfer *x)
{
	return !x->flags && !memchr_inv(x->reserved, 0, sizeof(x->reserved));
}

static long ck_ioctl_info(struct chipkey *ck, void __user *uarg)
{
	struct chipkey_info info = {
		.abi_version = CHIPKEY_ABI_VERSION,
		.key_source = ck->fuses.key_source,
		.max_payload = CHIPKEY_MAX_PAYLOAD,
		.max_package = CHIPKEY_MAX_PACKAGE,
		.pkg_overhead = CHIPKEY_PKG_OVERHEAD,
		.rom_key_len = ck->fuses.rom_key_len,
	};

	memcpy(info.chip_id, ck->fuses.chip_id, CHIPKEY_CHIP_ID_LEN);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long ck_ioctl_rom_key(struct chipkey *ck, void __user *uarg)
{
	struct chipkey_rom_key rk;
	u32 len = ck->fuses.rom_key_len;
	bool fits;

	if (copy_from_user(&rk, uarg, sizeof(rk)))
		return -EFAULT;
	if (rk.flags || memchr_inv(rk.reserved, 0, sizeof(rk.reserved)))
		return -EINVAL;

	fits = rk.buf_len >= len;
	if (fits && copy_to_user(u64_to_user_ptr(rk.buf_ptr), ck->fuses.rom_key, len))
		return -EFAULT;
	rk.buf_len = len;
	if (copy_to_user(uarg, &rk, sizeof(rk)))
		return -EFAULT;
	return fits ? 0 : -ENOSPC;
}

/* Tell the caller how large its output buffer must be. */
static long ck_xfer_nospc(struct chipkey_xfer *x, void __user *uarg, u32 need)
{
	x->out_len = need;
	if (copy_to_user(uarg, x, sizeof(*x)))
		return -EFAULT;
	return -ENOSPC;
}

/*
 * Take @ck->lock for one crypto operation: only the operation itself runs
 * under it, never a user copy, so unbinding waits for crypto in flight but
 * never for a user buffer that stalls (userfaultfd, FUSE-backed mmap).
 */
int ck_crypto_lock(struct chipkey *ck)
{
	if (down_read_killable(&ck->lock))
		return -EINTR;
	if (ck->gone) {
		up_read(&ck->lock);
		return -ENODEV;
	}
	return 0;
}

static long ck_ioctl_wrap(struct chipkey *ck, void __user *uarg)
{
	struct chipkey_xfer x;
	u8 *pkg;
	u32 need;
	long ret;

	if (copy_from_user(&x, uarg, sizeof(x)))
		return -EFAULT;
	if (!ck_xfer_valid(&x))
		return -EINVAL;
	if (x.in_len > CHIPKEY_MAX_PAYLOAD)
		return -EMSGSIZE;
	need = ck_pkg_size(x.in_len);
	if (x.out_len < need)
		return ck_xfer_nospc(&x, uarg, need);

	pkg = ck_pkg_alloc(need);
	if (!pkg)
		return -ENOMEM;
	if (copy_from_user(pkg + CHIPKEY_PKG_HEADER_LEN,
			   u64_to_user_ptr(x.in_ptr), x.in_len)) {
		ret = -EFAULT;
		goto out;
	}

	ret = ck_crypto_lock(ck);
	if (ret)
		goto out;
	ret = ck_wrap(ck, pkg, x.in_len, x.generation);
	up_read(&ck->lock);
	if (ret)
		goto out;

	if (copy_to_user(u64_to_user_ptr(x.out_ptr), pkg, need)) {
		ret = -EFAULT;
		goto out;
	}
	x.out_len = need;
	if (copy_to_user(uarg, &x, sizeof(x)))
		ret = -EFAULT;
out:
	ck_pkg_free(pkg, need);
	return ret;
}

static long ck_ioctl_unwrap(struct chipkey *ck, void __user *uarg)
{
	u8 hdr[CHIPKEY_PKG_HEADER_LEN];
	struct ck_pkg_header h;
	struct chipkey_xfer x;
	u8 *pkg;
	long ret;

	if (copy_from_user(&x, uarg, sizeof(x)))
		return -EFAULT;
	if (!ck_xfer_valid(&x))
		return -EINVAL;
	if (x.in_len > CHIPKEY_MAX_PACKAGE)
		return -EMSGSIZE;
	if (x.in_len < CHIPKEY_PKG_OVERHEAD)
		return -EINVAL;

	/*
	 * Everything that can be refused without the key is refused here.
	 * The chip ID is immutable while the file's reference keeps @ck.
	 */
	if (copy_from_user(hdr, u64_to_user_ptr(x.in_ptr), sizeof(hdr)))
		return -EFAULT;
	ret = ck_pkg_header_parse(hdr, x.in_len, &h);
	if (ret)
		return ret;
	if (memcmp(h.chip_id, ck->fuses.chip_id, CHIPKEY_CHIP_ID_LEN))
		return -ENOKEY;
	if (x.out_len < h.payload_len)
		return ck_xfer_nospc(&x, uarg, h.payload_len);

	pkg = ck_pkg_alloc(x.in_len);
	if (!pkg)
		return -ENOMEM;
	/* Keep the header that was checked: read only the rest again. */
	memcpy(pkg, hdr, sizeof(hdr));
	if (copy_from_user(pkg + sizeof(hdr),
			   u64_to_user_ptr(x.in_ptr) + sizeof(hdr),
			   x.in_len - sizeof(hdr))) {
		ret = -EFAULT;
		goto out;
	}

	ret = ck_crypto_lock(ck);
	if (ret)
		goto out;
	ret = ck_unwrap(ck, pkg, &h);
	up_read(&ck->lock);
	if (ret)
		goto out;	/* -EBADMSG: nothing leaves the kernel */

	if (copy_to_user(u64_to_user_ptr(x.out_ptr),
			 pkg + CHIPKEY_PKG_HEADER_LEN, h.payload_len)) {
		ret = -EFAULT;
		goto out;
	}
	x.out_len = h.payload_len;
	x.generation = h.generation;
	if (copy_to_user(uarg, &x, sizeof(x)))
		ret = -EFAULT;
out:
	ck_pkg_free(pkg, x.in_len);
	memzero_explicit(&h, sizeof(h));
	return ret;
}

/*
 * Locking: no ioctl holds @ck->lock across a user copy (a user buffer can
 * stall indefinitely).  INFO, ROM_KEY and ATTEST_KEY take no lock at all:
 * chip_id, key_source, rom_key and att_pub are written once at probe and
 * never change, and
 * the open file's reference keeps @ck allocated after unbinding.  The other
 * ioctls copy in and validate everything first, hold the lock for reading
 * only around the crypto (which uses the chip key and the context pool that
 * unbinding wipes and frees), then copy out.  The lockless @gone check keeps
 * -ENODEV the first answer (after -EPERM) once the chip is unbound; the
 * check under the lock is the one that makes the crypto safe.
 */
static long ck_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct chipkey *ck = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case CHIPKEY_IOC_WRAP:
	case CHIPKEY_IOC_UNWRAP:
	case CHIPKEY_IOC_ATTEST:
	case CHIPKEY_IOC_SEALED_WRAP:
	case CHIPKEY_IOC_CHIP_MAC:
	case CHIPKEY_IOC_KEY_NEW:
	case CHIPKEY_IOC_KEY_LOAD:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		break;
	case CHIPKEY_IOC_INFO:
	case CHIPKEY_IOC_ROM_KEY:
	case CHIPKEY_IOC_ATTEST_KEY:
		break;
	default:
		return -ENOTTY;
	}

	if (READ_ONCE(ck->gone))
		return -ENODEV;

	switch (cmd) {
	case CHIPKEY_IOC_INFO:
		return ck_ioctl_info(ck, uarg);
	case CHIPKEY_IOC_ROM_KEY:
		return ck_ioctl_rom_key(ck, uarg);
	case CHIPKEY_IOC_ATTEST_KEY:
		return ck_ioctl_attest_key(ck, uarg);
	case CHIPKEY_IOC_WRAP:
		return ck_ioctl_wrap(ck, uarg);
	case CHIPKEY_IOC_UNWRAP:
		return ck_ioctl_unwrap(ck, uarg);
	case CHIPKEY_IOC_ATTEST:
		return ck_ioctl_attest(ck, uarg);
	case CHIPKEY_IOC_SEALED_WRAP:
		return ck_ioctl_sealed_wrap(ck, uarg);
	case CHIPKEY_IOC_KEY_NEW:
		return ck_ioctl_key_new(ck, uarg);
	case CHIPKEY_IOC_KEY_LOAD:
		return ck_ioctl_key_load(ck, uarg);
	default:
		return ck_ioctl_chip_mac(ck, uarg);
	}
}

static int ck_open(struct inode *inode, struct file *file)
{
	/* misc_open() holds misc_mtx: the device cannot be unbound here. */
	struct chipkey *ck = container_of(file->private_data, struct chipkey,
					  misc);

	ck_get(ck);
	file->private_data = ck;
	return nonseekable_open(inode, file);
}

static int ck_release_file(struct inode *inode, struct file *file)
{
	ck_put(file->private_data);
	return 0;
}

static const struct file_operations ck_fops = {
	.owner = THIS_MODULE,
	.open = ck_open,
	.release = ck_release_file,
	.unlocked_ioctl = ck_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * ck_device_register() - create /dev/chipkey
 * @ck: the chip, fully set up
 *
 * Return: 0 or a negative errno.
 */
int ck_device_register(struct chipkey *ck)
{
	ck->misc.minor = MISC_DYNAMIC_MINOR;
	ck->misc.name = "chipkey";
	ck->misc.fops = &ck_fops;
	ck->misc.mode = 0666;
	ck->misc.parent = ck->dev;
	ck->misc.groups = chipkey_groups;
	return misc_register(&ck->misc);
}

/**
 * ck_device_unregister() - remove /dev/chipkey (open files stay valid)
 * @ck: the chip
 */
void ck_device_unregister(struct chipkey *ck)
{
	misc_deregister(&ck->misc);
}
