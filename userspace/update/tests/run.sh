#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Software licences and their install (docs/software-update.md), with the
# real programs: chipkey-factory makes credentials and licences, chipkey
# update installs them.  Expected values come from other tools: openssl
# (cms -verify, cms -sign, asn1parse), sha256sum, cmp, and a DER encoder
# in /usr/bin/python3 written from the ASN.1 module of the doc.  TAP.
#
#   run.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?usage: run.sh ASAN_BUILD NATIVE_BUILD}
N=${2:?usage: run.sh ASAN_BUILD NATIVE_BUILD}
here=$(cd "$(dirname "$0")" && pwd)
# ok, nok, skip, check, expect_exit CODE DESC -- COMMAND..., tap_done
. "$here/../../common/tests/tap.sh"
# flip_byte FILE OFFSET
. "$here/../../common/tests/flip.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# the codecs against the doc's examples, the clock rule's cases (C, TAP)
"$A/tests/update/test-licence"
unit=$?

t=$(mktemp -d /tmp/chipkey-test-update-XXXXXX)
trap 'rm -rf "$t"' EXIT
# shellcheck disable=SC2034 # read by tap.sh's expect_exit
tap_out=$t/out tap_err=$t/err
ck=$A/bin/chipkey fy=$A/bin/chipkey-factory
crash=$N/tests/update/chipkey-crash fc=$N/tests/recovery/fake-clock.so
OID=2.25.292894935203394592160592872101036755818
err_has() { grep -q -- "$1" "$t/err"; }
day=86400 now=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
in1y=$(iso $((now + 365 * day)))

# ---- a factory, its licence credential, one device (identity, chip ID)
"$fy" init "$t/fac" >/dev/null 2>&1
expect_exit 0 "licence-cred issues a licence-signing credential" -- "$fy" licence-cred "$t/fac"
check "... whose subject has OU=chipkey-licence-signer" \
	bash -c "openssl x509 -in '$t/fac/licence-cert.pem' -noout -subject | grep -q 'OU = chipkey-licence-signer'"
quiet() { "$@" >/dev/null 2>&1; }
check "... issued by the issuing CA, chained to the root (openssl verify)" \
	quiet openssl verify -CAfile "$t/fac/mfr-ca.pem" -untrusted "$t/fac/ica-cert.pem" "$t/fac/licence-cert.pem"
check "... its key 0600" test "$(stat -c %a "$t/fac/licence-key.pem")" = 600
id=350000000000006 other_id=350000000000014 chip=00112233445566778899aabbccddeeff
"$fy" issue "$t/fac" --identity $id --chip-id $chip --key-out "$t/dk.pem" --out "$t/dc.pem" >/dev/null 2>&1
mkdir "$t/keys" && echo $id >"$t/keys/identity"
openssl x509 -in "$t/dc.pem" -outform DER -out "$t/keys/device-cert.der"
# as chipkey load writes it: the device certificate, then its issuing CA
{ openssl x509 -in "$t/dc.pem"; cat "$t/fac/ica-cert.pem"; } >"$t/keys/device-cert.pem"
rom=$t/fac/mfr-pubkey.der
head -c 3000000 /dev/urandom >"$t/img1"
head -c 2500000 /dev/urandom >"$t/img2"
head -c 1000 /dev/urandom >"$t/img3"

lic() { # lic OUT IMAGE SEQ [options...]: a licence from chipkey-factory
	local out=$1 img=$2 seq=$3; shift 3
	"$fy" licence "$t/fac" --image "$img" --sequence "$seq" --out "$out" "$@" >/dev/null 2>"$t/lic.err" ||
		{ sed 's/^/# /' "$t/lic.err"; return 1; }
}
inst() { # inst SLOTDIR IMAGE LICENCE [options...]
	local s=$1 img=$2 l=$3; shift 3
	"$ck" update install --image "$img" --licence "$l" --slot-dir "$s" --keys "$t/keys" \
		--rom-key "$rom" "$@"
}
active() { sed -n 's/^slot //p' "$1/state"; }
seqof() { sed -n 's/^sequence //p' "$1/state"; }

# ---- interop: what chipkey-factory makes, openssl verifies and reads
check "licence for the identity made" lic "$t/l1" "$t/img1" 1 --identity $id --not-after "$in1y"
check "openssl cms -verify -CAfile mfr-ca.pem accepts it" \
	quiet openssl cms -verify -inform DER -in "$t/l1" -binary -CAfile "$t/fac/mfr-ca.pem" -out "$t/c1"
check "... its eContentType is id-ct-chipkeyLicence" \
	bash -c "openssl cms -cmsout -print -inform DER -in '$t/l1' | grep -q '$OID'"
want=$(sha256sum "$t/img1" | cut -d' ' -f1 | tr a-f A-F)
check "... the content names sha256sum's digest of the image" \
	bash -c "openssl asn1parse -inform DER -in '$t/c1' | grep -q 'OCTET STRING *\\[HEX DUMP\\]:$want'"
check "... and its size" bash -c "openssl asn1parse -inform DER -in '$t/c1' | grep -q 'INTEGER *:2DC6C0$'"
check "... and the identity" bash -c "openssl asn1parse -inform DER -in '$t/c1' | grep -q 'PRINTABLESTRING *:$id'"
check "openssl cms -verify with another factory's root refuses it" bash -c \
	"'$fy' init '$t/fac2' >/dev/null 2>&1 && ! openssl cms -verify -inform DER -in '$t/l1' -binary -CAfile '$t/fac2/mfr-ca.pem' -out /dev/null 2>/dev/null"

# ---- install, rollback
S=$t/slots
expect_exit 0 "install sequence 1" -- inst "$S" "$t/img1" "$t/l1"
check "... slot a holds the image byte for byte" cmp -s "$S/a/image" "$t/img1"
check "... state: slot a, sequence 1" test "$(active "$S")$(seqof "$S")" = a1
expect_exit 0 "status: intact" -- "$ck" update status --slot-dir "$S" --json
check "... says so in JSON" /usr/bin/python3 -c "import json,sys; d=json.load(open('$t/out')); sys.exit(not (d['intact'] is True and d['sequence']==1 and d['slot']=='a'))"
expect_exit 13 "the same licence again: refused (equal sequence)" -- inst "$S" "$t/img1" "$t/l1"
lic "$t/l2" "$t/img2" 2 --identity $other_id,$id --not-after "$in1y"
expect_exit 0 "sequence 2 (two identities, this one second) installs" -- inst "$S" "$t/img2" "$t/l2"
check "... into slot b, sequence 2; slot a untouched" bash -c \
	"test \"\$(sed -n 's/^slot //p' '$S/state')\" = b && cmp -s '$S/b/image' '$t/img2' && cmp -s '$S/a/image' '$t/img1'"
