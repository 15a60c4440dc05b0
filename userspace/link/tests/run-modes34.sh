#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Secure link modes 3 (CMS signed secret transport) and 4 (signed broadcast
# and authenticated DH), docs/service-link-cms.md: end to end over a relay
# (link/tests/test-cms.c), interoperability with `openssl cms` both ways,
# and what an attacker tries.  TAP.
#   run-modes34.sh ASAN_BUILD NATIVE_BUILD
# The test driver of ASAN_BUILD is used if built, else NATIVE_BUILD's; the
# cases with a fake clock (LD_PRELOAD) use the native one.  Expected values
# come from openssl and Debian's python3, never from the code under test.
set -u
ABUILD=${1:?usage: run-modes34.sh ASAN_BUILD NATIVE_BUILD}
NBUILD=${2:?usage: run-modes34.sh ASAN_BUILD NATIVE_BUILD}
ABUILD=$(realpath -m "$ABUILD") NBUILD=$(realpath -m "$NBUILD")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
PY=/usr/bin/python3
T=$ABUILD/tests/link/test-cms
[ -x "$T" ] || T=$NBUILD/tests/link/test-cms
NT=$NBUILD/tests/link/test-cms
FC=$NBUILD/tests/recovery/fake-clock.so
FACTORY=$NBUILD/bin/chipkey-factory
for f in "$T" "$NT" "$FACTORY"; do
	[ -x "$f" ] || { echo "not ok 1 - modes 3/4: $f not built (make check-build)"; exit 1; }
done
t=$(mktemp -d /tmp/chipkey-link34.XXXXXX)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1

# ---- keys: a factory, its service credential and two devices; a foreign
# factory with a service credential of its own
svc_cred() {	# DIR NAME: OU=chipkey-service under DIR's issuing CA
	openssl ecparam -name prime256v1 -genkey -noout -out "$2-key.pem" 2>/dev/null
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature,keyAgreement' 'extendedKeyUsage=serverAuth' \
		'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' > ext.cnf
	# valid from a day ago (a fake clock for openssl) for 30 days: the
	# messages below issued in the past are inside its validity
	openssl req -new -key "$2-key.pem" -subj "/O=Test/OU=chipkey-service/CN=service.test" \
		-out "$2.csr" && env LD_PRELOAD="$FC" CK_FAKE_TIME=$(( $(date +%s) - 86400 )) \
		openssl x509 -req -in "$2.csr" -CA "$1/ica-cert.pem" \
		-CAkey "$1/ica-key.pem" -days 30 -extfile ext.cnf -out "$2-cert.pem" 2>/dev/null
}
{
	"$FACTORY" init f --org Test && "$FACTORY" init g --org Test &&
	"$FACTORY" identities --prefix 35209900 --count 3 > ids &&
	ID_A=$(sed -n 1p ids) && ID_B=$(sed -n 2p ids) &&
	"$FACTORY" issue f --identity "$ID_A" --chip-id "$(openssl rand -hex 16)" \
		--key-out a-key.pem --out a-cert.pem &&
	"$FACTORY" issue f --identity "$ID_B" --chip-id "$(openssl rand -hex 16)" \
		--key-out b-key.pem --out b-cert.pem &&
	"$FACTORY" issue g --identity "$ID_A" --chip-id "$(openssl rand -hex 16)" \
		--key-out ga-key.pem --out ga-cert.pem &&
	svc_cred f svc && svc_cred f svc2 && svc_cred g evil
} >setup.log 2>&1 || { sed 's/^/# /' setup.log; echo "not ok 1 - modes 3/4: key setup"; exit 1; }
openssl x509 -in ga-cert.pem -outform DER -out ga-cert.der
# the device sends no issuing CA: openssl is given it beside the root
cat f/mfr-ca.pem f/ica-cert.pem > cas.pem
mkdir ds ss
base() {	# the options of device A and the service, state dirs $1 $2
	echo --rom f/mfr-pubkey.der --ica f/ica-cert.pem --svc-key svc-key.pem \
		--svc-cert svc-cert.pem --dev-key a-key.pem --dev-cert a-cert.pem \
		--dev-state "${1:-ds}" --srv-state "${2:-ss}"
}
# refused WHO ERRNAME DESC -- COMMAND: COMMAND fails and WHO's line names ERRNAME
refused() {
	local who=$1 e=$2 d=$3; shift 4
	if "$@" >out 2>err; then nok "$d (accepted)"; sed 's/^/# /' out; return; fi
	if grep -q 'process: abnormal end' out; then nok "$d (a crash or leak)"; sed 's/^/# /' out err | tail -20
	elif grep -q "^$who: rc=-[0-9]* $e" out; then ok "$d ($(grep "^$who:" out | cut -d' ' -f3-))"
	else nok "$d (want $who $e)"; sed 's/^/# /' out err | tail -8; fi
}
accepted() {
	local d=$1; shift 2
	if "$@" >out 2>err; then ok "$d"; else nok "$d"; sed 's/^/# /' out err | tail -8; fi
}
OID3=2.25.50593145492255432379104894009516897939
now() { date +%s; }
# body3 IDENTITY DIR ISSUED VALID SEQ: a mode-3 body, byte for byte as the doc says
body3() {
	$PY -c '
import os, struct, sys
i, d, t, v, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
b = b"CKL3" + bytes([1, d, 0, 0]) + i.encode() + b"\0" + struct.pack(">QII", t, v, 0) \
    + struct.pack(">Q", s) + os.urandom(16) + os.urandom(32)
assert len(b) == 96
sys.stdout.buffer.write(b)' "$@"
}
# msg3 BODY SIGNER-CERT SIGNER-KEY RECIPIENT OUT [-econtent_type OID]
msg3() {
	openssl cms -sign -binary -nodetach -in "$1" -signer "$2" -inkey "$3" \
		-certfile f/ica-cert.pem -econtent_type "${6:-$OID3}" -outform DER -out "$5.sd" &&
	openssl cms -encrypt -binary -in "$5.sd" -recip "$4" -aes-256-gcm -outform DER -out "$5"
}
seq_now() { echo $(( $(now) * 1000000 + ${1:-0} )); }

