# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by run.sh after device.sh (its helpers, node, devices d1, d2, d4
# enrolled with curl, e11-e15 with chipkey enroll): revocation
# (chipkey-enroll revoke, the CRL the node serves, checked with openssl crl
# / openssl verify -crl_check), simplereenroll (curl + openssl req) with
# the attacks of docs/enrollment.md "Renewal", and chipkey enroll --renew
# with kill -9 at its steps.  TAP.
start srvre
RE=$SPID
# crl OUT: GET the CRL (DER) into OUT.der and OUT.pem; CODE
crl() {
	CODE=$(https /chipkey/v1/crl "$1.der")
	openssl crl -inform DER -in "$1.der" -out "$1.pem" 2>>"$t/openssl.log"
}
crlnum() { openssl crl -in "$1.pem" -noout -crlnumber | sed 's/^crlNumber=//'; }	# 0x..
serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
# reenroll CERT KEY NAME: POST simplereenroll with that client credential; CODE, $t/resp
reenroll() {
	CODE=$(https /.well-known/est/simplereenroll "$t/resp" --cert "$1" --key "$2" \
		-H "Content-Type: application/pkcs10" --data-binary "@$t/$3.csr")
}
subj() { echo "/O=Example Customer/CN=$1/serialNumber=$1"; }

# ---- revocation
crl "$t/crl1"
check "GET /chipkey/v1/crl: 200, a DER CRL signed by the customer CA (openssl crl -verify)" \
	bash -c "test '$CODE' = 200 && openssl crl -in '$t/crl1.pem' -noout -CAfile '$t/node/ca-cert.pem' -verify 2>&1 | grep -q 'verify OK'"
