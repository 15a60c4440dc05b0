# SPDX-License-Identifier: GPL-2.0
#
# The device side, `chipkey enroll` (docs/enrollment.md "The device
# side"), end to end: sourced by run.sh (its helpers, node and devices),
# with a public database (chipkey-pubdb) on loopback.  Expected values come
# from openssl and curl, never from chipkey.
ck=$bin/chipkey
ckc=$B/tests/update/chipkey-crash	# chipkey with CK_CRASH_POINT()s

# ---- a public database holding generation 1 of four fresh devices
"$bin/chipkey-pubdb" --db "sqlite:$t/public.db" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
	--port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
pids+=($!)
wait_file "$t/pubdb.port"
DB=http://127.0.0.1:$(cat "$t/pubdb.port")
# gen1 NAME: the factory's generation 1 of NAME into the public database
cat "$t/fac/record-cert.pem" "$t/fac/ica-cert.pem" >"$t/record-chain.pem"
gen1() {
	"$bin/chipkey-pubdb-put" --url "$DB" --key "$t/fac/record-key.pem" --cert "$t/record-chain.pem" \
		--chip "$(cat "$t/$1.chip")" --generation 1 --identity "$(tr -d '\n' <"$t/$1.keys/identity")" \
		--backup "$t/$1.pkg" --device-cert "$t/$1.keys/device-cert.der" >/dev/null 2>>"$t/setup.log"
}
for i in 11 12 13 14 15 16; do
	echo "00112233445566778899aabbccddee$i" >"$t/e$i.chip"
	provision "e$i" "00112233445566778899aabbccddee$i" "$i" && gen1 "e$i"
	tr -d '\n' <"$t/e$i.keys/identity"; echo
done >"$t/elist"
check "six more devices, their generation 1 in the public database" \
	bash -c "for i in 11 12 13 14 15 16; do curl -sf -o /dev/null '$DB/v1/chips/00112233445566778899aabbccddee'\$i/generations/1/record || exit 1; done"
expect_exit 0 "whitelist the six" -- "$en" whitelist "$t/node" "$t/elist"
EST=https://localhost:$PORT
enr() {	# enr NAME [ARGS...]: chipkey enroll for device NAME
	local n=$1; shift
	"${CK:-$ck}" --device "emu:$t/$n.sock" enroll --est "$EST" --store "$t/$n.store" \
		--keys "$t/$n.keys" --db "$DB" "$@"
}
issued() { "$en" issuances "$t/node" | grep -c " $(cat "$t/$1.chip") "; }

# ---- one-way enrollment, end to end
cp -r "$t/e11.keys" "$t/e11.factory-keys"
expect_exit 0 "e11 enrolls (one-way: no anchor)" -- enr e11
check "... the flash store is at generation 2" \
	bash -c "readlink '$t/e11.store/current' | grep -q '^store-2-'"
check "... the keys directory: customer key 0600, certificate, CA" \
	test "$(stat -c %a "$t/e11.keys/customer-key.pem")" = 600 -a -s "$t/e11.keys/customer-cert.pem"
check "... the customer certificate is for the customer key (openssl)" \
	test "$(openssl x509 -in "$t/e11.keys/customer-cert.pem" -noout -pubkey)" = \
	"$(openssl pkey -in "$t/e11.keys/customer-key.pem" -pubout)"
check "... it chains to the node's customer CA (openssl verify), and customer-ca.pem is that CA" \
	bash -c "openssl verify -CAfile '$t/node/ca-cert.pem' '$t/e11.keys/customer-cert.pem' >/dev/null &&
		cmp -s '$t/e11.keys/customer-ca.pem' '$t/node/ca-cert.pem'"
check "... it names the device's identity and chip" \
	bash -c "openssl x509 -in '$t/e11.keys/customer-cert.pem' -noout -subject -ext subjectAltName |
		grep -q 'CN = $(tr -d '\n' <"$t/e11.keys/identity")' &&
		openssl x509 -in '$t/e11.keys/customer-cert.pem' -noout -ext subjectAltName | grep -q 'chip-id:$(cat "$t/e11.chip")'"
check "... the factory identity, key and certificate are kept" \
	bash -c "for f in identity device-key.pem device-cert.der device-cert.pem channel.key mfr-ca.pem; do
		cmp -s '$t/e11.factory-keys/'\$f '$t/e11.keys/'\$f || exit 1; done"
