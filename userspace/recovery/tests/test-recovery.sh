#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Recovery end to end, natively: a factory (SQLite), chipkey-spp,
# chipkey-pubdb on 127.0.0.1, emulated chips provisioned by chipkey-agent;
# then wipe / restore / refuse / corrupt / power-loss.  The chipkey CLI
# under test is the ASan/UBSan build.  TAP on stdout.
#
#   BUILD=.../build tests/test-recovery.sh
#   PL_RUNS=N   random power-loss runs (default 1000)
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
. "$TOP/userspace/common/tests/flip.sh"
bin=$BUILD/bin
ck=$BUILD/asan/bin/chipkey
tools=$BUILD/asan/tests/recovery
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
PL_RUNS=${PL_RUNS:-1000}
unset CHIPKEY_PUBDB CHIPKEY_DEVICE
export CHIPKEY_RECOVERY_CONF=/nonexistent

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# expect CODE DESC CMD...: the command exits with CODE
expect() { local want=$1 d=$2; shift 2; "$@" >"$t/last.out" 2>"$t/last.err"; local rc=$?
	if [ $rc -eq "$want" ]; then ok "$d (exit $rc)"; else nok "$d (exit $rc, want $want)"; sed 's/^/# /' "$t/last.err" | tail -5; fi; }

