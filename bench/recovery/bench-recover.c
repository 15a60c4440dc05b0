// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Time from starting the recovering process to a restored store, and its
 * peak RSS (wait4 rusage).
 *
 *   bench-recover RUNS STORE -- COMMAND [ARGS...]
 *
 * Each run removes STORE, fork+execs COMMAND (e.g. chipkey recover
 * --store STORE --db URL), waits for it, and requires exit 0.  Prints
 * median, p90, p99, max wall time and the median/max peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmpl(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int runs, i;
	double *t;
	long *rss;
	char rm[4200];

	if (argc < 5 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: bench-recover RUNS STORE -- COMMAND [ARGS...]\n");
		return 2;
	}
	runs = atoi(argv[1]);
	if (runs < 1)
		return 2;
	t = calloc((size_t)runs, sizeof(*t));
	rss = calloc((size_t)runs, sizeof(*rss));
	if (!t || !rss)
		return 1;
	snprintf(rm, sizeof(rm), "rm -rf '%s'", argv[2]);
	for (i = 0; i < runs; i++) {
		struct timespec a, b;
		struct rusage ru;
		int st;
		pid_t p;

		if (system(rm))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &a);
		p = fork();
		if (p == 0) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0)
				dup2(fd, 1);
			execv(argv[4], argv + 4);
			_exit(127);
		}
		if (p < 0 || wait4(p, &st, 0, &ru) != p)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "bench-recover: run %d failed (status %d)\n", i, st);
			return 1;
		}
		t[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		rss[i] = ru.ru_maxrss;
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	qsort(rss, (size_t)runs, sizeof(*rss), cmpl);
	printf("runs            %d\n", runs);
	printf("median          %.2f ms\n", t[runs / 2]);
	printf("p90             %.2f ms\n", t[(runs * 90) / 100 < runs ? (runs * 90) / 100 : runs - 1]);
	printf("p99             %.2f ms\n", t[(runs * 99) / 100 < runs ? (runs * 99) / 100 : runs - 1]);
	printf("max             %.2f ms\n", t[runs - 1]);
	printf("peak RSS median %.2f MiB\n", rss[runs / 2] / 1024.0);
	printf("peak RSS max    %.2f MiB\n", rss[runs - 1] / 1024.0);
	free(t);
	free(rss);
	return 0;
}