expect_exit 13 "sequence 1 after 2: refused (rollback)" -- inst "$S" "$t/img1" "$t/l1"
check "... the state still names sequence 2" test "$(seqof "$S")" = 2
# every check that needs no image comes before the image is opened (what
# chipkey service install relies on to never download a refused image)
expect_exit 13 "sequence 1 after 2 with no image file at all: refused for rollback, image not opened" -- \
	inst "$S" "$t/no-such-image" "$t/l1"

# ---- whom it is for
lic "$t/lo" "$t/img3" 3 --identity $other_id --not-after "$in1y"
expect_exit 4 "a licence for another identity: refused" -- inst "$S" "$t/img3" "$t/lo"
lic "$t/lc" "$t/img3" 3 --chip-id ffeeddccbbaa99887766554433221100 --not-after "$in1y"
expect_exit 4 "a licence for another chip ID: refused" -- inst "$S" "$t/img3" "$t/lc"
lic "$t/lk" "$t/img3" 3 --class sensor-v2 --not-after "$in1y"
expect_exit 4 "a licence for class sensor-v2 on a device of class gateway: refused" -- \
	inst "$S" "$t/img3" "$t/lk" --class gateway
expect_exit 4 "... and on a device given no class" -- inst "$S" "$t/img3" "$t/lk"
check "nothing of the refused licences installed" test "$(seqof "$S")" = 2
expect_exit 0 "the class licence on a sensor-v2 device installs" -- inst "$S" "$t/img3" "$t/lk" --class sensor-v2
lic "$t/lch" "$t/img1" 4 --chip-id "ffeeddccbbaa99887766554433221100,$chip" --not-after "$in1y"
expect_exit 0 "a licence for this chip ID (from device-cert.der) installs" -- inst "$S" "$t/img1" "$t/lch"

# ---- the image
lic "$t/l5" "$t/img2" 5 --identity $id --not-after "$in1y"
cp "$t/img2" "$t/bad"; flip_byte "$t/bad" 1234567
expect_exit 5 "a tampered image (one byte, same size): refused" -- inst "$S" "$t/bad" "$t/l5"
check "... saying the SHA-256 differs" err_has "SHA-256 differs"
expect_exit 5 "... also into a missing slot directory (no --crl): refused" -- inst "$t/sbad" "$t/bad" "$t/l5"
check "... saying the SHA-256 differs" err_has "SHA-256 differs"
check "... and no slot directory is left (created for step 7, removed)" test ! -e "$t/sbad"
mkdir -p "$t/sbad"
expect_exit 5 "... into an empty slot directory that existed: refused" -- inst "$t/sbad" "$t/bad" "$t/l5"
check "... which stays, empty (not this install's to remove)" \
	test -d "$t/sbad" -a -z "$(ls -A "$t/sbad")"
cp "$t/img2" "$t/long"; printf 'X' >>"$t/long"
expect_exit 5 "an image one byte longer: refused" -- inst "$S" "$t/long" "$t/l5"
head -c 2499999 "$t/img2" >"$t/short"
expect_exit 5 "an image one byte shorter: refused" -- inst "$S" "$t/short" "$t/l5"
check "... the active software is still sequence 4" bash -c \
	"test \"\$(sed -n 's/^sequence //p' '$S/state')\" = 4 && cmp -s '$S/$(active "$S")/image' '$t/img1'"
expect_exit 0 "the right image under that licence installs" -- inst "$S" "$t/img2" "$t/l5"

# ---- the clock rule
# the licence credential's notBefore: an expired licence must start after it
cnb=$(date -u -d "$(openssl x509 -in "$t/fac/licence-cert.pem" -noout -startdate | cut -d= -f2)" +%s)
lic "$t/lx" "$t/img3" 6 --identity $id --not-before $((cnb + 1)) --not-after $((cnb + 2))
expect_exit 23 "an expired licence (notAfter in the past): refused" -- inst "$S" "$t/img3" "$t/lx"
check "... saying it has expired" err_has "has expired"
lic "$t/lf" "$t/img3" 6 --identity $id --not-before $((now + day)) --not-after "$in1y"
expect_exit 23 "a licence not valid until tomorrow: refused by a set clock" -- inst "$S" "$t/img3" "$t/lf"
check "... saying it is not valid yet" err_has "not valid yet"
check "the fake-clock shim works (date says 1970)" bash -c "test \"\$(LD_PRELOAD='$fc' date -u +%Y)\" = 1970"
at1970() { LD_PRELOAD=$fc "$@"; }
nck=$N/bin/chipkey
ninst() { at1970 "$nck" update install --keys "$t/keys" --rom-key "$rom" "$@"; }
S1=$t/s1970
expect_exit 0 "clock at 1970: a valid licence installs" -- ninst --slot-dir "$S1" --image "$t/img1" --licence "$t/l1"
expect_exit 0 "clock at 1970: a licence not valid until tomorrow installs (clock not set)" -- \
	ninst --slot-dir "$S1" --image "$t/img3" --licence "$t/lf"
expect_exit 23 "clock at 1970: a licence that expired before the newest installed notBefore: refused (freeze)" -- \
	ninst --slot-dir "$S1" --image "$t/img3" --licence "$t/lx"
check "... saying which time it was judged against" err_has "newest installed licence's notBefore"
expect_exit 23 "clock set far ahead (2040): a licence valid until next year is refused as expired" -- \
	env CK_FAKE_TIME=2208988800 LD_PRELOAD="$fc" "$nck" update install --keys "$t/keys" --rom-key "$rom" \
	--slot-dir "$t/s2040" --image "$t/img1" --licence "$t/l1"
check "... saying it has expired" err_has "has expired"
expect_exit 0 "... and the same licence installs once the clock is right again (nothing persisted)" -- \
	inst "$t/s2040" "$t/img1" "$t/l1"

# ---- a licence made without chipkey: python3 DER + openssl cms -sign
der_py='
import sys, time, hashlib
def tlv(tag, body):
    n = len(body)
    if n < 128: l = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big"); l = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + l + body
