# SPDX-License-Identifier: GPL-2.0
#
# arm64 facts of the chipkey QEMU harness, sourced by selftests/qemu/run.sh:
#
#   ARCH=arm64 selftests/qemu/run.sh
#
# Debian's arm64 kernel, headers and busybox-static of the same version as
# the installed linux-image-amd64 (downloaded once with apt-get download,
# cached in build/qemu/arm64-debs/), the module cross-built with
# gcc-aarch64-linux-gnu, QEMU's "virt" board with its own devicetree plus
# an OTP node and the chipkey node (guest/chipkey-otp.dtsi): the in-kernel
# "qcom,qfprom" nvmem provider over a read-only pflash bank that holds the
# fuse image.  One serial port: results share the console.  No debug
# kernel (debug.config is x86_64's).
#
# Needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-system-arm
# (installed here when missing, as root) and arm64 enabled in dpkg (done
# here when missing).

# shellcheck shell=bash disable=SC2034 # the facts are read by run.sh and lib.sh
QEMU=qemu-system-aarch64
QEMU_MACHINE=(-M virt -cpu cortex-a57 -m 1024 -smp 2)
KERNEL_ARCH=arm64
CROSS_COMPILE=aarch64-linux-gnu-
DEBUG_KERNEL_IMAGE=
ELF_MACHINE=AArch64
CONSOLE=ttyAMA0
TAP_TTY=
KERNEL_CMDLINE=quiet
ARCH_QEMU_ARGS=()
NATIVE_USERSPACE=no
BOOTS_DEFAULT=dt
TIMEOUT_DEFAULT=300
# the crypto chipkey.ko asks for and the OTP provider, whole directories:
# modules.dep lets the kernel's request_module find the rest
GUEST_MODULES="kernel/crypto kernel/lib kernel/arch/arm64/crypto kernel/drivers/nvmem"
DEBS=$TOP/build/qemu/arm64-debs

