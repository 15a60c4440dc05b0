#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey VM test harness: builds the modules, the userspace tools and the
# selftests, packs them with Debian's kernel modules and a busybox-static
# /init into an initramfs, boots Debian's kernel in QEMU (TCG, no network)
# and turns what the guest prints into TAP on stdout.
#
#   selftests/vm/run.sh            run the selftests (default)
#   selftests/vm/run.sh --bench    run bench/ck_bench_dev in the VM instead
#   selftests/vm/run.sh --shell    interactive busybox shell on the console
#   selftests/vm/run.sh --demo DIR the guest half of `make demo`: DIR holds
#                                  fuse.bin, data.bin and emu.ckb; the
#                                  kernel's package is written to
#                                  DIR/kernel.ckb
#
# Environment: KVER (default: from the linux-image-amd64 package),
# CK_VM_KIMG, CK_VM_KHDR, CK_VM_MODROOT (kernel image, build tree, and the
# root holding lib/modules/$KVER; default Debian's /boot, /usr/src, /: a
# debug kernel is run by pointing these at its build, see debug-kernel.sh),
# CK_VM_TIMEOUT (seconds, default 900), CK_VM_SKIP_BUILD=1 (reuse builds).
#
# stdout carries only TAP lines ("ok N - ...", "not ok N - ...") and '#'
# comments; build output and the raw VM logs go to build/vm/.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/build/vm
MODE=test
DEMO_DIR=
case ${1:-} in
--bench) MODE=bench ;;
--shell) MODE=shell ;;
--demo) MODE=demo; DEMO_DIR=$(cd "${2:?--demo needs a directory}" && pwd) ;;
"" | --test) ;;
*) echo "usage: $0 [--test|--bench|--shell|--demo DIR]" >&2; exit 2 ;;
esac
TIMEOUT=${CK_VM_TIMEOUT:-900}
END_MARKER=CHIPKEY-VM-RUN-COMPLETE-5b1e

mkdir -p "$OUT"
RAW=$OUT/results.raw
BUILDLOG=$OUT/build.log
: > "$RAW"
: > "$BUILDLOG"

ok() { echo "ok - $*" >> "$RAW"; }
nok() { echo "not ok - $*" >> "$RAW"; }
note() { echo "# $*" >> "$RAW"; }

# Print $RAW as numbered TAP, then exit non-zero if anything failed.
finish() {
	awk '
	/^(not )?ok - / {
		n++
		if ($0 ~ /^not ok/) { fail++; print "not ok " n " - " substr($0, 10) }
		else print "ok " n " - " substr($0, 6)
		next
	}
	{ print }
	END { print "1.." n; exit fail ? 1 : 0 }' "$RAW"
	exit $?
}

die() { nok "$*"; finish; }

# ---------------------------------------------------------------- kernel
KVER=${KVER:-$(dpkg -s linux-image-amd64 2>/dev/null |
	sed -n 's/^Depends:.*linux-image-\([^ ,]*\).*/\1/p')}
[ -n "$KVER" ] || die "find the kernel version (linux-image-amd64 installed?)"
KIMG=${CK_VM_KIMG:-/boot/vmlinuz-$KVER}
KHDR=${CK_VM_KHDR:-/usr/src/linux-headers-$KVER}
MODROOT=${CK_VM_MODROOT:-}
note "kernel $KVER ($KIMG)"
[ -r "$KIMG" ] || die "kernel image $KIMG readable"
[ -d "$KHDR" ] || die "kernel headers $KHDR installed"
[ -d "$MODROOT/lib/modules/$KVER" ] || die "kernel modules in $MODROOT/lib/modules/$KVER"

