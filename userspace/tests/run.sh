#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every native userspace test against the binaries in BUILD (default
# ../build/asan).  TAP result lines at column 0, everything else '#'.
# Exit status: non-zero if any test failed or any suite died.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build/asan}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0

suite() {
	local name=$1; shift
	echo "# ---- userspace: $name"
	# Anything not a TAP result line is turned into a comment.
	"$@" 2>&1 | sed -E '/^(ok|not ok)( |$)|^#/!s/^/# /'
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		echo "not ok - userspace $name exited with status $rc"
		status=1
	fi
}

suite codec "$build/tests/test-codec"
suite vectors "$build/tests/test-vectors" "$top/docs/test-vectors"
suite lib "$build/tests/test-lib"
suite emu "$build/tests/test-emu" "$build/bin/chipkey-emu"
suite emu-hardening "$build/tests/test-emu-hardening" "$build/bin/chipkey-emu" \
	"$top/build/bin/chipkey-emu"
suite lib-emu-gone "$build/tests/test-emu-gone" "$build/bin/chipkey-emu"
suite cli "$here/test-cli.sh" "$build/bin"
exit $status
