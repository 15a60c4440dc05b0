#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the VM selftests (selftests/vm/run.sh) on the chipkey debug kernel:
# KASAN, UBSAN, lockdep, kmemleak, debug objects, SLUB debugging (see
# selftests/vm/debug.config).  Builds the kernel first if needed
# (selftests/vm/debug-kernel.sh; the first build takes a while).
#
#   selftests/vm/run-debug.sh [run.sh arguments]
#
# stdout is run.sh's TAP plus one extra result: no kmemleak-suspected leak
# in the console log.  run.sh already fails the run on any BUG/WARNING/
# KASAN/UBSAN/Call Trace line.  The console log and every splat are kept in
# build/debug-kernel/ (console-MODE.log, splats-MODE.txt) since build/vm/
# is overwritten by the next run.
#
# run.sh rebuilds kmod/*.ko against the debug kernel in place; this script
# rebuilds them against the default kernel (make modules) when it is done.
# CK_VM_TIMEOUT defaults to 2700 s here (the debug kernel is slow on TCG).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
DK=$TOP/build/debug-kernel

echo "# building the debug kernel (log: $DK/build.log)"
if ! rel=$("$TOP/selftests/vm/debug-kernel.sh" 2> "$TOP/build/debug-kernel.err"); then
	sed 's/^/# /' "$TOP/build/debug-kernel.err"
	echo "not ok 1 - build the debug kernel (selftests/vm/debug-kernel.sh)"
	echo "1..1"
	exit 1
fi
sed 's/^/# /' "$TOP/build/debug-kernel.err"
rm -f "$TOP/build/debug-kernel.err"

restore_modules() {
	make -C "$TOP" modules > "$DK/restore-modules.log" 2>&1 ||
		echo "# WARNING: rebuilding kmod/ for the default kernel failed, see $DK/restore-modules.log"
}
trap restore_modules EXIT

mode=test
case ${1:-} in --bench) mode=bench ;; --shell) mode=shell ;; --demo) mode=demo ;; esac
if [ "$mode" = shell ]; then
	KVER=$rel CK_VM_KIMG=$DK/obj/arch/x86/boot/bzImage CK_VM_KHDR=$DK/obj \
		CK_VM_MODROOT=$DK/modroot "$TOP/selftests/vm/run.sh" "$@"
	exit $?
fi

tap=$(mktemp)
start=$(date +%s)
KVER=$rel CK_VM_KIMG=$DK/obj/arch/x86/boot/bzImage CK_VM_KHDR=$DK/obj \
	CK_VM_MODROOT=$DK/modroot CK_VM_TIMEOUT=${CK_VM_TIMEOUT:-2700} \
	"$TOP/selftests/vm/run.sh" "$@" > "$tap"
rc=$?
secs=$(( $(date +%s) - start ))

console=$TOP/build/vm/console-$mode.log
saved=$DK/console-$mode.log
splats=$DK/splats-$mode.txt
if [ -f "$console" ]; then
	tr -d '\r' < "$console" > "$saved"
	cp "$TOP/build/vm/tap-$mode.log" "$DK/tap-$mode.log" 2>/dev/null
else
	: > "$saved"
fi
# Each report with the 100 lines after its first line (the whole trace).
BAD='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|Call Trace|kernel panic|Kernel panic|possible recursive locking|circular locking|inconsistent lock state|kmemleak: .*suspected'
grep -E -B3 -A100 "$BAD" "$saved" > "$splats" || rm -f "$splats"

# run.sh's TAP without its plan, then our own result, then the new plan.
grep -v '^1\.\.[0-9]*$' "$tap"
n=$(grep -cE '^(not )?ok [0-9]+' "$tap")
rm -f "$tap"
echo "# debug kernel $rel: run.sh took ${secs}s; console log $saved"
[ -f "$splats" ] && echo "# kernel reports saved in $splats"
n=$((n + 1))
if grep -Eq 'kmemleak: [0-9]+ new suspected memory leaks' "$saved"; then
	grep -E 'kmemleak: [0-9]+ new suspected' "$saved" | sed 's/^/# /'
	echo "not ok $n - debug kernel: no kmemleak-suspected leaks in the console log"
	rc=1
else
	echo "ok $n - debug kernel: no kmemleak-suspected leaks in the console log"
fi
echo "1..$n"
exit $rc
