#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey service install against a hostile or broken server, on loopback
# with the real programs (docs/software-update.md "Download"): a factory,
# an emulated provisioned device, chipkey-service, and proxy.py between
# them (it counts the links and can trickle the server's bytes).  Run by
# run.sh (make check-service).  TAP.
#
#   service/tests/test-install.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
. "$here/../../common/tests/devices.sh"
ck=$A/bin/chipkey srv=$A/bin/chipkey-service bin=$B/bin
make_test_dir install
trap 'clean_up_at_exit 15 log' EXIT
wait_steps=400	# wait_file: up to 20 s

# ---- a factory with service and licence credentials, device d1, the server
fy=$bin/chipkey-factory
{ "$fy" init "$t/fac" && "$fy" spp-cred "$t/fac" --service && "$fy" licence-cred "$t/fac"; } \
	>/dev/null 2>>"$t/setup.log"
provision_device d1 "$t/fac" 00112233445566778899aabbccddeeff 1
ID1=$DEVICE_ID
ID9=$("$fy" identities --prefix 35123400 --start 9 --count 1)
check "device d1 provisioned (keys directory with its certificate)" test -s "$t/d1.keys/device-cert.pem"
mkdir "$t/cat"
in1y=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
# publish NAME SEQ IMAGE [licence options]: IMAGE under NAME with a licence
publish() {
	local name=$1 seq=$2 img=$3; shift 3
	cp "$img" "$t/cat/$name" 2>/dev/null || true
	"$fy" licence "$t/fac" --image "$img" --sequence "$seq" --not-after "$in1y" \
		--out "$t/cat/$name.licence" "$@" >/dev/null 2>>"$t/setup.log"
}
start_server svc "$t/port" "$srv" --listen 127.0.0.1:0 --port-file "$t/port" --factory "$t/fac" \
	--state "$t/srv-state" --catalogue "$t/cat"
SPORT=$PORT
# proxy NAME [--trickle N --delay S]: proxy.py to the server, port in $PORT
proxy() {
	local name=$1; shift
	start_server proxy "$t/$name.port" /usr/bin/python3 "$here/proxy.py" "$t/$name.port" "$t/$name.conns" \
		"$SPORT" "$@"
}
proxy plain
PLAIN=$PORT
proxy slow --trickle 20000 --delay 0.2
SLOW=$PORT
conns() { [ -f "$t/$1.conns" ] && wc -l <"$t/$1.conns" || echo 0; }
# inst PORT NAME [options]: chipkey service install through a proxy
dev=(--device "emu:$t/d1.sock" service install --mode channel-key --keys "$t/d1.keys"
	--state "$t/d1.state" --slot-dir "$t/d1.sw")
inst() {
	local port=$1; shift
	timeout 120 "$ck" "${dev[@]}" --server "127.0.0.1:$port" "$@"
}
dl_dirs() { find "$t/d1.state" -maxdepth 1 -name 'download.*' 2>/dev/null | wc -l; }
# downloading: a download directory holds a partial image
downloading() { [ -s "$(ls -d "$t"/d1.state/download.*/image 2>/dev/null | head -1)" ]; }

# ---- end to end
head -c 200000 /dev/urandom >"$t/fw-1"
publish fw-1.bin 1 "$t/fw-1" --identity "$ID1"
expect_exit 0 "install fw-1.bin through the link (licence, then the image)" -- inst "$PLAIN" fw-1.bin
check "... the installed image is the catalogue's, byte for byte, sequence 1" bash -c "
	cmp -s '$t/d1.sw/'\$(sed -n 's/^slot //p' '$t/d1.sw/state')/image '$t/fw-1' &&
	grep -qx 'sequence 1' '$t/d1.sw/state'"
check "... over two links (licence, image)" test "$(conns plain)" -eq 2
check "... no download directory left" test "$(dl_dirs)" -eq 0
cp -a "$t/d1.sw" "$t/sw.1"

