// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LD_PRELOAD shim for the recovery tests: a wall clock stuck near 1970, as
 * on a device without a real-time clock before NTP.  time(),
 * gettimeofday() and clock_gettime(CLOCK_REALTIME*) return
 * $CK_FAKE_TIME (unix seconds, default 86400 = 1970-01-02);
 * every other clock is the real one.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);

static time_t fake_now(void)
{
	const char *s = getenv("CK_FAKE_TIME");

	return s && *s ? (time_t)strtoll(s, NULL, 10) : (time_t)86400;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	if (!real_clock_gettime)
		*(void **)&real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
	if (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) {
		ts->tv_sec = fake_now();
		ts->tv_nsec = 0;
		return 0;
	}
	return real_clock_gettime(id, ts);
}

time_t time(time_t *t)
{
	time_t now = fake_now();

	if (t)
		*t = now;
	return now;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tz;
	tv->tv_sec = fake_now();
	tv->tv_usec = 0;
	return 0;
}