echo "# ---- mode 3: signed secret transport, encrypted to the receiver"
mkdir d1
accepted "mode 3 end to end: both sides derive the same PSK" -- $T run cms $(base) --dump d1
check "... the PSK identity names the device" grep -q "psk_identity chipkey-cms:$ID_A" out
accepted "mode 3 again: a second connection (the seq moved on)" -- $T run cms $(base)
# the server's SECRET, read with openssl alone
openssl cms -decrypt -inform DER -in d1/frame-2.bin -inkey a-key.pem -recip a-cert.pem \
	-binary -out s2.sd 2>err && openssl cms -verify -inform DER -in s2.sd -CAfile f/mfr-ca.pem \
	-purpose any -binary -out s2.body 2>>err
check "interop: openssl cms -decrypt (device key) | -verify (root CA) reads the server's SECRET" \
	test -s s2.body
check "... its body: CKL3, to the device, identity A, 300 s" $PY -c '
import struct, sys
b = open("s2.body", "rb").read()
assert len(b) == 96 and b[:6] == b"CKL3\x01\x01", b[:6]
assert b[8:24] == sys.argv[1].encode() + b"\0"
assert struct.unpack(">I", b[32:36])[0] == 300' "$ID_A"
openssl cms -decrypt -inform DER -in d1/frame-3.bin -inkey svc-key.pem -recip svc-cert.pem \
	-binary -out s3.sd 2>err && openssl cms -verify -inform DER -in s3.sd -CAfile cas.pem \
	-purpose any -binary -out s3.body 2>>err
check "interop: openssl cms -decrypt (service key) | -verify reads the device's SECRET (claim 8)" \
	test -s s3.body
check "... it echoes the server's identity, times, seq and nonce, direction 2" $PY -c '
a, b = open("s2.body", "rb").read(), open("s3.body", "rb").read()
assert b[:6] == b"CKL3\x01\x02" and a[6:64] == b[6:64] and a[64:] != b[64:]'

mkdir i1
body3 "$ID_A" 1 "$(now)" 300 "$(seq_now 1000000)" > b.bin
msg3 b.bin svc-cert.pem svc-key.pem a-cert.pem m1.der
accepted "interop: openssl cms -sign | -encrypt -recip devcert (ECDH) makes a SECRET the device accepts" \
	-- $T accept $(base i1) m1.der
refused device ESTALE "... the same message again: replay refused (persisted seq)" -- $T accept $(base i1) m1.der
mkdir i2
accepted "... (with a fresh state directory it would pass: the mark is what refuses)" -- $T accept $(base i2) m1.der
refused device ESTALE "replay of a recorded server SECRET into a new connection (server and device restarted)" \
	-- $T run cms $(base) --replace 2:d1/frame-2.bin
msg3 b.bin evil-cert.pem evil-key.pem a-cert.pem m.der
refused device EKEYREJECTED "signer not chained to the ROM key (a foreign factory's service credential)" \
	-- $T accept $(base i2) m.der
msg3 b.bin f/spp-cert.pem f/spp-key.pem a-cert.pem m.der
refused device EKEYREJECTED "signer chained to the ROM key but not a service credential (SPP key)" \
	-- $T accept $(base i2) m.der
msg3 b.bin a-cert.pem a-key.pem a-cert.pem m.der
refused device EKEYREJECTED "signed by a device key" -- $T accept $(base i2) m.der
body3 "$ID_B" 1 "$(now)" 300 "$(seq_now 2000000)" > bb.bin
msg3 bb.bin svc-cert.pem svc-key.pem a-cert.pem m.der
refused device EKEYREJECTED "a SECRET for another terminal identifier" -- $T accept $(base i2) m.der
msg3 b.bin svc-cert.pem svc-key.pem b-cert.pem m.der
refused device EBADE "a SECRET encrypted to another device" -- $T accept $(base i2) m.der
body3 "$ID_A" 2 "$(now)" 300 "$(seq_now 3000000)" > b2.bin
msg3 b2.bin svc-cert.pem svc-key.pem a-cert.pem m.der
refused device EKEYREJECTED "a device-to-server body sent to a device" -- $T accept $(base i2) m.der
msg3 b.bin svc-cert.pem svc-key.pem a-cert.pem m.der 1.2.840.113549.1.7.1
refused device EBADMSG "another eContentType (id-data)" -- $T accept $(base i2) m.der
openssl cms -encrypt -binary -in m1.der.sd -recip a-cert.pem -aes-256-cbc -outform DER -out m-cbc.der
refused device EBADMSG "an EnvelopedData with AES-256-CBC (unauthenticated): only AuthEnvelopedData" \
	-- $T accept $(base i2) m-cbc.der
