#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey pair / pairs end to end on loopback (docs/pairing.md): devices of
# one factory (emulated chips provisioned as the factory does: fuse image,
# data package with the chip's attestation key, wrap, recover --keys), a
# device of another manufacturer, a clone of a device's key and
# certificate on a chip without its secret; then the attacks.  The person
# comparing codes is this script, answering on each side's standard input.
# TAP.
#
#   pair/tests/run.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
ck=$A/bin/chipkey bin=$B/bin
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
unset CHIPKEY_DEVICE
t=$(mktemp -d /tmp/chipkey-test-pair-XXXXXX)
tap_out=$t/out tap_err=$t/err
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$tap_failed" -gt 0 ]; then
		for f in "$t"/*.log "$t"/*.err; do
			[ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" | tail -8
		done
	fi
	if [ -n "${KEEP:-}" ]; then echo "# kept $t"; else rm -rf "$t"; fi
}
trap cleanup EXIT
wait_for() {	# wait_for FILE PATTERN: until FILE holds a line matching PATTERN
	for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# chip NAME FACTORY CHIP-ID: a fuse image and its emulator on $t/NAME.sock
chip() {
	"$bin/chipkey-fuse" create "$t/$1.bin" --rom-key "$2/mfr-pubkey.der" --chip-id "$3" \
		>/dev/null 2>>"$t/setup.log" || return 1
	"$bin/chipkey-emu" --state "$t/$1.bin" --socket "$t/$1.sock" --foreground 2>>"$t/emu.log" &
	pids+=($!)
	for _ in $(seq 200); do [ -S "$t/$1.sock" ] && return 0; sleep 0.05; done
	return 1
}
# provision NAME FACTORY CHIP-ID N: chip NAME, its keys directory $t/NAME.keys;
# its device certificate names the chip's attestation key
provision() {
	local id q=(--attest-key "$t/$1.q.pem")
	[ "${NO_Q:-}" ] && q=()
	chip "$1" "$2" "$3" || return 1
	id=$("$bin/chipkey-factory" identities --prefix 35123400 --start "$4" --count 1)
	"$bin/chipkey" --device "emu:$t/$1.sock" attest-key --pem >"$t/$1.q.pem" 2>>"$t/setup.log" &&
	"$bin/chipkey-factory" package "$2" --identity "$id" --chip-id "$3" \
		"${q[@]}" --out "$t/$1.dp" >/dev/null 2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/$1.sock" wrap --generation 1 "$t/$1.dp" "$t/$1.pkg" \
		2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/$1.sock" recover --from "$t/$1.pkg" \
		--store "$t/$1.store" --keys "$t/$1.keys" >/dev/null 2>>"$t/setup.log"
}

# pair RUN LISTENER CONNECTOR [listen options] -- [connect options]:
# `pair listen` on LISTENER's chip and keys, `pair connect` from
# CONNECTOR's, stores $t/NAME.pairs; each reads its answer from the FIFO
# $t/RUN.l.in / $t/RUN.c.in (write with answer RUN l|c TEXT); output in
# $t/RUN.l.out/.err, $t/RUN.c.out/.err; pids in $lpid $cpid.
pair_start() {
	local run=$1 l=$2 c=$3 lo=() co=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do lo+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	co=("$@")
	rm -f "$t/$run.port" "$t/$run.l.in" "$t/$run.c.in"
	mkfifo "$t/$run.l.in" "$t/$run.c.in"
	"${lck[@]}" --device "emu:$t/$l.sock" pair listen --port 0 --bind 127.0.0.1 \
		--port-file "$t/$run.port" --keys "$t/$l.keys" --pairs "$t/$l.pairs" --timeout 60 \
		"${lo[@]}" <"$t/$run.l.in" >"$t/$run.l.out" 2>"$t/$run.l.err" &
	lpid=$!
	exec 7>"$t/$run.l.in"
	wait_for "$t/$run.port" . || return 1
	"$ck" --device "emu:$t/$c.sock" pair connect "127.0.0.1:$(cat "$t/$run.port")" \
		--keys "$t/$c.keys" --pairs "$t/$c.pairs" --timeout 60 \
		"${co[@]}" <"$t/$run.c.in" >"$t/$run.c.out" 2>"$t/$run.c.err" &
	cpid=$!
	exec 8>"$t/$run.c.in"
}
lck=("$ck")	# the listener's program (a test build below)
answer() { if [ "$2" = l ]; then echo "$3" >&7; else echo "$3" >&8; fi; }
close_answers() { exec 7>&- 8>&-; }
code_of() { sed -n 's/^code: \([0-9]\{6\}\)$/\1/p' "$t/$1.out"; }
# pair_wait: exit codes of both sides in $lrc $crc
pair_wait() {
	close_answers
	{ wait "$lpid"; lrc=$?; wait "$cpid"; crc=$?; } 2>/dev/null	# no "Killed" notices
}
# nothing_in DIR...: no file at all (no record, no temporary file)
nothing_in() { ! find "$@" -type f 2>/dev/null | grep -q .; }
# both COND NOTHING-DIRS...: the test COND holds and nothing is in the dirs
both() { eval "$1" && shift && nothing_in "$@"; }
linkkey() { sed -n 's/^link-key //p' "$1"; }

# ---- two factories, their devices
"$bin/chipkey-factory" init "$t/fac" >/dev/null 2>>"$t/setup.log" &&
	"$bin/chipkey-factory" init "$t/fac2" --org "Other Maker" >/dev/null 2>>"$t/setup.log"
check "two factories (two manufacturers)" test -s "$t/fac2/mfr-pubkey.der"
CA=00112233445566778899aabbccddeeff CB=ffeeddccbbaa99887766554433221100
CM=0123456789abcdef0123456789abcdef CX=fedcba9876543210fedcba9876543210
provision a "$t/fac" $CA 1 && provision b "$t/fac" $CB 2 && provision m "$t/fac" $CM 3 &&
	provision x "$t/fac2" $CX 4
check "devices a, b, m (factory 1) and x (factory 2) provisioned" \
	test -s "$t/a.keys/device-key.pem" -a -s "$t/b.keys/device-cert.pem" -a -s "$t/x.keys/device-cert.pem"
IA=$(tr -d '\n' <"$t/a.keys/identity") IB=$(tr -d '\n' <"$t/b.keys/identity")
check "a's device certificate names its chip's attestation key (openssl)" \
	bash -c "openssl x509 -in '$t/a.keys/device-cert.pem' -noout -text | grep -q '2.25.150369157376766404936511867947329402419'"

# ---- pairing a (listen) and b (connect): both compare, both accept
pair_start ok a b
wait_for "$t/ok.l.out" '^code:' && wait_for "$t/ok.c.out" '^code:'
CL=$(code_of ok.l) CC=$(code_of ok.c)
check "both devices show a six-digit code, the same one ($CL)" \
	test -n "$CL" -a "$CL" = "$CC"
check "the listener shows the connector's identity and chip ID" \
	grep -q "^peer: identity $IB, chip ID $CB$" "$t/ok.l.out"
check "the connector shows the listener's identity and chip ID" \
	grep -q "^peer: identity $IA, chip ID $CA$" "$t/ok.c.out"
answer ok l y
answer ok c "$CL"	# the person types the code the other device shows
pair_wait
check "pair listen and pair connect exit 0 ($lrc, $crc)" test "$lrc" = 0 -a "$crc" = 0
RA=$t/a.pairs/$IB.pair RB=$t/b.pairs/$IA.pair
cp "$RA" "$t/ra.saved" 2>/dev/null
check "a keeps a record naming b, b one naming a" \
	bash -c "grep -qx 'identity $IB' '$RA' && grep -qx 'chip-id $CB' '$RA' && grep -qx 'identity $IA' '$RB' && grep -qx 'chip-id $CA' '$RB'"
linkkey "$RA" >"$t/ka" && linkkey "$RB" >"$t/kb"
check "the same 256-bit link key on both devices (cmp)" \
	bash -c "[ \$(wc -c <'$t/ka') = 65 ] && cmp -s '$t/ka' '$t/kb'"
check "the records are mode 0600, the store 0700" \
	test "$(stat -c %a "$RA")/$(stat -c %a "$RB")/$(stat -c %a "$t/a.pairs")" = 600/600/700
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
check "a's record holds b's device certificate (openssl fingerprints)" \
	test "$(sed -n '/BEGIN CERT/,$p' "$RA" | fp /dev/stdin)" = "$(fp "$t/b.keys/device-cert.pem")"
expect_exit 0 "chipkey pairs lists b on a" -- "$ck" pairs --pairs "$t/a.pairs"
check "... with its identity, chip ID and role" grep -q "^$IB  chip $CB  listen " "$t/out"
check "... never the link key" bash -c "! grep -qi '$(cat "$t/ka")' '$t/out'"
expect_exit 0 "chipkey pairs --json on b" -- "$ck" pairs --pairs "$t/b.pairs" --json
check "... names a (identity, chip_id, role connect; /usr/bin/python3)" /usr/bin/python3 -c "
import json, sys
v = json.load(open('$t/out'))
assert len(v) == 1 and v[0]['identity'] == '$IA' and v[0]['chip_id'] == '$CA' and v[0]['role'] == 'connect', v
assert v[0]['certificate'].startswith('-----BEGIN CERTIFICATE-----')"
check "... never the link key" bash -c "! grep -qi '$(cat "$t/ka")' '$t/out'"

# ---- a second session between the same devices: a fresh code and link key
pair_start again a b -- --confirm 000000
wait_for "$t/again.l.out" '^code:' && wait_for "$t/again.c.out" '^code:'
C2=$(code_of again.l)
answer again l y
pair_wait
check "a new session shows a new code ($CL, then $C2)" test -n "$C2" -a "$C2" != "$CL"
check "the connector's --confirm with a wrong code refuses: both exit 20 ($lrc, $crc)" \
	test "$lrc" = 20 -a "$crc" = 20
check "... and the kept pairing is untouched (same link key)" \
	bash -c "linkkey() { sed -n 's/^link-key //p' \"\$1\"; }; [ \"\$(linkkey '$RA')\" = '$(cat "$t/ka")' ] && [ \"\$(linkkey '$RB')\" = '$(cat "$t/ka")' ]"

# ---- pairing the same devices again replaces the records: a new link key
pair_start re a b
wait_for "$t/re.l.out" '^code:' && wait_for "$t/re.c.out" '^code:'
answer re l y; answer re c y
pair_wait
linkkey "$RA" >"$t/ka2" && linkkey "$RB" >"$t/kb2"
check "pairing again: both exit 0 ($lrc, $crc), one record each, the same new link key" \
	bash -c "[ $lrc = 0 ] && [ $crc = 0 ] && [ \$(ls '$t/a.pairs' | wc -l) = 1 ] && cmp -s '$t/ka2' '$t/kb2' && ! cmp -s '$t/ka' '$t/ka2'"

# ---- the listener's person refuses / types another code: nothing kept
rm -rf "$t/a.pairs" "$t/b.pairs"
pair_start wrong a b --confirm 999999
wait_for "$t/wrong.c.out" '^code:'
[ "$(code_of wrong.c)" = 999999 ] && echo "# the code happened to be 999999"
answer wrong c y
pair_wait
check "pair listen --confirm with a wrong code refuses: both exit 20 ($lrc, $crc)" \
	test "$lrc" = 20 -a "$crc" = 20
check "... nothing stored on either device" nothing_in "$t/a.pairs" "$t/b.pairs"
pair_start no a b
wait_for "$t/no.l.out" '^code:' && wait_for "$t/no.c.out" '^code:'
answer no l 123456	# not the code (or, by chance of 1e-6, the code)
answer no c y
pair_wait
check "a typed code that differs refuses: both exit 20 ($lrc, $crc)" test "$lrc" = 20 -a "$crc" = 20
check "... nothing stored" nothing_in "$t/a.pairs" "$t/b.pairs"

# ---- a relay: m terminates a session with a and another with b
pair_start r1 m a
wait_for "$t/r1.l.out" '^code:' && wait_for "$t/r1.c.out" '^code:'
R1M=$(code_of r1.l) R1A=$(code_of r1.c)
answer r1 l n; answer r1 c n
pair_wait
pair_start r2 b m
wait_for "$t/r2.l.out" '^code:' && wait_for "$t/r2.c.out" '^code:'
R2B=$(code_of r2.l) R2M=$(code_of r2.c)
answer r2 l n; answer r2 c n
pair_wait
check "relay: a shows $R1A, b shows $R2B: different codes (each session's exporter)" \
	test -n "$R1A" -a -n "$R2B" -a "$R1A" != "$R2B" -a "$R1A" = "$R1M" -a "$R2B" = "$R2M"
check "... the relay's two sessions were refused, nothing stored" \
	both '[ $lrc = 20 ]' "$t/a.pairs" "$t/b.pairs" "$t/m.pairs"

# ---- a listener that reveals an Nl that does not match its COMMIT (the
# test build chipkey-pair-faulty, CHIPKEY_PAIR_FAULT=reveal): the connector
# refuses before it shows any code
rm -rf "$t/a.pairs" "$t/b.pairs"
lck=(env CHIPKEY_PAIR_FAULT=reveal "$A/tests/pair/chipkey-pair-faulty")
pair_start badcommit a b -- --confirm 000000
lck=("$ck")
pair_wait
check "a broken commitment is refused: the connector exits 21 ($crc), the listener $lrc" \
	test "$crc" = 21 -a "$lrc" = 21
check "... the connector says why and shows no code" \
	bash -c "grep -q 'does not match its commitment' '$t/badcommit.c.err' && ! grep -q '^code:' '$t/badcommit.c.out'"
check "... nothing stored on either device" nothing_in "$t/a.pairs" "$t/b.pairs"
lck=("$A/tests/pair/chipkey-pair-faulty")
pair_start goodcommit a b
lck=("$ck")
wait_for "$t/goodcommit.l.out" '^code:' && wait_for "$t/goodcommit.c.out" '^code:'
answer goodcommit l y; answer goodcommit c y
pair_wait
check "the same test build without the fault pairs: both exit 0 ($lrc, $crc)" \
	test "$lrc" = 0 -a "$crc" = 0
rm -rf "$t/a.pairs" "$t/b.pairs"

# ---- a device of another manufacturer
pair_start other x a
pair_wait
check "a refuses x's certificate (another manufacturer's ROM key): a exits 19 ($crc)" \
	test "$crc" = 19
check "... the reason is the certificate" \
	grep -q "certificate is refused: not a device certificate issued under the manufacturer key in this device's ROM" "$t/other.c.err"
check "... x does not pair either (exit $lrc), nothing stored" \
	both '[ $lrc != 0 ]' "$t/a.pairs" "$t/x.pairs"
pair_start other2 a x
pair_wait
check "x connecting to a: neither pairs ($lrc, $crc), nothing stored" \
	both '[ $lrc != 0 ] && [ $crc = 19 ]' "$t/a.pairs" "$t/x.pairs"

# ---- a's key and certificate copied next to a chip that is not a's (same
# chip ID, another chip key: the clone cannot answer ATTEST as a's chip)
chip clone "$t/fac" $CA
cp -a "$t/a.keys" "$t/clone.keys"
pair_start cl1 b clone
pair_wait
check "b refuses a copied key+cert without its chip (b listening): exit 19 ($lrc)" test "$lrc" = 19
check "... because the chip did not prove it is live" grep -q "did not prove it is live" "$t/cl1.l.err"
check "... the clone does not pair (exit $crc), nothing stored" \
	both '[ $crc != 0 ]' "$t/b.pairs" "$t/clone.pairs"
pair_start cl2 clone b
pair_wait
check "b refuses it (b connecting): exit 19 ($crc), nothing stored" \
	both '[ $crc = 19 ] && [ $lrc != 0 ]' "$t/b.pairs" "$t/clone.pairs"
pair_start self clone a
pair_wait
check "a refuses a peer that presents a's own identity: exit 19 ($crc), nothing stored" \
	both '[ $crc = 19 ] && grep -q "names this device.s own identity" "$t/self.c.err"' \
	"$t/a.pairs" "$t/clone.pairs"
expect_exit 11 "a keys directory naming another chip than the device's: exit 11" -- \
	"$ck" --device "emu:$t/b.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --pairs "$t/b.pairs"

# ---- the device's own keys, the network, the store
mkdir -p "$t/nokey.keys" && cp "$t/a.keys/identity" "$t/a.keys/device-cert.pem" "$t/nokey.keys/"
expect_exit 16 "no device-key.pem in the keys directory: exit 16" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/nokey.keys"
cp -a "$t/a.keys" "$t/open.keys" && chmod 644 "$t/open.keys/device-key.pem"
expect_exit 3 "device-key.pem readable by others: exit 3" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/open.keys"
expect_exit 10 "nobody listening: exit 10" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --pairs "$t/a.pairs" --timeout 5
expect_exit 1 "--confirm takes six digits: exit 1" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --confirm 12345
: >"$t/notadir"
pair_start ro a b --pairs "$t/notadir"
wait_for "$t/ro.l.out" '^code:' && wait_for "$t/ro.c.out" '^code:'
answer ro l y; answer ro c y
pair_wait
check "the listener cannot write its record: it exits 14 ($lrc), the connector 20 ($crc) and keeps nothing" \
	both '[ $lrc = 14 ] && [ $crc = 20 ]' "$t/b.pairs"

# ---- a genuine device certificate that names no attestation key
NO_Q=1 provision n "$t/fac" 11112222333344445555666677778888 5
check "device n provisioned without the attestation key in its certificate" \
	bash -c "! openssl x509 -in '$t/n.keys/device-cert.pem' -noout -text | grep -q '2.25.150369157376766404936511867947329402419'"
pair_start noq n a
pair_wait
check "a refuses it: its chip could not prove it is live: exit 19 ($crc), nothing stored" \
	both '[ $crc = 19 ] && [ $lrc != 0 ] && grep -q "names no chip attestation key" "$t/noq.c.err"' \
	"$t/a.pairs" "$t/n.pairs"

# ---- kill -9 of one side while the person decides: no half record
pair_start k1 a b
wait_for "$t/k1.l.out" '^code:' && wait_for "$t/k1.c.out" '^code:'
{ kill -9 "$lpid"; wait "$lpid"; } 2>/dev/null
answer k1 c y
pair_wait
check "listener killed (-9) before the decision: the connector exits 21 ($crc)" test "$crc" = 21
check "... nothing stored on either device, no temporary file" \
	nothing_in "$t/a.pairs" "$t/b.pairs"
pair_start k2 a b
wait_for "$t/k2.l.out" '^code:' && wait_for "$t/k2.c.out" '^code:'
{ kill -9 "$cpid"; wait "$cpid"; } 2>/dev/null
answer k2 l y
pair_wait
check "connector killed (-9) before the decision: the listener exits 21 ($lrc)" test "$lrc" = 21
check "... nothing stored on either device, no temporary file" \
	nothing_in "$t/a.pairs" "$t/b.pairs"

# ---- standard TLS tools
sc_listen() {	# sc_listen RUN: a listens; port in $P
	rm -f "$t/$1.port"
	"$ck" --device "emu:$t/a.sock" pair listen --port 0 --bind 127.0.0.1 --port-file "$t/$1.port" \
		--keys "$t/a.keys" --pairs "$t/a.pairs" --timeout 30 </dev/null >"$t/$1.l.out" 2>"$t/$1.l.err" &
	lpid=$!
	wait_for "$t/$1.port" . && P=$(cat "$t/$1.port")
}
sc_listen sc1
openssl s_client -connect "127.0.0.1:$P" -tls1_3 -CAfile "$t/fac/mfr-ca.pem" </dev/null >"$t/sc1.out" 2>&1
wait "$lpid"; lrc=$?
check "openssl s_client without a certificate is refused (exit $lrc)" test "$lrc" = 20
check "... it saw TLS 1.3 with an ECDHE key exchange and a P-256 signature" \
	bash -c "grep -q 'TLSv1.3' '$t/sc1.out' && grep -Eq '(Server|Peer) Temp Key: (X25519|ECDH|X448)' '$t/sc1.out' && grep -q 'Peer signature type: ECDSA' '$t/sc1.out'"
check "... a's certificate chains to the manufacturer root (openssl verify)" \
	bash -c "grep -q 'Verify return code: 0 (ok)' '$t/sc1.out'"
sc_listen sc2
openssl s_client -connect "127.0.0.1:$P" -tls1_3 -cert "$t/x.keys/device-cert.pem" \
	-key "$t/x.keys/device-key.pem" </dev/null >"$t/sc2.out" 2>&1
wait "$lpid"; lrc=$?
check "openssl s_client with another manufacturer's device certificate: exit 19 ($lrc)" test "$lrc" = 19
sc_listen sc3
openssl s_client -connect "127.0.0.1:$P" -tls1_3 -cert "$t/b.keys/device-cert.pem" \
	-key "$t/b.keys/device-key.pem" -cert_chain "$t/b.keys/device-cert.pem" </dev/null >"$t/sc3.out" 2>&1
wait "$lpid"; lrc=$?
check "openssl s_client with b's genuine key and certificate but no chip: no pairing (exit $lrc)" \
	both '[ $lrc = 21 ]' "$t/a.pairs"
sc_listen sc4
printf 'XXXX\001\001\000\000' | openssl s_client -connect "127.0.0.1:$P" -tls1_3 -quiet \
	-cert "$t/b.keys/device-cert.pem" -key "$t/b.keys/device-key.pem" \
	-cert_chain "$t/b.keys/device-cert.pem" >"$t/sc4.out" 2>&1
wait "$lpid"; lrc=$?
check "a frame that is not a pairing message (wrong magic) ends the session: exit 21 ($lrc)" \
	both '[ $lrc = 21 ] && grep -q "protocol violated" "$t/sc4.l.err"' "$t/a.pairs"
mkdir -p "$t/mixed" && cp "$t/ra.saved" "$t/mixed/$IB.pair" && chmod 600 "$t/mixed/$IB.pair" &&
	printf 'chipkey-pairing 1\nidentity x\n' >"$t/mixed/$IA.pair" && chmod 600 "$t/mixed/$IA.pair" &&
	cp "$t/ra.saved" "$t/mixed/.$IB.pair.tmp123"
expect_exit 0 "chipkey pairs skips a damaged record and a temporary file" -- "$ck" pairs --pairs "$t/mixed"
check "... lists the good one only, warns about the damaged one" \
	bash -c "[ \$(wc -l <'$t/out') = 1 ] && grep -q '^$IB ' '$t/out' && grep -q '$IA.pair: not a pairing record' '$t/err'"
expect_exit 0 "chipkey pairs on an empty store lists nothing" -- "$ck" pairs --pairs "$t/a.pairs"
check "... (no output)" test ! -s "$t/out"

tap_done "pair"
