#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey-enroll end to end on loopback (docs/enrollment.md): a factory,
# emulated devices provisioned from data packages whose certificates name
# their chips' attestation keys, a customer node; then standard clients
# (openssl req, curl, openssl pkcs7/verify) enroll, with the chip proof made
# by the emulated chip through `chipkey attest`; then the attacks; then
# revocation and renewal (renew.sh), serverkeygen (keygen.sh), the node
# killed at each step of an issuance (crash.sh).  TAP.
#
#   enroll/tests/run.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
. "$here/../../common/tests/devices.sh"
en=$A/bin/chipkey-enroll bin=$B/bin
make_test_dir enroll
trap 'clean_up_at_exit 15 log' EXIT

# provision NAME CHIP N [noattest]: emulated chip NAME of factory $t/fac, its
# certificate naming the chip's attestation key (unless noattest), identity
# number N, keys directory $t/NAME.keys (recover --keys)
provision() {
	local att=--attest
	[ "${4:-}" = noattest ] && att=
	provision_device "$1" "$t/fac" "$2" "$3" $att
}
# start NAME ARGS...: chipkey-enroll serve on 127.0.0.1, log $t/NAME.log, its
# port in $PORT, its pid in $SPID
start() {
	local log=$1; shift
	start_server "$log" "$t/port" "$en" serve "$t/node" --listen 127.0.0.1:0 --port-file "$t/port" \
		--renew-after 0 "$@"
}
# https PATH OUT CURL-ARGS...: the HTTP status of a request (body in OUT)
https() {
	local path=$1 out=$2; shift 2
	curl -s --tlsv1.3 --cacert "$t/node/ca-cert.pem" --resolve "localhost:$PORT:127.0.0.1" \
		-o "$out" -w '%{http_code}' "$@" "https://localhost:$PORT$path" 2>>"$t/curl.log"
}
# as KEYS: curl's client certificate options for a keys directory
as() { echo "--cert $1/device-cert.pem --key $1/device-key.pem"; }
# csr NAME SUBJECT: new key $t/NAME.key, base64 DER request $t/NAME.csr
csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/$1.key" \
		-subj "$2" -outform DER 2>>"$t/openssl.log" | base64 >"$t/$1.csr"
}
# challenge KEYS: ask for a challenge as that device; NONCE, $t/peer.hex
challenge() {
	local code
	# shellcheck disable=SC2046
	code=$(https /chipkey/v1/challenge "$t/chal" -X POST $(as "$1"))
	NONCE=$(awk '$1 == "nonce" { print $2 }' "$t/chal")
	awk '$1 == "peer" { print $2 }' "$t/chal" >"$t/peer.hex"
	CCODE=$code
	[ "$code" = 200 ]
}
# prove SOCK KEYS NAME: the chip on SOCK answers the challenge for the
# factory certificate of KEYS and the key of request NAME: MAC (the label
# of simpleenroll, or $LABEL: proveg of keygen.sh)
prove() {
	{ printf '%s' "${LABEL:-chipkey est enroll v1}"; printf '%s' "$NONCE" | xxd -r -p
	  openssl x509 -in "$2/device-cert.pem" -outform DER | openssl dgst -sha256 -binary
	  openssl pkey -in "$t/$3.key" -pubout -outform DER | openssl dgst -sha256 -binary
	} >"$t/ctx.bin"
	MAC=$("$bin/chipkey" --device "emu:$1" attest --peer "$t/peer.hex" --context "$t/ctx.bin" 2>>"$t/setup.log")
}
# enroll KEYS NAME [HEADER]: POST the request; CODE, body in $t/resp
enroll() {
	local hdr=()
	[ $# -ge 3 ] && hdr=(-H "Chipkey-Attest: $3")
	# shellcheck disable=SC2046
	CODE=$(https /.well-known/est/simpleenroll "$t/resp" $(as "$1") "${hdr[@]}" \
		-H "Content-Type: application/pkcs10" --data-binary "@$t/$2.csr")
}
# certs B64 OUT: the certificates of a base64 certs-only PKCS#7 (openssl)
certs() { base64 -d "$1" | openssl pkcs7 -inform DER -print_certs -out "$2" 2>>"$t/openssl.log"; }

# ---- a factory and four devices
"$bin/chipkey-factory" init "$t/fac" >/dev/null 2>>"$t/setup.log"
check "factory" test -s "$t/fac/mfr-ca.pem"
provision d1 00112233445566778899aabbccddee01 1
provision d2 00112233445566778899aabbccddee02 2
provision d3 00112233445566778899aabbccddee03 3
provision d4 00112233445566778899aabbccddee04 4
provision d5 00112233445566778899aabbccddee05 4	# d4's identity on another chip
provision d6 00112233445566778899aabbccddee02 6	# another identity on d2's chip ID
provision d7 00112233445566778899aabbccddee07 7 noattest
check "devices provisioned, certificates naming their chips' attestation keys (but d7's)" \
	bash -c "for d in d1 d2 d3 d4 d5 d6; do test -s $t/\$d.keys/device-key.pem || exit 1
		openssl x509 -in $t/\$d.keys/device-cert.pem -noout -text | grep -q 2.25.150369157376766404936511867947329402419 || exit 1; done"
ID1=$(tr -d '\n' <"$t/d1.keys/identity") ID2=$(tr -d '\n' <"$t/d2.keys/identity")
ID4=$(tr -d '\n' <"$t/d4.keys/identity") ID6=$(tr -d '\n' <"$t/d6.keys/identity")
ID7=$(tr -d '\n' <"$t/d7.keys/identity")
check "d5 has d4's identity, d7's certificate no attestation key" \
	bash -c "cmp -s '$t/d4.keys/identity' '$t/d5.keys/identity' &&
		! openssl x509 -in '$t/d7.keys/device-cert.pem' -noout -text | grep -q 2.25.150369157376766404936511867947329402419"

# ---- the customer node
expect_exit 0 "init: customer CA, TLS credential, ledger; manufacturer CA imported" -- \
	"$en" init "$t/node" --org "Example Customer" --mfr-ca "$t/fac/mfr-ca.pem"
check "init: the CA and TLS keys are 0600, the directory 0700" \
	test "$(stat -c %a "$t/node/ca-key.pem" "$t/node/tls-key.pem" "$t/node")" = "600
600
700"
check "init: the TLS credential chains to the customer CA (openssl verify)" \
	bash -c "openssl verify -CAfile '$t/node/ca-cert.pem' '$t/node/tls-cert.pem' >/dev/null"
expect_exit 0 "init --tls-name 127.0.0.1: a node named by its address" -- \
	"$en" init "$t/node-ip" --org "Example Customer" --mfr-ca "$t/fac/mfr-ca.pem" --tls-name 127.0.0.1
check "... its TLS certificate holds an iPAddress entry: openssl verify -verify_ip 127.0.0.1 accepts it; the localhost node's is refused" \
	bash -c "openssl x509 -in '$t/node-ip/tls-cert.pem' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' &&
		openssl verify -CAfile '$t/node-ip/ca-cert.pem' -verify_ip 127.0.0.1 '$t/node-ip/tls-cert.pem' >/dev/null 2>&1 &&
		! openssl verify -CAfile '$t/node/ca-cert.pem' -verify_ip 127.0.0.1 '$t/node/tls-cert.pem' >/dev/null 2>&1 &&
		openssl verify -CAfile '$t/node/ca-cert.pem' -verify_hostname localhost '$t/node/tls-cert.pem' >/dev/null 2>&1"
bad_names=0
for name in 127.1 '[::1]' 'a b' 'x@y' -host host- 'a..b' 'fe80::1%lo' ''; do
	"$en" init "$t/node-bad" --org X --mfr-ca "$t/fac/mfr-ca.pem" --tls-name "$name" >/dev/null 2>&1
	[ $? = 1 ] && [ ! -e "$t/node-bad" ] || bad_names=$((bad_names + 1))
	rm -rf "$t/node-bad"
done
check "init --tls-name that is neither an address nor a host name a client can match (127.1, [::1], 'a b', ...): usage, no node ($bad_names accepted)" \
	test $bad_names = 0
expect_exit 0 "init --tls-name ::1 (an IPv6 address)" -- \
	"$en" init "$t/node-ip6" --org X --mfr-ca "$t/fac/mfr-ca.pem" --tls-name ::1
check "... openssl verify -verify_ip ::1 accepts its TLS certificate" \
	bash -c "openssl verify -CAfile '$t/node-ip6/ca-cert.pem' -verify_ip ::1 '$t/node-ip6/tls-cert.pem' >/dev/null 2>&1"
expect_exit 22 "init: an existing directory is not touched" -- \
	"$en" init "$t/node" --org X --mfr-ca "$t/fac/mfr-ca.pem"
expect_exit 11 "init: a manufacturer CA that is not self-signed (the issuing CA) is refused" -- \
	"$en" init "$t/node2" --org X --mfr-ca "$t/fac/ica-cert.pem"
check "init: nothing left after the refusals" bash -c "! ls -d '$t'/node2* '$t'/node.init-* 2>/dev/null"
printf '# shipment 1\n%s\n00112233445566778899AABBCCDDEE02\nnot-a-device\n' "$ID1" >"$t/bad-list"
expect_exit 6 "whitelist: a malformed line refuses the whole file" -- "$en" whitelist "$t/node" "$t/bad-list"
check "whitelist: the message names the line" grep -q "bad-list:4" "$t/err"
printf '# shipment 1\n%s\n  00112233445566778899AABBCCDDEE02 # d2 by chip ID\n\n%s 00112233445566778899aabbccddee04\n%s\n%s\n' \
	"$ID1" "$ID4" "$ID6" "$ID7" >"$t/list"
expect_exit 0 "whitelist: import (d1, d6, d7 by identity, d2 by chip ID, d4 by both)" -- "$en" whitelist "$t/node" "$t/list"
check "whitelist: 5 added (nothing of the refused file)" grep -q "5 added, 0 already present; 5 entries" "$t/out"
expect_exit 0 "whitelist: importing again adds nothing" -- "$en" whitelist "$t/node" "$t/list"
check "whitelist: 0 added, 5 present" grep -q "0 added, 5 already present; 5 entries" "$t/out"

chmod 0640 "$t/node/ca-key.pem"
expect_exit 1 "serve --renew-after not below the validity (--days 1, --renew-after 86400): refused" -- \
	timeout 20 "$en" serve "$t/node" --listen 127.0.0.1:0 --days 1 --renew-after 86400
check "... saying no certificate could ever renew" grep -q 'no certificate could ever renew' "$t/err"
expect_exit 1 "serve --renew-after over 366 days: refused" -- \
	timeout 20 "$en" serve "$t/node" --listen 127.0.0.1:0 --renew-after 31622401
expect_exit 3 "serve: a CA key readable by the group is refused" -- timeout 20 "$en" serve "$t/node" --listen 127.0.0.1:0
chmod 0600 "$t/node/ca-key.pem"
cp "$t/node/tls-key.pem" "$t/open-tls-key.pem"
chmod 0644 "$t/open-tls-key.pem"
expect_exit 3 "serve: a TLS key readable by others is refused" -- \
	timeout 20 "$en" serve "$t/node" --listen 127.0.0.1:0 --key "$t/open-tls-key.pem"
start srv
check "serve: listening" test -n "${PORT:-}"
SRV=$SPID

# ---- cacerts, csrattrs, TLS
code=$(https /.well-known/est/cacerts "$t/cacerts.b64")
check "cacerts: 200" test "$code" = 200
certs "$t/cacerts.b64" "$t/cacerts.pem"
check "cacerts: openssl pkcs7 reads the customer CA certificate out of it" \
	test "$(openssl x509 -in "$t/cacerts.pem" -noout -fingerprint -sha256)" = \
	"$(openssl x509 -in "$t/node/ca-cert.pem" -noout -fingerprint -sha256)"
code=$(https /.well-known/est/csrattrs "$t/attrs.b64")
check "csrattrs: a P-256 key and ecdsa-with-SHA256 asked for (openssl asn1parse)" \
	bash -c "test '$code' = 200 && base64 -d '$t/attrs.b64' | openssl asn1parse -inform DER |
		grep -q prime256v1 && base64 -d '$t/attrs.b64' | openssl asn1parse -inform DER | grep -q ecdsa-with-SHA256"
check "TLS 1.2 is refused (TLS 1.3 only)" \
	bash -c "! openssl s_client -connect 127.0.0.1:$PORT -tls1_2 </dev/null >/dev/null 2>&1"

# ---- interop: openssl req + curl enroll d1, the chip proves itself
csr d1 "/CN=device one"
challenge "$t/d1.keys"
check "challenge: a nonce and a verifier key for the authenticated device" \
	bash -c "[ ${#NONCE} -eq 64 ] && grep -qE '^04[0-9a-f]{128}$' '$t/peer.hex'"
NONCE1=$NONCE
prove "$t/d1.sock" "$t/d1.keys" d1
MAC1=$MAC
check "the chip answered (chipkey attest)" test ${#MAC1} -eq 64
enroll "$t/d1.keys" d1 "$NONCE1 $MAC1"
check "interop: simpleenroll with curl: 200" test "$CODE" = 200
certs "$t/resp" "$t/d1.cust.pem"
check "interop: openssl verify accepts the certificate against the customer CA" \
	bash -c "openssl verify -CAfile '$t/node/ca-cert.pem' '$t/d1.cust.pem' >/dev/null"
check "the certificate holds the key of the request" \
	test "$(openssl x509 -in "$t/d1.cust.pem" -noout -pubkey)" = "$(openssl pkey -in "$t/d1.key" -pubout)"
openssl x509 -in "$t/d1.cust.pem" -noout -subject -ext subjectAltName,extendedKeyUsage -nameopt sep_multiline \
	>"$t/d1.text" 2>>"$t/openssl.log"
check "its subject is the authenticated identity, not the request's CN" \
	bash -c "grep -q 'CN=$ID1' '$t/d1.text' && grep -q 'serialNumber=$ID1' '$t/d1.text' &&
		grep -q 'O=Example Customer' '$t/d1.text' && ! grep -q 'device one' '$t/d1.text'"
check "it names the chip and the IMEI URN, clientAuth" \
	bash -c "grep -q 'urn:chipkey:chip-id:00112233445566778899aabbccddee01' '$t/d1.text' &&
		grep -q 'urn:gsma:imei:' '$t/d1.text' && grep -q 'TLS Web Client Authentication' '$t/d1.text'"
check "CA:FALSE and digitalSignature, keyAgreement, both critical" \
	bash -c "openssl x509 -in '$t/d1.cust.pem' -noout -ext basicConstraints,keyUsage >'$t/d1.ku' &&
		grep -A1 'Basic Constraints: critical' '$t/d1.ku' | grep -q 'CA:FALSE' &&
		grep -A1 'Key Usage: critical' '$t/d1.ku' | grep -qx ' *Digital Signature, Key Agreement'"
START=$(date -d "$(openssl x509 -in "$t/d1.cust.pem" -noout -startdate | cut -d= -f2)" +%s)
END=$(date -d "$(openssl x509 -in "$t/d1.cust.pem" -noout -enddate | cut -d= -f2)" +%s)
check "valid 3650 days (--days default), from five minutes ago" test $((END - START)) -eq $((3650 * 86400 + 300))
check "the node logs the issuance with the serial" grep -q "device $ID1 chip 00112233445566778899aabbccddee01: issued serial $(openssl x509 -in "$t/d1.cust.pem" -noout -serial | sed 's/^serial=//')" "$t/srv.log"
check "it carries the chip attestation key of the factory certificate" \
	bash -c "openssl x509 -in '$t/d1.cust.pem' -noout -text | grep -A1 2.25.150369157376766404936511867947329402419 |
		tail -1 | tr -d ' ' >'$t/a1'; openssl x509 -in '$t/d1.keys/device-cert.pem' -noout -text |
		grep -A1 2.25.150369157376766404936511867947329402419 | tail -1 | tr -d ' ' >'$t/a2'; test -s '$t/a1' && cmp -s '$t/a1' '$t/a2'"
expect_exit 0 "issuances: listed" -- "$en" issuances "$t/node"
SERIAL1=$(openssl x509 -in "$t/d1.cust.pem" -noout -serial | sed 's/^serial=//')
check "issuances: who (identity, chip) and which certificate (serial as openssl prints it)" \
	grep -q "^$ID1 00112233445566778899aabbccddee01 $SERIAL1 [0-9]* " "$t/out"
check "issuances: the operation that issued it (simpleenroll), after the factory certificate's SHA-256" \
	grep -q "^$ID1 00112233445566778899aabbccddee01 $SERIAL1 [0-9]* $(openssl x509 -in "$t/d1.keys/device-cert.pem" -outform DER | sha256sum | cut -d' ' -f1) simpleenroll\$" "$t/out"
expect_exit 0 "issuances --json" -- "$en" issuances "$t/node" --json
check "issuances --json: the stored certificate is the one sent" \
	bash -c "/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(a[0][\"certificate\"], end=\"\")' '$t/out' >'$t/stored.pem' &&
		test \"\$(openssl x509 -in '$t/stored.pem' -noout -fingerprint)\" = \"\$(openssl x509 -in '$t/d1.cust.pem' -noout -fingerprint)\""
check "issuances --json: operation simpleenroll" \
	/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(a[0]["operation"] != "simpleenroll")' "$t/out"

# ---- refusals
enroll "$t/d1.keys" d1 "$NONCE1 $MAC1"
check "replay: the same request again is refused, 403 (used challenge)" \
	bash -c "test '$CODE' = 403 && grep -q 'unknown or used challenge' '$t/resp'"
csr d1b "/CN=device one again"
challenge "$t/d1.keys"; prove "$t/d1.sock" "$t/d1.keys" d1b
enroll "$t/d1.keys" d1b "$NONCE $MAC"
check "second enrollment of d1 with a valid chip and another key: 409 (the challenge is given: re-delivery needs it)" \
	bash -c "test '$CCODE' = 200 && test '$CODE' = 409 && grep -q 'issued to this device before' '$t/resp'"

csr d3 "/CN=d3"
challenge "$t/d3.keys"; prove "$t/d3.sock" "$t/d3.keys" d3
enroll "$t/d3.keys" d3 "$NONCE $MAC"
check "a genuine device not on the whitelist: no challenge, 403" \
	bash -c "test '$CCODE' = 403 && grep -q 'not on the whitelist' '$t/chal'"

# d2 (on the whitelist by chip ID): its key and certificate copied, without its chip
csr d2 "/CN=$ID1/serialNumber=$ID1"
enroll "$t/d2.keys" d2
check "copied key, no chip proof: 403" bash -c "test '$CODE' = 403 && grep -q 'no chip proof' '$t/resp'"
challenge "$t/d2.keys"; prove "$t/d3.sock" "$t/d2.keys" d2
enroll "$t/d2.keys" d2 "$NONCE $MAC"
check "copied key, the proof made by another chip (d3's): 403" \
	bash -c "test '$CODE' = 403 && grep -q 'chip proof is wrong' '$t/resp'"
challenge "$t/d2.keys"; prove "$t/d2.sock" "$t/d2.keys" d1
enroll "$t/d2.keys" d2 "$NONCE $MAC"
check "d2's chip answering for another request key: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'chip proof is wrong' '$t/resp'"
challenge "$t/d4.keys"; prove "$t/d2.sock" "$t/d2.keys" d2
enroll "$t/d2.keys" d2 "$NONCE $MAC"
check "a challenge handed to another device's certificate: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'handed to another certificate' '$t/resp'"
enroll "$t/d2.keys" d2 "$(printf '%064d' 0) $(printf '%064d' 0)"
check "an invented nonce: 403" bash -c "test '$CODE' = 403 && grep -q 'unknown or used' '$t/resp'"
# the copy of d2's key and certificate cannot keep d2 from enrolling: d2
# gets its challenge and its chip's proof; then the copy asks for
# challenges and answers them with wrong proofs, 20 times; then d2 sends
# its request
challenge "$t/d2.keys"; prove "$t/d2.sock" "$t/d2.keys" d2
DNONCE=$NONCE DMAC=$MAC
wrong=0 same=0
for _ in $(seq 20); do
	challenge "$t/d2.keys" && [ "$NONCE" = "$DNONCE" ] && same=$((same + 1))
	enroll "$t/d2.keys" d2 "$NONCE $(printf '%064d' 0)"
	[ "$CODE" = 403 ] && grep -q 'chip proof is wrong' "$t/resp" && wrong=$((wrong + 1))
done
check "the copy asking for a challenge 20 times gets d2's pending one each time, not a new one" \
	test "$same" = 20
check "... its 20 wrong proofs: 403 each" test "$wrong" = 20
enroll "$t/d2.keys" d2 "$DNONCE $DMAC"
check "d2 with its own chip, request naming d1's identity, after all that: 200" test "$CODE" = 200
certs "$t/resp" "$t/d2.cust.pem"
check "the certificate names d2 (the authenticated identity), not the request's" \
	bash -c "openssl x509 -in '$t/d2.cust.pem' -noout -subject -nameopt sep_multiline >'$t/d2.text' &&
		grep -q 'CN=$ID2' '$t/d2.text' && ! grep -q '$ID1' '$t/d2.text'"

# whitelist pairs, the chip's ledger, a certificate without the attestation key
csr d5 /CN=d5
challenge "$t/d5.keys"; prove "$t/d5.sock" "$t/d5.keys" d5
enroll "$t/d5.keys" d5 "$NONCE $MAC"
check "d4's identity on another chip (whitelisted as a pair with d4's chip): 403" \
	bash -c "test '$CCODE' = 403 && grep -q 'not on the whitelist' '$t/chal'"
csr d6 /CN=d6
challenge "$t/d6.keys"; prove "$t/d6.sock" "$t/d6.keys" d6
enroll "$t/d6.keys" d6 "$NONCE $MAC"
check "a whitelisted identity on a chip that was issued to (d2's chip ID): 409" \
	bash -c "test '$CCODE' = 409 && grep -q 'issued to this device before' '$t/chal'"
csr d7 /CN=d7
challenge "$t/d7.keys"
enroll "$t/d7.keys" d7 "$NONCE $(printf '%064d' 0)"
check "a factory certificate without the chip attestation key: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'names no chip attestation key' '$t/resp'"
check "the ledger table itself refuses a second row for an identity (sqlite3)" \
	bash -c "! sqlite3 '$t/node/enroll.db' \"INSERT INTO issuance SELECT identity, 'x', 'y', 0, '', '' FROM issuance LIMIT 1\" 2>/dev/null"
check "... and for a chip" \
	bash -c "! sqlite3 '$t/node/enroll.db' \"INSERT INTO issuance SELECT 'x', chip_id, 'y', 0, '', '' FROM issuance LIMIT 1\" 2>/dev/null"

# a forged manufacturer CA with the manufacturer's names
SUBJ=$(openssl x509 -in "$t/fac/mfr-ca.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/forged-ca.key" \
	-subj "$SUBJ" -days 30 -out "$t/forged-ca.pem" 2>>"$t/openssl.log"
mkdir -p "$t/forged.keys"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nsubjectAltName=URI:urn:chipkey:chip-id:00112233445566778899aabbccddee04\n' >"$t/forged.ext"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/forged.keys/device-key.pem" \
	-subj "/CN=$ID4/serialNumber=$ID4" 2>>"$t/openssl.log" |
	openssl x509 -req -CA "$t/forged-ca.pem" -CAkey "$t/forged-ca.key" -days 30 -extfile "$t/forged.ext" \
	-out "$t/forged.keys/device-cert.pem" 2>>"$t/openssl.log"
check "forged CA: same subject as the manufacturer's" \
	test "$(openssl x509 -in "$t/forged-ca.pem" -noout -subject)" = "$(openssl x509 -in "$t/fac/mfr-ca.pem" -noout -subject)"
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/forged.keys"))
check "a device certificate from the forged CA (d4's names) gets no challenge: 403" \
	bash -c "test '$code' = 403 && grep -q 'not a device certificate of the imported manufacturer CA' '$t/resp'"
enroll "$t/forged.keys" d3 "$(printf '%064d' 0) $(printf '%064d' 0)"
check "... and no certificate: 403" bash -c "test '$CODE' = 403 && grep -q 'not a device certificate' '$t/resp'"
CODE=$(https /.well-known/est/simpleenroll "$t/resp" -H "Content-Type: application/pkcs10" --data-binary "@$t/d3.csr")
check "no client certificate: 401" test "$CODE" = 401
printf 'bm90IGEgcmVxdWVzdA==\n' >"$t/junk.csr"
challenge "$t/d4.keys"
enroll "$t/d4.keys" junk "$NONCE $(printf '%064d' 0)"
check "a body that is not a PKCS#10 request: 400" test "$CODE" = 400
openssl req -new -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=rsa -outform DER 2>>"$t/openssl.log" |
	base64 >"$t/rsa.csr"
enroll "$t/d4.keys" rsa "$NONCE $(printf '%064d' 0)"
check "a request for an RSA key: 400" bash -c "test '$CODE' = 400 && grep -q 'P-256' '$t/resp'"
csr d4x /CN=x
base64 -d "$t/d4x.csr" | /usr/bin/python3 -c 'import sys; d = bytearray(sys.stdin.buffer.read()); d[-1] ^= 1; sys.stdout.buffer.write(d)' |
	base64 >"$t/d4bad.csr"
enroll "$t/d4.keys" d4bad "$NONCE $(printf '%064d' 0)"
check "a request whose signature fails (no proof of possession): 400" \
	bash -c "test '$CODE' = 400 && grep -q 'signature fails' '$t/resp'"
head -c 20000 /dev/zero | base64 >"$t/big.csr"
enroll "$t/d4.keys" big "$NONCE $(printf '%064d' 0)"
check "a body over 16 KiB: 413" test "$CODE" = 413
code=$(https /.well-known/est/simplereenroll "$t/resp" -X POST $(as "$t/d4.keys") --data-binary @"$t/d4x.csr")
check "simplereenroll with a factory certificate: 403" test "$code" = 403
code=$(https /.well-known/est/serverkeygen "$t/resp" -X POST $(as "$t/d4.keys") --data-binary @"$t/d4x.csr")
check "serverkeygen without a chip proof: 403 (keygen.sh for the rest)" \
	bash -c "test '$code' = 403 && grep -q 'no chip proof' '$t/resp'"
code=$(https /.well-known/est/simpleenroll "$t/resp" $(as "$t/d4.keys"))
check "GET simpleenroll: 405" test "$code" = 405
code=$(https /.well-known/est/cacerts "$t/resp" -X PUT)
check "PUT (neither GET nor POST): 501 from libevent" test "$code" = 501

# an expired challenge: a second server on the same node with --challenge-ttl 0
P1=$PORT
start srv0 --challenge-ttl 0
csr d4 "/CN=d4"
challenge "$t/d4.keys"; prove "$t/d4.sock" "$t/d4.keys" d4
enroll "$t/d4.keys" d4 "$NONCE $MAC"
check "an expired challenge: 403 (d4 on the whitelist, its chip's proof)" \
	bash -c "test '$CODE' = 403 && grep -q 'challenge expired' '$t/resp'"
# past half of --challenge-ttl a device gets a new challenge, and the one
# it got before stays good until it expires (d1 asks for its recorded
# certificate with another key: the proof is accepted, then the ledger says 409)
start srvt --challenge-ttl 10
csr d1c "/CN=d1c"
challenge "$t/d1.keys"; prove "$t/d1.sock" "$t/d1.keys" d1c
N1=$NONCE M1=$MAC
challenge "$t/d1.keys"
check "--challenge-ttl 10: asking again at once gives the same challenge" test "$NONCE" = "$N1"
sleep 5.1
challenge "$t/d1.keys"
check "... asking again 5.1 s later gives a new one" test "$CCODE" = 200 -a "$NONCE" != "$N1"
enroll "$t/d1.keys" d1c "$N1 $M1"
check "... the one from before is still good: the chip's proof accepted, then 409 (issued before)" \
	bash -c "test '$CODE' = 409 && grep -q 'issued to this device before' '$t/resp'"
# revocation: d4's factory certificate revoked, the node given the CRLs
openssl x509 -in "$t/d4.keys/device-cert.pem" -out "$t/d4.leaf.pem"
"$bin/chipkey-factory" revoke "$t/fac" "$t/d4.leaf.pem" >/dev/null 2>>"$t/setup.log"
start srvcrl --crl "$t/fac/root-crl.pem" --crl "$t/fac/station-crl.pem"
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/d4.keys"))
check "a revoked factory certificate (--crl): 403" bash -c "test '$code' = 403 && grep -q 'revoked' '$t/resp'"
code=$(https /chipkey/v1/challenge "$t/resp" -X POST $(as "$t/d7.keys"))
check "... while another device of the same CA still gets a challenge" test "$code" = 200
start srvd0 --days 0
challenge "$t/d4.keys"; prove "$t/d4.sock" "$t/d4.keys" d4
enroll "$t/d4.keys" d4 "$NONCE $MAC"
check "d4 enrolls on a node without --crl (whitelisted by identity and chip)" test "$CODE" = 200
certs "$t/resp" "$t/d4.cust.pem"
check "--days 0: notAfter 99991231235959Z" \
	test "$(openssl x509 -in "$t/d4.cust.pem" -noout -enddate)" = "notAfter=Dec 31 23:59:59 9999 GMT"
PORT=$P1

expect_exit 0 "issuances after all that: exactly d1, d2, d4" -- "$en" issuances "$t/node"
check "three issuances, one per device" \
	bash -c "test \$(wc -l <'$t/out') -eq 3 && test \$(cut -d' ' -f1 '$t/out' | sort -u | wc -l) -eq 3"
check "the ledger file is 0600" test "$(stat -c %a "$t/node/enroll.db")" = 600
. "$here/keygen.sh"	# serverkeygen
# the device side, chipkey enroll (device.sh)
. "$here/device.sh"
. "$here/boot.sh"	# the boot hook, chipkey-boot enroll
. "$here/anchor.sh"	# the anchor from the factory (customer-anchor)
. "$here/limits.sh"	# E2/E3/E1: challenge table, SIGHUP CRLs, connection limits
. "$here/renew.sh"	# revocation, the CRL, simplereenroll
. "$here/crash.sh"	# kill -9 of the node at each step of an issuance
kill -TERM "$SRV"; wait "$SRV"; rc=$?
check "SIGTERM stops the node: exit 0, no sanitizer report (leaks included)" \
	bash -c "test $rc -eq 0 && ! grep -q 'Sanitizer' '$t/srv.log'"
tap_done "enroll"
