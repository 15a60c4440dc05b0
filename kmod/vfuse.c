// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey_vfuse: virtual fuses for VMs and tests.
 *
 * Loads a 512-byte fuse image (include/chipkey/fuse_image.h) with the
 * firmware loader and serves it as a read-only OTP nvmem device with the
 * cells chip-id, chip-key-protected and rom-key, plus nvmem cell lookups
 * (con_ids chip-id, chip-key and rom-key) for the consumer device
 * "chipkey".  It then registers that platform device, so
 * chipkey.ko probes through the same nvmem consumer path as on hardware.
 *
 * Like a read-protected secure OTP region, the chip key reads back as zeros
 * through the raw nvmem interface (/sys/bus/nvmem/devices/.../nvmem) and the
 * per-cell sysfs files of newer kernels; only the chip-key cell lookup, read
 * by the kernel consumer, yields the key (see ck_vfuse_post_process()).
 */

#include <linux/firmware.h>
#include <linux/module.h>
#include <linux/nvmem-consumer.h>
#include <linux/nvmem-provider.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/chipkey.h>

#include "chipkey/fuse_image.h"
#include "compat.h"

#define CK_VFUSE_DEV_NAME	"chipkey-vfuse"
#define CK_VFUSE_NVMEM_NAME	"chipkey-fuses"
#define CK_VFUSE_CHIP_NAME	"chipkey"

static char *firmware = CK_FUSE_DEFAULT_FIRMWARE;
module_param(firmware, charp, 0444);
MODULE_PARM_DESC(firmware,
		 "fuse image file name for the firmware loader (default "
		 CK_FUSE_DEFAULT_FIRMWARE ")");

struct ck_vfuse {
	struct platform_device *pdev;	/* parent of the nvmem device */
	struct nvmem_device *nvmem;
	struct platform_device *chip;	/* "chipkey", the consumer */
	u8 image[CK_FUSE_IMAGE_SIZE];
};

static struct ck_vfuse *ck_vfuse;

static bool ck_vfuse_is_key(unsigned int offset, size_t bytes)
{
	return offset == CK_FUSE_OFF_CHIP_KEY && bytes == CHIPKEY_CHIP_KEY_LEN;
}

static int ck_vfuse_reg_read(void *priv, unsigned int offset, void *val,
			     size_t bytes)
{
	struct ck_vfuse *vf = priv;
	unsigned int start, end;

	if (offset > CK_FUSE_IMAGE_SIZE || bytes > CK_FUSE_IMAGE_SIZE - offset)
		return -EINVAL;
	memcpy(val, vf->image + offset, bytes);

	/* The chip key region is read-protected: it reads as zeros. */
	start = max_t(unsigned int, offset, CK_FUSE_OFF_CHIP_KEY);
	end = min_t(unsigned int, offset + bytes,
		    CK_FUSE_OFF_CHIP_KEY + CHIPKEY_CHIP_KEY_LEN);
	if (start < end)
		memset(val + (start - offset), 0, end - start);
	return 0;
}

/*
 * The chip key cell of the table is deliberately not called "chip-key".
 *
 * nvmem runs this hook for every read of a cell, and since 6.8 the nvmem
 * core also creates a world-readable sysfs file per cell
 * (/sys/bus/nvmem/devices/<dev>/cells/<name>@<off>,<bit>) whose read goes
 * through nvmem_cell_read() and so through this hook.  The readers differ in
 * @id: the cell sysfs file passes the table cell's own name
 * (CK_VFUSE_CELL_CHIP_KEY), a consumer's nvmem_cell_get() through our lookup
 * passes the lookup's con_id (CK_CELL_CHIP_KEY), nvmem_device_cell_read()
 * passes NULL.  Only the consumer lookup gets the key; every other reader
 * keeps the zeros of the read-protected region.
 */
#define CK_VFUSE_CELL_CHIP_KEY	"chip-key-protected"