t_exp=$(( $(now) - 1000 ))
body3 "$ID_A" 1 "$t_exp" 300 $(( t_exp * 1000000 )) > be.bin
msg3 be.bin svc-cert.pem svc-key.pem a-cert.pem m-exp.der
refused device EKEYEXPIRED "expired: issued 1000 s ago, valid 300 s" -- $T accept $(base i2) m-exp.der
body3 "$ID_A" 1 $(( $(now) + 3600 )) 300 $(( ($(now) + 3600) * 1000000 )) > bf.bin
msg3 bf.bin svc-cert.pem svc-key.pem a-cert.pem m-fut.der
refused device EKEYEXPIRED "future: issued in an hour" -- $T accept $(base i2) m-fut.der
body3 "$ID_A" 1 "$(now)" 7200 "$(seq_now 6000000)" > bl.bin
msg3 bl.bin svc-cert.pem svc-key.pem a-cert.pem m.der
refused device EBADMSG "a validity over the 3600 s limit" -- $T accept $(base i2) m.der
# counter limits: a signed seq beyond its own time would lock the device out
mkdir k1
body3 "$ID_A" 1 "$(now)" 300 18446744073709551615 > bk.bin
msg3 bk.bin svc-cert.pem svc-key.pem a-cert.pem m-max.der
refused device EBADMSG "counter limit: a signed seq of 2^64-1 is refused (it would lock the device out)" \
	-- $T accept $(base k1) m-max.der
refused device EBADMSG "... also by a device without a clock (1970)" \
	-- env LD_PRELOAD="$FC" $NT accept $(base k1) m-max.der
body3 "$ID_A" 1 "$(now)" 300 $(( ($(now) + 300) * 1000000 + 1 )) > bk.bin
msg3 bk.bin svc-cert.pem svc-key.pem a-cert.pem m.der
refused device EBADMSG "... a seq one above (issued_at + valid_for) * 10^6" -- $T accept $(base k1) m.der
body3 "$ID_A" 1 4294967296 300 4294967296000000 > bk.bin
msg3 bk.bin svc-cert.pem svc-key.pem a-cert.pem m.der
refused device EBADMSG "... an issued_at of 2^32 (after 2106) with a seq to match, at 1970" \
	-- env LD_PRELOAD="$FC" $NT accept $(base k1) m.der
check "... none of them moved the mark" test ! -e k1/link-cms.seq
accepted "... the device still accepts the real server afterwards" -- $T run cms $(base k1)
accepted "... and at 1970 too" -- env LD_PRELOAD="$FC" $NT run cms $(base k1)
# the signer's validity at the signed time (checked at any device clock)
t_old=$(( $(now) - 3 * 86400 ))
body3 "$ID_A" 1 "$t_old" 300 $(( t_old * 1000000 )) > bo.bin
msg3 bo.bin svc-cert.pem svc-key.pem a-cert.pem m.der
mkdir k2
refused device EKEYEXPIRED "a message issued before its signer certificate's notBefore, at 1970" \
	-- env LD_PRELOAD="$FC" $NT accept $(base k2) m.der
check "... refused for that reason" grep -q "signer certificate's validity" out
# a device without a clock (1970): only the persisted mark decides
mkdir c1
accepted "device clock at 1970: a held-back message issued 1000 s ago is taken: no clock, the seq decides" \
	-- env LD_PRELOAD="$FC" $NT accept $(base c1) m-exp.der
refused device ESTALE "... but a replay is still refused at 1970" \
	-- env LD_PRELOAD="$FC" $NT accept $(base c1) m-exp.der
accepted "device clock at 1970: mode 3 end to end (server with the real clock)" \
	-- env LD_PRELOAD="$FC" $NT run cms $(base c1) --dump c1
refused device ESTALE "... and so is the recorded SECRET of an older connection" \
	-- env LD_PRELOAD="$FC" $NT run cms $(base c1) --replace 2:c1/frame-2.bin
refused device EKEYEXPIRED "device clock 2 days ahead: the server's SECRET has expired" \
	-- env LD_PRELOAD="$FC" CK_FAKE_TIME=$(( $(now) + 172800 )) $NT run cms $(base c1)
# malformed and hostile input
refused device EBADE "tampered SECRET (one bit of the ciphertext)" -- $T run cms $(base) --flip 2:400
check "... refused by the AuthEnvelopedData (GCM tag)" grep -q "AuthEnvelopedData: not for this key, or tampered" out
refused server EBADE "tampered device SECRET: the server refuses" -- $T run cms $(base) --flip 3:400
refused device ECONNRESET "truncated SECRET (100 bytes of it, then the end)" -- $T run cms $(base) --trunc 2:100
refused device EMSGSIZE "oversized frame (16385 bytes announced)" -- $T run cms $(base) --oversize 2
refused server EMSGSIZE "oversized HELLO" -- $T run cms $(base) --oversize 1
refused server EPROTO "a frame of another type where HELLO is due (an OFFER)" \
	-- $T run cms $(base) --hdr 1:0:0x41
