#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey pair --directory URL end to end on loopback (docs/pairing.md
# "Directory and CRL checks"): the device asks the public database for the
# factory's record (generation 1) of the peer's chip and refuses the peer
# unless that record is signed by the manufacturer's record signer and
# names the peer's identity and device certificate.  Devices a, b (their
# generation 1 published by the factory's record signer), n (never
# published in that database), k (published) and kc (a second certificate
# the factory issued for k's chip: with a's identity, or with k's
# identity and another key); then the attacks: no record, a record naming
# another certificate or identity, the directory unreachable, and a fake
# directory (python3 http.server) serving garbage, an unsigned record, a
# record the peer signed itself, one signed by another manufacturer's
# record signer, and another chip's genuine record; with --crl, a revoked
# record signer.  Nothing may be kept
# on either side when refused.  TAP.
#
#   pair/tests/test-directory.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
ck=$A/bin/chipkey bin=$B/bin
records=$here/records.py
. "$here/lib.sh"	# make_test_dir, cleanup, chip, provision, pair_ok, ...
make_test_dir directory
gens() { for n in a b n k kc; do printf '%s=%s ' "$n" "$(gen $n)"; done; }

# ---- the factory, the genuine database (the directory), another one
factory fac && factory fac2 --org "Other Maker"
pubdb_start fac fac2
GDB=$DB
"$bin/chipkey-pubdb" --db "sqlite:$t/other.db" --listen 127.0.0.1:0 --writers "$t/writers.pem" \
	--port-file "$t/other.port" 2>>"$t/pubdb.log" &
pids+=($!)
wait_for "$t/other.port" .
ODB=http://127.0.0.1:$(cat "$t/other.port")
CA=00112233445566778899aabbccddeeff CB=ffeeddccbbaa99887766554433221100
CN=0123456789abcdef0123456789abcdef CK=fedcba9876543210fedcba9876543210
for n in a:$CA b:$CB n:$CN k:$CK; do echo "${n#*:}" >"$t/${n%%:*}.chipid"; done
provision a "$t/fac" $CA 1 && provision b "$t/fac" $CB 2 && provision k "$t/fac" $CK 5 &&
	DB=$ODB provision n "$t/fac" $CN 3	# n's generation 1 is in another database only
IA=$(tr -d '\n' <"$t/a.keys/identity") IB=$(tr -d '\n' <"$t/b.keys/identity")
IK=$(tr -d '\n' <"$t/k.keys/identity")
check "a, b, k published in the directory, n only in another database (curl)" \
	bash -c "curl -sf -o /dev/null '$GDB/v1/chips/$CA/generations/1/record' &&
		curl -sf -o /dev/null '$GDB/v1/chips/$CK/generations/1/record' &&
		! curl -sf -o /dev/null '$GDB/v1/chips/$CN/generations/1/record' &&
		curl -sf -o /dev/null '$ODB/v1/chips/$CN/generations/1/record' &&
		[ '$(gens)' = 'a=1 b=1 n=1 k=1 kc= ' ]"

# kc: k's chip (so it answers ATTEST as the chip its certificate names),
# with a second genuine certificate the factory issued for that chip: $1
# the identity.  Its own flash store and keys directory.
second_cert() {
	rm -rf "$t/kc.store" "$t/kc.keys" "$t/kc.dp" "$t/kc.pkg" "$t/kc.sock"
	ln -s "$t/k.sock" "$t/kc.sock" &&
	"$bin/chipkey-factory" package "$t/fac" --identity "$1" --chip-id $CK \
		--attest-key "$t/k.q.pem" --out "$t/kc.dp" >/dev/null 2>>"$t/setup.log" &&
	"$ck" --device "emu:$t/k.sock" wrap --generation 1 "$t/kc.dp" "$t/kc.pkg" 2>>"$t/setup.log" &&
	"$ck" --device "emu:$t/k.sock" recover --from "$t/kc.pkg" --store "$t/kc.store" \
		--keys "$t/kc.keys" >/dev/null 2>>"$t/setup.log"
}

