#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job (`make demo`): the whole story on the embedded defaults.
#
#  1. a factory is set up: manufacturer key + CA (its public key goes into
#     every chip's ROM), master key, SPP credential, a pool of identities in
#     SQLite, some pre-generated device key pairs;
#  2. the public database (chipkey-pubdb) and the secure processing point
#     (chipkey-spp) start on 127.0.0.1;
#  3. a chip vendor (chipkey-fuse ca) programs a batch of chips (each its
#     own fuse image and chipkey-emu process) and issues each a chip
#     certificate for its attestation key; the factory loads the batch into
#     its database (chipkey-factory load-chips): the SPP serves only those
#     chips, and a chip outside the batch is refused; the batch is
#     provisioned by chipkey-agent, several at once (provisioning protocol
#     2: the data package travels sealed to the chip's attestation key);
#  4. where the backups are: the pubdb URL, a record fetched with curl, the
#     SQLite file, a device's flash store;
#  5. one device loses its flash; `chipkey recover --db URL` brings back the
#     same identity, certificate and keys (sha256 before = after);
#  6. a tampered backup and another chip's backup are refused, and the
#     device's store is left untouched;
#  7. Debian's kernel boots in QEMU (TCG) with chipkey.ko reading the SAME
#     fuses as device 1: the real module opens the backup the factory stored
#     for that device, and makes one of its own;
#  8. back on the host, the emulator opens the kernel's package.
#
# Everything is left in build/demo/; every server is stopped at the end.
# Exit status 0 only if every step succeeded.
#   DEMO_DEVICES=N (default 20), DEMO_PARALLEL=N (default 4)
#   DEMO_NO_VM=1 stops after step 6 (no QEMU: the fresh-clone test uses it)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# flip_byte FILE OFFSET (the one copy the tests use)
. "$top/userspace/common/tests/flip.sh"
bin=$top/build/bin
d=$top/build/demo
NDEV=${DEMO_DEVICES:-20}
PAR=${DEMO_PARALLEL:-4}
[ "$PAR" -le "$NDEV" ] || PAR=$NDEV
LOST=$(( NDEV >= 7 ? 7 : NDEV ))       # the device that loses its flash
OTHER=$(( LOST % NDEV + 1 ))           # another device

umask 077
for b in chipkey chipkey-emu chipkey-fuse chipkey-factory chipkey-spp chipkey-pubdb chipkey-agent; do
	[ -x "$bin/$b" ] || { echo "demo: $bin/$b is not built (run make)" >&2; exit 1; }
done
for tool in openssl curl sqlite3 sha256sum; do
	command -v "$tool" >/dev/null || { echo "demo: $tool is not installed (scripts/setup-debian.sh)" >&2; exit 1; }
done

