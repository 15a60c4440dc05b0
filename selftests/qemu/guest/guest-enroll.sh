#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Customer CA enrollment (docs/enrollment.md, issue 11) in the chipkey test
# VM, sourced by guest-recovery.sh (restore boot) and guest-systemd.sh (the
# systemd boots): a customer node, chipkey-enroll, on the guest's loopback,
# whose manufacturer CA is the factory's of the provision boot, and the
# device side, `chipkey enroll`, through the real /dev/chipkey.  Uses
# guest-lib.sh (check, expect, blob, start_daemon, $STORE $KEYS $FAC) and
# the caller's $URL (the public database) and $hex (the chip ID).
# Hands to the host: ENROLL-LEDGER (chipkey-enroll issuances --json),
# ENROLL-CERT (the device's customer-cert.pem), ENROLL-CA (the node's
# ca-cert.pem); the host compares them (recovery.sh check_enroll).
NODE=/tmp/node

# enr_gen DIR: the generation of the flash store DIR (its current link)
enr_gen() { readlink "$1/current" 2> /dev/null | sed -n 's/^store-\([0-9]*\)-.*/\1/p'; }

# node_init: a customer node directory (its CA, TLS credential, ledger)
node_init() {
	rm -rf "$NODE" &&
	chipkey-enroll init "$NODE" --org "chipkey VM customer" --mfr-ca "$FAC/mfr-ca.pem" > /dev/null
}

# node_serve [PORT]: chipkey-enroll serve on 127.0.0.1:PORT (default: any
# free port), under the factory's two CRLs; sets EST (https://localhost:PORT,
# the name of the node's TLS certificate; curl resolves localhost to the
# loopback itself)
node_serve() {
	start_daemon /tmp/enroll.port /tmp/enroll.log chipkey-enroll serve "$NODE" \
		--listen "127.0.0.1:${1:-0}" --port-file /tmp/enroll.port \
		--crl "$FAC/root-crl.pem" --crl "$FAC/station-crl.pem" &&
		EST=https://localhost:$(cat /tmp/enroll.port)
}

# whitelist_device ID CHIP: the shipment list line "ID CHIP" imported
whitelist_device() {
	echo "$1 $2" > /tmp/shipment.txt && chipkey-enroll whitelist "$NODE" /tmp/shipment.txt
}

# issued_lines: the ledger's issuance lines (text form) for chip $hex
# shellcheck disable=SC2154 # hex: set by the caller
issued_lines() { chipkey-enroll issuances "$NODE" | grep -c " $hex "; }

# enroll_device: chipkey enroll, two-way (the node's CA as --anchor),
# through /dev/chipkey, with the restored store and keys
enroll_device() {
	chipkey enroll --est "$EST" --anchor "$NODE/ca-cert.pem" --store "$STORE" --keys "$KEYS" \
		--db "$URL" "$@"
}

# second_simpleenroll: the device asks the node again as standard clients
# would (curl with its factory certificate, openssl req, the chip proof by
# the real chip through `chipkey attest`), for a new key; prints the HTTP
# status of the simpleenroll (the node's answer in /tmp/again.resp)
second_simpleenroll() {
	_tls="--tlsv1.3 --cacert $NODE/ca-cert.pem --cert $KEYS/device-cert.pem --key $KEYS/device-key.pem"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /tmp/again.key \
		-subj /CN=again -outform DER | base64 > /tmp/again.csr
	# shellcheck disable=SC2086 # $_tls: the options, split on purpose
	_code=$(curl -s $_tls -o /tmp/again.chal -w '%{http_code}' -X POST "$EST/chipkey/v1/challenge")
	echo "# second enrollment: challenge HTTP $_code" >&2
	[ "$_code" = 200 ] || { echo "challenge-$_code"; return; }
	_nonce=$(awk '$1 == "nonce" { print $2 }' /tmp/again.chal)
	awk '$1 == "peer" { print $2 }' /tmp/again.chal > /tmp/again.peer
	{
		printf '%s' "chipkey est enroll v1"
		printf '%s' "$_nonce" | xxd -r -p
		openssl x509 -in "$KEYS/device-cert.pem" -outform DER | openssl dgst -sha256 -binary
		openssl pkey -in /tmp/again.key -pubout -outform DER | openssl dgst -sha256 -binary
	} > /tmp/again.ctx
	_mac=$(chipkey attest --peer /tmp/again.peer --context /tmp/again.ctx)
	# shellcheck disable=SC2086
	curl -s $_tls -o /tmp/again.resp -w '%{http_code}' -H "Chipkey-Attest: $_nonce $_mac" \
		-H "Content-Type: application/pkcs10" --data-binary @/tmp/again.csr \
		"$EST/.well-known/est/simpleenroll"
}