refused device EBADMSG "a frame header with a nonzero reserved byte" -- $T run cms $(base) --hdr 2:1:1
refused device ETIMEDOUT "a server that stalls mid-frame (100 bytes of SECRET, then silence): the frame deadline" \
	-- $T run cms $(base) --stall 2:100 --timeout-ms 300
refused server ETIMEDOUT "a device that stalls mid-HELLO: the server's frame deadline ends it" \
	-- $T run cms $(base) --stall 1:10 --timeout-ms 300
head -c 700 /dev/urandom > junk.bin
refused server EBADMSG "a HELLO of random bytes" -- $T run cms $(base) --replace 1:junk.bin
refused server EKEYREJECTED "a HELLO with a foreign factory's device certificate" \
	-- $T run cms $(base) --replace 1:ga-cert.der
refused server EKEYREJECTED "a device SECRET recorded from an older connection: no echo of this one" \
	-- $T run cms $(base) --replace 3:d1/frame-3.bin
check "... refused for that reason" grep -q 'does not echo' out
# device B's SECRET (a valid device) after device A's HELLO
body3 "$ID_B" 2 "$(now)" 300 1 > bb2.bin
openssl cms -sign -binary -nodetach -in bb2.bin -signer b-cert.pem -inkey b-key.pem \
	-econtent_type "$OID3" -outform DER -out bb2.sd &&
	openssl cms -encrypt -binary -in bb2.sd -recip svc-cert.pem -aes-256-gcm -outform DER -out bb2.der
refused server EKEYREJECTED "a device SECRET signed by another device than HELLO's" \
	-- $T run cms $(base) --replace 3:bb2.der
check "... refused for that reason" grep -q 'signed by another certificate' out
refused device EBADMSG "a SECRET file of random bytes" -- $T accept $(base i2) junk.bin
head -c 20000 /dev/urandom > big.bin
refused device EMSGSIZE "a 20000-byte SECRET file" -- $T accept $(base i2) big.bin
{ cat m1.der; printf '\0'; } > trail.der
refused device EBADMSG "a SECRET file with a byte after the CMS structure" -- $T accept $(base i2) trail.der
head -c 900 m1.der > trunc.der
refused device EBADMSG "a truncated SECRET file" -- $T accept $(base i2) trunc.der
# the state lock: while another holder has state_dir/link.lock, an accept
# waits (it shows as a blocked flock in /proc/locks) and writes nothing
# lock_waits DIR MARK DESC -- COMMAND: while this shell holds DIR/link.lock,
# COMMAND blocks on it (a waiter in /proc/locks) and has not written DIR/MARK;
# once released it completes and writes DIR/MARK
lock_waits() {
	local dir=$1 mark=$2 d=$3 pid ino; shift 4
	: > "$dir/link.lock" && exec 9< "$dir/link.lock" && flock 9
	"$@" > lock.out 2>&1 9<&- & pid=$!
	ino=$(stat -c %i "$dir/link.lock")
	for _ in $(seq 400); do	# until it blocks on the lock (or ends)
		grep -q -- "-> FLOCK .*:$ino " /proc/locks && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	check "$d: waits for the holder of state_dir/link.lock (a blocked flock)" \
		grep -q -- "-> FLOCK .*:$ino " /proc/locks
	check "... and has not touched $mark meanwhile" test ! -e "$dir/$mark"
	exec 9<&-
	wait "$pid"
	check "... then completes once the lock is released ($mark written)" test -s "$dir/$mark"
}
mkdir l1
lock_waits l1 link-cms.seq "state lock, mode 3 accept" -- $T accept $(base l1) m1.der
# a directory planted at state_dir/link.lock (with a file in it) is
# replaced by the lock file, not obeyed: the accept completes
mkdir -p l2/link.lock/x && : > l2/link.lock/x/y
accepted "a directory planted at state_dir/link.lock: replaced, the accept completes" \
	-- $T accept $(base l2) m1.der
check "... a regular lock file in its place, the mark written" bash -c \
	"test -f l2/link.lock && test -s l2/link-cms.seq"
mkdir bad && printf 'abc' > bad/link-cms.seq
refused device EUCLEAN "a damaged high-water file fails closed (not reset to 0)" \
	-- $T accept $(base bad) m1.der
mkdir big && printf '123456789' > big/link-cms.seq
refused device EUCLEAN "a high-water file over 8 bytes fails closed too (not read as its first 8)" \
	-- $T accept $(base big) m1.der

