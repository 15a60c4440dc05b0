// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey sealed keys (docs/sealed-keys.md): CHIPKEY_IOC_KEY_NEW and
 * CHIPKEY_IOC_KEY_LOAD against the real module, the keyring through raw
 * keyctl(2)/add_key(2)/request_key(2) syscalls (no libkeyutils).
 *
 *   CK_SKEY_VECTORS  docs/test-vectors/sealed-key-v1.txt in the guest
 *                    (/usr/share/chipkey/sealed-key-v1.txt), made by the
 *                    independent scripts/ck_sealed_key_oracle.py
 *
 * On a kernel without CONFIG_KEYS KEY_LOAD answers EOPNOTSUPP and the
 * keyring tests SKIP (the debug kernel of qemu/debug.config has keyrings).
 */
#include "chipkey_common.h"
#include "chipkey_caps.h"
#include "chipkey/sealed_key.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"

#define BLOB32	(CHIPKEY_SKEY_OVERHEAD + 32)
/* the loaded key's permissions: possessor view, search, link; owner view */
#define SKEY_PERM	"19010000"
/* what an adversary gives the keys it plants: everything to everyone */
#define ALL_PERM	0x3f3f3f3f

/* The uapi layouts: the same here, in a -m32 build (chipkey_skey_test_32)
 * and in the kernel (kmod/sealed-key.c), which has no compat handler. */
_Static_assert(sizeof(struct chipkey_key_new) == 40, "struct chipkey_key_new");
_Static_assert(sizeof(struct chipkey_key_load) == 56, "struct chipkey_key_load");

static int key_new(int fd, uint32_t key_len, uint8_t *out, uint32_t *out_len)
{
	struct chipkey_key_new k = {
		.out_ptr = (uintptr_t)out, .key_len = key_len, .out_len = *out_len,
	};
	int r = ioctl(fd, CHIPKEY_IOC_KEY_NEW, &k);

	*out_len = k.out_len;
	return r ? -errno : 0;
}

static int key_load(int fd, const uint8_t *blob, uint32_t len, const char *name,
		    int32_t keyring, int32_t *serial)
{
	struct chipkey_key_load k = {
		.in_ptr = (uintptr_t)blob, .name_ptr = (uintptr_t)name,
		.in_len = len, .name_len = (uint32_t)strlen(name), .keyring = keyring,
	};
	int r = ioctl(fd, CHIPKEY_IOC_KEY_LOAD, &k);

	if (serial)
		*serial = k.serial;
	return r ? -errno : 0;
}

/* A fresh anonymous session keyring for this process (keyctl new_session). */
static int new_session(void)
{
	return syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 ? -errno : 0;
}

/* "type;uid;gid;perm;description" of @serial into @buf, or "" */
static const char *describe(int32_t serial, char *buf, size_t len)
{
	if (syscall(SYS_keyctl, KEYCTL_DESCRIBE, serial, buf, len) < 0)
		buf[0] = '\0';
	return buf;
}

/* Does the keyring @ring link @serial? (its serials, KEYCTL_READ) */
static int links(int32_t ring, int32_t serial)
{
	int32_t ids[64];
	long n = syscall(SYS_keyctl, KEYCTL_READ, ring, ids, sizeof(ids));
	long i;

	for (i = 0; i < n / 4 && i < 64; i++)
		if (ids[i] == serial)
			return 1;
	return 0;
}

/*
 * The adversary: a child process that shares our session keyring, as
 * nobody (@as_nobody) or as root without CAP_SYS_ADMIN, adds a logon key
 * "chipkey:@name" (@type "logon") or a keyring @name (@type "keyring") to
 * the session keyring and gives everyone every permission on it.  Returns
 * its serial, or -1.
 */
static int32_t plant(const char *type, const char *name, int as_nobody)
{
	static const uint8_t payload[32] = "planted by an adversary, 32 B.";
	int32_t *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int32_t serial = -1;
	char desc[64];
	pid_t pid;
	int st;

	if (shared == MAP_FAILED)
		return -1;
	*shared = -1;
	snprintf(desc, sizeof(desc), "%s%s", strcmp(type, "logon") ? "" : "chipkey:", name);
	pid = fork();
	if (!pid) {
		long id;

		if (as_nobody ? drop_to_nobody() : drop_sys_admin())
			_exit(1);
		id = syscall(SYS_add_key, type, desc, strcmp(type, "logon") ? NULL : payload,
			     strcmp(type, "logon") ? 0 : sizeof(payload), KEY_SPEC_SESSION_KEYRING);
		if (id < 0 || syscall(SYS_keyctl, KEYCTL_SETPERM, id, ALL_PERM) < 0)
			_exit(2);
		*shared = (int32_t)id;
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st))
		serial = *shared;
	munmap(shared, sizeof(*shared));
	return serial;
}

