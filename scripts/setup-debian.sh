#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs everything chipkey needs on a fresh Debian 12 (bookworm) machine,
# from Debian's archive only, and unpacks the kernel source used for
# checkpatch and the kselftest harness.  Run as root.  Idempotent.
set -eu
export DEBIAN_FRONTEND=noninteractive

packages=(
	# toolchain
	build-essential pkg-config
	# fuzz targets (fuzz/README.md): clang, and libclang_rt.fuzzer with
	# the ASan/UBSan runtimes (libclang-rt-14-dev; clang only recommends it)
	clang libclang-rt-14-dev
	# 32-bit (-m32 -static) build of the ioctl selftest: the compat path.
	# Not gcc-multilib: it conflicts with gcc-aarch64-linux-gnu.
	gcc-12-multilib libc6-dev-i386 lib32gcc-12-dev
	# kernel module build, lint and VM tests
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 sparse
	qemu-system-x86 busybox-static cpio kmod xz-utils e2fsprogs
	dmsetup # sealed-key VM boots: dm-crypt with a chip-sealed logon key (docs/sealed-keys.md)
	# the debug kernel (KASAN, lockdep, UBSAN, kmemleak) built from
	# linux-source-6.1 by DEBUG_KERNEL=yes selftests/qemu/run.sh
	flex bison libelf-dev bc
	# devicetree path on arm64 (cross build + TCG guest)
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
	# devicetree binding and examples
	device-tree-compiler dt-schema
	# userspace crypto (OpenSSL 3) and the kernel-crypto oracle (AF_ALG)
	libssl-dev openssl libkcapi-dev kcapi-tools
	# independent test-vector generator; hex <-> binary in the shell tests
	python3 python3-cryptography xxd
	# factory databases and the public database service
	libsqlite3-dev sqlite3 libpq-dev postgresql libmicrohttpd-dev
	libcurl4-openssl-dev curl
	# chipkey-enroll (EST): HTTP by evhttp over OpenSSL-terminated TLS, since
	# libmicrohttpd does TLS only through GnuTLS (no OpenSSL client chain/exporter)
	libevent-dev
	# JSON (flash manifest, public database answers)
	libjansson-dev
	# benchmarks only: the static-file baseline for pubdb and its load client
	nginx-light wrk
	# packaging: unit checks (systemd-analyze), man pages (groff, lexgrog),
	# DKMS and the second kernel it builds for (scripts/test-dkms.sh)
	systemd man-db groff-base dkms linux-headers-6.12-amd64
	# the VM suite's second kernel series (CK_VM_KERNEL=6.12)
	linux-image-6.12-amd64
	# the Debian packages (debian/, scripts/test-debs.sh)
	dpkg-dev debhelper dh-dkms lintian
	# the fsync order of a software install (userspace/update/tests)
	strace
)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-debian.sh: run as root (apt-get install)" >&2
	exit 1
fi
# arm64 packages (kernel, headers, busybox) are downloaded, not installed,
# by ARCH=arm64 selftests/qemu/run.sh: dpkg must know the architecture.
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"

# The kernel source of the target series: scripts/checkpatch.pl and
# tools/testing/selftests/kselftest_harness.h.
src=/usr/src/linux-source-6.1
if [ ! -f "$src/scripts/checkpatch.pl" ]; then
	tar -C /usr/src -xf /usr/src/linux-source-6.1.tar.xz
fi
echo "setup-debian.sh: done"
