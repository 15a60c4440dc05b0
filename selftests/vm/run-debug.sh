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
# in the console logs (skipped when no boot lasted until kmemleak's first
# automatic scan; an on-demand scan needs guest-run.sh).  run.sh already
# fails a boot on any BUG/WARNING/KASAN/UBSAN/Call Trace line.  Each boot's
# console log and every kernel report in it are kept in build/debug-kernel/
# (console-BOOT.log, tap-BOOT.log, splats-BOOT.txt) since build/vm/ is
# overwritten by the next run.
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

# Under run.sh's lock (build/vm/.lock): a run.sh waiting for ours would
# otherwise build kmod/ at the same time.  If one holds it, it rebuilds
# kmod/ for its own kernel anyway.
restore_modules() {
	mkdir -p "$TOP/build/vm"
	(
		flock -n 9 || { echo "# kmod/ left to the run.sh now holding build/vm/.lock"; exit 0; }
		make -C "$TOP" modules > "$DK/restore-modules.log" 2>&1 ||
			echo "# WARNING: rebuilding kmod/ for the default kernel failed, see $DK/restore-modules.log"
	) 9> "$TOP/build/vm/.lock"
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
stamp=$DK/.run-stamp
touch "$stamp"
start=$(date +%s)
KVER=$rel CK_VM_KIMG=$DK/obj/arch/x86/boot/bzImage CK_VM_KHDR=$DK/obj \
	CK_VM_MODROOT=$DK/modroot CK_VM_TIMEOUT=${CK_VM_TIMEOUT:-2700} \
	"$TOP/selftests/vm/run.sh" "$@" > "$tap"
rc=$?
secs=$(( $(date +%s) - start ))

# Keep this run's console logs (one per boot) and every kernel report in
# them, with the 100 lines after its first line (the whole trace).
rm -f "$DK"/console-*.log "$DK"/tap-*.log "$DK"/splats-*.txt
BAD='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|Call Trace|kernel panic|Kernel panic|possible recursive locking|circular locking|inconsistent lock state|kmemleak: .*suspected'
logs=
for c in "$TOP"/build/vm/console-*.log; do
	[ -f "$c" ] && [ "$c" -nt "$stamp" ] || continue
	b=$(basename "$c" .log)
	tr -d '\r' < "$c" > "$DK/$b.log"
	t=$TOP/build/vm/tap-${b#console-}.log
	[ -f "$t" ] && tr -d '\r' < "$t" > "$DK/tap-${b#console-}.log"
	grep -E -B3 -A100 "$BAD" "$DK/$b.log" > "$DK/splats-${b#console-}.txt" ||
		rm -f "$DK/splats-${b#console-}.txt"
	logs="$logs $DK/$b.log"
done

# run.sh's TAP without its plan, then our own result, then the new plan.
grep -v '^1\.\.[0-9]*$' "$tap"
n=$(grep -cE '^(not )?ok [0-9]+' "$tap")
rm -f "$tap"
echo "# debug kernel $rel: run.sh took ${secs}s; console logs in $DK"
for f in "$DK"/splats-*.txt; do [ -f "$f" ] && echo "# kernel reports saved in $f"; done
# kmemleak's scan thread first scans 60 s after boot, then every 10 min;
# it reports "N new suspected memory leaks" on the console.  (A scan on
# demand needs the guest: see the kmemleak block of guest-run.sh.)
n=$((n + 1))
desc="debug kernel: no kmemleak-suspected leaks in the console logs"
if [ -z "$logs" ]; then
	echo "ok $n - $desc # SKIP no console log"
elif grep -hEq 'kmemleak: [0-9]+ new suspected memory leaks' $logs; then
	grep -hE 'kmemleak: [0-9]+ new suspected' $logs | sed 's/^/# /'
	echo "not ok $n - $desc"
	rc=1
elif ! awk -F'[][]' '
	FNR == 1 { start = -1 }
	/^\[ *[0-9]+\.[0-9]+\]/ {
		t = $2 + 0
		if (start < 0 && /kmemleak: Automatic memory scanning thread started/) start = t
		if (start >= 0 && t >= start + 60) scanned = 1
	}
	END { exit !scanned }' $logs; then
	echo "ok $n - $desc # SKIP every boot ended before kmemleak's first scan (60 s after it started)"
else
	echo "ok $n - $desc"
fi
echo "1..$n"
exit $rc
