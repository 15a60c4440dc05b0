// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey privilege policy: info and rom-key are open to everyone,
 * wrap/unwrap need CAP_SYS_ADMIN.
 *
 * Each case forks a child that drops privileges, performs the calls and
 * reports through its exit status which step failed.
 */
#include "chipkey_common.h"
#include "chipkey_caps.h"

#include "kselftest_harness.h"


/*
 * Child body: exit 0 if everything behaved, else the number of the step
 * that did not.
 */
static int unprivileged_checks(const uint8_t *pkg, size_t plen)
{
	uint8_t in[32], out[256], rkbuf[CHIPKEY_MAX_ROM_KEY];
	struct chipkey_info info;
	struct chipkey_rom_key rk;
	size_t olen;
	int fd;

	fd = ck_open();
	if (fd < 0)
		return 10;
	if (ck_info(fd, &info) || info.abi_version != CHIPKEY_ABI_VERSION)
		return 11;
	memset(&rk, 0, sizeof(rk));
	rk.buf_ptr = (uintptr_t)rkbuf;
	rk.buf_len = sizeof(rkbuf);
	if (ioctl(fd, CHIPKEY_IOC_ROM_KEY, &rk) || rk.buf_len != info.rom_key_len)
		return 12;
	ck_fill(in, sizeof(in), 77);
	olen = sizeof(out);
	if (ck_wrap(fd, in, sizeof(in), 0, out, &olen) != -EPERM)
		return 13;
	olen = sizeof(out);
	memset(out, 0, sizeof(out));
	if (ck_unwrap(fd, pkg, plen, out, &olen, NULL) != -EPERM)
		return 14;
	if (memmem(out, sizeof(out), in, sizeof(in)))
		return 15;
	close(fd);
	return 0;
}

static int run_child(int (*drop)(void), const uint8_t *pkg, size_t plen)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (drop())
			_exit(2);
		_exit(unprivileged_checks(pkg, plen));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(perm)
{
	uint8_t pkg[32 + CHIPKEY_PKG_OVERHEAD];
	size_t plen;
};

FIXTURE_SETUP(perm)
{
	uint8_t in[32];
	int fd = ck_open();

	ASSERT_LE(0, fd);
	ck_fill(in, sizeof(in), 77);
	self->plen = sizeof(self->pkg);
	/* the privileged parent (root) can wrap */
	ASSERT_EQ(0, ck_wrap(fd, in, sizeof(in), 5, self->pkg, &self->plen));
	close(fd);
}

FIXTURE_TEARDOWN(perm)
{
}

TEST_F(perm, nobody_without_caps)
{
	int r = run_child(drop_to_nobody, self->pkg, self->plen);

	EXPECT_EQ(0, r) TH_LOG("child failed at step %d (2 = could not drop "
			       "privileges, 13 = wrap not EPERM, 14 = unwrap not EPERM)", r);
}

TEST_F(perm, root_without_cap_sys_admin)
{
	int r = run_child(drop_sys_admin, self->pkg, self->plen);

	EXPECT_EQ(0, r) TH_LOG("child failed at step %d", r);
}

TEST_F(perm, root_with_cap_sys_admin_can_unwrap)
{
	uint8_t in[32], out[64];
	size_t olen = sizeof(out);
	uint64_t gen = 0;
	int fd = ck_open();

	ASSERT_LE(0, fd);
	ck_fill(in, sizeof(in), 77);
	ASSERT_EQ(0, ck_unwrap(fd, self->pkg, self->plen, out, &olen, &gen));
	EXPECT_EQ(sizeof(in), olen);
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	EXPECT_EQ(5, gen);
	close(fd);
}

TEST_HARNESS_MAIN