curl -sf -o "$t/e11.rec2" "$DB/v1/chips/$(cat "$t/e11.chip")/generations/2/record"
check "... the public database has generation 2, signed by the device's factory key (openssl cms -verify)" \
	bash -c "openssl cms -verify -inform DER -in '$t/e11.rec2' -binary -CAfile '$t/fac/mfr-ca.pem' \
		-certfile '$t/fac/ica-cert.pem' -purpose any -out /dev/null 2>/dev/null &&
		openssl cms -cmsout -print -inform DER -in '$t/e11.rec2' | grep -q 'serialNumber=$(tr -d '\n' <"$t/e11.keys/identity")'"
check "... its backup is the store's, byte for byte" \
	bash -c "curl -sf '$DB/v1/chips/$(cat "$t/e11.chip")/generations/2/backup' | cmp -s - '$t/e11.store/backup.pkg'"
check "... one issuance for e11" test "$(issued e11)" = 1
expect_exit 0 "enrolling again: nothing to do, exit 0" -- enr e11
check "... still generation 2, still one issuance, no pending key left" \
	bash -c "readlink '$t/e11.store/current' | grep -q '^store-2-' && test \$($(declare -f issued); en=$en t=$t; issued e11) = 1 &&
		! test -e '$t/e11.store/enroll-pending.pkg'"

# ---- recovery after enrollment: the customer set comes back byte for byte
cp -r "$t/e11.keys" "$t/e11.enrolled-keys"
rm -rf "$t/e11.store" "$t/e11.keys"
expect_exit 0 "e11: store wiped, chipkey recover from the public database" -- \
	"$ck" --device "emu:$t/e11.sock" recover --db "$DB" --store "$t/e11.store" --keys "$t/e11.keys"
check "... generation 2 restored" bash -c "readlink '$t/e11.store/current' | grep -q '^store-2-'"
check "... customer key, certificate, CA, identity and factory credential byte for byte" \
	bash -c "for f in customer-key.pem customer-cert.pem customer-ca.pem identity device-key.pem device-cert.der; do
		cmp -s '$t/e11.enrolled-keys/'\$f '$t/e11.keys/'\$f || exit 1; done"
rm -rf "$t/e11.keys"
expect_exit 0 "chipkey load writes the customer files too" -- \
	"$ck" --device "emu:$t/e11.sock" load --store "$t/e11.store" --keys "$t/e11.keys"
check "... byte for byte" cmp -s "$t/e11.enrolled-keys/customer-key.pem" "$t/e11.keys/customer-key.pem"

# ---- kill -9 at every step; each re-run gets further; one issuance
E=e12 S=$t/e12.store
gen_of() { readlink "$S/current" | sed -n 's/^store-\([0-9]*\)-.*/\1/p'; }
for p in enroll-pending enroll-answer enroll-store enroll-stored enroll-publish enroll-keys; do
	CHIPKEY_CRASH_AT=$p CK=$ckc enr $E >/dev/null 2>>"$t/crash.log"
	rc=$?
	g=$(gen_of)
	check "kill -9 at $p: killed (137), the store holds one whole set (generation $g)" \
		bash -c "test $rc = 137 && { test '$g' = 1 || test '$g' = 2; } &&
			'$ck' --device 'emu:$t/$E.sock' status --store '$S' >/dev/null 2>&1"
	check "... at most one issuance for the device" test "$(issued $E)" -le 1
done
check "a crash after the answer (enroll-answer) left generation 1 and the pending key" \
	test -s "$S/enroll-pending.pkg" -o "$(gen_of)" = 2
expect_exit 0 "the last re-run finishes" -- enr $E
check "... generation 2 in the store and in the public database, exactly one issuance" \
	bash -c "test '$(gen_of)' = 2 &&
		curl -sf '$DB/v1/chips/$(cat "$t/$E.chip")/generations/2/backup' | cmp -s - '$S/backup.pkg'" 
check "... exactly one issuance" test "$(issued $E)" = 1
"$en" issuances "$t/node" --json | /usr/bin/python3 -c '
import json, sys
for i in json.load(sys.stdin):
    if i["chip_id"] == sys.argv[1]: print(i["certificate"], end="")' "$(cat "$t/$E.chip")" >"$t/$E.ledger.pem"
