#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the factory test programs given as arguments, then the CLI test.
# TAP result lines pass through; exit status is non-zero if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "$@"; do
	echo "# ---- factory: $(basename "$t")"
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed -e '/^\(not \)\?ok /!s/^/# /' -e 's/^# # /# /'
	if [ $rc -ne 0 ]; then
		status=1
		printf '%s\n' "$out" | grep -q '^not ok' ||
			echo "not ok - $(basename "$t") exited with status $rc"
	fi
done
echo "# ---- factory: test_factory.sh"
out=$("$here/test_factory.sh" 2>&1)
rc=$?
printf '%s\n' "$out" | sed -e '/^\(not \)\?ok /!s/^/# /' -e 's/^# # /# /'
[ $rc -eq 0 ] || status=1
exit $status
