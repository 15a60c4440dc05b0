#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey on arm64 with a real devicetree, under QEMU TCG.
#
# Downloads (once, cached in build/arm64/) Debian's arm64 kernel, headers
# and busybox-static of the same kernel ABI as the installed
# linux-image-amd64, cross-builds kmod/ out of tree against them, dumps the
# devicetree of QEMU's "virt" board and adds an OTP node (the in-kernel
# "qcom,qfprom" nvmem provider over a read-only pflash bank that holds a
# fuse image) plus the chipkey node (chipkey-otp.dtsi), boots
# qemu-system-aarch64 on it and checks, in the guest, that chipkey.ko bound
# from the devicetree and works (ckdt_test.c), including a backup package
# made on the host by an independent implementation (ckpkg.py).
#
# Needs what scripts/setup-debian.sh installs plus gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross and qemu-system-arm (installed here when missing,
# as root), and arm64 enabled in dpkg (done here when missing).
#
# Environment: CK_ARM64_TIMEOUT (seconds for the VM, default 300).
#
# stdout carries only TAP ("ok N - ...", "not ok N - ...", "# ...");
# build output and the guest console go to build/arm64/.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/selftests/arm64-dt
OUT=$TOP/build/arm64
WORK=$OUT/run
TIMEOUT=${CK_ARM64_TIMEOUT:-300}
PY=/usr/bin/python3
CROSS=aarch64-linux-gnu-
END_MARKER=CHIPKEY-ARM64-DT-END
QEMU_MACHINE=(-M virt -cpu cortex-a57 -m 1024 -smp 2)
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# The initramfs is packed with the modes files get here, and the guest's
# unprivileged check must be able to traverse /.
umask 022
mkdir -p "$OUT"
rm -rf "$WORK"
mkdir -p "$WORK"
chmod 700 "$WORK"	# holds the fuse image, i.e. the chip key
RAW=$WORK/results.raw
LOG=$WORK/build.log
: > "$RAW"
: > "$LOG"
T0=$(date +%s)

ok() { echo "ok - $*" >> "$RAW"; }
nok() { echo "not ok - $*" >> "$RAW"; }
note() { echo "# $*" >> "$RAW"; }
check() { # check NAME COMMAND...
	local name=$1
	shift
	if "$@" >> "$LOG" 2>&1; then ok "$name"; else nok "$name"; fi
}
logtail() { tail -n "${1:-15}" "$LOG" | sed 's/^/#   /' >> "$RAW"; }

