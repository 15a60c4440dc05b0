#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey-load.service's file-system sandbox, replayed with the real
# programs in a mount namespace (unshare -m): the store read-only
# (ProtectSystem=strict), /run writable only if the unit says
# ReadWritePaths=/run, and the keys directory a bind mount of itself if the
# unit has RuntimeDirectory= (what systemd does under ProtectSystem=strict).
# chipkey-boot load must load an intact store there; the two sandboxes the
# unit avoids are shown to fail (the keys directory is swapped through its
# parent).  Not systemd itself: no systemd PID 1 runs here.  TAP on stdout.
#
#   test-sandbox.sh          (check-boot; root; the normal build in build/bin)
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
B=$TOP/build/bin
t=$(mktemp -d /tmp/chipkey-test-sandbox-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$t"; }
trap cleanup EXIT
tap_out=$t/out tap_err=$t/err
. "$(dirname "$0")/../../common/tests/tap.sh"

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	skip "sandbox" "needs root and unshare -m"
	tap_done test-sandbox
	exit
fi
make -s -C "$TOP/userspace" install-boot DESTDIR="$t/root" PREFIX=/usr >/dev/null
unit=$t/root/usr/lib/systemd/system/chipkey-load.service

# A provisioned store: factory, chip, data package, wrap, recover --from.
chip=00112233445566778899aabbccddeeff
"$B/chipkey-factory" init "$t/fac" >/dev/null 2>&1 &&
	"$B/chipkey-fuse" create "$t/chip.bin" --rom-key "$t/fac/mfr-pubkey.der" --chip-id $chip >/dev/null 2>&1
check "factory and chip" test -s "$t/chip.bin"
"$B/chipkey-emu" --state "$t/chip.bin" --socket "$t/emu.sock" --foreground 2>"$t/emu.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$t/emu.sock" ] && break; sleep 0.05; done
dev=emu:$t/emu.sock
id=$("$B/chipkey-factory" identities --prefix 35123400 --count 1)
"$B/chipkey-factory" package "$t/fac" --identity "$id" --chip-id $chip --out "$t/dp" >/dev/null 2>&1 &&
	"$B/chipkey" --device "$dev" wrap --generation 1 "$t/dp" "$t/backup.pkg" 2>/dev/null
expect_exit 0 "a store from the chip's backup (recover --from)" -- \
	"$B/chipkey" --device "$dev" recover --from "$t/backup.pkg" --store "$t/store" --no-keys
rm -f "$t/store/.lock"	# the worst case: no lock file, and none can be made

# sandbox MODE: chipkey-boot load in a mount namespace; MODE unit reads
# the unit file, the others force one setting
cat >"$t/sandbox.sh" <<'EOS'
mode=$1 t=$2 rw_run=$3 runtimedir=$4
mount --bind "$t/store" "$t/store" && mount -o remount,bind,ro "$t/store" || exit 90
if [ "$rw_run" != yes ]; then
	mount --bind "$t/run" "$t/run" && mount -o remount,bind,ro "$t/run" || exit 91
fi
if [ "$runtimedir" = yes ]; then
	mount --bind "$t/run/chipkey" "$t/run/chipkey" || exit 92
fi
if touch "$t/store/probe" 2>/dev/null; then exit 93; fi
exec sh "$5" load
EOS
sandbox() {
	local rw_run=$1 rtd=$2
	rm -rf "$t/run"; mkdir -p -m 0700 "$t/run/chipkey"
	CHIPKEY_BIN=$B/chipkey CHIPKEY_DEVICE=$dev CHIPKEY_STORE=$t/store CHIPKEY_KEYS=$t/run/chipkey \
		CHIPKEY_RECOVERY_CONF=/nonexistent unshare -m --propagation private \
		sh "$t/sandbox.sh" x "$t" "$rw_run" "$rtd" "$t/root/usr/lib/chipkey/chipkey-boot"
}
rw_run=no rtd=no
grep -qx 'ReadWritePaths=.*/run\( .*\)\{0,1\}' "$unit" && rw_run=yes
grep -q '^RuntimeDirectory=' "$unit" && rtd=yes
echo "# the unit: /run writable: $rw_run, RuntimeDirectory=: $rtd"
expect_exit 0 "the unit's sandbox: chipkey-boot load loads the read-only store" -- sandbox $rw_run $rtd
check "... the keys are written (identity $id)" grep -qx "$id" "$t/run/chipkey/identity"
expect_exit 17 "with RuntimeDirectory= (a bind mount): the keys cannot be swapped (EBUSY, exit 17)" -- sandbox yes yes
check "... says why" grep -q 'busy' "$t/err"
expect_exit 17 "without ReadWritePaths=/run: the keys cannot be written (read-only /run, exit 17)" -- sandbox no yes
check "... says why" grep -q 'Read-only' "$t/err"
tap_done test-sandbox
