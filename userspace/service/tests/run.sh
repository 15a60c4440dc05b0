#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey-service end to end on loopback (docs/service-link.md): a factory
# with a service credential, an emulated chip provisioned from a data
# package (wrap + recover --from: its keys directory), the server, and the
# device side `chipkey service` in modes 1 and 2; then the attacks.  TAP.
#
#   service/tests/run.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
. "$here/../../common/tests/devices.sh"
# chipkey service install against hostile servers (test-install.sh, own numbering)
"$here/test-install.sh" "$A" "$B" || tap_failed=$((tap_failed + 1))
"$here/test-crl.sh" "$A" "$B" || tap_failed=$((tap_failed + 1))
ck=$A/bin/chipkey srv=$A/bin/chipkey-service bin=$B/bin
make_test_dir service
trap 'clean_up_at_exit 15 log' EXIT

# provision FACTORY NAME CHIP N: emulator NAME + keys directory $t/NAME.keys
provision() { provision_device "$2" "$1" "$3" "$4"; }
# start_service LOGNAME ARGS...: chipkey-service on 127.0.0.1, port in $PORT, pid in $SPID
start_service() {
	local log=$1; shift
	start_server "$log" "$t/port" "$srv" --listen 127.0.0.1:0 --port-file "$t/port" "$@"
}

# ---- a factory, its service credential, a device, a catalogue
"$bin/chipkey-factory" init "$t/fac" >/dev/null 2>>"$t/setup.log" &&
	"$bin/chipkey-factory" spp-cred "$t/fac" --service --spp-name service.example >/dev/null 2>>"$t/setup.log"
check "factory with a service credential (spp-cred --service)" test -s "$t/fac/service-cert.pem"
check "the service certificate chains to the root (openssl verify) and has OU=chipkey-service" \
	bash -c "openssl verify -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' '$t/fac/service-cert.pem' >/dev/null &&
		openssl x509 -in '$t/fac/service-cert.pem' -noout -subject | grep -q 'OU *= *chipkey-service'"
provision "$t/fac" d1 00112233445566778899aabbccddeeff 1
check "device d1 provisioned: keys directory" test -s "$t/d1.keys/channel.key"
ID1=$(tr -d '\n' <"$t/d1.keys/identity")
mkdir -p "$t/cat"
head -c 100000 /dev/urandom >"$t/cat/image-1.bin"
echo "licence" >"$t/cat/image-1.licence"
echo "outside" >"$t/secret.txt"
start_service svc --factory "$t/fac" --state "$t/state" --catalogue "$t/cat"
check "chipkey-service listens" test -n "${PORT:-}"
svc_pid=$SPID
S=127.0.0.1:$PORT
dev1=(--device "emu:$t/d1.sock")
svc1=(--server "$S" --keys "$t/d1.keys" --state "$t/d1.state")

# ---- mode 1
expect_exit 0 "mode 1 (channel key): link up" -- "$ck" "${dev1[@]}" service connect "${svc1[@]}" --mode channel-key
check "mode 1: TLS 1.3 with an ECDHE group, SHA-256 suite" grep -q "link up: mode channel-key, TLS_AES_128_GCM_SHA256, [a-zA-Z0-9]" "$t/out"
expect_exit 0 "mode 1 with the SHA-384 identity" -- "$ck" "${dev1[@]}" service connect "${svc1[@]}" --mode channel-key --sha384
check "mode 1: TLS_AES_256_GCM_SHA384" grep -q "TLS_AES_256_GCM_SHA384" "$t/out"
expect_exit 0 "mode 1: list the catalogue" -- "$ck" service list "${svc1[@]}" --mode channel-key
check "mode 1: the list names both files, nothing else" bash -c "[ \"\$(sort '$t/out' | tr '\n' ' ')\" = 'image-1.bin image-1.licence ' ]"
expect_exit 0 "mode 1: get the image" -- "$ck" service get image-1.bin "$t/got.bin" "${svc1[@]}" --mode channel-key
check "mode 1: the image arrives byte for byte" cmp -s "$t/got.bin" "$t/cat/image-1.bin"

# interop: a standard TLS 1.3 client with the channel key
HEXKEY=$(od -An -v -tx1 "$t/d1.keys/channel.key" | tr -d ' \n')
printf '\001\000' | timeout 10 openssl s_client -connect "$S" -tls1_3 -quiet \
	-psk_identity "chipkey-ck1:$ID1" -psk "$HEXKEY" >"$t/sclient.out" 2>"$t/sclient.err"
check "interop: openssl s_client -psk (channel key) runs LIST over the link" grep -qx "image-1.bin" "$t/sclient.out"
BADKEY=$(printf '%s' "$HEXKEY" | sed 's/^./f/; s/^ff/00/')
[ "$BADKEY" = "$HEXKEY" ] && BADKEY=00$(printf '%s' "$HEXKEY" | cut -c3-)
printf '\001\000' | timeout 10 openssl s_client -connect "$S" -tls1_3 -quiet \
	-psk_identity "chipkey-ck1:$ID1" -psk "$BADKEY" >"$t/sclient.out" 2>"$t/sclient.err"
check "attack: a wrong channel key (s_client) gets nothing" test ! -s "$t/sclient.out"
printf '\001\000' | timeout 10 openssl s_client -connect "$S" -tls1_3 -quiet \
	-psk_identity "someone-else" -psk "$HEXKEY" >"$t/sclient.out" 2>"$t/sclient.err"
check "attack: an unknown PSK identity format gets nothing" test ! -s "$t/sclient.out"
printf '\001\000' | timeout 10 openssl s_client -connect "$S" -tls1_3 -quiet \
	>"$t/sclient.out" 2>"$t/sclient.err"
