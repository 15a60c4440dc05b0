#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The chipkey QEMU harness: builds chipkey.ko for the guest's kernel and
# what the guest runs, packs them with busybox-static and the one /init
# into an initramfs, boots it in QEMU (TCG, no network, loopback only in
# the guest) once per boot mode, and turns what the guest prints into TAP.
#
#   selftests/qemu/run.sh                    x86_64, Debian's kernel: boots
#                                            test (kselftests, CLI), then
#                                            provision, restore, tamper
#                                            (recovery.sh)
#   ARCH=arm64 selftests/qemu/run.sh         arm64, Debian's kernel, the
#                                            driver bound from a devicetree:
#                                            boot dt (devicetree.sh)
#   CK_VM_CUTS=N: power cuts of the cut boots (powercut.sh; default 3)
#   CK_VM_PCUTS=N: power cuts of the pcut boots (provisioning; default 2)
#   CK_VM_KERNEL=6.12 selftests/qemu/run.sh  the same on Debian's second
#                                            kernel series (linux-image-6.12-amd64,
#                                            and its arm64 twin with ARCH=arm64)
#   DEBUG_KERNEL=yes selftests/qemu/run.sh   the x86_64 boots on the debug
#                                            kernel of debug.config (KASAN,
#                                            UBSAN, lockdep, kmemleak), built
#                                            once into build/qemu/x86_64-debug/
#   selftests/qemu/run.sh --bench            run bench/ck_bench_dev in the VM
#   selftests/qemu/run.sh --shell            a busybox shell on the console
#   selftests/qemu/run.sh --prepare          only get or build the kernel
#   selftests/qemu/run.sh --demo DIR         the guest half of `make demo`:
#                                            DIR holds fuse.bin, data.bin and
#                                            emu.ckb; the kernel's package is
#                                            written to DIR/kernel.ckb
#
# Per-arch facts are in arch/$ARCH.sh (variables, and the steps
# arch_host_tools, arch_kernel, arch_guest_programs, arch_board and
# arch_initramfs), the shared machinery in lib.sh, the host halves of the
# boots that need one in recovery.sh and devicetree.sh (and attest.sh for
# the attestation checks of the test boot), the guest side in
# init and guest/.  Environment: ARCH (x86_64 or arm64),
# DEBUG_KERNEL (yes), CK_VM_KERNEL (6.12: Debian's linux-image-6.12-amd64
# instead of linux-image-amd64; output in build/qemu/ARCH-6.12), CK_VM_BOOTS (boots of the default run; restore and
# tamper need provision), CK_VM_TIMEOUT (seconds per boot; default 900 on
# x86_64, 300 on arm64, three times that on the debug kernel),
# CK_VM_SKIP_BUILD=1 (reuse the userspace builds); see arch/*.sh for more.
#
# stdout carries only TAP lines ("ok N - ...", "not ok N - ...") and '#'
# comments; build output, logs and the guests' consoles go to
# build/qemu/ARCH[-debug]/.
# shellcheck source-path=SCRIPTDIR
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
ARCH=${ARCH:-x86_64}
[ "$ARCH" = aarch64 ] && ARCH=arm64
DEBUG_KERNEL=${DEBUG_KERNEL:-no}
MODE="test"
DEMO_DIR=
case ${1:-} in
--bench) MODE=bench ;;
--shell) MODE=shell ;;
--prepare) MODE=prepare ;;
--demo) MODE=demo; DEMO_DIR=$(cd "${2:?--demo needs a directory}" && pwd) ;;
"" | --test) ;;
*) echo "usage: [ARCH=x86_64|arm64] [DEBUG_KERNEL=yes] $0 [--test|--bench|--shell|--prepare|--demo DIR]" >&2; exit 2 ;;
esac
[ -f "$HERE/arch/$ARCH.sh" ] || { echo "$0: ARCH=$ARCH: no $HERE/arch/$ARCH.sh" >&2; exit 2; }

OUT=$TOP/build/qemu/$ARCH
[ -n "${CK_VM_KERNEL:-}" ] && OUT=$OUT-$CK_VM_KERNEL
[ "$DEBUG_KERNEL" = yes ] && OUT=$OUT-debug
FUSE=$OUT/fuse
RAW=$OUT/results.raw
BUILDLOG=$OUT/build.log
# the guest's unprivileged checks must be able to traverse its files
umask 022
mkdir -p "$OUT"
# One run per output directory at a time (make demo and make check may
# meet here): a second one waits.
exec 9> "$OUT/.lock"
if ! flock -n 9; then
	echo "# waiting for another run in $OUT to finish ($OUT/.lock)"
	flock 9
