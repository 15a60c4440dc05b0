#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey pair channel end to end on loopback (docs/pairing.md "The
# channel"): devices a, b, m of one factory (set-up: lib.sh, shared with
# run.sh); a and b paired, m paired with a only.  Bytes both ways between
# a and b, compared with cmp; then the attacks: a device not paired with
# the listener, one paired with it but not the peer it listens for, a
# guessed key (openssl s_client), a device's own ClientHello reflected to
# its own listener, a server that ignores the PSK (openssl s_server with
# a certificate), a forged link key, the record of an earlier pairing,
# unpair on either side; and flash loss (chipkey recover) keeping the
# channel.  The channel PSK is also derived here independently (openssl
# kdf, from the link key records.py reads) and used by openssl s_client.
# TAP.
#
#   pair/tests/test-channel.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
ck=$A/bin/chipkey bin=$B/bin
records=$here/records.py
. "$here/lib.sh"	# make_test_dir, cleanup, chip, provision, pair_ok, ...
make_test_dir channel

factory fac && pubdb_start fac
CA=00112233445566778899aabbccddeeff CB=ffeeddccbbaa99887766554433221100
CM=0123456789abcdef0123456789abcdef
for n in a:$CA b:$CB m:$CM; do echo "${n#*:}" >"$t/${n%%:*}.chipid"; done
provision a "$t/fac" $CA 1 && provision b "$t/fac" $CB 2 && provision m "$t/fac" $CM 3
check "devices a, b, m provisioned" test "$(gen a)/$(gen b)/$(gen m)" = 1/1/1
IA=$(tr -d '\n' <"$t/a.keys/identity") IB=$(tr -d '\n' <"$t/b.keys/identity")
IM=$(tr -d '\n' <"$t/m.keys/identity")
pair_ok p1 a b && pair_ok p2 m a
check "a and b paired (a listened), m and a paired (m listened): exit 0" \
	test "$(gen a)/$(gen b)/$(gen m)" = 3/2/2
# what a and b send: more than both sockets' buffers hold, each way at
# once (a relay that blocked writing while the peer writes would hang)
head -c 8000001 /dev/urandom >"$t/da"
head -c 8333333 /dev/urandom >"$t/db"

# ch_listen RUN DEV PEER [options]: `pair channel listen` on DEV for PEER
# (flash store $t/DEV.store unless the options say --store), stdin
# $t/RUN.l.in (empty unless it exists), stdout/stderr $t/RUN.l.out/.err;
# pid $lpid, port $P
ch_listen() {
	local run=$1 d=$2 peer=$3
	shift 3
	rm -f "$t/$run.port"
	[ -e "$t/$run.l.in" ] || : >"$t/$run.l.in"
	"$ck" --device "emu:$t/$d.sock" pair channel listen --port 0 --bind 127.0.0.1 \
		--port-file "$t/$run.port" --store "$t/$d.store" --timeout 60 "$@" "$peer" \
		<"$t/$run.l.in" >"$t/$run.l.out" 2>"$t/$run.l.err" 7>&- 8>&- &
	lpid=$!
	P=
	wait_for "$t/$run.port" . && P=$(cat "$t/$run.port")
}
# ch_connect RUN DEV PEER [options]: `pair channel connect` from DEV to
# RUN's listener, stdin $t/RUN.c.in, out $t/RUN.c.out/.err; exit code $crc
ch_connect() {
	local run=$1 d=$2 peer=$3
	shift 3
	[ -e "$t/$run.c.in" ] || : >"$t/$run.c.in"
	"$ck" --device "emu:$t/$d.sock" pair channel connect "127.0.0.1:$P" \
		--store "$t/$d.store" --timeout 60 "$@" "$peer" \
		<"$t/$run.c.in" >"$t/$run.c.out" 2>"$t/$run.c.err" 7>&- 8>&-
	crc=$?
}
ch_wait() { wait "$lpid" 2>/dev/null; lrc=$?; }
# refused RUN: both ends exited 20 and neither wrote a byte to stdout
refused() {
	[ "$lrc" = 20 ] && [ "${crc:-20}" = 20 ] && [ ! -s "$t/$1.l.out" ] &&
		{ [ ! -e "$t/$1.c.out" ] || [ ! -s "$t/$1.c.out" ]; }
}