# Print $RAW as numbered TAP and exit non-zero if anything failed.
finish() {
	note "total time $(($(date +%s) - T0)) s; logs in ${WORK#"$TOP"/}"
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
die() { nok "$*"; logtail; finish; }

# ------------------------------------------------------------ host tools
# Cross compiler, arm64 libc for the static test program, QEMU for arm.
missing=()
command -v ${CROSS}gcc > /dev/null || missing+=(gcc-aarch64-linux-gnu)
[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || missing+=(libc6-dev-arm64-cross)
command -v qemu-system-aarch64 > /dev/null || missing+=(qemu-system-arm)
if [ ${#missing[@]} -gt 0 ]; then
	note "installing ${missing[*]}"
	if dpkg-query -W -f '${Status}' gcc-multilib 2>/dev/null | grep -q 'ok installed'; then
		# apt would remove gcc-multilib (it conflicts with the cross
		# compilers); never do that behind the user's back.
		die "install ${missing[*]} (gcc-multilib is installed and conflicts with gcc-aarch64-linux-gnu)"
	fi
	[ "$(id -u)" -eq 0 ] || die "install ${missing[*]} (needs root)"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >> "$LOG" 2>&1 ||
		{ apt-get update -q >> "$LOG" 2>&1 &&
		  apt-get install -y -q --no-install-recommends "${missing[@]}" >> "$LOG" 2>&1; } ||
		die "install ${missing[*]}"
fi
for t in dtc fdtget cpio depmod modinfo openssl gzip truncate timeout; do
	command -v $t > /dev/null || die "host tool $t present (run scripts/setup-debian.sh)"
done
$PY -c 'import cryptography.hazmat.primitives.ciphers.aead' 2>> "$LOG" ||
	die "python3-cryptography importable by $PY"

# ------------------------------------------------- kernel version (ABI)
# Same Debian kernel ABI as the installed amd64 kernel, exact same version.
dep=$(dpkg-query -W -f '${Depends}' linux-image-amd64 2>/dev/null)
AMD64_KVER=$(sed -n 's/.*linux-image-\([^ ,]*-amd64\).*/\1/p' <<< "$dep")
PKGVER=$(sed -n 's/.*linux-image-[^ ,]*-amd64 (= \([^)]*\)).*/\1/p' <<< "$dep")
[ -n "$AMD64_KVER" ] && [ -n "$PKGVER" ] ||
	die "find the kernel version from linux-image-amd64 (installed?)"
ABI=${AMD64_KVER%-amd64}
KVER=$ABI-arm64
note "kernel $KVER, package version $PKGVER (from linux-image-amd64 -> $AMD64_KVER)"
COMMON=/usr/src/linux-headers-$ABI-common
[ -f "$COMMON/Makefile" ] || die "$COMMON present (linux-headers-amd64 installed?)"
KBUILD=/usr/lib/linux-kbuild-$(cut -d. -f1,2 <<< "$ABI")
[ -d "$KBUILD/scripts" ] || die "$KBUILD/scripts present (linux-kbuild of the series)"

# ------------------------------------------------ arm64 packages (cached)
DEBS=$OUT/debs
mkdir -p "$DEBS"
IMG_DEB=$DEBS/linux-image-$KVER-unsigned_${PKGVER}_arm64.deb
HDR_DEB=$DEBS/linux-headers-${KVER}_${PKGVER}_arm64.deb
bb_deb() { ls "$DEBS"/busybox-static_*_arm64.deb 2>/dev/null | head -1; }
download() {
	(cd "$DEBS" && apt-get download "$@") >> "$LOG" 2>&1
}
if [ ! -f "$IMG_DEB" ] || [ ! -f "$HDR_DEB" ] || [ -z "$(bb_deb)" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$(id -u)" -eq 0 ] || die "enable arm64 in dpkg (needs root)"
		note "dpkg --add-architecture arm64"
		dpkg --add-architecture arm64 && apt-get update -q >> "$LOG" 2>&1 ||
			die "dpkg --add-architecture arm64 && apt-get update"
	fi
	want=("linux-image-$KVER-unsigned:arm64=$PKGVER" "linux-headers-$KVER:arm64=$PKGVER" busybox-static:arm64)
	download "${want[@]}" ||
		{ apt-get update -q >> "$LOG" 2>&1 && download "${want[@]}"; } ||
		die "apt-get download ${want[*]} (is linux-image-amd64 the archive's current version?)"
	[ -f "$IMG_DEB" ] && [ -f "$HDR_DEB" ] && [ -n "$(bb_deb)" ] ||
		die "downloaded .debs have the expected names"
	ok "download arm64 kernel, headers and busybox-static ($PKGVER)"
else
	ok "arm64 kernel, headers and busybox-static cached ($PKGVER)"
fi

# Unpack once per package set.
ROOT=$OUT/root
STAMP="$(basename "$IMG_DEB") $(basename "$HDR_DEB") $(basename "$(bb_deb)")"
if [ "$(cat "$ROOT/.stamp" 2>/dev/null)" != "$STAMP" ]; then
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	for d in "$IMG_DEB" "$HDR_DEB" "$(bb_deb)"; do
		dpkg -x "$d" "$ROOT" >> "$LOG" 2>&1 || die "dpkg -x $(basename "$d")"
	done
	echo "$STAMP" > "$ROOT/.stamp"
fi
KDIR=$ROOT/usr/src/linux-headers-$KVER
KIMG=$ROOT/boot/vmlinuz-$KVER
MODDIR=$ROOT/lib/modules/$KVER
# The headers package links scripts/ and tools/ to linux-kbuild by a path
# relative to /usr/src; point them at the host's (same kernel series).
ln -sfn "$KBUILD/scripts" "$KDIR/scripts"
ln -sfn "$KBUILD/tools" "$KDIR/tools"
[ -f "$KIMG" ] && [ -d "$MODDIR/kernel" ] && [ -x "$ROOT/bin/busybox" ] ||
	die "unpacked arm64 kernel, modules and busybox"
note "setup done after $(($(date +%s) - T0)) s"

# ------------------------------------------------------------- builds
# Out of tree: a copy of the sources only (kmod/ holds the amd64 build).
KSRC=$OUT/kmod-src
rm -rf "$KSRC"
mkdir -p "$KSRC/kmod"
cp "$TOP/Kbuild" "$KSRC/"
cp -r "$TOP/include" "$KSRC/"
find "$TOP/kmod" -maxdepth 1 -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) \
	-exec cp {} "$KSRC/kmod/" \;
if make -C "$KDIR" M="$KSRC" ARCH=arm64 CROSS_COMPILE=$CROSS \
	-j"$(nproc)" modules >> "$LOG" 2>&1 && [ -f "$KSRC/kmod/chipkey.ko" ]; then
	ok "cross-build chipkey.ko for arm64 against linux-headers-$KVER"
else
	die "cross-build chipkey.ko for arm64 against linux-headers-$KVER"
fi
vermagic=$(modinfo -F vermagic "$KSRC/kmod/chipkey.ko" 2>> "$LOG")
machine=$(${CROSS}readelf -h "$KSRC/kmod/chipkey.ko" 2>> "$LOG" | sed -n 's/^ *Machine: *//p')
check "chipkey.ko is for $KVER on AArch64 (vermagic $vermagic)" \
	test "${vermagic%% *}" = "$KVER" -a "$machine" = AArch64

${CROSS}gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static \
	-I"$TOP/include/uapi" -o "$WORK/ckdt_test" "$HERE/ckdt_test.c" >> "$LOG" 2>&1 ||
	die "build ckdt_test (static arm64)"
ok "build ckdt_test (static arm64)"

# --------------------------------------------------------- devicetree
# The board's own devicetree, dumped with the options used to boot, plus
# the OTP and chipkey nodes.
qemu-system-aarch64 "${QEMU_MACHINE[@]}" -machine dumpdtb="$WORK/virt.dtb" \
	-nographic -nic none < /dev/null >> "$LOG" 2>&1 && [ -s "$WORK/virt.dtb" ] ||
	die "dump the QEMU virt board devicetree"
dtc -q -I dtb -O dts -o "$WORK/virt.dts" "$WORK/virt.dtb" 2>> "$LOG" ||
	die "decompile the virt devicetree"
cat "$WORK/virt.dts" "$HERE/chipkey-otp.dtsi" > "$WORK/board.dts"
if dtc -q -I dts -O dtb -o "$WORK/board.dtb" "$WORK/board.dts" >> "$LOG" 2>&1; then
	ok "board devicetree: virt dump + chipkey-otp.dtsi compiles"
else
	die "board devicetree: virt dump + chipkey-otp.dtsi compiles"
fi
names=$(fdtget "$WORK/board.dtb" /chipkey nvmem-cell-names 2>> "$LOG")
check "board devicetree has the chipkey node (cells: $names)" \
	test "$(fdtget "$WORK/board.dtb" /chipkey compatible)" = chipkey,device-key \
	-a "$names" = "chip-id chip-key rom-key"

# -------------------------------------------------- keys and fuse image
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$WORK/mfr.pem") >> "$LOG" 2>&1 &&
openssl pkey -in "$WORK/mfr.pem" -pubout -outform DER -out "$WORK/mfr.der" >> "$LOG" 2>&1 ||
	die "make the manufacturer key (openssl genpkey P-256)"
FUSE=$WORK/fuse.bin
if [ -x "$TOP/build/bin/chipkey-fuse" ] &&
   "$TOP/build/bin/chipkey-fuse" create "$FUSE" --rom-key "$WORK/mfr.pem" >> "$LOG" 2>&1; then
	note "fuse image made by build/bin/chipkey-fuse"
else
	rm -f "$FUSE"
	$PY "$HERE/ckpkg.py" fuse "$FUSE" "$WORK/mfr.der" >> "$LOG" 2>&1 ||
		die "make the fuse image (ckpkg.py)"
	note "fuse image made by ckpkg.py"
fi
derlen=$(stat -c %s "$WORK/mfr.der")
check "fuse image: 512 bytes, CKFUSE01, manufacturer DER at offset 64" \
	test "$(stat -c %s "$FUSE")" = 512 \
	-a "$(head -c 8 "$FUSE")" = CKFUSE01 \
	-a "$(tail -c +65 "$FUSE" | head -c "$derlen" | od -An -tx1 | tr -d ' \n')" = \
	   "$(od -An -tx1 "$WORK/mfr.der" | tr -d ' \n')"
CHIP_ID=$(tail -c +9 "$FUSE" | head -c 16 | od -An -tx1 | tr -d ' \n')
note "chip ID $CHIP_ID"
# 64 MiB pflash bank 1 (read-only), fuse image at its start.
truncate -s 64M "$WORK/flash1.bin"
dd if="$FUSE" of="$WORK/flash1.bin" conv=notrunc status=none

# Expected values for the guest, and packages made on the host.
EXP=$WORK/expect
mkdir -p "$EXP"
echo "$CHIP_ID" > "$EXP/chip_id.hex"
cp "$WORK/mfr.der" "$EXP/rom_key.der"
head -c 300 /dev/urandom > "$EXP/host.plain"
head -c 123 /dev/urandom > "$EXP/guest.plain"
echo $((RANDOM * 65536 + RANDOM + 2)) > "$EXP/host.gen"
echo $((RANDOM * 65536 + RANDOM + 2)) > "$EXP/guest.gen"
other_id=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
[ "$other_id" != "$CHIP_ID" ] || die "random other chip ID"
$PY "$HERE/ckpkg.py" wrap "$FUSE" "$EXP/host.plain" "$(cat "$EXP/host.gen")" "$EXP/host.pkg" >> "$LOG" 2>&1 &&
$PY "$HERE/ckpkg.py" wrap "$FUSE" "$EXP/host.plain" 1 "$EXP/other.pkg" "$other_id" >> "$LOG" 2>&1 ||
	die "make backup packages on the host (ckpkg.py, python3-cryptography)"
ok "make backup packages on the host (ckpkg.py, python3-cryptography)"

# ---------------------------------------------------------- initramfs
IR=$WORK/initramfs
M=$IR/lib/modules/$KVER
mkdir -p "$IR"/{bin,sbin,proc,sys,dev,tmp,etc} "$M/kernel/drivers" "$M/kernel/arch/arm64" "$M/extra"
cp "$ROOT/bin/busybox" "$IR/bin/busybox"
ln -s /bin/busybox "$IR/sbin/modprobe"
cp "$HERE/init" "$IR/init"
chmod 755 "$IR/init"
cp "$WORK/ckdt_test" "$IR/bin/"
cp -r "$EXP" "$IR/expect"
# The crypto chipkey.ko asks for (gcm(aes), hmac(sha256)) and the OTP
# provider; modules.dep lets the kernel's request_module find the rest.
cp -r "$MODDIR/kernel/crypto" "$MODDIR/kernel/lib" "$M/kernel/"
cp -r "$MODDIR/kernel/arch/arm64/crypto" "$M/kernel/arch/arm64/"
cp -r "$MODDIR/kernel/drivers/nvmem" "$M/kernel/drivers/"
cp "$MODDIR"/modules.builtin* "$MODDIR/modules.order" "$M/"
cp "$KSRC/kmod/chipkey.ko" "$M/extra/"
depmod -b "$IR" "$KVER" >> "$LOG" 2>&1 &&
	grep -q 'chipkey,device-key' "$M/modules.alias" &&
	grep -q 'qcom,qfprom' "$M/modules.alias" ||
	die "depmod: modules.alias has chipkey,device-key and qcom,qfprom"
(cd "$IR" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz" ||
	die "pack the initramfs"
ok "initramfs: busybox-static arm64, modules + depmod, ckdt_test"
note "build done after $(($(date +%s) - T0)) s"

# --------------------------------------------------------------- boot
CONSOLE=$WORK/console.log
tb=$(date +%s)
timeout -k 10 "$TIMEOUT" qemu-system-aarch64 "${QEMU_MACHINE[@]}" \
	-nographic -no-reboot -nic none \
	-kernel "$KIMG" -initrd "$WORK/initrd.gz" -dtb "$WORK/board.dtb" \
	-drive if=pflash,unit=1,format=raw,file="$WORK/flash1.bin",readonly=on \
	-append "console=ttyAMA0 quiet panic=-1 rdinit=/init" \
	< /dev/null > "$CONSOLE" 2>&1
qrc=$?
note "qemu-system-aarch64 exit status $qrc after $(($(date +%s) - tb)) s"
[ $qrc -eq 124 ] && note "TIMEOUT after $TIMEOUT s (CK_ARM64_TIMEOUT)"
tr -d '\r' < "$CONSOLE" > "$WORK/console.txt"
C=$WORK/console.txt

if grep -q '^# guest: ' "$C"; then
	ok "arm64 VM booted ($(sed -n 's/^# guest: //p' "$C" | head -1))"
else
	nok "arm64 VM booted"
	tail -n 20 "$C" | sed 's/^/#   /' >> "$RAW"
fi
# Guest results and comments, in order.
grep -E '^(ok - |not ok - |# )' "$C" >> "$RAW"
# Kernel lines about the driver and the OTP provider, for the record.
sed -n 's/^klog: \(.*\(chipkey\|qfprom\|nvmem\).*\)/#   klog: \1/p' "$C" >> "$RAW"

if grep -qx "$END_MARKER" "$C"; then
	ok "guest reached end marker"
else
	nok "guest reached end marker"
	[ $qrc -eq 124 ] || tail -n 20 "$C" | sed 's/^/#   /' >> "$RAW"
fi

bad='(BUG:|kernel BUG|WARNING:|Oops|Call [Tt]race|Unable to handle|Kernel panic|general protection|cut here)'
if grep -qE "$bad" "$C"; then
	nok "no BUG/WARN/Oops/Call Trace in kernel log"
	grep -E -m 10 "$bad" "$C" | sed 's/^/#   /' >> "$RAW"
else
	ok "no BUG/WARN/Oops/Call Trace in kernel log"
fi

# The package the guest's chipkey.ko wrapped, opened by the independent
# host implementation.
pkg_hex=$(sed -n 's/^pkg-hex: \([0-9a-f]*\)$/\1/p' "$C" | head -1)
if [ -n "$pkg_hex" ] &&
   $PY "$HERE/ckpkg.py" unwrap "$FUSE" "$pkg_hex" "$(cat "$EXP/guest.gen")" "$EXP/guest.plain" >> "$LOG" 2>&1; then
	ok "package wrapped in the guest opens on the host (python3-cryptography)"
else
	[ -n "$pkg_hex" ] || note "no pkg-hex line from the guest"
	nok "package wrapped in the guest opens on the host (python3-cryptography)"
	logtail 5
fi
finish
