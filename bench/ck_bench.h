/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The measuring loop and table shared by ck_bench_dev (in the VM) and
 * ck_bench_emu (native): per payload size, ops/s and MB/s of an
 * implementation against its baseline, measured in the same run, and their
 * ratio.  One op is one wrap plus one unwrap (or the baseline's
 * equivalent); MB/s counts the payload twice (encrypted and decrypted).
 * And a second table of single operations (ATTEST, SEALED_WRAP) against
 * the cost of one ECDH.
 */
#ifndef CK_BENCH_H
#define CK_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define AAD 72
#define TAG 16
#define MIN_SECONDS 1.0
#define CK_BENCH_MAX (65536 + AAD + TAG)

/* One op number @n on a payload of @len bytes: 0, or non-zero on failure. */
typedef int (*ck_bench_op)(uint64_t n, size_t len);

static double ck_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Ops per second of @op over at least MIN_SECONDS and 5 ops. */
static double ck_bench_rate(ck_bench_op op, size_t len, int *bad)
{
	double t0, t;
	uint64_t n;

	for (n = 0, t0 = ck_bench_now(); (t = ck_bench_now() - t0) < MIN_SECONDS || n < 5; n++)
		if (op(n, len) && !(*bad)++)
			printf("# an operation failed (size %zu)\n", len);
	return n / t;
}

/* The table: @a against the baseline @b; returns the number of failed ops. */
static int ck_bench_table(const char *a_name, ck_bench_op a, const char *b_name, ck_bench_op b)
{
	static const size_t sizes[] = { 64, 1024, 4096, 65536 };
	char ha[32], hb[32];
	int bad = 0;
	size_t k;

	snprintf(ha, sizeof(ha), "%s op/s", a_name);
	snprintf(hb, sizeof(hb), "%s op/s", b_name);
	printf("# %8s | %12s %10s | %12s %10s | %7s\n", "size", ha, "MB/s", hb, "MB/s", "ratio");
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k];
		double ra = ck_bench_rate(a, len, &bad);
		double rb = ck_bench_rate(b, len, &bad);

		printf("# %8zu | %12.0f %10.2f | %12.0f %10.2f | %6.2fx\n", len,
		       ra, ra * 2 * len / 1e6, rb, rb * 2 * len / 1e6, ra / rb);
	}
	if (bad)
		printf("# ERROR: %d operations failed\n", bad);
	return bad;
}

/* A row of the fixed-size table: @op on payloads of @len bytes. */
struct ck_bench_row {
	const char *name;
	ck_bench_op op;
	size_t len;
};

/*
 * The table of single operations (attestation): ops/s and microseconds per
 * op of each row, and its time per op divided by the baseline's @base_ns
 * (nanoseconds per op of @base_name, measured in the same run; <= 0 when
 * unknown: no ratio).  Returns the number of failed ops.
 */
static int ck_bench_ratio_table(const char *base_name, double base_ns,
				const struct ck_bench_row *rows, size_t n)
{
	int bad = 0;
	size_t k;

	printf("# %-40s | %10s %10s | %12s\n", "operation", "op/s", "us/op", "time / base");
	if (base_ns > 0)
		printf("# %-40s | %10.0f %10.1f | %11.2fx\n", base_name, 1e9 / base_ns,
		       base_ns / 1e3, 1.0);
	else
		printf("# %-40s | %10s %10s | %12s\n", base_name, "?", "?", "-");
	for (k = 0; k < n; k++) {
		double r = ck_bench_rate(rows[k].op, rows[k].len, &bad);

		if (base_ns > 0)
			printf("# %-40s | %10.0f %10.1f | %11.2fx\n", rows[k].name, r,
			       1e6 / r, 1e9 / r / base_ns);
		else
			printf("# %-40s | %10.0f %10.1f | %12s\n", rows[k].name, r,
			       1e6 / r, "-");
	}
	if (bad)
		printf("# ERROR: %d operations failed\n", bad);
	return bad;
}

#endif /* CK_BENCH_H */
