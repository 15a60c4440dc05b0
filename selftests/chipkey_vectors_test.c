// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey test vectors: load the vectors' fuse image as the chip, unwrap
 * every package of docs/test-vectors/backup-v1.txt through /dev/chipkey and
 * compare with the plaintexts of the file (made by an independent
 * implementation, scripts/gen-test-vectors.py).  Restores image A at the end.
 *
 *   CK_VECTORS       vectors file  (/usr/share/chipkey/backup-v1.txt)
 *   fuse image loaded as firmware chipkey/fuse-vectors.bin
 */
#include "chipkey_common.h"
#include "vectors.h"

#include "kselftest_harness.h"

#define FW_VECTORS	"chipkey/fuse-vectors.bin"

FIXTURE(vec)
{
	struct ck_vector *v;
	size_t n;
	uint8_t fuse[CK_FUSE_IMAGE_SIZE];
};

FIXTURE_SETUP(vec)
{
	const char *path = ck_env("CK_VECTORS", "/usr/share/chipkey/backup-v1.txt");

	/* modprobe needs root; the VM runs everything as root */
	ASSERT_EQ(0, getuid());
	ASSERT_EQ(0, ck_vectors_load(path, &self->v, &self->n)) TH_LOG("%s", path);
	ASSERT_LT(0, self->n);
	ASSERT_EQ(0, ck_load_fuse(CK_FW_DIR "/fuse-vectors.bin", self->fuse));
}

FIXTURE_TEARDOWN(vec)
{
	if (self->v)
		ck_vectors_free(self->v, self->n);
}

TEST_F_TIMEOUT(vec, unwrap_all_vectors, 120)
{
	struct chipkey_info info;
	size_t k, ok = 0;
	int fd;

	ASSERT_EQ(0, ck_reload("firmware=" FW_VECTORS));
	fd = ck_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ck_info(fd, &info));
	ASSERT_EQ(0, memcmp(info.chip_id, self->fuse + CK_FUSE_OFF_CHIP_ID,
			    CHIPKEY_CHIP_ID_LEN));
	for (k = 0; k < self->n; k++) {
		struct ck_vector *v = &self->v[k];
		size_t olen = v->plaintext_len + 16;
		uint8_t *out = malloc(olen);
		uint64_t gen = ~0ULL;
		int r, ours;

		ASSERT_TRUE(out != NULL);
		ours = !memcmp(v->chip_id, self->fuse + CK_FUSE_OFF_CHIP_ID,
			       CHIPKEY_CHIP_ID_LEN) &&
		       !memcmp(v->chip_key, self->fuse + CK_FUSE_OFF_CHIP_KEY,
			       CHIPKEY_CHIP_KEY_LEN);
		r = ck_unwrap(fd, v->package, v->package_len, out, &olen, &gen);
		if (ours) {
			EXPECT_EQ(0, r) TH_LOG("vector %s", v->name);
			if (!r) {
				EXPECT_EQ(v->plaintext_len, olen) TH_LOG("vector %s", v->name);
				EXPECT_EQ(0, memcmp(out, v->plaintext, v->plaintext_len))
					TH_LOG("vector %s", v->name);
				EXPECT_EQ(v->generation, gen) TH_LOG("vector %s", v->name);
				ok++;
			}
		} else {
			EXPECT_NE(0, r) TH_LOG("vector %s of another chip unwrapped", v->name);
		}
		free(out);
	}
	TH_LOG("%zu of %zu vectors unwrapped to their plaintext", ok, self->n);
	EXPECT_LT(0, ok);
	close(fd);
}

TEST_F_TIMEOUT(vec, restore_image_a, 120)
{
	ASSERT_EQ(0, ck_reload(""));
}

TEST_HARNESS_MAIN
