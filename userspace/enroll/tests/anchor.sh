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
cat "$t/node/ca-cert.pem" "$t/rogue-ca.pem" >"$t/fac/customer-anchor.pem"
expect_exit 6 "... nor one whose customer-anchor.pem holds two CA certificates (one would be dropped)" -- \
	"$bin/chipkey-factory" package "$t/fac" --identity "$ID1" --chip-id 00112233445566778899aabbccddee99 \
	--out "$t/nca.dp"
rm -f "$t/fac/customer-anchor.pem"
"$bin/chipkey-factory" package "$t/fac" --identity "$ID1" --chip-id 00112233445566778899aabbccddee99 \
	--out "$t/plain.dp" >/dev/null 2>&1
check "a factory without customer-anchor.pem: no customer-anchor entry" \
	bash -c "! '$bin/chipkey-factory' dump '$t/plain.dp' 2>&1 | grep -q customer-anchor"

: >"$t/anchored.list"
anchored e51 00112233445566778899aabbccddee51 51 "$t/node/ca-cert.pem"
anchored e52 00112233445566778899aabbccddee52 52 "$t/rogue-ca.pem"
expect_exit 0 "e51 (anchor: the customer's CA) and e52 (anchor: another CA) provisioned and whitelisted" -- \
	"$en" whitelist "$t/node" "$t/anchored.list"
check "e51's data package holds a customer-anchor entry, the customer's CA byte for byte (openssl)" \
	bash -c "'$bin/chipkey-factory' dump '$t/e51.dp' 2>&1 | grep -q customer-anchor &&
		grep -c \"\$(openssl x509 -in '$t/node/ca-cert.pem' -outform DER | xxd -p | tr -d '\n' | cut -c1-64)\" \
			<(xxd -p '$t/e51.dp' | tr -d '\n') >/dev/null"
forged "$t/rogue-ca.b64" "$t/fake-answer.b64" "$t/fake4.log"
expect_exit 19 "e51, no --anchor, a node whose cacerts is a look-alike CA: refused by the package's anchor" -- \
	enr e51 --est "$FAKE"
check "... the message names the anchor; only cacerts was asked (no challenge); generation 1" \
	bash -c "grep -q 'does not chain to the pinned anchor' '$t/err' && grep -q cacerts '$t/fake4.log' &&
		! grep -q challenge '$t/fake4.log' && readlink '$t/e51.store/current' | grep -q '^store-1-'"
expect_exit 19 "the same through chipkey-boot enroll without CHIPKEY_EST_ANCHOR: the package's anchor holds" -- \
	boot_enroll e51 "CHIPKEY_EST=$FAKE" "CHIPKEY_PUBDB=$DB"
check "... the log says two-way with the data package's anchor; generation 1" \
	bash -c "grep -q \"two-way with the data package's anchor\" '$t/boot.err' &&
		readlink '$t/e51.store/current' | grep -q '^store-1-'"
cp -a "$t/e51.store" "$t/e51.g1.store"
# enrolled with /proc hidden (a tmpfs over it, its own mount namespace):
# the anchor reaches curl in memory, not as a /proc/self/fd path
noproc() {
	unshare -m bash -c "mount -t tmpfs none /proc && test ! -e /proc/self && $(declare -f enr) &&
		ck='$ck' t='$t' EST='$EST' DB='$DB' && enr $*"
}
expect_exit 0 "e51, no --anchor, the real node, no /proc: enrolls (two-way with the package's anchor)" -- noproc e51
check "... generation 2, the customer certificate chains to the customer CA (openssl), one issuance" \
	bash -c "readlink '$t/e51.store/current' | grep -q '^store-2-' &&
		openssl verify -CAfile '$t/node/ca-cert.pem' '$t/e51.keys/customer-cert.pem' >/dev/null &&
		test \$($(declare -f issued); en='$en' t='$t'; issued e51) = 1"
check "... the anchor entry is kept in generation 2 (recovered data package)" \
	bash -c "'$ck' --device 'emu:$t/e51.sock' unwrap '$t/e51.store/backup.pkg' '$t/e51.g2.dp' 2>/dev/null &&
		'$bin/chipkey-factory' dump '$t/e51.g2.dp' 2>&1 | grep -q customer-anchor"
expect_exit 19 "e52 (its package's anchor is another CA), no --anchor, the real node: refused before anything is sent" -- \
	enr e52
check "... nothing issued, generation 1" \
	bash -c "test \$($(declare -f issued); en='$en' t='$t'; issued e52) = 0 &&
		readlink '$t/e52.store/current' | grep -q '^store-1-'"
