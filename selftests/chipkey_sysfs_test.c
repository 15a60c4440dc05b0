// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey key confidentiality through sysfs: read every file under
 * /sys/bus/nvmem/devices/<dev>/ (the raw "nvmem" file, and the per-cell
 * files under cells/ on kernels that create them) and under
 * /sys/class/misc/chipkey/, and check that the chip key of the loaded fuse
 * image (CK_FUSE_A, offset 24, 32 bytes) never appears in them, neither as
 * raw bytes nor as hex text.
 *
 * Needs root (the nvmem file is root-only) and image A bound.
 */
#include "chipkey_common.h"
#include <ftw.h>
#include <glob.h>
#include <limits.h>

#include "kselftest_harness.h"

#define NVMEM_DEVS	"/sys/bus/nvmem/devices"
#define VFUSE_NVMEM	"chipkey-fuses"
#define MISC_DIR	"/sys/class/misc/chipkey"
#define READ_CAP	(1 << 20)

/* What the scanner looks for and what it saw (nftw has no user pointer). */
static struct {
	uint8_t key[CHIPKEY_CHIP_KEY_LEN];
	char hex_lo[2 * CHIPKEY_CHIP_KEY_LEN + 1];
	char hex_up[2 * CHIPKEY_CHIP_KEY_LEN + 1];
	unsigned int files_read;	/* regular files that could be read */
	unsigned int cells_read;	/* of which under a cells/ directory */
	unsigned int leaks;
	char leak_path[PATH_MAX];
} scan;

static void scan_set_key(const uint8_t *key)
{
	int i;

	memcpy(scan.key, key, sizeof(scan.key));
	for (i = 0; i < CHIPKEY_CHIP_KEY_LEN; i++) {
		snprintf(scan.hex_lo + 2 * i, 3, "%02x", key[i]);
		snprintf(scan.hex_up + 2 * i, 3, "%02X", key[i]);
	}
	scan.files_read = scan.cells_read = scan.leaks = 0;
	scan.leak_path[0] = 0;
}

/* Read a whole file (at most READ_CAP bytes); length or -errno. */
static ssize_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < cap) {
		n = read(fd, buf + got, cap - got);
		if (n < 0) {
			n = -errno;
			close(fd);
			return got ? (ssize_t)got : n;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

/* 1 if @buf holds the key as bytes or as hex text. */
static int holds_key(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, scan.key, sizeof(scan.key)) ||
	       memmem(buf, len, scan.hex_lo, strlen(scan.hex_lo)) ||
	       memmem(buf, len, scan.hex_up, strlen(scan.hex_up));
}

static void scan_file(const char *path)
{
	static uint8_t buf[READ_CAP];
	ssize_t n = slurp(path, buf, sizeof(buf));

	if (n < 0)
		return;	/* write-only or not readable: nothing to leak */
	scan.files_read++;
	if (strstr(path, "/cells/"))
		scan.cells_read++;
	if (holds_key(buf, n)) {
		scan.leaks++;
		snprintf(scan.leak_path, sizeof(scan.leak_path), "%s", path);
	}
}

static int scan_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	if (type == FTW_F && S_ISREG(st->st_mode))
		scan_file(path);
	return 0;
}

/* Every regular file below @dir, symlinks not followed. */
static int scan_tree(const char *dir)
{
	char real[PATH_MAX];

	if (!realpath(dir, real))
		return -errno;
	return nftw(real, scan_one, 16, FTW_PHYS) ? -EIO : 0;
}

FIXTURE(sysfs)
{
	uint8_t fuse[CK_FUSE_IMAGE_SIZE];
};

FIXTURE_SETUP(sysfs)
{
	int i, blank00 = 1, blankff = 1;

	ASSERT_EQ(0, getuid());
	ASSERT_EQ(0, ck_load_fuse(ck_fuse_a(), self->fuse))
		TH_LOG("cannot read fuse image %s", ck_fuse_a());
	for (i = 0; i < CHIPKEY_CHIP_KEY_LEN; i++) {
		blank00 &= self->fuse[CK_FUSE_OFF_CHIP_KEY + i] == 0x00;
		blankff &= self->fuse[CK_FUSE_OFF_CHIP_KEY + i] == 0xff;
	}
	/* a blank key would be "found" in any run of zeros */
	ASSERT_FALSE(blank00 || blankff);
	scan_set_key(self->fuse + CK_FUSE_OFF_CHIP_KEY);
	ASSERT_EQ(0, access(ck_dev_path(), F_OK)) TH_LOG("chipkey not bound");
}