check "attack: a client without PSK (certificate handshake) gets nothing" test ! -s "$t/sclient.out"
cp -a "$t/d1.keys" "$t/bad.keys"
head -c 32 /dev/urandom >"$t/bad.keys/channel.key"
expect_exit 20 "attack: chipkey service with a wrong channel key is refused" -- \
	"$ck" service connect --server "$S" --keys "$t/bad.keys" --state "$t/bad.state" --mode channel-key
chmod 0640 "$t/bad.keys/channel.key"
expect_exit 3 "a channel key readable by the group is not used" -- \
	"$ck" service connect --server "$S" --keys "$t/bad.keys" --state "$t/bad.state" --mode channel-key
cp "$t/fac/master.key" "$t/open-master.key"
chmod 0644 "$t/open-master.key"
expect_exit 3 "chipkey-service refuses a master key readable by others" -- \
	"$srv" --listen 127.0.0.1:0 --factory "$t/fac" --master-key "$t/open-master.key" --state "$t/x-state"

# ---- mode 2
expect_exit 0 "mode 2 (certificates): link up, ROM key from the chip" -- \
	"$ck" "${dev1[@]}" service connect "${svc1[@]}" --mode cert
check "mode 2: TLS_AES_256_GCM_SHA384 (48-byte PSK)" grep -q "link up: mode cert, TLS_AES_256_GCM_SHA384" "$t/out"
check "mode 2: the server names the device it authenticated" grep -q "cert link up, device $ID1" "$t/svc.log"
expect_exit 0 "mode 2: get the licence" -- "$ck" "${dev1[@]}" service get image-1.licence "$t/got.lic" "${svc1[@]}" --mode cert
check "mode 2: the licence arrives" cmp -s "$t/got.lic" "$t/cat/image-1.licence"
check "mode 2: the device's counter is stored (2 links)" test -s "$t/d1.state/device-counter"
FAKE=$A/../tests/recovery/fake-clock.so
[ -f "$FAKE" ] || FAKE=$B/tests/recovery/fake-clock.so
if [ -f "$FAKE" ]; then
	LD_PRELOAD=$FAKE date +%Y >"$t/year" 2>/dev/null
	ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0 LD_PRELOAD=$FAKE \
		"$ck" "${dev1[@]}" service connect "${svc1[@]}" --mode cert >"$t/out" 2>"$t/err"
	rc=$?
	check "mode 2: a device whose clock reads $(cat "$t/year") connects" test $rc -eq 0
else
	skip "mode 2 at 1970" "fake-clock.so not built"
fi

# a device of another manufacturer (another factory, same emulator shape)
"$bin/chipkey-factory" init "$t/fac2" >/dev/null 2>>"$t/setup.log" &&
	"$bin/chipkey-factory" spp-cred "$t/fac2" --service >/dev/null 2>>"$t/setup.log"
provision "$t/fac2" d2 00112233445566778899aabbccddee02 2
expect_exit 19 "attack: the other manufacturer's device refuses our server (not its ROM key)" -- \
	"$ck" --device "emu:$t/d2.sock" service connect --server "$S" --keys "$t/d2.keys" \
	--state "$t/d2.state" --mode cert
expect_exit 20 "attack: its certificate is refused by our server (ERROR code 2)" -- \
	"$ck" service connect --server "$S" --keys "$t/d2.keys" --state "$t/d2.state2" --mode cert \
	--rom-key "$t/fac/mfr-pubkey.der"
check "the server logged the refused device certificate" grep -q "link refused: certificate refused" "$t/svc.log"
check "the device was told (not: its own check of the server)" grep -q "refused this device's certificate" "$t/err"

# a server not chained to the ROM key: factory 2's service credential, which
# would accept our device (it is given our ROM key): only the device's check
# of the server stops it
start_service rogue --factory "$t/fac2" --rom-key "$t/fac/mfr-pubkey.der" --state "$t/rogue-state" --catalogue "$t/cat"
expect_exit 19 "attack: a server whose credential chains to another root is refused" -- \
	"$ck" "${dev1[@]}" service connect --server "127.0.0.1:$PORT" --keys "$t/d1.keys" \
	--state "$t/d1.state" --mode cert
check "...by the device, before it sent anything of its own" \
	bash -c "grep -q 'certificate refused (not chained' '$t/err' && ! grep -q 'link refused: certificate' '$t/rogue.log'"
# a self-made CA with the right role and names
openssl ecparam -name prime256v1 -genkey -noout -out "$t/self-ca.key" 2>/dev/null
openssl req -new -x509 -key "$t/self-ca.key" -subj "/O=chipkey/CN=issuing CA" -days 30 \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out "$t/self-ca.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$t/self-svc.key" 2>/dev/null
openssl req -new -key "$t/self-svc.key" -subj "/O=chipkey/OU=chipkey-service/CN=localhost" -out "$t/self-svc.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$t/ext"
openssl x509 -req -in "$t/self-svc.csr" -CA "$t/self-ca.pem" -CAkey "$t/self-ca.key" -CAcreateserial \
	-days 30 -extfile "$t/ext" -out "$t/self-svc.pem" 2>/dev/null
start_service selfmade --key "$t/self-svc.key" --cert "$t/self-svc.pem" --chain "$t/self-ca.pem" \
	--rom-key "$t/fac/mfr-pubkey.der" --state "$t/self-state"
expect_exit 19 "attack: a server with a self-made CA (OU=chipkey-service) is refused" -- \
	"$ck" "${dev1[@]}" service connect --server "127.0.0.1:$PORT" --keys "$t/d1.keys" \
	--state "$t/d1.state" --mode cert