/* Does this kernel have keyrings? (ENOSYS without CONFIG_KEYS) */
static int have_keys(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) >= 0 ||
	       errno != ENOSYS;
}

FIXTURE(skey)
{
	int fd;
	struct chipkey_info info;
	uint8_t blob[BLOB32];
	uint32_t len;
};

FIXTURE_SETUP(skey)
{
	self->fd = ck_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ck_info(self->fd, &self->info));
	self->len = sizeof(self->blob);
	ASSERT_EQ(0, key_new(self->fd, 0, self->blob, &self->len));
	ASSERT_EQ(BLOB32, self->len);
}

FIXTURE_TEARDOWN(skey)
{
	close(self->fd);
}

TEST_F(skey, new_blob_header)
{
	struct ck_skey_header h;

	ASSERT_EQ(0, ck_skey_header_parse(self->blob, self->len, &h));
	EXPECT_EQ(32, h.key_len);
	EXPECT_EQ(0, memcmp(h.chip_id, self->info.chip_id, CHIPKEY_CHIP_ID_LEN));
	EXPECT_EQ(0, memcmp(self->blob, "CKSEALKY", 8));
}

TEST_F(skey, new_is_random)
{
	uint8_t b2[BLOB32];
	uint32_t l2 = sizeof(b2);

	ASSERT_EQ(0, key_new(self->fd, 0, b2, &l2));
	/* salt, nonce and key all fresh: the blobs differ after the chip ID */
	EXPECT_NE(0, memcmp(self->blob + 32, b2 + 32, BLOB32 - 32));
}