# ----------------------------------------------------------------- build
if [ -z "${CK_VM_SKIP_BUILD:-}" ]; then
	if make -C "$KHDR" M="$TOP" modules >> "$BUILDLOG" 2>&1; then
		ok "build chipkey.ko + chipkey_vfuse.ko against $KVER"
	else
		tail -20 "$BUILDLOG" | sed 's/^/# /' >> "$RAW"
		die "build chipkey.ko + chipkey_vfuse.ko against $KVER"
	fi
	if [ -f "$TOP/userspace/Makefile" ] && make -C "$TOP/userspace" >> "$BUILDLOG" 2>&1; then
		ok "build userspace (libchipkey, chipkey, chipkey-emu, chipkey-fuse)"
	else
		tail -20 "$BUILDLOG" | sed 's/^/# /' >> "$RAW"
		nok "build userspace (libchipkey, chipkey, chipkey-emu, chipkey-fuse)"
	fi
	if make -C "$TOP/selftests" >> "$BUILDLOG" 2>&1; then
		ok "build selftests"
	else
		tail -20 "$BUILDLOG" | sed 's/^/# /' >> "$RAW"
		die "build selftests"
	fi
	if [ "$MODE" = bench ]; then
		make -C "$TOP/bench" build >> "$BUILDLOG" 2>&1 ||
			die "build benchmarks"
	fi
fi
for m in chipkey chipkey_vfuse; do
	[ -f "$TOP/kmod/$m.ko" ] || die "kmod/$m.ko exists"
done

# ----------------------------------------------------------- fuse images
FUSE=$OUT/fuse
rm -rf "$FUSE"
mkdir -p "$FUSE"
chmod 700 "$FUSE"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$FUSE/manufacturer.key" 2>> "$BUILDLOG" &&
openssl pkey -in "$FUSE/manufacturer.key" -pubout -outform DER \
	-out "$FUSE/manufacturer.pub.der" 2>> "$BUILDLOG" ||
	die "make the manufacturer key (openssl genpkey P-256)"

# chipkey-fuse (the project's tool) if it can do it, else mkfuse.sh.
mkimage() { # mkimage OUT random|zero|ones
	set -- "$1" "$2" $([ "$2" = random ] || echo "--unprogrammed $2")
	if [ -x "$TOP/build/bin/chipkey-fuse" ] &&
	   "$TOP/build/bin/chipkey-fuse" create "$1" --force \
		--rom-key "$FUSE/manufacturer.pub.der" ${3:-} ${4:-} >> "$BUILDLOG" 2>&1 &&
	   [ "$(wc -c < "$1")" -eq 512 ]; then
		echo "chipkey-fuse"
		return 0
	fi
	"$TOP/selftests/vm/mkfuse.sh" "$1" "$2" "$FUSE/manufacturer.pub.der" >> "$BUILDLOG" 2>&1 &&
		echo "mkfuse.sh"
}
for spec in fuse.bin:random fuse-b.bin:random fuse-zero.bin:zero fuse-ones.bin:ones; do
	tool=$(mkimage "$FUSE/${spec%%:*}" "${spec#*:}") || die "make fuse image ${spec%%:*}"
	note "fuse image ${spec%%:*} (${spec#*:} key) made by $tool"
done
cmp -s -n 24 "$FUSE/fuse.bin" "$FUSE/fuse-b.bin" && die "fuse images A and B have different chip IDs"
VEC=$TOP/docs/test-vectors
[ -f "$VEC/fuse-vectors.bin" ] && cp "$VEC/fuse-vectors.bin" "$FUSE/"
# The demo's chip: the same fuse image the host's emulator used.
[ "$MODE" = demo ] && { cp "$DEMO_DIR/fuse.bin" "$FUSE/fuse.bin" || die "demo fuse image"; }

# -------------------------------------------------------------- initramfs
ROOT=$OUT/root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/share/chipkey,lib/firmware/chipkey,selftests,bench,etc,root,tmp}
cp /bin/busybox "$ROOT/bin/busybox" 2>/dev/null || die "busybox-static installed (/bin/busybox)"
file -L "$ROOT/bin/busybox" 2>/dev/null | grep -q 'dynamically' &&
	die "/bin/busybox is static (install busybox-static)"
cp "$TOP/selftests/vm/init" "$ROOT/init"
cp "$TOP/selftests/vm/guest-run.sh" "$ROOT/guest-run.sh"
if [ "$MODE" = demo ]; then
	cp "$TOP/selftests/vm/guest-demo.sh" "$ROOT/guest-demo.sh"
	mkdir -p "$ROOT/demo"
	cp "$DEMO_DIR/data.bin" "$DEMO_DIR/emu.ckb" "$ROOT/demo/" || die "demo files"
