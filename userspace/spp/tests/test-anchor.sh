#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The customer anchor through a whole SPP provisioning (issue 11, claim 4;
# docs/enrollment.md "The anchor from the factory"): a factory directory
# holding customer-anchor.pem makes chipkey-spp put that CA into the data
# package it seals to each chip (entry customer-anchor, 0x0023); the device
# provisioned by chipkey-agent then enrolls two-way without --anchor:
# a node of the customer's CA is accepted, a node of another CA refused
# (exit 19) in the TLS handshake, before anything is asked of it (without
# the anchor, one-way, that node would have enrolled the device: it is a
# working node that whitelists it).  Expected values come from
# openssl, curl and sqlite3.  TAP on stdout.
#
#   BUILD=.../build tests/test-anchor.sh
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
t=$(mktemp -d /tmp/chipkey-test-anchor-XXXXXX)
FAC=$t/fac
DBURL=sqlite:$t/factory.db
PUBURL=sqlite:$t/public.db
. "$(dirname "${BASH_SOURCE[0]}")/lib-provision.sh"
en=$bin/chipkey-enroll
trap 'kill_bg; [ "$failed" -gt 0 ] && tail -n 20 "$t"/*.log "$t"/*.out | sed "s|^|# |"; rm -rf "$t"' EXIT
exec 2>>"$t/script.log"

# start NAME LOG ARGS...: a server writing its port to $t/NAME.port
start() {
	local name=$1 log=$2; shift 2
	rm -f "$t/$name.port"
	"$@" --port-file "$t/$name.port" 2>>"$t/$log" &
	bg[$name]=$!
	wait_file "$t/$name.port"
}
# enr NAME NODE: chipkey enroll of chip NAME with NODE, no --anchor (output
# in $t/NAME-NODE.out)
enr() {
	"$bin/chipkey" --device "emu:$t/chips/$1.sock" enroll --est "https://localhost:$(cat "$t/$2.port")" \
		--store "$t/$1.store" --keys "$t/$1.keys" --db "$DB" >"$t/$1-$2.out" 2>&1
}
gen() { readlink "$t/$1.store/current" | sed -n 's/^store-\([0-9]*\)-.*/\1/p'; }

# ---- the customer's node and another (look-alike) node; the factory holds
# the customer's CA as its customer anchor
"$bin/chipkey-factory" identities --prefix 35888800 --count 20 >"$t/ids.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$FAC" --db "$DBURL" --pool "$t/ids.txt" >>"$t/factory.log" 2>&1
"$en" init "$t/node" --org "Example Customer" --mfr-ca "$FAC/mfr-ca.pem" >>"$t/enroll.log" 2>&1
"$en" init "$t/rogue" --org "Example Customer" --mfr-ca "$FAC/mfr-ca.pem" >>"$t/enroll.log" 2>&1
cp "$t/node/ca-cert.pem" "$FAC/customer-anchor.pem"
check "factory, the customer's node and a look-alike node (same organisation, its own CA)" \
	bash -c "test -s '$FAC/mfr-ca.pem' && test -s '$t/node/ca-cert.pem' && test -s '$t/rogue/ca-cert.pem' &&
		! cmp -s '$t/node/ca-cert.pem' '$t/rogue/ca-cert.pem'"

# ---- provisioning through the SPP
start spp spp.log "$bin/chipkey-spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" \
	--listen 127.0.0.1:0 --timeout 5
check "chipkey-spp starts on a factory holding customer-anchor.pem; its empty station CRL logged as 0 revoked (not -1)" \
	bash -c "test -s '$t/spp.port' && grep -q 'station CRL .* loaded: 0 revoked' '$t/spp.log'"
mkchip a1 || nok "emulator a1 starts"
"$bin/chipkey-agent" provision $(station) --spp "127.0.0.1:$(cat "$t/spp.port")" \
	--device "emu:$t/chips/a1.sock" --store "$t/a1.store" --timeout 5 >"$t/agent.out" 2>>"$t/agent.log"
check "chip a1 provisioned by chipkey-agent through chipkey-spp (exit $?), generation 1" \
	bash -c "test -n \"\$(sed -n 's/^provisioned: identity //p' '$t/agent.out')\" && test \"\$(readlink '$t/a1.store/current' | cut -d- -f2)\" = 1"
kill "${bg[spp]}"; wait "${bg[spp]}" 2>/dev/null; unset "bg[spp]"

"$bin/chipkey" --device "emu:$t/chips/a1.sock" load --store "$t/a1.store" --keys "$t/a1.keys" \
	>/dev/null 2>>"$t/load.log"
"$bin/chipkey" --device "emu:$t/chips/a1.sock" unwrap "$t/a1.store/current/backup.pkg" "$t/a1.dp" \
	2>>"$t/load.log"
check "the package the SPP sealed to a1 holds a customer-anchor entry: the customer's CA, byte for byte (openssl)" \
	bash -c "'$bin/chipkey-factory' dump '$t/a1.dp' 2>&1 | grep -q customer-anchor &&
		grep -q \"\$(openssl x509 -in '$t/node/ca-cert.pem' -outform DER | xxd -p | tr -d '\n')\" \
			<(xxd -p '$t/a1.dp' | tr -d '\n')"

# ---- enrollment without --anchor: the package's anchor decides
start pubdb pubdb.log "$bin/chipkey-pubdb" --db "$PUBURL" --listen 127.0.0.1:0 --writers "$FAC/mfr-ca.pem"
DB=http://127.0.0.1:$(cat "$t/pubdb.port")
tr -d '\n' <"$t/a1.keys/identity" >"$t/list"; echo >>"$t/list"
"$en" whitelist "$t/node" "$t/list" >>"$t/enroll.log" 2>&1
"$en" whitelist "$t/rogue" "$t/list" >>"$t/enroll.log" 2>&1
start rogue rogue.log "$en" serve "$t/rogue" --listen 127.0.0.1:0
enr a1 rogue
rc=$?
check "a1 enrolling with the look-alike node (whitelisted there too): refused by the package's anchor (exit $rc, want 19)" \
	bash -c "test $rc -eq 19 && grep -q 'peer certificate .*not OK' '$t/a1-rogue.out'"
check "... in the TLS handshake: the node saw no request, nothing issued there, a1 still at generation 1" \
	bash -c "! grep -q ' device ' '$t/rogue.log' && test -z \"\$('$en' issuances '$t/rogue' 2>/dev/null | grep -v '^#')\" && test '$(gen a1)' = 1"
start node node.log "$en" serve "$t/node" --listen 127.0.0.1:0
enr a1 node
rc=$?
check "a1 enrolling with the customer's node, no --anchor: enrolled (exit $rc)" \
	bash -c "test $rc -eq 0 && grep -q '^enrolled: identity' '$t/a1-node.out'"
check "... generation 2 published, the customer certificate chains to the customer CA (openssl verify)" \
	bash -c "test '$(gen a1)' = 2 && openssl verify -CAfile '$t/node/ca-cert.pem' '$t/a1.keys/customer-cert.pem' >/dev/null &&
		test \"\$(sqlite3 -batch '$t/public.db' \"SELECT max(generation) FROM public_records WHERE chip_id = x'${chip_hex[a1]}'\")\" = 2"
echo "1..$n"
[ "$failed" -eq 0 ]