t=$(mktemp -d /tmp/chipkey-test-recovery-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$failed" -gt 0 ]; then
		for f in "$t"/*.log; do [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" | tail -20; done
	fi
	if [ -n "${KEEP:-}" ]; then echo "# kept $t"; else rm -rf "$t"; fi
}
trap cleanup EXIT
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
# mkchip NAME: a fuse image with its chip certificate, loaded into the
# factory's chip batch (the SPP serves only chips of the batch), + emulator
mkchip() {
	[ -s "$t/vendor-ca.pem" ] || "$bin/chipkey-fuse" ca --out-key "$t/vendor-ca.key" \
		--out-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log" || return 1
	"$bin/chipkey-fuse" create "$t/$1.bin" --rom-key "$t/fac/mfr-pubkey.der" --cert "$t/$1.pem" \
		--ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log" || return 1
	"$bin/chipkey-factory" load-chips --db "$db" --chip-ca "$t/vendor-ca.pem" "$t/$1.pem" \
		>/dev/null 2>>"$t/factory.log" || return 1
	"$bin/chipkey-emu" --state "$t/$1.bin" --socket "$t/$1.sock" --foreground 2>>"$t/emu.log" &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$t/$1.sock" ] && return 0; sleep 0.05; done
	return 1
}
chip_hex() { "$bin/chipkey" --device "emu:$t/$1.sock" info --json 2>/dev/null |
	sed -n 's/.*"chip_id": *"\([0-9a-f]*\)".*/\1/p'; }
# snapshot of a store: where current points + hashes of what it holds
snap() { { readlink "$1/current"; cd "$1" 2>/dev/null && sha256sum current/* 2>/dev/null; } | sha256sum; }
same_store() { cmp -s "$1/backup.pkg" "$2/backup.pkg" && cmp -s "$1/device-cert.der" "$2/device-cert.der" &&
	cmp -s "$1/identity" "$2/identity"; }
same_keys() { for f in device-key.pem channel.key identity device-cert.der device-cert.pem mfr-ca.pem; do
	cmp -s "$1/$f" "$2/$f" || return 1; done; }

# ---- factory, SPP, public database, three chips
db="sqlite:$t/factory.db"
pdb="sqlite:$t/public.db"	# the public database, its own file
"$bin/chipkey-factory" identities --prefix 35123400 --count 10 >"$t/ids.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$t/fac" --db "$db" --pool "$t/ids.txt" >>"$t/factory.log" 2>&1
check "factory init" test $? -eq 0
"$bin/chipkey-spp" --factory "$t/fac" --db "$db" --public-db "$pdb" --listen 127.0.0.1:0 --port-file "$t/spp.port" 2>>"$t/spp.log" &
pids+=($!)
"$bin/chipkey-pubdb" --db "$pdb" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
	--port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
pids+=($!)
check "spp and pubdb listen on 127.0.0.1" bash -c "$(declare -f wait_file); wait_file '$t/spp.port' && wait_file '$t/pubdb.port'"
SPP=127.0.0.1:$(cat "$t/spp.port")
URL=http://127.0.0.1:$(cat "$t/pubdb.port")
for d in d1 d2 d3; do mkchip $d || nok "emulator $d starts"; done
D1=emu:$t/d1.sock D2=emu:$t/d2.sock D3=emu:$t/d3.sock
hex1=$(chip_hex d1) hex2=$(chip_hex d2)
for i in 1 2; do
	"$bin/chipkey-agent" provision --spp "$SPP" --device "emu:$t/d$i.sock" --store "$t/s$i" \
		--station-cert "$t/fac/station-cert.pem" --station-key "$t/fac/station-key.pem" \
		>/dev/null 2>>"$t/agent.log"
	check "device $i provisioned by chipkey-agent (exit $?)" test -L "$t/s$i/current"
done
S1=$t/s1
id1=$(tr -d '\n' <"$S1/identity")
id2=$(tr -d '\n' <"$t/s2/identity")
unused=$(tail -1 "$t/ids.txt")
check "agent wrote the switched layout: current -> store-1-<id>, manifest format 3 with a MAC" \
	bash -c "readlink '$S1/current' | grep -qE '^store-1-[0-9a-f]{16}$' && grep -q '\"format\": 3' '$S1/store.json' &&
		 grep -qE '^  \"mac\": \"[0-9a-f]{64}\"$' '$S1/store.json'"
# the MAC is the chip's CHIP_MAC over the documented encoding: computed
# here by the independent oracle from the fuse image (no chipkey code)
python3 "$TOP/userspace/recovery/tests/forge-store.py" mac-input "$S1/store.json" "$t/mac-input"
check "store.json's mac = the oracle's CHIP_MAC (flash-manifest) over the documented 179-byte encoding" \
	test "$(python3 "$TOP/scripts/ck_attest_oracle.py" chip-mac "$t/d1.bin" flash-manifest "$t/mac-input" 2>&1)" = \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mac"])' "$S1/store.json")"

# ---- status and load on a fresh store
expect 0 "status: healthy store" "$ck" --device "$D1" status --store "$S1" --keys "$t/k1" --json
check "... the chip authenticated its manifest (\"authenticated\": true)" grep -q '"authenticated": true' "$t/last.out"
check "status --json: provisioned, identity, generation 1, certificate valid" \
	bash -c "grep -q '\"healthy\": true' '$t/last.out' && grep -q '\"identity\": \"$id1\"' '$t/last.out' &&
		 grep -q '\"generation\": 1' '$t/last.out' && grep -q '\"valid\": true' '$t/last.out' &&
		 grep -q '\"chip_id\": \"$hex1\"' '$t/last.out'"
expect 0 "load: keys of the intact store made available" "$ck" --device "$D1" load --store "$S1" --keys "$t/k1"
check "keys dir 0700, device-key.pem and channel.key 0600" \
	test "$(stat -c %a "$t/k1") $(stat -c %a "$t/k1/device-key.pem") $(stat -c %a "$t/k1/channel.key")" = "700 600 600"
check "device-key.pem is the private key of the certificate" \
	bash -c "cmp -s <(openssl pkey -in '$t/k1/device-key.pem' -pubout 2>/dev/null) <(openssl x509 -in '$t/k1/device-cert.pem' -noout -pubkey 2>/dev/null)"
check "channel.key is 32 bytes, identity file matches the store" \
	bash -c "test \$(stat -c %s '$t/k1/channel.key') -eq 32 && cmp -s '$t/k1/identity' '$S1/identity'"
check "nothing secret in the flash store (no PEM key, no channel key bytes)" \
	bash -c "! grep -rq 'PRIVATE KEY' '$S1/' && ! grep -rqF -f <(xxd -p -c 32 '$t/k1/channel.key') <(cat '$S1/backup.pkg' '$S1/device-cert.der' | xxd -p -c 1000000)"
mkdir -p "$t/orig1" && cp "$S1/backup.pkg" "$S1/device-cert.der" "$S1/identity" "$t/orig1/"
expect 0 "backup export to an archive file" "$ck" --device "$D1" backup export "$t/d1.ckpr" --store "$S1"
"$ck" --device "$D2" backup export "$t/d2.ckpr" --store "$t/s2" 2>/dev/null

# ---- wipe, restore from the public database
rm -rf "$S1"
expect 16 "status after the flash is wiped: no store" "$ck" --device "$D1" status --store "$S1"
expect 16 "load after the wipe: no store" "$ck" --device "$D1" load --store "$S1" --keys "$t/kx"
expect 0 "recover --db restores the wiped store" "$ck" --device "$D1" recover --store "$S1" --keys "$t/k2" --db "$URL"
check "restored backup, certificate and identity are byte-identical" same_store "$t/orig1" "$S1"
check "restored keys (private key, channel key, certs, identity) are byte-identical" same_keys "$t/k1" "$t/k2"
expect 0 "status after recovery: healthy" "$ck" --device "$D1" status --store "$S1"

# ---- offline recovery
rm -rf "$S1"
expect 0 "recover --from an exported archive (offline)" "$ck" --device "$D1" recover --store "$S1" --keys "$t/k3" --from "$t/d1.ckpr"
check "... byte-identical store and keys" bash -c "$(declare -f same_store same_keys); same_store '$t/orig1' '$S1' && same_keys '$t/k1' '$t/k3'"
rm -rf "$S1"
expect 0 "recover --from a raw backup package (certificate from inside the package)" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/orig1/backup.pkg"
check "... byte-identical store" same_store "$t/orig1" "$S1"
CHIPKEY_PUBDB=$URL expect 0 "recover without --db uses \$CHIPKEY_PUBDB" "$ck" --device "$D1" recover --store "$S1" --no-keys
printf 'CHIPKEY_PUBDB="%s"\n' "$URL" >"$t/recovery.conf"
CHIPKEY_RECOVERY_CONF=$t/recovery.conf expect 0 "recover without --db reads the config file" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys

# ---- refusals: each leaves the store untouched
before=$(snap "$S1")
untouched() { test "$(snap "$S1")" = "$before"; }
expect 4 "a backup of another chip is refused" "$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/d2.ckpr"
check "... with a clear message" grep -q "is for chip $hex2, this chip is $hex1" "$t/last.err"
expect 4 "another chip's raw backup package is refused before unwrapping" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/s2/backup.pkg"
"$tools/rec-tool" cert "$t/fac" "$unused" "$hex1" "$t/other-id.der"
"$tools/rec-tool" archive "$hex1" 1 "$id1" "$t/orig1/backup.pkg" "$t/other-id.der" "$t/other-id.ckpr"
# (the floor: generation 1 from the restored store's authenticated manifest)
expect 12 "identity mismatch: manufacturer-signed certificate for another identity" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/other-id.ckpr"
check "... says it refuses to change the identity" grep -q "refusing to change the device identity" "$t/last.err"
"$tools/rec-tool" archive "$hex1" 1 "$unused" "$t/orig1/backup.pkg" "$t/orig1/device-cert.der" "$t/claim.ckpr"
expect 12 "identity mismatch: record claims another identity than the package" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/claim.ckpr"
"$tools/rec-tool" rogue-cert "$id1" "$hex1" "$t/rogue.der"
"$tools/rec-tool" archive "$hex1" 1 "$id1" "$t/orig1/backup.pkg" "$t/rogue.der" "$t/rogue.ckpr"
expect 11 "certificate signed by a non-manufacturer key is refused" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/rogue.ckpr"
"$tools/rec-tool" archive "$hex1" 1 "$id1" "$t/orig1/backup.pkg" "$t/s2/device-cert.der" "$t/cert2.ckpr"
expect 11 "certificate of another device is refused" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/cert2.ckpr"
cp "$t/orig1/backup.pkg" "$t/tampered.pkg"
flip_byte "$t/tampered.pkg" 200
"$tools/rec-tool" archive "$hex1" 1 "$id1" "$t/tampered.pkg" "$t/orig1/device-cert.der" "$t/tampered.ckpr"
expect 5 "a tampered package byte is refused" "$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/tampered.ckpr"
echo garbage >"$t/garbage"
expect 6 "a file that is neither archive nor backup is refused" "$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/garbage"
expect 9 "a chip with no backup in the database: not found" "$ck" --device "$D3" recover --store "$t/s3" --no-keys --db "$URL"
check "all refusals left the existing store untouched" untouched

# ---- generations: newest wins, rollback refused unless --force
"$bin/chipkey" --device "$D1" unwrap "$S1/backup.pkg" "$t/dp1" 2>>"$t/cli.log"
"$bin/chipkey" --device "$D1" wrap --generation 2 "$t/dp1" "$t/gen2.pkg" 2>>"$t/cli.log"
rm -f "$t/dp1"
# a generation after the first is posted by the device itself, signed with
# its device key (the database scopes its writers: docs/pubdb-api.md)
"$bin/chipkey-pubdb-put" --url "$URL" --key "$t/k1/device-key.pem" --cert "$t/k1/device-cert.pem" \
	--chip "$hex1" --generation 2 --identity "$id1" --backup "$t/gen2.pkg" \
	--device-cert "$t/orig1/device-cert.der" >>"$t/put.log" 2>&1
check "generation 2 re-wrapped and posted as a signed record" test $? -eq 0
expect 0 "recover --db takes the newest generation" "$ck" --device "$D1" recover --store "$S1" --no-keys --db "$URL"
check "... the store holds generation 2" bash -c "grep -q '\"generation\": 2' '$S1/store.json' && cmp -s '$S1/backup.pkg' '$t/gen2.pkg'"
curl -s -o "$t/gen2.p7" "$URL/v1/chips/$hex1/record"
check "the served record is format 2 (openssl cms -verify reads it)" bash -c \
	"openssl cms -verify -noverify -inform DER -binary -in '$t/gen2.p7' -out /dev/null 2>/dev/null"
expect 0 "recover --from that record saved with curl" "$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/gen2.p7"
before=$(snap "$S1")
expect 13 "an older generation (1) is refused" "$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/d1.ckpr"
check "... with a message naming both generations, store untouched" \
	bash -c "grep -q 'generation 1 but the device last held generation 2' '$t/last.err' && test '$(snap "$S1")' = '$before'"
expect 0 "--force allows the older generation" "$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/d1.ckpr" --force
check "... store back at generation 1" same_store "$t/orig1" "$S1"
# a recovery whose backup arrives late (a slow pipe, a slow --db) while
# another writer stores a newer generation: the writer looks at the floor
# again under its exclusive lock, so the late one is refused (13), never
# written over generation 2 (a review: exit 0, and the store back at
# generation 1)
# (in order, not by timing: the slow one has read its floor once it waits
# in read(2) on its stdin, /proc/PID/syscall "0 0x0 ..."; its archive is
# let through only after the other one has finished)
rm -f "$t/slow.go"
( while [ ! -e "$t/slow.go" ]; do sleep 0.05; done; cat "$t/d1.ckpr" ) |
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from - >"$t/slow.out" 2>"$t/slow.err" &
slow=$!
for _ in $(seq 1200); do grep -q '^0 0x0 ' "/proc/$slow/syscall" 2>/dev/null && break; sleep 0.05; done
check "a slow recovery (generation 1) has read the floor and waits for its archive on stdin" \
	grep -q '^0 0x0 ' "/proc/$slow/syscall"
expect 0 "meanwhile another recovery stores generation 2" \
	"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/gen2.pkg"
touch "$t/slow.go"
wait "$slow"
rc=$?
check "... the slow recovery of generation 1 is refused at its write (exit $rc, want 13), says why" \
	bash -c "test $rc -eq 13 && grep -q 'stored while this recovery ran' '$t/slow.err'"
check "... and did not roll the store back: generation 2 at the end" \
	bash -c "grep -q '\"generation\": 2' '$S1/store.json' && cmp -s '$S1/backup.pkg' '$t/gen2.pkg'"
"$ck" --device "$D1" recover --store "$S1" --no-keys --from "$t/d1.ckpr" --force >/dev/null 2>>"$t/cli.log"

# ---- database down
before=$(snap "$S1")
start=$(date +%s%N)
expect 10 "database down: retries, then a network error" \
	"$ck" -v --device "$D1" recover --store "$S1" --no-keys --db http://127.0.0.1:1 --timeout 1.5
el=$((($(date +%s%N) - start) / 1000000))
check "... retried with backoff ($(grep -c retrying "$t/last.err") retries) within the time limit (${el} ms)" \
	bash -c "test \$(grep -c retrying '$t/last.err') -ge 3 && test $el -ge 1400 && test $el -lt 6000"
check "... clear message, store untouched" \
	bash -c "grep -q 'is unreachable' '$t/last.err' && test '$(snap "$S1")' = '$before'"
expect 1 "a bad --timeout is a usage error" "$ck" --device "$D1" recover --store "$S1" --db "$URL" --timeout x
expect 2 "no device: exit 2" "$ck" --device "emu:$t/none.sock" recover --store "$S1" --db "$URL"

# ---- corrupted stores are detected
mkstore() { rm -rf "$1"; cp -a "$S1" "$1"; }
C=$t/corrupt
mkstore "$C"; flip_byte "$C/current/backup.pkg" 100
expect 15 "status: a flipped backup byte is detected" "$ck" --device "$D1" status --store "$C" --json
check "... state corrupt, reason names the file" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["store"]
assert j["state"] == "corrupt" and j["reason"].startswith("backup.pkg: size or SHA-256"), j
' "$t/last.out"
expect 15 "load refuses it too" "$ck" --device "$D1" load --store "$C" --keys "$t/kx"
mkstore "$C"; sed -i 's/"generation": 1/"generation": 3/' "$C/current/store.json"
expect 15 "status: an edited manifest is detected" "$ck" --device "$D1" status --store "$C"
mkstore "$C"; rm "$C/current/device-cert.der"
expect 15 "status: a missing file is detected" "$ck" --device "$D1" status --store "$C"
mkstore "$C"; rm -rf "$C/$(readlink "$C/current")"
expect 15 "status: current pointing at nothing is detected" "$ck" --device "$D1" status --store "$C"
mkstore "$C"; truncate -s 10 "$C/current/store.json"
expect 15 "status: a truncated manifest is detected" "$ck" --device "$D1" status --store "$C"
expect 18 "status: the intact store of another chip is not trusted (exit 18, not corrupt)" "$ck" --device "$D1" status --store "$t/s2"
check "... and says whose it is" grep -q "belongs to chip $hex2" "$t/last.out"

# ---- a store written before the manifest went through jansson still loads
# fixtures/store-format2: a chip (fuse image) and the store chipkey-agent
# wrote for it, manifest in the compact layout of the hand-written encoder
F=$TOP/userspace/recovery/tests/fixtures/store-format2
cp "$F/chip.bin" "$t/fx.bin" && chmod 600 "$t/fx.bin"
"$bin/chipkey-emu" --state "$t/fx.bin" --socket "$t/fx.sock" --foreground 2>>"$t/emu.log" &
pids+=($!)
check "fixture chip starts" bash -c "for _ in \$(seq 100); do [ -S '$t/fx.sock' ] && exit 0; sleep 0.05; done; exit 1"
FX=emu:$t/fx.sock
mkfx() { rm -rf "$1"; cp -a "$F/store" "$1"; }
mkfx "$t/fx"
check "fixture manifest has the old compact file entries" \
	grep -q '^    { "name": "backup.pkg", "size": ' "$t/fx/store.json"
# format 2 has no chip MAC: whoever can write the flash could have written
# it, so it is never trusted (docs/flash-store.md); recovery replaces it
expect 15 "format-2 store (no chip MAC): load refuses it" "$ck" --device "$FX" load --store "$t/fx" --keys "$t/fxk"
check "... says the manifest has no chip MAC" grep -q 'manifest has no chip MAC' "$t/last.err"
expect 15 "format-2 store: status is not healthy" "$ck" --device "$FX" status --store "$t/fx" --json
check "... \"authenticated\": false, state corrupt" \
	bash -c "grep -q '\"authenticated\": false' '$t/last.out' && grep -q '\"state\": \"corrupt\"' '$t/last.out'"
expect 15 "format-2 store: backup export refuses it" "$ck" --device "$FX" backup export "$t/fx.ckpr" --store "$t/fx"
expect 0 "format-2 store: recover from its raw backup package (no floor from it)" \
	"$ck" --device "$FX" recover --store "$t/fx" --no-keys --from "$t/fx/backup.pkg"
check "new manifest: the same object plus format 3 and a mac, one key per line" python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
mac = b.pop("mac"); b["format"] = 2
assert a == b and len(mac) == 64, (a, b)
assert open(sys.argv[2]).read().splitlines()[1] == "  \"format\": 3,"
' "$F/store/store.json" "$t/fx/store.json"
expect 0 "... and loads" "$ck" --device "$FX" load --store "$t/fx" --keys "$t/fxk"
cp -a "$t/fx" "$t/fxm"
mkfx() { rm -rf "$1"; cp -a "$t/fxm" "$1"; }
mkfx "$t/fx"; sed -i 's/"format": 3,/"format": 3, "extra": 1,/' "$t/fx/current/store.json"
expect 15 "manifest with an unknown key: corrupt" "$ck" --device "$FX" status --store "$t/fx"
mkfx "$t/fx"; sed -i 's/"generation": 1,/"generation": 1, "generation": 1,/' "$t/fx/current/store.json"
expect 15 "manifest with a duplicate key: corrupt" "$ck" --device "$FX" status --store "$t/fx"
mkfx "$t/fx"; sed -i 's/"chip_id": "\([0-9a-f]*\)"/"chip_id": "\U\1"/' "$t/fx/current/store.json"
expect 15 "manifest with an upper-case chip ID: corrupt" "$ck" --device "$FX" status --store "$t/fx"
mkfx "$t/fx"; sed -i 's/"generation": 1,/"generation": "1",/' "$t/fx/current/store.json"
expect 15 "manifest with a string generation: corrupt" "$ck" --device "$FX" status --store "$t/fx"
mkfx "$t/fx"; sed -i 's/"format": 3/"format": 4/' "$t/fx/current/store.json"
expect 15 "manifest of another format: corrupt" "$ck" --device "$FX" status --store "$t/fx" --json
check "... says the format is unknown" grep -q 'manifest is of an unknown format' "$t/last.out"
mkfx "$t/fx"; python3 -c '
import json, sys
m = json.load(open(sys.argv[1])); del m["mac"]; m["format"] = 2
open(sys.argv[1], "w").write(json.dumps(m, indent=2) + "\n")' "$t/fx/current/store.json"
expect 15 "a genuine manifest downgraded to format 2 (its mac removed): not trusted" "$ck" --device "$FX" status --store "$t/fx"
mkfx "$t/fx"; sed -i 's/^  \(.*\)$/\1/' "$t/fx/current/store.json"
expect 0 "manifest re-indented (the same JSON object): still intact" "$ck" --device "$FX" status --store "$t/fx"

# ---- boot script
boot() { CHIPKEY_BIN=$ck CHIPKEY_DEVICE=$D1 CHIPKEY_STORE=$1 CHIPKEY_KEYS=$t/kb CHIPKEY_PUBDB=$2 \
	CHIPKEY_TIMEOUT=1 CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" start; }
mkstore "$t/b1"
expect 0 "boot script: intact store is loaded" boot "$t/b1" "$URL"
check "... logged 'store intact', keys there" bash -c "grep -q 'store intact' '$t/last.err' && cmp -s '$t/kb/identity' '$S1/identity'"
flip_byte "$t/b1/current/identity" 0
expect 0 "boot script: corrupt store is detected and recovered" boot "$t/b1" "$URL"
check "... logged why, store healthy again" bash -c "grep -q 'store needs recovery (exit 15)' '$t/last.err' && '$ck' --device '$D1' status --store '$t/b1' >/dev/null"
rm -rf "$t/b2"
expect 0 "boot script: missing store is recovered" boot "$t/b2" "$URL"
check "... byte-identical to the original (the db's latest is generation 2)" \
	bash -c "cmp -s '$t/b2/backup.pkg' '$t/gen2.pkg' && cmp -s '$t/b2/identity' '$t/orig1/identity'"
# an offline archive (CHIPKEY_ARCHIVE) older than the store: an attacker
# who edits one byte of the manifest removes the floor; the boot restores
# the archive, then asks the database, which gives the newest generation
rm -rf "$t/b5" && cp -a "$t/b2" "$t/b5"
sed -i 's/"generation": 2,/"generation": 3,/' "$t/b5/current/store.json"
aboot() { CHIPKEY_BIN=$ck CHIPKEY_DEVICE=$D1 CHIPKEY_STORE=$t/b5 CHIPKEY_KEYS=$t/kb5 CHIPKEY_PUBDB=$1 \
	CHIPKEY_ARCHIVE=$t/d1.ckpr CHIPKEY_TIMEOUT=1 CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" start; }
check "(a generation-2 store, its manifest edited)" grep -q '"generation": 3,' "$t/b5/store.json"
expect 0 "boot script, manifest edited, archive of generation 1 configured: recovered" aboot "$URL"
check "... from the archive, then the database: generation 2 (the database's newest), not the archive's 1" \
	bash -c "grep -q 'recovering from the offline archive' '$t/last.err' && grep -q 'checking $URL for a newer' '$t/last.err' &&
		grep -q '\"generation\": 2' '$t/b5/store.json' && cmp -s '$t/b5/backup.pkg' '$t/gen2.pkg'"
rm -rf "$t/b5" && cp -a "$t/b2" "$t/b5"
sed -i 's/"generation": 2,/"generation": 3,/' "$t/b5/current/store.json"
expect 0 "... the database down: the archive's generation 1 stays, with a warning (keys available)" aboot http://127.0.0.1:1
check "... generation 1, warned" \
	bash -c "grep -q '\"generation\": 1' '$t/b5/store.json' && grep -q 'could not be checked' '$t/last.err' && test -s '$t/kb5/identity'"
# chipkey-boot load (chipkey-load.service): never recovers, never the network
bootload() { CHIPKEY_BIN=$ck CHIPKEY_DEVICE=$D1 CHIPKEY_STORE=$1 CHIPKEY_KEYS=$t/kl CHIPKEY_PUBDB=$URL \
	CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" load; }
expect 0 "boot script load: intact store is loaded" bootload "$t/b2"
check "... keys there" cmp -s "$t/kl/identity" "$S1/identity"
rm -rf "$t/b4"
expect 16 "boot script load: missing store: exit 16, no recovery (the database is up)" bootload "$t/b4"
check "... nothing recovered, nothing fetched" bash -c "test ! -e '$t/b4/current' && ! grep -q 'recovering' '$t/last.err'"
rm -rf "$t/b3"
expect 10 "boot script: missing store, database down: fails with the recovery's exit code" boot "$t/b3" http://127.0.0.1:1
check "... logged the reason, wrote no store" bash -c "grep -q 'recovery failed (exit 10)' '$t/last.err' && test ! -e '$t/b3/current'"

# ---- the store of another chip (wrong CHIPKEY_DEVICE, or forged from
# another device's public record): refused unless asked, never deleted
mkstore "$t/oc"
before=$(snap "$t/oc")
# the other chip's store kept aside, byte for byte: DIR/other-chip-HEX
aside_is() { for f in backup.pkg device-cert.der identity store.json; do
	cmp -s "$1/other-chip-$2/$f" "$3/current/$f" || return 1; done; }
expect 18 "load: a store of another chip is reported as such (exit 18)" "$ck" --device "$D2" load --store "$t/oc" --keys "$t/kx"
check "... the message names both chips" grep -q "belongs to chip $hex1, this chip is $hex2" "$t/last.err"
expect 18 "recover over an intact store of another chip is refused without --replace-other-chip" \
	"$ck" --device "$D2" recover --store "$t/oc" --no-keys --db "$URL"
check "... store untouched" test "$(snap "$t/oc")" = "$before"
expect 18 "backup export of another chip's store is refused" "$ck" --device "$D2" backup export "$t/oc.ckpr" --store "$t/oc"
rm -rf "$t/oc1" && cp -a "$t/oc" "$t/oc1"
ocboot() { CHIPKEY_BIN=$ck CHIPKEY_DEVICE=$1 CHIPKEY_STORE=$t/oc CHIPKEY_KEYS=$2 CHIPKEY_PUBDB=$URL \
	CHIPKEY_TIMEOUT=5 CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" start; }
expect 0 "boot script with CHIPKEY_DEVICE naming another chip (D2): recovers D2's store over it" ocboot "$D2" "$t/kb2"
check "... warns that the store is another chip's and where it is kept" \
	bash -c "grep -q 'belongs to another chip' '$t/last.err' && grep -q 'kept aside in $t/oc/other-chip-' '$t/last.err'"
check "... D2's store and keys now (identity $id2)" \
	bash -c "$(declare -f same_store); same_store '$t/s2' '$t/oc' && test \"\$(tr -d '\n' <'$t/kb2/identity')\" = '$id2'"
check "... chip 1's store is not deleted: other-chip-$hex1 holds it byte for byte" aside_is "$t/oc" "$hex1" "$t/oc1"
check "... and nothing reads it: load with D2 is healthy" bash -c "'$ck' --device '$D2' load --store '$t/oc' --keys '$t/kb2' >/dev/null"
expect 0 "the right device (D1) again: its store recovered over D2's, D2's kept aside" ocboot "$D1" "$t/kb1"
check "... D1's identity, both other chips' stores kept" \
	bash -c "test \"\$(tr -d '\n' <'$t/kb1/identity')\" = '$id1' && test -d '$t/oc/other-chip-$hex1' && test -d '$t/oc/other-chip-$hex2'"
check "... status with D1 is healthy" bash -c "'$ck' --device '$D1' status --store '$t/oc' >/dev/null"
# An attacker who writes D1's flash forges a store under chip 2's name from
# chip 2's public record (backup and certificate), with a made-up MAC:
# D1 cannot check it (only chip 2 can), and must not stop recovering.
python3 "$TOP/userspace/recovery/tests/forge-store.py" write "$t/fg" "$hex2" "$id2" 1 \
	"$t/s2/backup.pkg" "$t/s2/device-cert.der" random
expect 18 "a store forged under chip 2's name in D1's flash: load says another chip's (exit 18)" \
	"$ck" --device "$D1" load --store "$t/fg" --keys "$t/kf"
fgboot() { CHIPKEY_BIN=$ck CHIPKEY_DEVICE=$D1 CHIPKEY_STORE=$t/fg CHIPKEY_KEYS=$t/kf CHIPKEY_PUBDB=$URL \
	CHIPKEY_TIMEOUT=5 CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" start; }
expect 0 "... the boot recovers D1's own store over it (no --force, no operator)" fgboot
check "... D1's identity and keys, the forged store kept aside, the next boot just loads" \
	bash -c "test \"\$(tr -d '\n' <'$t/kf/identity')\" = '$id1' && test -d '$t/fg/other-chip-$hex2' &&
		grep -q 'recovering from' '$t/last.err'"
expect 0 "... next boot: intact store loaded, no recovery" fgboot
check "... it did not recover again" bash -c "grep -q 'store intact' '$t/last.err' && ! grep -q 'recovering from' '$t/last.err'"
mkstore "$t/oc"
expect 0 "recover --force replaces another chip's store (explicit)" \
	"$ck" --device "$D2" recover --store "$t/oc" --no-keys --db "$URL" --force
check "... it now holds this chip's store, the other one kept aside" \
	bash -c "$(declare -f same_store); same_store '$t/s2' '$t/oc' && test -d '$t/oc/other-chip-$hex1'"
# a second write of the same chip replaces nothing of the other chip's
expect 0 "a later recovery of this chip keeps the other chip's store" \
	"$ck" --device "$D2" recover --store "$t/oc" --no-keys --db "$URL"
check "... other-chip-$hex1 still holds chip 1's store" aside_is "$t/oc" "$hex1" "$t/oc1"

# ---- the store directory's own entry is in the flash too (/flash/chipkey):
# a file, a symlink loop, a dangling symlink or a symlink to a directory
# elsewhere in its place is a corrupt store, which the boot recovers, and
# no write or removal of leftovers ever goes through it
F=$t/flash
mkdir -p "$F"
sdboot() { CHIPKEY_BIN=$ck CHIPKEY_DEVICE=$D1 CHIPKEY_STORE=$F/chipkey CHIPKEY_KEYS=$t/ksd CHIPKEY_PUBDB=$URL \
	CHIPKEY_TIMEOUT=5 CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" start; }
for kind in file loop dangling; do
	rm -rf "$F/chipkey" "$t/ksd"
	case $kind in
	file) echo junk >"$F/chipkey" ;;
	loop) ln -s chipkey "$F/chipkey" ;;
	dangling) ln -s /nonexistent-dir/x "$F/chipkey" ;;
	esac
	expect 15 "a $kind in place of the store directory: load says corrupt (15), not 8" \
		"$bin/chipkey-load" --device "$D1" --store "$F/chipkey" --keys "$t/ksd"
	check "... the reason says so" grep -q "is not a directory" "$t/last.err"
	expect 0 "... the boot recovers it (no --force)" sdboot
	check "... a real directory now, D1's identity in the keys" \
		bash -c "test -d '$F/chipkey' -a ! -L '$F/chipkey' && test \"\$(tr -d '\n' <'$t/ksd/identity')\" = '$id1'"
done
rm -rf "$F/chipkey" "$t/victim" "$t/ksd"
mkdir -p "$t/victim/current/sub" "$t/victim/store-archive"
for f in current/sub/data identity .config.tmp store-archive/x backup.pkg; do echo precious >"$t/victim/$f"; done
vsnap() { (cd "$t/victim" && find . -printf '%p %y %s\n' | sort && cat identity current/sub/data) | sha256sum; }
vbefore=$(vsnap)
ln -s "$t/victim" "$F/chipkey"
expect 15 "a symlink to a directory elsewhere in place of the store directory: load says corrupt (15)" \
	"$bin/chipkey-load" --device "$D1" --store "$F/chipkey" --keys "$t/ksd"
expect 0 "... recover (no --force) writes a store of its own there" \
	"$ck" --device "$D1" recover --store "$F/chipkey" --no-keys --db "$URL"
check "... nothing in the directory it pointed at was written or removed" test "$(vsnap)" = "$vbefore"
check "... the store path is a real directory holding D1's store" \
	bash -c "test -d '$F/chipkey' -a ! -L '$F/chipkey' && '$ck' --device '$D1' status --store '$F/chipkey' >/dev/null"
# the same with a trailing slash in CHIPKEY_STORE (a slash makes open()
# and lstat() follow a symlink): still never followed
rm -rf "$F/chipkey" "$t/ksd"
ln -s "$t/victim" "$F/chipkey"
expect 15 "... with a trailing slash (--store $F/chipkey/): still corrupt (15), not followed" \
	"$bin/chipkey-load" --device "$D1" --store "$F/chipkey/" --keys "$t/ksd"
expect 0 "... the boot with CHIPKEY_STORE=$F/chipkey/ recovers" \
	env CHIPKEY_BIN="$ck" CHIPKEY_DEVICE="$D1" CHIPKEY_STORE="$F/chipkey/" CHIPKEY_KEYS="$t/ksd" CHIPKEY_PUBDB="$URL" \
	CHIPKEY_TIMEOUT=5 CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" start
check "... the directory it pointed at untouched, the store a real directory" \
	bash -c "test '$(vsnap)' = '$vbefore' && test -d '$F/chipkey' -a ! -L '$F/chipkey'"
# what the flash holds goes to logs and terminals made printable
rm -f "$F/chipkey/current"
ln -s "$(printf 'store-1-\033[2J\nchipkey-boot: store intact')" "$F/chipkey/current"
expect 15 "current pointing at a name with an escape and a newline: corrupt (15)" \
	"$ck" --device "$D1" status --store "$F/chipkey"
check "... no escape byte and no forged line in what status prints" \
	bash -c "! grep -q \$'\\033' '$t/last.out' '$t/last.err' && ! grep -q '^chipkey-boot: store intact' '$t/last.out' '$t/last.err'"

# ---- the rollback floor: only a manifest the chip authenticates sets it
R=$t/rb
rm -rf "$R"
"$ck" --device "$D1" recover --store "$R" --no-keys --from "$t/gen2.pkg" >/dev/null 2>&1
check "a generation-2 store for the rollback tests" grep -q '"generation": 2' "$R/store.json"
flip_byte "$R/current/backup.pkg" 100
before=$(snap "$R")
expect 13 "damaged backup.pkg under a genuine manifest: the floor (2) stands, generation 1 refused" \
	"$ck" --device "$D1" recover --store "$R" --no-keys --from "$t/d1.ckpr"
check "... says generation 2, store untouched" \
	bash -c "grep -q 'generation 1 but the device last held generation 2' '$t/last.err' && test '$(snap "$R")' = '$before'"
expect 0 "... --force still allows it" "$ck" --device "$D1" recover --store "$R" --no-keys --from "$t/d1.ckpr" --force
rm -rf "$R"
expect 0 "a fully wiped flash has no floor (documented): generation 1 accepted" \
	"$ck" --device "$D1" recover --store "$R" --no-keys --from "$t/d1.ckpr"
. "$TOP/userspace/recovery/tests/attacks.sh"

# ---- HTTP client against a misbehaving server
fakedb() { # fakedb NAME RECORD MODES: start it, set FURL
	rm -f "$t/$1.port"
	/usr/bin/python3 "$TOP/userspace/recovery/tests/fake-pubdb.py" "$t/$1.port" "$t/$1.log" "$2" "$3" 2>>"$t/fake.log" &
	pids+=($!)
	wait_file "$t/$1.port" && FURL=http://127.0.0.1:$(cat "$t/$1.port")
}
conns() { if [ -f "$t/$1.log" ]; then wc -l <"$t/$1.log"; else echo 0; fi; }
fakedb f1 "$t/d1.ckpr" cut,full
rm -rf "$t/h1"
expect 0 "a body cut short of its Content-Length is retried, then the full record is accepted" \
	"$ck" -v --device "$D1" recover --store "$t/h1" --no-keys --db "$FURL" --timeout 10
check "... two connections ($(conns f1)), the first one reported as cut short, store byte-identical" \
	bash -c "test $(conns f1) -eq 2 && grep -q 'body cut short' '$t/last.err' && $(declare -f same_store); same_store '$t/orig1' '$t/h1'"
fakedb f2 "$t/d1.ckpr" hdrcut,e503,full
rm -rf "$t/h2"
expect 0 "a header cut short and a 503 are retried" "$ck" --device "$D1" recover --store "$t/h2" --no-keys --db "$FURL" --timeout 10
check "... three connections ($(conns f2))" test "$(conns f2)" -eq 3
fakedb f3 "$t/d1.ckpr" redirect,full
expect 8 "a 3xx answer is final, not retried" "$ck" --device "$D1" recover --store "$t/h3" --no-keys --db "$FURL" --timeout 10
check "... one connection ($(conns f3)), message says redirects are not followed" \
	bash -c "test $(conns f3) -eq 1 && grep -q 'redirects are not followed' '$t/last.err'"
fakedb f4 "$t/d1.ckpr" chunked,full
expect 8 "a chunked answer is refused, not retried" "$ck" --device "$D1" recover --store "$t/h4" --no-keys --db "$FURL" --timeout 10
check "... one connection ($(conns f4)), message says so" bash -c "test $(conns f4) -eq 1 && grep -q 'chunked' '$t/last.err'"
fakedb f5 "$t/d1.ckpr" nolength,full
expect 8 "a 200 without Content-Length is refused" "$ck" --device "$D1" recover --store "$t/h5" --no-keys --db "$FURL" --timeout 10
fakedb f6 "$t/d1.ckpr" huge
expect 7 "a Content-Length over the limit: too large, at once" "$ck" --device "$D1" recover --store "$t/h6" --no-keys --db "$FURL" --timeout 10
fakedb f7 "$t/d1.ckpr" bigheader
expect 7 "a response header over 16 KiB: too large" "$ck" --device "$D1" recover --store "$t/h7" --no-keys --db "$FURL" --timeout 10
fakedb f8 "$t/d1.ckpr" cut
expect 10 "a body always cut short: network error after the time limit" "$ck" --device "$D1" recover --store "$t/h8" --no-keys --db "$FURL" --timeout 1
check "... retried ($(conns f8) connections), no store written" bash -c "test $(conns f8) -ge 3 && test ! -e '$t/h8/current'"
check "chipkey-pubdb sends Content-Length (what the client requires)" \
	bash -c "curl -s -0 -D - -o /dev/null '$URL/v1/chips/$hex1/record' | grep -qi '^Content-Length: [0-9]'"
. "$TOP/userspace/recovery/tests/attacks-db.sh"

# ---- readers wait for a writer (shared lock)
mkstore "$t/lk"
cur=$(readlink "$t/lk/current")
rm -f "$t/lk.held"
flock -x "$t/lk/.lock" sh -c "mv '$t/lk/$cur' '$t/lk/$cur.moving'; touch '$t/lk.held'; sleep 1; mv '$t/lk/$cur.moving' '$t/lk/$cur'" &
lpid=$!
for _ in $(seq 100); do [ -e "$t/lk.held" ] && break; sleep 0.02; done
start=$(date +%s%N)
expect 0 "status during a (simulated) store rewrite waits for the writer's lock and sees an intact store" \
	"$ck" --device "$D1" status --store "$t/lk"
el=$((($(date +%s%N) - start) / 1000000))
wait $lpid
check "... it waited for the lock (${el} ms)" test "$el" -ge 500

# ---- no real-time clock: the wall clock at 1970 (non-ASan CLI: LD_PRELOAD)
fc=$BUILD/tests/recovery/fake-clock.so
nck=$bin/chipkey
check "the fake-clock shim works (date says 1970)" bash -c "test \"\$(LD_PRELOAD='$fc' date -u +%Y)\" = 1970"
at1970() { LD_PRELOAD=$fc "$@"; }
mkstore "$t/rtc"
rm -rf "$t/krtc"
expect 0 "clock at 1970: chipkey load verifies and loads the keys (no validity-period check)" \
	at1970 "$nck" --device "$D1" load --store "$t/rtc" --keys "$t/krtc"
check "... keys written" cmp -s "$t/krtc/device-key.pem" "$t/k1/device-key.pem"
expect 0 "clock at 1970: status is healthy, validity reported as unknown" \
	at1970 "$nck" --device "$D1" status --store "$t/rtc" --json
check "... \"validity\": \"unknown\", certificate valid" \
	bash -c "grep -q '\"validity\": \"unknown\"' '$t/last.out' && grep -q '\"valid\": true' '$t/last.out'"
expect 0 "status with a set clock reports the validity period as current" "$ck" --device "$D1" status --store "$t/rtc" --json
check "... \"validity\": \"current\"" grep -q '"validity": "current"' "$t/last.out"
rm -rf "$t/rtc" "$t/krtc"
expect 0 "clock at 1970: recover --db works" at1970 "$nck" --device "$D1" recover --store "$t/rtc" --keys "$t/krtc" --db "$URL"
rm -rf "$t/rtc"
expect 11 "clock at 1970: a certificate signed by another key is still refused" \
	at1970 "$nck" --device "$D1" recover --store "$t/rtc" --no-keys --from "$t/rogue.ckpr"
expect 12 "clock at 1970: another identity is still refused" \
	at1970 "$nck" --device "$D1" recover --store "$t/rtc" --no-keys --from "$t/other-id.ckpr"
rm -rf "$t/rtc" "$t/krtc"
rtcboot() { LD_PRELOAD=$fc CHIPKEY_BIN=$nck CHIPKEY_DEVICE=$D1 CHIPKEY_STORE=$t/rtc CHIPKEY_KEYS=$t/krtc \
	CHIPKEY_PUBDB=$URL CHIPKEY_TIMEOUT=5 CHIPKEY_RECOVERY_CONF=/nonexistent sh "$TOP/userspace/boot/chipkey-boot" start; }
expect 0 "clock at 1970: the boot script restores a wiped store and creates the keys directory" rtcboot
check "... keys there" test -s "$t/krtc/device-key.pem"
expect 0 "clock at 1970: next boot loads the intact store" rtcboot
check "... logged 'store intact'" grep -q 'store intact' "$t/last.err"

# ---- the keys directory is switched as a whole
"$bin/chipkey" --device "$D1" unwrap "$S1/backup.pkg" "$t/dpk" 2>>"$t/cli.log"
"$tools/rec-tool" dp-drop-ca "$t/dpk" "$t/dpk3"
"$bin/chipkey" --device "$D1" wrap --generation 3 "$t/dpk3" "$t/gen3.pkg" 2>>"$t/cli.log"
rm -f "$t/dpk" "$t/dpk3"
rm -rf "$t/ksa" "$t/ksb" "$t/pk"
"$ck" --device "$D1" recover --store "$t/ksa" --no-keys --from "$t/d1.ckpr" >/dev/null 2>>"$t/cli.log"
"$ck" --device "$D1" recover --store "$t/ksb" --no-keys --from "$t/gen3.pkg" >/dev/null 2>>"$t/cli.log"
check "stores A (generation 1) and B (generation 3, no mfr-ca.pem in the package)" \
	bash -c "grep -q '\"generation\": 1' '$t/ksa/store.json' && grep -q '\"generation\": 3' '$t/ksb/store.json'"
mkdir -p "$t/pk"
ln -s /nonexistent "$t/pk/link"
expect 17 "a keys path that is a symlink is refused" "$ck" --device "$D1" load --store "$t/ksa" --keys "$t/pk/link"
rm "$t/pk/link"
# one writer of a keys directory at a time (.NAME.keys.lock beside it): a
# second writer used to remove the first one's half-filled directory as a
# leftover, leaving keys without device-key.pem (a review: 1 in ~170 runs
# of two chipkey-load at once).  A held lock: the load waits, writes
# nothing, then completes.
mkdir -p "$t/kw"
: >"$t/.kw.keys.lock"
exec 8<"$t/.kw.keys.lock"
flock 8
"$bin/chipkey-load" --device "$D1" --store "$t/ksa" --keys "$t/kw" >"$t/kw.out" 2>&1 8<&- &
klp=$!
ino=$(stat -c %i "$t/.kw.keys.lock")
for _ in $(seq 200); do grep -q -- "-> FLOCK .*:$ino " /proc/locks && break; sleep 0.05; done
check "a keys writer waits for the holder of .NAME.keys.lock beside the directory (a blocked flock)" \
	grep -q -- "-> FLOCK .*:$ino " /proc/locks
check "... and has written nothing meanwhile" bash -c "[ -z \"\$(ls -A '$t/kw')\" ]"
exec 8<&-
wait "$klp"
check "... then completes once the lock is released (exit $?)" test -s "$t/kw/device-key.pem"
want=$(ls "$t/kw" | tr '\n' ' ')
bad=0
for _ in $(seq 30); do
	"$bin/chipkey-load" --device "$D1" --store "$t/ksa" --keys "$t/kw" >/dev/null 2>>"$t/kw.err" & a=$!
	"$bin/chipkey-load" --device "$D1" --store "$t/ksa" --keys "$t/kw" >/dev/null 2>>"$t/kw.err" & b=$!
	wait $a || bad=$((bad + 1)); wait $b || bad=$((bad + 1))
	[ "$(ls "$t/kw" | tr '\n' ' ')" = "$want" ] || bad=$((bad + 100))
done
check "two chipkey-load at once, 30 rounds: every one exits 0 and leaves the whole set ($bad)" test "$bad" = 0
# status says the keys are loaded only for this identity and generation,
# with the device key there (it said so of a directory without it)
expect 0 "status of store A with its keys" "$ck" --device "$D1" status --store "$t/ksa" --keys "$t/kw"
check "... keys: loaded" grep -q "^keys: *loaded in" "$t/last.out"
mv "$t/kw/device-key.pem" "$t/kw-key.pem"
expect 0 "status with device-key.pem missing from the keys directory" \
	"$ck" --device "$D1" status --store "$t/ksa" --keys "$t/kw"
check "... keys: not loaded" grep -q "^keys: *not loaded in" "$t/last.out"
mv "$t/kw-key.pem" "$t/kw/device-key.pem"
echo 7 >"$t/kw/generation"
expect 0 "status with the keys of another generation (7, the store holds 1)" \
	"$ck" --device "$D1" status --store "$t/ksa" --keys "$t/kw"
check "... keys: not loaded" grep -q "^keys: *not loaded in" "$t/last.out"
# tap_merge NAME CMD...: run a TAP-printing tool, count its results as ours
tap_merge() { local name=$1 rc line; shift
	ASAN_OPTIONS=detect_leaks=0 "$@" >"$t/$name.out" 2>"$t/$name.log"
	rc=$?
	grep '^#' "$t/$name.out"
	while read -r line; do
		case $line in
		"ok "*) ok "${line#ok * - }" ;;
		"not ok "*) nok "${line#not ok * - }" ;;
		esac
	done <"$t/$name.out"
	return $rc; }
tap_merge plk "$tools/power-loss" keys "$D1" "$t/ksa" "$t/ksb" "$t/pk/keys" "${KEYS_RUNS:-300}"
rc=$?
check "keys power-loss driver exit status (exit $rc)" test $rc -eq 0

# ---- power loss
if [ "$PL_RUNS" -gt 0 ]; then
	"$bin/chipkey" --device "$D1" backup export "$t/gen2.ckpr" --store "$t/b2" 2>/dev/null
	tap_merge pl "$tools/power-loss" "$D1" "$t/pl" "$t/d1.ckpr" "$t/gen2.ckpr" "$PL_RUNS"
	rc=$?
	check "power-loss driver exit status (exit $rc)" test $rc -eq 0
fi

# ---- a generation voided by the manufacturer (docs/pubdb-api.md "Voiding a generation")
# (last: it changes what the database serves as chip 1's latest)
expect 0 "the manufacturer voids chip 1's generation 2 (chipkey-pubdb-put --void)" \
	"$bin/chipkey-pubdb-put" --void --url "$URL" --key "$t/fac/mfr-key.pem" --cert "$t/fac/mfr-ca.pem" \
	--chip "$hex1" --generation 2 --reason "test: recalled"
rm -rf "$t/sv"
expect 0 "recover --db then restores generation 1, the newest not voided" \
	"$ck" -v --device "$D1" recover --store "$t/sv" --no-keys --db "$URL"
check "... the store holds generation 1" grep -q '"generation": 1' "$t/sv/store.json"
check "... byte for byte" cmp -s "$t/orig1/backup.pkg" "$t/sv/backup.pkg"
# generation 3 (newest + 1, by the device of generation 1) whose last byte
# is changed: the database takes it (it checks the header), the chip does
# not, so recovery falls back through the list and skips the voided 2
cp "$t/gen3.pkg" "$t/gen3-bad.pkg"
flip_byte "$t/gen3-bad.pkg" $(($(stat -c %s "$t/gen3.pkg") - 1))
expect 0 "the device posts a generation 3 the chip will not unwrap" \
	"$bin/chipkey-pubdb-put" --url "$URL" --key "$t/k1/device-key.pem" --cert "$t/k1/device-cert.pem" \
	--chip "$hex1" --generation 3 --identity "$id1" --backup "$t/gen3-bad.pkg" \
	--device-cert "$t/orig1/device-cert.der"
rm -rf "$t/sv"
expect 0 "recover --db falls back past generation 3 and the voided 2 to generation 1" \
	"$ck" -v --device "$D1" recover --store "$t/sv" --no-keys --db "$URL"
check "... the store holds generation 1" grep -q '"generation": 1' "$t/sv/store.json"
check "... and -v reports the voided generation 2 it skipped" \
	grep -q "generation 2 is voided by the manufacturer (test: recalled): skipped" "$t/last.err"

# ---- the key hierarchy: revocation and foreign issuing CAs
. "$TOP/userspace/recovery/tests/hierarchy.sh"
. "$TOP/userspace/recovery/tests/agent-trust.sh"

echo "1..$n"
[ "$failed" -eq 0 ]
