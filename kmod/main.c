// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: module init/exit and the platform driver.
 *
 * The driver binds to a devicetree node compatible with "chipkey,device-key"
 * (real fuses) or to the platform device "chipkey" registered by
 * chipkey_vfuse.ko (virtual fuses).  Both read the chip through the nvmem
 * consumer API, see fuses.c.
 */

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <crypto/kpp.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "chipkey.h"
#include "compat.h"

/* Only one chip: set while an instance is bound. */
static DEFINE_MUTEX(ck_bound_lock);
static bool ck_bound;

const char *ck_key_source_name(u32 key_source)
{
	switch (key_source) {
	case CHIPKEY_SRC_OTP:
		return "otp";
	case CHIPKEY_SRC_VIRTUAL_FUSE:
		return "virtual-fuse";
	default:
		return "unknown";
	}
}

static void ck_release(struct kref *ref)
{
	struct chipkey *ck = container_of(ref, struct chipkey, ref);

	kfree_sensitive(ck);
}

void ck_get(struct chipkey *ck)
{
	kref_get(&ck->ref);
}

void ck_put(struct chipkey *ck)
{
	kref_put(&ck->ref, ck_release);
}

static int ck_claim(void)
{
	int ret = 0;

	mutex_lock(&ck_bound_lock);
	if (ck_bound)
		ret = -EBUSY;
	else
		ck_bound = true;
	mutex_unlock(&ck_bound_lock);
	return ret;
}

static void ck_unclaim(void)
{
	mutex_lock(&ck_bound_lock);
	ck_bound = false;
	mutex_unlock(&ck_bound_lock);
}

static int ck_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct chipkey *ck;
	int ret;

	ret = ck_claim();
	if (ret) {
		dev_err(dev, "another chip is already bound, only one is supported\n");
		return ret;
	}

	ck = kzalloc(sizeof(*ck), GFP_KERNEL);
	if (!ck) {
		ret = -ENOMEM;
		goto err_unclaim;
	}
	ck->dev = dev;
	kref_init(&ck->ref);
	init_rwsem(&ck->lock);

	ret = ck_fuses_read(dev, &ck->fuses);
	if (ret)
		goto err_free;

	ret = ck_crypto_init(ck);
	if (ret) {
		/* each context needs gcm(aes), hmac(sha256), ecdh-nist-p256 */
		dev_err_probe(dev, ret, "cannot set up the crypto contexts\n");
		goto err_free;
	}

	ret = ck_attest_init(ck);
	if (ret) {
		dev_err(dev, "cannot derive the attestation key: %d\n", ret);
		goto err_crypto;
	}

	platform_set_drvdata(pdev, ck);

	ret = ck_device_register(ck);
	if (ret) {
		dev_err(dev, "cannot register /dev/chipkey: %d\n", ret);
		goto err_crypto;
	}

	dev_info(dev, "chip %*phN ready, key source %s\n",
		 CHIPKEY_CHIP_ID_LEN, ck->fuses.chip_id,
		 ck_key_source_name(ck->fuses.key_source));
	/* Which implementations the crypto API chose (the tests report it). */
	dev_info(dev, "crypto: gcm(aes) by %s, hmac(sha256) by %s\n",
		 crypto_aead_driver_name(ck->ctx[0].aead),
		 crypto_shash_driver_name(ck->ctx[0].hmac));
	dev_info(dev, "crypto: ecdh-nist-p256 by %s\n",
		 crypto_tfm_alg_driver_name(crypto_kpp_tfm(ck->ctx[0].kpp)));
	return 0;

err_crypto:
	ck_crypto_exit(ck);
err_free:
	memzero_explicit(&ck->fuses, sizeof(ck->fuses));
	ck_put(ck);
err_unclaim:
	ck_unclaim();
	return ret;
}

static void ck_remove_chip(struct platform_device *pdev)
{
	struct chipkey *ck = platform_get_drvdata(pdev);

	/* No new opens; files already open still hold a reference. */
	ck_device_unregister(ck);

	/*
	 * Wait for wrap/unwrap crypto in flight (ioctls hold the lock only
	 * around it, never across a user copy), then make every later ioctl
	 * fail with -ENODEV.
	 */
	down_write(&ck->lock);
	WRITE_ONCE(ck->gone, true);
	ck_crypto_exit(ck);
	memzero_explicit(ck->fuses.chip_key, sizeof(ck->fuses.chip_key));
	up_write(&ck->lock);

	ck_put(ck);
	ck_unclaim();
}

#if CK_PLATFORM_REMOVE_VOID
static void ck_remove(struct platform_device *pdev)
{
	ck_remove_chip(pdev);
}
#else
static int ck_remove(struct platform_device *pdev)
{
	ck_remove_chip(pdev);
	return 0;
}
#endif

static const struct of_device_id ck_of_match[] = {
	{ .compatible = "chipkey,device-key" },
	{ }
};
MODULE_DEVICE_TABLE(of, ck_of_match);

static const struct platform_device_id ck_id_table[] = {
	{ .name = "chipkey" },
	{ }
};
MODULE_DEVICE_TABLE(platform, ck_id_table);

static struct platform_driver ck_driver = {
	.probe = ck_probe,
	.remove = ck_remove,
	.id_table = ck_id_table,
	.driver = {
		.name = "chipkey",
		.of_match_table = ck_of_match,
	},
};
module_platform_driver(ck_driver);

MODULE_DESCRIPTION("chipkey: device-unique key wrap/unwrap with fused chip keys");
MODULE_AUTHOR("chipkey developers");
MODULE_LICENSE("GPL");