# ---- two paired devices: bytes both ways
cp "$t/da" "$t/ok1.l.in"; cp "$t/db" "$t/ok1.c.in"
ch_listen ok1 a "$IB"
ch_connect ok1 b "$IA"
ch_wait
check "a listens for b, b connects to a: both exit 0 ($lrc, $crc)" test "$lrc" = 0 -a "$crc" = 0
check "... b's 8333333 bytes arrive at a unchanged (cmp)" cmp -s "$t/db" "$t/ok1.l.out"
check "... a's 8000001 bytes arrive at b unchanged (cmp)" cmp -s "$t/da" "$t/ok1.c.out"
check "... each names its peer, TLS 1.3 PSK suite and an ECDHE group" \
	bash -c "grep -q 'open with $IB (TLS_AES_128_GCM_SHA256, X25519)' '$t/ok1.l.err' &&
		grep -q 'open with $IA (TLS_AES_128_GCM_SHA256, X25519)' '$t/ok1.c.err'"
cp "$t/db" "$t/ok2.l.in"; cp "$t/da" "$t/ok2.c.in"
ch_listen ok2 b "$CA"
ch_connect ok2 a "$CB"
ch_wait
check "roles swapped, PEER by chip ID (b listens, a connects): exit 0, bytes both ways (cmp)" \
	bash -c "[ $lrc = 0 ] && [ $crc = 0 ] && cmp -s '$t/da' '$t/ok2.l.out' && cmp -s '$t/db' '$t/ok2.c.out'"

# ---- the channel PSK derived independently (docs/pairing.md): HKDF-SHA256
# of the link key, info "chipkey pair channel v1" 0x00 connector listener
hexs() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# psk KEYHEX CONNECTOR LISTENER: the channel PSK, hex
psk() {
	openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "hexkey:$1" \
		-kdfopt "hexinfo:$(hexs 'chipkey pair channel v1')00$(hexs "$2")$(hexs "$3")" HKDF | tr -d ':\n'
}
KAB=$(rec a key "$IB")
check "a's record of b holds a 256-bit link key (records.py)" test "${#KAB}" = 64
PSK_BA=$(psk "$KAB" "$IB" "$IA")
# sc RUN PSK IDENTITY: openssl s_client with that PSK to RUN's listener,
# sending $t/RUN.sc.in; it leaves when the listener's close_notify comes
sc() {
	openssl s_client -connect "127.0.0.1:$P" -tls1_3 -psk "$2" -psk_identity "$3" -quiet \
		-ign_eof <"$t/$1.sc.in" >"$t/$1.sc.out" 2>"$t/$1.sc.err" 7>&- 8>&-
}
cp "$t/da" "$t/sc1.l.in"; printf 'from s_client\n' >"$t/sc1.sc.in"
ch_listen sc1 a "$IB"
sc sc1 "$PSK_BA" "chipkey-pair-channel-v1:$IB:$IA"
ch_wait
check "openssl s_client holding the PSK derived by openssl kdf opens the channel as b: a exits 0 ($lrc)" \
	test "$lrc" = 0
check "... and receives a's bytes unchanged (cmp)" cmp -s "$t/da" "$t/sc1.sc.out"
check "... (it connected with the PSK: no certificate anywhere; a saw X25519)" \
	grep -q "open with $IB (TLS_AES_128_GCM_SHA256, X25519)" "$t/sc1.l.err"

printf 'psk_ke offered\n' >"$t/ke.sc.in"
ch_listen ke a "$IB"
openssl s_client -connect "127.0.0.1:$P" -tls1_3 -psk "$PSK_BA" \
	-psk_identity "chipkey-pair-channel-v1:$IB:$IA" -allow_no_dhe_kex -quiet -ign_eof \
	<"$t/ke.sc.in" >"$t/ke.sc.out" 2>"$t/ke.sc.err" 7>&- 8>&-
ch_wait
check "a client that also offers psk_ke (PSK without (EC)DHE, s_client -allow_no_dhe_kex) still gets X25519 (exit $lrc)" \
	bash -c "[ $lrc = 0 ] && grep -q 'open with $IB (TLS_AES_128_GCM_SHA256, X25519)' '$t/ke.l.err'"
# (not checked: that s_client's line arrived. The listener's standard input
# is empty, so it sends close_notify at once, and s_client may leave before
# it has read its own input: a race of the test, seen once in four runs.)

# ---- attacks
unset crc
printf 'guessed\n' >"$t/g.sc.in"
ch_listen g a "$IB"
sc g "$(openssl rand -hex 32)" "chipkey-pair-channel-v1:$IB:$IA"
ch_wait
check "a guessed key under the right PSK identity (openssl s_client): a exits 20 ($lrc), nothing delivered" \
	refused g
