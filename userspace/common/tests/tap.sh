# SPDX-License-Identifier: GPL-2.0
#
# The TAP helpers of the shell tests (the shell side of common/tap.h), to be
# sourced:  . "$(dirname "$0")/../../common/tests/tap.sh"
#
#   ok DESC | nok DESC | skip DESC WHY     one result line
#   check DESC COMMAND...                 ok if COMMAND succeeds
#   expect_exit CODE DESC -- COMMAND...   ok if COMMAND exits with CODE; its
#                                         stdout/stderr are kept in
#                                         $tap_out/$tap_err (default: /dev/null)
#   tap_done NAME                         summary comment; status 1 on failure
tap_n=0 tap_failed=0
tap_out=${tap_out:-/dev/null} tap_err=${tap_err:-/dev/null}
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
nok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
check() {
	local d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
expect_exit() {
	local want=$1 d=$2 rc; shift 3
	"$@" >"$tap_out" 2>"$tap_err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$d (exit $rc)"
	else
		nok "$d (exit $rc, want $want)"
		sed 's/^/# /' "$tap_err" | tail -20
	fi
}
tap_done() {
	echo "# $1: $tap_n tests, $tap_failed failed"
	[ "$tap_failed" -eq 0 ]
}
