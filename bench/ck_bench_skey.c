// SPDX-License-Identifier: GPL-2.0
/*
 * ck_bench_skey: latency of CHIPKEY_IOC_KEY_LOAD (open a sealed key in the
 * kernel, add it as a logon key) next to add_key(2) of a logon key whose
 * bytes userspace holds (what `keyctl padd logon` does).  A measurement,
 * not a test: run by the skey2 VM boot (selftests/qemu/guest/guest-skey.sh),
 * which prints its lines as comments.  Both loops update one key (same
 * description) in a fresh session keyring.
 *
 *   ck_bench_skey [N]      N iterations each (default 200)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/chipkey.h>
#include <linux/keyctl.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += t[i];
	qsort(t, n, sizeof(*t), cmp);
	printf("%s: %d ops, median %.1f us, mean %.1f us, min %.1f us\n", what, n,
	       t[n / 2] / 1e3, sum / n / 1e3, t[0] / 1e3);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200, fd, i;
	uint8_t blob[CHIPKEY_MAX_SKEY], key[32];
	struct chipkey_key_new kn = { .out_ptr = (uintptr_t)blob, .out_len = sizeof(blob) };
	struct chipkey_key_load kl;
	double *t;

	if (n < 1 || n > 100000 || !(t = calloc(n, sizeof(*t))))
		return 2;
	fd = open("/dev/chipkey", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, CHIPKEY_IOC_KEY_NEW, &kn) ||
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) {
		perror("ck_bench_skey: setup");
		return 1;
	}
	for (i = 0; i < n; i++) {
		double t0 = now_ns();

		memset(&kl, 0, sizeof(kl));
		kl.in_ptr = (uintptr_t)blob;
		kl.in_len = kn.out_len;
		kl.name_ptr = (uintptr_t)"bench";
		kl.name_len = 5;
		kl.keyring = KEY_SPEC_SESSION_KEYRING;
		if (ioctl(fd, CHIPKEY_IOC_KEY_LOAD, &kl)) {
			perror("ck_bench_skey: KEY_LOAD");
			return 1;
		}
		t[i] = now_ns() - t0;
	}
	report("KEY_LOAD (unseal in the kernel + logon key)", t, n);
	if (getrandom(key, sizeof(key), 0) != sizeof(key))
		return 1;
	for (i = 0; i < n; i++) {
		double t0 = now_ns();

		if (syscall(SYS_add_key, "logon", "chipkey:benchuser", key, sizeof(key),
			    KEY_SPEC_SESSION_KEYRING) < 0) {
			perror("ck_bench_skey: add_key");
			return 1;
		}
		t[i] = now_ns() - t0;
	}
	report("add_key(2) logon from userspace (keyctl padd)", t, n);
	explicit_bzero(key, sizeof(key));
	free(t);
	close(fd);
	return 0;
}
