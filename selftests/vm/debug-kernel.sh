#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the chipkey debug kernel (KASAN, UBSAN, lockdep, kmemleak,
# debug objects, ...; selftests/vm/debug.config on top of tinyconfig) out of
# tree from Debian's linux-source-6.1, for selftests/vm/run-debug.sh.
#
#   selftests/vm/debug-kernel.sh          build (or reuse) it
#   selftests/vm/debug-kernel.sh --force  rebuild even if up to date
#
# Layout (build/debug-kernel/):
#   obj/                     the kernel build tree (O=); obj/arch/x86/boot/bzImage;
#                            out-of-tree modules build with make -C obj M=...
#   modroot/lib/modules/REL  modules_install output (modules.builtin etc.)
#   build.log, build-time.txt
#
# The build is skipped when bzImage is newer than debug.config and this
# script.  stdout: the kernel release string only; progress goes to stderr.
#
# Environment: CK_KSRC (kernel source; default /usr/src/linux-source-6.1,
# unpacked from /usr/src/linux-source-6.1.tar.xz if only that exists),
# CK_DEBUG_KERNEL_DIR (default build/debug-kernel), JOBS (default nproc).
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
FRAG=$TOP/selftests/vm/debug.config
SELF=$TOP/selftests/vm/debug-kernel.sh
OUT=${CK_DEBUG_KERNEL_DIR:-$TOP/build/debug-kernel}
OBJ=$OUT/obj
MODROOT=$OUT/modroot
LOG=$OUT/build.log
KIMG=$OBJ/arch/x86/boot/bzImage
JOBS=${JOBS:-$(nproc)}
FORCE=
case ${1:-} in
--force) FORCE=1 ;;
"") ;;
*) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

msg() { echo "debug-kernel: $*" >&2; }
fail() { msg "$*"; [ -f "$LOG" ] && tail -30 "$LOG" >&2; exit 1; }

mkdir -p "$OUT"

KSRC=${CK_KSRC:-/usr/src/linux-source-6.1}
if [ ! -f "$KSRC/Makefile" ]; then
	tarball=/usr/src/linux-source-6.1.tar.xz
	[ -f "$tarball" ] || fail "no kernel source at $KSRC (apt-get install linux-source-6.1)"
	msg "unpacking $tarball into $OUT/src"
	mkdir -p "$OUT/src"
	tar -C "$OUT/src" -xf "$tarball"
	KSRC=$OUT/src/linux-source-6.1
fi
for tool in flex bison bc; do
	command -v $tool > /dev/null || fail "$tool missing (apt-get install flex bison bc libelf-dev)"
done
[ -f /usr/include/libelf.h ] || fail "libelf.h missing (apt-get install libelf-dev), objtool needs it"

kmake() { make -C "$KSRC" O="$OBJ" ARCH=x86_64 "$@"; }

# Every CONFIG_ line of the fragment must be in the final .config as
# written ("# CONFIG_X is not set" lines must be unset).
check_config() {
	local bad=0 line sym want have
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) sym=${line%%=*}; want=$line ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=$line ;;
		*) continue ;;
		esac
		have=$(grep -E "^($sym=|# $sym is not set)" "$OBJ/.config" || true)
		if [ -z "$have" ] && [ "${want#\# }" != "$want" ]; then
			continue # unset and invisible: fine
		fi
		if [ "$have" != "$want" ]; then
			msg "config: wanted '$want', got '${have:-<absent>}'"
			bad=1
		fi
	done < "$FRAG"
	return $bad
}

if [ -z "$FORCE" ] && [ -f "$KIMG" ] && [ "$KIMG" -nt "$FRAG" ] && [ "$KIMG" -nt "$SELF" ] &&
   [ -f "$OBJ/Module.symvers" ]; then
	rel=$(kmake -s kernelrelease 2> /dev/null)
	if [ -d "$MODROOT/lib/modules/$rel" ]; then
		msg "up to date: $KIMG ($rel)"
		echo "$rel"
		exit 0
	fi
fi

: > "$LOG"
start=$(date +%s)
mkdir -p "$OBJ"
msg "configuring in $OBJ (log: $LOG)"
kmake tinyconfig >> "$LOG" 2>&1 || fail "make tinyconfig"
"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$FRAG" >> "$LOG" 2>&1 ||
	fail "merge_config.sh"
kmake olddefconfig >> "$LOG" 2>&1 || fail "make olddefconfig"
check_config || fail "debug.config options did not all end up in $OBJ/.config"

msg "building bzImage + modules with -j$JOBS"
kmake -j"$JOBS" bzImage modules >> "$LOG" 2>&1 || fail "make bzImage modules"
kmake modules_prepare >> "$LOG" 2>&1 || fail "make modules_prepare"
rm -rf "$MODROOT"
kmake INSTALL_MOD_PATH="$MODROOT" modules_install >> "$LOG" 2>&1 ||
	fail "make modules_install"
rel=$(kmake -s kernelrelease)
[ -d "$MODROOT/lib/modules/$rel" ] || fail "modules_install made no $MODROOT/lib/modules/$rel"
touch "$KIMG"
secs=$(( $(date +%s) - start ))
echo "$(date -u +%FT%TZ) $rel built in ${secs}s with -j$JOBS on $(nproc) CPUs" >> "$OUT/build-time.txt"
msg "built $rel in ${secs}s: $KIMG"
echo "$rel"