echo "# ---- mode 4: signed broadcast, authenticated Diffie-Hellman"
# mark CERT: the device's high-water mark file of the server with CERT's key
# (link-bcast-<SHA-256 of its SubjectPublicKeyInfo DER>.version)
mark() {
	echo "link-bcast-$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
		sha256sum | cut -c1-64).version"
}
M1=$(mark svc-cert.pem) M2=$(mark svc2-cert.pem)
# bfield FILE OFFSET: a u64 of a broadcast file's body (openssl cms -verify)
bfield() {
	openssl cms -verify -inform DER -in "$1" -CAfile f/mfr-ca.pem -purpose any -binary \
		-out bf.body 2>/dev/null &&
	$PY -c 'import struct, sys; print(struct.unpack(">Q", open("bf.body","rb").read()[int(sys.argv[1]):][:8])[0])' "$2"
}
# hw DIR MARK: a device's high-water mark
hw() { od -An -tu8 --endian=big -N8 "$1/$2" | tr -d ' '; }
mkdir b1 e1 e2 e3
accepted "mode 4 end to end: both sides derive the same PSK" -- $T run bcast $(base e1 b1) --dump b1
check "... the PSK identity names the device" grep -q "psk_identity chipkey-bcast:$ID_A" out
check "... the OFFER is the published file" cmp -s b1/frame-1.bin b1/link-bcast.der
check "... the broadcast key file is private (0600)" test "$(stat -c %a b1/link-bcast-key.der)" = 600
openssl cms -verify -inform DER -in b1/link-bcast.der -CAfile f/mfr-ca.pem -purpose any -binary \
	-out bc.body 2>err
check "interop: openssl cms -verify (root CA) checks the broadcast file; body CKB4, Q_s a point" $PY -c '
b = open("bc.body", "rb").read()
assert len(b) == 125 and b[:5] == b"CKB4\x01" and b[60] == 4'
check "... server_id is SHA-256 of the signer certificate" $PY -c '
import hashlib, subprocess
der = subprocess.run(["openssl", "x509", "-in", "svc-cert.pem", "-outform", "DER"],
                     capture_output=True, check=True).stdout
assert open("bc.body", "rb").read()[28:60] == hashlib.sha256(der).digest()'
check "... the device's SHARE verifies with openssl against the root CA" \
	openssl cms -verify -inform DER -in b1/frame-3.bin -CAfile cas.pem -purpose any -binary -out sh.body 2>/dev/null
check "... it names device A and the SHA-256 of the OFFER" $PY -c '
import hashlib, sys
s, o = open("sh.body", "rb").read(), open("b1/frame-1.bin", "rb").read()
assert len(s) == 137 and s[:5] == b"CKD4\x01" and s[8:24] == sys.argv[1].encode() + b"\0"
assert s[24:56] == hashlib.sha256(o).digest() and s[56] == 4
assert s[121:] == open("b1/frame-2.bin", "rb").read()' "$ID_A"
accepted "a second connection with the same broadcast (the version may repeat)" -- $T run bcast $(base e1 b1)
accepted "a device picks up the broadcast file itself" -- $T bcast-accept $(base e2) b1/link-bcast.der
mkdir l2
lock_waits l2 "$M1" "state lock, mode 4 accept" -- $T bcast-accept $(base l2) b1/link-bcast.der
mkdir l3
lock_waits l3 link-bcast.der "state lock, the server's broadcast renewal" -- $T run bcast $(base e2 l3)
v=$($PY -c 'import struct; print(struct.unpack(">Q", open("bc.body","rb").read()[8:16])[0])')
cp -r b1 b2
$T publish $(base e1 b2) $((v - 1)) 3600 >/dev/null
refused device ESTALE "a broadcast older than one already seen (version - 1, after a restart)" \
	-- $T run bcast $(base e1 b2)
accepted "... a device that has not seen the newer one takes it" -- $T run bcast $(base e3 b2)
# several servers, each with its own state directory, credential and
# versions (review R2): a device keeps the highest version per server key,
# so one server's newer broadcast does not lock out another's, and each
# server's rollback is still refused
mkdir t1 t2 t1b t2b e10
S2=(--svc-key svc2-key.pem --svc-cert svc2-cert.pem)
$T publish $(base e10 t1) $((v + 10)) 3600 >/dev/null
$T publish $(base e10 t2) "${S2[@]}" $((v + 1000)) 3600 >/dev/null
accepted "two servers: the device takes server 2's broadcast (version v + 1000)" -- \
	$T bcast-accept $(base e10) t2/link-bcast.der
accepted "... then server 1's (v + 10, its own versions: not stale)" -- $T bcast-accept $(base e10) t1/link-bcast.der
accepted "... server 2 again, end to end" -- $T run bcast $(base e10 t2) "${S2[@]}"
accepted "... server 1 again, end to end" -- $T run bcast $(base e10 t1)
accepted "... and at 1970 (no clock) alternating too" -- \
	env LD_PRELOAD="$FC" $NT bcast-accept $(base e10) t2/link-bcast.der