check "... nothing revoked yet; a cRLNumber; nextUpdate 30 days on" \
	bash -c "! openssl crl -in '$t/crl1.pem' -noout -text | grep -q 'Serial Number' && test -n '$(crlnum "$t/crl1")' &&
		test \$(( \$(date -d \"\$(openssl crl -in '$t/crl1.pem' -noout -nextupdate | cut -d= -f2)\" +%s) -
			\$(date -d \"\$(openssl crl -in '$t/crl1.pem' -noout -lastupdate | cut -d= -f2)\" +%s) )) -eq $((30 * 86400))"
crl "$t/crl1b"
check "... the same CRL again while it is fresh (not re-signed)" cmp -s "$t/crl1.der" "$t/crl1b.der"
S4=$(serial "$t/d4.cust.pem")
check "before: openssl verify -crl_check accepts d4's customer certificate" \
	bash -c "openssl verify -crl_check -CAfile '$t/node/ca-cert.pem' -CRLfile '$t/crl1.pem' '$t/d4.cust.pem' >/dev/null 2>&1"
# SERIAL never as the ledger writes it (upper case, no leading zeros): lower
# case, or with two leading zeros when it has no A-F (one run in 2 million)
s4=$(echo "$S4" | tr A-F a-f)
[ "$s4" != "$S4" ] || s4=00$S4
expect_exit 0 "revoke SERIAL (lower case, or leading zeros) --reason keyCompromise --by alice" -- \
	"$en" revoke "$t/node" "$s4" --reason keyCompromise --by alice
check "... it names the serial revoked" grep -qx "revoked $S4" "$t/out"
expect_exit 0 "issuances after the revocation" -- "$en" issuances "$t/node"
check "issuances: who revoked d4's certificate, when and why" \
	grep -qE "^$ID4 [0-9a-f]{32} $S4 [0-9]+ [0-9a-f]{64} simpleenroll revoked [0-9]+ keyCompromise by alice$" "$t/out"
expect_exit 0 "issuances --json" -- "$en" issuances "$t/node" --json
check "issuances --json: revoked {at, reason, by} on d4's only" \
	/usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1])); r=[x for x in a if 'revoked' in x]
assert len(r)==1 and r[0]['serial']=='$S4' and r[0]['revoked']['by']=='alice' and r[0]['revoked']['reason']=='keyCompromise' and r[0]['revoked']['at']>0" "$t/out"
crl "$t/crl2"
check "the new CRL: verified by openssl crl, a greater cRLNumber" \
	bash -c "openssl crl -in '$t/crl2.pem' -noout -CAfile '$t/node/ca-cert.pem' -verify 2>&1 | grep -q 'verify OK' &&
		test \$(($(crlnum "$t/crl2"))) -gt \$(($(crlnum "$t/crl1")))"
check "... it lists d4's serial with the reason Key Compromise" \
	bash -c "openssl crl -in '$t/crl2.pem' -noout -text | grep -A5 'Serial Number: $S4' | grep -q 'Key Compromise'"
check "openssl verify -crl_check refuses d4's certificate: revoked" \
	bash -c "openssl verify -crl_check -CAfile '$t/node/ca-cert.pem' -CRLfile '$t/crl2.pem' '$t/d4.cust.pem' 2>&1 | grep -q 'certificate revoked'"
check "... and accepts d1's" \
	bash -c "openssl verify -crl_check -CAfile '$t/node/ca-cert.pem' -CRLfile '$t/crl2.pem' '$t/d1.cust.pem' >/dev/null 2>&1"
expect_exit 22 "revoke the same certificate again: 22, nothing changed" -- "$en" revoke "$t/node" "$S4"
expect_exit 9 "revoke a serial the ledger does not hold: 9" -- "$en" revoke "$t/node" 0123456789ABCDEF
expect_exit 6 "revoke a serial that is not hex: 6" -- "$en" revoke "$t/node" 12x4
expect_exit 1 "revoke with an unknown reason: usage" -- "$en" revoke "$t/node" "$S4" --reason whim
expect_exit 1 "revoke with both a serial and --identity: usage" -- "$en" revoke "$t/node" "$S4" --identity "$ID4"
crl "$t/crl3"
check "the refusals signed no CRL (the same one is served)" cmp -s "$t/crl2.der" "$t/crl3.der"
check "the CRL table refuses a second CRL with a taken number (sqlite3)" \
	bash -c "! sqlite3 '$t/node/enroll.db' 'INSERT INTO crl SELECT number, 0, x\"00\" FROM crl LIMIT 1' 2>/dev/null"

# ---- simplereenroll
csr r1 "$(subj "$ID1")"
reenroll "$t/d1.keys/device-cert.pem" "$t/d1.keys/device-key.pem" r1
check "simplereenroll with the factory certificate: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'not a current certificate of the customer CA' '$t/resp'"
CODE=$(https /.well-known/est/simplereenroll "$t/resp" -H "Content-Type: application/pkcs10" --data-binary "@$t/r1.csr")
check "simplereenroll without a client certificate: 401" test "$CODE" = 401
reenroll "$t/d1.cust.pem" "$t/d1.key" r1
check "interop: simplereenroll with curl, d1's customer certificate, a new key (openssl req): 200" test "$CODE" = 200
certs "$t/resp" "$t/d1.r1.pem"
check "... openssl verify accepts the new certificate against the customer CA and the CRL" \
	bash -c "openssl verify -crl_check -CAfile '$t/node/ca-cert.pem' -CRLfile '$t/crl2.pem' '$t/d1.r1.pem' >/dev/null"
check "... it holds the new key, the same subject, a new serial" \
	bash -c "test \"\$(openssl x509 -in '$t/d1.r1.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$t/r1.key' -pubout)\" &&
		test \"\$(openssl x509 -in '$t/d1.r1.pem' -noout -subject)\" = \"\$(openssl x509 -in '$t/d1.cust.pem' -noout -subject)\" &&
		test '$(serial "$t/d1.r1.pem")' != '$SERIAL1'"
check "... the chip ID, IMEI URN and chip attestation key of the old one" \
	bash -c "openssl x509 -in '$t/d1.r1.pem' -noout -ext subjectAltName >'$t/a1' && openssl x509 -in '$t/d1.cust.pem' -noout -ext subjectAltName >'$t/a2' &&
		cmp -s '$t/a1' '$t/a2' && grep -q chip-id '$t/a1' &&
		openssl x509 -in '$t/d1.r1.pem' -noout -text | grep -q 2.25.150369157376766404936511867947329402419"
SR1=$(serial "$t/d1.r1.pem")
expect_exit 0 "issuances after the renewal" -- "$en" issuances "$t/node"
check "issuances: the renewal, linked to the certificate it renews; the original enrollment line unchanged" \
	bash -c "grep -qE '^$ID1 00112233445566778899aabbccddee01 $SR1 [0-9]+ [0-9a-f]{64} simplereenroll renews $SERIAL1\$' '$t/out' &&
		grep -qE '^$ID1 00112233445566778899aabbccddee01 $SERIAL1 [0-9]+ [0-9a-f]{64} simpleenroll\$' '$t/out'"
check "the node logs the renewal" grep -q "device $ID1 chip 00112233445566778899aabbccddee01: renewed serial $SERIAL1 as $SR1" "$t/srvre.log"
reenroll "$t/d1.cust.pem" "$t/d1.key" r1
check "the superseded certificate asking again for the same new key: the renewal re-delivered, nothing issued" \
	bash -c "test '$CODE' = 200 && base64 -d '$t/resp' | openssl pkcs7 -inform DER -print_certs | openssl x509 -noout -serial | grep -qx 'serial=$SR1' &&
		test \$('$en' issuances '$t/node' | grep -c '^$ID1 ') -eq 2"
csr r1b "$(subj "$ID1")"
reenroll "$t/d1.cust.pem" "$t/d1.key" r1b
check "the superseded certificate asking for another key: 409, nothing issued" \
	bash -c "test '$CODE' = 409 && grep -q 'superseded' '$t/resp' && test \$('$en' issuances '$t/node' | grep -c '^$ID1 ') -eq 2"
reenroll "$t/d1.r1.pem" "$t/r1.key" r1b
check "the renewed certificate renews in turn (re-key again): 200" test "$CODE" = 200
certs "$t/resp" "$t/d1.r2.pem"
SR2=$(serial "$t/d1.r2.pem")
check "... a renewal of the renewal" bash -c "'$en' issuances '$t/node' | grep -qE '^$ID1 .* $SR2 .* renews $SR1\$'"
csr d2sub "$(subj "$ID2")"
reenroll "$t/d1.r2.pem" "$t/r1b.key" d2sub
check "d1's current certificate asking for d2's identity (subject): 403" \
	bash -c "test '$CODE' = 403 && grep -q \"subject is not the current certificate's\" '$t/resp'"
reenroll "$t/d2.cust.pem" "$t/d2.key" r1
check "d2's customer certificate asking for d1's identity: 403" \
	bash -c "test '$CODE' = 403 && grep -q \"subject is not the current certificate's\" '$t/resp'"
csr r4 "$(subj "$ID4")"
reenroll "$t/d4.cust.pem" "$t/d4.key" r4
check "d4's revoked certificate asking for renewal: 403 revoked" \
	bash -c "test '$CODE' = 403 && grep -q 'certificate is revoked' '$t/resp'"
# a certificate the customer CA signed outside the node (not in the ledger), and an expired one
cat >"$t/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
database = $t/ca.idx
new_certs_dir = $t
serial = $t/ca.srl
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
organizationName = optional
commonName = supplied
serialNumber = optional
[x]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = clientAuth
subjectAltName = URI:urn:chipkey:chip-id:00112233445566778899aabbccddee01
CNF
: >"$t/ca.idx"; echo 01 >"$t/ca.srl"
openssl req -new -key "$t/r1b.key" -subj "$(subj "$ID1")" -out "$t/oob.req" 2>>"$t/openssl.log"
openssl ca -batch -config "$t/ca.cnf" -cert "$t/node/ca-cert.pem" -keyfile "$t/node/ca-key.pem" -rand_serial \
	-extensions x -preserveDN -notext -days 30 -in "$t/oob.req" -out "$t/oob.pem" 2>>"$t/openssl.log"
openssl ca -batch -config "$t/ca.cnf" -cert "$t/node/ca-cert.pem" -keyfile "$t/node/ca-key.pem" -rand_serial \
	-extensions x -preserveDN -notext -startdate 20200101000000Z -enddate 20200201000000Z \
	-in "$t/oob.req" -out "$t/expired.pem" 2>>"$t/openssl.log"
check "(openssl ca signed both with the customer CA key; one expired in 2020)" \
	bash -c "openssl verify -CAfile '$t/node/ca-cert.pem' '$t/oob.pem' >/dev/null && openssl verify -CAfile '$t/node/ca-cert.pem' '$t/expired.pem' 2>&1 | grep -q expired"
reenroll "$t/oob.pem" "$t/r1b.key" r1b
check "a certificate of the customer CA the ledger does not hold: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'not in the ledger' '$t/resp'"
reenroll "$t/expired.pem" "$t/r1b.key" r1b
check "an expired certificate of the customer CA: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'expired' '$t/resp'"
# a forged customer CA with the customer CA's subject
CSUBJ=$(openssl x509 -in "$t/node/ca-cert.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/fcca.key" -subj "$CSUBJ" \
	-days 30 -out "$t/fcca.pem" 2>>"$t/openssl.log"
openssl x509 -req -in "$t/oob.req" -CA "$t/fcca.pem" -CAkey "$t/fcca.key" -days 30 -extfile "$t/ca.cnf" -extensions x \
	-out "$t/fc.pem" 2>>"$t/openssl.log"
reenroll "$t/fc.pem" "$t/r1b.key" r1b
check "a certificate of a forged customer CA (same subject): 403" \
	bash -c "test -s '$t/fc.pem' && test '$CODE' = 403 && grep -q 'not a current certificate of the customer CA' '$t/resp'"
challenge "$t/d1.keys"; prove "$t/d1.sock" "$t/d1.keys" d1
enroll "$t/d1.keys" d1 "$NONCE $MAC"
check "simpleenroll stays once per device: d1's original request is no longer re-delivered once renewed (409)" \
	bash -c "test '$CODE' = 409 && grep -q 'issued to this device before' '$t/resp'"
CODE=$(https /chipkey/v1/challenge "$t/resp" -X POST --cert "$t/d1.r2.pem" --key "$t/r1b.key")
check "a customer certificate on the factory path (challenge): 403" \
	bash -c "test '$CODE' = 403 && grep -q 'not a device certificate' '$t/resp'"
check "the renewal table refuses a second renewal of one certificate (sqlite3)" \
	bash -c "! sqlite3 '$t/node/enroll.db' \"INSERT INTO renewal SELECT 'x', previous, identity, chip_id, 0, '', '' FROM renewal LIMIT 1\" 2>/dev/null"

# ---- revoke --identity: every certificate of the identity; renewal then refused
expect_exit 0 "revoke --identity ID1: the enrollment already superseded and both renewals" -- \
	"$en" revoke "$t/node" --identity "$ID1" --by bob
check "... three serials revoked" test "$(grep -c '^revoked ' "$t/out")" = 3
crl "$t/crl4"
check "the CRL: a greater number, d1's three serials and d4's" \
	bash -c "test \$(($(crlnum "$t/crl4"))) -gt \$(($(crlnum "$t/crl2"))) &&
		for s in $SERIAL1 $SR1 $SR2 $S4; do openssl crl -in '$t/crl4.pem' -noout -text | grep -q \"Serial Number: \$s\" || exit 1; done"
check "openssl verify -crl_check refuses d1's current certificate, accepts d2's" \
	bash -c "openssl verify -crl_check -CAfile '$t/node/ca-cert.pem' -CRLfile '$t/crl4.pem' '$t/d1.r2.pem' 2>&1 | grep -q 'certificate revoked' &&
		openssl verify -crl_check -CAfile '$t/node/ca-cert.pem' -CRLfile '$t/crl4.pem' '$t/d2.cust.pem' >/dev/null 2>&1"
csr r1c "$(subj "$ID1")"
reenroll "$t/d1.r2.pem" "$t/r1b.key" r1c
check "the revoked current certificate asking for renewal: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'certificate is revoked' '$t/resp'"

# ---- a revocation that commits while a renewal is under way (after the
# node checked the certificate, before it records the renewal): the
# renewal is refused, nothing is issued.  A second writer holds the
# ledger's write lock with d2's revocation in it while the renewal
# arrives, then commits.
S2=$(serial "$t/d2.cust.pem")
csr r2race "$(subj "$ID2")"
/usr/bin/python3 - "$t/node/enroll.db" "$S2" "$t/race.held" <<'PY' 2>>"$t/setup.log" &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO revocation VALUES (?, ?, 'keyCompromise', 'race')", (sys.argv[2], int(time.time())))
open(sys.argv[3], "w").close()
time.sleep(2)
c.execute("COMMIT")
PY
rpid=$!
for _ in $(seq 100); do [ -e "$t/race.held" ] && break; sleep 0.05; done
reenroll "$t/d2.cust.pem" "$t/d2.key" r2race
wait "$rpid"
check "a revocation committed while d2's renewal waited for the ledger: the renewal is refused (403 revoked)" \
	bash -c "test -e '$t/race.held' && test '$CODE' = 403 && grep -q 'certificate is revoked' '$t/resp'"
check "... and nothing was recorded for it (no renewal of d2's certificate)" \
	bash -c "test \$(sqlite3 '$t/node/enroll.db' \"SELECT count(*) FROM renewal WHERE previous = '$S2'\") = 0"

# ---- an old ledger (before renewals and revocations) gets the new tables on open
cp -a "$t/node" "$t/node-old"
sqlite3 "$t/node-old/enroll.db" "DROP VIEW certificate; DROP TABLE renewal; DROP TABLE revocation; DROP TABLE crl;
	PRAGMA user_version = 0" 2>>"$t/setup.log"
expect_exit 0 "a ledger without the renewal and revocation tables: issuances works" -- "$en" issuances "$t/node-old"
check "... the tables were made" bash -c "sqlite3 '$t/node-old/enroll.db' .tables | grep -q revocation"
# a ledger of schema 1 (no operation column, user_version 0): migrated on open
cp -a "$t/node" "$t/node-v1"
sqlite3 "$t/node-v1/enroll.db" "DROP VIEW certificate; ALTER TABLE issuance DROP COLUMN operation;
	PRAGMA user_version = 0" 2>>"$t/setup.log"
check "a ledger of schema 1: no operation column" \
	bash -c "! sqlite3 '$t/node-v1/enroll.db' 'SELECT operation FROM issuance' 2>/dev/null"
expect_exit 0 "... issuances migrates it" -- "$en" issuances "$t/node-v1"
check "... its enrollments recorded before: operation unknown; renewals simplereenroll; as many lines as before" \
	bash -c "grep -qE '^$ID1 [^ ]+ $SERIAL1 [0-9]+ [0-9a-f]{64} unknown( |\$)' '$t/out' &&
		grep -q ' simplereenroll renews ' '$t/out' && ! grep -qE ' (simpleenroll|serverkeygen)( |\$)' '$t/out' &&
		test \$(wc -l <'$t/out') = \$('$en' issuances '$t/node' | wc -l)"
check "... schema 3 now (user_version), the columns there" \
	bash -c "test \$(sqlite3 '$t/node-v1/enroll.db' 'PRAGMA user_version') = 3 &&
		sqlite3 '$t/node-v1/enroll.db' 'SELECT operation, key_envelope FROM issuance' >/dev/null"
# a ledger of schema 2 (no key_envelope column): migrated on open
cp -a "$t/node" "$t/node-v2"
sqlite3 "$t/node-v2/enroll.db" "ALTER TABLE issuance DROP COLUMN key_envelope; PRAGMA user_version = 2" \
	2>>"$t/setup.log"
expect_exit 0 "a ledger of schema 2 (no key_envelope column): issuances migrates it" -- "$en" issuances "$t/node-v2"
check "... schema 3 now, the column there (NULL: nothing to re-deliver), as many lines as before" \
	bash -c "test \$(sqlite3 '$t/node-v2/enroll.db' 'PRAGMA user_version') = 3 &&
		test \$(sqlite3 '$t/node-v2/enroll.db' 'SELECT count(*) FROM issuance WHERE key_envelope IS NOT NULL') = 0 &&
		test \$(wc -l <'$t/out') = \$('$en' issuances '$t/node' | wc -l)"
sqlite3 "$t/node-v1/enroll.db" "PRAGMA user_version = 4" 2>>"$t/setup.log"
expect_exit 8 "a ledger of a newer schema (4): refused, 8" -- "$en" issuances "$t/node-v1"
check "... the message says so" grep -q 'schema 4, this node knows 3' "$t/err"
# ---- the device side: chipkey enroll --renew (device.sh enrolled e11-e15)
gen() { readlink "$t/$1.store/current" | sed -n 's/^store-\([0-9]*\)-.*/\1/p'; }
renewals() { "$en" issuances "$t/node" | grep " $(cat "$t/$1.chip") " | grep -c ' renews '; }
SE11=$(serial "$t/e11.keys/customer-cert.pem")
cp "$t/e11.keys/customer-key.pem" "$t/e11.k2.pem"
expect_exit 0 "chipkey enroll --renew (e11, generation 2)" -- enr e11 --renew
check "... says renewed, generation 3 in the store" \
	bash -c "grep -q 'renewed: identity .*, generation 3' '$t/out' && test '$(gen e11)' = 3"
check "... a new customer key; the certificate is for it and chains to the customer CA (openssl)" \
	bash -c "! cmp -s '$t/e11.k2.pem' '$t/e11.keys/customer-key.pem' &&
		test \"\$(openssl x509 -in '$t/e11.keys/customer-cert.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$t/e11.keys/customer-key.pem' -pubout)\" &&
		openssl verify -CAfile '$t/node/ca-cert.pem' '$t/e11.keys/customer-cert.pem' >/dev/null"
check "... the same subject as the enrolled certificate" \
	test "$(openssl x509 -in "$t/e11.keys/customer-cert.pem" -noout -subject)" = \
	"$(openssl x509 -in "$t/e11.enrolled-keys/customer-cert.pem" -noout -subject)"
check "... the ledger: a renewal of e11's certificate, which the store holds now" \
	bash -c "'$en' issuances '$t/node' | grep -q ' $(serial "$t/e11.keys/customer-cert.pem") .* renews $SE11\$'"
check "... the public database has generation 3, its backup the store's byte for byte" \
	bash -c "curl -sf '$DB/v1/chips/$(cat "$t/e11.chip")/generations/3/backup' | cmp -s - '$t/e11.store/backup.pkg'"
check "... the factory credential and identity kept, no pending key left" \
	bash -c "for f in identity device-key.pem device-cert.der; do cmp -s '$t/e11.enrolled-keys/'\$f '$t/e11.keys/'\$f || exit 1; done &&
		! test -e '$t/e11.store/enroll-pending.pkg'"
expect_exit 0 "e13 renews two-way (--anchor the customer CA)" -- enr e13 --renew --anchor "$t/node/ca-cert.pem"
check "... generation 3" test "$(gen e13)" = 3
expect_exit 19 "two-way --renew: the rogue node (TLS does not chain to the anchor) is refused, 19" -- \
	enr e13 --renew --anchor "$t/node/ca-cert.pem" --est "https://localhost:$(cat "$t/rport")"
check "... the store still at generation 3, the rogue node issued nothing" \
	bash -c "test '$(gen e13)' = 3 && test -z \"\$('$en' issuances '$t/rogue' | grep ' renews ')\""
forged "$t/fake-ca.b64" die "$t/fake-die2.log"
expect_exit 10 "--renew: the node killed while it holds the simplereenroll request: exit 10 (no answer)" -- \
	enr e13 --renew --est "$FAKE"
check "... it was killed after reading simplereenroll; the store still at generation 3" \
	bash -c "grep -q 'POST /.well-known/est/simplereenroll' '$t/fake-die2.log' && test '$(gen e13)' = 3"
expect_exit 20 "e14 (enrolled by the rogue node: its customer certificate is the rogue CA's) --renew: refused (20)" -- enr e14 --renew
check "... the node said why; the store still at generation 2" \
	bash -c "grep -q 'not a current certificate of the customer CA' '$t/err' && test '$(gen e14)' = 2"
expect_exit 9 "e16 (never enrolled) --renew: 9" -- enr e16 --renew
"$en" revoke "$t/node" --identity "$(tr -d '\n' <"$t/e13.keys/identity")" >/dev/null 2>>"$t/setup.log"
expect_exit 20 "e13 revoked (revoke --identity), --renew: refused (20)" -- enr e13 --renew
check "... the node said revoked; the store still at generation 3" \
	bash -c "grep -q 'certificate is revoked' '$t/err' && test '$(gen e13)' = 3"

# kill -9 before the store switch: the re-run gets the recorded renewal, one renewal in all
for p in enroll-pending renew-answer enroll-store; do
	CHIPKEY_CRASH_AT=$p CK=$ckc enr e12 --renew >/dev/null 2>>"$t/crash.log"
	rc=$?
	check "renew, kill -9 at $p: killed (137), generation 2, at most one renewal" \
		bash -c "test $rc = 137 && test '$(gen e12)' = 2 && test $(renewals e12) -le 1"
done
expect_exit 0 "... the re-run finishes the renewal" -- enr e12 --renew
check "... generation 3, exactly one renewal, the certificate the ledger recorded (re-delivered)" \
	bash -c "test '$(gen e12)' = 3 && test $(renewals e12) = 1 &&
		'$en' issuances '$t/node' | grep -q ' $(serial "$t/e12.keys/customer-cert.pem") .* renews '"
check "the node logged the re-delivery of the renewal" grep -q "re-delivered the renewal" "$t/srv.log"
# kill -9 after the switch: a plain re-run finishes (publication, keys)
CHIPKEY_CRASH_AT=enroll-publish CK=$ckc enr e12 --renew >/dev/null 2>>"$t/crash.log"
rc=$?
check "renew, kill -9 at enroll-publish: generation 4 stored, two renewals" \
	bash -c "test $rc = 137 && test '$(gen e12)' = 4 && test $(renewals e12) = 2"
expect_exit 0 "... chipkey enroll (no --renew) finishes: nothing renewed" -- enr e12
check "... generation 4 published, the keys directory holds the generation-4 certificate, still two renewals" \
	bash -c "curl -sf '$DB/v1/chips/$(cat "$t/e12.chip")/generations/4/backup' | cmp -s - '$t/e12.store/backup.pkg' &&
		test $(renewals e12) = 2 && '$en' issuances '$t/node' | grep -q ' $(serial "$t/e12.keys/customer-cert.pem") .* renews '"

# forged answers to --renew (fake-est.py of device.sh): the device's own checks
ID12=$(tr -d '\n' <"$t/e12.keys/identity")
forged "$t/fake-ca.b64" "$t/fake-answer.b64" "$t/fake3.log"
expect_exit 19 "--renew: a forged answer (another device's certificate of the customer CA) is refused" -- \
	enr e12 --renew --est "$FAKE"
check "... not for this key; the store still at generation 4; the fake node was asked simplereenroll" \
	bash -c "grep -q 'not for the key this device made' '$t/err' && test '$(gen e12)' = 4 &&
		grep -q 'POST /.well-known/est/simplereenroll' '$t/fake3.log'"
forged "$t/fake-ca.b64" "sign:$t/rogue-ca.key:$t/rogue-ca.pem:$ID12:$(cat "$t/e12.chip")" "$t/fake4.log"
expect_exit 19 "--renew: a certificate for our key, identity and chip from a look-alike CA is refused" -- \
	enr e12 --renew --est "$FAKE"
check "... it does not chain to the stored customer CA; generation 4" \
	bash -c "grep -q 'does not chain to the customer CA' '$t/err' && test '$(gen e12)' = 4"
# --renew after a crash past the switch: the stored generation is published first
CHIPKEY_CRASH_AT=enroll-publish CK=$ckc enr e12 --renew >/dev/null 2>>"$t/crash.log"
check "kill -9 at enroll-publish again: generation 5 stored, not published" \
	bash -c "test '$(gen e12)' = 5 && ! curl -sf -o /dev/null '$DB/v1/chips/$(cat "$t/e12.chip")/generations/5/record'"
cp "$t/e12.store/backup.pkg" "$t/e12.gen5.pkg"
expect_exit 0 "... chipkey enroll --renew: publishes generation 5, then renews to 6" -- enr e12 --renew
check "... generations 5 and 6 in the public database, byte for byte" \
	bash -c "test '$(gen e12)' = 6 &&
		curl -sf '$DB/v1/chips/$(cat "$t/e12.chip")/generations/5/backup' | cmp -s - '$t/e12.gen5.pkg' &&
		curl -sf '$DB/v1/chips/$(cat "$t/e12.chip")/generations/6/backup' | cmp -s - '$t/e12.store/backup.pkg'"

# a kill -9 between the switch and the removal of the pending key: that key is in use now
CHIPKEY_CRASH_AT=enroll-stored CK=$ckc enr e12 --renew >/dev/null 2>>"$t/crash.log"
check "kill -9 at enroll-stored: generation 7 stored, the pending key left behind" \
	bash -c "test '$(gen e12)' = 7 && test -s '$t/e12.store/enroll-pending.pkg'"
expect_exit 0 "... chipkey enroll --renew: generation 8" -- enr e12 --renew
C8=$(serial "$t/e12.keys/customer-cert.pem")
P7=$("$en" issuances "$t/node" | awk -v s="$C8" '$3 == s && $7 == "renews" { print $8 }')
"$en" issuances "$t/node" --json | /usr/bin/python3 -c '
import json, sys
print([c for c in json.load(sys.stdin) if c["serial"] == sys.argv[1]][0]["certificate"], end="")' "$P7" >"$t/e12.gen7.pem"
check "... renewed with a new key, not the one left pending (generation 7's)" \
	bash -c "test -n '$P7' && openssl x509 -in '$t/e12.gen7.pem' -noout -pubkey >'$t/pk7' &&
		openssl x509 -in '$t/e12.keys/customer-cert.pem' -noout -pubkey >'$t/pk8' && test -s '$t/pk7' && ! cmp -s '$t/pk7' '$t/pk8'"

# --crl-days
expect_exit 1 "revoke --crl-days 0: usage" -- "$en" revoke "$t/node" --identity "$(tr -d '\n' <"$t/e15.keys/identity")" --crl-days 0
expect_exit 0 "revoke --identity (e15) --crl-days 7" -- \
	"$en" revoke "$t/node" --identity "$(tr -d '\n' <"$t/e15.keys/identity")" --crl-days 7 --reason cessationOfOperation
crl "$t/crl5"
check "... the CRL served: nextUpdate 7 days after lastUpdate, e15's serial on it" \
	bash -c "test \$(( \$(date -d \"\$(openssl crl -in '$t/crl5.pem' -noout -nextupdate | cut -d= -f2)\" +%s) -
			\$(date -d \"\$(openssl crl -in '$t/crl5.pem' -noout -lastupdate | cut -d= -f2)\" +%s) )) -eq $((7 * 86400)) &&
		openssl crl -in '$t/crl5.pem' -noout -text | grep -q 'Serial Number: $(serial "$t/e15.keys/customer-cert.pem")'"

# ---- a copied customer key renews 70 times in a row (no chip needed),
# then the customer revokes the identity: every certificate is revoked in
# one command and one CRL, however many (the command refused more than 64)
ID12=$(tr -d '\n' <"$t/e12.keys/identity")
cp "$t/e12.keys/customer-cert.pem" "$t/thief.pem"
ok=0
for i in $(seq 70); do
	openssl x509 -x509toreq -in "$t/thief.pem" -signkey "$t/e12.keys/customer-key.pem" 2>/dev/null |
		openssl req -outform DER 2>/dev/null | base64 >"$t/thief.csr"
	reenroll "$t/thief.pem" "$t/e12.keys/customer-key.pem" thief
	[ "$CODE" = 200 ] && base64 -d "$t/resp" | openssl pkcs7 -inform DER -print_certs -out "$t/thief.pem" &&
		ok=$((ok + 1))
done
live=$(sqlite3 "$t/node/enroll.db" "SELECT count(*) FROM certificate WHERE identity = '$ID12' AND serial NOT IN (SELECT serial FROM revocation)")
check "a copied customer key renewed 70 times from the newest certificate: $live certificates of e12 not revoked" \
	test "$ok" = 70 -a "$live" -gt 70
crl "$t/crl6"
expect_exit 0 "revoke --identity e12 with $live certificates: done (was refused above 64)" -- \
	"$en" revoke "$t/node" --identity "$ID12" --reason keyCompromise
crl "$t/crl7"
check "... every one of them revoked, in the ledger and on the one new CRL (cRLNumber + 1)" \
	bash -c "test \$(grep -c '^revoked ' '$t/out') = $live &&
		test \$(sqlite3 '$t/node/enroll.db' \"SELECT count(*) FROM certificate WHERE identity = '$ID12' AND serial NOT IN (SELECT serial FROM revocation)\") = 0 &&
		test \$(($(crlnum "$t/crl7"))) -eq \$(($(crlnum "$t/crl6") + 1)) &&
		for s in \$(sed -n 's/^revoked //p' '$t/out'); do openssl crl -in '$t/crl7.pem' -noout -text | grep -q \"Serial Number: \$s\" || exit 1; done"
check "... openssl verify -crl_check refuses the thief's newest certificate" \
	bash -c "openssl verify -crl_check -CAfile '$t/node/ca-cert.pem' -CRLfile '$t/crl7.pem' '$t/thief.pem' 2>&1 | grep -q 'certificate revoked'"
openssl x509 -x509toreq -in "$t/thief.pem" -signkey "$t/e12.keys/customer-key.pem" 2>/dev/null |
	openssl req -outform DER 2>/dev/null | base64 >"$t/thief.csr"
reenroll "$t/thief.pem" "$t/e12.keys/customer-key.pem" thief
check "... and its renewal is refused (403 revoked)" \
	bash -c "test '$CODE' = 403 && grep -q 'certificate is revoked' '$t/resp'"

kill -TERM "$RE"; wait "$RE"; rc=$?
check "the renewal node stops cleanly, no sanitizer report" bash -c "test $rc -eq 0 && ! grep -q 'Sanitizer' '$t/srvre.log'"

# ---- serve --renew-after: a certificate renews only once it is that old
# (default 3600 s), so a copied customer key cannot mint certificates as
# fast as it asks; a lost answer is still re-delivered at once
ck11() { openssl x509 -x509toreq -in "$1" -signkey "$t/e11.keys/customer-key.pem" 2>/dev/null |
	openssl req -outform DER 2>/dev/null | base64 >"$t/$2.csr"; }
start_server srvra "$t/port" "$en" serve "$t/node" --listen 127.0.0.1:0 --port-file "$t/port"
ck11 "$t/e11.keys/customer-cert.pem" ra1
reenroll "$t/e11.keys/customer-cert.pem" "$t/e11.keys/customer-key.pem" ra1
check "default node: e11's certificate, issued seconds ago, asking to renew: 403 (renews once it is 3600 s old)" \
	bash -c "test '$CODE' = 403 && grep -q 'renews once it is 3600 s old' '$t/resp'"
kill -TERM "$SPID"; wait "$SPID"
start srvra1 --renew-after 1
sleep 1.2
reenroll "$t/e11.keys/customer-cert.pem" "$t/e11.keys/customer-key.pem" ra1
certs "$t/resp" "$t/e11.ra1.pem"
check "--renew-after 1: the same certificate, older than that now, renews (200)" \
	bash -c "test '$CODE' = 200 && openssl verify -CAfile '$t/node/ca-cert.pem' '$t/e11.ra1.pem' >/dev/null"
kill -TERM "$SPID"; wait "$SPID"
start srvra30 --renew-after 30
ck11 "$t/e11.ra1.pem" ra2
reenroll "$t/e11.ra1.pem" "$t/e11.keys/customer-key.pem" ra2
check "--renew-after 30: the certificate just issued asking to renew: 403" \
	bash -c "test '$CODE' = 403 && grep -q 'renews once it is 30 s old' '$t/resp'"
reenroll "$t/e11.keys/customer-cert.pem" "$t/e11.keys/customer-key.pem" ra1
check "... while the renewal it got is re-delivered at once (same request, same serial)" \
	bash -c "test '$CODE' = 200 && base64 -d '$t/resp' | openssl pkcs7 -inform DER -print_certs | openssl x509 -noout -serial |
		grep -qx \"serial=\$(openssl x509 -in '$t/e11.ra1.pem' -noout -serial | cut -d= -f2)\""
kill -TERM "$SPID"; wait "$SPID"