FIXTURE_TEARDOWN(sysfs)
{
}

/* The scanner itself finds the key where it is. */
TEST_F(sysfs, scanner_finds_key_in_fuse_image)
{
	char hex[2 * CHIPKEY_CHIP_KEY_LEN + 16];

	scan_file(ck_fuse_a());
	EXPECT_EQ(1, scan.files_read);
	EXPECT_EQ(1, scan.leaks);
	memcpy(hex, "chip_key=", 9);
	memcpy(hex + 9, scan.hex_lo, 2 * CHIPKEY_CHIP_KEY_LEN);
	EXPECT_TRUE(holds_key((const uint8_t *)hex, 9 + 2 * CHIPKEY_CHIP_KEY_LEN));
}

/* The raw nvmem file is the fuse image with the key region zeroed. */
TEST_F(sysfs, raw_nvmem_hides_key)
{
	uint8_t raw[CK_FUSE_IMAGE_SIZE + 1];
	uint8_t zero[CHIPKEY_CHIP_KEY_LEN] = { 0 };
	ssize_t n;

	n = slurp(NVMEM_DEVS "/" VFUSE_NVMEM "/nvmem", raw, sizeof(raw));
	ASSERT_EQ(CK_FUSE_IMAGE_SIZE, n);
	/* really the image: magic, chip ID and ROM key read back */
	EXPECT_EQ(0, memcmp(raw, self->fuse, CK_FUSE_OFF_CHIP_KEY));
	EXPECT_EQ(0, memcmp(raw + CK_FUSE_OFF_ROM_KEY,
			    self->fuse + CK_FUSE_OFF_ROM_KEY, CK_FUSE_ROM_KEY_SIZE));
	EXPECT_EQ(0, memcmp(raw + CK_FUSE_OFF_CHIP_KEY, zero, sizeof(zero)));
}

TEST_F(sysfs, nvmem_devices_never_show_key)
{
	char link[PATH_MAX];
	glob_t g;
	size_t i;
	int vfuse = 0;

	ASSERT_EQ(0, glob(NVMEM_DEVS "/*", 0, NULL, &g));
	for (i = 0; i < g.gl_pathc; i++) {
		snprintf(link, sizeof(link), "%s/", g.gl_pathv[i]);
		if (strstr(link, "/" VFUSE_NVMEM "/"))
			vfuse = 1;
		EXPECT_EQ(0, scan_tree(g.gl_pathv[i]))
			TH_LOG("cannot walk %s", g.gl_pathv[i]);
	}
	TH_LOG("%zu nvmem devices, %u files read, %u under cells/",
	       g.gl_pathc, scan.files_read, scan.cells_read);
	globfree(&g);
	EXPECT_TRUE(vfuse) TH_LOG("no %s nvmem device", VFUSE_NVMEM);
	/* at least the nvmem file of chipkey-fuses and a few attributes */
	EXPECT_LE(2, scan.files_read);
	if (access(NVMEM_DEVS "/" VFUSE_NVMEM "/cells", F_OK) == 0)
		EXPECT_LE(3, scan.cells_read);	/* chip-id, key, rom-key */
	EXPECT_EQ(0, scan.leaks) TH_LOG("chip key readable in %s", scan.leak_path);
}

TEST_F(sysfs, misc_device_never_shows_key)
{
	ASSERT_EQ(0, scan_tree(MISC_DIR));
	TH_LOG("%u files read", scan.files_read);
	/* chip_id, key_source, state, abi_version, dev, uevent */
	EXPECT_LE(6, scan.files_read);
	EXPECT_EQ(0, scan.leaks) TH_LOG("chip key readable in %s", scan.leak_path);
}

TEST_HARNESS_MAIN