printf 'swapped\n' >"$t/sw.sc.in"
ch_listen sw a "$IB"
sc sw "$(psk "$KAB" "$IA" "$IB")" "chipkey-pair-channel-v1:$IA:$IB"
ch_wait
check "the right link key with the roles swapped (a's own connector PSK): a exits 20 ($lrc)" refused sw

printf 'other identity\n' >"$t/oi.sc.in"
ch_listen oi a "$IB"
sc oi "$PSK_BA" "chipkey-pair-channel-v1:$IM:$IA"
ch_wait
check "the right PSK under another PSK identity (m's name): a exits 20 ($lrc), nothing delivered" refused oi
printf 'no PSK\n' >"$t/np.sc.in"
ch_listen np a "$IB"
openssl s_client -connect "127.0.0.1:$P" -tls1_3 -quiet <"$t/np.sc.in" >"$t/np.sc.out" 2>&1 7>&- 8>&-
ch_wait
check "openssl s_client without a PSK (certificate handshake): a exits 20 ($lrc), nothing delivered" \
	refused np

cp "$t/db" "$t/m1.c.in"
ch_listen m1 a "$IB"
ch_connect m1 m "$IA"
ch_wait
check "m (paired with a, not b) connects to a listening for b with its own a-m key: both exit 20 ($lrc, $crc), nothing delivered" \
	refused m1
cp "$t/db" "$t/m2.c.in"
ch_listen m2 b "$IA"
ch_connect m2 m "$IA"
ch_wait
check "m connects to b (not paired with m) listening for a, with m's key of a: both exit 20 ($lrc, $crc)" \
	refused m2
ch_listen m3 b "$IA"
expect_exit 9 "m names b: not paired, m does not connect" -- \
	"$ck" --device "emu:$t/m.sock" pair channel connect "127.0.0.1:$P" "$IB" --store "$t/m.store"
cp "$t/da" "$t/m3.c.in"
ch_connect m3 a "$IB"
ch_wait
check "... b's listener saw no connection: a, connecting next, gets the channel (exit $lrc, $crc; cmp)" \
	bash -c "[ $lrc = 0 ] && [ $crc = 0 ] && cmp -s '$t/da' '$t/m3.l.out'"

cp "$t/da" "$t/rf.c.in"
ch_listen rf a "$IB"
ch_connect rf a "$IB"
ch_wait
check "a's ClientHello to its own listener for b (reflection): both exit 20 ($lrc, $crc)" refused rf

# a server that ignores the PSK and answers with a certificate: the client
# must find that no PSK was used (link/tls.c) and send nothing
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/rogue.key" \
	-out "$t/rogue.pem" -subj /CN=rogue -days 1 2>>"$t/setup.log"
mkfifo "$t/ss.in"
exec 9<>"$t/ss.in"	# its stdin stays open: s_server ends at its end
openssl s_server -accept 127.0.0.1:0 -naccept 1 -tls1_3 -cert "$t/rogue.pem" -key "$t/rogue.key" \
	<"$t/ss.in" >"$t/ss.out" 2>&1 7>&- 8>&- 9>&- &
sspid=$!
pids+=("$sspid")
wait_for "$t/ss.out" '^ACCEPT'
P=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$t/ss.out")
printf 'secret for a only\n' >"$t/ss.c.in"
ch_connect ss b "$IA"
kill "$sspid" 2>/dev/null; wait "$sspid" 2>/dev/null
exec 9>&-
check "a server that ignores the PSK and shows a certificate (openssl s_server): b exits 20 ($crc)" \
	test "$crc" = 20
check "... the handshake did complete there (s_server saw the client), and b sent it nothing" \
	bash -c "grep -q 'CIPHER is' '$t/ss.out' && ! grep -q 'secret for a only' '$t/ss.out'"

# the link key forged: b's record of a, one bit flipped, in a data package
# b's chip wraps (as a device whose software edited its own record would)
dp b
/usr/bin/python3 - "$t/b.cur.dp" "$t/bf.dp" "$IA" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off, done = 16, False
while off < len(d):
    typ, fl, ln = struct.unpack('>HHI', d[off:off + 8])
    if typ == 0x0030:
        v, r = off + 8, off + 10
        for _ in range(d[v + 1]):
            if d[r:r + 15].decode() == sys.argv[3]:
                d[r + 41] ^= 1          # the link key's first byte
                done = True
            r += 75 + struct.unpack('>H', d[r + 73:r + 75])[0]
    off += 8 + ln