# Servers and emulators: started in the foreground of a background job, so
# that their pids are ours to stop.
pids=()
current="start"
cleanup() {
	rc=$?
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$rc" -ne 0 ]; then
		printf '\nDEMO FAILED in step "%s" (exit %s). Logs: %s/logs/\n' "$current" "$rc" "$d" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
NSTEPS=8
step() {
	current="$2"
	printf '\n\033[1m=== [%s/%s] %s\033[0m   (t+%s)\n' "$1" "$NSTEPS" "$2" "$(elapsed)"
}
[ -t 1 ] || step() {
	current="$2"
	printf '\n=== [%s/%s] %s   (t+%s)\n' "$1" "$NSTEPS" "$2" "$(elapsed)"
}
say() { printf '    %s\n' "$*"; }
# show CMD...: print a command line as it can be typed in the top directory
show() {
	local a out='$'
	for a in "$@"; do
		a=${a//"$top/"/}
		case $a in *' '*) a="\"$a\"" ;; esac
		out="$out $a"
	done
	printf '%s%s\n' "$out" "${SHOW_SUFFIX:-}"
}
run() { show "$@"; "$@"; }
die() { echo "DEMO FAILED: $*" >&2; exit 1; }
# expect_exit WANT CMD...: run a command that must fail with exit status WANT
expect_exit() {
	local want=$1 rc=0
	shift
	show "$@"
	"$@" || rc=$?
	[ "$rc" -eq "$want" ] || die "'$*' exited $rc, expected $want"
	say "-> exit $rc, as expected"
}
wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
chip_hex() { "$bin/chipkey" --device "$1" info --json | sed -n 's/.*"chip_id": *"\([0-9a-f]*\)".*/\1/p'; }
# short (shortened) display of long lines: JSON strings, base64
short() { sed -E 's/("(certificate|backup)": ")([^"]{40})[^"]*"/\1\3..."/'; }
dev() { printf 'dev%02d' "$1"; }
sock() { echo "emu:$d/devices/$(dev "$1")/chip.sock"; }

rm -rf "$d"
mkdir -p "$d/logs" "$d/devices"
chmod 700 "$d"
printf 'chipkey demo: a factory, %s devices, a lost flash and its recovery, the real module in a VM.\n' "$NDEV"
printf 'Everything goes to %s (logs in logs/).\n' "$d"

# ---------------------------------------------------------------------------
step 1 "Set up a factory"
db=$d/factory.db
pdb=$d/public.db	# the public database: its own file, all chipkey-pubdb can open
SHOW_SUFFIX=" > ${d#"$top/"}/identity-pool.txt" show "$bin/chipkey-factory" identities --prefix 35840000 --count $((NDEV + 20))
"$bin/chipkey-factory" identities --prefix 35840000 --count $((NDEV + 20)) >"$d/identity-pool.txt"
say "identity pool: $(wc -l <"$d/identity-pool.txt") IMEI-style identities, e.g. $(head -1 "$d/identity-pool.txt") (Luhn check digit last)"
run "$bin/chipkey-factory" init "$d/factory" --org "Demo Devices Ltd" --db "sqlite:$db" \
	--pool "$d/identity-pool.txt" --pregen $((NDEV / 2))
ls -l "$d/factory" | sed 's/^/    /'
say "manufacturer CA: $(openssl x509 -in "$d/factory/mfr-ca.pem" -noout -subject)"
say "ROM key (goes into every chip's fuses): $d/factory/mfr-pubkey.der, sha256 $(sha256sum <"$d/factory/mfr-pubkey.der" | cut -c1-16)..."

# ---------------------------------------------------------------------------
step 2 "Start the public database (chipkey-pubdb) and the SPP (chipkey-spp) on 127.0.0.1"
"$bin/chipkey-pubdb" --db "sqlite:$pdb" --listen 127.0.0.1:0 --writers "$d/factory/mfr-ca.pem" \
	--port-file "$d/pubdb.port" 2>"$d/logs/pubdb.log" &
pids+=($!)
wait_file "$d/pubdb.port" || die "chipkey-pubdb did not start (logs/pubdb.log)"
URL=http://127.0.0.1:$(cat "$d/pubdb.port")
"$bin/chipkey-spp" --factory "$d/factory" --db "sqlite:$db" --public-db "sqlite:$pdb" --listen 127.0.0.1:0 \
	--port-file "$d/spp.port" --workers 16 --max-per-ip $((2 * PAR)) 2>"$d/logs/spp.log" &
pids+=($!)
wait_file "$d/spp.port" || die "chipkey-spp did not start (logs/spp.log)"
SPP=127.0.0.1:$(cat "$d/spp.port")
say "chipkey-pubdb  $URL   (anyone may read; only the factory's SPP may write)"
say "chipkey-spp    $SPP   (TLS 1.3; devices check its credential against their ROM key; only factory stations with the station certificate may connect)"
say "two SQLite files: the factory's $db (temporary and secret databases) and the public $pdb (chipkey-pubdb opens only that one)"

# ---------------------------------------------------------------------------
step 3 "A chip vendor makes $NDEV chips; the factory loads the batch and provisions it ($PAR at a time)"
v=$d/chip-vendor
mkdir -p "$v"
say "the chip vendor's CA (it vouches for each chip's attestation key; its key stays with the vendor):"
run "$bin/chipkey-fuse" ca --out-key "$v/vendor-ca.key" --out-cert "$v/vendor-ca.pem" \
	--subject "/O=Demo Chips Inc/CN=Demo Chips chip-vendor CA"
say "each chip: its own fuse image (random chip key + the factory's ROM key), its chip certificate"
say "(its attestation key Q, derived from the chip key, signed by the vendor CA), its own chipkey-emu process"
show "$bin/chipkey-fuse" create "$d/devices/devNN/fuse.bin" --rom-key "$d/factory/mfr-pubkey.der" \
	--cert "$d/devices/devNN/chip-cert.pem" --ca-key "$v/vendor-ca.key" --ca-cert "$v/vendor-ca.pem"
make_chip() { # make_chip DIR: fuse image + chip certificate, then its emulator
	"$bin/chipkey-fuse" create "$1/fuse.bin" --rom-key "$d/factory/mfr-pubkey.der" \
		--cert "$1/chip-cert.pem" --ca-key "$v/vendor-ca.key" --ca-cert "$v/vendor-ca.pem" >/dev/null
	cp "$1/fuse.bin" "$1/chip.state"
	"$bin/chipkey-emu" --state "$1/chip.state" --socket "$1/chip.sock" --foreground \
		2>>"$d/logs/emulators.log" &
	pids+=($!)
}
for i in $(seq "$NDEV"); do
	mkdir -p "$d/devices/$(dev "$i")"
	make_chip "$d/devices/$(dev "$i")"
done
# one more chip of the same vendor, never shipped to this factory
stray=$d/devices/stray
mkdir -p "$stray"
make_chip "$stray"
for s_ in $(seq "$NDEV") stray; do
	case $s_ in stray) sd_=$stray ;; *) sd_=$d/devices/$(dev "$s_") ;; esac
	for _ in $(seq 200); do [ -S "$sd_/chip.sock" ] && break; sleep 0.02; done
	[ -S "$sd_/chip.sock" ] || die "emulator of $sd_ did not start"