def integer(v): return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))
def gtime(t): return tlv(0x18, time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t)).encode())
img, seq, nb, na, who = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
data = open(img, "rb").read()
body = integer(1) + integer(seq) + integer(len(data)) + tlv(0x04, hashlib.sha256(data).digest()) + gtime(nb) + gtime(na)
for w in who:
    kind, val = w.split("=", 1)
    if kind == "class": body += tlv(0x80, val.encode())
    if kind == "id": body += tlv(0xa1, b"".join(tlv(0x13, v.encode()) for v in val.split(",")))
    if kind == "chip": body += tlv(0xa2, b"".join(tlv(0x04, bytes.fromhex(v)) for v in val.split(",")))
sys.stdout.buffer.write(tlv(0x30, body))
'
mkder() { /usr/bin/python3 -c "$der_py" "$@"; }
sign() { # sign CONTENT OUT CERT KEY [extra openssl args]
	local c=$1 o=$2 cert=$3 key=$4; shift 4
	openssl cms -sign -binary -nodetach -outform DER -md sha256 -in "$c" -out "$o" \
		-signer "$cert" -inkey "$key" -certfile "$t/fac/ica-cert.pem" "$@" 2>/dev/null
}
F=$t/fac
# (chipkey-factory refuses to make this one)
mkder "$t/img3" 6 1577836800 $((now + 365 * day)) "id=$id" >"$t/cold"
sign "$t/cold" "$t/lold" "$F/licence-cert.pem" "$F/licence-key.pem" -econtent_type $OID
expect_exit 23 "notBefore (2020) before the signer's certificate existed: refused" -- inst "$S" "$t/img3" "$t/lold"
check "... saying a certificate was not valid then" err_has "was not valid at the licence's notBefore"
mkder "$t/img3" 6 $((now - 60)) $((now + day)) "id=$id" >"$t/c6"
sign "$t/c6" "$t/l6" "$F/licence-cert.pem" "$F/licence-key.pem" -econtent_type $OID
expect_exit 0 "a licence from python3 DER + openssl cms -sign (licence credential) installs" -- \
	inst "$S" "$t/img3" "$t/l6"
check "... as sequence 6" test "$(seqof "$S")" = 6
mkder "$t/img2" 7 $((now - 60)) $((now + day)) "id=$id" >"$t/c7"
sign "$t/c7" "$t/l7s" "$F/spp-cert.pem" "$F/spp-key.pem" -econtent_type $OID
expect_exit 11 "the same content signed by the SPP TLS key: refused" -- inst "$S" "$t/img2" "$t/l7s"
check "... saying the signer is not a licence-signing credential" err_has "not a licence-signing credential"
sign "$t/c7" "$t/l7r" "$F/record-cert.pem" "$F/record-key.pem" -econtent_type $OID
expect_exit 11 "... by the record-signing key: refused" -- inst "$S" "$t/img2" "$t/l7r"
sign "$t/c7" "$t/l7t" "$F/station-cert.pem" "$F/station-key.pem" -econtent_type $OID
expect_exit 11 "... by a station key: refused" -- inst "$S" "$t/img2" "$t/l7t"
"$fy" licence-cred "$t/fac2" >/dev/null 2>&1
openssl cms -sign -binary -nodetach -outform DER -md sha256 -in "$t/c7" -out "$t/l7f" -econtent_type $OID \
	-signer "$t/fac2/licence-cert.pem" -inkey "$t/fac2/licence-key.pem" -certfile "$t/fac2/ica-cert.pem" 2>/dev/null
expect_exit 11 "... by another manufacturer's licence signer (foreign CA): refused" -- inst "$S" "$t/img2" "$t/l7f"
check "... saying it is not issued under this device's ROM key" err_has "ROM key"
openssl cms -sign -binary -nodetach -outform DER -md sha256 -in "$t/c7" -out "$t/l7n" -econtent_type $OID \
	-signer "$F/licence-cert.pem" -inkey "$F/licence-key.pem" 2>/dev/null
expect_exit 11 "... without the issuing CA in the SignedData: refused" -- inst "$S" "$t/img2" "$t/l7n"
sign "$t/c7" "$t/l7d" "$F/licence-cert.pem" "$F/licence-key.pem"
expect_exit 6 "... as id-data instead of id-ct-chipkeyLicence: refused" -- inst "$S" "$t/img2" "$t/l7d"
mkder "$t/img2" 7 $((now - 60)) $((now + day)) "id=$id" "class=sensor-v2" >"$t/c7two"
sign "$t/c7two" "$t/l7two" "$F/licence-cert.pem" "$F/licence-key.pem" -econtent_type $OID
expect_exit 6 "content naming two audiences: refused" -- inst "$S" "$t/img2" "$t/l7two" --class sensor-v2
mkder "$t/img2" 7 $((now - 60)) $((now + day)) "id=350000000000007" >"$t/c7luhn"
sign "$t/c7luhn" "$t/l7luhn" "$F/licence-cert.pem" "$F/licence-key.pem" -econtent_type $OID
expect_exit 6 "content with an identity failing its Luhn digit: refused" -- inst "$S" "$t/img2" "$t/l7luhn"
# flip one byte of the image digest inside the signed licence
/usr/bin/python3 -c "
import hashlib, sys
d = bytearray(open('$t/l6', 'rb').read()); h = hashlib.sha256(open('$t/img3', 'rb').read()).digest()
i = d.index(h); d[i] ^= 1; open('$t/l6bad', 'wb').write(d)"
expect_exit 5 "a licence whose signed content was altered (digest byte): refused" -- inst "$S" "$t/img3" "$t/l6bad"
check "nothing refused changed the state (sequence 6)" test "$(seqof "$S")" = 6

# ---- the ROM key from the chip (chipkey-emu with this factory's root key in ROM)
"$A/bin/chipkey-fuse" create "$t/chip.bin" --rom-key "$t/fac/mfr-key.pem" --chip-id $chip >/dev/null 2>&1
"$A/bin/chipkey-emu" --state "$t/chip.bin" --socket "$t/emu.sock" --foreground 2>>"$t/emu.log" &
emu=$!
for _ in $(seq 200); do [ -S "$t/emu.sock" ] && break; sleep 0.05; done
lic "$t/lemu" "$t/img1" 7 --identity $id --not-after "$in1y"
expect_exit 0 "without --rom-key the chip's ROM key is used: installs" -- \
	"$ck" -d "emu:$t/emu.sock" update install --image "$t/img1" --licence "$t/lemu" --slot-dir "$t/semu" --keys "$t/keys"
expect_exit 11 "... which refuses another manufacturer's licence" -- \
	"$ck" -d "emu:$t/emu.sock" update install --image "$t/img1" --licence "$t/l7f" --slot-dir "$t/semu" --keys "$t/keys"