assert done
open(sys.argv[2], 'wb').write(d)
PY
"$bin/chipkey" --device "emu:$t/b.sock" wrap --generation 50 "$t/bf.dp" "$t/bf.pkg" 2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/b.sock" recover --from "$t/bf.pkg" --store "$t/bf.store" \
		--no-keys >/dev/null 2>>"$t/setup.log"
check "b's store with the forged link key lists a (chipkey pairs)" \
	bash -c "'$ck' --device 'emu:$t/b.sock' pairs --store '$t/bf.store' | grep -q '^$IA '"
cp "$t/db" "$t/fk.c.in"
ch_listen fk a "$IB"
ch_connect fk b "$IA" --store "$t/bf.store"
ch_wait
check "b with the forged link key: both exit 20 ($lrc, $crc), nothing delivered" refused fk

# ---- a peer that dies mid-channel, and an idle channel
mkfifo "$t/k.l.in" "$t/k.c.in"
exec 7<>"$t/k.l.in" 8<>"$t/k.c.in"
ch_listen k a "$IB"
"$ck" --device "emu:$t/b.sock" pair channel connect "127.0.0.1:$P" --store "$t/b.store" "$IA" \
	<"$t/k.c.in" >"$t/k.c.out" 2>"$t/k.c.err" 7>&- 8>&- &
kpid=$!
echo 'first line' >&8
wait_for "$t/k.l.out" 'first line'
kill -9 "$kpid"; wait "$kpid" 2>/dev/null
ch_wait
exec 7>&- 8>&-
check "b killed (-9) mid-channel: a exits 21 ($lrc), not 0: a truncated transfer is never complete" \
	bash -c "[ $lrc = 21 ] && grep -q 'without close_notify' '$t/k.l.err'"
rm -f "$t/i.l.in" "$t/i.c.in"
mkfifo "$t/i.l.in" "$t/i.c.in"
exec 7<>"$t/i.l.in" 8<>"$t/i.c.in"
ch_listen i a "$IB" --timeout 2
ch_connect i b "$IA" --timeout 30
ch_wait
exec 7>&- 8>&-
check "a channel idle for a's --timeout: a exits 21 ($lrc), then b, its connection gone, 21 ($crc)" \
	bash -c "[ $lrc = 21 ] && [ $crc = 21 ] && grep -q 'idle for 2 s' '$t/i.l.err'"

# a connection that never starts its handshake: --timeout bounds the wait
ch_listen hs a "$IB" --timeout 1
exec 5<>"/dev/tcp/127.0.0.1/$P"	# connects, sends nothing
ch_wait
exec 5>&-
check "a peer that connects and sends nothing: the listener's --timeout ends the handshake, exit 21 ($lrc)" \
	test "$lrc" = 21

# ---- flash loss: the record survives recovery, and so does the channel
rm -rf "$t/a.store" "$t/a.keys"
expect_exit 0 "a's flash store and keys wiped: chipkey recover from the public database" -- \
	"$ck" --device "emu:$t/a.sock" recover --db "$DB" --store "$t/a.store" --keys "$t/a.keys"
cp "$t/da" "$t/rc.l.in"; cp "$t/db" "$t/rc.c.in"
ch_listen rc a "$IB"
ch_connect rc b "$IA"
ch_wait
check "the recovered a and b: exit 0 ($lrc, $crc), bytes both ways (cmp)" \
	bash -c "[ $lrc = 0 ] && [ $crc = 0 ] && cmp -s '$t/db' '$t/rc.l.out' && cmp -s '$t/da' '$t/rc.c.out'"

# ---- the record of an earlier pairing: a and b pair again (a new link key)
cp "$t/b.store/backup.pkg" "$t/b.old.pkg"
pair_ok p3 a b
KAB2=$(rec a key "$IB")
check "a and b paired again: exit 0 ($lrc, $crc), a new link key (records.py)" \
	test "$lrc" = 0 -a "$crc" = 0 -a -n "$KAB2" -a "$KAB2" != "$KAB"
"$bin/chipkey" --device "emu:$t/b.sock" recover --from "$t/b.old.pkg" --store "$t/bo.store" \
	--no-keys >/dev/null 2>>"$t/setup.log"