done
run openssl verify -CAfile "$v/vendor-ca.pem" "$d/devices/dev01/chip-cert.pem"
openssl x509 -in "$d/devices/dev01/chip-cert.pem" -noout -subject -ext subjectAltName 2>/dev/null |
	sed 's/^ */      /' || true
say "the vendor ships the certificates with the chips; the factory loads the batch (all checked"
say "against the vendor CA before anything is stored):"
run "$bin/chipkey-factory" load-chips --db "sqlite:$db" --chip-ca "$v/vendor-ca.pem" \
	"$d"/devices/dev*/chip-cert.pem
say "a chip outside the batch (same vendor, not loaded) is refused before anything is reserved:"
expect_exit 20 "$bin/chipkey-agent" provision --spp "$SPP" --device "emu:$stray/chip.sock" \
	--station-cert "$d/factory/station-cert.pem" --station-key "$d/factory/station-key.pem" \
	--store "$stray/flash" 2>"$stray/agent.log"
sed 's/^/      /' "$stray/agent.log"
grep -q NOT_IN_BATCH "$stray/agent.log" || die "the stray chip was not refused as NOT_IN_BATCH"
[ ! -e "$stray/flash" ] || die "the refused chip got a flash store"
run "$bin/chipkey-fuse" show "$d/devices/dev01/fuse.bin"
printf '$ build/bin/chipkey-agent provision --spp %s --station-cert build/demo/factory/station-cert.pem --station-key build/demo/factory/station-key.pem --device emu:build/demo/devices/devNN/chip.sock --store build/demo/devices/devNN/flash   (x%s)\n' "$SPP" "$NDEV"

