// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey tamper resistance: every single-byte change of a backup package
 * (header, ciphertext, tag) is refused and no plaintext ever comes back.
 *
 * Expected errno per header field follows the documented order of checks
 * (include/chipkey/backup_package.h, include/uapi/linux/chipkey.h):
 *   magic, version, algorithm, flags, payload length -> EINVAL (malformed)
 *   chip ID                                          -> ENOKEY (not ours)
 *   generation, salt, nonce (authenticated as AAD)   -> EBADMSG
 *   ciphertext, tag                                  -> EBADMSG
 */
#include "chipkey_common.h"

#include "kselftest_harness.h"

#define PAYLOAD 64

static int expected_errno(size_t off)
{
	if (off < CK_PKG_OFF_CHIP_ID)		/* magic, version, alg, flags */
		return EINVAL;
	if (off < CK_PKG_OFF_GENERATION)	/* chip ID */
		return ENOKEY;
	if (off < CK_PKG_OFF_PAYLOAD_LEN)	/* generation, salt, nonce */
		return EBADMSG;
	if (off < CHIPKEY_PKG_HEADER_LEN)	/* payload length */
		return EINVAL;
	return EBADMSG;				/* ciphertext, tag */
}

FIXTURE(tamper)
{
	int fd;
	uint8_t plain[PAYLOAD];
	uint8_t pkg[PAYLOAD + CHIPKEY_PKG_OVERHEAD];
	size_t plen;
};

FIXTURE_SETUP(tamper)
{
	self->fd = ck_open();
	ASSERT_LE(0, self->fd);
	/* a recognisable plaintext so a leak would be found by memmem */
	memset(self->plain, 'P', sizeof(self->plain));
	memcpy(self->plain, "chipkey-secret-plaintext", 24);
	self->plen = sizeof(self->pkg);
	ASSERT_EQ(0, ck_wrap(self->fd, self->plain, PAYLOAD, 42, self->pkg,
			     &self->plen));
	ASSERT_EQ(sizeof(self->pkg), self->plen);
}

FIXTURE_TEARDOWN(tamper)
{
	close(self->fd);
}

static void flip_all(struct __test_metadata *_metadata,
		     FIXTURE_DATA(tamper) *self, size_t from, size_t to,
		     uint8_t mask)
{
	uint8_t bad[sizeof(self->pkg)], out[PAYLOAD + 64];
	unsigned int wrong = 0;
	size_t off, olen;
	int ret;

	for (off = from; off < to; off++) {
		memcpy(bad, self->pkg, self->plen);
		bad[off] ^= mask;
		memset(out, 0, sizeof(out));
		olen = sizeof(out);
		ret = ck_unwrap(self->fd, bad, self->plen, out, &olen, NULL);
		if (ret != -expected_errno(off)) {
			if (wrong++ < 8)
				TH_LOG("offset %zu mask %#x: got %d (%s), want -%d",
				       off, mask, ret, strerror(-ret),
				       expected_errno(off));
		}
		/* never any plaintext, whatever the error */
		EXPECT_NE(0, ret);
		EXPECT_TRUE(memmem(out, sizeof(out), self->plain, 16) == NULL);
	}
	EXPECT_EQ(0, wrong);
}

TEST_F(tamper, header_bytes)
{
	flip_all(_metadata, self, 0, CHIPKEY_PKG_HEADER_LEN, 0x01);
	flip_all(_metadata, self, 0, CHIPKEY_PKG_HEADER_LEN, 0x80);
}

TEST_F(tamper, ciphertext_bytes)
{
	flip_all(_metadata, self, CHIPKEY_PKG_HEADER_LEN,
		 CHIPKEY_PKG_HEADER_LEN + PAYLOAD, 0x01);
	flip_all(_metadata, self, CHIPKEY_PKG_HEADER_LEN,
		 CHIPKEY_PKG_HEADER_LEN + PAYLOAD, 0xff);
}

TEST_F(tamper, tag_bytes)
{
	flip_all(_metadata, self, self->plen - CHIPKEY_PKG_TAG_LEN, self->plen, 0x01);
	flip_all(_metadata, self, self->plen - CHIPKEY_PKG_TAG_LEN, self->plen, 0x80);
}

/* The original package still unwraps: the failures above were the flips. */
TEST_F(tamper, original_still_good)
{
	uint8_t out[PAYLOAD];
	size_t olen = sizeof(out);
	uint64_t gen = 0;

	ASSERT_EQ(0, ck_unwrap(self->fd, self->pkg, self->plen, out, &olen, &gen));
	EXPECT_EQ(PAYLOAD, olen);
	EXPECT_EQ(0, memcmp(out, self->plain, PAYLOAD));
	EXPECT_EQ(42, gen);
}

/* Tag truncated / swapped between packages. */
TEST_F(tamper, spliced_packages)
{
	uint8_t other[sizeof(self->pkg)], bad[sizeof(self->pkg)], out[PAYLOAD];
	size_t olen = sizeof(other);

	ASSERT_EQ(0, ck_wrap(self->fd, self->plain, PAYLOAD, 42, other, &olen));
	/* header of one, body of the other: different salt/nonce/key */
	memcpy(bad, other, CHIPKEY_PKG_HEADER_LEN);
	memcpy(bad + CHIPKEY_PKG_HEADER_LEN, self->pkg + CHIPKEY_PKG_HEADER_LEN,
	       self->plen - CHIPKEY_PKG_HEADER_LEN);
	olen = sizeof(out);
	EXPECT_EQ(-EBADMSG, ck_unwrap(self->fd, bad, self->plen, out, &olen, NULL));
	/* tag of the other */
	memcpy(bad, self->pkg, self->plen);
	memcpy(bad + self->plen - CHIPKEY_PKG_TAG_LEN,
	       other + self->plen - CHIPKEY_PKG_TAG_LEN, CHIPKEY_PKG_TAG_LEN);
	olen = sizeof(out);
	EXPECT_EQ(-EBADMSG, ck_unwrap(self->fd, bad, self->plen, out, &olen, NULL));
	/* all-zero tag */
	memset(bad + self->plen - CHIPKEY_PKG_TAG_LEN, 0, CHIPKEY_PKG_TAG_LEN);
	olen = sizeof(out);
	EXPECT_EQ(-EBADMSG, ck_unwrap(self->fd, bad, self->plen, out, &olen, NULL));
}

/*
 * A consistent header for a shorter payload (length field and total length
 * agree) but ciphertext cut: authentication must fail, not return a prefix.
 */
TEST_F(tamper, consistent_truncation)
{
	uint8_t bad[sizeof(self->pkg)], out[PAYLOAD];
	size_t newlen = PAYLOAD / 2, olen = sizeof(out);

	memcpy(bad, self->pkg, CHIPKEY_PKG_HEADER_LEN + newlen);
	ck_put_be32(bad + CK_PKG_OFF_PAYLOAD_LEN, (uint32_t)newlen);
	memcpy(bad + CHIPKEY_PKG_HEADER_LEN + newlen,
	       self->pkg + self->plen - CHIPKEY_PKG_TAG_LEN, CHIPKEY_PKG_TAG_LEN);
	EXPECT_EQ(-EBADMSG, ck_unwrap(self->fd, bad, ck_pkg_size(newlen), out,
				      &olen, NULL));
}

TEST_HARNESS_MAIN