check "... the stored certificate is the one the ledger recorded (re-delivered, not re-issued)" \
	test "$(openssl x509 -in "$t/$E.ledger.pem" -noout -fingerprint -sha256)" = \
	"$(openssl x509 -in "$t/$E.keys/customer-cert.pem" -noout -fingerprint -sha256)"
check "the node logged the re-delivery" grep -q "re-delivered the recorded certificate" "$t/srv.log"

# the node re-delivers only for the same key: a request with another key is 409
csr e12b "/CN=x"
challenge "$t/e12.keys"
prove "$t/e12.sock" "$t/e12.keys" e12b
enroll "$t/e12.keys" e12b "$NONCE $MAC"
check "another key for an enrolled device: 409, nothing re-delivered" test "$CODE" = 409

# ---- two-way: the pinned customer CA
expect_exit 0 "e13 enrolls with --anchor (the customer CA, two-way)" -- enr e13 --anchor "$t/node/ca-cert.pem"
check "... generation 2" bash -c "readlink '$t/e13.store/current' | grep -q '^store-2-'"
expect_exit 0 "rogue node: another customer CA" -- \
	"$en" init "$t/rogue" --org "Rogue" --mfr-ca "$t/fac/mfr-ca.pem"
"$en" whitelist "$t/rogue" "$t/elist" >/dev/null 2>&1
rm -f "$t/rport"
"$en" serve "$t/rogue" --listen 127.0.0.1:0 --port-file "$t/rport" 2>>"$t/rogue.log" &
pids+=($!)
wait_file "$t/rport"
expect_exit 19 "two-way: e14 refuses the rogue node (TLS does not chain to the anchor)" -- \
	enr e14 --anchor "$t/node/ca-cert.pem" --est "https://localhost:$(cat "$t/rport")"
check "... nothing was asked of the rogue node (no challenge, no issuance), the store is at generation 1" \
	bash -c "! grep -q 'challenge\\|issued' '$t/rogue.log' && test -z \"\$('$en' issuances '$t/rogue')\" &&
		readlink '$t/e14.store/current' | grep -q '^store-1-'"
check "without --anchor (one-way, the documented weaker default) the same rogue node is not detected" \
	bash -c "$(declare -f enr); ck='$ck' t='$t' EST='$EST' DB='$DB'
		enr e14 --est 'https://localhost:$(cat "$t/rport")' >/dev/null 2>&1 &&
		openssl verify -CAfile '$t/rogue/ca-cert.pem' '$t/e14.keys/customer-cert.pem' >/dev/null"

# ---- a forged answer: a certificate of the customer CA, but for another key
openssl crl2pkcs7 -nocrl -certfile "$t/node/ca-cert.pem" -outform DER | base64 >"$t/fake-ca.b64"
openssl crl2pkcs7 -nocrl -certfile "$t/e11.keys/customer-cert.pem" -outform DER | base64 >"$t/fake-answer.b64"
openssl ecparam -genkey -name prime256v1 -noout -out "$t/fake-v.pem" 2>/dev/null
openssl ec -in "$t/fake-v.pem" -pubout -outform DER 2>/dev/null | tail -c 65 | xxd -p -c 100 >"$t/fake-peer.hex"
# forged CACERTS ANSWER LOG: fake-est.py (with the node's TLS credential)
# serving CACERTS and ANSWER; its URL in $FAKE, requests logged in LOG
forged() {
	rm -f "$t/fport"
	/usr/bin/python3 "$here/fake-est.py" "$t/node/tls-cert.pem" "$t/node/tls-key.pem" "$t/fport" \
		"$1" "$2" "$t/fake-peer.hex" 2>>"$3" &
	pids+=($!)
	wait_file "$t/fport" && FAKE=https://localhost:$(cat "$t/fport")
}
forged "$t/fake-ca.b64" "$t/fake-answer.b64" "$t/fake.log"
expect_exit 19 "a forged answer (another device's certificate of the right CA) is refused" -- \
	enr e15 --est "$FAKE"
check "... the message says why, the store is still at generation 1, no customer files" \
	bash -c "grep -q 'not for the key this device made' '$t/err' &&
		readlink '$t/e15.store/current' | grep -q '^store-1-' && ! test -e '$t/e15.keys/customer-cert.pem'"
