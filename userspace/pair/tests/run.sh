#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey pair / pairs / unpair end to end on loopback (docs/pairing.md):
# devices of one factory (emulated chips provisioned as the factory does:
# fuse image, data package with the chip's attestation key, wrap, recover
# --keys; generation 1 in a public database, chipkey-pubdb), a device of
# another manufacturer, a clone of a device's key and certificate on a
# chip without its secret; then the attacks.  The pairing records are read
# from the unwrapped data package by records.py, which follows the
# documented layout, not chipkey's code.  The person
# comparing codes is this script, answering on each side's standard input.
# TAP.
#
#   pair/tests/run.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
ck=$A/bin/chipkey bin=$B/bin
ckc=$B/tests/update/chipkey-crash	# chipkey with CK_CRASH_POINT()s
records=$here/records.py
. "$here/lib.sh"	# make_test_dir, cleanup, chip, provision, pair_ok, ...
make_test_dir pair

# ---- two factories, a public database that accepts both, their devices
factory fac && factory fac2 --org "Other Maker"
check "two factories (two manufacturers)" test -s "$t/fac2/mfr-pubkey.der"
pubdb_start fac fac2
CA=00112233445566778899aabbccddeeff CB=ffeeddccbbaa99887766554433221100
CM=0123456789abcdef0123456789abcdef CX=fedcba9876543210fedcba9876543210
for n in a:$CA b:$CB m:$CM x:$CX; do echo "${n#*:}" >"$t/${n%%:*}.chipid"; done
provision a "$t/fac" $CA 1 && provision b "$t/fac" $CB 2 && provision m "$t/fac" $CM 3 &&
	provision x "$t/fac2" $CX 4
check "devices a, b, m (factory 1) and x (factory 2) provisioned, generation 1 published" \
	bash -c "test -s '$t/a.keys/device-key.pem' -a -s '$t/b.keys/device-cert.pem' -a -s '$t/x.keys/device-cert.pem' &&
		[ '$(gens)' = 'a=1 b=1 m=1 x=1 n= clone= ' ] && curl -sf -o /dev/null '$DB/v1/chips/$CX/generations/1/record'"
IA=$(tr -d '\n' <"$t/a.keys/identity") IB=$(tr -d '\n' <"$t/b.keys/identity")
IM=$(tr -d '\n' <"$t/m.keys/identity")
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
check "each device's flash store is at generation 2 (was 1)" test "$(gen a)/$(gen b)" = 2/2
check "a's data package holds one pairing record, naming b (records.py)" \
	eval '[ "$(rec a list | cut -d" " -f1-4)" = "$IB $CB listen 0" ]'
check "b's names a, role connect" eval '[ "$(rec b list | cut -d" " -f1-4)" = "$IA $CA connect 0" ]'
rec a key "$IB" >"$t/ka" && rec b key "$IA" >"$t/kb"
check "the same 256-bit link key on both devices (cmp)" \
	bash -c "[ \$(wc -c <'$t/ka') = 65 ] && cmp -s '$t/ka' '$t/kb'"
fp() { openssl x509 -inform DER -in "$1" -noout -fingerprint -sha256; }
rec a cert "$IB" >"$t/ra.cert.der"
check "a's record holds b's device certificate (openssl fingerprints)" \
	test "$(fp "$t/ra.cert.der")" = "$(fp "$t/b.keys/device-cert.der")"
check "generation 2 of a and of b is in the public database, byte for byte the store's (curl)" \
	eval 'published a && published b'
check "the generation-2 record is signed by the device itself (openssl cms: signer a's device certificate)" \
	bash -c "curl -sf '$DB/v1/chips/$CA/generations/2/record' >'$t/a2.cms' &&
		openssl cms -cmsout -print -inform DER -in '$t/a2.cms' | grep -q 'serialNumber=$IA'"
expect_exit 0 "chipkey pairs lists b on a" -- "$ck" --device "emu:$t/a.sock" pairs --store "$t/a.store"
check "... with its identity, chip ID and role" grep -q "^$IB  chip $CB  listen " "$t/out"
check "... never the link key" bash -c "! grep -qi '$(cat "$t/ka")' '$t/out'"
expect_exit 0 "chipkey pairs --json on b" -- "$ck" --device "emu:$t/b.sock" pairs --store "$t/b.store" --json
check "... names a (identity, chip_id, role connect; /usr/bin/python3)" /usr/bin/python3 -c "
import json, sys
v = json.load(open('$t/out'))
assert len(v) == 1 and v[0]['identity'] == '$IA' and v[0]['chip_id'] == '$CA' and v[0]['role'] == 'connect' and v[0]['exclusive'] is False, v
assert v[0]['certificate'].startswith('-----BEGIN CERTIFICATE-----')"
check "... never the link key" bash -c "! grep -qi '$(cat "$t/ka")' '$t/out'"

# ---- a second session between the same devices: a fresh code and link key
# wrong_confirm RUN SIDE CODE L C: pair_start RUN L C with --confirm CODE on
# SIDE (l or c), and wait until both show their code.  --confirm comes before
# the code exists, so CODE is the code one session in a million: then the
# other side refuses too (nothing kept) and a new session is made (at most
# three), so that --confirm CODE is always a wrong code.
wrong_confirm() {
	local run=$1 side=$2 code=$3 l=$4 c=$5 other=l try
	for try in 1 2 3; do
		if [ "$side" = l ]; then
			pair_start "$run" "$l" "$c" --confirm "$code"
			other=c
		else
			pair_start "$run" "$l" "$c" -- --confirm "$code"
		fi
		if ! wait_for "$t/$run.l.out" '^code:' || ! wait_for "$t/$run.c.out" '^code:' ||
		   [ "$(code_of "$run.l")" != "$code" ]; then
			return
		fi
		echo "# session $try of $run: the code is $code, the one given to --confirm; again"
		answer "$run" "$other" n
		pair_wait
	done
}
G0=$(gens)
wrong_confirm again c 000000 a b
C2=$(code_of again.l)
answer again l y
pair_wait
# six digits of each session's exporter: two sessions show the same code one
# time in a million, and then this fails (the tool shows nothing larger that
# the code comes from; the link keys of two sessions differ: "pairing again")
check "a new session shows a new code ($CL, then $C2)" test -n "$C2" -a "$C2" != "$CL"
check "the connector's --confirm with a wrong code refuses: both exit 20 ($lrc, $crc)" \
	test "$lrc" = 20 -a "$crc" = 20
check "... and the kept pairing is untouched (no new generation, same link key)" \
	eval 'unchanged && [ "$(rec a key $IB)" = "$(cat "$t/ka")" ] && [ "$(rec b key $IA)" = "$(cat "$t/ka")" ]'

