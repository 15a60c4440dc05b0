# SPDX-License-Identifier: GPL-2.0
#
# Sourced by test-factory.sh (its ok/check helpers, $CF, $T, $F, $IMEI):
# the chip's attestation key Q in the device certificate, and
# chipkey-factory load-chips.  The independent side: chipkey-fuse makes the
# chip-vendor CA and chip certificates, scripts/ck_attest_oracle.py computes
# Q from the fuse image (python3-cryptography), openssl reads and verifies
# the certificates, and openssl makes the hostile ones.

FUSE=${CHIPKEY_FUSE:-$BUILD/asan/bin/chipkey-fuse}
ORACLE=$top/scripts/ck_attest_oracle.py
C=$T/chips
mkdir -p "$C"
hexof() { od -An -v -tx1 | tr -d ' \n'; }
# spki_hex PEM-CERT: the certificate's DER SubjectPublicKeyInfo in hex
spki_hex() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | hexof; }
# ext_hex PEM-CERT: the value of the chipkeyChipAttestationKey extension in hex
ATT_OID=2.25.150369157376766404936511867947329402419
ext_hex() {
	openssl asn1parse -in "$1" 2>/dev/null | grep -A1 ":$ATT_OID\$" |
		sed -n 's/.*OCTET STRING *\[HEX DUMP\]://p' | tr 'A-F' 'a-f'
}
rows() { sqlite3 "$1" "SELECT count(*) FROM chip_batch" 2>/dev/null || echo none; }

# ---- the chip vendor: a CA and three chips (chip-2 and chip-3 in one file)
"$FUSE" ca --out-key "$C/ca.key" --out-cert "$C/ca.pem" >/dev/null 2>&1 &&
openssl ecparam -name prime256v1 -genkey -noout -out "$C/rom.pem" 2>/dev/null &&
for i in 1 2 3; do
	"$FUSE" create "$C/fuse-$i.bin" --rom-key "$C/rom.pem" --cert "$C/chip-$i.pem" \
		--ca-key "$C/ca.key" --ca-cert "$C/ca.pem" >/dev/null 2>&1 || false
