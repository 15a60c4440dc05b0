// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey module life cycle: unload and reload both modules with another
 * fuse image (the chip ID changes, packages of the first chip become "not
 * ours"), refuse unprogrammed chips (all-zero and all-ones key) at probe
 * with a dmesg line and no /dev/chipkey, and come back to image A.
 *
 * Needs root and modprobe; runs last (it leaves image A loaded).
 * Tests run in order and depend on each other's module state.
 */
#include "chipkey_common.h"
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"

#define FW_B		"chipkey/fuse-b.bin"
#define FW_ZERO		"chipkey/fuse-zero.bin"
#define FW_ONES		"chipkey/fuse-ones.bin"

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static int unload(void)
{
	sh("modprobe -r chipkey >/dev/null 2>&1");
	return sh("modprobe -r chipkey_vfuse >/dev/null 2>&1") ||
	       access("/sys/module/chipkey", F_OK) == 0 ||
	       access("/sys/module/chipkey_vfuse", F_OK) == 0;
}

/* Load with firmware @fw (NULL: the default image); 0 if modprobe worked. */
static int load(const char *fw)
{
	if (fw ? sh("modprobe chipkey_vfuse firmware=%s", fw) :
		 sh("modprobe chipkey_vfuse"))
		return -1;
	return sh("modprobe chipkey");
}

static int wait_dev(int present)
{
	int i;

	for (i = 0; i < 100; i++) {
		if ((access(ck_dev_path(), F_OK) == 0) == present)
			return 0;
		usleep(20000);
	}
	return -1;
}

/* How many times does @needle occur in the kernel log? */
static int klog_count(const char *needle)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *p;
	int n, found = 0;

	if (len <= 0)
		return 0;
	buf = calloc(1, len + 1);
	if (!buf)
		return 0;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (n > 0) {
		buf[n] = 0;
		for (p = strstr(buf, needle); p; p = strstr(p + 1, needle))
			found++;
	}
	free(buf);
	return found;
}

static void expect_chip(struct __test_metadata *_metadata, const char *fuse)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	struct chipkey_info info;
	int fd;

	ASSERT_EQ(0, ck_load_fuse(fuse, img));
	ASSERT_EQ(0, wait_dev(1));
	fd = ck_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ck_info(fd, &info));
	EXPECT_EQ(0, memcmp(info.chip_id, img + CK_FUSE_OFF_CHIP_ID,
			    CHIPKEY_CHIP_ID_LEN));
	close(fd);
}

static void expect_refused(struct __test_metadata *_metadata, const char *fw,
			   const char *fuse)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	int i, before;

	/* the image really is unprogrammed (so the test means something) */
	ASSERT_EQ(0, ck_load_fuse(fuse, img));
	for (i = 1; i < CHIPKEY_CHIP_KEY_LEN; i++)
		ASSERT_EQ(img[CK_FUSE_OFF_CHIP_KEY], img[CK_FUSE_OFF_CHIP_KEY + i]);

	ASSERT_EQ(0, unload());
	before = klog_count("unprogrammed");
	/* modprobe may or may not fail: a probe failure is not a load failure */
	load(fw);
	usleep(200000);
	EXPECT_NE(0, access(ck_dev_path(), F_OK));
	EXPECT_LT(before, klog_count("unprogrammed"))
		TH_LOG("no 'unprogrammed' line in the kernel log for %s", fw);
	unload();
}

FIXTURE(life)
{
	uint8_t img_b[CK_FUSE_IMAGE_SIZE];
	uint8_t pkg_a[64 + CHIPKEY_PKG_OVERHEAD];
	size_t plen;
	uint8_t plain[64];
};

FIXTURE_SETUP(life)
{
	/* modprobe needs root; the VM runs everything as root */
	ASSERT_EQ(0, getuid());
}

FIXTURE_TEARDOWN(life)
{
}