TEST_F(skey, new_sizes)
{
	uint8_t b[CHIPKEY_MAX_SKEY];
	uint32_t l;
	struct chipkey_key_new k = { .out_ptr = (uintptr_t)b, .out_len = sizeof(b) };

	l = sizeof(b);
	EXPECT_EQ(0, key_new(self->fd, 16, b, &l));
	EXPECT_EQ(CHIPKEY_SKEY_OVERHEAD + 16, l);
	l = sizeof(b);
	EXPECT_EQ(0, key_new(self->fd, 64, b, &l));
	EXPECT_EQ(CHIPKEY_MAX_SKEY, l);
	l = sizeof(b);
	EXPECT_EQ(-EINVAL, key_new(self->fd, 15, b, &l));
	l = sizeof(b);
	EXPECT_EQ(-EINVAL, key_new(self->fd, 65, b, &l));
	l = 10;
	EXPECT_EQ(-ENOSPC, key_new(self->fd, 32, b, &l));
	EXPECT_EQ(BLOB32, l);
	k.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_KEY_NEW, &k));
	EXPECT_EQ(EINVAL, errno);
	k.flags = 0;
	k.reserved[4] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, CHIPKEY_IOC_KEY_NEW, &k));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(skey, load_logon_key)
{
	char buf[256];
	int32_t serial = 0, again = 0;
	long n, found;

	if (!have_keys())
		SKIP(return, "kernel without keyrings (CONFIG_KEYS)");
	ASSERT_EQ(0, new_session());
	ASSERT_EQ(0, key_load(self->fd, self->blob, self->len, "selftest",
			      KEY_SPEC_SESSION_KEYRING, &serial));
	ASSERT_LT(0, serial);
	/* "type;uid;gid;perm;description" */
	n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, serial, buf, sizeof(buf));
	ASSERT_LT(0, n);
	TH_LOG("describe: %s", buf);
	EXPECT_STREQ("logon;0;0;" SKEY_PERM ";chipkey:selftest", buf);
	/* userspace cannot read the payload: keyctl read / keyctl pipe */
	errno = 0;
	EXPECT_GT(0, syscall(SYS_keyctl, KEYCTL_READ, serial, buf, sizeof(buf)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* nor replace it (keyctl update), nor give itself the right to
	 * (keyctl setperm, chown), nor revoke it: even as its owner and
	 * possessor, with CAP_SYS_ADMIN */
	errno = 0;
	EXPECT_GT(0, syscall(SYS_keyctl, KEYCTL_UPDATE, serial, "0123456789abcdef0123456789abcdef",
			     32));
	EXPECT_EQ(EACCES, errno);
	errno = 0;
	EXPECT_GT(0, syscall(SYS_keyctl, KEYCTL_SETPERM, serial, ALL_PERM));
	EXPECT_EQ(EACCES, errno);
	errno = 0;
	EXPECT_GT(0, syscall(SYS_keyctl, KEYCTL_CHOWN, serial, NOBODY, -1));
	EXPECT_EQ(EACCES, errno);
	errno = 0;
	EXPECT_GT(0, syscall(SYS_keyctl, KEYCTL_REVOKE, serial));
	EXPECT_EQ(EACCES, errno);
	EXPECT_STREQ("logon;0;0;" SKEY_PERM ";chipkey:selftest", describe(serial, buf, sizeof(buf)));
	/* found the way dm-crypt finds it */
	found = syscall(SYS_request_key, "logon", "chipkey:selftest", NULL, 0);
	EXPECT_EQ(serial, found);
	/* loading again makes a new key, which takes the old one's place in
	 * the keyring */
	ASSERT_EQ(0, key_load(self->fd, self->blob, self->len, "selftest",
			      KEY_SPEC_SESSION_KEYRING, &again));
	EXPECT_NE(serial, again);
	EXPECT_TRUE(links(KEY_SPEC_SESSION_KEYRING, again));
	EXPECT_FALSE(links(KEY_SPEC_SESSION_KEYRING, serial));
	EXPECT_EQ(again, syscall(SYS_request_key, "logon", "chipkey:selftest", NULL, 0));
	syscall(SYS_keyctl, KEYCTL_INVALIDATE, serial);
	/* its possessor may remove it: that never changes it */
	EXPECT_EQ(0, syscall(SYS_keyctl, KEYCTL_INVALIDATE, again));
	EXPECT_EQ(-1, syscall(SYS_request_key, "logon", "chipkey:selftest", NULL, 0));
}

/*
 * A key "chipkey:NAME" planted in the target keyring before the load, by
 * another uid or by root without CAP_SYS_ADMIN, with every permission for
 * everyone: the load makes a new key (our owner, our permissions), which
 * replaces the planted one in the keyring; the planted one is not used.
 */
TEST_F(skey, load_ignores_planted_key)
{
	char buf[256], want[128];
	int32_t planted, serial = 0;
	int as_nobody;

	if (!have_keys())
		SKIP(return, "kernel without keyrings (CONFIG_KEYS)");
	for (as_nobody = 0; as_nobody < 2; as_nobody++) {
		ASSERT_EQ(0, new_session());
		planted = plant("logon", "planted", as_nobody);
		ASSERT_LT(0, planted) TH_LOG("plant as %s", as_nobody ? "nobody" : "root");
		snprintf(want, sizeof(want), "logon;%d;%d;3f3f3f3f;chipkey:planted",
			 as_nobody ? NOBODY : 0, as_nobody ? NOBODY : 0);
		EXPECT_STREQ(want, describe(planted, buf, sizeof(buf)));
		EXPECT_EQ(planted, syscall(SYS_request_key, "logon", "chipkey:planted", NULL, 0));
		/*
		 * The kernel drops a key that no keyring holds any more once
		 * an RCU grace period has passed (a lookup then says ENOKEY),
		 * so to look at the planted key after the load the test keeps
		 * its own link to it, in the user keyring: no search from
		 * this session reaches that one.
		 */
		ASSERT_EQ(0, syscall(SYS_keyctl, KEYCTL_LINK, planted, KEY_SPEC_USER_KEYRING));

		ASSERT_EQ(0, key_load(self->fd, self->blob, self->len, "planted",
				      KEY_SPEC_SESSION_KEYRING, &serial));
		EXPECT_NE(planted, serial);
		EXPECT_STREQ("logon;0;0;" SKEY_PERM ";chipkey:planted",
			     describe(serial, buf, sizeof(buf)));
		/* the planted key is left as it was, out of the keyring
		 * (looked at after a grace period has certainly passed) */
		usleep(200000);
		EXPECT_STREQ(want, describe(planted, buf, sizeof(buf)));
		EXPECT_FALSE(links(KEY_SPEC_SESSION_KEYRING, planted));
		EXPECT_EQ(serial, syscall(SYS_request_key, "logon", "chipkey:planted", NULL, 0));
		/* a key is no keyring */
		EXPECT_EQ(-ENOTDIR, key_load(self->fd, self->blob, self->len, "x", planted, NULL));
		syscall(SYS_keyctl, KEYCTL_UNLINK, planted, KEY_SPEC_USER_KEYRING);
		syscall(SYS_keyctl, KEYCTL_INVALIDATE, planted);
	}
}

/* A keyring the caller may write but does not own is refused (EACCES). */
TEST_F(skey, load_refuses_foreign_keyring)
{
	int32_t ring;

	if (!have_keys())
		SKIP(return, "kernel without keyrings (CONFIG_KEYS)");
	ASSERT_EQ(0, new_session());
	ring = plant("keyring", "ckforeign", 1);
	ASSERT_LT(0, ring);
	/* we possess it (through our session) and may write it ... */
	EXPECT_EQ(0, syscall(SYS_keyctl, KEYCTL_CLEAR, ring));
	/* ... but it is nobody's */
	EXPECT_EQ(-EACCES, key_load(self->fd, self->blob, self->len, "foreign", ring, NULL));
	EXPECT_EQ(-1, syscall(SYS_request_key, "logon", "chipkey:foreign", NULL, 0));
	/* control: our own keyring of the same kind is accepted */
	ring = (int32_t)syscall(SYS_add_key, "keyring", "ckown", NULL, 0, KEY_SPEC_SESSION_KEYRING);
	ASSERT_LT(0, ring);
	EXPECT_EQ(0, key_load(self->fd, self->blob, self->len, "own", ring, NULL));
}

/* The final copy of the result fails: no key is left behind. */
TEST_F(skey, load_fault_leaves_no_key)
{
	struct chipkey_key_load *k;
	long r;

	if (!have_keys())
		SKIP(return, "kernel without keyrings (CONFIG_KEYS)");
	ASSERT_EQ(0, new_session());
	k = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(k != MAP_FAILED);
	k->in_ptr = (uintptr_t)self->blob;
	k->in_len = self->len;
	k->name_ptr = (uintptr_t)"fault";
	k->name_len = 5;
	k->keyring = KEY_SPEC_SESSION_KEYRING;
	/* readable (the request is copied in), not writable (the serial is
	 * not copied out) */
	ASSERT_EQ(0, mprotect(k, 4096, PROT_READ));
	errno = 0;
	r = ioctl(self->fd, CHIPKEY_IOC_KEY_LOAD, k);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, syscall(SYS_request_key, "logon", "chipkey:fault", NULL, 0));
	munmap(k, 4096);
	/* control: the same request from writable memory loads */
	EXPECT_EQ(0, key_load(self->fd, self->blob, self->len, "fault",
			      KEY_SPEC_SESSION_KEYRING, NULL));
	EXPECT_LT(0, syscall(SYS_request_key, "logon", "chipkey:fault", NULL, 0));
}