done
ok $? "chipkey-fuse: a chip-vendor CA and three chips with certificates"
cat "$C/chip-2.pem" "$C/chip-3.pem" > "$C/chips-2-3.pem"
chip1=$(openssl x509 -in "$C/chip-1.pem" -noout -ext subjectAltName | sed -n 's/.*urn:chipkey:chip-id:\([0-9a-f]*\).*/\1/p')
q1=$(python3 "$ORACLE" pub "$C/fuse-1.bin" 2>/dev/null)
[ ${#chip1} -eq 32 ] && [ ${#q1} -eq 130 ] && [ "$(spki_hex "$C/chip-1.pem" | tail -c 130)" = "$q1" ]
ok $? "the oracle's Q of fuse-1 is the chip certificate's key"

# ---- Q in the device certificate
openssl x509 -in "$C/chip-1.pem" -noout -pubkey > "$C/q1.pem"
"$CF" issue "$F" --identity $IMEI --chip-id "$chip1" --key-out "$C/dk.pem" \
	--attest-key "$C/q1.pem" --out "$C/dev.pem" >/dev/null 2>&1
ok $? "issue --attest-key Q.pem (the chip certificate's public key)"
v=$(ext_hex "$C/dev.pem")
[ -n "$v" ] && [ "$v" = "$(spki_hex "$C/chip-1.pem")" ] && [ "${v: -130}" = "$q1" ]
ok $? "openssl asn1parse: the extension's value is the chip certificate's SPKI, its point the oracle's Q"
openssl x509 -in "$C/dev.pem" -noout -text 2>/dev/null | grep -q "^ *$ATT_OID: *\$" &&
	! openssl x509 -in "$C/dev.pem" -noout -text | grep -q "$ATT_OID: *critical"
ok $? "openssl x509 -text lists the extension, not critical"
openssl verify -CAfile "$F/mfr-ca.pem" -untrusted "$F/ica-cert.pem" "$C/dev.pem" >/dev/null 2>&1
ok $? "openssl verify -CAfile mfr-ca.pem still accepts the device certificate"
"$CF" verify-device --rom "$F/mfr-pubkey.der" --issuing-ca "$F/ica-cert.pem" "$C/dev.pem" --chip-id "$chip1" >/dev/null 2>&1
ok $? "verify-device accepts it"
printf '%s\n' "$q1" > "$C/q1.hex"
"$CF" issue "$F" --identity $IMEI --chip-id "$chip1" --key-out "$C/dk2.pem" \
	--attest-key "$C/q1.hex" --out "$C/dev2.pem" >/dev/null 2>&1 &&
	[ "$(ext_hex "$C/dev2.pem")" = "$v" ]
ok $? "--attest-key also takes the 130 hex digits: the same extension"
printf '04%0128d\n' 1 > "$C/offcurve.hex"
"$CF" issue "$F" --identity $IMEI --chip-id "$chip1" --key-out "$C/dk3.pem" \
	--attest-key "$C/offcurve.hex" --out "$C/dev3.pem" >/dev/null 2>&1
r=$?
[ $r -eq 6 ] && [ ! -e "$C/dev3.pem" ] && [ ! -e "$C/dk3.pem" ]
ok $? "--attest-key with a point off the curve: exit 6, nothing written (exit $r)"
"$CF" package "$F" --identity $IMEI --chip-id "$chip1" --attest-key "$C/q1.pem" \
	--out "$C/pkg.bin" >/dev/null 2>&1 &&
python3 - "$C/pkg.bin" "$C/pkg-cert.der" <<'PY'
import struct, sys
d, off = open(sys.argv[1], 'rb').read(), 16
while off < len(d):
    t, f, n = struct.unpack('>HHI', d[off:off + 8])
    if t == 0x12:
        open(sys.argv[2], 'wb').write(d[off + 8:off + 8 + n])
    off += 8 + n
PY
openssl x509 -inform DER -in "$C/pkg-cert.der" -out "$C/pkg-cert.pem" 2>/dev/null &&
	[ "$(ext_hex "$C/pkg-cert.pem")" = "$v" ]
ok $? "package --attest-key: the package's device certificate carries Q"

# ---- load-chips
DBC=$C/batch.db
out=$("$CF" load-chips --db "sqlite:$DBC" --chip-ca "$C/ca.pem" "$C/chip-1.pem" "$C/chips-2-3.pem" 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q '3 added, 0 already present; batch: 3 chips'
ok $? "load-chips loads three chips from two files"
q=$(sqlite3 "$DBC" "SELECT lower(hex(attest_pub)) FROM chip_batch WHERE chip_id = x'$chip1'" 2>/dev/null)
[ "$q" = "$q1" ]; ok $? "chip 1's Q in chip_batch is the oracle's Q"
out=$("$CF" load-chips --db "sqlite:$DBC" --chip-ca "$C/ca.pem" "$C/chips-2-3.pem" "$C/chip-1.pem" 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q '0 added, 3 already present; batch: 3 chips'
ok $? "loading the same chips again adds none"

# hostile inputs: each next to a good new chip (chip-4), which must not be loaded
"$FUSE" create "$C/fuse-4.bin" --rom-key "$C/rom.pem" --cert "$C/chip-4.pem" \
	--ca-key "$C/ca.key" --ca-cert "$C/ca.pem" >/dev/null 2>&1
"$FUSE" ca --out-key "$C/ca2.key" --out-cert "$C/ca2.pem" >/dev/null 2>&1
"$FUSE" create "$C/fuse-x.bin" --rom-key "$C/rom.pem" --cert "$C/other-ca-chip.pem" \
	--ca-key "$C/ca2.key" --ca-cert "$C/ca2.pem" >/dev/null 2>&1
# tampered: one bit of the subject CN flipped (the signature no longer holds)
openssl x509 -in "$C/chip-4.pem" -outform DER -out "$C/t.der" 2>/dev/null
python3 - "$C/t.der" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(b'chipkey chip ') + 13
d[i] ^= 1
open(sys.argv[1], 'wb').write(d)
PY
openssl x509 -inform DER -in "$C/t.der" -out "$C/tampered.pem" 2>/dev/null
# issued by the right CA, but not chip certificates of the profile
mkcert() { # mkcert NAME EXTENSIONS [KEY]: a certificate of KEY (new P-256) signed by ca.key
	local key=${3:-$C/$1.key}
	[ -e "$key" ] || openssl ecparam -name prime256v1 -genkey -noout -out "$key" 2>/dev/null
	printf '%s\n' "$2" > "$C/$1.ext"
	openssl req -new -key "$key" -subj "/CN=$1" -out "$C/$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$C/$1.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -set_serial 7 \
		-days 30 -extfile "$C/$1.ext" -out "$C/$1.pem" 2>/dev/null
}
mkcert bad-uri "basicConstraints=critical,CA:FALSE
keyUsage=critical,keyAgreement
subjectAltName=URI:urn:chipkey:chip-id:${chip1:0:30}zz"
mkcert sub-ca "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,keyAgreement
subjectAltName=URI:urn:chipkey:chip-id:$chip1"
mkcert sign-only "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
subjectAltName=URI:urn:chipkey:chip-id:$chip1"
mkcert other-q "basicConstraints=critical,CA:FALSE
keyUsage=critical,keyAgreement
subjectAltName=URI:urn:chipkey:chip-id:$chip1"
printf 'not a certificate\n' > "$C/junk.pem"
# a file whose first block is chip 4 as a TRUSTED CERTIFICATE (openssl
# -addtrust): it must be refused, not skipped while the rest loads
openssl x509 -in "$C/chip-4.pem" -addtrust clientAuth -out "$C/trusted.pem" 2>/dev/null
cat "$C/trusted.pem" "$C/chip-4.pem" > "$C/mixed.pem"
for t in "other-ca-chip:11:a chip certificate of another CA" "tampered:11:a tampered chip certificate" \
	 "ca:11:the CA certificate itself" "sub-ca:11:a CA certificate the CA issued" \
	 "bad-uri:11:a certificate with a malformed chip ID URI" \
	 "sign-only:11:a certificate without keyAgreement" "junk:6:a file without a certificate" \
	 "other-q:22:chip 1 again with another Q" \
	 "mixed:6:a PEM block other than CERTIFICATE before a good one"; do
	name=${t%%:*} rest=${t#*:}; want=${rest%%:*} what=${rest#*:}
	"$CF" load-chips --db "sqlite:$DBC" --chip-ca "$C/ca.pem" "$C/chip-4.pem" "$C/$name.pem" \
		>/dev/null 2>&1
	r=$?
	[ $r -eq "$want" ] && [ "$(rows "$DBC")" = 3 ]
	ok $? "load-chips refuses $what: exit $r (want $want), nothing loaded"
done
"$CF" load-chips --db "sqlite:$DBC" --chip-ca "$C/chip-4.pem" "$C/chip-4.pem" >/dev/null 2>&1
r=$?
[ $r -eq 11 ] && [ "$(rows "$DBC")" = 3 ]
ok $? "load-chips refuses a chip certificate as its own chip-vendor CA: exit $r (want 11), nothing loaded"
"$CF" load-chips --db "sqlite:$DBC" "$C/chip-4.pem" >/dev/null 2>&1
[ $? -eq 1 ]; ok $? "load-chips without --chip-ca: exit 1 (usage)"
out=$("$CF" load-chips --db "sqlite:$DBC" --chip-ca "$C/ca.pem" "$C/chip-4.pem" 2>&1)
[ $? -eq 0 ] && printf '%s' "$out" | grep -q '1 added, 0 already present; batch: 4 chips'
ok $? "... and chip 4 alone loads"
