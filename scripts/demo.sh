#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: an end-to-end demo on the embedded defaults.
#
#  1. a manufacturer key is made; its public half goes into a chip's fuses;
#  2. chipkey-emu plays that chip on the host: a data package is wrapped into
#     a backup package and unwrapped again, a tampered copy is refused, and a
#     second chip refuses the first chip's package;
#  3. Debian's kernel boots in QEMU (TCG) with chipkey.ko reading the SAME
#     fuses through chipkey_vfuse.ko: the kernel opens the emulator's backup
#     package and makes one of its own;
#  4. back on the host, the emulator opens the kernel's package.
#
# Files are left in build/demo/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin=$top/build/bin
d=$top/build/demo
rm -rf "$d"
mkdir -p "$d"
chmod 700 "$d"

step() { printf '\n=== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. manufacturer key and a chip's fuse image"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/maker.key" 2>/dev/null
openssl pkey -in "$d/maker.key" -pubout -outform DER -out "$d/maker-pub.der"
run "$bin/chipkey-fuse" create "$d/fuse.bin" --rom-key "$d/maker-pub.der"
run "$bin/chipkey-fuse" show "$d/fuse.bin"
"$bin/chipkey-fuse" create "$d/other.bin" --rom-key "$d/maker-pub.der" >/dev/null

step "2. the emulator plays the chip (state file = a 0600 copy of the fuses)"
cp "$d/fuse.bin" "$d/emu.state"
cp "$d/other.bin" "$d/other.state"
chmod 600 "$d/emu.state" "$d/other.state"
"$bin/chipkey-emu" --state "$d/emu.state" --socket "$d/emu.sock" &
emu=$!
"$bin/chipkey-emu" --state "$d/other.state" --socket "$d/other.sock" &
other=$!
trap 'kill $emu $other 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S "$d/emu.sock" ] && [ -S "$d/other.sock" ] && break; sleep 0.1; done
export CHIPKEY_DEVICE=emu:$d/emu.sock
run "$bin/chipkey" info

printf 'device identity 356938035643809; channel key and device key would be here\n' > "$d/data.bin"
run "$bin/chipkey" wrap --generation 1 "$d/data.bin" "$d/emu.ckb"
echo "backup package: $(wc -c < "$d/emu.ckb") bytes; first 72 bytes (the authenticated header):"
od -An -tx1 -N72 "$d/emu.ckb" | sed 's/^/   /'
run "$bin/chipkey" -v unwrap "$d/emu.ckb" "$d/emu.out"
cmp "$d/data.bin" "$d/emu.out" && echo "unwrapped: identical to the data package"

cp "$d/emu.ckb" "$d/tampered.ckb"
printf '\377' | dd of="$d/tampered.ckb" bs=1 seek=90 conv=notrunc 2>/dev/null
if run "$bin/chipkey" unwrap "$d/tampered.ckb" "$d/tampered.out"; then
	echo "DEMO FAILED: a tampered package was accepted" >&2; exit 1
else
	echo "(exit status $?: refused)"
fi
if run "$bin/chipkey" --device "emu:$d/other.sock" unwrap "$d/emu.ckb" "$d/other.out"; then
	echo "DEMO FAILED: another chip opened the package" >&2; exit 1
else
	echo "(exit status $?: another chip refuses it)"
fi

step "3. the real module in a VM, on the same fuses (QEMU TCG, Debian's kernel)"
"$top/selftests/vm/run.sh" --demo "$d"

step "4. back on the host: the emulator opens the kernel's package"
run "$bin/chipkey" -v unwrap "$d/kernel.ckb" "$d/kernel.out"
cmp "$d/data.bin" "$d/kernel.out" && echo "identical to the data package: kernel and emulator are byte-compatible"
printf '\nDemo done. Files: %s\n' "$d"