: >"$d/provisioned.list"
provision_one() {
	local i=$1 dd_ rc=0
	dd_=$d/devices/$(dev "$1")
	timeout 60 "$bin/chipkey-agent" provision --spp "$SPP" --device "$(sock "$i")" \
		--station-cert "$d/factory/station-cert.pem" --station-key "$d/factory/station-key.pem" \
		--store "$dd_/flash" >"$dd_/agent.out" 2>"$dd_/agent.log" || rc=$?
	echo "$rc" >"$dd_/agent.rc"
	echo "$i" >>"$d/provisioned.list"
}
tp0=$(date +%s.%N)
(
	running=0
	for i in $(seq "$NDEV"); do
		provision_one "$i" &
		running=$((running + 1))
		if [ "$running" -ge "$PAR" ]; then wait -n || true; running=$((running - 1)); fi
	done
	wait
) &
pool=$!
shown=-1
while :; do
	alive=1
	kill -0 "$pool" 2>/dev/null || alive=0
	k=$(grep -c . "$d/provisioned.list" || true)
	if [ "$k" -ne "$shown" ] && [ "$k" -gt 0 ]; then
		last=$(tail -1 "$d/provisioned.list")
		ldir=$d/devices/$(dev "$last")
		if [ "$(cat "$ldir/agent.rc" 2>/dev/null)" = 0 ]; then
			what="$(dev "$last"): $(sed -n 's/^provisioned: //p' "$ldir/agent.out" | head -1)"
		else
			what="$(dev "$last"): FAILED (exit $(cat "$ldir/agent.rc" 2>/dev/null))"
		fi
		bar=$(awk -v k="$k" -v n="$NDEV" 'BEGIN { w = 20; f = int(k * w / n); s = "";
			for (j = 0; j < w; j++) s = s (j < f ? "#" : "."); print s }')
		if [ -t 1 ]; then
			printf '\r\033[K    provisioned %d/%d [%s]  %s' "$k" "$NDEV" "$bar" "$what"
		else
			printf '    provisioned %d/%d [%s]  %s\n' "$k" "$NDEV" "$bar" "$what"
		fi
		shown=$k
	fi
	if [ "$k" -ge "$NDEV" ] || [ "$alive" -eq 0 ]; then break; fi
	sleep 0.05
done
wait "$pool" || true
[ -t 1 ] && echo
tp1=$(date +%s.%N)
bad=0
for i in $(seq "$NDEV"); do
	rc=$(cat "$d/devices/$(dev "$i")/agent.rc" 2>/dev/null || echo none)
	if [ "$rc" != 0 ]; then
		bad=$((bad + 1))
		say "$(dev "$i"): chipkey-agent exit $rc: $(tail -1 "$d/devices/$(dev "$i")/agent.log" 2>/dev/null)"
	fi
done
[ "$bad" -eq 0 ] || die "$bad of $NDEV devices were not provisioned"
say "$NDEV/$NDEV provisioned in $(awk -v a="$tp0" -v b="$tp1" 'BEGIN { printf "%.1f s", b - a }')"
nid=$(cat "$d"/devices/dev*/flash/identity | sort -u | wc -l)
[ "$nid" -eq "$NDEV" ] || die "only $nid distinct identities for $NDEV devices"
say "$nid distinct identities; the SPP's log:"
tail -3 "$d/logs/spp.log" | sed 's/^/      /'
ncert=0
for i in $(seq "$NDEV"); do
	f=$d/devices/$(dev "$i")/flash
	openssl x509 -inform DER -in "$f/device-cert.der" -out "$d/devices/$(dev "$i")/device-cert.pem"
	openssl verify -CAfile "$d/factory/mfr-ca.pem" -untrusted "$d/factory/ica-cert.pem" \
		"$d/devices/$(dev "$i")/device-cert.pem" >/dev/null ||
		die "$(dev "$i"): certificate not accepted by openssl verify"
	ncert=$((ncert + 1))
done
say "openssl verify -CAfile factory/mfr-ca.pem -untrusted factory/ica-cert.pem (root + issuing CA):"
say "$ncert/$NDEV device certificates OK; dev01's:"
openssl x509 -in "$d/devices/dev01/device-cert.pem" -noout -text |
	grep -E 'Issuer:|Not After|Subject:|chip-id' | sed 's/^ */      /' || true
# the chip's attestation key, as its chip certificate states it (DER SPKI),
# is carried in the device certificate (extension 2.25.150369...)
hexof() { od -An -v -tx1 | tr -d ' \n'; }
nq=0
for i in $(seq "$NDEV"); do
	dd_=$d/devices/$(dev "$i")
	q=$(openssl x509 -in "$dd_/chip-cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER | hexof)
	case $(hexof <"$dd_/flash/device-cert.der") in *"$q"*) nq=$((nq + 1)) ;; esac
done
[ "$nq" -eq "$NDEV" ] || die "only $nq of $NDEV device certificates carry their chip's attestation key"
say "$nq/$NDEV device certificates carry the attestation key their chip's certificate names"

