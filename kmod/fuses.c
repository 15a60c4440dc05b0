// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey: read the chip ID, the chip key and the manufacturer public key
 * through the nvmem consumer API, and validate them.
 *
 * nvmem_cell_get() resolves a devicetree "nvmem-cells"/"nvmem-cell-names"
 * pair as well as an nvmem_cell_lookup entry (virtual fuses), so real and
 * virtual fuses take exactly the same path.  The cells are released right
 * after reading: the driver keeps no reference on the provider.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/nvmem-consumer.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "chipkey/fuse_image.h"
#include "chipkey.h"

#define CK_PROP_ROM_KEY		"chipkey,rom-key"
#define CK_PROP_VIRTUAL_FUSE	"chipkey,virtual-fuse"

/* A ROM region larger than this cannot be a sane cell. */
#define CK_ROM_REGION_MAX	4096

/*
 * Read cell @name into a kmalloc'd buffer.  Return: the buffer (to be freed
 * with kfree_sensitive()) and its length in @len, or an ERR_PTR().
 */
static u8 *ck_cell_read(struct device *dev, const char *name, size_t *len)
{
	struct nvmem_cell *cell;
	u8 *buf;

	cell = nvmem_cell_get(dev, name);
	if (IS_ERR(cell))
		return ERR_CAST(cell);
	buf = nvmem_cell_read(cell, len);
	nvmem_cell_put(cell);
	return buf;
}

/* Read cell @name, which must be exactly @size bytes, into @out. */
static int ck_cell_read_exact(struct device *dev, const char *name,
			      u8 *out, size_t size)
{
	size_t len = 0;
	u8 *buf;
	int ret = 0;

	buf = ck_cell_read(dev, name, &len);
	if (IS_ERR(buf))
		return dev_err_probe(dev, PTR_ERR(buf),
				     "cannot read nvmem cell %s\n", name);
	if (len != size) {
		dev_err(dev, "nvmem cell %s is %zu bytes, expected %zu\n",
			name, len, size);
		ret = -EINVAL;
	} else {
		memcpy(out, buf, size);
	}
	kfree_sensitive(buf);
	return ret;
}

static int ck_rom_key_from_property(struct device *dev, u8 **buf, size_t *len)
{
	int n;

	n = device_property_count_u8(dev, CK_PROP_ROM_KEY);
	if (n == -EINVAL || n == -ENODATA || n == -ENXIO || n == 0) {
		dev_err(dev, "no %s nvmem cell and no %s property\n",
			CK_CELL_ROM_KEY, CK_PROP_ROM_KEY);
		return -ENOENT;
	}
	if (n < 0)
		return n;
	if (n > CK_ROM_REGION_MAX) {
		dev_err(dev, "%s property too large (%d bytes)\n",
			CK_PROP_ROM_KEY, n);
		return -EINVAL;
	}
	*buf = kzalloc(n, GFP_KERNEL);
	if (!*buf)
		return -ENOMEM;
	*len = n;
	return device_property_read_u8_array(dev, CK_PROP_ROM_KEY, *buf, n);
}

static int ck_rom_key_read(struct device *dev, struct ck_fuses *fuses)
{
	size_t len = 0, der_len;
	u8 *buf;
	int ret;

	buf = ck_cell_read(dev, CK_CELL_ROM_KEY, &len);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		buf = NULL;
		if (ret != -ENOENT)
			return dev_err_probe(dev, ret, "cannot read nvmem cell %s\n",
					     CK_CELL_ROM_KEY);
		ret = ck_rom_key_from_property(dev, &buf, &len);
		if (ret)
			goto out;
	}

	/* The same ROM check as the emulator's: include/chipkey/fuse_image.h */
	der_len = len <= CK_ROM_REGION_MAX ? ck_rom_key_der_len(buf, len) : 0;
	if (!der_len) {
		dev_err(dev, "manufacturer public key is not a DER SEQUENCE of at most %d bytes\n",
			CHIPKEY_MAX_ROM_KEY);
		ret = -EINVAL;
		goto out;
	}
	memcpy(fuses->rom_key, buf, der_len);
	fuses->rom_key_len = der_len;
	ret = 0;
out:
	kfree(buf);
	return ret;
}

static bool ck_key_unprogrammed(const u8 *key, size_t len)
{
	return !memchr_inv(key, 0x00, len) || !memchr_inv(key, 0xff, len);
}

/**
 * ck_fuses_read() - read and validate the chip's fuses
 * @dev:   the chipkey platform device
 * @fuses: filled in on success; may hold partial data on failure (the
 *         caller wipes it)
 *
 * Return: 0, -EPROBE_DEFER if the nvmem provider is not there yet, or
 * another negative errno.
 */
int ck_fuses_read(struct device *dev, struct ck_fuses *fuses)
{
	int ret;

	ret = ck_cell_read_exact(dev, CK_CELL_CHIP_ID, fuses->chip_id,
				 sizeof(fuses->chip_id));
	if (ret)
		return ret;

	ret = ck_cell_read_exact(dev, CK_CELL_CHIP_KEY, fuses->chip_key,
				 sizeof(fuses->chip_key));
	if (ret)
		return ret;

	if (ck_key_unprogrammed(fuses->chip_key, sizeof(fuses->chip_key))) {
		dev_err(dev, "chip %*phN is unprogrammed (blank chip key fuses), refusing to bind\n",
			CHIPKEY_CHIP_ID_LEN, fuses->chip_id);
		return -ENOKEY;
	}

	ret = ck_rom_key_read(dev, fuses);
	if (ret)
		return ret;

	fuses->key_source = device_property_read_bool(dev, CK_PROP_VIRTUAL_FUSE) ?
			    CHIPKEY_SRC_VIRTUAL_FUSE : CHIPKEY_SRC_OTP;
	return 0;
}