fi
: > "$RAW"
: > "$BUILDLOG"
rm -f "$OUT"/console-*.log "$OUT"/tap-*.log "$OUT"/splats-*.txt

# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=arch/x86_64.sh
. "$HERE/arch/$ARCH.sh"
# shellcheck source=recovery.sh
. "$HERE/recovery.sh"
# shellcheck source=devicetree.sh
. "$HERE/devicetree.sh"
# shellcheck source=attest.sh
. "$HERE/attest.sh"
# shellcheck source=sealedkey.sh
. "$HERE/sealedkey.sh"
# shellcheck source=systemd.sh
. "$HERE/systemd.sh"
# shellcheck source=powercut.sh
. "$HERE/powercut.sh"

BOOTS=${CK_VM_BOOTS:-$BOOTS_DEFAULT}
# systemd needs cgroups, namespaces and BPF, which debug.config leaves out
if [ -z "${CK_VM_BOOTS:-}" ] && [ "$DEBUG_KERNEL" = yes ]; then
	BOOTS=$(echo $BOOTS | sed 's/sd-[a-z]*//g; s/pcut//')
	note "debug kernel: no systemd boots (sd-wiped, sd-intact: debug.config has no cgroups), no provisioning cuts (they test the flash store and the SPP's databases, not the kernel)"
fi
[ "$MODE" = test ] || BOOTS=$MODE
MAIN_BOOT=${BOOTS%% *}
has_boot() { case " $BOOTS " in *" $1 "*) return 0 ;; esac; return 1; }
has_recovery_boot() { local b; for b in $RECOVERY_BOOTS; do has_boot "$b" && return 0; done; return 1; }
TIMEOUT=${CK_VM_TIMEOUT:-$TIMEOUT_DEFAULT}
[ "$DEBUG_KERNEL" = yes ] && TIMEOUT=${CK_VM_TIMEOUT:-$((TIMEOUT_DEFAULT * 3))}
case $MODE in bench | demo)
	[ "$NATIVE_USERSPACE" = yes ] || die "--$MODE on $ARCH: the guest cannot run the host's programs" ;;
esac
T0=$(date +%s)

arch_host_tools
if [ "$DEBUG_KERNEL" = yes ]; then build_debug_kernel; else arch_kernel; fi
# --prepare: only the kernel (the debug kernel's build, started early by
# scripts/check.sh beside the native suite; the run that follows waits on
# the lock above and reuses it)
[ "$MODE" = prepare ] && { finish; exit; }
build_module
arch_guest_programs
make_fuse_images
# The demo's chip: the same fuse image the host's emulator used.
[ "$MODE" = demo ] && { cp "$DEMO_DIR/fuse.bin" "$FUSE/fuse.bin" || die "demo fuse image"; }
arch_board
has_recovery_boot && recovery_prepare
has_boot dt && dt_prepare
has_boot test && attest_prepare
{ has_boot skey1 || has_boot skey2; } && skey_prepare

initramfs_begin
arch_initramfs
has_boot dt && dt_initramfs
has_boot test && attest_initramfs
has_recovery_boot && recovery_initramfs
skey_initramfs
sd_initramfs
if [ "$MODE" = demo ]; then
	mkdir -p "$ROOTFS/demo"
	cp "$DEMO_DIR/data.bin" "$DEMO_DIR/emu.ckb" "$ROOTFS/demo/" || die "demo files"
fi
initramfs_pack
note "build done after $(( $(date +%s) - T0 ))s"

[ "$MODE" = shell ] && shell_boot

# demo: the guest's "[vm]" lines as they are, and its package to DIR
if [ "$MODE" = demo ]; then
	vm_boot demo > /dev/null
	sed -n '/^\[vm\]/p;/^$/p' "$TAP_LOG"
	ckblob demo KERNEL-PACKAGE "$DEMO_DIR/kernel.ckb" && grep -q '^\[vm\] demo steps in the VM done' "$TAP_LOG"
	exit $?
fi

start=$(date +%s)
for boot in $BOOTS; do
	case $boot in
	cut) powercut_run ;;	# several boots, each killed (powercut.sh)
	pcut) pcut_run ;;	# the same while provisioning fresh chips
	*) vm_boot "$boot" ;;
	esac
done
note "boots ($BOOTS) on $KVER took $(( $(date +%s) - start ))s; logs in $OUT"
[ "$DEBUG_KERNEL" = yes ] && check_kmemleak_scans
finish
