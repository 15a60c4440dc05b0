#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey-factory command tests (TAP).  Checks are made with tools that do not
# share code with the factory: the openssl command, awk (Luhn), and a Python
# reader of the data package written from docs/data-package.md.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BUILD:-$top/build}
CF=${CHIPKEY_FACTORY:-$BUILD/asan/bin/chipkey-factory}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

n=0 failed=0
ok() { # ok COND-EXIT-STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
check() { # check NAME CMD...: ok if CMD succeeds
	local name=$1; shift
	"$@" >/dev/null 2>&1
	ok $? "$name"
}
mode() { stat -c %a "$1"; }

if [ ! -x "$CF" ]; then
	echo "not ok 1 - $CF not built"
	exit 1
fi
T=$(mktemp -d /tmp/ck-factory-sh-XXXXXX)
trap 'rm -rf "$T"' EXIT
F=$T/factory

# ---- init
out=$( (umask 000; "$CF" init "$F" --org "Test Maker" --spp-name spp.test) 2>&1)
ok $? "init creates a factory (even with umask 000)"
[ "$(mode "$F")" = 700 ]; ok $? "factory directory is 0700"
bad=0
for f in mfr-key.pem master.key spp-key.pem ica-key.pem record-key.pem; do
	[ "$(mode "$F/$f")" = 600 ] || { echo "# $f has mode $(mode "$F/$f")"; bad=1; }
done
ok $bad "secret files mfr-key.pem, master.key, spp-key.pem, ica-key.pem, record-key.pem are 0600"
bad=0
for f in mfr-ca.pem mfr-ca.der mfr-pubkey.der spp-cert.pem; do
	[ -s "$F/$f" ] && [ "$(mode "$F/$f")" = 644 ] || bad=1
done
ok $bad "public files exist and are 0644"
[ "$(stat -c %s "$F/master.key")" = 32 ]; ok $? "master key is 32 bytes"
master_hex=$(od -An -v -tx1 "$F/master.key" | tr -d ' \n')
key_line=$(sed -n 2p "$F/mfr-key.pem")
! printf '%s' "$out" | grep -qi -e "$master_hex" -e "$key_line" -e 'PRIVATE KEY'
ok $? "init prints no secret"
ls -d "$T"/factory.init-* >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "no temporary directory left behind"

sum_before=$(cat "$F"/* | sha256sum)
"$CF" init "$F" >/dev/null 2>&1
rc=$?
[ $rc -eq 22 ] && [ "$(cat "$F"/* | sha256sum)" = "$sum_before" ]
ok $? "second init refused (exit 22, conflict), factory unchanged"
mkdir "$T/empty" "$T/nonempty" && touch "$T/nonempty/x"
check "init into an existing empty directory works" "$CF" init "$T/empty"
! "$CF" init "$T/nonempty" >/dev/null 2>&1 && [ -e "$T/nonempty/x" ] && [ ! -e "$T/nonempty/master.key" ]
ok $? "init into a non-empty directory refused"

# ---- manufacturer CA, ROM key, SPP credential (checked with openssl)
openssl x509 -in "$F/mfr-ca.pem" -noout -text > "$T/ca.txt" 2>&1
grep -q 'CA:TRUE' "$T/ca.txt" && grep -q 'O = Test Maker' "$T/ca.txt" && grep -q 'prime256v1' "$T/ca.txt"
ok $? "manufacturer CA: P-256, CA:TRUE, O = Test Maker"
openssl x509 -in "$F/mfr-ca.pem" -noout -pubkey | openssl pkey -pubin -outform DER > "$T/ca-pub.der" 2>/dev/null
cmp -s "$T/ca-pub.der" "$F/mfr-pubkey.der"
ok $? "mfr-pubkey.der is the CA certificate's public key (DER SPKI)"
openssl pkey -in "$F/mfr-key.pem" -pubout -outform DER > "$T/key-pub.der" 2>/dev/null
cmp -s "$T/key-pub.der" "$F/mfr-pubkey.der"
ok $? "mfr-key.pem is the private key of mfr-pubkey.der"
check "openssl verify accepts the SPP certificate" openssl verify -CAfile "$F/mfr-ca.pem" -untrusted "$F/ica-cert.pem" "$F/spp-cert.pem"
openssl x509 -in "$F/spp-cert.pem" -noout -text > "$T/spp.txt" 2>&1
grep -q 'OU = chipkey-spp' "$T/spp.txt" && grep -q 'TLS Web Server Authentication' "$T/spp.txt" &&
	grep -q 'DNS:spp.test' "$T/spp.txt" && grep -q 'CA:FALSE' "$T/spp.txt"
ok $? "SPP certificate: OU=chipkey-spp, serverAuth, DNS:spp.test, CA:FALSE"
a=$(openssl pkey -in "$F/spp-key.pem" -pubout 2>/dev/null); b=$(openssl x509 -in "$F/spp-cert.pem" -noout -pubkey 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ]; ok $? "spp-key.pem matches spp-cert.pem"

# ---- identities, Luhn checked by awk
luhn_awk='
{ s = 0; n = length($0); ok = ($0 ~ /^[0-9]+$/)
  for (i = n; i >= 1; i--) { d = substr($0, i, 1) + 0; if ((n - i) % 2 == 1) { d *= 2; if (d > 9) d -= 9 }; s += d }
  if (!ok || n != 15 || s % 10 != 0) { if (bad++ < 5) print "# bad: " $0 } }
END { exit bad ? 1 : 0 }'
"$CF" identities --prefix 35209900 --count 1000 --start 176000 > "$T/ids" 2>/dev/null
ok $? "identities --count 1000 runs"
[ "$(wc -l < "$T/ids")" = 1000 ] && [ "$(sort -u "$T/ids" | wc -l)" = 1000 ] &&
	[ "$(grep -c '^35209900[0-9]\{7\}$' "$T/ids")" = 1000 ]
ok $? "1000 distinct 15-digit identities with the prefix"
awk "$luhn_awk" "$T/ids"
ok $? "every check digit valid (independent awk Luhn)"
printf '352099001761482\n' | awk "$luhn_awk" >/dev/null
[ $? -ne 0 ]; ok $? "the awk checker itself rejects a wrong check digit"
grep -qx 352099001761481 "$T/ids"
ok $? "serial 176148 gives the published example IMEI 352099001761481"
"$CF" identities --prefix 35209900 --count 1000001 >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "more identities than the prefix has room for refused"
"$CF" identities --prefix 35x09900 --count 1 >/dev/null 2>&1
[ $? -eq 1 ]; ok $? "non-digit prefix refused (exit 1, usage)"
"$CF" >/dev/null 2>&1
r1=$?
"$CF" no-such-command >/dev/null 2>&1
r2=$?
"$CF" identities --prefix 352 --count 1 --no-such-option >/dev/null 2>&1
r3=$?
[ $r1 -eq 1 ] && [ $r2 -eq 1 ] && [ $r3 -eq 1 ]
ok $? "no command, an unknown command or an unknown option: exit 1 (usage)"
"$CF" --help >/dev/null 2>&1
ok $? "--help exits 0"

# ---- device certificates
IMEI=352099001761481 CHIP=00112233445566778899aabbccddeeff
( umask 000; "$CF" issue "$F" --identity $IMEI --chip-id $CHIP --key-out "$T/dev-key.pem" --out "$T/dev.pem" ) >/dev/null 2>&1
ok $? "issue a device certificate with a fresh key"
[ "$(mode "$T/dev-key.pem")" = 600 ]; ok $? "device key file is 0600"
check "openssl verify -CAfile mfr-ca.pem accepts the device certificate" \
	openssl verify -CAfile "$F/mfr-ca.pem" -untrusted "$F/ica-cert.pem" "$T/dev.pem"
openssl x509 -in "$T/dev.pem" -noout -text > "$T/dev.txt" 2>&1
grep -q "Subject: CN = $IMEI, serialNumber = $IMEI" "$T/dev.txt"
ok $? "openssl x509 -text shows the identity in the subject"
grep -q "URI:urn:chipkey:chip-id:$CHIP" "$T/dev.txt"
ok $? "openssl x509 -text shows the chip ID (subjectAltName URI)"
grep -q 'CA:FALSE' "$T/dev.txt" && grep -q 'Digital Signature, Key Agreement' "$T/dev.txt" &&
	grep -q 'Subject Key Identifier' "$T/dev.txt" && grep -q 'Authority Key Identifier' "$T/dev.txt"
ok $? "CA:FALSE, keyUsage digitalSignature+keyAgreement, key identifiers"
a=$(openssl pkey -in "$T/dev-key.pem" -pubout 2>/dev/null); b=$(openssl x509 -in "$T/dev.pem" -noout -pubkey 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ]; ok $? "certificate public key is the generated device key"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ext-key.pem" 2>/dev/null &&
	openssl pkey -in "$T/ext-key.pem" -pubout -outform DER -out "$T/ext-pub.der" 2>/dev/null
"$CF" issue "$F" --identity 490154203237518 --chip-id ffeeddccbbaa99887766554433221100 \
	--pubkey "$T/ext-pub.der" --out "$T/ext.pem" >/dev/null 2>&1
a=$(openssl pkey -in "$T/ext-key.pem" -pubout 2>/dev/null); b=$(openssl x509 -in "$T/ext.pem" -noout -pubkey 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ] && openssl verify -CAfile "$F/mfr-ca.pem" -untrusted "$F/ica-cert.pem" "$T/ext.pem" >/dev/null 2>&1
ok $? "certificate for a key made by openssl (--pubkey) verifies and carries that key"
"$CF" issue "$F" --identity 352099001761482 --chip-id $CHIP --key-out "$T/x.pem" >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "issue refuses an identity with a wrong check digit"

out=$("$CF" verify-device --rom "$F/mfr-pubkey.der" --issuing-ca "$F/ica-cert.pem" --identity $IMEI --chip-id $CHIP "$T/dev.pem" 2>&1)
[ $? -eq 0 ] && [ "$out" = "ok: identity $IMEI chip-id $CHIP" ]
ok $? "verify-device against the ROM key names identity and chip"
"$CF" verify-device --rom "$F/mfr-pubkey.der" --issuing-ca "$F/ica-cert.pem" --chip-id ffeeddccbbaa99887766554433221100 "$T/dev.pem" >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "verify-device refuses a certificate for another chip"

"$CF" init "$T/other" >/dev/null 2>&1
"$CF" issue "$T/other" --identity $IMEI --chip-id $CHIP --key-out "$T/o-key.pem" --out "$T/o.pem" >/dev/null 2>&1
"$CF" verify-device --rom "$F/mfr-pubkey.der" --issuing-ca "$F/ica-cert.pem" "$T/o.pem" >/dev/null 2>&1
[ $? -eq 11 ]; ok $? "verify-device refuses a certificate from another manufacturer key (exit 11)"
openssl verify -CAfile "$F/mfr-ca.pem" -untrusted "$F/ica-cert.pem" "$T/o.pem" >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "openssl verify also refuses it (negative control)"
# Tamper: change one digit of the identity inside the DER.
openssl x509 -in "$T/dev.pem" -outform DER -out "$T/dev.der" 2>/dev/null
python3 - "$T/dev.der" "$T/tampered.der" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.index(b'352099001761481')
d[i + 5] ^= 0x01
open(sys.argv[2], 'wb').write(d)
PY
"$CF" verify-device --rom "$F/mfr-pubkey.der" --issuing-ca "$F/ica-cert.pem" "$T/tampered.der" >/dev/null 2>&1
r1=$?
openssl verify -CAfile "$F/mfr-ca.pem" -untrusted "$F/ica-cert.pem" "$T/tampered.der" >/dev/null 2>&1
r2=$?
[ $r1 -ne 0 ] && [ $r2 -ne 0 ]; ok $? "a tampered certificate is refused (verify-device and openssl)"
"$CF" verify-device --rom "$F/mfr-pubkey.der" --issuing-ca "$F/ica-cert.pem" "$F/spp-cert.pem" >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "the SPP certificate is not accepted as a device certificate"

# ---- data package, read by an independent Python parser
( umask 000; "$CF" package "$F" --identity $IMEI --chip-id $CHIP --generation 3 --out "$T/pkg.bin" ) >/dev/null 2>&1
ok $? "package builds a data package"
[ "$(mode "$T/pkg.bin")" = 600 ]; ok $? "data package file is 0600"
py_out=$(python3 - "$T/pkg.bin" "$IMEI" "$CHIP" "$T" <<'PY' 2>&1
import struct, sys
d = open(sys.argv[1], 'rb').read()
imei, chip, tdir = sys.argv[2], bytes.fromhex(sys.argv[3]), sys.argv[4]
assert d[:8] == b'CKDATA01', 'magic'
ver, flags, total = struct.unpack('>HHI', d[8:16])
assert (ver, flags, total) == (1, 0, len(d)), 'header'
off, prev, e = 16, 0, {}
while off < len(d):
    t, f, n = struct.unpack('>HHI', d[off:off + 8])
    assert t > prev, 'order'
    prev = t
    e[t] = (f, d[off + 8:off + 8 + n])
    assert len(e[t][1]) == n, 'length'
    off += 8 + n
assert off == len(d)
assert e[1] == (1, imei.encode()), 'identity'
assert e[2] == (1, chip), 'chip'
assert struct.unpack('>Q', e[3][1])[0] == 3, 'generation'
assert len(e[0x10][1]) == 32 and e[0x10][0] == 1, 'channel key'
open(tdir + '/p-cert.der', 'wb').write(e[0x12][1])
open(tdir + '/p-ca.der', 'wb').write(e[0x13][1])
open(tdir + '/p-key.der', 'wb').write(e[0x11][1])
print(e[0x10][1].hex())
PY
)
ok $? "Python reader: header, canonical order, identity, chip ID, generation"
chan=$(printf '%s\n' "$py_out" | tail -1)
info_hex=$(printf 'chipkey v1 channel key%s' $IMEI | od -An -v -tx1 | tr -d ' \n')
want=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:"$master_hex" \
	-kdfopt hexinfo:"$info_hex" HKDF 2>/dev/null | tr -d ':' | tr 'A-F' 'a-f')
[ -n "$want" ] && [ "$chan" = "$want" ]
ok $? "channel key in the package = openssl kdf HKDF(master.key, label || identity)"
openssl verify -CAfile "$F/mfr-ca.pem" -untrusted "$F/ica-cert.pem" <(openssl x509 -inform DER -in "$T/p-cert.der" 2>/dev/null) >/dev/null 2>&1
ok $? "certificate in the package verifies with openssl"
cmp -s "$T/p-ca.der" "$F/mfr-ca.der"; ok $? "package carries the manufacturer CA certificate"
a=$(openssl pkey -inform DER -in "$T/p-key.der" -pubout 2>/dev/null); b=$(openssl x509 -inform DER -in "$T/p-cert.der" -noout -pubkey 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ]; ok $? "package device key (PKCS#8) matches its certificate"
dump=$("$CF" dump "$T/pkg.bin" 2>&1)
printf '%s' "$dump" | grep -q "device-id .*$IMEI" && printf '%s' "$dump" | grep -q 'channel-key .*(secret)' &&
	! printf '%s' "$dump" | grep -qi "$chan"
ok $? "dump lists the entries and redacts secrets"
printf 'CKDATA01\0\1\0\0\0\0\0\20' > "$T/empty.bin"
"$CF" dump "$T/empty.bin" >/dev/null 2>&1
[ $? -eq 6 ]; ok $? "dump refuses a package without identity and chip ID (exit 6, malformed)"
"$CF" dump "$T/no-such-file" >/dev/null 2>&1
[ $? -eq 2 ]; ok $? "dump of a missing file: exit 2"
"$CF" package "$F" --identity $IMEI --chip-id $CHIP --out "$T/pkg.bin" >/dev/null 2>&1
[ $? -eq 22 ]; ok $? "package never replaces an existing file (exit 22, conflict)"

# ---- secrets are never printed, and never read through a link or from a
#      file others may read
out=$("$CF" issue "$F" --identity $IMEI --chip-id $CHIP --key-out - --out "$T/k2.pem" 2>/dev/null)
r=$?
[ $r -ne 0 ] && ! printf '%s' "$out" | grep -q 'PRIVATE KEY' && [ ! -e "$T/k2.pem" ]
ok $? "issue --key-out - is refused: a private key is never printed (exit $r)"
out=$("$CF" package "$F" --identity $IMEI --chip-id $CHIP --out - 2>/dev/null | wc -c)
[ "$out" -eq 0 ]; ok $? "package --out - is refused: a data package is never printed ($out bytes out)"
cp -a "$F" "$T/flink"
mv "$T/flink/ica-key.pem" "$T/mfr-key-elsewhere.pem"
ln -s "$T/mfr-key-elsewhere.pem" "$T/flink/ica-key.pem"
"$CF" issue "$T/flink" --identity $IMEI --chip-id $CHIP --key-out "$T/k3.pem" --out "$T/c3.pem" >/dev/null 2>&1
r=$?
[ $r -ne 0 ] && [ ! -e "$T/c3.pem" ]
ok $? "a factory whose issuing CA key is a symlink (to a 0600 key) is refused (exit $r)"
rm "$T/flink/ica-key.pem"; mv "$T/mfr-key-elsewhere.pem" "$T/flink/ica-key.pem"
chmod 640 "$T/flink/master.key"
"$CF" package "$T/flink" --identity $IMEI --chip-id $CHIP --out "$T/p3.bin" >/dev/null 2>&1
r=$?
[ $r -eq 3 ] && [ ! -e "$T/p3.bin" ]
ok $? "a factory whose master key is group-readable is refused (exit $r, want 3: permission)"
chmod 600 "$T/flink/master.key"
"$CF" package "$T/flink" --identity $IMEI --chip-id $CHIP --out "$T/p4.bin" >/dev/null 2>&1
ok $? "... and the same factory works again once the modes are right"

# ---- identity pool and pre-generated keys in database 140 (userspace/store)
DB=sqlite:$T/tmp140.db
"$CF" identities --prefix 35209900 --count 500 > "$T/pool" 2>/dev/null
out=$("$CF" load-pool --db "$DB" "$T/pool" 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q 'pool: 500 free'
ok $? "load-pool loads 500 identities into SQLite"
[ "$(mode "$T/tmp140.db")" = 600 ]; ok $? "the database file is 0600"
out=$("$CF" load-pool --db "$DB" "$T/pool" 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q '0 added, 500 already present; pool: 500 free'
ok $? "loading the same pool again adds nothing"
{ "$CF" identities --prefix 35209901 --count 3; echo 352099001761482; } > "$T/badpool" 2>/dev/null
"$CF" load-pool --db "$DB" "$T/badpool" >/dev/null 2>&1
r=$?
out=$("$CF" load-pool --db "$DB" "$T/pool" 2>&1)
[ $r -ne 0 ] && printf '%s' "$out" | grep -q 'pool: 500 free'
ok $? "a pool file with one bad check digit is refused and loads nothing"
# init --pool checks the file before it makes the factory: a missing file
# (exit 9) or a bad line (exit 6) leaves no directory, and the corrected
# run then works (it used to leave a finished factory: the next run, 22)
"$CF" init "$T/nopool" --db "sqlite:$T/nopool.db" --pool "$T/no-such-file" >/dev/null 2>&1
r=$?
[ $r -eq 9 ] && [ ! -e "$T/nopool" ]; ok $? "init --pool with a missing file: exit 9 ($r), no factory directory made"
"$CF" init "$T/nopool" --db "sqlite:$T/nopool.db" --pool "$T/badpool" >/dev/null 2>&1
r=$?
[ $r -eq 6 ] && [ ! -e "$T/nopool" ]; ok $? "init --pool with a bad line: exit 6 ($r), no factory directory made"
out=$("$CF" init "$T/nopool" --db "sqlite:$T/nopool.db" --pool "$T/pool" 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q 'pool: 500 free'
ok $? "... the corrected run then makes the factory and loads the pool"
out=$("$CF" pregen-keys "$F" --db "$DB" --count 3 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q 'pool: 3 free'
ok $? "pregen-keys stores 3 key pairs"
"$CF" pregen-keys --db "$DB" --count 1 >/dev/null 2>&1
[ $? -eq 1 ]; ok $? "pregen-keys without the factory directory (whose master key seals them): exit 1 (usage)"
# the private keys at rest: not PKCS#8 (openssl cannot read them), but
# sealed: opened independently (python3-cryptography: HKDF + AES-256-GCM,
# AAD = magic, version, public key) with the master key they give the
# private key of the row's public key (openssl), and a blob moved to
# another row does not open
sqlite3 "$T/tmp140.db" "SELECT hex(pub) || ' ' || hex(priv) FROM keypair_pool ORDER BY id" >"$T/kp.txt" 2>/dev/null
[ "$(wc -l <"$T/kp.txt")" -eq 3 ]; ok $? "three key pairs in keypair_pool"
read -r pub1 priv1 < <(sed -n 1p "$T/kp.txt")
printf '%s' "$priv1" | xxd -r -p >"$T/priv1.bin"
! openssl pkey -inform DER -in "$T/priv1.bin" -noout 2>/dev/null
ok $? "a stored private key is not readable as a key (openssl pkey refuses it)"
/usr/bin/python3 - "$F/master.key" "$T/kp.txt" "$T/open1.der" <<'PY' 2>"$T/open.err"
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
master = open(sys.argv[1], "rb").read()
rows = [l.split() for l in open(sys.argv[2])]
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
           info=b"chipkey v1 pregen key at rest").derive(master)
def opened(pub, blob):
    assert blob[:5] == b"CKPK\x01"
    return AESGCM(key).decrypt(blob[5:17], blob[17:], blob[:5] + pub)
pub0, blob0 = bytes.fromhex(rows[0][0]), bytes.fromhex(rows[0][1])
open(sys.argv[3], "wb").write(opened(pub0, blob0))
try:
    opened(bytes.fromhex(rows[1][0]), blob0)
    sys.exit(2)
except Exception:
    pass
PY
r=$?
[ $r -eq 0 ] && [ "$(openssl pkey -inform DER -in "$T/open1.der" -pubout -outform DER 2>/dev/null | od -An -v -tx1 | tr -d ' \n')" = \
	"$(printf '%s' "$pub1" | tr A-F a-f)" ]
ok $? "... opened with the master key (python3-cryptography), it is the private key of its row's public key; under another row's public key it does not open (python exit $r)"
out=$("$CF" init "$T/f2" --db "sqlite:$T/f2.db" --pool "$T/pool" --pregen 2 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q 'pool: 500 free' && printf '%s' "$out" | grep -q 'pool: 2 free'
ok $? "init --db --pool --pregen sets up PKI, pool and keys in one command"

# ---- the chip's attestation key and the chip batch
. "$(dirname "$0")/test-chip-batch.sh"
# ---- the key hierarchy
. "$(dirname "$0")/test-hierarchy.sh"

echo "# test-factory.sh: $n tests, $failed failed"
[ $failed -eq 0 ]