accepted "... (server 1 at 1970)" -- env LD_PRELOAD="$FC" $NT bcast-accept $(base e10) t1/link-bcast.der
check "... one mark per server, named by the SHA-256 of its public key (openssl): v + 10, v + 1000" \
	bash -c "[ \"\$(od -An -tu8 --endian=big -N8 e10/$M1 | tr -d ' ')\" = $((v + 10)) ] &&
		 [ \"\$(od -An -tu8 --endian=big -N8 e10/$M2 | tr -d ' ')\" = $((v + 1000)) ]"
$T publish $(base e10 t1b) $((v + 9)) 3600 >/dev/null
$T publish $(base e10 t2b) "${S2[@]}" $((v + 999)) 3600 >/dev/null
refused device ESTALE "attack: server 1's rollback (v + 9 after v + 10) is still refused" -- \
	$T bcast-accept $(base e10) t1b/link-bcast.der
refused device ESTALE "attack: server 2's rollback (v + 999 after v + 1000) is still refused" -- \
	$T bcast-accept $(base e10) t2b/link-bcast.der
refused device ESTALE "... also at 1970" -- env LD_PRELOAD="$FC" $NT bcast-accept $(base e10) t1b/link-bcast.der
# a server whose clock ran 2 days ahead made a broadcast issued then; back
# on the real clock it must not offer it again (review R3: devices with a
# set clock refuse it as issued in the future)
mkdir fu e11 e12 e13
FUT=$(( $(now) + 172800 ))
# (the driver's server runs on the real clock: the broadcast is published
# as ck_link_bcast_current would at that clock, version = now)
env LD_PRELOAD="$FC" CK_FAKE_TIME=$FUT $NT publish $(base e11 fu) $FUT 86400 >/dev/null
accepted "a server clock 2 days ahead: a broadcast issued then (a device at that time takes it)" -- \
	env LD_PRELOAD="$FC" CK_FAKE_TIME=$FUT $NT bcast-accept $(base e11) fu/link-bcast.der
vf=$(bfield fu/link-bcast.der 8)
accepted "... a device at 1970 (no clock) takes that future broadcast" -- \
	env LD_PRELOAD="$FC" $NT bcast-accept $(base e12) fu/link-bcast.der
accepted "the server back on the real clock: a device with a set clock links (not the future broadcast)" -- \
	$T run bcast $(base e13 fu)
check "... a new broadcast, issued now, its version above the future one's and within issued_at + valid_for" \
	$PY -c '
import struct, sys, time
b = open("bf.body", "rb").read()
v, t, life = struct.unpack(">QQI", b[8:28])
assert abs(t - time.time()) < 120 and v > int(sys.argv[1]) and v <= t + life <= t + 604800, (v, t, life)' \
	"$(bfield fu/link-bcast.der 8 >/dev/null; echo "$vf")"
accepted "... and the device at 1970 that took the future version takes the new one" -- \
	env LD_PRELOAD="$FC" $NT bcast-accept $(base e12) fu/link-bcast.der
# a clock that ran 10 days ahead: beyond the longest lifetime (7 days), the
# new version is capped at now + 7 days (logged); a device at 1970 that
# took the future one refuses it (the documented limit)
mkdir fx e14 e15
FUT=$(( $(now) + 864000 ))
env LD_PRELOAD="$FC" CK_FAKE_TIME=$FUT $NT publish $(base e14 fx) $FUT 86400 >/dev/null
accepted "... a device at 1970 takes a broadcast published at a clock 10 days ahead" -- \
	env LD_PRELOAD="$FC" $NT bcast-accept $(base e14) fx/link-bcast.der
accepted "the server back on the real clock: a device with a set clock links" -- $T run bcast $(base e15 fx)
check "... the server logged the version it could not reach" grep -q "more than 604800 s ahead of the clock" err
check "... the new broadcast: version issued_at + 7 days (the clock read twice: 2 s slack), valid 7 days" $PY -c '
import struct
b = open("bf.body", "rb").read()
v, t, life = struct.unpack(">QQI", b[8:28])
assert life == 604800 and t + life - 2 <= v <= t + life, (v, t, life)' "$(bfield fx/link-bcast.der 8)"
refused device ESTALE "... which the device at 1970 that took the 10-day-ahead version refuses (the limit)" -- \
	env LD_PRELOAD="$FC" $NT bcast-accept $(base e14) fx/link-bcast.der
mkdir b3 && $T publish $(base e2 b3) --svc-key f/spp-key.pem --svc-cert f/spp-cert.pem $((v + 1)) 3600 >/dev/null
refused device EKEYREJECTED "a broadcast signed by a non-service key (the SPP's)" \
	-- $T bcast-accept $(base e2) b3/link-bcast.der
mkdir b4 && $T publish $(base e2 b4) --svc-key evil-key.pem --svc-cert evil-cert.pem $((v + 1)) 3600 >/dev/null
refused device EKEYREJECTED "a broadcast signed by a foreign factory's service credential" \
	-- $T bcast-accept $(base e2) b4/link-bcast.der
mkdir b5 && $T publish $(base e2 b5) $((v + 2)) 3600 >/dev/null
refused device EKEYEXPIRED "an expired broadcast (device clock 2 hours after a 1-hour broadcast)" \
	-- env LD_PRELOAD="$FC" CK_FAKE_TIME=$(( $(now) + 7200 )) $NT bcast-accept $(base e2) b5/link-bcast.der
mkdir e4
accepted "device clock at 1970: mode 4 end to end" -- env LD_PRELOAD="$FC" $NT run bcast $(base e4 b1)
refused device ESTALE "... and at 1970 an older broadcast is still refused" \
	-- env LD_PRELOAD="$FC" $NT run bcast $(base e1 b2)
# offset of a byte inside the signed content: FILE MAGIC DELTA
at() { $PY -c 'import sys; print(open(sys.argv[1], "rb").read().index(sys.argv[2].encode()) + int(sys.argv[3]))' "$@"; }
refused device EKEYREJECTED "tampered OFFER (one bit of Q_s)" \
	-- $T run bcast $(base e1 b1) --flip 1:"$(at b1/frame-1.bin CKB4 70)"
refused server EKEYREJECTED "tampered SHARE (one bit of Q_d)" \
	-- $T run bcast $(base e1 b1) --flip 3:"$(at b1/frame-3.bin CKD4 70)"
refused device EKEYREJECTED "tampered OFFER (one bit of the version)" \
	-- $T run bcast $(base e1 b1) --flip 1:"$(at b1/frame-1.bin CKB4 15)"
refused device ECONNRESET "truncated OFFER" -- $T run bcast $(base e1 b1) --trunc 1:60
refused device EMSGSIZE "oversized OFFER" -- $T run bcast $(base e1 b1) --oversize 1
refused server EMSGSIZE "oversized SHARE" -- $T run bcast $(base e1 b1) --oversize 3
refused server EBADMSG "a SHARE of random bytes" -- $T run bcast $(base e1 b1) --replace 3:junk.bin
# a SHARE naming device A, signed by device B (a valid device of the factory)
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl ec -pubout -outform DER 2>/dev/null > q.der
$PY -c '
import hashlib, sys
q = open("q.der", "rb").read()[-65:]
o = hashlib.sha256(open("b1/link-bcast.der", "rb").read()).digest()
sys.stdout.buffer.write(b"CKD4\x01\0\0\0" + sys.argv[1].encode() + b"\0" + o + q + bytes(16))' "$ID_A" > share.bin
openssl cms -sign -binary -nodetach -in share.bin -signer b-cert.pem -inkey b-key.pem \
	-econtent_type 2.25.61883693501537110133294442699525149483 -outform DER -out share-b.der
refused server EKEYREJECTED "a SHARE naming device A signed by device B" \
	-- $T run bcast $(base e1 b1) --replace 3:share-b.der
openssl cms -sign -binary -nodetach -in share.bin -signer ga-cert.pem -inkey ga-key.pem \
	-econtent_type 2.25.61883693501537110133294442699525149483 -outform DER -out share-g.der
refused server EKEYREJECTED "a SHARE signed by a foreign factory's device certificate" \
	-- $T run bcast $(base e1 b1) --replace 3:share-g.der
openssl cms -sign -binary -nodetach -in share.bin -signer a-cert.pem -inkey a-key.pem \
	-econtent_type 2.25.61883693501537110133294442699525149483 -outform DER -out share-a.der
$PY -c '
import sys
s = bytearray(open("share.bin", "rb").read()); s[24] ^= 1
sys.stdout.buffer.write(bytes(s))' > share-od.bin
openssl cms -sign -binary -nodetach -in share-od.bin -signer a-cert.pem -inkey a-key.pem \
	-econtent_type 2.25.61883693501537110133294442699525149483 -outform DER -out share-od.der
refused server EKEYREJECTED "a SHARE of device A that answers another broadcast (digest)" \
	-- $T run bcast $(base e1 b1) --replace 3:share-od.der
check "... refused for that reason" grep -q 'answers another broadcast' out
# freshness of the share: the server's NONCE of this connection, signed in it
refused server EKEYREJECTED "replay of a recorded SHARE (b1) into a new connection: the server refuses" \
	-- $T run bcast $(base e1 b1) --replace 3:b1/frame-3.bin
check "... refused for that reason (not this connection's nonce)" grep -q "this connection's nonce" out
check "... and names no peer" bash -c '! grep -q "^keys: equal" out'
check "... the NONCE frame: 16 bytes, fresh per connection" bash -c \
	'mkdir -p n1 n2 && '"$T"' run bcast '"$(base e1 b1)"' --dump n1 >/dev/null &&
	 '"$T"' run bcast '"$(base e1 b1)"' --dump n2 >/dev/null &&
	 test "$(stat -c %s n1/frame-2.bin)" = 16 && ! cmp -s n1/frame-2.bin n2/frame-2.bin'
refused server EKEYREJECTED "a genuinely signed SHARE of device A made outside the connection (zero nonce)" \
	-- $T run bcast $(base e1 b1) --replace 3:share-a.der
refused server ETIMEDOUT "a device that announces its SHARE and sends none of it (mode 4)" \
	-- $T run bcast $(base e1 b1) --stall 3:0 --timeout-ms 300
# valid signatures over values that are not P-256 points
$PY -c '
import struct, sys, hashlib, subprocess
der = subprocess.run(["openssl", "x509", "-in", "svc-cert.pem", "-outform", "DER"],
                     capture_output=True, check=True).stdout
sys.stdout.buffer.write(b"CKB4\x01\0\0\0" + struct.pack(">QQI", int(sys.argv[1]), int(sys.argv[2]), 3600)
                        + hashlib.sha256(der).digest() + b"\x04" + b"\x01" * 64)' $((v + 50)) "$(now)" > np.bin
openssl cms -sign -binary -nodetach -in np.bin -signer svc-cert.pem -inkey svc-key.pem \
	-certfile f/ica-cert.pem -econtent_type 2.25.61883693501537110133294442699525149482 \
	-outform DER -out np.der
$PY -c '
import struct, sys
q = open("q.der", "rb").read()[-65:]
sys.stdout.buffer.write(b"CKB4\x01\0\0\0" + struct.pack(">QQI", int(sys.argv[1]), int(sys.argv[2]), 3600)
                        + b"\0" * 32 + q)' $((v + 60)) "$(now)" > sid.bin
openssl cms -sign -binary -nodetach -in sid.bin -signer svc-cert.pem -inkey svc-key.pem \
	-certfile f/ica-cert.pem -econtent_type 2.25.61883693501537110133294442699525149482 \
	-outform DER -out sid.der
mkdir e7
refused device EKEYREJECTED "a broadcast whose server_id is not its signer's" \
	-- $T bcast-accept $(base e7) sid.der
$PY -c '
import hashlib, struct, subprocess, sys
der = subprocess.run(["openssl", "x509", "-in", "svc-cert.pem", "-outform", "DER"],
                     capture_output=True, check=True).stdout
q = open("q.der", "rb").read()[-65:]
sys.stdout.buffer.write(b"CKB4\x01\0\0\0" + struct.pack(">QQI", int(sys.argv[1]), int(sys.argv[2]), 3600)
                        + hashlib.sha256(der).digest() + q)' $((v + 70)) $(( $(now) + 3600 )) > fut.bin
openssl cms -sign -binary -nodetach -in fut.bin -signer svc-cert.pem -inkey svc-key.pem \
	-certfile f/ica-cert.pem -econtent_type 2.25.61883693501537110133294442699525149482 \
	-outform DER -out fut.der
refused device EKEYEXPIRED "a broadcast from the future (issued in an hour)" \
	-- $T bcast-accept $(base e7) fut.der
check "... refused for that reason" grep -q 'in the future' out
# counter limit of mode 4: version <= issued_at + valid_for
$PY -c '
import hashlib, struct, subprocess, sys
der = subprocess.run(["openssl", "x509", "-in", "svc-cert.pem", "-outform", "DER"],
                     capture_output=True, check=True).stdout
q = open("q.der", "rb").read()[-65:]
sys.stdout.buffer.write(b"CKB4\x01\0\0\0" + struct.pack(">QQI", int(sys.argv[1]), int(sys.argv[2]), 3600)
                        + hashlib.sha256(der).digest() + q)' 18446744073709551615 "$(now)" > vmax.bin
openssl cms -sign -binary -nodetach -in vmax.bin -signer svc-cert.pem -inkey svc-key.pem \
	-certfile f/ica-cert.pem -econtent_type 2.25.61883693501537110133294442699525149482 \
	-outform DER -out vmax.der
mkdir e8
refused device EBADMSG "counter limit: a signed broadcast version of 2^64-1 is refused" \
	-- $T bcast-accept $(base e8) vmax.der
refused device EBADMSG "... also at 1970" -- env LD_PRELOAD="$FC" $NT bcast-accept $(base e8) vmax.der
check "... it did not move the mark" bash -c '! ls e8/link-bcast-*.version 2>/dev/null'
accepted "... the device still takes the real server's broadcast afterwards" -- $T run bcast $(base e8 b1)
mkdir b7
check "ck_link_bcast_publish refuses a version over issued_at + valid_for" \
	bash -c '! "$1" publish $2 18446744073709551615 3600 >out2 && grep -q "not 1..issued_at" out2' \
	_ "$T" "$(base e2 b7)"
mkdir e5
refused device EKEYREJECTED "a signed broadcast whose Q_s is not a P-256 point: ECDH refuses" \
	-- $T run bcast $(base e5 b1) --replace 1:np.der
$PY -c '
import sys
s = bytearray(open("share.bin", "rb").read()); s[57:121] = b"\x01" * 64
sys.stdout.buffer.write(bytes(s))' > share-np.bin
openssl cms -sign -binary -nodetach -in share-np.bin -signer a-cert.pem -inkey a-key.pem \
	-econtent_type 2.25.61883693501537110133294442699525149483 -outform DER -out share-np.der
refused server EKEYREJECTED "a signed SHARE whose Q_d is not a P-256 point" \
	-- $T run bcast $(base e1 b1) --replace 3:share-np.der
cp -r b1 b6
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER -out b6/link-bcast-key.der 2>/dev/null
mkdir e6
accepted "a broadcast key file that does not match the broadcast: the server publishes a new one" \
	-- $T run bcast $(base e6 b6)
check "... (a new broadcast file)" bash -c '! cmp -s b1/link-bcast.der b6/link-bcast.der'
refused device EBADMSG "a broadcast file of random bytes" -- $T bcast-accept $(base e2) junk.bin
refused device EMSGSIZE "a 20000-byte broadcast file" -- $T bcast-accept $(base e2) big.bin
tap_done "link modes 3 and 4"
