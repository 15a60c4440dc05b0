/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the chipkey selftests (run inside the test VM against
 * the real chipkey.ko).  Only raw ioctls here: these tests must not depend
 * on libchipkey except where they compare it with the kernel (compat test).
 *
 * Paths can be overridden through the environment:
 *   CHIPKEY_DEV       character device            (/dev/chipkey)
 *   CK_FUSE_A         fuse image loaded by default (/lib/firmware/chipkey/fuse.bin)
 *   CK_FUSE_B         fuse image of another chip   (/lib/firmware/chipkey/fuse-b.bin)
 *   CK_EMU            chipkey-emu binary           (/usr/bin/chipkey-emu)
 */
#ifndef CHIPKEY_SELFTEST_COMMON_H
#define CHIPKEY_SELFTEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/chipkey.h>
#include <chipkey/backup_package.h>
#include <chipkey/fuse_image.h>

#define CK_FW_DIR		"/lib/firmware/chipkey"

static inline const char *ck_env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return (v && *v) ? v : def;
}

static inline const char *ck_dev_path(void)
{
	return ck_env("CHIPKEY_DEV", "/dev/chipkey");
}

/* Run @cmd with the shell: its exit status, or -1 if it did not exit. */
static inline int ck_run(const char *cmd)
{
	int r = system(cmd);

	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* Unload chipkey and chipkey_vfuse, load them again (chipkey_vfuse with
 * @args, e.g. "firmware=chipkey/other.bin") and wait for the device node. */
static inline int ck_reload(const char *args)
{
	char cmd[256];
	int i;

	ck_run("modprobe -r chipkey >/dev/null 2>&1; modprobe -r chipkey_vfuse >/dev/null 2>&1");
	snprintf(cmd, sizeof(cmd), "modprobe chipkey_vfuse %s && modprobe chipkey", args);
	if (ck_run(cmd))
		return -1;
	for (i = 0; i < 100; i++) {
		if (access(ck_dev_path(), F_OK) == 0)
			return 0;
		usleep(20000);
	}
	return -1;
}

static inline const char *ck_fuse_a(void)
{
	return ck_env("CK_FUSE_A", CK_FW_DIR "/fuse.bin");
}

static inline const char *ck_fuse_b(void)
{
	return ck_env("CK_FUSE_B", CK_FW_DIR "/fuse-b.bin");
}

static inline int ck_open(void)
{
	return open(ck_dev_path(), O_RDWR | O_CLOEXEC);
}

/* ioctl wrappers: 0 or -errno. */
static inline int ck_info(int fd, struct chipkey_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	return ioctl(fd, CHIPKEY_IOC_INFO, info) ? -errno : 0;
}

static inline int ck_xfer(int fd, unsigned long cmd, const void *in,
			  size_t in_len, void *out, size_t *out_len,
			  uint64_t *generation)
{
	struct chipkey_xfer x;
	int ret;

	memset(&x, 0, sizeof(x));
	x.in_ptr = (uintptr_t)in;
	x.in_len = (uint32_t)in_len;
	x.out_ptr = (uintptr_t)out;
	x.out_len = (uint32_t)*out_len;
	x.generation = generation ? *generation : 0;
	ret = ioctl(fd, cmd, &x) ? -errno : 0;
	*out_len = x.out_len;
	if (generation && cmd == CHIPKEY_IOC_UNWRAP && !ret)
		*generation = x.generation;
	return ret;
}

static inline int ck_wrap(int fd, const void *in, size_t in_len, uint64_t gen,
			  void *out, size_t *out_len)
{
	return ck_xfer(fd, CHIPKEY_IOC_WRAP, in, in_len, out, out_len, &gen);
}

static inline int ck_unwrap(int fd, const void *in, size_t in_len, void *out,
			    size_t *out_len, uint64_t *gen)
{
	return ck_xfer(fd, CHIPKEY_IOC_UNWRAP, in, in_len, out, out_len, gen);
}

/* Deterministic, position- and seed-dependent test pattern. */
static inline void ck_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* Read a whole (small) file; returns its length or -errno. */
static inline ssize_t ck_read_file(const char *path, void *buf, size_t cap)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < cap) {
		n = read(fd, (char *)buf + total, cap - total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	return total;
}

/* Load a 512-byte fuse image; 0 or -errno (-EINVAL if it is not one). */
static inline int ck_load_fuse(const char *path, uint8_t img[CK_FUSE_IMAGE_SIZE])
{
	ssize_t n = ck_read_file(path, img, CK_FUSE_IMAGE_SIZE);

	if (n < 0)
		return (int)n;
	if (n != CK_FUSE_IMAGE_SIZE ||
	    memcmp(img, CK_FUSE_MAGIC, CK_FUSE_MAGIC_LEN))
		return -EINVAL;
	return 0;
}

/* Length of the DER SEQUENCE at the start of @der (0 if not DER). */
static inline size_t ck_der_len(const uint8_t *der, size_t cap)
{
	size_t len;

	if (cap < 2 || der[0] != 0x30)
		return 0;
	if (der[1] < 0x80)
		len = 2 + der[1];
	else if (der[1] == 0x81 && cap >= 3)
		len = 3 + der[2];
	else if (der[1] == 0x82 && cap >= 4)
		len = 4 + ((size_t)der[2] << 8 | der[3]);
	else
		return 0;
	return len <= cap ? len : 0;
}

static inline void ck_hex(const uint8_t *p, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = 0;
}

static inline double ck_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * nftw(@root, @fn, @fds, @flags), with /proc walked entry by entry: a task
 * that ends while its /proc/PID is walked makes every lookup in there fail
 * with ESRCH (or ENOENT), which ends an nftw with -1.  Walks take minutes
 * on a debug kernel and idle kworkers end on their own, so a task going
 * away is no failure: it has nothing left to search.  A task still there
 * (one of its threads ended) is walked again.  0, or -1 with errno.
 */
static inline int ck_walk(const char *root,
			  int (*fn)(const char *, const struct stat *, int, struct FTW *),
			  int fds, int flags)
{
	char path[300];
	struct dirent *e;
	int rc = 0;
	DIR *d;

	if (strcmp(root, "/proc"))
		return nftw(root, fn, fds, flags);
	d = opendir(root);
	if (!d)
		return -1;
	while (!rc && (e = readdir(d))) {
		int task = e->d_name[strspn(e->d_name, "0123456789")] == '\0';

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "/proc/%s", e->d_name);
		rc = nftw(path, fn, fds, flags);
		/* a thread of it may have ended, and the task live on: walk
		 * it again while it does (at most 3 times) */
		for (int again = 0; rc == -1 && task && (errno == ESRCH || errno == ENOENT);
		     again++) {
			struct stat sb;

			if (stat(path, &sb))
				rc = 0;		/* it ended */
			else if (again < 3)
				rc = nftw(path, fn, fds, flags);
			else
				break;
		}
	}
	closedir(d);
	return rc;
}

