// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey_findbytes: is a secret anywhere it must not be?  Helper of the
 * sealed-key VM boots (selftests/qemu/sealedkey.sh), which know the key
 * bytes from the independent oracle.
 *
 *   chipkey_findbytes [-x] HEX|- PATH...
 *
 * HEX "-": read from stdin (a secret in argv would be in /proc/PID/cmdline).
 * Looks for the bytes HEX (and with -x also their lowercase and uppercase
 * hex text) in every PATH: "dmesg" (the kernel log, syslog(2)), regular
 * files and block devices, directories walked without following symlinks.
 * At most 16 MiB of each file is read (opened O_NONBLOCK; /proc/kmsg,
 * /proc/kcore, trace_pipe, mem and pagemap files are skipped).  Prints every
 * hit; exit 0 if none, 1 if found, 2 on usage errors, 3 if a walk stopped
 * before its end (a task ending while /proc is walked does not stop it).
 */
#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chipkey_common.h"

#define MAX_READ	(16u << 20)

static unsigned char needle[3][256];
static size_t nlen[3];
static int nneedles, found;
static unsigned char *buf;

static void search(const char *name, const unsigned char *p, size_t len)
{
	int i;

	for (i = 0; i < nneedles; i++)
		if (memmem(p, len, needle[i], nlen[i])) {
			printf("FOUND %s in %s\n", i ? "hex text" : "bytes", name);
			found = 1;
		}
}

static int skip(const char *path)
{
	static const char *const names[] = { "/proc/kmsg", "/proc/kcore", "trace_pipe",
					     "/mem", "/pagemap", "/proc/sysrq-trigger" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(path, names[i]))
			return 1;
	return 0;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	(void)ftw;
	if (type != FTW_F || skip(path) || !(S_ISREG(st->st_mode) || S_ISBLK(st->st_mode)))
		return 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (len < MAX_READ && (n = read(fd, buf + len, MAX_READ - len)) > 0)
		len += (size_t)n;
	close(fd);
	search(path, buf, len);
	return 0;
}

int main(int argc, char **argv)
{
	static char line[256];
	int hex = 0, stopped = 0, i, n;
	size_t k;

	if (argc > 1 && !strcmp(argv[1], "-x")) {
		hex = 1;
		argv++;
		argc--;
	}
	if (argc > 2 && !strcmp(argv[1], "-")) {
		if (!fgets(line, sizeof(line), stdin))
			return 2;
		line[strcspn(line, "\r\n")] = '\0';
		argv[1] = line;
	}
	if (argc < 3 || strlen(argv[1]) % 2 || strlen(argv[1]) / 2 > 120 || !argv[1][0]) {
		fprintf(stderr, "usage: chipkey_findbytes [-x] HEX|- PATH...\n");
		return 2;
	}
	nlen[0] = strlen(argv[1]) / 2;
	for (k = 0; k < nlen[0]; k++) {
		unsigned int b;

		if (!isxdigit((unsigned char)argv[1][2 * k]) ||
		    !isxdigit((unsigned char)argv[1][2 * k + 1]) ||
		    sscanf(argv[1] + 2 * k, "%2x", &b) != 1)
			return 2;
		needle[0][k] = (unsigned char)b;
	}
	nneedles = 1;
	if (hex) {
		for (k = 0; k < nlen[0]; k++) {
			sprintf((char *)needle[1] + 2 * k, "%02x", needle[0][k]);
			sprintf((char *)needle[2] + 2 * k, "%02X", needle[0][k]);
		}
		nlen[1] = nlen[2] = 2 * nlen[0];
		nneedles = 3;
	}
	buf = malloc(MAX_READ);
	if (!buf)
		return 2;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "dmesg")) {
			n = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
			if (n > 0 && (unsigned int)n <= MAX_READ) {
				n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, (char *)buf, n);
				if (n > 0)
					search("dmesg", buf, (size_t)n);
			}
			continue;
		}
		if (ck_walk(argv[i], visit, 16, FTW_PHYS | FTW_MOUNT)) {
			fprintf(stderr, "chipkey_findbytes: walk of %s stopped: %s\n", argv[i],
				strerror(errno));
			stopped = 1;
		}
	}
	free(buf);
	return found ? 1 : stopped ? 3 : 0;
}