# ---- pairing the same devices again replaces the records: a new link key
pair_start re a b
wait_for "$t/re.l.out" '^code:' && wait_for "$t/re.c.out" '^code:'
answer re l y; answer re c y
pair_wait
rec a key "$IB" >"$t/ka2" && rec b key "$IA" >"$t/kb2"
check "pairing again: both exit 0 ($lrc, $crc), generation 3, one record each, the same new link key" \
	bash -c "[ $lrc = 0 ] && [ $crc = 0 ] && [ $(gen a)/$(gen b) = 3/3 ] && [ $(rec a count) = 1 ] &&
		cmp -s '$t/ka2' '$t/kb2' && ! cmp -s '$t/ka' '$t/ka2'"

# ---- the listener's person refuses / types another code: nothing kept
G0=$(gens)
wrong_confirm wrong l 999999 a b
answer wrong c y
pair_wait
check "pair listen --confirm with a wrong code refuses: both exit 20 ($lrc, $crc)" \
	test "$lrc" = 20 -a "$crc" = 20
check "... nothing stored on either device" unchanged
pair_start no a b
wait_for "$t/no.l.out" '^code:' && wait_for "$t/no.c.out" '^code:'
# a code one off the one shown: never the code
shown=$(code_of no.l)
answer no l "$(printf %06d $(((10#${shown:-0} + 1) % 1000000)))"
answer no c y
pair_wait
check "a typed code that differs refuses: both exit 20 ($lrc, $crc)" test "$lrc" = 20 -a "$crc" = 20
check "... nothing stored" unchanged

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
# as above: the two sessions' codes are the same one time in a million, and
# then this fails (it is also the chance such a relay has of being missed)
check "relay: a shows $R1A, b shows $R2B: different codes (each session's exporter)" \
	test -n "$R1A" -a -n "$R2B" -a "$R1A" != "$R2B" -a "$R1A" = "$R1M" -a "$R2B" = "$R2M"
check "... the relay's two sessions were refused, nothing stored" \
	both '[ $lrc = 20 ]'

# ---- a listener that reveals an Nl that does not match its COMMIT (the
# test build chipkey-pair-faulty, CHIPKEY_PAIR_FAULT=reveal): the connector
# refuses before it shows any code
G0=$(gens)
lck=(env CHIPKEY_PAIR_FAULT=reveal "$A/tests/pair/chipkey-pair-faulty")
pair_start badcommit a b -- --confirm 000000
lck=("$ck")
pair_wait
check "a broken commitment is refused: the connector exits 21 ($crc), the listener $lrc" \
	test "$crc" = 21 -a "$lrc" = 21
check "... the connector says why and shows no code" \
	bash -c "grep -q 'does not match its commitment' '$t/badcommit.c.err' && ! grep -q '^code:' '$t/badcommit.c.out'"
check "... nothing stored on either device" unchanged
lck=("$A/tests/pair/chipkey-pair-faulty")
pair_start goodcommit a b
lck=("$ck")
wait_for "$t/goodcommit.l.out" '^code:' && wait_for "$t/goodcommit.c.out" '^code:'
answer goodcommit l y; answer goodcommit c y
pair_wait
check "the same test build without the fault pairs: both exit 0 ($lrc, $crc)" \
	test "$lrc" = 0 -a "$crc" = 0
G0=$(gens)

# ---- a device of another manufacturer
pair_start other x a
pair_wait
check "a refuses x's certificate (another manufacturer's ROM key): a exits 19 ($crc)" \
	test "$crc" = 19
check "... the reason is the certificate" \
	grep -q "certificate is refused: not a device certificate issued under the manufacturer key in this device's ROM" "$t/other.c.err"
check "... x does not pair either (exit $lrc), nothing stored" \
	both '[ $lrc != 0 ]'
pair_start other2 a x
pair_wait
check "x connecting to a: neither pairs ($lrc, $crc), nothing stored" \
	both '[ $lrc != 0 ] && [ $crc = 19 ]'

# ---- a's key and certificate copied next to a chip that is not a's (same
# chip ID, another chip key: the clone cannot answer ATTEST as a's chip)
chip clone "$t/fac" $CA
cp -a "$t/a.keys" "$t/clone.keys"
# its flash store: a's factory package wrapped by the clone's chip; the
# clone uses a public database of its own (an empty one: the genuine one
# holds a's later generations, and a store behind it is refused before any
# contact, which is tested below)
"$bin/chipkey" --device "emu:$t/clone.sock" wrap --generation 1 "$t/a.dp" "$t/clone.pkg" 2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/clone.sock" recover --from "$t/clone.pkg" --store "$t/clone.store" \
		>/dev/null 2>>"$t/setup.log"
"$bin/chipkey-pubdb" --db "sqlite:$t/clone-public.db" --listen 127.0.0.1:0 --writers "$t/writers.pem" \
	--port-file "$t/clonedb.port" 2>>"$t/pubdb.log" &
pids+=($!)
wait_for "$t/clonedb.port" .
CDB=http://127.0.0.1:$(cat "$t/clonedb.port")
expect_exit 13 "the clone with the genuine public database: refused before any contact, the database is ahead (exit 13)" -- \
	"$ck" --device "emu:$t/clone.sock" pair connect 127.0.0.1:1 --keys "$t/clone.keys" --store "$t/clone.store"
G0=$(gens)
pair_start cl1 b clone -- --db "$CDB"
pair_wait
check "b refuses a copied key+cert without its chip (b listening): exit 19 ($lrc)" test "$lrc" = 19
check "... because the chip did not prove it is live" grep -q "did not prove it is live" "$t/cl1.l.err"
check "... the clone does not pair (exit $crc), nothing stored" \
	both '[ $crc != 0 ]'
pair_start cl2 clone b --db "$CDB" --
pair_wait
check "b refuses it (b connecting): exit 19 ($crc), nothing stored" \
	both '[ $crc = 19 ] && [ $lrc != 0 ]'
pair_start self clone a --db "$CDB" --
pair_wait
check "a refuses a peer that presents a's own identity: exit 19 ($crc), nothing stored" \
	both '[ $crc = 19 ] && grep -q "names this device.s own identity" "$t/self.c.err"'
expect_exit 11 "a keys directory naming another chip than the device's: exit 11" -- \
	"$ck" --device "emu:$t/b.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --store "$t/b.store"