# arch_host_tools: the cross compiler, arm64 libc for the static test
# program and QEMU for arm, installed when missing
arch_host_tools() {
	local missing=()
	command -v ${CROSS_COMPILE}gcc > /dev/null || missing+=(gcc-aarch64-linux-gnu)
	[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || missing+=(libc6-dev-arm64-cross)
	command -v "$QEMU" > /dev/null || missing+=(qemu-system-arm)
	if [ ${#missing[@]} -gt 0 ]; then
		note "installing ${missing[*]}"
		if dpkg-query -W -f '${Status}' gcc-multilib 2> /dev/null | grep -q 'ok installed'; then
			# apt would remove gcc-multilib (it conflicts with the cross
			# compilers); never do that behind the user's back.
			die "install ${missing[*]} (gcc-multilib is installed and conflicts with gcc-aarch64-linux-gnu)"
		fi
		[ "$(id -u)" -eq 0 ] || die "install ${missing[*]} (needs root)"
		apt_get install -y -q --no-install-recommends "${missing[@]}" ||
			die "install ${missing[*]}"
	fi
	require_tools dtc fdtget modprobe depmod modinfo readelf openssl cpio gzip truncate timeout
	/usr/bin/python3 -c 'import cryptography.hazmat.primitives.ciphers.aead' 2>> "$BUILDLOG" ||
		die "python3-cryptography importable by /usr/bin/python3"
}

apt_get() { # apt_get ARGS...: apt-get, with one apt-get update on failure
	DEBIAN_FRONTEND=noninteractive apt-get "$@" >> "$BUILDLOG" 2>&1 ||
		{ apt-get update -q >> "$BUILDLOG" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get "$@" >> "$BUILDLOG" 2>&1; }
}

# arch_kernel: Debian's arm64 kernel, headers and busybox-static; sets
# KVER KIMG KDIR MODROOT BUSYBOX
arch_kernel() {
	local abi kbuild img hdr stamp d want
	debian_kernel
	abi=${DEB_KVER%-amd64}
	KVER=$abi-arm64
	kbuild=/usr/lib/linux-kbuild-$(cut -d. -f1,2 <<< "$abi")
	[ -d "$kbuild" ] || kbuild=/usr/lib/linux-kbuild-$abi	# 6.12: per release
	[ -f "/usr/src/linux-headers-$abi-common/Makefile" ] ||
		die "linux-headers-$abi-common present (linux-headers-amd64 installed?)"
	[ -d "$kbuild/scripts" ] || die "$kbuild/scripts present (linux-kbuild of the series)"
	mkdir -p "$DEBS"
	img=$DEBS/linux-image-$KVER-unsigned_${DEB_PKGVER}_arm64.deb
	hdr=$DEBS/linux-headers-${KVER}_${DEB_PKGVER}_arm64.deb
	if [ -f "$img" ] && [ -f "$hdr" ] && [ -n "$(busybox_deb)" ]; then
		ok "arm64 kernel, headers and busybox-static cached ($DEB_PKGVER)"
	else
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			[ "$(id -u)" -eq 0 ] || die "enable arm64 in dpkg (needs root)"
			note "dpkg --add-architecture arm64"
			{ dpkg --add-architecture arm64 && apt-get update -q >> "$BUILDLOG" 2>&1; } ||
				die "dpkg --add-architecture arm64 && apt-get update"
		fi
		want=("linux-image-$KVER-unsigned:arm64=$DEB_PKGVER" "linux-headers-$KVER:arm64=$DEB_PKGVER" busybox-static:arm64)
		(cd "$DEBS" && apt_get download "${want[@]}") ||
			die "apt-get download ${want[*]} (is linux-image-amd64 the archive's current version?)"
		{ [ -f "$img" ] && [ -f "$hdr" ] && [ -n "$(busybox_deb)" ]; } ||
			die "downloaded .debs have the expected names"
		ok "download arm64 kernel, headers and busybox-static ($DEB_PKGVER)"
	fi

	# Unpacked once per package set, and again when its modules are gone
	# (the lint suite's `make M=. clean` deletes every *.ko below the
	# repository, build/ included).
	MODROOT=$TOP/build/qemu/arm64-root${CK_VM_KERNEL:+-$CK_VM_KERNEL}
	stamp="${img##*/} ${hdr##*/} $(basename "$(busybox_deb)")"
	if [ "$(cat "$MODROOT/.stamp" 2> /dev/null)" != "$stamp" ] ||
	   [ -z "$(find "$MODROOT/lib/modules/$KVER/kernel" -name '*.ko' -print -quit 2> /dev/null)" ]; then
		rm -rf "$MODROOT"
		mkdir -p "$MODROOT"
		for d in "$img" "$hdr" "$(busybox_deb)"; do
			dpkg -x "$d" "$MODROOT" >> "$BUILDLOG" 2>&1 || die "dpkg -x ${d##*/}"
		done
		echo "$stamp" > "$MODROOT/.stamp"
	fi
	KDIR=$MODROOT/usr/src/linux-headers-$KVER
	KIMG=$MODROOT/boot/vmlinuz-$KVER
	BUSYBOX=$MODROOT/bin/busybox
	# The headers package links scripts/ and tools/ to linux-kbuild by a
	# path relative to /usr/src; point them at the host's (same series).
	ln -sfn "$kbuild/scripts" "$KDIR/scripts"
	ln -sfn "$kbuild/tools" "$KDIR/tools"
	{ [ -f "$KIMG" ] && [ -d "$MODROOT/lib/modules/$KVER/kernel" ] && [ -x "$BUSYBOX" ]; } ||
		die "unpacked arm64 kernel, modules and busybox"
}

busybox_deb() { find "$DEBS" -maxdepth 1 -name 'busybox-static_*_arm64.deb' | sort | head -1; }

# arch_guest_programs: the in-guest devicetree test, static
arch_guest_programs() {
	${CROSS_COMPILE}gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static \
		-I"$TOP/include/uapi" -o "$OUT/ckdt_test" "$HERE/guest/ckdt_test.c" >> "$BUILDLOG" 2>&1 ||
		die "build ckdt_test (static arm64)"
	ok "build ckdt_test (static arm64)"
}

# arch_board: the board's own devicetree, dumped with the options used to
# boot, plus the OTP and chipkey nodes; the fuse image at the start of
# pflash bank 1 (64 MiB, read-only)
arch_board() {
	local names
	{ "$QEMU" "${QEMU_MACHINE[@]}" -machine dumpdtb="$OUT/virt.dtb" -nographic -nic none \
		< /dev/null >> "$BUILDLOG" 2>&1 && [ -s "$OUT/virt.dtb" ]; } ||
		die "dump the QEMU virt board devicetree"
	dtc -q -I dtb -O dts -o "$OUT/virt.dts" "$OUT/virt.dtb" 2>> "$BUILDLOG" ||
		die "decompile the virt devicetree"
	cat "$OUT/virt.dts" "$HERE/guest/chipkey-otp.dtsi" > "$OUT/board.dts"
	dtc -q -I dts -O dtb -o "$OUT/board.dtb" "$OUT/board.dts" >> "$BUILDLOG" 2>&1 ||
		die "board devicetree: virt dump + chipkey-otp.dtsi compiles"
	ok "board devicetree: virt dump + chipkey-otp.dtsi compiles"
	names=$(fdtget "$OUT/board.dtb" /chipkey nvmem-cell-names 2>> "$BUILDLOG")
	check "board devicetree has the chipkey node (cells: $names)" \
		test "$(fdtget "$OUT/board.dtb" /chipkey compatible)" = chipkey,device-key \
		-a "$names" = "chip-id chip-key rom-key"
	rm -f "$OUT/flash1.bin"
	truncate -s 64M "$OUT/flash1.bin"
	dd if="$FUSE/fuse.bin" of="$OUT/flash1.bin" conv=notrunc status=none
	# shellcheck disable=SC2054 # QEMU's own option syntax
	ARCH_QEMU_ARGS=(-dtb "$OUT/board.dtb"
		-drive if=pflash,unit=1,format=raw,file="$OUT/flash1.bin",readonly=on)
}

# arch_initramfs: busybox's modprobe for the kernel's request_module and
# the static devicetree test
arch_initramfs() {
	ln -s /bin/busybox "$ROOTFS/sbin/modprobe"
	cp "$OUT/ckdt_test" "$ROOTFS/bin/"
}