TEST_F_TIMEOUT(life, reload_same_image, 120)
{
	int fd;

	ASSERT_EQ(0, wait_dev(1));
	ASSERT_EQ(0, unload());
	EXPECT_EQ(0, wait_dev(0));
	ASSERT_EQ(0, load(NULL));
	expect_chip(_metadata, ck_fuse_a());
	fd = ck_open();
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_F_TIMEOUT(life, other_chip_image_b, 120)
{
	uint8_t out[64];
	size_t olen;
	int fd;

	/* a package of chip A ... */
	fd = ck_open();
	ASSERT_LE(0, fd);
	ck_fill(self->plain, sizeof(self->plain), 1234);
	self->plen = sizeof(self->pkg_a);
	ASSERT_EQ(0, ck_wrap(fd, self->plain, sizeof(self->plain), 9,
			     self->pkg_a, &self->plen));
	close(fd);

	/* ... is not ours for chip B */
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(FW_B));
	expect_chip(_metadata, ck_fuse_b());
	fd = ck_open();
	ASSERT_LE(0, fd);
	olen = sizeof(out);
	EXPECT_EQ(-ENOKEY, ck_unwrap(fd, self->pkg_a, self->plen, out, &olen, NULL));
	/*
	 * Same bytes with B's chip ID patched in: passes the chip check,
	 * then B's key cannot authenticate it.
	 */
	ASSERT_EQ(0, ck_load_fuse(ck_fuse_b(), self->img_b));
	memcpy(self->pkg_a + CK_PKG_OFF_CHIP_ID, self->img_b + CK_FUSE_OFF_CHIP_ID,
	       CHIPKEY_CHIP_ID_LEN);
	olen = sizeof(out);
	EXPECT_EQ(-EBADMSG, ck_unwrap(fd, self->pkg_a, self->plen, out, &olen, NULL));
	close(fd);
}

TEST_F_TIMEOUT(life, unprogrammed_zero_key, 120)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/fuse-zero.bin", CK_FW_DIR);
	expect_refused(_metadata, FW_ZERO, path);
}

TEST_F_TIMEOUT(life, unprogrammed_ones_key, 120)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/fuse-ones.bin", CK_FW_DIR);
	expect_refused(_metadata, FW_ONES, path);
}

TEST_F_TIMEOUT(life, back_to_image_a, 120)
{
	uint8_t in[100], pkg[100 + CHIPKEY_PKG_OVERHEAD], out[100];
	size_t plen = sizeof(pkg), olen = sizeof(out);
	int fd;

	unload();
	ASSERT_EQ(0, load(NULL));
	expect_chip(_metadata, ck_fuse_a());
	fd = ck_open();
	ASSERT_LE(0, fd);
	ck_fill(in, sizeof(in), 99);
	ASSERT_EQ(0, ck_wrap(fd, in, sizeof(in), 1, pkg, &plen));
	ASSERT_EQ(0, ck_unwrap(fd, pkg, plen, out, &olen, NULL));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
}

/*
 * A user buffer that never arrives (userfaultfd: the page fault is only
 * resolved when the test says so) must not hold the driver's lock: while an
 * INFO ioctl stalls writing its result and a WRAP ioctl stalls reading its
 * input, unbinding the driver completes.  Afterwards the stalled INFO
 * finishes normally (it had passed the -ENODEV check and the open file keeps
 * the chip's data), the stalled WRAP fails with -ENODEV (the chip key is
 * gone), and rebinding brings image A back.
 */
#define CK_DRV	"/sys/bus/platform/drivers/chipkey"

struct stalled {
	int fd;
	unsigned long cmd;
	void *arg;
	int ret;
};

static void *stalled_ioctl(void *p)
{
	struct stalled *s = p;

	s->ret = ioctl(s->fd, s->cmd, s->arg) ? -errno : 0;
	return NULL;
}