kill $emu 2>/dev/null; wait $emu 2>/dev/null
# the same keys directory on another chip (same ROM key, another chip ID)
"$A/bin/chipkey-fuse" create "$t/chip2.bin" --rom-key "$t/fac/mfr-key.pem" \
	--chip-id ffeeddccbbaa99887766554433221100 >/dev/null 2>&1
"$A/bin/chipkey-emu" --state "$t/chip2.bin" --socket "$t/emu2.sock" --foreground 2>>"$t/emu.log" &
emu=$!
for _ in $(seq 200); do [ -S "$t/emu2.sock" ] && break; sleep 0.05; done
expect_exit 11 "... the keys directory of this chip on another chip: refused (chip ID differs)" -- \
	"$ck" -d "emu:$t/emu2.sock" update install --image "$t/img1" --licence "$t/lemu" --slot-dir "$t/semu2" --keys "$t/keys"
check "... saying so" err_has "another chip ID than the chip's"
kill $emu 2>/dev/null; wait $emu 2>/dev/null

# ---- images encrypted to the device key (openssl cms -encrypt, ECDH to the device certificate)
cp "$t/dk.pem" "$t/keys/device-key.pem" && chmod 600 "$t/keys/device-key.pem"
"$fy" issue "$t/fac" --identity $other_id --chip-id ffeeddccbbaa99887766554433221100 \
	--key-out "$t/dk2.pem" --out "$t/dc2.pem" >/dev/null 2>&1
enc() { openssl cms -encrypt -binary -outform DER -in "$1" -out "$2" -recip "$3" "${@:4}" 2>/dev/null; }
enc "$t/img2" "$t/img2.enc" "$t/dc.pem" -aes-256-gcm
lic "$t/le" "$t/img2" 9 --identity $id --not-after "$in1y"
expect_exit 5 "an encrypted image installed as plain: refused (not the licence's image)" -- \
	inst "$S" "$t/img2.enc" "$t/le"
expect_exit 0 "an image encrypted to this device (AES-256-GCM) installs with --encrypted" -- \
	inst "$S" "$t/img2.enc" "$t/le" --encrypted
