/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-only fault injection: kill -9 the process at a named point.
 *
 * Compiled in only with -DCK_CRASH_HOOKS (the crash-test builds
 * build/tests/spp/chipkey-spp-crash and chipkey-agent-crash); otherwise
 * CK_CRASH_POINT() is an empty statement and the production binaries
 * contain no trace of it.
 *
 *   CHIPKEY_CRASH_AT=NAME      raise(SIGKILL) the first time NAME is reached
 *   CHIPKEY_CRASH_AT=NAME@N    ... the N-th time (counted over all threads)
 *   CHIPKEY_PAUSE_AT=NAME:MS   sleep MS milliseconds every time NAME is
 *                              reached (and say so on stderr): widens a race
 *                              window on purpose (test-pg.sh, claim race)
 *
 * The points and the tests that use them: userspace/spp/tests/test-crash.sh.
 */
#ifndef CHIPKEY_CRASHPOINT_H
#define CHIPKEY_CRASHPOINT_H

#ifdef CK_CRASH_HOOKS
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static inline void ck_pause_point(const char *name)
{
	const char *at = getenv("CHIPKEY_PAUSE_AT"), *c;
	struct timespec ts;
	long ms;

	if (!at || !(c = strrchr(at, ':')))
		return;
	if (strlen(name) != (size_t)(c - at) || memcmp(name, at, (size_t)(c - at)))
		return;
	ms = strtol(c + 1, NULL, 10);
	if (ms <= 0)
		return;
	fprintf(stderr, "chipkey: test pause at %s for %ld ms\n", name, ms);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts))
		;
}

static inline void ck_crash_point(const char *name)
{
	static atomic_int hits;
	const char *at = getenv("CHIPKEY_CRASH_AT"), *n;
	size_t len;
	long want = 1;

	ck_pause_point(name);
	if (!at || !*at)
		return;
	n = strchr(at, '@');
	len = n ? (size_t)(n - at) : strlen(at);
	if (n)
		want = strtol(n + 1, NULL, 10);
	if (strlen(name) != len || memcmp(name, at, len))
		return;
	if (atomic_fetch_add(&hits, 1) + 1 == want)
		raise(SIGKILL);
}
#define CK_CRASH_POINT(name) ck_crash_point(name)
#else
#define CK_CRASH_POINT(name) do { } while (0)
#endif

#endif
