#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the test suites and prints one summary line "N passed, N failed,
# N skipped" counted over every TAP result line of every suite.
#
#   scripts/check.sh            all suites: native, lint, vm, arm64, vm-debug
#   scripts/check.sh SUITE...   only those suites
#   scripts/check.sh stress     not in the default list: the abuse program
#                               with N=1000000 in the test VM, 100 power cuts
#                               during recovery (CK_VM_CUTS) and 100 during
#                               provisioning (CK_VM_PCUTS), and every fuzz
#                               target FUZZ_SECONDS (default 60) each
#
# Each suite prints TAP result lines at column 0 ("ok", "not ok",
# "ok ... # SKIP why"); everything else it prints starts with '#'.
# Full logs are kept in build/check/SUITE.log.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logdir=build/check
mkdir -p "$logdir"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(native lint vm arm64 vm-debug)

run_native() {
	local rc=0
	make -s -C userspace check || rc=1
	# Every fuzz target a few seconds on its seed corpus (clang, libFuzzer,
	# ASan/UBSan): a parser regression fails here (fuzz/README.md).
	echo "# ---- fuzz targets, ${FUZZ_CHECK_SECONDS:-4} s each"
	make -s -C userspace fuzz-check FUZZ_CHECK_SECONDS="${FUZZ_CHECK_SECONDS:-4}" || rc=1
	# End to end over loopback with the normal (non-ASan) build: factory,
	# SPP, pubdb and 100 emulated devices, each its own process and chip.
	echo "# ---- a fresh clone: plain make builds every program, make demo runs"
	./scripts/test-fresh-clone.sh || rc=1
	echo "# ---- end to end: 100 devices"
	BUILD="$top/build" ./userspace/spp/tests/test-e2e.sh || rc=1
	echo "# ---- DKMS: add, build, install, remove for each kernel's headers"
	./scripts/test-dkms.sh || rc=1
	echo "# ---- Debian packages: build, lintian, use them unpacked"
	./scripts/test-debs.sh || rc=1
	return $rc
}

run_lint() {
	./scripts/lint-kernel.sh
	./dts/check.sh
}

# Debian 12's two kernel series: linux-image-amd64 (6.1) and
# linux-image-6.12-amd64, on x86_64 and on arm64 (the devicetree path).
run_vm() {
	local rc=0
	./selftests/qemu/run.sh || rc=1
	echo "# ---- the same boots on Debian's 6.12 kernel"
	# (the power cuts run on 6.1 only: they test the flash store, not the kernel)
	CK_VM_KERNEL=6.12 CK_VM_BOOTS="test provision sd-wiped sd-intact restore tamper skey1 skey2" \
		./selftests/qemu/run.sh || rc=1
	return $rc
}

run_arm64() {
	local rc=0
	ARCH=arm64 ./selftests/qemu/run.sh || rc=1
	echo "# ---- the same boot on Debian's 6.12 kernel"
	CK_VM_KERNEL=6.12 ARCH=arm64 ./selftests/qemu/run.sh || rc=1
	return $rc
}

# The same VM suite on a debug kernel built from linux-source-6.1 (KASAN,
# lockdep, UBSAN, kmemleak), cached in build/qemu/x86_64-debug/kernel.
run_vm-debug() {
	DEBUG_KERNEL=yes ./selftests/qemu/run.sh
}

# Long runs (make stress): selftests/chipkey_abuse_test.c with a million
# calls of each random test (CK_ABUSE_N) on Debian's kernel, in the test
# boot only, then 100 power cuts during recovery (make check: 3) and 100
# during provisioning (make check: 2), then the
# fuzz targets.
run_stress() {
	local rc=0
	CK_ABUSE_N=${CK_ABUSE_N:-1000000} CK_VM_BOOTS=test \
		CK_VM_TIMEOUT=${CK_VM_TIMEOUT:-14400} ./selftests/qemu/run.sh || rc=1
	# 100 power cuts (QEMU killed) during recovery on the virtio flash disk,
	# 100 during provisioning (flash disk and factory disk)
	CK_VM_CUTS=${CK_VM_CUTS:-100} CK_VM_PCUTS=${CK_VM_PCUTS:-100} CK_VM_BOOTS="provision cut pcut" \
		./selftests/qemu/run.sh || rc=1
	make -s -C userspace fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" || rc=1
	return $rc
}

# The debug kernel (13 CPU-minutes on two cores) builds at nice 19 beside
# the suites before vm-debug, on the time they leave idle; vm-debug's run
# waits for it (selftests/qemu/run.sh's lock) and reuses it.
prep=
if [ ${#suites[@]} -gt 1 ] && [[ " ${suites[*]} " == *" vm-debug "* ]]; then
	echo "# the debug kernel builds in the background at nice 19 ($logdir/vm-debug-prepare.log)"
	DEBUG_KERNEL=yes nice -n 19 ./selftests/qemu/run.sh --prepare > "$logdir/vm-debug-prepare.log" 2>&1 &
	prep=$!
fi

status=0
for s in "${suites[@]}"; do
	case "$s" in
	native | lint | vm | arm64 | vm-debug | stress) ;;
	*) echo "unknown suite: $s" >&2; exit 2 ;;
	esac
	echo "# ==== suite: $s"
	# A suite that dies without printing a result still counts as a failure.
	"run_$s" 2>&1 | tee "$logdir/$s.log"
	rc=${PIPESTATUS[0]}
	if [ $rc -ne 0 ]; then
		status=1
		if ! grep -q '^not ok' "$logdir/$s.log"; then
			echo "not ok - suite $s exited with status $rc" | tee -a "$logdir/$s.log"
		fi
	fi
done

[ -n "$prep" ] && wait "$prep"

# Count over all suites' logs.
passed=0 failed=0 skipped=0
for s in "${suites[@]}"; do
	log="$logdir/$s.log"
	p=$(grep -E '^ok( |$)' "$log" | grep -vic '# *skip')
	k=$(grep -E '^ok( |$)' "$log" | grep -ic '# *skip')
	f=$(grep -cE '^not ok( |$)' "$log")
	passed=$((passed + p)) skipped=$((skipped + k)) failed=$((failed + f))
done
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
