/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP output for the native tests: "ok N - name" / "not ok N - name"
 * at column 0, everything else prefixed with '#'.  No plan line (several
 * suites are concatenated; scripts/check.sh counts result lines).
 */
#ifndef CHIPKEY_TAP_H
#define CHIPKEY_TAP_H

#include <stdio.h>

/* Report one result; returns @cond so callers can chain. */
int tap_ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tap_skip(const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit status for main(): 0 if nothing failed. */
int tap_exit_status(void);
int tap_failures(void);

/* Compare and describe: returns the comparison, prints "# got x want y". */
int tap_eq_int(long long got, long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* CHIPKEY_TAP_H */