# ---- a genuine peer with its record: pairs (both sides check)
pair_start ok a b --directory "$GDB" -- --directory "$GDB"
wait_for "$t/ok.l.out" '^code:' && wait_for "$t/ok.c.out" '^code:'
answer ok l y; answer ok c y
pair_wait
check "genuine peers, both with --directory: both exit 0 ($lrc, $crc), generation 2 on both" \
	test "$lrc/$crc/$(gen a)/$(gen b)" = 0/0/2/2
check "... both print the code (the directory check came first and passed)" \
	bash -c "grep -q '^code:' '$t/ok.l.out' && grep -q '^code:' '$t/ok.c.out'"

# ---- a peer whose chip has no record in the directory: refused
G0=$(gens)
cp -a "$t/n.store" "$t/n.before.store"; cp -a "$t/b.store" "$t/b.before.store"
pair_start nl b n --directory "$GDB" -- --db "$ODB"
pair_wait
check "n (never published in the directory) connecting: b refuses, exit 19 ($lrc); n's session fails, exit 21 ($crc)" \
	both '[ $lrc = 19 ] && [ $crc = 21 ]'
check "... b says why: the directory has no record of n's chip, and no code was shown" \
	bash -c "grep -q 'directory refuses the peer.*has no .*$CN' '$t/nl.l.err' &&
		! grep -q '^code:' '$t/nl.l.out' && ! grep -q '^code:' '$t/nl.c.out'"
pair_start nc n b --db "$ODB" -- --directory "$GDB"
pair_wait
check "n listening, b connecting with --directory: b refuses, exit 19 ($crc), nothing stored" \
	both '[ $crc = 19 ] && [ $lrc != 0 ]'
check "... both flash stores byte for byte as before (diff -r)" \
	eval 'same_store "$t/n.store" "$t/n.before.store" && same_store "$t/b.store" "$t/b.before.store"'
pair_start nn b n -- --db "$ODB"
wait_for "$t/nn.l.out" '^code:' && answer nn l n
pair_wait
check "control: without --directory, b and n get as far as the code (b's person refuses)" \
	both "grep -q '^code:' '$t/nn.l.out' && [ $lrc = 20 ]"

# ---- the directory holds a record for the chip, naming another certificate
second_cert "$IA"
check "kc: a second certificate for k's chip, with a's identity (the identity copied to another chip)" \
	bash -c "openssl x509 -in '$t/kc.keys/device-cert.pem' -noout -subject | grep -q '$IA' &&
		! cmp -s '$t/kc.keys/device-cert.der' '$t/a.keys/device-cert.der'"
G0=$(gens)
pair_start kc1 b kc --directory "$GDB" -- --keys "$t/kc.keys" --store "$t/kc.store"
pair_wait
check "b refuses kc (the record of its chip names k's identity): exit 19 ($lrc), nothing stored" \
	both "[ $lrc = 19 ] && [ $crc != 0 ] && grep -q 'names identity $IK, the peer presents $IA' '$t/kc1.l.err'"
second_cert "$IK"
check "kc: a second certificate for k's chip with k's own identity (another key)" \
	bash -c "openssl x509 -in '$t/kc.keys/device-cert.pem' -noout -subject | grep -q '$IK' &&
		! cmp -s '$t/kc.keys/device-cert.der' '$t/k.keys/device-cert.der'"
G0=$(gens)
pair_start kc2 kc b --keys "$t/kc.keys" --store "$t/kc.store" -- --directory "$GDB"
pair_wait
check "b connecting refuses it (the record names another device certificate): exit 19 ($crc)" \
	both "[ $crc = 19 ] && [ $lrc != 0 ] && grep -q 'another device certificate' '$t/kc2.c.err'"
pair_start kc3 b k --directory "$GDB" --
wait_for "$t/kc3.l.out" '^code:' && answer kc3 l n
pair_wait
check "control: k itself, with the certificate of its record, passes b's check (b's person refuses)" \
	both "grep -q '^code:' '$t/kc3.l.out' && [ $lrc = 20 ]"

# ---- the directory unreachable: fail closed
G0=$(gens)
pair_start un a b --directory http://127.0.0.1:1 --timeout 3 --
pair_wait
check "directory unreachable (nothing listening): a refuses b, exit 10 ($lrc), nothing stored" \
	both "[ $lrc = 10 ] && [ $crc != 0 ] && grep -q 'directory refuses.*unreachable' '$t/un.l.err'"