expect_exit 1 "e52 --anchor FILE that does not exist: usage error, nothing sent" -- \
	enr e52 --anchor "$t/no-such-anchor.pem"
cat "$t/node/ca-cert.pem" "$t/rogue-ca.pem" >"$t/two-anchors.pem"
expect_exit 6 "e52 --anchor FILE holding two CA certificates (the customer's first): refused, not one trusted silently" -- \
	enr e52 --anchor "$t/two-anchors.pem"
check "... says so" grep -q 'not one CA certificate' "$t/err"
expect_exit 6 "e52 --anchor FILE holding a certificate that is not a CA (a device's): refused" -- \
	enr e52 --anchor "$t/not-a-ca.pem"
check "... nothing issued to e52 by any of these, generation 1" \
	bash -c "test \$($(declare -f issued); en='$en' t='$t'; issued e52) = 0 &&
		readlink '$t/e52.store/current' | grep -q '^store-1-'"
expect_exit 0 "e52 with --anchor (the customer's CA): --anchor wins over the package's" -- \
	enr e52 --anchor "$t/node/ca-cert.pem"

# an older flash image put back (generation 1 while the database holds 2):
# refused before the node is asked, nothing changed
cp -a "$t/e51.g1.store" "$t/e51.old.store"
expect_exit 13 "e51's generation-1 store put back after enrolling (database at 2): exit 13" -- \
	enr e51 --store "$t/e51.old.store"
check "... says to recover first; that store unchanged (diff -r); still one issuance" \
	bash -c "grep -q 'recover' '$t/err' && diff -r -x .update.lock '$t/e51.g1.store' '$t/e51.old.store' >/dev/null &&
		test \$($(declare -f issued); en='$en' t='$t'; issued e51) = 1"

# --renew pins the package's anchor too: e52 (its package names another
# CA) enrolled only because --anchor overrode it; renewing without
# --anchor is refused at TLS, with it the renewal goes through
expect_exit 19 "e52 --renew without --anchor: the package's anchor (another CA) refuses the real node" -- \
	enr e52 --renew
expect_exit 0 "e51 --renew (package anchor: the customer's CA): renewed" -- enr e51 --renew
check "... generation 3 still holds the customer-anchor entry" \
	bash -c "readlink '$t/e51.store/current' | grep -q '^store-3-' &&
		'$ck' --device 'emu:$t/e51.sock' unwrap '$t/e51.store/backup.pkg' '$t/e51.g3.dp' 2>/dev/null &&
		'$bin/chipkey-factory' dump '$t/e51.g3.dp' 2>&1 | grep -q customer-anchor"

# A package whose customer-anchor entry is not a CA certificate (the
# factory refuses to write one; made here by hand following
# docs/data-package.md): the device stops before any request, exit 6
dp_append() {	# dp_append IN OUT TYPE VALUE-FILE: one entry appended, total length fixed
	/usr/bin/python3 - "$@" <<'PY'
import struct, sys
src, dst, typ, val = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), open(sys.argv[4], 'rb').read()
d = bytearray(open(src, 'rb').read())
d += struct.pack('>HHI', typ, 0, len(val)) + val
d[12:16] = struct.pack('>I', len(d))
open(dst, 'wb').write(d)
PY
}
echo 00112233445566778899aabbccddee53 >"$t/e53.chip"
provision e53 00112233445566778899aabbccddee53 53
openssl x509 -in "$t/e11.keys/device-cert.pem" -outform DER -out "$t/leaf.der"
dp_append "$t/e53.dp" "$t/e53.x.dp" 0x0023 "$t/leaf.der" &&
	"$ck" --device "emu:$t/e53.sock" wrap --generation 1 "$t/e53.x.dp" "$t/e53.pkg" 2>>"$t/setup.log" &&
	rm -rf "$t/e53.store" &&
	"$ck" --device "emu:$t/e53.sock" recover --from "$t/e53.pkg" --store "$t/e53.store" \
		--keys "$t/e53.keys" >/dev/null 2>>"$t/setup.log" && gen1 e53
{ tr -d '\n' <"$t/e53.keys/identity"; echo; } >"$t/e53.list"
expect_exit 0 "e53: its package's customer-anchor entry is a device certificate (not a CA), whitelisted" -- \
	"$en" whitelist "$t/node" "$t/e53.list"
expect_exit 6 "e53 enrolls: refused before any request (exit 6, not 10: never retried)" -- enr e53
check "... says why; nothing issued; generation 1" \
	bash -c "grep -q 'not one CA certificate' '$t/err' &&
		test \$($(declare -f issued); en='$en' t='$t'; issued e53) = 0 &&
		readlink '$t/e53.store/current' | grep -q '^store-1-'"