check "... the slot holds the plaintext" cmp -s "$S/$(active "$S")/image" "$t/img2"
lic "$t/le10" "$t/img1" 10 --identity $id --not-after "$in1y"
enc "$t/img1" "$t/img1.other" "$t/dc2.pem" -aes-256-gcm
expect_exit 4 "an image encrypted to another device: refused" -- inst "$S" "$t/img1.other" "$t/le10" --encrypted
enc "$t/img1" "$t/img1.enc" "$t/dc.pem" -aes-256-gcm
/usr/bin/python3 -c "
d = bytearray(open('$t/img1.enc', 'rb').read()); d[len(d) // 2] ^= 1
open('$t/img1.bad', 'wb').write(d)"
expect_exit 5 "an encrypted image with one ciphertext byte flipped (GCM): refused" -- \
	inst "$S" "$t/img1.bad" "$t/le10" --encrypted
enc "$t/img3" "$t/img3.cbc" "$t/dc.pem" -aes-256-cbc
expect_exit 5 "another image encrypted to this device (CBC) under this licence: refused (digest)" -- \
	inst "$S" "$t/img3.cbc" "$t/le10" --encrypted
expect_exit 6 "--encrypted with a plain image: refused as not CMS" -- inst "$S" "$t/img1" "$t/le10" --encrypted
check "nothing refused was installed (sequence 9)" test "$(seqof "$S")" = 9
expect_exit 0 "the image encrypted to this device with CBC installs" -- \
	bash -c "openssl cms -encrypt -binary -outform DER -in '$t/img1' -out '$t/img1.cbc' -recip '$t/dc.pem' -aes-256-cbc 2>/dev/null &&
	'$ck' update install --image '$t/img1.cbc' --licence '$t/le10' --slot-dir '$S' --keys '$t/keys' --rom-key '$rom' --encrypted"
check "... the slot holds the plaintext" cmp -s "$S/$(active "$S")/image" "$t/img1"

# ---- bad input: clear errors, no crash (ASan build)
head -c 700 "$t/l1" >"$t/trunc"
expect_exit 6 "a truncated licence: refused as malformed" -- inst "$S" "$t/img1" "$t/trunc"
check "... with a clear message" err_has "not a licence"
head -c 2000 /dev/urandom >"$t/garbage"
expect_exit 6 "random bytes as a licence: refused as malformed" -- inst "$S" "$t/img1" "$t/garbage"
: >"$t/empty"
expect_exit 6 "an empty licence: refused as malformed" -- inst "$S" "$t/img1" "$t/empty"
head -c 70000 /dev/zero >"$t/huge"
expect_exit 7 "a 70000-byte licence: refused as too large" -- inst "$S" "$t/img1" "$t/huge"
expect_exit 1 "install without --licence: usage" -- "$ck" update install --image "$t/img1"
expect_exit 1 "factory licence without an audience: usage" -- \
	"$fy" licence "$F" --image "$t/img1" --sequence 9 --not-after "$in1y" --out "$t/x"
expect_exit 1 "factory licence with a bad chip ID: usage" -- \
	"$fy" licence "$F" --image "$t/img1" --sequence 9 --chip-id zz --not-after "$in1y" --out "$t/x"
expect_exit 22 "factory licence never overwrites --out" -- \
	"$fy" licence "$F" --image "$t/img1" --sequence 9 --class a --not-after "$in1y" --out "$t/l1"

# ---- status of a damaged slot, a corrupt state file
cp -r "$S" "$t/sdam"; flip_byte "$t/sdam/$(active "$S")/image" 10
expect_exit 5 "status: the active image altered on disk is reported" -- "$ck" update status --slot-dir "$t/sdam"
check "... (stdout says NO)" grep -q "intact: NO" "$t/out"
cp -r "$S" "$t/scor"; echo "sequence 1" >>"$t/scor/state"
expect_exit 5 "status of a corrupt state file: exit 5" -- "$ck" update status --slot-dir "$t/scor"
lic "$t/l8" "$t/img2" 8 --identity $id --not-after "$in1y"
expect_exit 5 "install over a corrupt state file: refused (the rollback floor is unknown)" -- \
	inst "$t/scor" "$t/img2" "$t/l8"
expect_exit 0 "status with nothing installed: exit 0" -- "$ck" update status --slot-dir "$t/none"

# ---- one install at a time: a second one while the first holds the slot directory
lic "$t/p1" "$t/img1" 1 --identity $id --not-after "$in1y"
lic "$t/p2" "$t/img2" 2 --identity $id --not-after "$in1y"
CHIPKEY_PAUSE_AT=update-slot-synced:3000 "$crash" update install --image "$t/img1" --licence "$t/p1" \
	--slot-dir "$t/sp" --keys "$t/keys" --rom-key "$rom" >/dev/null 2>"$t/pause.err" &
pp=$!
for _ in $(seq 400); do grep -q "test pause at" "$t/pause.err" && break; sleep 0.02; done
expect_exit 24 "a second install while the first holds the slot directory: refused" -- \
	inst "$t/sp" "$t/img2" "$t/p2"
check "... saying another install holds it" err_has "another install holds"
wait $pp
check "... the first one completes (sequence 1)" test "$(seqof "$t/sp")" = 1

# ---- the state checks again under the lock (docs/software-update.md):
# install B passed steps 5e-6 against sequence 1, then waits (a test pause
# before it takes the lock) while install A commits sequence 2; B, also
# sequence 2, must then be refused as a rollback, A's image kept
lic "$t/ra" "$t/img2" 2 --identity $id --not-after "$in1y"
lic "$t/rb" "$t/img3" 2 --identity $id --not-after "$in1y"
expect_exit 0 "(sequence 1 installed first)" -- inst "$t/sr" "$t/img1" "$t/p1"
CHIPKEY_PAUSE_AT=update-accepted:3000 "$crash" update install --image "$t/img3" --licence "$t/rb" \
	--slot-dir "$t/sr" --keys "$t/keys" --rom-key "$rom" >/dev/null 2>"$t/rb.err" &
pp=$!
for _ in $(seq 400); do grep -q "test pause at update-accepted" "$t/rb.err" && break; sleep 0.02; done
expect_exit 0 "install A (sequence 2) while install B (sequence 2) waits between its checks and the lock" -- \
	inst "$t/sr" "$t/img2" "$t/ra"
wait $pp
prc=$?
check "... B is refused under the lock against A's state: exit 13 ($prc), A's image installed" \
	bash -c "test $prc = 13 && grep -q 'update refused (rollback)' '$t/rb.err' &&
		test '$(seqof "$t/sr")' = 2 && cmp -s '$t/sr/$(active "$t/sr")/image' '$t/img2'"

# ---- kill -9 at every crash point of the install, then again
points="update-cleaned update-image-partial update-image-partial@2 update-image-written update-slot-synced update-slot-renamed update-state-renamed update-committed"
lic "$t/k1" "$t/img1" 1 --identity $id --not-after "$in1y"
lic "$t/k2" "$t/img2" 2 --identity $id --not-after "$in1y"
for p in $points; do
	K=$t/k-$p
	inst "$K" "$t/img1" "$t/k1" >/dev/null 2>&1
	# in a subshell that reports the SIGKILL on its own (silenced) stderr
	(CHIPKEY_CRASH_AT=$p "$crash" update install --image "$t/img2" --licence "$t/k2" --slot-dir "$K" \
		--keys "$t/keys" --rom-key "$rom" >/dev/null 2>&1; exit $?) 2>/dev/null
	rc=$?
	s=$(seqof "$K") a=$(active "$K")
	case $s in
	1) want=$t/img1 ;;
	2) want=$t/img2 ;;
	*) want=/nonexistent ;;
	esac
	if [ $rc -eq 137 ] && cmp -s "$K/$a/image" "$want"; then
		ok "kill -9 at $p: sequence $s in slot $a, its image whole"
	else
		nok "kill -9 at $p: exit $rc, sequence '$s', slot '$a'"
	fi
	case $p in
	update-state-renamed|update-committed) w=2 ;;
	*) w=1 ;;
	esac
	check "... the $([ $w = 1 ] && echo old || echo new) software (sequence $w)" test "$s" = $w
	expect_exit 0 "... status: intact" -- "$ck" update status --slot-dir "$K"
	[ "$s" = 1 ] && r=0 || r=13
	expect_exit "$r" "... installing sequence 2 again: $([ "$r" = 0 ] && echo installs || echo rollback, already there)" -- \
		inst "$K" "$t/img2" "$t/k2"
	check "... ends at sequence 2 with its image" bash -c \
		"test \"\$(sed -n 's/^sequence //p' '$K/state')\" = 2 && cmp -s '$K/'\$(sed -n 's/^slot //p' '$K/state')'/image' '$t/img2'"
done

# ---- a refused install never touches the fallback (the inactive slot)
FB=$t/fb
lic "$t/fl1" "$t/img1" 1 --identity $id --not-after "$in1y"
lic "$t/fl2" "$t/img2" 2 --identity $id --not-after "$in1y"
lic "$t/fl3" "$t/img3" 3 --identity $id --not-after "$in1y"
inst "$FB" "$t/img1" "$t/fl1" >/dev/null 2>&1
inst "$FB" "$t/img2" "$t/fl2" >/dev/null 2>&1
head -c 1000 /dev/urandom >"$t/junk3"
expect_exit 5 "a newer genuine licence with junk of the image's size: refused" -- inst "$FB" "$t/junk3" "$t/fl3"
check "... the fallback slot a still holds image 1 byte for byte" cmp -s "$FB/a/image" "$t/img1"
check "... and its licence" cmp -s "$FB/a/licence" "$t/fl1"
check "... the active slot b and the state unchanged (sequence 2)" bash -c \
	"test \"\$(sed -n 's/^slot //p;s/^sequence //p' '$FB/state' | tr -d '\n')\" = b2 && cmp -s '$FB/b/image' '$t/img2'"
check "... nothing left in $FB/.incoming" test ! -e "$FB/.incoming"
expect_exit 0 "the right image then installs into slot a" -- inst "$FB" "$t/img3" "$t/fl3"
check "... slot a holds image 3, slot b (the new fallback) image 2" bash -c \
	"cmp -s '$FB/a/image' '$t/img3' && cmp -s '$FB/b/image' '$t/img2'"