# ---- the device's own keys, the network, the store
mkdir -p "$t/nokey.keys" && cp "$t/a.keys/identity" "$t/a.keys/device-cert.pem" "$t/nokey.keys/"
expect_exit 16 "no device-key.pem in the keys directory: exit 16" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/nokey.keys"
cp -a "$t/a.keys" "$t/open.keys" && chmod 644 "$t/open.keys/device-key.pem"
expect_exit 3 "device-key.pem readable by others: exit 3" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/open.keys"
expect_exit 10 "nobody listening: exit 10" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --store "$t/a.store" --timeout 5
# the listener's wait for a peer is bounded by --timeout (SO_RCVTIMEO on the
# listening socket); no connector at all: exit 10, the store untouched
cp -a "$t/a.store" "$t/a.before-timeout.store"
rm -f "$t/to.port"
s0=$(date +%s)
expect_exit 10 "pair listen --timeout 2 with no connector: exit 10 (bounded by an outer timeout 60: 124 if it hangs)" -- \
	timeout 60 "$ck" --device "emu:$t/a.sock" pair listen --port 0 --bind 127.0.0.1 \
	--port-file "$t/to.port" --keys "$t/a.keys" --store "$t/a.store" --timeout 2
echo "# pair listen --timeout 2 returned after $(($(date +%s) - s0)) s"
check "... it did listen (port file), says no peer came, the store is byte for byte unchanged (diff -r)" \
	eval '[ -s "$t/to.port" ] && grep -q "no peer connected within 2 s" "$t/err" &&
		same_store "$t/a.before-timeout.store" "$t/a.store"'
expect_exit 16 "no flash store: exit 16, before any contact" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --store "$t/nostore"
expect_exit 1 "no public database configured: exit 1" -- \
	env -u CHIPKEY_PUBDB CHIPKEY_RECOVERY_CONF=/dev/null "$ck" --device "emu:$t/a.sock" pair connect \
	127.0.0.1:1 --keys "$t/a.keys" --store "$t/a.store"
expect_exit 1 "--confirm takes six digits: exit 1" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --confirm 12345