check "... the fake node was asked (the refusal is the device's own check)" grep -q "simpleenroll" "$t/fake.log"
cp "$t/e15.store/enroll-pending.pkg" "$t/e15.pending1"
check "the pending key: 0600, a backup package of this chip (generation 0) holding customer-key" \
	bash -c "test \$(stat -c %a '$t/e15.store/enroll-pending.pkg') = 600 &&
		'$ck' -v --device 'emu:$t/e15.sock' unwrap '$t/e15.store/enroll-pending.pkg' '$t/e15.pending.dp' 2>&1 |
		grep -q 'generation 0,' && '$bin/chipkey-factory' dump '$t/e15.pending.dp' 2>&1 | grep -q customer-key"

# ---- a forged answer: a certificate for our key, identity and chip, but
# signed by a CA with the customer CA's name that is not the customer CA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/rogue-ca.key" \
	-subj "$(openssl x509 -in "$t/node/ca-cert.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" \
	-days 30 -out "$t/rogue-ca.pem" 2>>"$t/openssl.log"
forged "$t/fake-ca.b64" "sign:$t/rogue-ca.key:$t/rogue-ca.pem:$(tr -d '\n' <"$t/e15.keys/identity"):$(cat "$t/e15.chip")" \
	"$t/fake2.log"
expect_exit 19 "a forged answer (our key, identity and chip, signed by a look-alike CA) is refused" -- \
	enr e15 --est "$FAKE"
check "... because it does not chain to the customer CA; the store is still at generation 1" \
	bash -c "grep -q 'does not chain to the customer CA' '$t/err' &&
		readlink '$t/e15.store/current' | grep -q '^store-1-' && ! test -e '$t/e15.keys/customer-cert.pem'"
check "... the fake node issued for the device's own key (the refusal is the chain check)" \
	grep -q "simpleenroll" "$t/fake2.log"
check "the pending key was kept, unchanged, through both refusals" \
	cmp -s "$t/e15.pending1" "$t/e15.store/enroll-pending.pkg"
expect_exit 0 "e15 then enrolls with the real node" -- enr e15
check "... generation 2, the pending key removed" \
	bash -c "readlink '$t/e15.store/current' | grep -q '^store-2-' && ! test -e '$t/e15.store/enroll-pending.pkg'"

# ---- two-way: a node whose TLS chains to the anchor but whose cacerts
# names another CA (the look-alike) is refused before the device asks
openssl crl2pkcs7 -nocrl -certfile "$t/rogue-ca.pem" -outform DER | base64 >"$t/rogue-ca.b64"
forged "$t/rogue-ca.b64" "$t/fake-answer.b64" "$t/fake3.log"
expect_exit 19 "two-way: a customer CA outside the anchor (cacerts) is refused" -- \
	enr e16 --anchor "$t/node/ca-cert.pem" --est "$FAKE"
check "... the message names the anchor; only cacerts was asked (no challenge)" \
	bash -c "grep -q 'does not chain to the pinned anchor' '$t/err' && grep -q cacerts '$t/fake3.log' &&
		! grep -q challenge '$t/fake3.log'"
check "the same node without --anchor: its look-alike CA is believed, and the answer refused anyway" \
	bash -c "$(declare -f enr); ck='$ck' t='$t' EST='$EST' DB='$DB'
		enr e16 --est '$FAKE' >/dev/null 2>'$t/e16.err'; test \$? = 19 && grep -q 'not for the key' '$t/e16.err'"
expect_exit 10 "no node at the URL: exit 10 (network), the store unchanged" -- \
	enr e16 --est "https://localhost:1"
check "... generation 1" bash -c "readlink '$t/e16.store/current' | grep -q '^store-1-'"

# ---- the node killed mid-request: challenge answered, simpleenroll sent, no answer
forged "$t/fake-ca.b64" die "$t/fake-die.log"
expect_exit 10 "the node killed while it holds the simpleenroll request: exit 10 (no answer), not 21" -- \
	enr e16 --est "$FAKE"
check "... it was killed after reading simpleenroll; the store still at generation 1" \
	bash -c "grep -q 'POST /.well-known/est/simpleenroll' '$t/fake-die.log' &&
		readlink '$t/e16.store/current' | grep -q '^store-1-' && ! test -e '$t/e16.keys/customer-cert.pem'"

# ---- serverkeygen on the device: chipkey enroll --serverkeygen
for i in 41 42 43 44; do
	echo "00112233445566778899aabbccddee$i" >"$t/e$i.chip"
	provision "e$i" "00112233445566778899aabbccddee$i" "$i" && gen1 "e$i"
	tr -d '\n' <"$t/e$i.keys/identity"; echo
