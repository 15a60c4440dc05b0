# SPDX-License-Identifier: GPL-2.0
#
# The anchor from the factory (docs/enrollment.md): a factory directory
# holding customer-anchor.pem puts that CA into every data package it
# builds (entry customer-anchor, 0x0023), and `chipkey enroll` without
# --anchor is then two-way.  Sourced by run.sh after device.sh (its node,
# database, fake node, gen1, enr and issued).
anchored() {	# anchored NAME CHIP N ANCHOR.pem: provision with the factory holding ANCHOR
	cp "$4" "$t/fac/customer-anchor.pem"
	echo "$2" >"$t/$1.chip"
	provision "$1" "$2" "$3" && gen1 "$1"
	local rc=$?
	rm -f "$t/fac/customer-anchor.pem"
	{ tr -d '\n' <"$t/$1.keys/identity"; echo; } >>"$t/anchored.list"
	return $rc
}
openssl x509 -in "$t/e11.keys/device-cert.pem" -out "$t/not-a-ca.pem"
cp "$t/not-a-ca.pem" "$t/fac/customer-anchor.pem"
expect_exit 6 "a factory whose customer-anchor.pem is not a CA certificate builds no package (exit 6)" -- \
	"$bin/chipkey-factory" package "$t/fac" --identity "$ID1" --chip-id 00112233445566778899aabbccddee99 \
	--out "$t/nca.dp"
check "... it says it cannot open the factory; no package written" \
	bash -c "grep -q 'open factory' '$t/err' && test ! -e '$t/nca.dp'"
echo garbage >"$t/fac/customer-anchor.pem"
expect_exit 6 "... nor one whose customer-anchor.pem is not a certificate" -- \
	"$bin/chipkey-factory" package "$t/fac" --identity "$ID1" --chip-id 00112233445566778899aabbccddee99 \
	--out "$t/nca.dp"
rm -f "$t/fac/customer-anchor.pem"
"$bin/chipkey-factory" package "$t/fac" --identity "$ID1" --chip-id 00112233445566778899aabbccddee99 \
	--out "$t/plain.dp" >/dev/null 2>&1
check "a factory without customer-anchor.pem: no customer-anchor entry" \
	bash -c "! '$bin/chipkey-factory' dump '$t/plain.dp' 2>&1 | grep -q customer-anchor"

: >"$t/anchored.list"
anchored e41 00112233445566778899aabbccddee41 41 "$t/node/ca-cert.pem"
anchored e42 00112233445566778899aabbccddee42 42 "$t/rogue-ca.pem"
expect_exit 0 "e41 (anchor: the customer's CA) and e42 (anchor: another CA) provisioned and whitelisted" -- \
	"$en" whitelist "$t/node" "$t/anchored.list"
check "e41's data package holds a customer-anchor entry, the customer's CA byte for byte (openssl)" \
	bash -c "'$bin/chipkey-factory' dump '$t/e41.dp' 2>&1 | grep -q customer-anchor &&
		grep -c \"\$(openssl x509 -in '$t/node/ca-cert.pem' -outform DER | xxd -p | tr -d '\n' | cut -c1-64)\" \
			<(xxd -p '$t/e41.dp' | tr -d '\n') >/dev/null"
forged "$t/rogue-ca.b64" "$t/fake-answer.b64" "$t/fake4.log"
expect_exit 19 "e41, no --anchor, a node whose cacerts is a look-alike CA: refused by the package's anchor" -- \
	enr e41 --est "$FAKE"
check "... the message names the anchor; only cacerts was asked (no challenge); generation 1" \
	bash -c "grep -q 'does not chain to the pinned anchor' '$t/err' && grep -q cacerts '$t/fake4.log' &&
		! grep -q challenge '$t/fake4.log' && readlink '$t/e41.store/current' | grep -q '^store-1-'"
expect_exit 0 "e41, no --anchor, the real node: enrolls (two-way with the package's anchor)" -- enr e41
check "... generation 2, the customer certificate chains to the customer CA (openssl), one issuance" \
	bash -c "readlink '$t/e41.store/current' | grep -q '^store-2-' &&
		openssl verify -CAfile '$t/node/ca-cert.pem' '$t/e41.keys/customer-cert.pem' >/dev/null &&
		test \$($(declare -f issued); en='$en' t='$t'; issued e41) = 1"
check "... the anchor entry is kept in generation 2 (recovered data package)" \
	bash -c "'$ck' --device 'emu:$t/e41.sock' unwrap '$t/e41.store/backup.pkg' '$t/e41.g2.dp' 2>/dev/null &&
		'$bin/chipkey-factory' dump '$t/e41.g2.dp' 2>&1 | grep -q customer-anchor"
expect_exit 19 "e42 (its package's anchor is another CA), no --anchor, the real node: refused before anything is sent" -- \
	enr e42
check "... nothing issued, generation 1" \
	bash -c "test \$($(declare -f issued); en='$en' t='$t'; issued e42) = 0 &&
		readlink '$t/e42.store/current' | grep -q '^store-1-'"
expect_exit 0 "e42 with --anchor (the customer's CA): --anchor wins over the package's" -- \
	enr e42 --anchor "$t/node/ca-cert.pem"