TEST_F(skey, load_refuses_names)
{
	static const char *const bad[] = {
		"", "a:b", "a b", "x/y", "nul\n", "123456789012345678901234567890123",
		/* Latin-1 letters, which isalnum() would take */
		"\xc0", "\xff", "caf\xe9",
	};
	unsigned int i;

	if (!have_keys())
		SKIP(return, "kernel without keyrings (CONFIG_KEYS)");
	ASSERT_EQ(0, new_session());
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, key_load(self->fd, self->blob, self->len, bad[i],
					    KEY_SPEC_SESSION_KEYRING, NULL))
			TH_LOG("bad name %u", i);
	EXPECT_EQ(0, key_load(self->fd, self->blob, self->len,
			      "12345678901234567890123456789012", KEY_SPEC_SESSION_KEYRING, NULL));
}

/* Every single flipped bit of the blob is refused, with the right error. */
TEST_F(skey, load_refuses_tampered)
{
	uint8_t b[BLOB32 + 1];
	unsigned int off;
	int r, want;

	if (!have_keys())
		SKIP(return, "kernel without keyrings (CONFIG_KEYS)");
	ASSERT_EQ(0, new_session());
	for (off = 0; off < self->len; off++) {
		memcpy(b, self->blob, self->len);
		b[off] ^= 0x01;
		r = key_load(self->fd, b, self->len, "tampered", KEY_SPEC_SESSION_KEYRING, NULL);
		if (off < 16 || (off >= 60 && off < 64))
			want = -EINVAL;		/* magic, version, alg, flags, length */
		else if (off < 32)
			want = -ENOKEY;		/* chip ID: another chip's */
		else
			want = -EBADMSG;	/* salt, nonce, ciphertext, tag */
		EXPECT_EQ(want, r) TH_LOG("byte %u flipped", off);
	}
	/* wrong lengths */
	memcpy(b, self->blob, self->len);
	b[self->len] = 0;
	EXPECT_EQ(-EINVAL, key_load(self->fd, b, self->len + 1, "t", KEY_SPEC_SESSION_KEYRING, NULL));
	EXPECT_EQ(-EINVAL, key_load(self->fd, b, self->len - 1, "t", KEY_SPEC_SESSION_KEYRING, NULL));
	EXPECT_EQ(-EINVAL, key_load(self->fd, b, 0, "t", KEY_SPEC_SESSION_KEYRING, NULL));
	/* not a keyring: what add_key(2) answers */
	EXPECT_NE(0, key_load(self->fd, self->blob, self->len, "t", 0x7ffffff0, NULL));
	EXPECT_EQ(-1, syscall(SYS_request_key, "logon", "chipkey:tampered", NULL, 0));
}