done >"$t/elist2"
expect_exit 0 "serverkeygen devices e41-e44 whitelisted" -- "$en" whitelist "$t/node" "$t/elist2"
# ledger_pem NAME: the certificate the ledger recorded for NAME's chip, and its operation
ledger_pem() {
	"$en" issuances "$t/node" --json | /usr/bin/python3 -c '
import json, sys
for i in json.load(sys.stdin):
    if i["chip_id"] == sys.argv[1]:
        print(i["certificate"], end=""); sys.stderr.write(i["operation"])' "$(cat "$t/$1.chip")" 2>"$t/$1.op" >"$t/$1.ledger.pem"
}
keymatch() {	# keymatch NAME: the stored customer key is the stored certificate's (openssl)
	test "$(openssl x509 -in "$t/$1.keys/customer-cert.pem" -noout -pubkey)" = \
		"$(openssl pkey -in "$t/$1.keys/customer-key.pem" -pubout)"
}
expect_exit 0 "e41 enrolls with --serverkeygen (the node makes the key)" -- enr e41 --serverkeygen
ledger_pem e41
check "... generation 2 in the store and the public database, no pending file left" \
	bash -c "readlink '$t/e41.store/current' | grep -q '^store-2-' && ! test -e '$t/e41.store/enroll-pending.pkg' &&
		curl -sf '$DB/v1/chips/$(cat "$t/e41.chip")/generations/2/backup' | cmp -s - '$t/e41.store/backup.pkg'"
check "... the stored key is the certificate's, which chains to the customer CA (openssl)" \
	bash -c "$(declare -f keymatch); t='$t'; keymatch e41 &&
		openssl verify -CAfile '$t/node/ca-cert.pem' '$t/e41.keys/customer-cert.pem' >/dev/null"
check "... the ledger: one issuance, by serverkeygen, the stored certificate" \
	bash -c "test \$($(declare -f issued); en=$en t=$t; issued e41) = 1 && test \"\$(cat '$t/e41.op')\" = serverkeygen &&
		cmp -s '$t/e41.ledger.pem' '$t/e41.keys/customer-cert.pem'"

# kill -9 once the answer is kept (keygen-pending): the re-run stores it, nothing asked
CHIPKEY_CRASH_AT=keygen-pending CK=$ckc enr e42 --serverkeygen >/dev/null 2>>"$t/crash.log"
check "e42: kill -9 at keygen-pending: killed, generation 1, the answer kept in the pending file" \
	bash -c "test $? = 137 && readlink '$t/e42.store/current' | grep -q '^store-1-' &&
		test -s '$t/e42.store/enroll-pending.pkg'"
expect_exit 0 "... the re-run (without --serverkeygen) finishes from the kept answer" -- enr e42
ledger_pem e42
check "... generation 2, one issuance (serverkeygen), the stored certificate is the ledger's and the key its key" \
	bash -c "$(declare -f keymatch); t='$t'; readlink '$t/e42.store/current' | grep -q '^store-2-' &&
		test \$($(declare -f issued); en=$en t=$t; issued e42) = 1 && test \"\$(cat '$t/e42.op')\" = serverkeygen &&
		cmp -s '$t/e42.ledger.pem' '$t/e42.keys/customer-cert.pem' && keymatch e42"

# kill -9 between the answer and keeping it (keygen-answer): the node
# re-delivers its recorded answer (the same envelope and certificate)
CHIPKEY_CRASH_AT=keygen-answer CK=$ckc enr e43 --serverkeygen >/dev/null 2>>"$t/crash.log"
check "e43: kill -9 at keygen-answer: killed, generation 1, no pending file, the node recorded it" \
	bash -c "test $? = 137 && readlink '$t/e43.store/current' | grep -q '^store-1-' &&
		! test -e '$t/e43.store/enroll-pending.pkg' && test \$($(declare -f issued); en=$en t=$t; issued e43) = 1"
expect_exit 0 "... the re-run (--serverkeygen) gets the recorded answer again and enrolls" -- enr e43 --serverkeygen
ledger_pem e43
check "... generation 2, still one issuance, the stored certificate is the ledger's and the key its key" \
	bash -c "$(declare -f keymatch); t='$t'; readlink '$t/e43.store/current' | grep -q '^store-2-' &&
		test \$($(declare -f issued); en=$en t=$t; issued e43) = 1 &&
		cmp -s '$t/e43.ledger.pem' '$t/e43.keys/customer-cert.pem' && keymatch e43"