expect_exit 1 "--directory that is not an http(s) URL: exit 1 before any contact" -- \
	"$ck" --device "emu:$t/a.sock" pair connect 127.0.0.1:1 --keys "$t/a.keys" \
	--store "$t/a.store" --directory ftp://127.0.0.1/

# ---- a fake directory: python3 http.server on 127.0.0.1 serving files
mkdir -p "$t/fake"
/usr/bin/python3 -c "
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory='$t/fake')
s = http.server.HTTPServer(('127.0.0.1', 0), h)
open('$t/fake.port', 'w').write(str(s.server_address[1]))
s.serve_forever()" 2>>"$t/fake.log" &
pids+=($!)
wait_for "$t/fake.port" .
FDB=http://127.0.0.1:$(cat "$t/fake.port")
# serve FILE: FILE as the directory's record of b's chip
serve() { mkdir -p "$t/fake/v1/chips/$CB/generations/1" && cp "$1" "$t/fake/v1/chips/$CB/generations/1/record"; }
# fake RUN: a (listening, --directory the fake) and b; $refused: a refused
# (exit 19), b failed, nothing kept on either
fake() {
	G0=$(gens)
	pair_start "$1" a b --directory "$FDB" --timeout 10 --
	pair_wait
	refused=no
	[ "$lrc" = 19 ] && [ "$crc" != 0 ] && unchanged && ! grep -q '^code:' "$t/$1.l.out" &&
		refused=yes
}
curl -sf -o "$t/b.rec" "$GDB/v1/chips/$CB/generations/1/record" && serve "$t/b.rec"
pair_start fok a b --directory "$FDB" --timeout 10 --
wait_for "$t/fok.l.out" '^code:' && answer fok l n
pair_wait
check "control: the fake directory serving b's genuine record (copied): a's check passes" \
	both "grep -q '^code:' '$t/fok.l.out' && [ $lrc = 20 ]"
# a void entry of b's generation 1 next to it, signed by another
# manufacturer's root (fac2): not believed, and not ignored either
"$bin/chipkey-pubdb-put" --void --key "$t/fac2/mfr-key.pem" --cert "$t/fac2/mfr-ca.pem" --chip $CB \
	--generation 1 --reason "forged" --out "$t/fake/v1/chips/$CB/generations/1/void" --no-post \
	>/dev/null 2>>"$t/setup.log"
fake fv
check "... with a void entry signed by another manufacturer's root: refused (exit $lrc), nothing stored" \
	test $refused = yes
check "... a says the void entry does not verify against its ROM key" \
	grep -q "void entry that does not verify against the manufacturer key" "$t/fv.l.err"
rm -f "$t/fake/v1/chips/$CB/generations/1/void"
head -c 300 /dev/urandom >"$t/garbage" && serve "$t/garbage"
fake fg
check "fake directory answering garbage: refused (exit $lrc), nothing stored" test $refused = yes
pubdb_put() { "$bin/chipkey-pubdb-put" --chip $CB --generation 1 --identity "$IB" \
	--backup "$t/b.pkg" --device-cert "$t/b.keys/device-cert.der" --no-post --out "$@" \
	>/dev/null 2>>"$t/setup.log"; }
pubdb_put "$t/unsigned.rec" --unsigned && serve "$t/unsigned.rec"
fake fu
check "... an unsigned record naming b and its certificate: refused (exit $lrc)" test $refused = yes
check "... a says: not signed" grep -q "not signed" "$t/fu.l.err"
pubdb_put "$t/self.rec" --key "$t/b.keys/device-key.pem" --cert "$t/b.keys/device-cert.pem" &&
	serve "$t/self.rec"
fake fs
check "... a record b signed itself with its device key: refused (exit $lrc)" test $refused = yes
check "... a says: not signed by a record signer" grep -q "not signed by a record signer" "$t/fs.l.err"
pubdb_put "$t/other.rec" --key "$t/fac2/record-key.pem" --cert "$t/fac2/record-chain.pem" &&
	serve "$t/other.rec"