# ---- kill -9 before the new slot is complete: the fallback is still whole
for p in update-cleaned update-image-partial update-image-written update-slot-synced; do
	K=$t/kf-$p
	inst "$K" "$t/img1" "$t/fl1" >/dev/null 2>&1
	inst "$K" "$t/img2" "$t/fl2" >/dev/null 2>&1
	(CHIPKEY_CRASH_AT=$p "$crash" update install --image "$t/img3" --licence "$t/fl3" --slot-dir "$K" \
		--keys "$t/keys" --rom-key "$rom" >/dev/null 2>&1; exit $?) 2>/dev/null
	rc=$?
	if [ $rc -eq 137 ] && cmp -s "$K/a/image" "$t/img1" && cmp -s "$K/b/image" "$t/img2" &&
		[ "$(active "$K")$(seqof "$K")" = b2 ]; then
		ok "kill -9 at $p with a fallback: slot b active (sequence 2), fallback slot a whole"
	else
		nok "kill -9 at $p with a fallback: exit $rc, slot '$(active "$K")', sequence '$(seqof "$K")'"
	fi
done

# ---- the install order on disk (strace): the new slot is durable before
# it takes the slot's name, and that before the state names it
if command -v strace >/dev/null; then
	ST=$t/st
	inst "$ST" "$t/img1" "$t/fl1" >/dev/null 2>&1
	strace -f -y -o "$t/strace" -e trace=fsync,fdatasync,rename,renameat,renameat2 \
		"$nck" update install --image "$t/img2" --licence "$t/fl2" --slot-dir "$ST" --keys "$t/keys" \
		--rom-key "$rom" >/dev/null 2>&1
	order=$(/usr/bin/python3 - "$t/strace" "$ST" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines(); d = sys.argv[2]
def first(pat, after=-1):
    for i, l in enumerate(lines):
        if i > after and re.search(pat, l): return i
    return None
ev = {}
ev["img"] = first(r"fsync\(\d+<%s/\.incoming/image>\)" % re.escape(d))
ev["lic"] = first(r"rename\w*\(.*\.incoming.*\"licence\"|rename\w*\(.*%s/\.incoming/licence" % re.escape(d))
ev["slotdir"] = first(r"fsync\(\d+<%s/\.incoming>\)" % re.escape(d))
ev["slot"] = first(r"rename\w*\(.*\"\.incoming\".*\"b\"")
ev["dirA"] = first(r"fsync\(\d+<%s>\)" % re.escape(d), ev["slot"] if ev["slot"] is not None else 10**9)
ev["state"] = first(r"rename\w*\(.*\"state\"")
ev["dirB"] = first(r"fsync\(\d+<%s>\)" % re.escape(d), ev["state"] if ev["state"] is not None else 10**9)
names = ["img", "lic", "slotdir", "slot", "dirA", "state", "dirB"]
if any(ev[n] is None for n in names): print("missing " + " ".join(n for n in names if ev[n] is None))
elif [ev[n] for n in names] == sorted(ev[n] for n in names): print("ok")
else: print("order " + " ".join("%s=%d" % (n, ev[n]) for n in names))
PY
)
	if [ "$order" = ok ]; then
		ok "strace: fsync image, licence rename, fsync slot, rename .incoming->b, fsync dir, rename state, fsync dir, in this order"
	else
		nok "strace: install order on disk: $order"
	fi
else
	skip "strace: install order on disk (strace not installed)"
fi

# ---- the signer bounds the licence's validity
# a licence-signing credential like licence-cred's, valid for one day only
cat >"$t/signer.ext" <<'EOF2'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
EOF2
openssl ecparam -name prime256v1 -genkey -noout -out "$t/s1.key" 2>/dev/null
openssl req -new -key "$t/s1.key" -subj "/O=chipkey/OU=chipkey-licence-signer/CN=short signer" -out "$t/s1.csr" 2>/dev/null
openssl x509 -req -in "$t/s1.csr" -CA "$F/ica-cert.pem" -CAkey "$F/ica-key.pem" -set_serial 4242 -days 1 \
	-extfile "$t/signer.ext" -out "$t/s1.pem" 2>/dev/null
# the licences start when it does (a set clock refuses a later notBefore)
snb=$(date -u -d "$(openssl x509 -in "$t/s1.pem" -noout -startdate | cut -d= -f2)" +%s)
mkder "$t/img3" 3 "$snb" $((snb + 3600)) "id=$id" >"$t/cs1"
sign "$t/cs1" "$t/ls1" "$t/s1.pem" "$t/s1.key" -econtent_type $OID
expect_exit 0 "a one-day signer's licence valid for an hour installs" -- inst "$t/ss" "$t/img3" "$t/ls1"
mkder "$t/img1" 4 "$snb" $((snb + 20 * 365 * day)) "id=$id" >"$t/cs2"
sign "$t/cs2" "$t/ls2" "$t/s1.pem" "$t/s1.key" -econtent_type $OID
expect_exit 23 "... its licence valid for 20 years (outliving the signer): refused" -- inst "$t/ss" "$t/img1" "$t/ls2"
check "... saying the licence outlives the signer's certificate" err_has "outlives its signer"
openssl x509 -req -in "$t/s1.csr" -CA "$F/ica-cert.pem" -CAkey "$F/ica-key.pem" -set_serial 4243 -days 7300 \
	-extfile "$t/signer.ext" -out "$t/s20.pem" 2>/dev/null
snb=$(date -u -d "$(openssl x509 -in "$t/s20.pem" -noout -startdate | cut -d= -f2)" +%s)
mkder "$t/img1" 4 "$snb" $((snb + 3661 * day)) "id=$id" >"$t/cs3"
sign "$t/cs3" "$t/ls3" "$t/s20.pem" "$t/s1.key" -econtent_type $OID
expect_exit 23 "a 20-year signer's licence valid for 3661 days: refused (at most 3660)" -- inst "$t/ss" "$t/img1" "$t/ls3"
check "... saying the validity is too long" err_has "longer than 3660 days"
mkder "$t/img1" 4 "$snb" $((snb + 3660 * day)) "id=$id" >"$t/cs4"
sign "$t/cs4" "$t/ls4" "$t/s20.pem" "$t/s1.key" -econtent_type $OID
expect_exit 0 "... one valid for exactly 3660 days installs" -- inst "$t/ss" "$t/img1" "$t/ls4"

expect_exit 23 "chipkey-factory licence refuses a licence outliving its credential (20 years)" -- \
	"$fy" licence "$F" --image "$t/img1" --sequence 9 --identity $id --out "$t/l20y" \
	--not-after "$(iso $((now + 20 * 365 * day)))"
check "... and writes nothing" test ! -e "$t/l20y"