/* Write @val to @path in a child; 0 if it finished within @ms. */
static int write_within(const char *path, const char *val, int ms, pid_t *pid)
{
	int status, i;

	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0) {
		int fd = open(path, O_WRONLY);

		_exit(fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : 1);
	}
	for (i = 0; i < ms / 10; i++) {
		if (waitpid(*pid, &status, WNOHANG) == *pid) {
			*pid = 0;
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -2;
		}
		usleep(10000);
	}
	return -3;	/* still running: stuck */
}

static int uffd_wait_faults(int uffd, int n)
{
	struct uffd_msg msg;
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	int got = 0;

	while (got < n) {
		if (poll(&pfd, 1, 5000) != 1)
			return got;
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			got++;
	}
	return got;
}

static int uffd_fill(int uffd, void *dst, const void *src, size_t len)
{
	struct uffdio_copy c = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len,
	};

	return ioctl(uffd, UFFDIO_COPY, &c) ? -errno : 0;
}

TEST_F_TIMEOUT(life, stalled_user_buffer_does_not_block_unbind, 120)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct stalled info_call, wrap_call;
	pthread_t t_info, t_wrap;
	struct chipkey_xfer x;
	struct chipkey_info after;
	uint8_t *area, *src, *pkg;
	int fd, uffd, rc;
	pid_t pid;

	expect_chip(_metadata, ck_fuse_a());
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	reg.range.start = (uintptr_t)area;
	reg.range.len = 2 * page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	src = calloc(1, page);
	pkg = malloc(256 + CHIPKEY_PKG_OVERHEAD);
	ASSERT_TRUE(src && pkg);
	ck_fill(src, page, 42);

	fd = ck_open();
	ASSERT_LE(0, fd);
	/* INFO writes its result into page 0; WRAP reads its input from page 1 */
	info_call = (struct stalled){ .fd = fd, .cmd = CHIPKEY_IOC_INFO,
				      .arg = area, .ret = 1 };
	memset(&x, 0, sizeof(x));
	x.in_ptr = (uintptr_t)(area + page);
	x.in_len = 256;
	x.out_ptr = (uintptr_t)pkg;
	x.out_len = 256 + CHIPKEY_PKG_OVERHEAD;
	wrap_call = (struct stalled){ .fd = fd, .cmd = CHIPKEY_IOC_WRAP,
				      .arg = &x, .ret = 1 };
	ASSERT_EQ(0, pthread_create(&t_info, NULL, stalled_ioctl, &info_call));
	ASSERT_EQ(0, pthread_create(&t_wrap, NULL, stalled_ioctl, &wrap_call));
	/* both ioctls are now inside the driver, waiting for their page */
	EXPECT_EQ(2, uffd_wait_faults(uffd, 2));

	rc = write_within(CK_DRV "/unbind", "chipkey", 10000, &pid);
	EXPECT_EQ(0, rc) TH_LOG("unbind %s while user buffers stall",
				rc == -3 ? "hangs" : "failed");

	/* let the stalled calls go on (and a stuck unbind, if any, finish) */
	EXPECT_EQ(0, uffd_fill(uffd, area, src, page));
	EXPECT_EQ(0, uffd_fill(uffd, area + page, src, page));
	pthread_join(t_info, NULL);
	pthread_join(t_wrap, NULL);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	EXPECT_EQ(0, info_call.ret);
	EXPECT_EQ(CHIPKEY_ABI_VERSION, ((struct chipkey_info *)area)->abi_version);
	EXPECT_EQ(-ENODEV, wrap_call.ret);
	/* and every later call on the old file */
	EXPECT_EQ(-ENODEV, ck_info(fd, &after));
	close(fd);
	close(uffd);
	munmap(area, 2 * page);
	free(src);
	free(pkg);

	/* bring image A back for whatever runs next */
	EXPECT_EQ(0, write_within(CK_DRV "/bind", "chipkey", 10000, &pid));
	expect_chip(_metadata, ck_fuse_a());
}

TEST_HARNESS_MAIN
