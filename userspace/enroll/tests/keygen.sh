# SPDX-License-Identifier: GPL-2.0
#
# serverkeygen (RFC 7030 4.4; docs/enrollment.md "Server-side key
# generation"), sourced by run.sh on its node: curl with the factory
# credential, the multipart answer split with awk, the key decrypted by
# openssl cms with the device's factory key; then the attacks.
# shellcheck shell=bash disable=SC2154

for i in 31 32 33; do
	provision "k$i" "00112233445566778899aabbccddee$i" "$i"
done
IDK31=$(tr -d '\n' <"$t/k31.keys/identity") IDK32=$(tr -d '\n' <"$t/k32.keys/identity")
printf '%s\n%s\n' "$IDK31" "$IDK32" >"$t/klist"	# k33 is not on it
expect_exit 0 "serverkeygen: k31, k32 whitelisted (k33 not)" -- "$en" whitelist "$t/node" "$t/klist"

# proveg SOCK KEYS NAME: as prove, with serverkeygen's label
proveg() { LABEL='chipkey est keygen v1' prove "$@"; }
# keygen KEYS NAME [HEADER]: POST serverkeygen; CODE, body $t/resp, headers $t/resp.hdr
keygen() {
	local hdr=()
	[ $# -ge 3 ] && hdr=(-H "Chipkey-Attest: $3")
	# shellcheck disable=SC2046
	CODE=$(https /.well-known/est/serverkeygen "$t/resp" -D "$t/resp.hdr" $(as "$1") "${hdr[@]}" \
		-H "Content-Type: application/pkcs10" --data-binary "@$t/$2.csr")
}
# parts FILE: split a multipart/mixed answer (boundary from $t/resp.hdr)
# into FILE.N (the base64 body of part N) and FILE.hN (its headers)
parts() {
	local b
	b=$(tr -d '\r' <"$t/resp.hdr" | sed -n 's/^[Cc]ontent-[Tt]ype: multipart\/mixed; boundary=//p')
	[ -n "$b" ] || return 1
	rm -f "$1".[0-9] "$1".h[0-9]
	tr -d '\r' <"$1" | awk -v f="$1" -v b="--$b" '
		$0 == b || $0 == b "--" { n++; body = 0; next }
		!n { next }
		!body && $0 == "" { body = 1; next }
		!body { print > (f ".h" n); next }
		$0 != "" { print > (f "." n) }'
}

# ---- k31: serverkeygen with curl and the factory credential
csr k31 /CN=k31
challenge "$t/k31.keys"; proveg "$t/k31.sock" "$t/k31.keys" k31
keygen "$t/k31.keys" k31 "$NONCE $MAC"
check "serverkeygen with curl, factory certificate and chip proof: 200" test "$CODE" = 200
check "serverkeygen: multipart/mixed with a boundary" \
	grep -qi '^content-type: multipart/mixed; boundary=' "$t/resp.hdr"
parts "$t/resp"
check "serverkeygen: two parts, the key (server-generated-key) first, then the certificate (certs-only), base64" \
	bash -c "grep -qx 'Content-Type: application/pkcs7-mime; smime-type=server-generated-key' '$t/resp.h1' &&
		grep -qx 'Content-Type: application/pkcs7-mime; smime-type=certs-only' '$t/resp.h2' &&
		grep -qx 'Content-Transfer-Encoding: base64' '$t/resp.h1' &&
		grep -qx 'Content-Transfer-Encoding: base64' '$t/resp.h2' && test -s '$t/resp.1' && test -s '$t/resp.2' &&
		test ! -e '$t/resp.3'"
base64 -d "$t/resp.1" >"$t/k31.env.der"
openssl cms -cmsout -print -inform DER -in "$t/k31.env.der" >"$t/k31.env.txt" 2>>"$t/openssl.log"
check "the key part is a CMS EnvelopedData, ECDH (SHA-256 KDF) with AES-256 key wrap, AES-256-CBC (openssl cms -cmsout)" \
	bash -c "grep -q 'contentType: pkcs7-envelopedData' '$t/k31.env.txt' &&
		grep -q 'dhSinglePass-stdDH-sha256kdf-scheme' '$t/k31.env.txt' &&
		grep -q 'id-aes256-wrap' '$t/k31.env.txt' && grep -q 'aes-256-cbc' '$t/k31.env.txt'"
check "the factory key of the device decrypts it (openssl cms -decrypt): a PKCS#8 key" \
	bash -c "openssl cms -decrypt -inform DER -in '$t/k31.env.der' -binary -recip '$t/k31.keys/device-cert.pem' \
		-inkey '$t/k31.keys/device-key.pem' -out '$t/k31.p8.der' 2>>'$t/openssl.log' &&
		openssl pkey -inform DER -in '$t/k31.p8.der' -out '$t/k31s.key' 2>>'$t/openssl.log' &&
		openssl asn1parse -inform DER -in '$t/k31.p8.der' | grep -q prime256v1"
certs "$t/resp.2" "$t/k31.cust.pem"
check "interop: openssl verify accepts the certificate against the customer CA" \
	bash -c "openssl verify -CAfile '$t/node/ca-cert.pem' '$t/k31.cust.pem' >/dev/null"
check "the decrypted key is the certificate's (openssl pkey -pubout = openssl x509 -pubkey)" \
	bash -c "test -s '$t/k31s.key' && test \"\$(openssl x509 -in '$t/k31.cust.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$t/k31s.key' -pubout)\""
check "... and not the request's key (ignored, RFC 7030 4.4.1)" \
	test "$(openssl x509 -in "$t/k31.cust.pem" -noout -pubkey)" != "$(openssl pkey -in "$t/k31.key" -pubout)"
openssl x509 -in "$t/k31.cust.pem" -noout -subject -ext subjectAltName,keyUsage,basicConstraints -nameopt sep_multiline \
	>"$t/k31.text" 2>>"$t/openssl.log"
check "the certificate has simpleenroll's profile: identity, chip and attestation key of the factory certificate" \
	bash -c "grep -q 'CN=$IDK31' '$t/k31.text' && grep -q 'serialNumber=$IDK31' '$t/k31.text' &&
		grep -q 'O=Example Customer' '$t/k31.text' &&
		grep -q 'urn:chipkey:chip-id:00112233445566778899aabbccddee31' '$t/k31.text' &&
		grep -q 'CA:FALSE' '$t/k31.text' && grep -q 'Digital Signature, Key Agreement' '$t/k31.text' &&
		openssl x509 -in '$t/k31.cust.pem' -noout -text | grep -q 2.25.150369157376766404936511867947329402419"
check "the ledger records it once, with the certificate sent" \
	bash -c "test \$('$en' issuances '$t/node' | grep -c '^$IDK31 00112233445566778899aabbccddee31 ') -eq 1 &&
		'$en' issuances '$t/node' | grep -q \"^$IDK31 .* \$(openssl x509 -in '$t/k31.cust.pem' -noout -serial | sed 's/^serial=//') \""
check "... as issued by serverkeygen (issuances, text and --json)" \
	bash -c "'$en' issuances '$t/node' | grep -q '^$IDK31 00112233445566778899aabbccddee31 .* serverkeygen\$' &&
		'$en' issuances '$t/node' --json | /usr/bin/python3 -c 'import json,sys; sys.exit([i[\"operation\"] for i in json.load(sys.stdin) if i[\"identity\"] == sys.argv[1]] != [\"serverkeygen\"])' '$IDK31'"
check "the node logs the issuance as a server-generated key" \
	grep -q "device $IDK31 chip 00112233445566778899aabbccddee31: issued serial .* (server-generated key)" "$t/srv.log"
# the node keeps no copy: the key's PKCS#8 DER, its PEM, the private scalar
# (binary and hex, either case) are nowhere in the node directory or its log
check "the node directory (ledger included) and the node's log hold no trace of the private key" \
	/usr/bin/python3 - "$t/k31.p8.der" "$t/k31s.key" "$t/node" "$t/srv.log" <<'EOF'
import os, subprocess, sys
der = open(sys.argv[1], 'rb').read()
pem = open(sys.argv[2], 'rb').read()
txt = subprocess.run(['openssl', 'pkey', '-in', sys.argv[2], '-noout', '-text'], capture_output=True, text=True).stdout
hexd = ''.join(l.strip() for l in txt.split('pub:')[0].split('priv:')[1].splitlines()).replace(':', '')
scalar = bytes.fromhex(hexd)[-32:]
assert len(scalar) == 32
# base64 lines 1 and 2 of the PEM carry bytes of the scalar (the last one only the public key)
lines = [l for l in pem.splitlines() if not l.startswith(b'-----')]
assert len(lines) == 3 and all(len(l) == 64 for l in lines[:2])
needles = [der, scalar, lines[0], lines[1], scalar.hex().encode(), scalar.hex().upper().encode()]
files = [os.path.join(d, f) for d, _, fs in os.walk(sys.argv[3]) for f in fs] + [sys.argv[4]]
assert len(files) >= 7
for f in files:
    data = open(f, 'rb').read()
    for n in needles:
        if n in data:
            sys.exit(f'{f} holds the key')
EOF
check "another device's factory key cannot decrypt it (openssl cms -decrypt fails)" \
	bash -c "! openssl cms -decrypt -inform DER -in '$t/k31.env.der' -binary -recip '$t/k32.keys/device-cert.pem' \
		-inkey '$t/k32.keys/device-key.pem' -out '$t/k31.stolen' 2>>'$t/openssl.log' && ! test -s '$t/k31.stolen'"
check "... nor another device's key with k31's certificate as recipient" \
	bash -c "! openssl cms -decrypt -inform DER -in '$t/k31.env.der' -binary -recip '$t/k31.keys/device-cert.pem' \
		-inkey '$t/d2.keys/device-key.pem' -out '$t/k31.stolen' 2>>'$t/openssl.log' && ! test -s '$t/k31.stolen'"

# ---- once per device, either way
csr k31b /CN=k31b
challenge "$t/k31.keys"; proveg "$t/k31.sock" "$t/k31.keys" k31b
rm -f "$t/resp.1" "$t/resp.2"
keygen "$t/k31.keys" k31b "$NONCE $MAC"
parts "$t/resp"
check "serverkeygen again for k31 (its answer lost; valid chip proof, another request key): the recorded answer re-delivered (200)" \
	bash -c "test '$CODE' = 200 && test -s '$t/resp.1' && test -s '$t/resp.2'"
certs "$t/resp.2" "$t/k31.re.pem"
check "... the key envelope byte for byte as first sent, the same certificate (cmp, openssl)" \
	bash -c "base64 -d '$t/resp.1' | cmp -s - '$t/k31.env.der' && test -s '$t/k31.re.pem' &&
		test \"\$(openssl x509 -in '$t/k31.re.pem' -noout -fingerprint -sha256)\" = \
			\"\$(openssl x509 -in '$t/k31.cust.pem' -noout -fingerprint -sha256)\""
check "... still one issuance for k31; the node logs a re-delivery, not an issuance" \
	bash -c "test \$('$en' issuances '$t/node' | grep -c '^$IDK31 ') = 1 &&
		grep -q 'device $IDK31 chip 00112233445566778899aabbccddee31: re-delivered the recorded server-generated key' '$t/srv.log' &&
		test \$(grep -c 'device $IDK31 chip 00112233445566778899aabbccddee31: issued serial' '$t/srv.log') = 1"
check "... the ledger keeps the envelope (ciphertext to k31's factory certificate: openssl cms -decrypt with k31's key only)" \
	bash -c "sqlite3 '$t/node/enroll.db' \"SELECT hex(key_envelope) FROM issuance WHERE identity = '$IDK31'\" | xxd -r -p >'$t/k31.kept.der' &&
		cmp -s '$t/k31.kept.der' '$t/k31.env.der' &&
		! openssl cms -decrypt -inform DER -in '$t/k31.kept.der' -binary -recip '$t/k31.keys/device-cert.pem' \
			-inkey '$t/k32.keys/device-key.pem' -out /dev/null 2>>'$t/openssl.log'"
challenge "$t/k31.keys"; proveg "$t/k32.sock" "$t/k31.keys" k31b
keygen "$t/k31.keys" k31b "$NONCE $MAC"
check "... not without k31's chip: k31's factory key with another chip's proof gets 403, no key" \
	bash -c "test '$CODE' = 403 && grep -q 'chip proof is wrong' '$t/resp' && ! grep -q server-generated-key '$t/resp'"
challenge "$t/k31.keys"; proveg "$t/k31.sock" "$t/k31.keys" k31b
challenge "$t/k31.keys"; prove "$t/k31.sock" "$t/k31.keys" k31b
enroll "$t/k31.keys" k31b "$NONCE $MAC"
check "simpleenroll after serverkeygen (a new key, valid chip proof): 409" \
	bash -c "test '$CODE' = 409 && grep -q 'issued to this device before' '$t/resp'"
openssl req -new -key "$t/k31s.key" -subj /CN=k31 -outform DER 2>>"$t/openssl.log" | base64 >"$t/k31s.csr"
challenge "$t/k31.keys"; prove "$t/k31.sock" "$t/k31.keys" k31s
enroll "$t/k31.keys" k31s "$NONCE $MAC"
certs "$t/resp" "$t/k31.again.pem"
check "simpleenroll for the server-generated key: the recorded certificate re-delivered (200, same certificate)" \
	bash -c "test '$CODE' = 200 && test \"\$(openssl x509 -in '$t/k31.again.pem' -noout -fingerprint -sha256)\" = \
		\"\$(openssl x509 -in '$t/k31.cust.pem' -noout -fingerprint -sha256)\""
check "... still one issuance for k31" test "$("$en" issuances "$t/node" | grep -c "^$IDK31 ")" = 1
K31S=$(openssl x509 -in "$t/k31.cust.pem" -noout -serial | sed 's/^serial=//')
"$en" revoke "$t/node" "$K31S" --reason keyCompromise --by test >/dev/null 2>>"$t/setup.log"
challenge "$t/k31.keys"; proveg "$t/k31.sock" "$t/k31.keys" k31b
keygen "$t/k31.keys" k31b "$NONCE $MAC"
check "k31's certificate revoked: serverkeygen again (valid chip proof) gets 409, the envelope is not sent" \
	bash -c "test '$CODE' = 409 && ! grep -q server-generated-key '$t/resp' '$t/resp.hdr'"
# the revocation and the CRL it made taken back by hand: renew.sh's CRL
# checks start from a node that never revoked anything
sqlite3 "$t/node/enroll.db" "DELETE FROM revocation WHERE serial = '$K31S'; DELETE FROM crl" 2>>"$t/setup.log"

# ---- k32: the chip proof, then simpleenroll first
csr k32 /CN=k32
keygen "$t/k32.keys" k32
check "serverkeygen without a chip proof: 403" bash -c "test '$CODE' = 403 && grep -q 'no chip proof' '$t/resp'"
challenge "$t/k32.keys"; prove "$t/k32.sock" "$t/k32.keys" k32
keygen "$t/k32.keys" k32 "$NONCE $MAC"
check "serverkeygen with a proof made for simpleenroll (its label): 403" \
	bash -c "test '$CODE' = 403 && grep -q 'chip proof is wrong' '$t/resp'"
challenge "$t/k32.keys"; proveg "$t/k31.sock" "$t/k32.keys" k32
keygen "$t/k32.keys" k32 "$NONCE $MAC"
check "serverkeygen with k32's copied key, the proof by another chip (k31's): 403" \
	bash -c "test '$CODE' = 403 && grep -q 'chip proof is wrong' '$t/resp'"
challenge "$t/k32.keys"; proveg "$t/k32.sock" "$t/k32.keys" k32
enroll "$t/k32.keys" k32 "$NONCE $MAC"
check "simpleenroll with a proof made for serverkeygen: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'chip proof is wrong' '$t/resp'"
challenge "$t/k32.keys"; prove "$t/k32.sock" "$t/k32.keys" k32
enroll "$t/k32.keys" k32 "$NONCE $MAC"
check "k32 enrolls with simpleenroll: 200" test "$CODE" = 200
csr k32b /CN=k32b
challenge "$t/k32.keys"; proveg "$t/k32.sock" "$t/k32.keys" k32b
keygen "$t/k32.keys" k32b "$NONCE $MAC"
check "serverkeygen after simpleenroll (valid chip proof): 409 (nothing recorded to re-deliver)" \
	bash -c "test '$CODE' = 409 && grep -q 'issued to this device before' '$t/resp'"
check "... and the answer holds no key" bash -c "! grep -q server-generated-key '$t/resp' '$t/resp.hdr'"
check "... the ledger keeps no envelope for a simpleenroll issuance" \
	test "$(sqlite3 "$t/node/enroll.db" "SELECT count(*) FROM issuance WHERE identity = '$IDK32' AND key_envelope IS NULL")" = 1

# ---- the whitelist, authentication
csr k33 /CN=k33
challenge "$t/k33.keys"
keygen "$t/k33.keys" k33 "$(printf '%064d' 0) $(printf '%064d' 0)"
check "k33, not on the whitelist: no challenge (403) and no serverkeygen (403)" \
	bash -c "test '$CCODE' = 403 && grep -q 'not on the whitelist' '$t/chal' && test '$CODE' = 403"
# k33 whitelisted only while it fetches the challenge: serverkeygen checks the list itself
printf '%s\n' "$(tr -d '\n' <"$t/k33.keys/identity")" >"$t/k33.list"
"$en" whitelist "$t/node" "$t/k33.list" >/dev/null 2>>"$t/setup.log"
challenge "$t/k33.keys"; proveg "$t/k33.sock" "$t/k33.keys" k33
sqlite3 "$t/node/enroll.db" "DELETE FROM whitelist WHERE identity = '$(tr -d '\n' <"$t/k33.keys/identity")'"
keygen "$t/k33.keys" k33 "$NONCE $MAC"
check "k33 taken off the whitelist after its challenge, valid chip proof: 403" \
	bash -c "test '$CCODE' = 200 && test '$CODE' = 403 && grep -q 'not on the whitelist' '$t/resp'"
CODE=$(https /.well-known/est/serverkeygen "$t/resp" -H "Content-Type: application/pkcs10" --data-binary "@$t/k33.csr")
check "serverkeygen without a client certificate: 401" test "$CODE" = 401
keygen "$t/forged.keys" k33 "$(printf '%064d' 0) $(printf '%064d' 0)"
check "serverkeygen with a device certificate of the forged manufacturer CA: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'not a device certificate' '$t/resp'"
keygen "$t/k31.keys" junk "$(printf '%064d' 0) $(printf '%064d' 0)"
check "serverkeygen with a body that is not a PKCS#10 request: 400" test "$CODE" = 400
CODE=$(https /.well-known/est/serverkeygen "$t/resp" $(as "$t/k31.keys"))
check "GET serverkeygen: 405" test "$CODE" = 405
check "serverkeygen issued once (k31) in all that: k31 and k32 one each, k33 none" \
	bash -c "test \$('$en' issuances '$t/node' | grep -c '^$IDK31 ') -eq 1 &&
		test \$('$en' issuances '$t/node' | grep -c '^$IDK32 ') -eq 1 &&
		! '$en' issuances '$t/node' | grep -q '00112233445566778899aabbccddee33'"

# ---- F6: a factory-revoked device certificate under serve --crl.  k34
# (whitelisted) fetches two challenges and its chip proves both while its
# certificate is good; then the factory revokes it and the node rereads its
# CRLs (SIGHUP): serverkeygen and simpleenroll are both refused, nothing
# is recorded
provision k34 00112233445566778899aabbccddee34 34
tr -d '\n' <"$t/k34.keys/identity" >"$t/k34.list"; echo >>"$t/k34.list"
"$en" whitelist "$t/node" "$t/k34.list" >/dev/null 2>>"$t/setup.log"
cp "$t/fac/root-crl.pem" "$t/k-root-crl.pem"; cp "$t/fac/station-crl.pem" "$t/k-station-crl.pem"
P0=$PORT
start srvk34 --crl "$t/k-root-crl.pem" --crl "$t/k-station-crl.pem"
K34=$SPID
csr k34 /CN=k34; csr k34e /CN=k34e
challenge "$t/k34.keys"; C1=$CCODE; proveg "$t/k34.sock" "$t/k34.keys" k34; KHDR="$NONCE $MAC"
challenge "$t/k34.keys"; C2=$CCODE; prove "$t/k34.sock" "$t/k34.keys" k34e; EHDR="$NONCE $MAC"
check "F6: k34, whitelisted, certificate not revoked yet: two challenges under --crl" \
	test "$C1 $C2" = "200 200"
openssl x509 -in "$t/k34.keys/device-cert.pem" -out "$t/k34.leaf.pem"
"$bin/chipkey-factory" revoke "$t/fac" "$t/k34.leaf.pem" >/dev/null 2>>"$t/setup.log"
cp "$t/fac/station-crl.pem" "$t/k-station-crl.pem.new" && mv "$t/k-station-crl.pem.new" "$t/k-station-crl.pem"
kill -HUP "$K34"
for _ in $(seq 100); do grep -q 'CRL files reloaded' "$t/srvk34.log" && break; sleep 0.05; done
keygen "$t/k34.keys" k34 "$KHDR"
check "F6: serverkeygen with the revoked factory certificate (valid chip proof): 403 revoked" \
	bash -c "test '$CODE' = 403 && grep -q 'revoked' '$t/resp' && ! grep -q server-generated-key '$t/resp'"
enroll "$t/k34.keys" k34e "$EHDR"
check "F6: simpleenroll with it: 403 revoked" bash -c "test '$CODE' = 403 && grep -q 'revoked' '$t/resp'"
check "F6: nothing recorded for k34 (no issuance of its identity or chip)" \
	bash -c "test \$(sqlite3 '$t/node/enroll.db' \"SELECT count(*) FROM issuance WHERE chip_id = '00112233445566778899aabbccddee34' OR identity = '$(cat "$t/k34.list" | tr -d '\n')'\") = 0 &&
		! '$en' issuances '$t/node' | grep -q 00112233445566778899aabbccddee34"
check "F6: the node logged both refusals, issued nothing" \
	bash -c "test \$(grep -c 'serverkeygen: refused: .*revoked\\|simpleenroll: refused: .*revoked' '$t/srvk34.log') = 2 &&
		! grep -q 'issued serial' '$t/srvk34.log'"
PORT=$P0
