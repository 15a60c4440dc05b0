/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for the factory tests: "ok N - name" / "not ok N - name". */
#ifndef FACTORY_TAP_H
#define FACTORY_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

__attribute__((format(printf, 1, 2)))
static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int tap_done(void)
{
	printf("# %d tests, %d failed\n", tap_n, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