fi
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"

# kmod (modprobe with aliases, for the kernel's request_module too)
cp /bin/kmod "$ROOT/sbin/kmod"
for l in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf kmod "$ROOT/sbin/$l"; done

BINS="$ROOT/sbin/kmod"
for t in "$TOP"/build/selftests/*; do
	[ -f "$t" ] && [ -x "$t" ] && cp "$t" "$ROOT/selftests/" && BINS="$BINS $ROOT/selftests/$(basename "$t")"
done
# Every userspace program (CLI, emulator, factory, SPP, pubdb, agent).
for b in "$TOP"/build/bin/*; do
	if [ -f "$b" ] && [ -x "$b" ]; then
		cp "$b" "$ROOT/usr/bin/"
		BINS="$BINS $ROOT/usr/bin/$(basename "$b")"
	fi
done
if [ -x "$TOP/build/bench/ck_bench_dev" ]; then
	cp "$TOP/build/bench/ck_bench_dev" "$ROOT/bench/"
	BINS="$BINS $ROOT/bench/ck_bench_dev"
fi
[ -f "$VEC/backup-v1.txt" ] && cp "$VEC/backup-v1.txt" "$ROOT/usr/share/chipkey/"
cp "$FUSE"/*.bin "$ROOT/lib/firmware/chipkey/"

# shared libraries of every dynamic binary, at their own paths
for b in $BINS; do
	ldd "$b" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}'
done | sort -u | while read -r lib; do
	mkdir -p "$ROOT$(dirname "$lib")"
	cp -L "$lib" "$ROOT$lib"
done
# the dynamic loader at its canonical path
mkdir -p "$ROOT/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$ROOT/lib64/"

# kernel modules: ours in extra/, Debian's crypto + AF_ALG with their deps
MODDIR=lib/modules/$KVER
mkdir -p "$ROOT/$MODDIR/extra"
cp "$TOP/kmod/chipkey.ko" "$TOP/kmod/chipkey_vfuse.ko" "$ROOT/$MODDIR/extra/"
cp "$MODROOT/$MODDIR/modules.order" "$MODROOT/$MODDIR/modules.builtin" \
	"$MODROOT/$MODDIR/modules.builtin.modinfo" "$ROOT/$MODDIR/" 2>/dev/null
WANT="gcm ghash_generic ghash_clmulni_intel ctr aesni_intel aes_generic sha256_ssse3 \
	cryptd crypto_simd algif_aead algif_hash algif_skcipher af_alg crypto_user"
for m in $WANT; do
	modprobe -d "${MODROOT:-/}" -S "$KVER" --show-depends "$m" 2>/dev/null |
		awk '$1=="insmod"{print $2}'
done | sort -u | while read -r ko; do
	rel=${ko#"$MODROOT"}
	mkdir -p "$ROOT$(dirname "$rel")"
	cp "$ko" "$ROOT$rel"
done
depmod -b "$ROOT" "$KVER" >> "$BUILDLOG" 2>&1 || die "depmod for the initramfs"
grep -q 'extra/chipkey.ko:' "$ROOT/$MODDIR/modules.dep" || die "chipkey.ko in modules.dep"

(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet -R 0:0) |
	gzip -1 > "$OUT/initramfs.cpio.gz" || die "pack the initramfs"
note "initramfs $(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB"

# ------------------------------------------------------------------- boot
CONSOLE=$OUT/console-$MODE.log
TAP=$OUT/tap-$MODE.log
rm -f "$CONSOLE" "$TAP"
QEMU_ARGS=(-cpu max -m 1G -smp 2 -nographic -no-reboot -nic none
	-kernel "$KIMG" -initrd "$OUT/initramfs.cpio.gz"
	-append "console=ttyS0 panic=-1 ck_mode=$MODE")
if [ "$MODE" = demo ]; then
	timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 "${QEMU_ARGS[@]}" \
		-monitor none -serial file:"$CONSOLE" -serial file:"$TAP" \
		< /dev/null >> "$OUT/qemu.log" 2>&1
	tr -d '\r' < "$TAP" | sed -n '/^\[vm\]/p;/^$/p'
	tr -d '\r' < "$TAP" | sed -n '/^BEGIN-KERNEL-PACKAGE$/,/^END-KERNEL-PACKAGE$/p' |
		sed '1d;$d' | base64 -d > "$DEMO_DIR/kernel.ckb" 2>/dev/null
	[ -s "$DEMO_DIR/kernel.ckb" ] && grep -q '^\[vm\] demo steps in the VM done' "$TAP"
	exit $?
fi
if [ "$MODE" = shell ]; then
	exec qemu-system-x86_64 "${QEMU_ARGS[@]}" -serial mon:stdio -serial file:"$TAP"
fi
start=$(date +%s)
timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 "${QEMU_ARGS[@]}" \
	-monitor none -serial file:"$CONSOLE" -serial file:"$TAP" \
	< /dev/null >> "$OUT/qemu.log" 2>&1
qrc=$?
elapsed=$(( $(date +%s) - start ))
note "qemu exited with $qrc after ${elapsed}s; console log $CONSOLE, results $TAP"
touch "$TAP" "$CONSOLE"

if grep -q '^# chipkey-vm: booted' "$TAP"; then
	ok "vm booted ($KVER, TCG)"
else
	nok "vm booted ($KVER, TCG)"
	tail -30 "$CONSOLE" | tr -d '\r' | sed 's/^/# console: /' >> "$RAW"
fi

# Guest output -> TAP: guest and kselftest result lines become results
# (named "suite: test"), everything else becomes a comment.
tr -d '\r' < "$TAP" | awk -v endm="$END_MARKER" '
function result(okay, desc) { print (okay ? "ok - " : "not ok - ") desc }
/^(not )?ok( [0-9]+)?( |$)/ {
	okay = ($0 !~ /^not /)
	line = $0
	sub(/^(not )?ok( [0-9]+)?( - | |$)/, "", line)
	if (suite == "") { result(okay, line); next }
	got[suite]++
	if (line ~ /^# (SKIP|skip)/)
		line = lastrun " " line
	result(okay, suite ": " line)
	next
}
/^# BEGIN / { suite = $3; lastrun = ""; plan[suite] = -1; print; next }
/^# END / {
	split($4, a, "="); rc = a[2]
	if (rc == "missing")
		result(0, suite ": binary built and present in the VM")
	else {
		if (plan[suite] >= 0 && got[suite] + 0 != plan[suite])
			result(0, suite ": " got[suite] + 0 " of " plan[suite] " planned results reported")
		result(rc == 0 || rc == 4, suite ": exit status " rc)
	}
	suite = ""; print; next
}
/^1\.\.[0-9]+/ { if (suite != "") plan[suite] = substr($0, 4) + 0; print "# " $0; next }
/^#  RUN / { lastrun = $3 }
$0 == endm { print "# " $0; next }
/^#/ { print; next }
/./ { print "# " $0 }
' >> "$RAW"

if [ "$MODE" != shell ]; then
	if grep -q "^$END_MARKER" "$TAP"; then
		ok "guest test run reached its end marker"
	else
		[ $qrc -eq 124 ] && note "timed out after ${TIMEOUT}s"
		nok "guest test run reached its end marker"
		tail -40 "$CONSOLE" | tr -d '\r' | sed 's/^/# console: /' >> "$RAW"
	fi
	BAD='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|Call Trace|kernel panic|Kernel panic'
	if tr -d '\r' < "$CONSOLE" | grep -Eq "$BAD"; then
		tr -d '\r' < "$CONSOLE" | grep -E "$BAD" | sort -u | head -20 | sed 's/^/# kernel: /' >> "$RAW"
		nok "no BUG/WARN/Oops/general protection/KASAN/UBSAN/Call Trace in kernel log"
	else
		ok "no BUG/WARN/Oops/general protection/KASAN/UBSAN/Call Trace in kernel log"
	fi
fi
finish