# enroll_through_module: the whole story on the restored device (the
# restore boot, after its pairing): refused before it is whitelisted,
# enrolled once, refused a second issuance, restored with the customer
# set byte for byte
enroll_through_module() {
	_id=$(cat "$STORE/identity" 2> /dev/null)
	_g0=$(enr_gen "$STORE")
	check "customer node: chipkey-enroll init, the factory's manufacturer CA imported" node_init
	check "customer node: chipkey-enroll serve on 127.0.0.1 (TLS 1.3, --crl the factory's root and issuing-CA CRLs)" \
		node_serve
	echo "# enrollment: device $_id chip $hex generation $_g0, node $EST"
	expect 20 "chipkey enroll (/dev/chipkey) before the device is on the whitelist: the node refuses (403)" \
		enroll_device
	check "... nothing issued, the store still at generation $_g0" \
		test "$(issued_lines)" = 0 -a "$(enr_gen "$STORE")" = "$_g0"
	expect 0 "whitelist the device (identity and chip ID, one shipment-list line)" \
		whitelist_device "$_id" "$hex"
	expect 0 "chipkey enroll --est $EST --anchor <customer CA> (two-way) through /dev/chipkey" enroll_device
	sed 's/^/#   /' /tmp/last.out | head -4
	check "... the flash store moved to generation $((_g0 + 1))" test "$(enr_gen "$STORE")" = "$((_g0 + 1))"
	check "... the public database holds generation $((_g0 + 1)), its backup the store's" sh -c "
		curl -sf '$URL/v1/chips/$hex/generations/$((_g0 + 1))/backup' | cmp -s - '$STORE/backup.pkg'"
	chipkey-enroll issuances "$NODE" > /tmp/issuances.txt 2> /dev/null
	sed 's/^/#   issuance: /' /tmp/issuances.txt
	check "... the ledger: one issuance, for this identity and chip, by simpleenroll" sh -c "
		test \$(wc -l < /tmp/issuances.txt) = 1 && grep -q '^$_id $hex .* simpleenroll\$' /tmp/issuances.txt"
	check "... keys directory: customer-key.pem (0600), customer-cert.pem for that key, customer-ca.pem the node's CA" \
		sh -c "test \"\$(stat -c %a '$KEYS/customer-key.pem')\" = 600 &&
			test \"\$(openssl x509 -in '$KEYS/customer-cert.pem' -noout -pubkey)\" = \
				\"\$(openssl pkey -in '$KEYS/customer-key.pem' -pubout)\" &&
			cmp -s '$KEYS/customer-ca.pem' '$NODE/ca-cert.pem'"
	expect 0 "openssl verify -CAfile <customer CA> accepts the customer certificate (in the guest)" \
		openssl verify -CAfile "$NODE/ca-cert.pem" "$KEYS/customer-cert.pem"
	chipkey-enroll issuances "$NODE" --json > /tmp/ledger.json 2> /dev/null
	blob ENROLL-LEDGER /tmp/ledger.json
	blob ENROLL-CERT "$KEYS/customer-cert.pem"
	blob ENROLL-CA "$NODE/ca-cert.pem"
	info enroll-identity "$_id"
	expect 0 "chipkey enroll again: already enrolled, exit 0" enroll_device
	check "... still generation $((_g0 + 1)) and one issuance" \
		test "$(enr_gen "$STORE")" = "$((_g0 + 1))" -a "$(issued_lines)" = 1
	_code=$(second_simpleenroll 2> /tmp/again.err)
	sed 's/^/#   /' /tmp/again.err
	echo "#   node: $(head -c 200 /tmp/again.resp 2> /dev/null)"
	check "a second simpleenroll by this device (curl, the real chip's proof, a new key): the node refuses, 409 (HTTP $_code)" \
		test "$_code" = 409
	check "... still one issuance in the ledger" test "$(issued_lines)" = 1
	# recovery after enrollment: the customer set comes back from the
	# public database
	rm -rf /tmp/enrolled-keys && cp -a "$KEYS" /tmp/enrolled-keys && rm -rf "$STORE" "$KEYS"
	expect 0 "flash store and keys wiped: chipkey recover --db restores the enrolled device" \
		chipkey recover --db "$URL" --store "$STORE" --keys "$KEYS"
	check "... generation $((_g0 + 1)); customer key, certificate and CA byte for byte, factory credential kept" sh -c "
		test \"\$(readlink '$STORE/current' | sed -n 's/^store-\([0-9]*\)-.*/\1/p')\" = $((_g0 + 1)) &&
		for f in customer-key.pem customer-cert.pem customer-ca.pem identity device-key.pem device-cert.der; do
			cmp -s /tmp/enrolled-keys/\$f '$KEYS/'\$f || exit 1
		done"
}
