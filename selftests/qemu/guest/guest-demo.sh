#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM for `make demo` (ck_mode=demo): the real module reads
# the same fuses the host's emulator used, opens the emulator's backup
# package, and makes one of its own for the host to open.  Files from the
# host are in /demo; the package made here goes back to the host as base64
# between two marker lines on the results console.
say() { echo "[vm] $*"; }
step() { echo; echo "[vm] --- $*"; }

step "load the virtual fuses and the driver (same fuse image as the emulator)"
{ modprobe chipkey_vfuse && modprobe chipkey; } || { say "FAILED: modprobe"; exit 1; }
i=0
while [ ! -c /dev/chipkey ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
dmesg | grep -i chipkey | sed 's/^/[vm] dmesg: /'
say "sysfs: chip_id=$(cat /sys/class/misc/chipkey/chip_id)" \
	"key_source=$(cat /sys/class/misc/chipkey/key_source)"

step "chipkey info (kernel backend, /dev/chipkey)"
chipkey info 2>&1 | sed 's/^/[vm]   /'

step "unwrap the package the emulator made on the host, in the kernel"
if chipkey -v unwrap /demo/emu.ckb /tmp/data.out 2>&1 | sed 's/^/[vm]   /' &&
   cmp -s /tmp/data.out /demo/data.bin; then
	say "kernel unwrapped the emulator's package: identical to the data package"
else
	say "FAILED: kernel could not unwrap the emulator's package"
	exit 1
fi

step "wrap the same data package in the kernel (new salt and nonce)"
chipkey wrap --generation 2 /demo/data.bin /tmp/kernel.ckb || { say "FAILED: wrap"; exit 1; }
say "backup package: $(wc -c < /tmp/kernel.ckb) bytes, backup code: $(head -c 8 /tmp/kernel.ckb)"

step "tampering is detected by the kernel"
cp /tmp/kernel.ckb /tmp/bad.ckb
# one bit of byte 100 flipped (userspace/common/tests/flip.sh)
# shellcheck source=userspace/common/tests/flip.sh
. /flip.sh
flip_byte /tmp/bad.ckb 100
cmp -s /tmp/kernel.ckb /tmp/bad.ckb && { say "FAILED: the tampered package is the same as the original"; exit 1; }
chipkey unwrap /tmp/bad.ckb /tmp/bad.out > /tmp/bad.msg 2>&1
rc=$?
sed 's/^/[vm]   /' /tmp/bad.msg
if [ $rc -eq 0 ]; then
	say "FAILED: the kernel accepted a tampered package"
	exit 1
fi
say "chipkey exit status $rc: the kernel refused the flipped byte"

echo "BEGIN-KERNEL-PACKAGE"
base64 /tmp/kernel.ckb
echo "END-KERNEL-PACKAGE"
say "demo steps in the VM done"