# ---- revocation (--crl: the root's CRL of issuing CAs, the issuing CA's CRL)
R=$t/facr
cp -r "$F" "$R"
crls=(--crl "$R/root-crl.pem" --crl "$R/station-crl.pem")
expect_exit 0 "with the factory's current CRLs (nothing revoked): installs" -- inst "$t/scrl" "$t/img1" "$t/fl1" "${crls[@]}"
expect_exit 11 "with only the root's CRL (none of the issuing CA): refused (fails closed)" -- \
	inst "$t/scrl" "$t/img2" "$t/fl2" --crl "$R/root-crl.pem"
"$fy" revoke "$R" "$R/licence-cert.pem" >/dev/null 2>&1
expect_exit 11 "the licence signer revoked by the issuing CA's CRL: refused" -- inst "$t/scrl" "$t/img2" "$t/fl2" "${crls[@]}"
check "... saying it is revoked" err_has "revoked"
crlnums() { for f in "$1"/crl-floor/*.der; do openssl crl -inform der -in "$f" -noout -crlnumber; done | sort | tr '\n' ' '; }
check "... the slot directory kept the newest CRL of each issuer (crl-floor, openssl crl reads it)" \
	test "$(crlnums "$t/scrl")" = "crlNumber=0x01 crlNumber=0x02 "
# the attack: the issuing CA's CRL from before the revocation (number 1,
# which does not list the signer), genuine and still current, replayed
cp -a "$t/scrl" "$t/scrl.before"
old_crls=(--crl "$R/root-crl.pem" --crl "$F/station-crl.pem")
expect_exit 13 "... then the older CRL (number 1, not listing the signer) replayed: refused (rollback)" -- \
	inst "$t/scrl" "$t/img2" "$t/fl2" "${old_crls[@]}"
check "... saying it is older than the one accepted before" err_has "number 1: older than number 2 accepted before"
check "... nothing in the slot directory changed (installed software, state, floor)" \
	diff -r "$t/scrl.before" "$t/scrl"
check "... the state still names sequence 1" test "$(seqof "$t/scrl")" = 1
expect_exit 0 "... another slot directory (its own floor) accepts that CRL" -- \
	inst "$t/scrl1" "$t/img2" "$t/fl2" "${old_crls[@]}"
cp "$F/station-crl.pem" "$R/station-crl.pem"
"$fy" revoke "$R" "$R/ica-cert.pem" --root-key "$R/mfr-key.pem" >/dev/null 2>&1
expect_exit 11 "the issuing CA revoked by the root's CRL: refused" -- inst "$t/scrl2" "$t/img2" "$t/fl2" "${crls[@]}"
check "... saying it is revoked" err_has "revoked"
check "... nothing installed" test ! -e "$t/scrl2/state"
check "... but the slot directory was created for the CRL floor (the root's CRL number 2 kept)" test "$(crlnums "$t/scrl2")" = "crlNumber=0x02 "

# ---- the CRL floor's reset (docs/service-link.md "CRL rollback"): a CA
# that over-numbers a CRL blocks its CRLs until the floor file is deleted
mkcrl() { # mkcrl OUT ISSUER_CERT ISSUER_KEY NUMBER aki|noaki: a genuine CRL, nothing revoked
	/usr/bin/python3 - "$@" <<'PY'
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
out, cert, key, num, aki = sys.argv[1:]
ca = x509.load_pem_x509_certificate(open(cert, 'rb').read())
k = serialization.load_pem_private_key(open(key, 'rb').read(), None)
now = datetime.datetime.now(datetime.timezone.utc)
b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
     .last_update(now - datetime.timedelta(days=1)).next_update(now + datetime.timedelta(days=30))
     .add_extension(x509.CRLNumber(int(num)), False))
if aki == 'aki':
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
open(out, 'wb').write(b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
PY
}
# the floor files of the issuing CA: "FILE NUMBER" a line
ica_floor() {
	for f in "$1"/crl-floor/*.der; do
		openssl crl -inform der -in "$f" -noout -issuer | grep -q "issuing CA" &&
			echo "$f $(openssl crl -inform der -in "$f" -noout -crlnumber)"
	done
}
big=1208925819614629174706176	# 2^80, beyond a long
mkcrl "$t/crl-over.pem" "$F/ica-cert.pem" "$F/ica-key.pem" $big aki
mkcrl "$t/root-crl2.pem" "$F/mfr-ca.pem" "$F/mfr-key.pem" 2 aki
mkcrl "$t/crl-noaki5.pem" "$F/ica-cert.pem" "$F/ica-key.pem" 5 noaki
mkcrl "$t/crl-noaki4.pem" "$F/ica-cert.pem" "$F/ica-key.pem" 4 noaki
check "genuine CRLs of the issuing CA: number 2^80 (with authorityKeyIdentifier), 5 and 4 (without); the root's number 2 (openssl verifies them)" \
	bash -c "for c in crl-over crl-noaki5 crl-noaki4; do openssl crl -in '$t/'\$c.pem -noout -verify -CAfile '$F/ica-cert.pem' 2>&1 | grep -q 'verify OK' || exit 1; done
		 openssl crl -in '$t/root-crl2.pem' -noout -verify -CAfile '$F/mfr-ca.pem' 2>&1 | grep -q 'verify OK'"
for i in 1 2 3 4; do lic "$t/fr$i" "$t/img3" $i --identity $id --not-after "$in1y"; done
Z=$t/sreset
expect_exit 0 "an over-numbered CRL of the issuing CA (2^80): accepted" -- \
	inst "$Z" "$t/img3" "$t/fr1" --crl "$F/root-crl.pem" --crl "$t/crl-over.pem"
expect_exit 13 "... then its genuine next CRL (number 1): refused as older (the devices are blocked)" -- \
	inst "$Z" "$t/img3" "$t/fr2" --crl "$F/root-crl.pem" --crl "$F/station-crl.pem"
check "... the number printed in full" err_has "number 1: older than number $big accepted before"
over_file=$(ica_floor "$Z" | cut -d' ' -f1)
cp "$over_file" "$t/over-floor.der"
expect_exit 0 "a newer CRL of another issuer (the root's number 2): accepted" -- \
	inst "$Z" "$t/img3" "$t/fr2" --crl "$t/root-crl2.pem" --crl "$t/crl-over.pem"
expect_exit 0 "a genuine CRL of the issuing CA without authorityKeyIdentifier (number 5): accepted (floored separately)" -- \
	inst "$Z" "$t/img3" "$t/fr3" --crl "$t/root-crl2.pem" --crl "$t/crl-noaki5.pem"
check "... two floor files for the issuing CA (with and without the key identifier)" \
	test "$(ica_floor "$Z" | wc -l)" = 2
expect_exit 13 "... an older one without it (number 4): refused" -- \
	inst "$Z" "$t/img3" "$t/fr4" --crl "$t/root-crl2.pem" --crl "$t/crl-noaki4.pem"
check "... the floor of 2^80 untouched by either (byte for byte)" cmp "$over_file" "$t/over-floor.der"
expect_exit 13 "... and the genuine CRL number 1 still refused (nothing but deleting the file resets it)" -- \
	inst "$Z" "$t/img3" "$t/fr4" --crl "$t/root-crl2.pem" --crl "$F/station-crl.pem"
rm -f "$over_file"
expect_exit 0 "the floor file of 2^80 deleted (the documented reset): the genuine CRL number 1 accepted" -- \
	inst "$Z" "$t/img3" "$t/fr4" --crl "$t/root-crl2.pem" --crl "$F/station-crl.pem"
check "... the floors now: the issuing CA's 1 (new) and 5 (without key identifier), the root's 2 (the reset was of the one file)" \
	test "$(crlnums "$Z")" = "crlNumber=0x01 crlNumber=0x02 crlNumber=0x05 "

# ---- the sequence counter cannot be used up by one licence
SQ=$t/sq
inst "$SQ" "$t/img1" "$t/fl1" >/dev/null 2>&1
lic "$t/lmax" "$t/img2" 9223372036854775807 --identity $id --not-after "$in1y"
expect_exit 13 "sequence 2^63-1 after 1: refused (more than 2^32 above)" -- inst "$SQ" "$t/img2" "$t/lmax"
check "... saying so" err_has "more than 4294967296 above the installed 1"
lic "$t/lover" "$t/img2" 4294967298 --identity $id --not-after "$in1y"
expect_exit 13 "sequence 1 + 2^32 + 1 after 1: refused" -- inst "$SQ" "$t/img2" "$t/lover"
lic "$t/ledge" "$t/img2" 4294967297 --identity $id --not-after "$in1y"
expect_exit 0 "sequence 1 + 2^32 after 1: installs" -- inst "$SQ" "$t/img2" "$t/ledge"
expect_exit 13 "sequence 2^63-1 on a device with nothing installed: refused" -- inst "$t/sq0" "$t/img2" "$t/lmax"
check "... and no slot directory was created" test ! -e "$t/sq0"

# ---- the device is who its ROM-key-chained certificate says
fake() { rm -rf "$t/fk" && cp -r "$t/keys" "$t/fk"; }
ikeys() { "$ck" update install --image "$t/img1" --licence "$t/fl1" --slot-dir "$t/sid" --keys "$t/fk" --rom-key "$rom"; }
fake; echo $other_id >"$t/fk/identity"
lic "$t/lid2" "$t/img1" 1 --identity $other_id --not-after "$in1y"
expect_exit 11 "a keys directory whose identity file names another device: refused" -- \
	"$ck" update install --image "$t/img1" --licence "$t/lid2" --slot-dir "$t/sid" --keys "$t/fk" --rom-key "$rom"
check "... saying the identity is not the certificate's" err_has "does not hold the device certificate's identity"
fake; printf '%sX' $id >"$t/fk/identity"
expect_exit 11 "... an identity file with a 16th byte other than a newline: refused" -- ikeys
fake; { openssl x509 -in "$t/dc2.pem"; cat "$t/fac/ica-cert.pem"; } >"$t/fk/device-cert.pem"
openssl x509 -in "$t/dc2.pem" -outform DER -out "$t/fk/device-cert.der"; echo $other_id >"$t/fk/identity"
expect_exit 4 "another genuine device's keys directory: this device's licence is refused as not ours" -- \
	"$ck" update install --image "$t/img1" --licence "$t/fl1" --slot-dir "$t/sid" --keys "$t/fk" --rom-key "$rom"
"$fy" issue "$t/fac2" --identity $id --chip-id $chip --key-out "$t/fdk.pem" --out "$t/fdc.pem" >/dev/null 2>&1
fake; { openssl x509 -in "$t/fdc.pem"; cat "$t/fac2/ica-cert.pem"; } >"$t/fk/device-cert.pem"
openssl x509 -in "$t/fdc.pem" -outform DER -out "$t/fk/device-cert.der"
expect_exit 11 "a device certificate with this identity from another factory (not the ROM key's): refused" -- ikeys
check "... saying so" err_has "not a device certificate issued under this device's ROM key"
fake; openssl x509 -in "$t/dc2.pem" -outform DER -out "$t/fk/device-cert.der"
expect_exit 11 "a device-cert.der that is not device-cert.pem's certificate: refused" -- ikeys
fake
expect_exit 0 "the genuine keys directory: installs" -- ikeys

# ---- an image that is not a regular file: refused, not waited on
mkfifo "$t/fifo"
expect_exit 5 "a FIFO as the image: refused (not a regular file)" -- timeout 60 "$ck" update install \
	--image "$t/fifo" --licence "$t/fl1" --slot-dir "$t/sfifo" --keys "$t/keys" --rom-key "$rom"
expect_exit 5 "a FIFO as an encrypted image: refused (not a regular file)" -- timeout 60 "$ck" update install \
	--image "$t/fifo" --licence "$t/fl1" --slot-dir "$t/sfifo" --keys "$t/keys" --rom-key "$rom" --encrypted
check "... saying so" err_has "not a regular file"
# the licence file too: opened without blocking, regular files only
expect_exit 8 "a FIFO as the licence: refused at once (not a regular file)" -- timeout 10 "$ck" update install \
	--image "$t/img1" --licence "$t/fifo" --slot-dir "$t/slfifo" --keys "$t/keys" --rom-key "$rom"
check "... saying so" err_has "not a regular file"
check "... nothing installed, no slot directory" test ! -e "$t/slfifo"
expect_exit 8 "/dev/zero as the licence: refused (not a regular file), not read" -- timeout 10 "$ck" update install \
	--image "$t/img1" --licence /dev/zero --slot-dir "$t/slfifo" --keys "$t/keys" --rom-key "$rom"
check "... nothing installed, no slot directory" test ! -e "$t/slfifo"
expect_exit 8 "a FIFO as the licence with --crl: refused before the CRL floor" -- timeout 10 "$ck" update install \
	--image "$t/img1" --licence "$t/fifo" --slot-dir "$t/slfifo" --keys "$t/keys" --rom-key "$rom" \
	--crl "$t/root-crl2.pem" --crl "$F/station-crl.pem"
check "... nothing installed, no slot directory" test ! -e "$t/slfifo"

tap_done update && [ $unit -eq 0 ]