/* The chip key, for the kernel consumer's chip-key lookup only. */
#if CK_NVMEM_CELL_POST_PROCESS
static int ck_vfuse_post_process(void *priv, const char *id, int index,
				 unsigned int offset, void *buf, size_t bytes)
#else
static int ck_vfuse_post_process(void *priv, const char *id,
				 unsigned int offset, void *buf, size_t bytes)
#endif
{
	if (!ck_vfuse || !id || strcmp(id, CK_CELL_CHIP_KEY) ||
	    !ck_vfuse_is_key(offset, bytes))
		return 0;
	memcpy(buf, ck_vfuse->image + offset, bytes);
	return 0;
}

static const struct nvmem_cell_info ck_vfuse_cells[] = {
	{
		.name = CK_CELL_CHIP_ID,
		.offset = CK_FUSE_OFF_CHIP_ID,
		.bytes = CHIPKEY_CHIP_ID_LEN,
	}, {
		.name = CK_VFUSE_CELL_CHIP_KEY,
		.offset = CK_FUSE_OFF_CHIP_KEY,
		.bytes = CHIPKEY_CHIP_KEY_LEN,
#if CK_NVMEM_CELL_POST_PROCESS
		.read_post_process = ck_vfuse_post_process,
#endif
	}, {
		.name = CK_CELL_ROM_KEY,
		.offset = CK_FUSE_OFF_ROM_KEY,
		.bytes = CK_FUSE_ROM_KEY_SIZE,
	},
};

static struct nvmem_cell_table ck_vfuse_cell_table = {
	.nvmem_name = CK_VFUSE_NVMEM_NAME,
	.cells = ck_vfuse_cells,
	.ncells = ARRAY_SIZE(ck_vfuse_cells),
};

static struct nvmem_cell_lookup ck_vfuse_lookups[] = {
	{
		.nvmem_name = CK_VFUSE_NVMEM_NAME,
		.cell_name = CK_CELL_CHIP_ID,
		.dev_id = CK_VFUSE_CHIP_NAME,
		.con_id = CK_CELL_CHIP_ID,
	}, {
		.nvmem_name = CK_VFUSE_NVMEM_NAME,
		.cell_name = CK_VFUSE_CELL_CHIP_KEY,
		.dev_id = CK_VFUSE_CHIP_NAME,
		.con_id = CK_CELL_CHIP_KEY,
	}, {
		.nvmem_name = CK_VFUSE_NVMEM_NAME,
		.cell_name = CK_CELL_ROM_KEY,
		.dev_id = CK_VFUSE_CHIP_NAME,
		.con_id = CK_CELL_ROM_KEY,
	},
};

static const struct property_entry ck_vfuse_chip_props[] = {
	PROPERTY_ENTRY_BOOL("chipkey,virtual-fuse"),
	{ }
};

static int ck_vfuse_load(struct ck_vfuse *vf)
{
	struct device *dev = &vf->pdev->dev;
	const struct firmware *fw;
	size_t size;
	int ret;

	/* Straight into our buffer: no other copy of the key to forget. */
	ret = request_firmware_into_buf(&fw, firmware, dev, vf->image,
					sizeof(vf->image));
	if (ret) {
		dev_err(dev, "cannot load fuse image %s: %d\n", firmware, ret);
		return ret;
	}
	size = fw->size;
	release_firmware(fw);

	if (size != CK_FUSE_IMAGE_SIZE) {
		dev_err(dev, "fuse image %s is %zu bytes, expected %d\n",
			firmware, size, CK_FUSE_IMAGE_SIZE);
		return -EINVAL;
	}
	if (memcmp(vf->image, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN)) {
		dev_err(dev, "fuse image %s: bad magic\n", firmware);
		return -EINVAL;
	}
	if (!ck_fuse_reserved_clear(vf->image)) {
		dev_err(dev, "fuse image %s: reserved bytes %d..%d are not zero\n",
			firmware, CK_FUSE_OFF_RESERVED,
			CK_FUSE_OFF_RESERVED + CK_FUSE_RESERVED_SIZE - 1);
		return -EINVAL;
	}
	return 0;
}