# ---- an image larger than the licence says: refused by the answer's header
head -c 100000 /dev/urandom >"$t/small"
publish big.bin 2 "$t/small" --identity "$ID1"
head -c 3000000 /dev/urandom >"$t/cat/big.bin"
expect_exit 5 "attack: an image larger than the licence's 100000 bytes is refused" -- inst "$PLAIN" big.bin
check "... as larger than allowed" grep -q "is 3000000 bytes, more than the 100000 allowed" "$t/err"
check "... nothing installed" diff -r "$t/sw.1" "$t/d1.sw"
check "... no file larger than the cap was written, no download directory left" bash -c \
	"[ -z \"\$(find '$t/d1.state' -type f -size +100000c)\" ] && [ \$(find '$t/d1.state' -maxdepth 1 -name 'download.*' | wc -l) -eq 0 ]"
# never held whole: a 512 MiB (sparse) image under a licence for 100000
# bytes; the device's peak memory stays far below it (native build)
truncate -s 512M "$t/cat/big.bin"
/usr/bin/time -v -o "$t/time.txt" timeout 120 "$bin/chipkey" --device "emu:$t/d1.sock" service install \
	big.bin --server "127.0.0.1:$PLAIN" --mode channel-key --keys "$t/d1.keys" --state "$t/d1.state" \
	--slot-dir "$t/d1.sw" >"$t/out" 2>"$t/err"
rc=$?
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$t/time.txt")
check "attack: a 512 MiB image for a 100000-byte licence is refused (exit $rc)" test "$rc" -eq 5
check "... peak memory ${rss:-?} KiB, far below the image (< 128 MiB)" test "${rss:-999999999}" -lt 131072
rm -f "$t/cat/big.bin"

# ---- a licence for another device: refused before the image is requested
head -c 50000 /dev/urandom >"$t/fw-3"
publish fw-3.bin 3 "$t/fw-3" --identity "$ID9"
before=$(conns plain)
expect_exit 4 "attack: a licence for another device ($ID9) is refused" -- inst "$PLAIN" fw-3.bin
check "... before the image was asked for (one link: the licence's)" \
	test "$(conns plain)" -eq $((before + 1))
check "... nothing installed, no download directory" bash -c \
	"diff -r '$t/sw.1' '$t/d1.sw' >/dev/null && [ $(dl_dirs) -eq 0 ]"
# an older sequence: refused from the licence alone as well
publish fw-0.bin 1 "$t/fw-3" --identity "$ID1"
before=$(conns plain)
expect_exit 13 "attack: a licence not newer than the installed one is refused" -- inst "$PLAIN" fw-0.bin
check "... before the image was asked for" test "$(conns plain)" -eq $((before + 1))

# ---- a licence over 64 KiB
cp "$t/fw-3" "$t/cat/huge.bin"
head -c 70000 /dev/urandom >"$t/cat/huge.bin.licence"
before=$(conns plain)
expect_exit 7 "attack: a licence of 70000 bytes (over 64 KiB) is refused" -- inst "$PLAIN" huge.bin
check "... by its header, the image never asked for" bash -c \
	"grep -q 'more than the 65536 allowed' '$t/err' && [ $(conns plain) -eq $((before + 1)) ]"
check "... no download directory left" test "$(dl_dirs)" -eq 0

# ---- a server that trickles: cut by the deadline (--timeout)
head -c 200000 /dev/urandom >"$t/fw-5"
publish fw-5.bin 5 "$t/fw-5" --identity "$ID1"
expect_exit 10 "a server trickling the image (1 byte / 0.2 s) is cut by --timeout 3" -- \
	inst "$SLOW" fw-5.bin --timeout 3
check "... the deadline is named" grep -q "deadline (--timeout) passed" "$t/err"
check "... nothing installed, no download directory" bash -c \
	"diff -r '$t/sw.1' '$t/d1.sw' >/dev/null && [ $(dl_dirs) -eq 0 ]"