# ---- replay: record a device's first flight, replay it (and after a restart)
cp -a "$t/d1.state" "$t/rec.state"	# the same device, its counters
"$A/tests/link/test-link-tool" record "$S" "$t/d1.keys" "$t/fac/mfr-pubkey.der" "$t/rec.state" "$t/flight" \
	>"$t/rec.out" 2>"$t/rec.err"
check "a device flight recorded (the link it started is up)" test -s "$t/flight"
cp "$t/rec.state/"* "$t/d1.state/"
"$A/tests/link/test-link-tool" replay "$S" "$t/flight" >"$t/out" 2>&1
check "attack: the replayed flight is refused (replayed counter: a signed RESYNC)" grep -q "refused: code 4 (signed RESYNC)" "$t/out"
kill "$svc_pid" 2>/dev/null; wait "$svc_pid" 2>/dev/null
start_service svc2 --factory "$t/fac" --state "$t/state" --catalogue "$t/cat"
"$A/tests/link/test-link-tool" replay "127.0.0.1:$PORT" "$t/flight" >"$t/out" 2>&1
check "attack: the replayed flight is refused after a server restart" grep -q "refused: code 4" "$t/out"
expect_exit 0 "the device itself still connects after the restart" -- \
	"$ck" "${dev1[@]}" service connect --server "127.0.0.1:$PORT" --keys "$t/d1.keys" \
	--state "$t/d1.state" --mode cert
S=127.0.0.1:$PORT
rm -rf "$t/d1.state"
expect_exit 0 "a device that lost its state directory connects again (signed RESYNC, one retry)" -- \
	"$ck" "${dev1[@]}" service connect --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" --mode cert
check "...having been told so" grep -q "counter resynchronised" "$t/err"
check "...a small step (a lost state directory after a few links) is not logged as a large one" \
	bash -c "! grep -q 'a signed RESYNC moved' '$t/err'"
check "...and its counter is now above the server's" bash -c \
	"[ \$(od -An -tu8 --endian=big -N8 '$t/d1.state/device-counter' | tr -d ' ') -gt 3 ]"
# four processes on one state directory at once, five times: the counters
# are taken under the state directory's lock, so every one links (a review
# saw 8 of 40 fail, exit 8 after a second RESYNC or 20 stale)
fails=0
for r in 1 2 3 4 5; do
	for k in 1 2 3 4; do
		"$ck" "${dev1[@]}" service connect --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" \
			--mode cert >/dev/null 2>"$t/par.$k.err" &
	done
	for k in 1 2 3 4; do wait -n || fails=$((fails + 1)); done
done
check "four chipkey service connect on one state directory at once, five rounds: all 20 link ($fails failed)" \
	test "$fails" = 0
# the wait for another link on the directory (STATE/counter.lock) counts
# toward --timeout: a holder that never finishes (a stalling server)
# delays another process by at most its own --timeout, exit 10
# held S TIMEOUT: another process holds d1's STATE/counter.lock for S
# seconds (its pid in $holder) while d1 connects in mode 2 with --timeout
held() {
	/usr/bin/python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(float(sys.argv[2]))' \
		"$t/d1.state/counter.lock" "$1" &
	holder=$!
	wait_until 100 bash -c "! flock -n '$t/d1.state/counter.lock' true"
	"$ck" "${dev1[@]}" service connect --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" \
		--mode cert --timeout "$2"
}
expect_exit 10 "another link holds the state directory: --timeout 2 ends the wait (exit 10)" -- held 30 2
check "... said so, before the holder let go" \
	bash -c "grep -q 'deadline (--timeout) passed waiting for another link' '$t/err' && kill -0 $holder"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
expect_exit 0 "... a process with time to wait links once the holder lets go" -- held 2 30
check "... having said it waited" grep -q 'waiting for another link' "$t/err"
wait "$holder" 2>/dev/null
# what is planted at STATE/counter.lock instead of a regular file is
# replaced, not obeyed (a directory made every mode-2 link exit 8)
rm -f "$t/d1.state/counter.lock"
mkdir -p "$t/d1.state/counter.lock/x"
expect_exit 0 "a directory planted at STATE/counter.lock: replaced, the link opens" -- \
	"$ck" "${dev1[@]}" service connect --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" \
	--mode cert
check "... a regular lock file in its place" test -f "$t/d1.state/counter.lock"
rm -f "$t/d1.state/counter.lock"
mkfifo "$t/d1.state/counter.lock"
expect_exit 0 "a FIFO planted at STATE/counter.lock: replaced, no hang, the link opens" -- \
	timeout 60 "$ck" "${dev1[@]}" service connect --server "$S" --keys "$t/d1.keys" \
	--state "$t/d1.state" --mode cert
openssl x509 -in "$t/fac/service-cert.pem" -outform DER -out "$t/svc.der"
openssl x509 -in "$t/fac/ica-cert.pem" -outform DER -out "$t/ica.der"
before=$(od -An -tu8 --endian=big -N8 "$t/d1.state/device-counter" | tr -d ' ')
rm -f "$t/fake.port"
"$A/tests/link/test-link-tool" fake-resync "$t/fake.port" "$t/svc.der" "$t/ica.der" 2>/dev/null &
pids+=($!)
wait_file "$t/fake.port"
expect_exit 20 "attack: a RESYNC not signed by the service key is refused" -- \
	"$ck" "${dev1[@]}" service connect --server "127.0.0.1:$(cat "$t/fake.port")" --keys "$t/d1.keys" \
	--state "$t/d1.state" --mode cert