# ---------------------------------------------------------------------------
step 4 "Where the backups are"
L=$(sock "$LOST")
Ldir=$d/devices/$(dev "$LOST")
hex=$(chip_hex "$L")
[ ${#hex} -eq 32 ] || die "cannot read $(dev "$LOST")'s chip ID"
say "a. in the public database, by chip ID, for anyone: $URL/v1/chips/<chip ID>"
run curl -s "$URL/v1/chips/$hex" | short
run curl -s "$URL/v1/chips/$hex/generations"
run curl -s -o "$d/$(dev "$LOST")-backup.pkg" -w '    HTTP %{http_code}, %{size_download} bytes\n' "$URL/v1/chips/$hex/backup"
cmp -s "$d/$(dev "$LOST")-backup.pkg" "$Ldir/flash/backup.pkg" ||
	die "the public database's backup differs from the device's"
say "-> byte-identical to $(dev "$LOST")'s flash store; first bytes (backup code CKBACKUP, format, chip ID):"
od -An -tx1 -N40 "$d/$(dev "$LOST")-backup.pkg" | sed 's/^/      /'
say "b. in the public SQLite file $pdb (public records 170) and the factory's $db (secret records 160, pool and chip batch 140):"
sqlite3 -header -column "$db" "ATTACH '$pdb' AS p; SELECT (SELECT count(*) FROM p.public_records) AS public_records,
	(SELECT count(*) FROM issued_records WHERE published IS NULL) AS outbox,
	(SELECT count(*) FROM chip_batch) AS chips_in_batch,
	(SELECT count(*) FROM device_secrets) AS secret_records,
	(SELECT count(*) FROM identity_pool WHERE state = 2) AS issued,
	(SELECT count(*) FROM identity_pool WHERE state = 0) AS free_identities,
	(SELECT count(*) FROM keypair_pool) AS pregen_keys_left;" | sed 's/^/      /'
sqlite3 -header -column "$pdb" "SELECT lower(hex(chip_id)) AS chip_id, generation, identity,
	length(backup) AS backup_bytes, length(cert) AS cert_bytes FROM public_records ORDER BY created, identity LIMIT 3;" |
	sed 's/^/      /'
say "c. on the device itself, its flash store ($(dev "$LOST")/flash; docs/flash-store.md):"
ls -l "$Ldir/flash/current/" | sed 's/^/      /'

# ---------------------------------------------------------------------------
step 5 "$(dev "$LOST") loses its flash; recovery from the public database"
run "$bin/chipkey" --device "$L" load --store "$Ldir/flash" --keys "$Ldir/keys-before"
fingerprint() { # fingerprint STORE KEYS
	printf '%-16s %s\n' "identity" "$(cat "$1/identity")"
	for f in "$1/device-cert.der" "$1/backup.pkg" "$2/device-key.pem" "$2/channel.key"; do
		printf '%-16s sha256 %s\n' "$(basename "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
	done
}
fingerprint "$Ldir/flash" "$Ldir/keys-before" >"$d/$(dev "$LOST")-before.txt"
say "before (identity; sha256 of the certificate, the backup and the two secret keys):"
sed 's/^/      /' "$d/$(dev "$LOST")-before.txt"
say "the flash is wiped, and the keys (in RAM, /run/chipkey on a device) are gone after a reboot:"
run rm -rf "$Ldir/flash" "$Ldir/keys-before"
expect_exit 16 "$bin/chipkey" --device "$L" status --store "$Ldir/flash" --keys "$Ldir/keys"
say "recovery: read the chip ID, fetch the backup by chip ID, unwrap it with the chip, check the"
say "certificate against the ROM key, write the store atomically, make the keys available:"
run "$bin/chipkey" --device "$L" -v recover --db "$URL" --store "$Ldir/flash" --keys "$Ldir/keys"
run "$bin/chipkey" --device "$L" status --store "$Ldir/flash" --keys "$Ldir/keys"
fingerprint "$Ldir/flash" "$Ldir/keys" >"$d/$(dev "$LOST")-after.txt"
say "after:"
sed 's/^/      /' "$d/$(dev "$LOST")-after.txt"
cmp -s "$d/$(dev "$LOST")-before.txt" "$d/$(dev "$LOST")-after.txt" ||
	die "the recovered identity or keys differ from the originals"
say "-> same identity, same certificate, same keys (before = after)"

# ---------------------------------------------------------------------------
step 6 "A tampered backup, and another device's backup, are refused"
cp "$d/$(dev "$LOST")-backup.pkg" "$d/tampered-backup.pkg"
size=$(wc -c <"$d/tampered-backup.pkg")
# the lowest bit of the middle byte flipped: writing a constant there
# changed nothing whenever the byte already held it (one run in 256)
flip_byte "$d/tampered-backup.pkg" $((size / 2))
say "one byte of $(dev "$LOST")'s backup changed (offset $((size / 2)) of $size):"
! cmp -s "$d/$(dev "$LOST")-backup.pkg" "$d/tampered-backup.pkg" ||
	die "the tampered backup is the same as the original"
cmp -l "$d/$(dev "$LOST")-backup.pkg" "$d/tampered-backup.pkg" | sed 's/^/      /' || true
manifest=$(sha256sum <"$Ldir/flash/store.json")
expect_exit 5 "$bin/chipkey" --device "$L" recover --from "$d/tampered-backup.pkg" \
	--store "$Ldir/flash" --keys "$Ldir/keys"
[ "$(sha256sum <"$Ldir/flash/store.json")" = "$manifest" ] || die "the refused recovery changed the store"
say "-> the device's store is untouched"
O=$(sock "$OTHER")
say "$(dev "$OTHER") is handed $(dev "$LOST")'s backup:"
expect_exit 4 "$bin/chipkey" --device "$O" recover --from "$d/$(dev "$LOST")-backup.pkg" \
	--store "$d/devices/$(dev "$OTHER")/flash" --keys "$d/devices/$(dev "$OTHER")/keys"
"$bin/chipkey" --device "$O" status --store "$d/devices/$(dev "$OTHER")/flash" >/dev/null ||
	die "$(dev "$OTHER")'s store was damaged by a refused recovery"
say "-> $(dev "$OTHER")'s own store is untouched and healthy"

if [ -n "${DEMO_NO_VM:-}" ]; then
	current="done"
	printf '\nDemo done in %s (DEMO_NO_VM: steps 7-8, the VM, skipped): %s devices provisioned, %s recovered.\n' \
		"$(elapsed)" "$NDEV" "$(dev "$LOST")"
	exit 0
fi

# ---------------------------------------------------------------------------
step 7 "The real module in a VM, on dev01's fuses (QEMU TCG, Debian's kernel)"
# The guest half reads DIR/fuse.bin (the chip), DIR/emu.ckb (a backup package
# made by the emulator) and DIR/data.bin (what it holds), and writes
# DIR/kernel.ckb.  Here: dev01's fuse image, its backup as the public
# database serves it, and the data package the factory gave it (demo only:
# that file holds dev01's private key in clear, mode 0600).
h1=$(chip_hex "$(sock 1)")
cp "$d/devices/dev01/fuse.bin" "$d/fuse.bin"
curl -sf -o "$d/emu.ckb" "$URL/v1/chips/$h1/backup" || die "fetch dev01's backup"
run "$bin/chipkey" --device "$(sock 1)" -v unwrap "$d/emu.ckb" "$d/data.bin"
"$top/selftests/qemu/run.sh" --demo "$d"

# ---------------------------------------------------------------------------
step 8 "Back on the host: the emulator opens the kernel's package"
run "$bin/chipkey" --device "$(sock 1)" -v unwrap "$d/kernel.ckb" "$d/kernel.out"
cmp -s "$d/data.bin" "$d/kernel.out" || die "the kernel's package does not give back dev01's data package"
say "-> identical to dev01's data package: kernel and emulator are byte-compatible"

current="done"
printf '\nDemo done in %s: %s devices provisioned, %s recovered with the same identity and keys,\n' \
	"$(elapsed)" "$NDEV" "$(dev "$LOST")"
printf 'a tampered and a foreign backup refused, the real module compatible. Files: %s\n' "$d"
printf 'Stopping chipkey-spp, chipkey-pubdb and %s emulators.\n' "$((NDEV + 1))"
