// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/tap.h"

static int n_tests, n_failed;
static pthread_mutex_t tap_lock = PTHREAD_MUTEX_INITIALIZER;

static int vreport(int cond, const char *directive, const char *fmt,
		   va_list ap)
{
	pthread_mutex_lock(&tap_lock);
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	vprintf(fmt, ap);
	if (directive)
		printf(" # SKIP %s", directive);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	return cond;
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(!!cond, NULL, fmt, ap);
	va_end(ap);
	return !!cond;
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(1, reason, fmt, ap);
	va_end(ap);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pthread_mutex_lock(&tap_lock);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&tap_lock);
	va_end(ap);
}

int tap_eq_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	if (!cond)
		tap_diag("got %lld, want %lld", got, want);
	va_start(ap, fmt);
	vreport(cond, NULL, fmt, ap);
	va_end(ap);
	return cond;
}

int tap_failures(void)
{
	return n_failed;
}

int tap_exit_status(void)
{
	return n_failed ? 1 : 0;
}