check "...and the device's counter did not jump" bash -c \
	"[ \$(od -An -tu8 --endian=big -N8 '$t/d1.state/device-counter' | tr -d ' ') -eq $((before + 1)) ]"

# ---- bad input
"$A/tests/link/test-link-tool" raw "$S" tamper "$t/flight" >"$t/out" 2>&1
check "attack: a tampered flight (one bit) is refused: signature" grep -q "refused: code 3" "$t/out"
"$A/tests/link/test-link-tool" raw "$S" truncate "$t/flight" >"$t/out" 2>&1
check "attack: a truncated flight is refused: malformed" grep -q "refused: code 1" "$t/out"
"$A/tests/link/test-link-tool" raw "$S" oversize "$t/flight" >"$t/out" 2>&1
check "attack: an oversized frame is refused before it is read" grep -q "refused: code 1" "$t/out"
poke() { timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '$1' >&3; cat <&3" >/dev/null 2>&1; }
poke 'CKLN\001\011\000\000'
poke 'GARBAGE!'
sleep 0.3
check "unknown mode and garbage are logged, the server lives on" bash -c \
	"kill -0 $SPID && grep -q 'link mode not supported' '$t/svc2.log' && grep -q 'malformed message' '$t/svc2.log'"
# a --server port getaddrinfo() would wrap (99999 = 34463) or look up
# (ssh) is a usage error, nothing dialled
for hp in "127.0.0.1:$((PORT + 65536))" 127.0.0.1:ssh 127.0.0.1:7x; do
	expect_exit 1 "service connect --server $hp: usage error" -- \
		"$ck" "${dev1[@]}" service connect --server "$hp" --keys "$t/d1.keys" --state "$t/d1.state" \
		--mode cert
	expect_exit 1 "chipkey-service --listen $hp: usage error (it was exit 11, bad certificate)" -- \
		"$srv" --factory "$t/fac" --state "$t/state-hp" --listen "$hp"
done
check "... and it said so with its usage" grep -q "usage: chipkey-service" "$t/err"
for n in ../secret.txt .hidden /etc/passwd 'a/b'; do
	expect_exit 1 "path traversal '$n' refused by the device side" -- \
		"$ck" service get "$n" "$t/x" --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" --mode channel-key
done
"$A/tests/link/test-link-tool" get-raw "$S" "$t/d1.keys" "../secret.txt" >"$t/out" 2>&1
check "path traversal '../secret.txt' sent raw: the server answers bad request" grep -q "status 2" "$t/out"
mkfifo "$t/cat/fifo.bin"
ln -s ../secret.txt "$t/cat/link.txt"
for n in fifo.bin link.txt; do
	expect_exit 9 "a $n (not a regular file) in the catalogue is not served" -- \
		"$ck" service get "$n" "$t/x" --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" --mode channel-key
done
rm -f "$t/cat/fifo.bin" "$t/cat/link.txt"
expect_exit 9 "a name not in the catalogue: exit 9" -- \
	"$ck" service get nothing.bin "$t/x" --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" --mode channel-key
check "the server is still running" kill -0 "$SPID"

# ---- resources: per-address limit, handshake deadline
start_service limits --factory "$t/fac" --state "$t/lim-state" --max-per-ip 2 --handshake-timeout 1
exec 5<>/dev/tcp/127.0.0.1/$PORT 6<>/dev/tcp/127.0.0.1/$PORT
expect_exit 21 "a third connection from the same address is closed (--max-per-ip 2)" -- \
	"$ck" service connect --server "127.0.0.1:$PORT" --keys "$t/d1.keys" --state "$t/d1.state" --mode channel-key
check "...and logged" grep -q "too many connections" "$t/limits.log"
# a silent peer: the server closes it at the handshake deadline (cat ends)
check "a silent peer is cut at the handshake deadline" timeout 20 cat <&5
exec 5<&- 6<&-
expect_exit 0 "once they are gone, the device connects again" -- \
	"$ck" service connect --server "127.0.0.1:$PORT" --keys "$t/d1.keys" --state "$t/d1.state" --mode channel-key
# --max-conns (the per-address limit, 8, is not what closes the third)
start_service maxc --factory "$t/fac" --state "$t/maxc-state" --max-conns 2 --handshake-timeout 60
exec 5<>/dev/tcp/127.0.0.1/$PORT 6<>/dev/tcp/127.0.0.1/$PORT
expect_exit 21 "a third connection while two are open is closed (--max-conns 2)" -- \
	"$ck" service connect --server "127.0.0.1:$PORT" --keys "$t/d1.keys" --state "$t/d1.state" --mode channel-key
check "...and logged" grep -q "too many connections" "$t/maxc.log"
exec 5<&- 6<&-
wait_until 100 bash -c "'$ck' service connect --server 127.0.0.1:$PORT --keys '$t/d1.keys' \
	--state '$t/d1.state' --mode channel-key >/dev/null 2>&1"
check "... once they are gone, the device connects again" test $? -eq 0
# --session-timeout: a link that is up but sends no request is cut then
# (the handshake deadline, 60 s, is not what cuts it); openssl s_client
# keeps its input open for 25 s
start_service sess --factory "$t/fac" --state "$t/sess-state" --session-timeout 1 --handshake-timeout 60
timeout 20 bash -c "openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -quiet -psk_identity 'chipkey-ck1:$ID1' \
	-psk '$HEXKEY' < <(sleep 25)" >"$t/sclient.out" 2>"$t/sclient.err"
rc=$?
check "an idle link is cut at --session-timeout 1 (s_client ends by itself: $rc, not 124)" test $rc -ne 124
check "... after the link was up" grep -q "channel-key link up" "$t/sess.log"
# TLS: no session tickets, the server's suite order (docs/service-link.md
# "TLS 1.3"): s_client prefers ChaCha20 and asks for a session to save
printf '\001\000' | timeout 10 openssl s_client -connect "$S" -tls1_3 -ign_eof -msg -sess_out "$t/sess.pem" \
	-ciphersuites TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256 \
	-psk_identity "chipkey-ck1:$ID1" -psk "$HEXKEY" >"$t/sclient.out" 2>"$t/sclient.err"
check "mode 1: openssl s_client links and runs LIST" grep -qx "image-1.bin" "$t/sclient.out"
check "... no NewSessionTicket, no session saved (-sess_out)" \
	bash -c "! grep -q NewSessionTicket '$t/sclient.out' && test ! -e '$t/sess.pem'"
check "... the server's suite order wins: TLS_AES_128_GCM_SHA256, not the client's ChaCha20 first" \
	grep -q "Cipher is TLS_AES_128_GCM_SHA256" "$t/sclient.out"
# ---- counters: a stolen service credential or a copy of a device's keys
# cannot lock a device out of the genuine server (docs/service-link.md
# "Replay protection without a clock").  Rogue chipkey-service = the
# genuine credential with crafted state; a thief = a copy of d1's keys.
ctr() { od -An -tu8 --endian=big -N8 "$1" | tr -d ' '; }
put_ctr() {	# FILE VALUE: a counter file (highest VALUE, no window)
	local h i
	h=$(printf '%016x' "$2")
	for i in 0 2 4 6 8 10 12 14; do printf "\\x${h:$i:2}"; done >"$1"
	printf '\0\0\0\0\0\0\0\0' >>"$1"
	chmod 600 "$1"
}
rogue() {	# NAME [STATE-FILE VALUE]: a rogue server on state $t/NAME
	rm -rf "${t:?}/$1"
	mkdir -m 700 "$t/$1"
	[ $# -eq 3 ] && put_ctr "$t/$1/$2" "$3"
	start_service "$1" --key "$t/fac/service-key.pem" --cert "$t/fac/service-cert.pem" \
		--chain "$t/fac/ica-cert.pem" --rom-key "$t/fac/mfr-pubkey.der" --state "$t/$1"
	R=127.0.0.1:$PORT rpid=$SPID
}
dev() {	# SERVER [STATE]: d1 connects in mode 2
	"$ck" "${dev1[@]}" service connect --server "$1" --keys "$t/d1.keys" \
		--state "${2:-$t/d1.state}" --mode cert
}
thief() {	# the copy of d1's keys on $t/thief.state, without the chip
	"$ck" service connect --server "$S" --keys "$t/d1.keys" --state "$t/thief.state" \
		--mode cert --rom-key "$t/fac/mfr-pubkey.der"
}
P32=$((1 << 32)) P62=$((1 << 62))
# the 2^62 limit: a signed RESYNC naming 2^62, a server counter of 2^62
# after one at 2^62 - 2^31 (crafted device state: inside the step), a
# server counter near 2^64
put_ctr "$t/d1.state/server-counter" $((P62 - (1 << 31)))
cp "$t/d1.state/device-counter" "$t/dc.before"
for r in "rogue1 device-$ID1 $P62" "rogue2 server-counter $((P62 - 1))"; do
	set -- $r
	rogue "$@"
	expect_exit 20 "attack ($1): $2 reaching 2^62 from a server with the stolen credential is refused" -- \
		dev "$R"
	check "... as out of range" grep -q "counter out of range" "$t/err"
	kill "$rpid"
done
check "... the device's own counter was not moved" \
	test "$(ctr "$t/d1.state/device-counter")" -eq $(($(ctr "$t/dc.before") + 2))
check "... nor its server counter" test "$(ctr "$t/d1.state/server-counter")" = $((P62 - (1 << 31)))
# chipkey-service itself never answers a counter beyond the step above what
# the device has seen: on crafted state near 2^64 it answers seen + 1 (a
# counter out of the step, from a modified server, is refused by the
# device: link/tests/test-link.c, "server counter jump")
rogue rogue3 server-counter 18446744073709550590
expect_exit 0 "a server on crafted state near 2^64 answers within the device's step" -- dev "$R"
kill "$rpid"
check "... seen + 1" test "$(ctr "$t/d1.state/server-counter")" = $((P62 - (1 << 31) + 1))
put_ctr "$t/d1.state/server-counter" $((P62 - (1 << 31)))
expect_exit 0 "... and the genuine server still links with it (answering above 2^62 - 2^31)" -- dev "$S"
check "... the genuine server's own counter did not follow (still below 2^32)" \
	test "$(ctr "$t/state/server-counter")" -lt $P32
put_ctr "$t/d1.state/server-counter" $((P62 - 1))
n=$(grep -c "counter out of range" "$t/svc2.log")
expect_exit 20 "a device that has stored the server counter 2^62 - 1: the server never answers 2^62" -- dev "$S"
check "... refused by the server, logged" test "$(grep -c "counter out of range" "$t/svc2.log")" -eq $((n + 1))
put_ctr "$t/d1.state/server-counter" 5

# (a) a rogue server's signed RESYNC raises the device counter by 2^32
# (the old step bound), by 2^32 + 1, to 2^62 - 1: the genuine server's
# signed RESYNC brings it back down
for up in $P32 $((P32 + 1)) $((P62 - 1)); do
	dc=$(ctr "$t/d1.state/device-counter")
	X=$((up < P62 - 1 ? dc + 1 + up : up))
	rogue ra device-$ID1 $X
	dev "$R" >/dev/null 2>"$t/ra.err"
	kill "$rpid"
	check "(a) a RESYNC from the stolen credential moved the device counter by $((X - dc - 1))" \
		test "$(ctr "$t/d1.state/device-counter")" -ge $X
	check "(a) ... and the device logged it, old and new value (review L2: not silent)" grep -q \
		"a signed RESYNC moved this device's counter from $((dc + 1)) to $X " "$t/ra.err"
	b=$(ctr "$t/d1.state/device-counter")
	expect_exit 0 "(a) ... the device still links to the genuine server" -- dev "$S"
	check "(a) ... through the genuine server's signed RESYNC" grep -q "counter resynchronised" "$t/err"
	check "(a) ... that large step back down is logged too" grep -q \
		"a signed RESYNC moved this device's counter from $((b + 1)) to " "$t/err"
	check "(a) ... which took the device counter back down" \
		test "$(ctr "$t/d1.state/device-counter")" -eq $(($(ctr "$t/state/device-$ID1")))
done
check "(a) ... the genuine server logged the three counters out of range" \
	test "$(grep -c "counter out of range" "$t/svc2.log")" -eq $((n + 4))

# (b) a rogue server answers with its own counter 2^32 above the device's
# server counter (accepted: the step), then 2^32 + 1 above (refused)
sc=$(ctr "$t/d1.state/server-counter")
rogue rb server-counter $((sc + P32 - 1))
expect_exit 0 "(b) the device takes a server counter 2^32 above its own from the stolen credential" -- dev "$R"
kill "$rpid"
check "(b) ... stored" test "$(ctr "$t/d1.state/server-counter")" -eq $((sc + P32))
expect_exit 0 "(b) ... the device still links to the genuine server" -- dev "$S"
check "(b) ... which answered above the device's server counter" \
	test "$(ctr "$t/d1.state/server-counter")" -eq $((sc + P32 + 1))
sc=$(ctr "$t/d1.state/server-counter")
rogue rb server-counter $((sc + P32))
expect_exit 0 "(b) a rogue server with its counter 2^32 + 1 above the device's answers within the step" -- dev "$R"
kill "$rpid"
check "(b) ... seen + 1 (a modified server's jump of 2^32 + 1 is refused by the device: test-link.c)" \
	test "$(ctr "$t/d1.state/server-counter")" -eq $((sc + 1))
sc=$(ctr "$t/d1.state/server-counter")
expect_exit 0 "(b) ... the device still links to the genuine server" -- dev "$S"
check "(b) ... whose own counter the devices did not move (below 2^32)" \
	test "$(ctr "$t/state/server-counter")" -lt $P32
rm -rf "$t/thief.state"
expect_exit 0 "(b) ... a device whose state is fresh (server counter none) links too" -- thief

# (c) a thief with a copy of d1's keys links twice, each 2^32 higher
rm -rf "$t/thief.state"
cp -a "$t/d1.state" "$t/thief.state"
for i in 1 2; do
	H=$(ctr "$t/state/device-$ID1")
	put_ctr "$t/thief.state/device-counter" $((H + P32 - 1))
	expect_exit 0 "(c) thief link $i, device counter 2^32 above the server's highest" -- thief
	check "(c) ... accepted by the window" test "$(ctr "$t/state/device-$ID1")" -eq $((H + P32))
done
expect_exit 0 "(c) ... the genuine device still links" -- dev "$S"
check "(c) ... having followed the server's signed RESYNC up by more than 2^32" \
	grep -q "counter resynchronised" "$t/err"
check "(c) ... and logged that step (old and new value)" grep -q \
	"a signed RESYNC moved this device's counter from [0-9]* to $((H + P32)) " "$t/err"
check "(c) ... to the thief's last counter + 1" test "$(ctr "$t/d1.state/device-counter")" -eq $((H + P32 + 1))
H=$(ctr "$t/state/device-$ID1")
put_ctr "$t/thief.state/device-counter" $((H + P32))
thief >/dev/null 2>&1
check "(c) a thief's counter 2^32 + 1 above: the window does not jump" \
	test "$(ctr "$t/state/device-$ID1")" -lt $((H + P32))
check "(c) ... logged" test "$(grep -c "counter out of range" "$t/svc2.log")" -eq $((n + 5))
expect_exit 0 "(c) ... the genuine device still links" -- dev "$S"

# a RESYNC signed with the stolen service key but about another AUTH
before=$(ctr "$t/d1.state/device-counter")
rm -f "$t/fake.port"
"$A/tests/link/test-link-tool" fake-resync "$t/fake.port" "$t/svc.der" "$t/ica.der" \
	"$t/fac/service-key.pem" 2>/dev/null &
pids+=($!)
wait_file "$t/fake.port"
expect_exit 21 "attack: a signed RESYNC not bound to the device's AUTH (transcript) is refused" -- \
	dev "127.0.0.1:$(cat "$t/fake.port")"
check "...and the device's counter was not lowered" \
	test "$(ctr "$t/d1.state/device-counter")" -eq $((before + 1))
"$A/tests/link/test-link-tool" replay "$S" "$t/flight" >"$t/out" 2>&1
check "attack: the recorded flight replayed after all this: still no link" grep -q "refused: code 4" "$t/out"
expect_exit 0 "the device links to the genuine server at the end" -- dev "$S"

# ---- modes 3 and 4 through the real programs (docs/service-link-cms.md);
# this server's own counter starts 2^32 + 5 (a fleet that has counted
# that far): a device that has seen far less, or nothing, still links
mkdir -m 700 "$t/state3" && put_ctr "$t/state3/server-counter" $((P32 + 5))
start_service svc3 --factory "$t/fac" --state "$t/state3" --catalogue "$t/cat"
S3=127.0.0.1:$PORT
rm -rf "$t/d2s.state" && mkdir -m 700 "$t/d2s.state"
expect_exit 0 "a server whose counter is 2^32 + 5 above a fresh device's: the device links (mode 2)" -- \
	dev "$S3" "$t/d2s.state"
check "... answered 1 (above what it had seen), not with the server's own counter" \
	test "$(ctr "$t/d2s.state/server-counter")" -eq 1
put_ctr "$t/d2s.state/server-counter" 5
expect_exit 0 "... a device that has stored server counter 5 links too" -- dev "$S3" "$t/d2s.state"
check "... and now has 6" test "$(ctr "$t/d2s.state/server-counter")" -eq 6
put_ctr "$t/d2s.state/server-counter" $((P32 - 1))
expect_exit 0 "... a device that has stored 2^32 - 1 links" -- \
	dev "$S3" "$t/d2s.state"
check "... answered with the server's own counter (within the step)" \
	test "$(ctr "$t/d2s.state/server-counter")" -gt $((P32 + 5))
for m in cms broadcast; do
	expect_exit 0 "mode $m: chipkey service connects to chipkey-service" -- \
		"$ck" "${dev1[@]}" service connect --server "$S3" --keys "$t/d1.keys" --state "$t/d1.state" --mode $m
	check "mode $m: TLS 1.3 keyed by the mode's secret" grep -q "link up: mode $m, TLS_AES" "$t/out"
	expect_exit 0 "mode $m: get the image" -- "$ck" "${dev1[@]}" service get image-1.bin "$t/got-$m.bin" \
		--server "$S3" --keys "$t/d1.keys" --state "$t/d1.state" --mode $m
	check "mode $m: the image arrives byte for byte" cmp -s "$t/got-$m.bin" "$t/cat/image-1.bin"
done
check "mode broadcast: the server published its signed broadcast (openssl cms -verify)" \
	bash -c "openssl cms -verify -inform DER -in '$t/state3/link-bcast.der' -binary -CAfile '$t/fac/mfr-ca.pem' -purpose any -out /dev/null 2>/dev/null"
# a damaged state file of the device is the device's fault, not the
# server's: exit 8 naming the file, not 20 ("the peer refused")
cp -a "$t/d1.state" "$t/dmg.state"
printf 'abc' >"$t/dmg.state/link-cms.seq"
expect_exit 8 "mode cms, link-cms.seq damaged (3 bytes): exit 8, failing closed" -- \
	"$ck" "${dev1[@]}" service connect --server "$S3" --keys "$t/d1.keys" --state "$t/dmg.state" --mode cms
check "... the message says the device's state is damaged (not the peer)" grep -q 'state file of this device' "$t/err"
printf 'abc' >"$t/dmg.state/device-counter"
expect_exit 8 "mode cert, device-counter damaged: exit 8 too, with the same reason" -- \
	"$ck" "${dev1[@]}" service connect --server "$S" --keys "$t/d1.keys" --state "$t/dmg.state" --mode cert
check "... the message says the device's state is damaged" grep -q 'state file of this device' "$t/err"

# ---- software over the link: chipkey service install = get NAME and
# NAME.licence over one link, then chipkey update install
"$bin/chipkey-factory" licence-cred "$t/fac" >/dev/null 2>>"$t/setup.log"
head -c 200000 /dev/urandom >"$t/cat/fw-2.bin"
"$bin/chipkey-factory" licence "$t/fac" --image "$t/cat/fw-2.bin" --sequence 2 --identity "$ID1" \
	--not-after "$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)" --out "$t/cat/fw-2.bin.licence" 2>>"$t/setup.log"
check "a licence for d1's identity, made by chipkey-factory licence, is in the catalogue" test -s "$t/cat/fw-2.bin.licence"
# fw-3: a genuine licence (sequence 3) for an image the server then swaps
head -c 200000 /dev/urandom >"$t/fw-3-genuine.bin"
"$bin/chipkey-factory" licence "$t/fac" --image "$t/fw-3-genuine.bin" --sequence 3 --identity "$ID1" \
	--not-after "$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)" --out "$t/cat/fw-3.bin.licence" 2>>"$t/setup.log"
head -c 200000 /dev/urandom >"$t/cat/fw-3.bin"
expect_exit 0 "mode cert: chipkey service install fw-2.bin (fetch, verify, install)" -- \
	"$ck" "${dev1[@]}" service install fw-2.bin --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" \
	--mode cert --slot-dir "$t/d1.sw"
check "... the installed image is the catalogue's, byte for byte; sequence 2" bash -c "
	cmp -s '$t/d1.sw/'\$(sed -n 's/^slot //p' '$t/d1.sw/state')/image '$t/cat/fw-2.bin' &&
	grep -qx 'sequence 2' '$t/d1.sw/state'"
cp -a "$t/d1.sw" "$t/d1.sw.before"
expect_exit 5 "attack: an image swapped on the server under a genuine licence is refused (digest)" -- \
	"$ck" "${dev1[@]}" service install fw-3.bin --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" \
	--mode cert --slot-dir "$t/d1.sw"
check "... the installed software and state are unchanged" diff -r "$t/d1.sw.before" "$t/d1.sw"
check "... no download directory is left behind" bash -c "! ls -d '$t/d1.state'/download.* 2>/dev/null"

# revocation over the link: service install --crl, passed on to update install
head -c 100000 /dev/urandom >"$t/cat/fw-4.bin"
"$bin/chipkey-factory" licence "$t/fac" --image "$t/cat/fw-4.bin" --sequence 4 --identity "$ID1" \
	--not-after "$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)" --out "$t/cat/fw-4.bin.licence" 2>>"$t/setup.log"
cp -r "$t/fac" "$t/facr"
"$bin/chipkey-factory" revoke "$t/facr" "$t/facr/licence-cert.pem" >/dev/null 2>>"$t/setup.log"
# The newer CRL raises every CRL floor the command sees: the --state
# directory's and the slot directory's (docs/service-link.md "CRL rollback");
# the state directories here are copies, so that each floor is seen alone.
old_crls=(--crl "$t/fac/root-crl.pem" --crl "$t/fac/station-crl.pem")
new_crls=(--crl "$t/facr/root-crl.pem" --crl "$t/facr/station-crl.pem")
# the cRLNumber of the issuing CA's CRL that DIR/crl-floor kept
ica_floor() { for f in "$1"/crl-floor/*.der; do
	openssl crl -inform der -in "$f" -noout -issuer | grep -q "issuing CA" &&
		openssl crl -inform der -in "$f" -noout -crlnumber; done; }
# the links of d1 the server at $S logged (mode cert): 1 for the licence, 1 for the image
links() { grep -c "cert link up, device $ID1" "$t/svc2.log"; }
cp -a "$t/d1.state" "$t/d1r.state"
expect_exit 11 "attack: a revoked licence signer is refused by service install --crl" -- \
	"$ck" "${dev1[@]}" service install fw-4.bin --server "$S" --keys "$t/d1.keys" --state "$t/d1r.state" \
	--mode cert --slot-dir "$t/d1.sw" "${new_crls[@]}"
check "... the installed software is unchanged" diff -r -x crl-floor "$t/d1.sw.before" "$t/d1.sw"
check "... the issuing CA's CRL number 2 raised the floors of the state and the slot directory" \
	test "$(ica_floor "$t/d1r.state")/$(ica_floor "$t/d1.sw")" = "crlNumber=0x02/crlNumber=0x02"
expect_exit 13 "attack: ... then the CRLs of before the revocation: refused as older (rollback)" -- \
	"$ck" "${dev1[@]}" service install fw-4.bin --server "$S" --keys "$t/d1.keys" --state "$t/d1r.state" \
	--mode cert --slot-dir "$t/d1.sw" "${old_crls[@]}"
check "... the installed software is unchanged" diff -r -x crl-floor "$t/d1.sw.before" "$t/d1.sw"
# (1) the floor is the slot directory's too: another --state, or chipkey
# update install on the same slot directory, does not take the older CRL
expect_exit 13 "attack: ... nor chipkey update install into that slot directory (its floor: rollback)" -- \
	"$ck" "${dev1[@]}" update install --image "$t/cat/fw-4.bin" --licence "$t/cat/fw-4.bin.licence" \
	--slot-dir "$t/d1.sw" --keys "$t/d1.keys" "${old_crls[@]}"
check "... nothing installed (sequence 2 still)" bash -c "
	diff -r -x crl-floor '$t/d1.sw.before' '$t/d1.sw' && grep -qx 'sequence 2' '$t/d1.sw/state'"
# old_crl_install WHAT STATE SLOTS: service install with the CRLs of before
# the revocation is refused as older (13) before the image is asked for,
# and nothing is installed
old_crl_install() {
	local n0
	n0=$(links)
	expect_exit 13 "attack: $1 (rollback)" -- \
		"$ck" "${dev1[@]}" service install fw-4.bin --server "$S" --keys "$t/d1.keys" --state "$2" \
		--mode cert --slot-dir "$3" "${old_crls[@]}"
	check "... refused as older before the image is asked for (at most one link, the licence's)" \
		bash -c "[ $(($(links) - n0)) -le 1 ] && grep -q 'older than number 2 accepted before' '$t/err'"
	check "... nothing installed (sequence 2 still), no download directory left" bash -c "
		diff -r -x crl-floor '$t/d1.sw.before' '$3' && grep -qx 'sequence 2' '$3/state' &&
		! ls -d '$2'/download.* 2>/dev/null"
}
old_crl_install "... nor service install with a state directory that never saw CRL 2" "$t/d1.state" "$t/d1.sw"
# (2) the other way round: update install raises the slot directory's
# floor, then service install (its --state never saw CRL 2) is refused on
# that slot directory before the image is asked for
cp -a "$t/d1.sw.before" "$t/d1u.sw" && cp -a "$t/d1.state" "$t/d1u.state"
expect_exit 11 "attack: update install --crl (CRL 2): the revoked signer is refused" -- \
	"$ck" "${dev1[@]}" update install --image "$t/cat/fw-4.bin" --licence "$t/cat/fw-4.bin.licence" \
	--slot-dir "$t/d1u.sw" --keys "$t/d1.keys" "${new_crls[@]}"
check "... the issuing CA's CRL number 2 raised the slot directory's floor" \
	test "$(ica_floor "$t/d1u.sw")" = "crlNumber=0x02"
old_crl_install "... then service install with the CRLs of before on that slot directory" \
	"$t/d1u.state" "$t/d1u.sw"
# a slot directory (and a state directory) that never saw CRL 2 takes them
cp -a "$t/d1.sw.before" "$t/d1n.sw"
expect_exit 0 "... with the CRLs of before the revocation it installs into a slot directory of its own" -- \
	"$ck" "${dev1[@]}" service install fw-4.bin --server "$S" --keys "$t/d1.keys" --state "$t/d1.state" \
	--mode cert --slot-dir "$t/d1n.sw" "${old_crls[@]}"
check "... sequence 4, no download directory left after a successful install" bash -c "
	grep -qx 'sequence 4' '$t/d1n.sw/state' && ! ls -d '$t/d1.state'/download.* 2>/dev/null"
tap_done service