/*
 * Start "chipkey-emu --state STATE --socket SOCK" on a private 0600 copy of
 * the fuse image @fuse; waits until the socket accepts connections.
 * Returns the pid (> 0) or -errno.
 */
static inline pid_t ck_emu_start(const char *fuse, const char *state,
				 const char *sock)
{
	uint8_t img[CK_FUSE_IMAGE_SIZE];
	struct sockaddr_un sa;
	int fd, i, ret;
	pid_t pid;

	ret = ck_load_fuse(fuse, img);
	if (ret)
		return ret;
	unlink(state);
	unlink(sock);
	fd = open(state, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, img, sizeof(img)) != (ssize_t)sizeof(img)) {
		close(fd);
		return -EIO;
	}
	close(fd);

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		const char *emu = ck_env("CK_EMU", "/usr/bin/chipkey-emu");

		execl(emu, emu, "--foreground", "--state", state, "--socket", sock,
		      (char *)NULL);
		_exit(127);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	/* up to 60 s: the emulator's power-on self-test runs before it
	 * listens, and a debug kernel under TCG on a busy host is slow */
	for (i = 0; i < 1200; i++) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid)
			return -ECHILD;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			close(fd);
			return pid;
		}
		if (fd >= 0)
			close(fd);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -ETIMEDOUT;
}

static inline void ck_emu_stop(pid_t pid, const char *state, const char *sock)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	unlink(state);
	unlink(sock);
}

#endif /* CHIPKEY_SELFTEST_COMMON_H */