expect_exit 1 "--timeout 0 is a usage error" -- inst "$PLAIN" fw-5.bin --timeout 0

# ---- kill -9 during the download: the next run cleans up and installs
# (chipkey itself in the background, so that $! is its pid)
"$ck" "${dev[@]}" --server "127.0.0.1:$SLOW" fw-5.bin >"$t/k.out" 2>"$t/k.err" &
kpid=$!
wait_until 400 downloading
check "a download under way (a partial image in a download directory)" test "$(dl_dirs)" -eq 1
kill -9 $kpid 2>/dev/null
wait $kpid 2>/dev/null
check "... killed with -9, it left its download directory behind" test "$(dl_dirs)" -eq 1
expect_exit 0 "the next run installs fw-5.bin" -- inst "$PLAIN" fw-5.bin
check "... having removed what the killed run left" grep -q "removed 1 download directory" "$t/err"
check "... sequence 5 installed, no download directory left" bash -c \
	"grep -qx 'sequence 5' '$t/d1.sw/state' && [ $(dl_dirs) -eq 0 ]"

# ---- an image encrypted to the device (the licence names the plaintext)
head -c 150000 /dev/urandom >"$t/fw-8"
publish fw-8.bin 8 "$t/fw-8" --identity "$ID1"
openssl cms -encrypt -binary -outform DER -aes-256-gcm -recip "$t/d1.keys/device-cert.pem" \
	-in "$t/fw-8" -out "$t/cat/fw-8.bin" 2>>"$t/setup.log"
expect_exit 0 "an image encrypted to the device (openssl cms) installs with --encrypted" -- \
	inst "$PLAIN" fw-8.bin --encrypted
check "... the slot holds the plaintext, sequence 8" bash -c "
	cmp -s '$t/d1.sw/'\$(sed -n 's/^slot //p' '$t/d1.sw/state')/image '$t/fw-8' &&
	grep -qx 'sequence 8' '$t/d1.sw/state'"
cp -a "$t/d1.sw" "$t/sw.8"
publish fw-9.bin 9 "$t/small" --identity "$ID1"
openssl cms -encrypt -binary -outform DER -aes-256-gcm -recip "$t/d1.keys/device-cert.pem" \
	-in "$t/fw-1" -out "$t/cat/fw-9.bin" 2>>"$t/setup.log"
expect_exit 5 "attack: an encrypted image larger than the licence's 100000 bytes + 64 KiB is refused" -- \
	inst "$PLAIN" fw-9.bin --encrypted
check "... by its size, before the download; nothing installed" bash -c \
	"grep -q 'more than the 165536 allowed' '$t/err' && diff -r '$t/sw.8' '$t/d1.sw' >/dev/null"

# ---- two installs at once: neither removes the other's live directory
head -c 200000 /dev/urandom >"$t/fw-6"
publish fw-6.bin 10 "$t/fw-6" --identity "$ID1"
head -c 100000 /dev/urandom >"$t/fw-7"
publish fw-7.bin 11 "$t/fw-7" --identity "$ID1"
"$ck" "${dev[@]}" --server "127.0.0.1:$SLOW" fw-6.bin >"$t/a.out" 2>"$t/a.err" &
apid=$!
pids+=($apid)
wait_until 400 downloading
adir=$(ls -d "$t"/d1.state/download.* 2>/dev/null | head -1)
check "install A (fw-6.bin, trickled) is downloading" test -n "$adir"
mkdir -m 700 "$t/d1.state/download.stale1"
expect_exit 0 "install B (fw-7.bin) meanwhile installs" -- inst "$PLAIN" fw-7.bin
check "... it removed the stale directory" test ! -e "$t/d1.state/download.stale1"
check "... but not A's live one" test -d "$adir" -a -f "$adir/image"
check "... sequence 11 installed" grep -qx 'sequence 11' "$t/d1.sw/state"
kill $apid 2>/dev/null
wait $apid 2>/dev/null

tap_done service-install