envelopes() { sqlite3 "$t/node/enroll.db" "SELECT count(key_envelope) FROM issuance WHERE chip_id = '$(cat "$t/$1.chip")'"; }
check "... the node keeps e43's key envelope (for a re-delivery) until a renewal" test "$(envelopes e43)" = 1
sqlite3 "$t/node/enroll.db" "SELECT hex(key_envelope) FROM issuance WHERE chip_id = '$(cat "$t/e43.chip")'" \
	>"$t/e43.env.hex" 2>>"$t/setup.log"
expect_exit 0 "e43 renews (--renew, a key of its own)" -- enr e43 --renew
check "... the renewal dropped the envelope of the first key from the ledger" test "$(envelopes e43)" = 0
check "... and its bytes are in no file of the node directory (database, write-ahead log), the node still running" \
	/usr/bin/python3 - "$t/e43.env.hex" "$t/node" <<'EOF'
import os, sys
env = bytes.fromhex(open(sys.argv[1]).read().strip())
assert len(env) > 300
files = [os.path.join(d, f) for d, _, fs in os.walk(sys.argv[2]) for f in fs]
assert any(f.endswith('enroll.db') for f in files)
for f in files:
    data = open(f, 'rb').read()
    for part in (env, env[:64], env[-64:]):
        if part in data:
            sys.exit(f'{f} holds the envelope')
EOF

# forged serverkeygen answers (fake-est.py keygen:ENV:CERTS): the device's own checks
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>>"$t/openssl.log" |
	openssl pkcs8 -topk8 -nocrypt -outform DER -out "$t/fk.p8" 2>>"$t/openssl.log"
openssl cms -encrypt -binary -aes256 -outform DER -in "$t/fk.p8" -recip "$t/e44.keys/device-cert.pem" \
	-out "$t/fk-e44.env" 2>>"$t/openssl.log"
openssl cms -encrypt -binary -aes256 -outform DER -in "$t/fk.p8" -recip "$t/e11.keys/device-cert.pem" \
	-out "$t/fk-e11.env" 2>>"$t/openssl.log"
forged "$t/fake-ca.b64" "keygen:$t/fk-e44.env:$t/fake-answer.b64" "$t/fake-k1.log"
expect_exit 19 "--serverkeygen: a key for this device with another device's certificate is refused" -- \
	enr e44 --serverkeygen --est "$FAKE"
check "... not the certificate's key; nothing stored, no pending file" \
	bash -c "grep -q 'not for the key' '$t/err' && grep -q 'POST /.well-known/est/serverkeygen' '$t/fake-k1.log' &&
		readlink '$t/e44.store/current' | grep -q '^store-1-' && ! test -e '$t/e44.store/enroll-pending.pkg'"
forged "$t/fake-ca.b64" "keygen:$t/fk-e11.env:$t/fake-answer.b64" "$t/fake-k2.log"
expect_exit 19 "--serverkeygen: a key encrypted to another device's factory certificate is refused" -- \
	enr e44 --serverkeygen --est "$FAKE"
check "... it does not open with the factory key; nothing stored" \
	bash -c "grep -q 'does not open with the factory key' '$t/err' && readlink '$t/e44.store/current' | grep -q '^store-1-'"
forged "$t/fake-ca.b64" "$t/fake-answer.b64" "$t/fake-k3.log"
expect_exit 21 "--serverkeygen: a certs-only answer instead of the multipart is malformed (21)" -- \
	enr e44 --serverkeygen --est "$FAKE"
# a simpleenroll begun: --serverkeygen refuses to start another way
CHIPKEY_CRASH_AT=enroll-pending CK=$ckc enr e44 >/dev/null 2>>"$t/crash.log"
expect_exit 22 "--serverkeygen while a simpleenroll is pending: refused (22)" -- enr e44 --serverkeygen
check "... says so; no serverkeygen was asked of the node" \
	bash -c "grep -q 'a simpleenroll is pending' '$t/err' && test \$($(declare -f issued); en=$en t=$t; issued e44) = 0"
expect_exit 0 "... chipkey enroll finishes it (simpleenroll)" -- enr e44