static int ck_vfuse_register_nvmem(struct ck_vfuse *vf)
{
	struct nvmem_config cfg = {
		.dev = &vf->pdev->dev,
		.name = CK_VFUSE_NVMEM_NAME,
		.id = NVMEM_DEVID_NONE,
		.owner = THIS_MODULE,
		.type = NVMEM_TYPE_OTP,
		.read_only = true,
		.root_only = true,
		.ignore_wp = true,
		.reg_read = ck_vfuse_reg_read,
#if !CK_NVMEM_CELL_POST_PROCESS
		.cell_post_process = ck_vfuse_post_process,
#endif
		.size = CK_FUSE_IMAGE_SIZE,
		.word_size = 1,
		.stride = 1,
		.priv = vf,
	};

	vf->nvmem = nvmem_register(&cfg);
	return PTR_ERR_OR_ZERO(vf->nvmem);
}

static int __init ck_vfuse_init(void)
{
	struct platform_device_info chip_info = {
		.name = CK_VFUSE_CHIP_NAME,
		.id = PLATFORM_DEVID_NONE,
		.properties = ck_vfuse_chip_props,
	};
	struct ck_vfuse *vf;
	int ret;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;

	vf->pdev = platform_device_register_simple(CK_VFUSE_DEV_NAME,
						   PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(vf->pdev)) {
		ret = PTR_ERR(vf->pdev);
		goto err_free;
	}

	ret = ck_vfuse_load(vf);
	if (ret)
		goto err_pdev;

	ck_vfuse = vf;
	nvmem_add_cell_table(&ck_vfuse_cell_table);
	ret = ck_vfuse_register_nvmem(vf);
	if (ret) {
		dev_err(&vf->pdev->dev, "cannot register nvmem device: %d\n", ret);
		goto err_table;
	}
	nvmem_add_cell_lookups(ck_vfuse_lookups, ARRAY_SIZE(ck_vfuse_lookups));

	chip_info.parent = &vf->pdev->dev;
	vf->chip = platform_device_register_full(&chip_info);
	if (IS_ERR(vf->chip)) {
		ret = PTR_ERR(vf->chip);
		dev_err(&vf->pdev->dev, "cannot register the chipkey device: %d\n", ret);
		goto err_lookups;
	}

	dev_info(&vf->pdev->dev, "virtual fuses from %s, chip %*phN\n",
		 firmware, CHIPKEY_CHIP_ID_LEN, vf->image + CK_FUSE_OFF_CHIP_ID);
	return 0;

err_lookups:
	nvmem_del_cell_lookups(ck_vfuse_lookups, ARRAY_SIZE(ck_vfuse_lookups));
	nvmem_unregister(vf->nvmem);
err_table:
	nvmem_del_cell_table(&ck_vfuse_cell_table);
	ck_vfuse = NULL;
err_pdev:
	platform_device_unregister(vf->pdev);
err_free:
	kfree_sensitive(vf);
	return ret;
}
module_init(ck_vfuse_init);

static void __exit ck_vfuse_exit(void)
{
	struct ck_vfuse *vf = ck_vfuse;

	platform_device_unregister(vf->chip);
	nvmem_del_cell_lookups(ck_vfuse_lookups, ARRAY_SIZE(ck_vfuse_lookups));
	nvmem_unregister(vf->nvmem);
	nvmem_del_cell_table(&ck_vfuse_cell_table);
	ck_vfuse = NULL;
	platform_device_unregister(vf->pdev);
	kfree_sensitive(vf);
}
module_exit(ck_vfuse_exit);

MODULE_DESCRIPTION("chipkey: virtual fuses (nvmem provider) for VMs and tests");
MODULE_AUTHOR("chipkey developers");
MODULE_LICENSE("GPL");
