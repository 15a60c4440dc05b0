#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs test commands and passes their TAP result lines through; every
# other line becomes a '#' comment.  A command that exits non-zero without
# printing a "not ok" line of its own gets one.  Exit status: non-zero if
# any command failed.
#
#   common/tests/tap-run.sh "PROGRAM ARG..." ...     (one quoted word each)
set -u
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for cmd in "$@"; do
	read -r -a argv <<<"$cmd"
	name=$(basename "${argv[0]}")
	echo "# ---- $name"
	out=$("${argv[@]}" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed -E -e '/^(ok|not ok)( |$)|^#/!s/^/# /'
	if [ "$rc" -ne 0 ]; then
		status=1
		printf '%s\n' "$out" | grep -q '^not ok' ||
			echo "not ok - $name exited with status $rc"
	fi
done
exit $status