# ---- files planted on the flash where enroll keeps its own (docs/enrollment.md
# steps 1 and 2, "The device side"): never a hang, never a lasting refusal
echo 00112233445566778899aabbccddee19 >"$t/e19.chip"
provision e19 00112233445566778899aabbccddee19 19 && gen1 e19
{ tr -d '\n' <"$t/e19.keys/identity"; echo; } >"$t/e19.list"
"$en" whitelist "$t/node" "$t/e19.list" >/dev/null 2>>"$t/setup.log"
mkfifo "$t/e19.store/enroll-pending.pkg"
expect_exit 0 "a FIFO planted as STORE/enroll-pending.pkg: enroll does not block on it, enrolls" -- \
	timeout 20 bash -c "$(declare -f enr); ck='$ck' t='$t' EST='$EST' DB='$DB'; enr e19"
check "... the FIFO was removed as no pending key (said so): generation 2, one issuance, no pending file" \
	bash -c "grep -q 'enroll-pending.pkg is not a regular file: removed' '$t/err' &&
		readlink '$t/e19.store/current' | grep -q '^store-2-' && ! test -e '$t/e19.store/enroll-pending.pkg' &&
		test \$($(declare -f issued); en=$en t=$t; issued e19) = 1"
rm -f "$t/e19.store/.update.lock"
mkdir -p "$t/e19.store/.update.lock/sub"
expect_exit 0 "a directory planted as STORE/.update.lock: enroll replaces it (not exit 8 for ever)" -- \
	timeout 20 bash -c "$(declare -f enr); ck='$ck' t='$t' EST='$EST' DB='$DB'; enr e19"
check "... STORE/.update.lock is a regular file again, the store still at generation 2" \
	bash -c "test -f '$t/e19.store/.update.lock' && ! test -L '$t/e19.store/.update.lock' &&
		readlink '$t/e19.store/current' | grep -q '^store-2-'"
rm -rf "$t/e19.store/.update.lock" && ln -s "$t/e19.elsewhere" "$t/e19.store/.update.lock"
expect_exit 0 "a symlink planted as STORE/.update.lock: replaced, not followed" -- \
	timeout 20 bash -c "$(declare -f enr); ck='$ck' t='$t' EST='$EST' DB='$DB'; enr e19"
check "... nothing created where it pointed, the lock a regular file" \
	bash -c "! test -e '$t/e19.elsewhere' && test -f '$t/e19.store/.update.lock' && ! test -L '$t/e19.store/.update.lock'"
# a regular file planted as the pending key (not a package this chip made):
# removed as no pending key, enrollment goes on (it was exit 8 for good)
echo 00112233445566778899aabbccddee20 >"$t/e20.chip"
provision e20 00112233445566778899aabbccddee20 20 && gen1 e20
{ tr -d '\n' <"$t/e20.keys/identity"; echo; } >"$t/e20.list"
"$en" whitelist "$t/node" "$t/e20.list" >/dev/null 2>>"$t/setup.log"
printf 'xx' >"$t/e20.store/enroll-pending.pkg"
expect_exit 0 "a 2-byte regular file planted as STORE/enroll-pending.pkg: removed as no pending key, enrolls" -- \
	timeout 20 bash -c "$(declare -f enr); ck='$ck' t='$t' EST='$EST' DB='$DB'; enr e20"
check "... said so; generation 2, one issuance" \
	bash -c "grep -q 'is not a pending key of this chip: removed' '$t/err' &&
		readlink '$t/e20.store/current' | grep -q '^store-2-' && test \$($(declare -f issued); en=$en t=$t; issued e20) = 1"
# the store path itself a symlink planted on the flash (to a directory with
# a .update.lock tree): enroll never follows it, touches nothing there
mkdir -p "$t/e20.victim/.update.lock/sub" && echo precious >"$t/e20.victim/.update.lock/sub/data"
mv "$t/e20.store" "$t/e20.store.real" && ln -s "$t/e20.victim" "$t/e20.store"
expect_exit 15 "the store path a symlink: enroll says the store is not trusted (15)" -- \
	timeout 20 bash -c "$(declare -f enr); ck='$ck' t='$t' EST='$EST' DB='$DB'; enr e20"
check "... and left what the symlink points at untouched" \
	bash -c "test \"\$(cat '$t/e20.victim/.update.lock/sub/data')\" = precious && test -L '$t/e20.store'"
rm -f "$t/e20.store" && mv "$t/e20.store.real" "$t/e20.store"
