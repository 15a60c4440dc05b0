# SPDX-License-Identifier: GPL-2.0
#
# x86_64 facts of the chipkey QEMU harness, sourced by selftests/qemu/run.sh
# (the default ARCH): Debian's installed amd64 kernel (or the debug kernel
# of debug.config with DEBUG_KERNEL=yes), the host's own userspace in the
# guest, virtual fuses (chipkey_vfuse.ko), results on a second serial port.
#
#   selftests/qemu/run.sh                    ARCH=x86_64 is the default
#   DEBUG_KERNEL=yes selftests/qemu/run.sh   on the debug kernel
#
# Environment: KVER, CK_VM_KIMG, CK_VM_KHDR, CK_VM_MODROOT (another kernel:
# its release, image, build tree, and the root holding lib/modules/KVER;
# default Debian's /boot, /usr/src, /).

# shellcheck shell=bash disable=SC2034 # the facts are read by run.sh and lib.sh
QEMU=qemu-system-x86_64
QEMU_MACHINE=(-cpu max -m 1G -smp 2)
KERNEL_ARCH=x86_64
CROSS_COMPILE=
DEBUG_KERNEL_IMAGE=arch/x86/boot/bzImage
ELF_MACHINE="Advanced Micro Devices X86-64"
CONSOLE=ttyS0
TAP_TTY=ttyS1
KERNEL_CMDLINE=
ARCH_QEMU_ARGS=()
BUSYBOX=/bin/busybox
# the guest runs the host's programs (CLI, emulator, factory, kselftests)
NATIVE_USERSPACE=yes
BOOTS_DEFAULT="test provision cut pcut sd-wiped sd-intact restore tamper skey1 skey2"
TIMEOUT_DEFAULT=900
# Debian's crypto + AF_ALG (the oracle test), ECDH P-256 of the attestation
# key (ecdh_generic, ecc) with the default RNG its self-test's key
# generation needs (drbg: without it the self-test fails with -EFAULT, the
# kernel WARNs and refuses ecdh-nist-p256), and the recovery boots' disks
GUEST_MODULES="gcm ghash_generic ghash_clmulni_intel ctr aesni_intel aes_generic sha256_ssse3
	cryptd crypto_simd algif_aead algif_hash algif_skcipher af_alg crypto_user
	ecdh_generic ecc drbg jitterentropy_rng sha512_generic sha512_ssse3
	virtio_pci virtio_blk ext4 dm_crypt xts"

arch_host_tools() {
	require_tools "$QEMU" modprobe depmod modinfo readelf openssl cpio gzip file timeout flock
}

# arch_kernel: Debian's installed kernel; sets KVER KIMG KDIR MODROOT
arch_kernel() {
	if [ -z "${KVER:-}" ]; then
		debian_kernel
		KVER=$DEB_KVER
	fi
	KIMG=${CK_VM_KIMG:-/boot/vmlinuz-$KVER}
	KDIR=${CK_VM_KHDR:-/usr/src/linux-headers-$KVER}
	MODROOT=${CK_VM_MODROOT:-}
	[ -r "$KIMG" ] || die "kernel image $KIMG readable"
	[ -d "$KDIR" ] || die "kernel headers $KDIR installed"
	ok "kernel $KVER ($KIMG) and its headers installed"
}

# arch_board: nothing to add; the fuse images go in as firmware files for
# chipkey_vfuse.ko (initramfs_begin)
arch_board() { :; }

# arch_guest_programs: build what the guest runs (every userspace program,
# the kselftests, for --bench the benchmark) unless CK_VM_SKIP_BUILD=1
arch_guest_programs() {
	[ -n "${CK_VM_SKIP_BUILD:-}" ] && return 0
	if make -C "$TOP" userspace >> "$BUILDLOG" 2>&1; then
		ok "build userspace (make userspace)"
	else
		buildlog_tail
		nok "build userspace (make userspace)"
	fi
	if make -C "$TOP/selftests" >> "$BUILDLOG" 2>&1; then
		ok "build selftests"
	else
		die "build selftests"
	fi
	if [ "$MODE" = bench ]; then
		make -C "$TOP/bench" build >> "$BUILDLOG" 2>&1 || die "build benchmarks"
		# the ECDH baseline module, against the guest's kernel
		make -C "$TOP/bench" kmod KDIR="$KDIR" KMOD_OUT="$OUT/bench-kmod" >> "$BUILDLOG" 2>&1 ||
			die "build bench/kmod/ck_ecdh_bench.ko against $KVER"
	fi
	# the boot-time benchmark of the restore boot (bench/Makefile vm-boot)
	if [ -n "${CK_VM_BOOTBENCH:-}" ]; then
		make -C "$TOP/bench/recovery" "$TOP/build/bench/bench-recover" >> "$BUILDLOG" 2>&1 ||
			die "build bench/recovery/bench-recover"
	fi
}

# arch_initramfs: kmod (modprobe with aliases and parameters, also for the
# kernel's request_module), the kselftests, every program of build/bin,
# the benchmark, and the shared libraries they need
arch_initramfs() {
	local f bins=("$ROOTFS/sbin/kmod") l
	cp /bin/kmod "$ROOTFS/sbin/kmod"
	for l in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf kmod "$ROOTFS/sbin/$l"; done
	for f in "$TOP"/build/selftests/* "$TOP"/build/bin/* "$TOP"/build/bench/ck_bench_dev \
		${CK_VM_BOOTBENCH:+"$TOP"/build/bench/bench-recover}; do
		{ [ -f "$f" ] && [ -x "$f" ]; } || continue
		case $f in
		*/selftests/*) cp "$f" "$ROOTFS/selftests/" && bins+=("$ROOTFS/selftests/${f##*/}") ;;
		*/bench/*) cp "$f" "$ROOTFS/bench/" && bins+=("$ROOTFS/bench/${f##*/}") ;;
		*) cp "$f" "$ROOTFS/usr/bin/" && bins+=("$ROOTFS/usr/bin/${f##*/}") ;;
		esac
	done
	if [ "$MODE" = bench ] && [ -f "$OUT/bench-kmod/ck_ecdh_bench.ko" ]; then
		cp "$OUT/bench-kmod/ck_ecdh_bench.ko" "$ROOTFS/lib/modules/$KVER/extra/"
		depmod -b "$ROOTFS" "$KVER" >> "$BUILDLOG" 2>&1 || die "depmod with ck_ecdh_bench.ko"
	fi
	initramfs_add_libs "${bins[@]}"
	mkdir -p "$ROOTFS/lib64"
	cp -L /lib64/ld-linux-x86-64.so.2 "$ROOTFS/lib64/"
}