cp "$t/db" "$t/old.c.in"
# (its database must not be asked: it holds b's later generation, and
# the channel would refuse the older store with 13 before any contact,
# test-rollback.sh; here the link key itself is what is refused)
ch_listen old a "$IB"
ch_connect old b "$IA" --store "$t/bo.store" --db http://127.0.0.1:1
ch_wait
check "b with the record of the earlier pairing (its older backup): both exit 20 ($lrc, $crc)" refused old
cp "$t/db" "$t/new.c.in"
ch_listen new a "$IB"
ch_connect new b "$IA"
ch_wait
check "... b's current record: exit 0 ($lrc, $crc, cmp)" \
	bash -c "[ $lrc = 0 ] && [ $crc = 0 ] && cmp -s '$t/db' '$t/new.l.out'"

# ---- unpair: first a (b keeps its record), then b
expect_exit 0 "chipkey unpair b on a" -- \
	"$ck" --device "emu:$t/a.sock" unpair "$IB" --store "$t/a.store" --keys "$t/a.keys"
rm -f "$t/u.port"
expect_exit 9 "a: channel listen for b refused, not paired (no port opened)" -- \
	"$ck" --device "emu:$t/a.sock" pair channel listen --port 0 --bind 127.0.0.1 \
	--port-file "$t/u.port" --store "$t/a.store" "$IB"
check "... (no port file)" test ! -e "$t/u.port"
expect_exit 9 "a: channel connect to b refused, not paired" -- \
	"$ck" --device "emu:$t/a.sock" pair channel connect 127.0.0.1:1 "$CB" --store "$t/a.store"
cp "$t/db" "$t/u1.c.in"
ch_listen u1 a "$IM"
ch_connect u1 b "$IA"
ch_wait
check "b, still holding its record, connects to a (listening for m): both exit 20 ($lrc, $crc)" refused u1
expect_exit 0 "chipkey unpair a on b" -- \
	"$ck" --device "emu:$t/b.sock" unpair "$IA" --store "$t/b.store" --keys "$t/b.keys"
expect_exit 9 "b: channel connect to a refused, not paired" -- \
	"$ck" --device "emu:$t/b.sock" pair channel connect 127.0.0.1:1 "$IA" --store "$t/b.store"
expect_exit 9 "b: channel listen for a refused, not paired" -- \
	"$ck" --device "emu:$t/b.sock" pair channel listen --port 0 --bind 127.0.0.1 \
	--store "$t/b.store" "$IA"

# ---- the other exit codes
cp "$t/da" "$t/ep.l.in"
ch_listen ep m "$IA"
"$ck" --device "emu:$t/a.sock" pair channel connect "127.0.0.1:$P" --store "$t/a.store" "$IM" \
	</dev/null 2>"$t/ep.c.err" 7>&- 8>&- | head -c 1 >/dev/null
crc=${PIPESTATUS[0]}
ch_wait
check "a's standard output closed by its reader (head -c 1): a exits 8 ($crc), m, cut off, 21 ($lrc)" \
	test "$crc" = 8 -a "$lrc" = 21
expect_exit 10 "connect to a port nobody listens on: exit 10" -- \
	"$ck" --device "emu:$t/a.sock" pair channel connect 127.0.0.1:1 "$IM" --store "$t/a.store"
expect_exit 8 "listen on an address that is not IPv4: exit 8" -- \
	"$ck" --device "emu:$t/a.sock" pair channel listen --port 0 --bind nowhere "$IM" --store "$t/a.store"
expect_exit 16 "no flash store: exit 16" -- \
	"$ck" --device "emu:$t/a.sock" pair channel connect 127.0.0.1:1 "$IM" --store "$t/none.store"
/usr/bin/python3 - "$t/bf.dp" "$t/bv.dp" <<'PY'
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
"$bin/chipkey" --device "emu:$t/b.sock" wrap --generation 60 "$t/bv.dp" "$t/bv.pkg" 2>>"$t/setup.log" &&
	"$bin/chipkey" --device "emu:$t/b.sock" recover --from "$t/bv.pkg" --store "$t/bv.store" \
		--no-keys >/dev/null 2>>"$t/setup.log"
expect_exit 6 "pairing records that do not parse (wrapped by b's chip): exit 6" -- \
	"$ck" --device "emu:$t/b.sock" pair channel connect 127.0.0.1:1 "$IA" --store "$t/bv.store"

# ---- usage
expect_exit 1 "pair channel listen without --port" -- \
	"$ck" --device "emu:$t/a.sock" pair channel listen "$IM" --store "$t/a.store"
expect_exit 1 "pair channel: a PEER that is neither an identity nor a chip ID" -- \
	"$ck" --device "emu:$t/a.sock" pair channel connect 127.0.0.1:1 12345 --store "$t/a.store"

tap_done "pair channel"