fake fo
check "... a record signed by another manufacturer's record signer: refused (exit $lrc)" test $refused = yes
curl -sf -o "$t/a.rec" "$GDB/v1/chips/$CA/generations/1/record" && serve "$t/a.rec"
fake fa
check "... a's genuine record served for b's chip: refused (exit $lrc)" test $refused = yes
check "... a says the record is for another chip" grep -q "record is for chip $CA" "$t/fa.l.err"
/usr/bin/python3 - "$t/b.rec" "$t/b.pkg" "$t/tampered.rec" <<'PY'
import sys
r = bytearray(open(sys.argv[1], 'rb').read())
pkg = open(sys.argv[2], 'rb').read()
i = r.find(pkg)	# b's backup package, inside the signed content
assert i > 0
r[i + len(pkg) // 2] ^= 1
open(sys.argv[3], 'wb').write(r)
PY
serve "$t/tampered.rec"
fake ft
check "... b's genuine record with one byte of its content flipped: refused (exit $lrc)" test $refused = yes
check "... a says the signature does not verify" grep -q "signature does not verify" "$t/ft.l.err"

# ---- with --crl, the record signer is checked too: the factory revokes it
rm -rf "$t/fake/v1"	# (the fake directory is done with)
mkdir -p "$t/crl0" && cp "$t/fac/root-crl.pem" "$t/fac/station-crl.pem" "$t/crl0/"
CRL0=(--crl "$t/crl0/root-crl.pem" --crl "$t/crl0/station-crl.pem" --state "$t/a.pstate")
CRL1=(--crl "$t/fac/root-crl.pem" --crl "$t/fac/station-crl.pem" --state "$t/a.pstate")
G0=$(gens)
pair_start rs0 a b --directory "$GDB" "${CRL0[@]}" --
wait_for "$t/rs0.l.out" '^code:' && answer rs0 l n
pair_wait
check "control: --crl and --directory, nothing revoked: a's checks pass (a's person refuses)" \
	both "grep -q '^code:' '$t/rs0.l.out' && [ $lrc = 20 ]"
"$bin/chipkey-factory" revoke "$t/fac" "$t/fac/record-cert.pem" >/dev/null 2>>"$t/setup.log"
check "the factory revokes its record signer (openssl verify -crl_check refuses it)" bash -c \
	"! openssl verify -crl_check -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' \
		-CRLfile '$t/fac/station-crl.pem' '$t/fac/record-cert.pem' >/dev/null 2>&1"
pair_start rs1 a b --directory "$GDB" "${CRL1[@]}" --
pair_wait
check "a (--crl with that CRL, --directory) refuses b, whose record that signer signed: exit 19 ($lrc), nothing stored" \
	both "[ $lrc = 19 ] && [ $crc != 0 ] && ! grep -q '^code:' '$t/rs1.l.out' &&
		grep -q 'record.s signer is revoked' '$t/rs1.l.err'"

# ---- the manufacturer voids b's factory record in the directory (the
# root's own key, chipkey-pubdb-put --void): a refuses b; c's (k's)
# record is not voided: control in the same run
pair_start vk a k --directory "$GDB" --
wait_for "$t/vk.l.out" '^code:' && answer vk l n
pair_wait
check "control: before any void, a's directory check passes for k (a's person refuses)" \
	both "grep -q '^code:' '$t/vk.l.out' && [ $lrc = 20 ]"
expect_exit 0 "the manufacturer voids b's generation 1 in the directory (chipkey-pubdb-put --void, the root's key)" -- \
	"$bin/chipkey-pubdb-put" --void --key "$t/fac/mfr-key.pem" --cert "$t/fac/mfr-ca.pem" --chip $CB \
	--generation 1 --reason "test: certificate mis-issued" --url "$GDB"
G0=$(gens)
pair_start vb a b --directory "$GDB" --
pair_wait
check "a (--directory) refuses b, whose factory record is voided: exit 19 ($lrc), nothing stored on either" \
	both "[ $lrc = 19 ] && [ $crc != 0 ] && ! grep -q '^code:' '$t/vb.l.out' && [ '$(gens)' = '$G0' ]"
check "... a says the manufacturer voided it, with the reason" \
	grep -q "the manufacturer voided its factory record (test: certificate mis-issued)" "$t/vb.l.err"

tap_done "pair --directory"