/* Without CAP_SYS_ADMIN: EPERM for both, as nobody and as root minus the cap. */
TEST_F(skey, unprivileged_refused)
{
	int mode;

	for (mode = 0; mode < 2; mode++) {
		pid_t pid = fork();
		int st;

		ASSERT_LE(0, pid);
		if (!pid) {
			uint8_t b[BLOB32];
			uint32_t l = sizeof(b);

			if (mode ? drop_sys_admin() : drop_to_nobody())
				_exit(10);
			if (key_new(self->fd, 0, b, &l) != -EPERM)
				_exit(11);
			if (key_load(self->fd, self->blob, self->len, "unpriv",
				     KEY_SPEC_SESSION_KEYRING, NULL) != -EPERM)
				_exit(12);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFEXITED(st));
		EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("mode %d", mode);
	}
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The oracle's vectors (chip of fuse-vectors.bin) load on that chip; the
 * kernel verifying each tag means it derived the oracle's AEAD key from the
 * same header, so it holds the oracle's plaintext key.  Chip B (another
 * chip, real) refuses chip A's blob with ENOKEY.  Restores image A.
 */
TEST(vectors_and_other_chip)
{
	const char *path = ck_env("CK_SKEY_VECTORS", "/usr/share/chipkey/sealed-key-v1.txt");
	uint8_t blob[CHIPKEY_MAX_SKEY], a[BLOB32];
	uint32_t alen = sizeof(a);
	char line[1024];
	int fd, n = 0;
	FILE *f;

	if (!have_keys())
		SKIP(return, "kernel without keyrings (CONFIG_KEYS)");
	ASSERT_EQ(0, getuid());
	ASSERT_EQ(0, new_session());
	fd = ck_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, key_new(fd, 0, a, &alen));
	close(fd);

	ASSERT_EQ(0, ck_reload("firmware=" "chipkey/fuse-b.bin"));
	fd = ck_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOKEY, key_load(fd, a, alen, "other", KEY_SPEC_SESSION_KEYRING, NULL));
	close(fd);

	ASSERT_EQ(0, ck_reload("firmware=" "chipkey/fuse-vectors.bin"));
	fd = ck_open();
	ASSERT_LE(0, fd);
	f = fopen(path, "r");
	ASSERT_TRUE(f != NULL) TH_LOG("%s", path);
	while (fgets(line, sizeof(line), f)) {
		size_t i, len;

		if (strncmp(line, "blob = ", 7))
			continue;
		len = (strcspn(line + 7, "\n")) / 2;
		ASSERT_GE(sizeof(blob), len);
		for (i = 0; i < len; i++)
			blob[i] = (uint8_t)(hexval(line[7 + 2 * i]) << 4 | hexval(line[8 + 2 * i]));
		EXPECT_EQ(0, key_load(fd, blob, (uint32_t)len, "vector",
				      KEY_SPEC_SESSION_KEYRING, NULL)) TH_LOG("vector %d", n);
		blob[len - 1] ^= 0x80;
		EXPECT_EQ(-EBADMSG, key_load(fd, blob, (uint32_t)len, "vector",
					     KEY_SPEC_SESSION_KEYRING, NULL)) TH_LOG("vector %d", n);
		n++;
	}
	fclose(f);
	close(fd);
	EXPECT_EQ(4, n);
	ASSERT_EQ(0, ck_reload(""));
}

TEST_HARNESS_MAIN