# ---- the listener's public database is unreachable after its store switched
GM=$(gen m) GB=$(gen b)
lck=(env CHIPKEY_PUBDB=http://127.0.0.1:1 "$ck")
pair_start nopub m b
lck=("$ck")
wait_for "$t/nopub.l.out" '^code:' && wait_for "$t/nopub.c.out" '^code:'
answer nopub l y; answer nopub c y
pair_wait
check "database unreachable: the listener keeps the pairing in its store (generation $((GM + 1))), exits 10 ($lrc); the connector pairs ($crc)" \
	eval '[ $lrc = 10 ] && [ $crc = 0 ] && [ $(gen m) = $((GM + 1)) ] && [ $(gen b) = $((GB + 1)) ] &&
		grep -q "not published" "$t/nopub.l.err" && [ "$(rec m list | cut -d" " -f1)" = $IB ]'
check "... before listening it warned that it could not ask the database whether it is ahead" \
	grep -q "cannot ask the public database whether it is ahead; going on" "$t/nopub.l.err"
check "... the database still ends at m's generation $GM (curl)" \
	eval '! curl -sf -o /dev/null "$DB/v1/chips/$CM/generations/$((GM + 1))/record" &&
		curl -sf -o /dev/null "$DB/v1/chips/$CM/generations/$GM/record"'
expect_exit 10 "a later pairing on m while the database is unreachable: refused before it listens" -- \
	timeout 60 env CHIPKEY_PUBDB=http://127.0.0.1:1 "$ck" --device "emu:$t/m.sock" pair listen --port 0 \
	--bind 127.0.0.1 --port-file "$t/nopub2.port" --keys "$t/m.keys" --store "$t/m.store" --timeout 5
check "... no port, no new generation" eval '[ ! -e "$t/nopub2.port" ] && [ $(gen m) = $((GM + 1)) ]'
expect_exit 0 "with the database back, unpair on m first publishes the missing generation $((GM + 1)), then $((GM + 2))" -- \
	"$ck" --device "emu:$t/m.sock" unpair "$IB" --store "$t/m.store" --keys "$t/m.keys"
check "... the database holds both, the latest byte for byte the store's; no gap" \
	eval '[ $(gen m) = $((GM + 2)) ] && published m && [ "$(rec m count)" = 0 ] &&
		curl -sf -o /dev/null "$DB/v1/chips/$CM/generations/$((GM + 1))/record"'
G0=$(gens)

# ---- a genuine device certificate that names no attestation key
NO_Q=1 provision n "$t/fac" 11112222333344445555666677778888 5
check "device n provisioned without the attestation key in its certificate" \
	bash -c "! openssl x509 -in '$t/n.keys/device-cert.pem' -noout -text | grep -q '2.25.150369157376766404936511867947329402419'"
G0=$(gens)
pair_start noq n a
pair_wait
check "a refuses it: its chip could not prove it is live: exit 19 ($crc), nothing stored" \
	both '[ $crc = 19 ] && [ $lrc != 0 ] && grep -q "names no chip attestation key" "$t/noq.c.err"'

# ---- kill -9 of one side while the person decides: no half record
pair_start k1 a b
wait_for "$t/k1.l.out" '^code:' && wait_for "$t/k1.c.out" '^code:'
{ kill -9 "$lpid"; wait "$lpid"; } 2>/dev/null
answer k1 c y
pair_wait
check "listener killed (-9) before the decision: the connector exits 21 ($crc)" test "$crc" = 21
check "... nothing stored on either device, no temporary file" \
	unchanged
pair_start k2 a b
wait_for "$t/k2.l.out" '^code:' && wait_for "$t/k2.c.out" '^code:'
{ kill -9 "$cpid"; wait "$cpid"; } 2>/dev/null
answer k2 l y
pair_wait
check "connector killed (-9) before the decision: the listener exits 21 ($lrc)" test "$lrc" = 21
check "... nothing stored on either device, no temporary file" \
	unchanged

# ---- standard TLS tools
sc_listen() {	# sc_listen RUN: a listens; port in $P
	rm -f "$t/$1.port"
	"$ck" --device "emu:$t/a.sock" pair listen --port 0 --bind 127.0.0.1 --port-file "$t/$1.port" \
		--keys "$t/a.keys" --store "$t/a.store" --timeout 30 </dev/null >"$t/$1.l.out" 2>"$t/$1.l.err" &
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
	both '[ $lrc = 21 ]'
sc_listen sc4
printf 'XXXX\001\001\000\000' | openssl s_client -connect "127.0.0.1:$P" -tls1_3 -quiet \
	-cert "$t/b.keys/device-cert.pem" -key "$t/b.keys/device-key.pem" \
	-cert_chain "$t/b.keys/device-cert.pem" >"$t/sc4.out" 2>&1
wait "$lpid"; lrc=$?
check "a frame that is not a pairing message (wrong magic) ends the session: exit 21 ($lrc)" \
	both '[ $lrc = 21 ] && grep -q "protocol violated" "$t/sc4.l.err"'

# probe_listen RUN NAME: NAME's `pair listen` on a fixed free port $P; once
# it has exited or written its port file, openssl s_client connects there
# (output $t/RUN.sc); exit code in $lrc
probe_listen() {
	P=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	rm -f "$t/$1.port"
	"$ck" --device "emu:$t/$2.sock" pair listen --port "$P" --bind 127.0.0.1 --port-file "$t/$1.port" \
		--keys "$t/$2.keys" --store "$t/$2.store" --timeout 10 --confirm 000000 \
		</dev/null >"$t/$1.l.out" 2>"$t/$1.l.err" &
	lpid=$!
	while kill -0 "$lpid" 2>/dev/null && [ ! -e "$t/$1.port" ]; do sleep 0.05; done
	openssl s_client -connect "127.0.0.1:$P" -tls1_3 </dev/null >"$t/$1.sc" 2>&1
	wait "$lpid"; lrc=$?
}


# ---- flash loss: a's store and keys wiped, recovered from the public database
pair_ok fl a b
GA=$(gen a)
rec a key "$IB" >"$t/ka.before" && rec a cert "$IB" >"$t/ca.before.der"
check "a paired with b ($lrc, $crc) at generation $GA, published" \
	eval '[ $lrc = 0 ] && [ $crc = 0 ] && published a && [ -s "$t/ka.before" ]'
rm -rf "$t/a.store" "$t/a.keys"
expect_exit 0 "a's flash store and keys wiped: chipkey recover from the public database" -- \
	"$ck" --device "emu:$t/a.sock" recover --db "$DB" --store "$t/a.store" --keys "$t/a.keys"
check "... generation $GA restored" test "$(gen a)" = "$GA"
expect_exit 0 "chipkey pairs on the recovered a" -- "$ck" --device "emu:$t/a.sock" pairs --store "$t/a.store"
check "... lists b again" grep -q "^$IB  chip $CB  listen " "$t/out"
rec a key "$IB" >"$t/ka.after"; rec a cert "$IB" >"$t/ca.after.der"
check "... with the same link key (cmp) and b's certificate (SHA-256 fingerprint)" \
	eval 'cmp -s "$t/ka.before" "$t/ka.after" && rec b key $IA | cmp -s - "$t/ka.after" &&
		[ "$(fp "$t/ca.after.der")" = "$(fp "$t/b.keys/device-cert.der")" ]'

# ---- kill -9 of the listener at each step of keeping the pairing (the
# crash build's CK_CRASH_POINT()s): its store holds the old generation or
# the whole new one; the connector, which has not had the accept, keeps nothing
for p in pair-store pair-stored pair-publish pair-keys; do
	GA=$(gen a) GB=$(gen b) want=$(($(gen a) + 1))
	[ $p = pair-store ] && want=$GA
	lck=(env CHIPKEY_CRASH_AT=$p "$ckc")
	pair_ok "c-$p" a b
	lck=("$ck")
	check "kill -9 at $p: killed ($lrc), a's store verifies at generation $(gen a) (want $want), b keeps nothing ($crc)" \
		eval '[ $lrc = 137 ] && [ $crc = 21 ] && [ $(gen b) = $GB ] && [ $(gen a) = $want ] &&
			"$ck" --device "emu:$t/a.sock" status --store "$t/a.store" >/dev/null 2>&1 &&
			[ "$(rec a list | cut -d" " -f1)" = $IB ]'
done
check "... killed after publishing (pair-keys): that generation is in the public database" \
	eval 'published a'
# kill -9 at every step boundary inside the switch of the flash store (the
# test build with the flash store's power-loss points, CHIPKEY_FLASH_KILL_AT)
n=1 old=0 new=0 bad=0
while [ $n -le 40 ]; do
	GA=$(gen a)
	rec a key "$IB" >"$t/k.old"
	lck=(env CHIPKEY_FLASH_KILL_AT=$n "$A/tests/pair/chipkey-pair-faulty")
	pair_ok "f$n" a b
	lck=("$ck")
	[ $lrc = 137 ] || break
	if ! "$ck" --device "emu:$t/a.sock" status --store "$t/a.store" >/dev/null 2>&1; then
		bad=$((bad + 1))
	elif [ "$(gen a)" = "$GA" ] && rec a key "$IB" | cmp -s - "$t/k.old"; then
		old=$((old + 1))
	elif [ "$(gen a)" = $((GA + 1)) ] && ! rec a key "$IB" | cmp -s - "$t/k.old"; then
		new=$((new + 1))
	else
		bad=$((bad + 1))
	fi
	n=$((n + 1))
done
check "kill -9 at each of the $((n - 1)) step boundaries of the switch: $old times the old generation, $new times the whole new one, $bad otherwise" \
	test $bad = 0 -a $((old + new)) = $((n - 1)) -a $old -gt 0 -a $new -gt 0
check "... the run without a kill pairs ($lrc, $crc) and first publishes what the crashes left unpublished: no gap" \
	eval '[ $lrc = 0 ] && [ $crc = 0 ] && published a &&
		( for g in $(seq 2 $(gen a)); do curl -sf -o /dev/null "$DB/v1/chips/$CA/generations/$g/record" || exit 1; done )'

# ---- unpair, and no resurrection from an older generation
GA=$(gen a)
cp "$t/a.store/backup.pkg" "$t/a.paired.pkg"
expect_exit 0 "chipkey unpair b on a (by chip ID)" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$CB" --store "$t/a.store" --keys "$t/a.keys"
check "... generation $((GA + 1)) without the record, published" \
	eval '[ $(gen a) = $((GA + 1)) ] && [ "$(rec a count)" = 0 ] && published a'
expect_exit 9 "unpair b again: not paired (exit 9)" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$IB" --store "$t/a.store" --keys "$t/a.keys"
check "... no new generation" test "$(gen a)" = $((GA + 1))
expect_exit 13 "the older generation that held the pairing is refused as a rollback (recover --from)" -- \
	"$ck" --device "emu:$t/a.sock" recover --from "$t/a.paired.pkg" --store "$t/a.store" --keys "$t/a.keys"
rm -rf "$t/a.store" "$t/a.keys"
expect_exit 0 "a's flash wiped again: chipkey recover from the public database" -- \
	"$ck" --device "emu:$t/a.sock" recover --db "$DB" --store "$t/a.store" --keys "$t/a.keys"
check "... restores generation $((GA + 1)), without b" eval '[ $(gen a) = $((GA + 1)) ] && [ "$(rec a count)" = 0 ]'
expect_exit 0 "... chipkey pairs lists nothing" -- "$ck" --device "emu:$t/a.sock" pairs --store "$t/a.store"
check "... (no output)" test ! -s "$t/out"
# an older backup put back on a wiped flash (no floor left on the device):
# it loads and lists b again, but no change is made on top of it
cp -a "$t/a.store" "$t/a.cur.store"
rm -rf "$t/a.store"
"$bin/chipkey" --device "emu:$t/a.sock" recover --from "$t/a.paired.pkg" --store "$t/a.store" \
	--no-keys >/dev/null 2>>"$t/setup.log"
rm -rf "$t/a.old.store" && cp -a "$t/a.store" "$t/a.old.store"
expect_exit 13 "a's wiped flash given the older generation that held b: unpair refuses, the database is ahead (exit 13)" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$IB" --store "$t/a.store" --keys "$t/a.keys"
check "... says to recover from the database; the store still at generation $GA (no second generation $((GA + 1)))" \
	eval 'grep -q "the public database holds generation $((GA + 1)), later than this store" "$t/err" && [ $(gen a) = $GA ]'
expect_exit 13 "... and pair refuses before any contact (exit 13)" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --store "$t/a.store"
probe_listen rz0 a
check "... pair listen refuses (exit $lrc) and never listens: no port file, openssl s_client on port $P: connection refused" \
	eval '[ $lrc = 13 ] && [ ! -e "$t/rz0.port" ] && grep -Eqi "connection refused|errno=111" "$t/rz0.sc"'
check "... the store byte for byte unchanged (diff -r)" same_store "$t/a.old.store" "$t/a.store"
rm -rf "$t/a.store"
mv "$t/a.cur.store" "$t/a.store"
GB=$(gen b)
expect_exit 0 "unpair on the other side, b, by identity" -- \
	"$ck" --device "emu:$t/b.sock" unpair "$IA" --store "$t/b.store" --keys "$t/b.keys"
check "... b's generation $((GB + 1)) has no record of a (m's stays), published" \
	eval '[ $(gen b) = $((GB + 1)) ] && ! rec b key $IA >/dev/null && [ "$(rec b list | cut -d" " -f1)" = $IM ] && published b'

# ---- change of owner: unpair --all
pair_ok o1 a b && pair_ok o2 a m
check "a paired with b and m: two records" eval '[ "$(rec a count)" = 2 ]'
GA=$(gen a)
expect_exit 0 "chipkey unpair --all on a" -- \
	"$ck" --device "emu:$t/a.sock" unpair --all --store "$t/a.store" --keys "$t/a.keys"
check "... generation $((GA + 1)) without any record, published" \
	eval '[ $(gen a) = $((GA + 1)) ] && [ "$(rec a count)" = 0 ] && published a'
expect_exit 0 "unpair --all with no pairing left: nothing to do" -- \
	"$ck" --device "emu:$t/a.sock" unpair --all --store "$t/a.store" --keys "$t/a.keys"
check "... no new generation" test "$(gen a)" = $((GA + 1))
expect_exit 1 "unpair takes a peer or --all, not both" -- \
	"$ck" --device "emu:$t/a.sock" unpair --all "$IB" --store "$t/a.store"
expect_exit 1 "unpair: a peer that is neither an identity nor a chip ID" -- \
	"$ck" --device "emu:$t/a.sock" unpair 12345 --store "$t/a.store"

# ---- two changes of one store at once: the second waits for the first's
# update lock (cli/nextgen.c), so neither is lost.  The first unpair is
# paused inside its change (the crash build's CHIPKEY_PAUSE_AT), after it
# read generation N and before it writes N + 1.
pair_ok lk1 a b && pair_ok lk2 a m
GA=$(gen a)
env CHIPKEY_PAUSE_AT=unpair-store:3000 "$ckc" --device "emu:$t/a.sock" unpair "$IB" \
	--store "$t/a.store" --keys "$t/a.keys" >"$t/lk.out" 2>"$t/lk.err" &
upid=$!
wait_for "$t/lk.err" 'test pause at unpair-store'
expect_exit 0 "a second unpair (m) while the first is inside its change: it waits, then completes" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$IM" --store "$t/a.store" --keys "$t/a.keys"
check "... it said it was waiting for the other change" grep -q "waiting for another change of" "$t/err"
wait "$upid"
urc=$?
check "... both changes kept ($urc): generation $((GA + 2)), no record left (b not brought back), published" \
	eval '[ $urc = 0 ] && [ $(gen a) = $((GA + 2)) ] && [ "$(rec a count)" = 0 ] && published a'
# a recovery does not take the update lock: it stores generation N + 1
# while an unpair is paused inside its change of N.  The unpair then finds
# N + 1 under the writer's lock and refuses (13), never a second, different
# N + 1 over the recovered one (docs/recovery.md step 8)
pair_ok lk3 a b
GA=$(gen a)
dp a && "$bin/chipkey" --device "emu:$t/a.sock" wrap --generation $((GA + 1)) "$t/a.cur.dp" \
	"$t/lk-next.pkg" 2>>"$t/setup.log"
env CHIPKEY_PAUSE_AT=unpair-store:3000 "$ckc" --device "emu:$t/a.sock" unpair "$IB" \
	--store "$t/a.store" --keys "$t/a.keys" >"$t/lk.out" 2>"$t/lk.err" &
upid=$!
wait_for "$t/lk.err" 'test pause at unpair-store'
expect_exit 0 "a recovery of generation $((GA + 1)) while an unpair is inside its change of $GA" -- \
	"$ck" --device "emu:$t/a.sock" recover --store "$t/a.store" --no-keys --from "$t/lk-next.pkg"
wait "$upid"
urc=$?
check "... the unpair then refuses (exit $urc, want 13), says the store changed, the recovered $((GA + 1)) kept" \
	eval '[ $urc = 13 ] && grep -q "the flash store changed while this ran" "$t/lk.err" &&
		[ $(gen a) = $((GA + 1)) ] && cmp -s "$t/a.store/backup.pkg" "$t/lk-next.pkg"'
expect_exit 0 "... run again, the unpair completes" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$IB" --store "$t/a.store" --keys "$t/a.keys"
check "... generation $((GA + 2)), no record left, published" \
	eval '[ $(gen a) = $((GA + 2)) ] && [ "$(rec a count)" = 0 ] && published a'

# ---- exclusive mode: a and b pair exclusively; a third device, m, is
# refused in both roles before any contact
expect_exit 0 "b gives up its pairings first (unpair --all)" -- \
	"$ck" --device "emu:$t/b.sock" unpair --all --store "$t/b.store" --keys "$t/b.keys"
# a pairs with m while its exclusive pairing with b waits for the persons:
# the second change waits for the first's update lock, then makes the
# exclusive check on the generation the first wrote (docs/pairing.md)
rm -f "$t/exr.port"
GM=$(gen m)
"$ck" --device "emu:$t/m.sock" pair listen --port 0 --bind 127.0.0.1 --port-file "$t/exr.port" \
	--keys "$t/m.keys" --store "$t/m.store" --timeout 60 --confirm 000000 \
	</dev/null >"$t/exr.l.out" 2>"$t/exr.l.err" &
mpid=$!
wait_for "$t/exr.port" .
pair_start ex a b --exclusive -- --exclusive
wait_for "$t/ex.l.out" '^code:' && wait_for "$t/ex.c.out" '^code:'
"$ck" --device "emu:$t/a.sock" pair connect "127.0.0.1:$(cat "$t/exr.port")" --keys "$t/a.keys" \
	--store "$t/a.store" --timeout 60 --confirm 000000 </dev/null >"$t/exr.c.out" 2>"$t/exr.c.err" &
rpid=$!
wait_for "$t/exr.c.err" 'waiting for another change'
answer ex l y; answer ex c y
pair_wait
{ wait "$rpid"; rrc=$?; } 2>/dev/null
check "a connecting to m while its exclusive pairing with b is undecided: it waits for that change, then is refused, exit 22 ($rrc)" \
	eval '[ $rrc = 22 ] && grep -q "paired exclusively with $IB" "$t/exr.c.err"'
check "... m's listener saw no connection (still waiting, no code), nothing changed on m" \
	eval 'kill -0 $mpid && ! grep -q "^code:" "$t/exr.l.out" && [ "$(gen m)" = "$GM" ]'
{ kill "$mpid"; wait "$mpid"; } 2>/dev/null
check "a and b pair exclusively ($lrc, $crc): each record says so (flags bit 0, records.py)" \
	eval '[ $lrc = 0 ] && [ $crc = 0 ] && [ "$(rec a list | cut -d" " -f1,4)" = "$IB 1" ] &&
		[ "$(rec b list | cut -d" " -f1,4)" = "$IA 1" ]'
expect_exit 0 "chipkey pairs on a" -- "$ck" --device "emu:$t/a.sock" pairs --store "$t/a.store"
check "... shows the pairing with b as exclusive" grep -q "^$IB .*  exclusive$" "$t/out"
expect_exit 0 "chipkey pairs --json on b" -- "$ck" --device "emu:$t/b.sock" pairs --store "$t/b.store" --json
check "... \"exclusive\": true (/usr/bin/python3)" /usr/bin/python3 -c "
import json
v = json.load(open('$t/out'))
assert len(v) == 1 and v[0]['identity'] == '$IA' and v[0]['exclusive'] is True, v"
G0=$(gens)
rm -f "$t/ex2.port"
"$ck" --device "emu:$t/m.sock" pair listen --port 0 --bind 127.0.0.1 --port-file "$t/ex2.port" \
	--keys "$t/m.keys" --store "$t/m.store" --timeout 10 --confirm 000000 \
	</dev/null >"$t/ex2.l.out" 2>"$t/ex2.l.err" &
mpid=$!
wait_for "$t/ex2.port" .
expect_exit 22 "a (exclusive) connecting to m: refused, exit 22" -- \
	"$ck" --device "emu:$t/a.sock" pair connect "127.0.0.1:$(cat "$t/ex2.port")" --keys "$t/a.keys" \
	--store "$t/a.store" --confirm 000000
check "... says why; m's listener saw no connection (still waiting, no code)" \
	eval 'grep -q "paired exclusively with $IB" "$t/err" && kill -0 $mpid && ! grep -q "^code:" "$t/ex2.l.out"'
{ kill "$mpid"; wait "$mpid"; } 2>/dev/null
expect_exit 22 "a (exclusive) as the listener: refused before it listens, exit 22" -- \
	timeout 60 "$ck" --device "emu:$t/a.sock" pair listen --port 0 --bind 127.0.0.1 --port-file "$t/ex3.port" \
	--keys "$t/a.keys" --store "$t/a.store"
check "... no port was opened" test ! -e "$t/ex3.port"
expect_exit 22 "b (exclusive) connecting anywhere: refused, exit 22" -- \
	"$ck" --device "emu:$t/b.sock" pair connect 127.0.0.1:1 --keys "$t/b.keys" --store "$t/b.store"
expect_exit 22 "m, which keeps a pairing, asking for --exclusive: refused, exit 22" -- \
	"$ck" --device "emu:$t/m.sock" pair connect 127.0.0.1:1 --keys "$t/m.keys" --store "$t/m.store" --exclusive
check "... nothing changed on any device" unchanged
cp -a "$t/a.store" "$t/a.excl.store"	# a's flash image while exclusive with b
expect_exit 0 "a unpairs b" -- "$ck" --device "emu:$t/a.sock" unpair "$IB" --store "$t/a.store" --keys "$t/a.keys"
pair_ok ex4 m a
check "... then a pairs with m ($lrc, $crc)" eval '[ $lrc = 0 ] && [ $crc = 0 ] && [ "$(rec a list | cut -d" " -f1,4)" = "$IM 0" ]'

# ---- no resurrection from an older flash image (review F3): a's flash
# image from before "a unpairs b" (exclusive with b) put back whole; the
# public database holds two later generations
GA=$(gen a) GE=$(gen a.excl)
rm -rf "$t/a.store" "$t/a.old.store" && cp -a "$t/a.excl.store" "$t/a.store" && cp -a "$t/a.store" "$t/a.old.store"
expect_exit 0 "a's older flash image (generation $GE) put back: it lists b again, exclusive" -- \
	"$ck" --device "emu:$t/a.sock" pairs --store "$t/a.store"
check "... (chipkey pairs)" grep -q "^$IB .*  exclusive$" "$t/out"
probe_listen rz a
check "pair listen on it: refused, exit 13 ($lrc): the database is ahead, recover from it first" \
	eval '[ $lrc = 13 ] && grep -q "public database holds generation $((GE + 1)), later than this store.*recover from the database first" "$t/rz.l.err"'
check "... it never listened: no port file, a connector (openssl s_client) on port $P gets connection refused" \
	eval '[ ! -e "$t/rz.port" ] && grep -Eqi "connection refused|errno=111" "$t/rz.sc"'
rm -f "$t/rz2.port"
"$ck" --device "emu:$t/m.sock" pair listen --port 0 --bind 127.0.0.1 --port-file "$t/rz2.port" \
	--keys "$t/m.keys" --store "$t/m.store" --timeout 10 --confirm 000000 \
	</dev/null >"$t/rz2.l.out" 2>"$t/rz2.l.err" &
mpid=$!
wait_for "$t/rz2.port" .
expect_exit 13 "pair connect from it to m (listening): refused, exit 13" -- \
	"$ck" --device "emu:$t/a.sock" pair connect "127.0.0.1:$(cat "$t/rz2.port")" --keys "$t/a.keys" \
	--store "$t/a.store" --confirm 000000
check "... m's listener saw no connection (still waiting, no code)" \
	eval 'kill -0 $mpid && ! grep -q "^code:" "$t/rz2.l.out"'
{ kill "$mpid"; wait "$mpid"; } 2>/dev/null
expect_exit 13 "unpair b on it: refused, exit 13 (no second generation $((GE + 1)))" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$IB" --store "$t/a.store" --keys "$t/a.keys"
expect_exit 13 "unpair --all on it: refused, exit 13" -- \
	"$ck" --device "emu:$t/a.sock" unpair --all --store "$t/a.store" --keys "$t/a.keys"
check "... the put-back store is byte for byte unchanged (diff -r)" \
	same_store "$t/a.old.store" "$t/a.store"
# the same image with the database unreachable: the store's own generation
# (past the factory's) cannot be published first, so nothing is changed
expect_exit 10 "... with the database unreachable: unpair refused before any change, exit 10" -- \
	env CHIPKEY_PUBDB=http://127.0.0.1:1 "$ck" --device "emu:$t/a.sock" unpair "$IB" \
	--store "$t/a.store" --keys "$t/a.keys"
rm -f "$t/rz3.port"
expect_exit 10 "... and pair listen refused before it listens, exit 10" -- \
	timeout 60 env CHIPKEY_PUBDB=http://127.0.0.1:1 "$ck" --device "emu:$t/a.sock" pair listen \
	--port 0 --bind 127.0.0.1 --port-file "$t/rz3.port" --keys "$t/a.keys" --store "$t/a.store" --timeout 5
check "... no port, the store byte for byte unchanged (diff -r)" \
	eval '[ ! -e "$t/rz3.port" ] && same_store "$t/a.old.store" "$t/a.store"'
# a wiped flash recovered from the factory's backup (generation 1: nothing
# to publish first) while the database is unreachable: the check cannot be
# made, a warning, and the pairing goes ahead; its generation 2 is not the
# database's, which refuses it when it is published
rm -rf "$t/a.store"
"$bin/chipkey" --device "emu:$t/a.sock" recover --from "$t/a.pkg" --store "$t/a.store" \
	--no-keys >/dev/null 2>>"$t/setup.log"
GM=$(gen m)
lck=(env CHIPKEY_PUBDB=http://127.0.0.1:1 "$ck")
pair_ok rz4 a m
lck=("$ck")
check "a, recovered from the factory backup (generation 1), pairs with m while its database is unreachable: warned, kept at generation 2, not published ($lrc), m pairs ($crc)" \
	eval 'grep -q "cannot ask the public database whether it is ahead; going on" "$t/rz4.l.err" &&
		[ $lrc = 10 ] && [ $crc = 0 ] && [ $(gen a) = 2 ] && grep -q "not published" "$t/rz4.l.err" &&
		[ "$(rec a list | cut -d" " -f1)" = $IM ] && [ $(gen m) = $((GM + 1)) ]'
check "... the database keeps its own generation 2 of a, not this one (curl, cmp)" \
	eval 'curl -sf "$DB/v1/chips/$CA/generations/2/backup" >"$t/a2.db.pkg" && ! cmp -s "$t/a2.db.pkg" "$t/a.store/backup.pkg"'
rm -rf "$t/a.old.store" && cp -a "$t/a.store" "$t/a.old.store"
expect_exit 22 "with the database back, a's next change (unpair m) publishes generation 2 first: refused, exit 22" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$IM" --store "$t/a.store" --keys "$t/a.keys"
check "... the database holds another generation 2; a's store unchanged (diff -r)" \
	eval 'grep -q "the public database holds another generation 2" "$t/err" && same_store "$t/a.old.store" "$t/a.store"'
expect_exit 22 "... pair too (exit 22)" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --store "$t/a.store"
# the same from the factory backup, but the database is back by the time
# the pairing is published (a second chipkey-pubdb on the same database,
# started after the listener's check): the publication itself is refused
rm -rf "$t/a.store"
"$bin/chipkey" --device "emu:$t/a.sock" recover --from "$t/a.pkg" --store "$t/a.store" \
	--no-keys >/dev/null 2>>"$t/setup.log"
P2=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
lck=(env CHIPKEY_PUBDB=http://127.0.0.1:$P2 "$ck")
pair_start rz6 a m
lck=("$ck")
rm -f "$t/db2.port"
"$bin/chipkey-pubdb" --db "sqlite:$t/public.db" --listen "127.0.0.1:$P2" --writers "$t/writers.pem" \
	--port-file "$t/db2.port" 2>>"$t/pubdb.log" &
db2pid=$!
wait_for "$t/db2.port" .
wait_for "$t/rz6.l.out" '^code:' && wait_for "$t/rz6.c.out" '^code:'
answer rz6 l y; answer rz6 c y
pair_wait
{ kill "$db2pid"; wait "$db2pid"; } 2>/dev/null
check "a from the factory backup, its database down at the check and up at publication: warned, kept generation 2, publication refused: exit 22 ($lrc), m pairs ($crc)" \
	eval 'grep -q "cannot ask the public database whether it is ahead; going on" "$t/rz6.l.err" &&
		[ $lrc = 22 ] && [ $crc = 0 ] && [ $(gen a) = 2 ] &&
		grep -q "the public database holds another generation 2" "$t/rz6.l.err" &&
		curl -sf "$DB/v1/chips/$CA/generations/2/backup" | cmp -s - "$t/a2.db.pkg"'
# the remedy: chipkey recover from the public database
expect_exit 0 "chipkey recover --db on a: the latest published generation $GA" -- \
	"$ck" --device "emu:$t/a.sock" recover --db "$DB" --store "$t/a.store" --keys "$t/a.keys"
check "... generation $GA, paired with m only, not exclusive" \
	eval '[ $(gen a) = $GA ] && [ "$(rec a list | cut -d" " -f1,4)" = "$IM 0" ] && published a'
pair_ok rz5 a m
check "... then pairing works again ($lrc, $crc): generation $((GA + 1)), published" \
	eval '[ $lrc = 0 ] && [ $crc = 0 ] && [ $(gen a) = $((GA + 1)) ] && published a'

# ---- revocation of the peer (--crl, docs/pairing.md "Directory and CRL
# checks"): the factory revokes m's device certificate; a, given the
# factory's CRLs, refuses m in the handshake, before any code is shown
mkdir -p "$t/crl0" && cp "$t/fac/root-crl.pem" "$t/fac/station-crl.pem" "$t/crl0/"
CRL0=(--crl "$t/crl0/root-crl.pem" --crl "$t/crl0/station-crl.pem" --state "$t/a.pstate")
CRL1=(--crl "$t/fac/root-crl.pem" --crl "$t/fac/station-crl.pem" --state "$t/a.pstate")
pair_ok crl0 a m "${CRL0[@]}" --
check "with the factory's CRLs (m not revoked), a (--crl, listening) pairs with m ($lrc, $crc)" \
	test "$lrc" = 0 -a "$crc" = 0
"$bin/chipkey-factory" revoke "$t/fac" "$t/m.keys/device-cert.pem" >/dev/null 2>>"$t/setup.log"
check "the factory revokes m's device certificate (openssl verify -crl_check refuses it, accepted a's)" bash -c \
	"! openssl verify -crl_check -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' \
		-CRLfile '$t/fac/station-crl.pem' '$t/m.keys/device-cert.pem' >/dev/null 2>&1 &&
	openssl verify -crl_check -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' \
		-CRLfile '$t/fac/station-crl.pem' '$t/a.keys/device-cert.pem' >/dev/null 2>&1"
G0=$(gens)
for n in a m; do rm -rf "$t/$n.crl.store" && cp -a "$t/$n.store" "$t/$n.crl.store"; done
crl_unchanged() { unchanged && same_store "$t/a.crl.store" "$t/a.store" && same_store "$t/m.crl.store" "$t/m.store"; }
pair_start crl1 a m "${CRL1[@]}" -- --confirm 000000
pair_wait
check "attack: a (--crl, listening) refuses the revoked m: exit 19 ($lrc), m does not pair ($crc)" \
	eval '[ $lrc = 19 ] && [ $crc != 0 ] && grep -q "revoked" "$t/crl1.l.err"'
check "... no code shown on either side, both stores byte for byte unchanged (diff -r)" \
	eval '! grep -q "^code:" "$t/crl1.l.out" && ! grep -q "^code:" "$t/crl1.c.out" && crl_unchanged'
pair_start crl2 m a -- "${CRL1[@]}" --confirm 000000
pair_wait
check "attack: a (--crl, connecting) refuses the revoked m: exit 19 ($crc), m does not pair ($lrc)" \
	eval '[ $crc = 19 ] && [ $lrc != 0 ] && grep -q "revoked" "$t/crl2.c.err"'
check "... no code shown on either side, both stores byte for byte unchanged (diff -r)" \
	eval '! grep -q "^code:" "$t/crl2.l.out" && ! grep -q "^code:" "$t/crl2.c.out" && crl_unchanged'
check "a kept the newest CRL of the issuing CA as its floor (openssl crl: crlNumber 2)" bash -c \
	"ls '$t/a.pstate/crl-floor/'*.der | while read f; do openssl crl -inform der -in \"\$f\" -noout -crlnumber; done | grep -q '^crlNumber=0x0*2\$'"
rm -f "$t/crl3.port"
"$ck" --device "emu:$t/m.sock" pair listen --port 0 --bind 127.0.0.1 --port-file "$t/crl3.port" \
	--keys "$t/m.keys" --store "$t/m.store" --timeout 10 --confirm 000000 \
	</dev/null >"$t/crl3.l.out" 2>"$t/crl3.l.err" &
mpid=$!
wait_for "$t/crl3.port" .
expect_exit 13 "attack: the CRLs of before the revocation given again (a replay): refused before any contact, exit 13" -- \
	"$ck" --device "emu:$t/a.sock" pair connect "127.0.0.1:$(cat "$t/crl3.port")" --keys "$t/a.keys" \
	--store "$t/a.store" "${CRL0[@]}" --confirm 000000
check "... says the CRL is older; m's listener saw no connection; nothing stored" \
	eval 'grep -qi "older" "$t/err" && kill -0 $mpid && ! grep -q "^code:" "$t/crl3.l.out" && crl_unchanged'
{ kill "$mpid"; wait "$mpid"; } 2>/dev/null
pair_start crl4 a m --crl "$t/fac/root-crl.pem" --state "$t/a.pstate" -- --confirm 000000
pair_wait
check "attack: no CRL of m's issuing CA among --crl: a fails closed, exit 19 ($lrc), m does not pair ($crc), nothing stored" \
	eval '[ $lrc = 19 ] && [ $crc != 0 ] && grep -q "no current CRL" "$t/crl4.l.err" && crl_unchanged'
expect_exit 8 "an unreadable --crl file: exit 8, before any contact" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" --store "$t/a.store" \
	--crl "$t/nonexistent-crl.pem" --state "$t/a.pstate"
G0=$(gens)

# ---- a data package whose pairing records do not parse (wrapped by a's
# chip, so only the list is wrong): chipkey pairs refuses it
check "b holds pairing records" eval '[ "$(rec b count)" -ge 1 ]'
/usr/bin/python3 - "$t/b.cur.dp" "$t/bad.dp" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off = 16
while off < len(d):
    typ, fl, ln = struct.unpack('>HHI', d[off:off + 8])
    if typ == 0x0030:
        d[off + 8] = 2          # list version 2: unknown
    off += 8 + ln
open(sys.argv[2], 'wb').write(d)
PY
"$bin/chipkey" --device "emu:$t/b.sock" wrap --generation 99 "$t/bad.dp" "$t/bad.pkg" 2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/b.sock" recover --from "$t/bad.pkg" --store "$t/bad.store" >/dev/null 2>>"$t/setup.log"
expect_exit 6 "chipkey pairs: pairing records of an unknown list version are refused" -- \
	"$ck" --device "emu:$t/b.sock" pairs --store "$t/bad.store"
check "... and says so" grep -q "pairing records of generation 99 do not parse" "$t/err"
expect_exit 0 "chipkey pairs on a device that never paired lists nothing" -- \
	"$ck" --device "emu:$t/x.sock" pairs --store "$t/x.store"
check "... (no output)" test ! -s "$t/out"

tap_done "pair"
