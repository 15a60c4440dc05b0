#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Revocation on the secure links (docs/service-link.md "Revocation"), on
# loopback with the real programs: a factory with two service credentials
# and two provisioned emulated devices; `chipkey-factory revoke` of one
# service credential (the device with --crl refuses it in modes cert, cms
# and broadcast before storing anything) and of one device certificate
# (chipkey-service --crl refuses that device in each mode, read again
# after the revoke, and logs it); foreign, expired and unreadable CRLs;
# CRL rollback (an older cRLNumber than the newest accepted, kept in each
# end's state directory) and a stale CRL on a device whose clock reads 1970.
# Run by run.sh (make check-service).  TAP.
#
#   service/tests/test-crl.sh ASAN_BUILD NATIVE_BUILD
set -u
A=${1:?asan build} B=${2:?native build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../common/tests/tap.sh"
. "$here/../../common/tests/devices.sh"
ck=$A/bin/chipkey srv=$A/bin/chipkey-service bin=$B/bin fy=$B/bin/chipkey-factory
make_test_dir crl
trap 'clean_up_at_exit 15 log' EXIT
wait_steps=400	# wait_file: up to 20 s

# provision NAME CHIP N: emulator NAME, keys directory $t/NAME.keys
provision() { provision_device "$1" "$t/fac" "$2" "$3"; }
# start NAME ARGS...: chipkey-service on 127.0.0.1, log $t/NAME.log, address in $S
start() {
	local log=$1; shift
	start_server "$log" "$t/port" "$srv" --listen 127.0.0.1:0 --port-file "$t/port" \
		--catalogue "$t/cat" "$@" && S=127.0.0.1:$PORT
}
# dev NAME SERVER MODE [options]: chipkey service connect
dev() {
	local name=$1 s=$2 m=$3; shift 3
	"$ck" --device "emu:$t/$name.sock" service connect --server "$s" --keys "$t/$name.keys" \
		--state "$t/$name.state" --mode "$m" "$@"
}
MODES="cert cms broadcast"

# ---- a factory, service credential A (to be revoked) and B, devices d1 and d2
{ "$fy" init "$t/fac" && "$fy" spp-cred "$t/fac" --service &&
  cp "$t/fac/service-key.pem" "$t/svcA-key.pem" && cp "$t/fac/service-cert.pem" "$t/svcA-cert.pem" &&
  "$fy" spp-cred "$t/fac" --service; } >/dev/null 2>>"$t/setup.log"
check "two service credentials (spp-cred --service twice)" bash -c \
	"test -s '$t/svcA-cert.pem' && ! cmp -s '$t/svcA-cert.pem' '$t/fac/service-cert.pem'"
provision d1 00112233445566778899aabbccddeeff 1
provision d2 00112233445566778899aabbccddee02 2
check "devices d1 and d2 provisioned" test -s "$t/d1.keys/device-cert.pem" -a -s "$t/d2.keys/device-cert.pem"
mkdir -p "$t/cat"
cp -r "$t/fac" "$t/crl0"		# the CRLs of before any revocation
"$fy" revoke "$t/fac" "$t/svcA-cert.pem" >/dev/null 2>>"$t/setup.log"
check "service credential A revoked (openssl verify -crl_check)" bash -c \
	"! openssl verify -crl_check -CAfile '$t/fac/mfr-ca.pem' -untrusted '$t/fac/ica-cert.pem' \
		-CRLfile '$t/fac/station-crl.pem' '$t/svcA-cert.pem' >/dev/null 2>&1"
CRL=(--crl "$t/fac/root-crl.pem" --crl "$t/fac/station-crl.pem")
start svcA --factory "$t/fac" --key "$t/svcA-key.pem" --cert "$t/svcA-cert.pem" --state "$t/stateA"
SA=$S
start svcB --factory "$t/fac" --state "$t/stateB"
SB=$S

# ---- the device refuses a revoked service credential
expect_exit 0 "d1 links to server B in mode cert (its state directory exists)" -- dev d1 "$SB" cert
for m in $MODES; do
	rm -rf "$t/d1.before"; cp -a "$t/d1.state" "$t/d1.before"
	expect_exit 19 "attack: mode $m: d1 with --crl refuses server A's revoked credential" -- \
		dev d1 "$SA" $m "${CRL[@]}"
	check "... it says revoked" grep -q "revoked" "$tap_err"
	check "... mode $m: nothing stored (state directory as before but the CRL floor)" \
		diff -r -x crl-floor "$t/d1.before" "$t/d1.state"
	expect_exit 0 "mode $m: d1 links to server A without --crl (the documented trade-off)" -- \
		dev d1 "$SA" $m
	expect_exit 0 "mode $m: d1 with --crl links to server B (a credential not revoked)" -- \
		dev d1 "$SB" $m "${CRL[@]}"
done
expect_exit 0 "mode channel-key: no certificates, --crl changes nothing" -- \
	dev d1 "$SA" channel-key "${CRL[@]}"
# ---- CRL rollback at the device: the older CRL (from before service
# credential A was revoked) does not un-revoke it
check "the device kept the newest CRL of the issuing CA (crl-floor, openssl crl reads it)" bash -c \
	"ls '$t/d1.state/crl-floor/'*.der | while read f; do openssl crl -inform der -in \"\$f\" -noout -crlnumber; done | grep -q '^crlNumber=0x0*2\$'"
rm -rf "$t/d1.before"; cp -a "$t/d1.state" "$t/d1.before"
for m in $MODES; do
	expect_exit 13 "attack: mode $m: the older CRL swapped back in: d1 still refuses server A (rollback)" -- \
		dev d1 "$SA" $m --crl "$t/crl0/root-crl.pem" --crl "$t/crl0/station-crl.pem"
	check "... it says the CRL is older than the one accepted before" \
		grep -q "number 1: older than number 2 accepted before" "$tap_err"
done
check "... nothing stored (state directory byte for byte as before)" diff -r "$t/d1.before" "$t/d1.state"
expect_exit 13 "... also for server B (an older CRL is refused whoever the server)" -- \
	dev d1 "$SB" cert --crl "$t/crl0/root-crl.pem" --crl "$t/crl0/station-crl.pem"
# a forged CRL: the issuing CA's name, another factory's key, cRLNumber 1000
"$fy" init "$t/other" >/dev/null 2>>"$t/setup.log"
/usr/bin/python3 - "$t/fac/ica-cert.pem" "$t/other/ica-key.pem" "$t/forged-crl.pem" <<'PY' 2>>"$t/setup.log"
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
ca = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
now = datetime.datetime.utcnow()
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(now - datetime.timedelta(days=1)).next_update(now + datetime.timedelta(days=30))
       .add_extension(x509.CRLNumber(1000), False).sign(key, hashes.SHA256()))
open(sys.argv[3], 'wb').write(crl.public_bytes(serialization.Encoding.PEM))
PY
check "a forged CRL with cRLNumber 1000 under the issuing CA's name (openssl: signature fails)" bash -c \
	"openssl crl -in '$t/forged-crl.pem' -noout -crlnumber | grep -q '=0x0*3E8\$' &&
	 openssl crl -in '$t/forged-crl.pem' -noout -verify -CAfile '$t/fac/ica-cert.pem' 2>&1 | grep -q 'verify failure'"
expect_exit 19 "attack: the forged CRL: d1 refuses server B (no CRL of the issuer signed by its key)" -- \
	dev d1 "$SB" cert --crl "$t/fac/root-crl.pem" --crl "$t/forged-crl.pem"
check "... and it did not raise the floor: the genuine newest CRL still links to B" \
	bash -c "'$ck' --device 'emu:$t/d1.sock' service connect --server '$SB' --keys '$t/d1.keys' \
		--state '$t/d1.state' --mode cert ${CRL[*]} >/dev/null 2>&1"
# the issuing CA re-keyed under the same name: its first CRL (number 1,
# another authorityKeyIdentifier) is no replay of the old key's number 2
/usr/bin/python3 - "$t/fac/ica-cert.pem" "$t/rekeyed-crl.pem" <<'PY' 2>>"$t/setup.log"
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
ca = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.utcnow()
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(now - datetime.timedelta(days=1)).next_update(now + datetime.timedelta(days=30))
       .add_extension(x509.CRLNumber(1), False)
       .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
       .sign(key, hashes.SHA256()))
open(sys.argv[2], 'wb').write(crl.public_bytes(__import__('cryptography.hazmat.primitives.serialization', fromlist=['x']).Encoding.PEM))
PY
rm -rf "$t/d1.before"; cp -a "$t/d1.state" "$t/d1.before"
expect_exit 19 "a re-keyed issuing CA's CRL number 1 (same name, other key id): not refused as older" -- \
	dev d1 "$SB" cert --crl "$t/fac/root-crl.pem" --crl "$t/rekeyed-crl.pem"
check "... (server B's issuer has no CRL among them: failing closed as before)" \
	grep -q "no CRL of the issuer" "$tap_err"
check "... and the old key's floor is as it was" diff -r "$t/d1.before" "$t/d1.state"
# the floor cannot be stored (a directory where the issuing CA's floor
# file goes): that check fails closed, and passes once it can be stored
h=$(/usr/bin/python3 -c 'import sys, hashlib
from cryptography import x509
c = x509.load_pem_x509_crl(open(sys.argv[1], "rb").read())
a = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
print(hashlib.sha256(c.issuer.public_bytes() + a).hexdigest())' "$t/fac/station-crl.pem")
cp -a "$t/d1.state" "$t/d1s.state" && rm -rf "$t/d1s.state/crl-floor" && mkdir -p "$t/d1s.state/crl-floor/$h.der"
expect_exit 19 "the newest CRL cannot be stored in the CRL floor: d1 refuses server B (failing closed)" -- \
	dev d1 "$SB" cert "${CRL[@]}" --state "$t/d1s.state"
check "... and says so" grep -q "cannot be stored in the CRL floor" "$tap_err"
rmdir "$t/d1s.state/crl-floor/$h.der"
expect_exit 0 "... once it can be stored, d1 links to server B" -- dev d1 "$SB" cert "${CRL[@]}" --state "$t/d1s.state"
check "... and the floor file is there (named by the SHA-256 of the issuer's DER name and key id)" \
	test -f "$t/d1s.state/crl-floor/$h.der"
rm -rf "$t/d1.before"; cp -a "$t/d1.state" "$t/d1.before"
cp -r "$t/fac" "$t/facR"
"$fy" revoke "$t/facR" "$t/facR/ica-cert.pem" --root-key "$t/facR/mfr-key.pem" >/dev/null 2>>"$t/setup.log"
CRLR=(--crl "$t/facR/root-crl.pem" --crl "$t/facR/station-crl.pem")
cp -a "$t/d1.state" "$t/d1R.state"
for m in $MODES; do
	expect_exit 19 "attack: mode $m: the issuing CA revoked (root CRL): d1 refuses server B too" -- \
		dev d1 "$SB" $m "${CRLR[@]}" --state "$t/d1R.state"
done
check "... nothing stored (but the CRL floor)" diff -r -x crl-floor "$t/d1.before" "$t/d1R.state"

# ---- CRLs that do not check: foreign, expired, unreadable (failing closed)
# (a state directory without a CRL floor: against d1's floor this lower
# cRLNumber under the same issuer name is refused as older, exit 13)
cp -a "$t/d1.state" "$t/d1f.state" && rm -rf "$t/d1f.state/crl-floor"
expect_exit 19 "a CRL signed by another factory: d1 refuses even server B (no CRL of the issuer)" -- \
	dev d1 "$SB" cert --crl "$t/fac/root-crl.pem" --crl "$t/other/station-crl.pem" --state "$t/d1f.state"
check "... it names the missing CRL" grep -q "no CRL of the issuer" "$tap_err"
# an expired CRL of the genuine issuing CA (nextUpdate yesterday), made by
# Debian's python3-cryptography with the factory's issuing CA key
/usr/bin/python3 - "$t/fac/ica-cert.pem" "$t/fac/ica-key.pem" "$t/expired-crl.pem" <<'PY' 2>>"$t/setup.log"
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
ca = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
now = datetime.datetime.utcnow()
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(now - datetime.timedelta(days=31)).next_update(now - datetime.timedelta(days=1))
       .sign(key, hashes.SHA256()))
open(sys.argv[3], 'wb').write(crl.public_bytes(serialization.Encoding.PEM))
PY
check "an expired CRL of the issuing CA (openssl crl: nextUpdate in the past)" bash -c \
	"openssl crl -in '$t/expired-crl.pem' -noout -verify -CAfile '$t/fac/ica-cert.pem' 2>&1 | grep -q 'verify OK'"
expect_exit 19 "an expired CRL: d1 refuses server B (failing closed)" -- \
	dev d1 "$SB" cms --crl "$t/fac/root-crl.pem" --crl "$t/expired-crl.pem"
echo "not a CRL" >"$t/junk.pem"
expect_exit 8 "an unparseable --crl: the device stops before linking" -- \
	dev d1 "$SB" cert --crl "$t/junk.pem"
check "... it names the file" grep -q "junk.pem" "$tap_err"

# ---- the server refuses a revoked device certificate (re-read after revoke)
cp "$t/crl0/station-crl.pem" "$t/srv-ica.pem"; cp "$t/crl0/root-crl.pem" "$t/srv-root.pem"
SCRL=(--crl "$t/srv-root.pem" --crl "$t/srv-ica.pem")
start svcC --factory "$t/fac" --state "$t/stateC" "${SCRL[@]}"
SC=$S SCpid=${pids[-1]}
for m in $MODES; do
	expect_exit 0 "mode $m: server C with --crl accepts d1 before the revocation" -- dev d1 "$SC" $m
done
"$fy" revoke "$t/fac" "$t/d1.keys/device-cert.pem" >/dev/null 2>>"$t/setup.log"
cp "$t/fac/station-crl.pem" "$t/srv-ica.new" && mv "$t/srv-ica.new" "$t/srv-ica.pem"
want=(20 21 21)
i=0
for m in $MODES; do
	n=$(grep -c "revoked" "$t/svcC.log")
	expect_exit ${want[$i]} "attack: mode $m: d1's revoked certificate is refused by server C (CRL read again)" -- \
		dev d1 "$SC" $m
	check "... server C logs it (mode $m)" test "$(grep -c "revoked" "$t/svcC.log")" -gt "$n"
	[ $m = cert ] && check "... mode cert: as ERROR code 2 (the device: its certificate refused)" \
		grep -q "refused this device's certificate" "$tap_err"
	expect_exit 0 "mode $m: d2 still links to server C" -- dev d2 "$SC" $m
	i=$((i + 1))
done
start svcD --factory "$t/fac" --state "$t/stateD" --crl "$t/fac/root-crl.pem" --crl "$t/other/station-crl.pem"
SD=$S
expect_exit 20 "server with a foreign CRL: mode cert refuses every device (failing closed)" -- dev d2 "$SD" cert
check "... and logs why" grep -q "no CRL of the issuer" "$t/svcD.log"
expect_exit 0 "server with a foreign CRL: mode channel-key has no certificates and links" -- \
	dev d2 "$SD" channel-key
expect_exit 11 "chipkey-service --crl an unparseable file: does not start" -- \
	"$srv" --listen 127.0.0.1:0 --factory "$t/fac" --state "$t/stateE" --crl "$t/junk.pem"
echo "junk" >"$t/srv-ica.new" && mv "$t/srv-ica.new" "$t/srv-ica.pem"
# (the server closes before reading: the device sees EOF or EPIPE, exit 21 or 8)
if dev d2 "$SC" cms >"$tap_out" 2>"$tap_err"; then
	nok "server C's CRL replaced by junk: d2 is refused too (failing closed)"
else
	ok "server C's CRL replaced by junk: d2 is refused too (failing closed)"
fi
check "... and server C logs it" grep -q "cannot be read" "$t/svcC.log"
if dev d2 "$SC" channel-key >"$tap_out" 2>"$tap_err"; then
	nok "... mode channel-key too (documented: the server refuses every connection)"
else
	ok "... mode channel-key too (documented: the server refuses every connection)"
fi
# a FIFO in place of a CRL file (review: it wedged the server for good):
# refused at start, and at run time refused without blocking; once the
# file is back, the server links again
mkfifo "$t/fifo.pem"
timeout 30 "$srv" --listen 127.0.0.1:0 --factory "$t/fac" --state "$t/stateE" --crl "$t/fifo.pem" \
	>"$tap_out" 2>"$tap_err"
rc=$?
check "chipkey-service --crl a FIFO: does not start (exit 11, not waiting on the FIFO: $rc)" test $rc -eq 11
rm -f "$t/srv-ica.pem" && mkfifo "$t/srv-ica.pem"
n=$(grep -c 'refusing every device' "$t/svcC.log")
timeout 30 "$ck" --device "emu:$t/d2.sock" service connect --server "$SC" --keys "$t/d2.keys" \
	--state "$t/d2.state" --mode channel-key >"$tap_out" 2>"$tap_err"
rc=$?
check "server C's CRL replaced by a FIFO: d2 is refused, not left waiting (exit $rc)" \
	bash -c "test $rc -ne 0 && test $rc -ne 124"
check "... and server C logs it" test "$(grep -c 'refusing every device' "$t/svcC.log")" -gt "$n"
rm -f "$t/srv-ica.pem" && cp "$t/fac/station-crl.pem" "$t/srv-ica.pem"
expect_exit 0 "... the CRL file back: d2 links to server C again (mode cms)" -- dev d2 "$SC" cms
start svcE --factory "$t/fac" --state "$t/stateE" --crl "$t/fac/root-crl.pem" --crl "$t/expired-crl.pem"
SE=$S
expect_exit 20 "server with an expired CRL of the issuing CA: mode cert refuses d2 (failing closed)" -- \
	dev d2 "$SE" cert
check "... and logs why" grep -q "past their nextUpdate" "$t/svcE.log"
start svcF --factory "$t/fac" --state "$t/stateF" "${CRLR[@]}"
SF=$S
expect_exit 20 "attack: server with the root CRL revoking the issuing CA: d2 is refused in mode cert" -- \
	dev d2 "$SF" cert
check "... and logged as revoked" grep -q "revoked" "$t/svcF.log"
# ---- CRL rollback at the server: run time keeps the newer CRL, a start
# with the older one fails closed (the floor is in the state directory)
cp "$t/crl0/station-crl.pem" "$t/srv-ica.new" && mv "$t/srv-ica.new" "$t/srv-ica.pem"
n=$(grep -c "revoked" "$t/svcC.log")
expect_exit 20 "attack: the older CRL swapped in at run time: server C still refuses d1 (mode cert)" -- \
	dev d1 "$SC" cert
check "... server C logs that the CRL is older and keeps the newer one" grep -q \
	"number 1: older than number 3 accepted before (replayed?): keeping the newer one" "$t/svcC.log"
check "... and logs d1 as revoked" test "$(grep -c "revoked" "$t/svcC.log")" -gt "$n"
expect_exit 0 "... d2 still links to server C (mode cms)" -- dev d2 "$SC" cms
check "server C's CRL floor: the newest CRL of the issuing CA (number 3)" bash -c \
	"for f in '$t/stateC/crl-floor/'*.der; do openssl crl -inform der -in \"\$f\" -noout -crlnumber; done | grep -q '^crlNumber=0x0*3\$'"
kill "$SCpid"; wait "$SCpid" 2>/dev/null
expect_exit 11 "attack: server C restarted with the older CRL: it does not start" -- \
	timeout 30 "$srv" --listen 127.0.0.1:0 --catalogue "$t/cat" --factory "$t/fac" --state "$t/stateC" "${SCRL[@]}"
check "... and says the CRL is older" grep -q "number 1: older than number 3 accepted before.*not starting" "$tap_err"
cp "$t/fac/station-crl.pem" "$t/srv-ica.pem"
start svcC2 --factory "$t/fac" --state "$t/stateC" "${SCRL[@]}"
expect_exit 20 "... restarted with the newest CRL: it starts and refuses d1" -- dev d1 "$S" cert
# fresh_then_swap NAME CRL: a server svcNAME on a fresh state directory
# ($t/stateNAME) started with the newest CRLs, whose issuing CA's CRL file
# is then replaced (by rename, as `revoke` does) by CRL before any link;
# its address in $S
fresh_then_swap() {
	local f=$t/srv$1-ica.pem
	cp "$t/fac/station-crl.pem" "$f"
	start "svc$1" --factory "$t/fac" --state "$t/state$1" --crl "$t/fac/root-crl.pem" --crl "$f"
	cp "$2" "$f.new" && mv "$f.new" "$f"
}
# run time, before any device checked: the newer CRL in force is kept too
fresh_then_swap G "$t/crl0/station-crl.pem"
expect_exit 20 "attack: a fresh server's CRL replaced by the older one before any link: d1 still refused" -- \
	dev d1 "$S" cert
check "... and logged as older" grep -q "older than number 3 accepted before" "$t/svcG.log"

# run time: the issuing CA re-keyed under the same name: its CRL number 1
# replaces the old key's number 3 (no replay: another key id)
fresh_then_swap H "$t/rekeyed-crl.pem"
expect_exit 20 "a server's CRL replaced by the re-keyed CA's number 1: taken (d2's issuer: no CRL now)" -- \
	dev d2 "$S" cert
check "... not logged as older" bash -c "! grep -q 'older than' '$t/svcH.log'"

# ---- a device whose clock reads 1970 (no RTC): a CRL whose nextUpdate is
# before PKI_CLOCK_FLOOR (2026-01-01) is stale there too
FAKE=$A/../tests/recovery/fake-clock.so
[ -f "$FAKE" ] || FAKE=$B/tests/recovery/fake-clock.so
/usr/bin/python3 - "$t/fac/ica-cert.pem" "$t/fac/ica-key.pem" "$t/stale-crl.pem" <<'PY' 2>>"$t/setup.log"
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
ca = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(datetime.datetime(2025, 5, 1)).next_update(datetime.datetime(2025, 6, 1))
       .sign(key, hashes.SHA256()))
open(sys.argv[3], 'wb').write(crl.public_bytes(serialization.Encoding.PEM))
PY
at1970() { ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0 LD_PRELOAD=$FAKE "$@"; }
if [ -f "$FAKE" ]; then
	check "a genuine CRL of the issuing CA with nextUpdate 2025-06-01 (openssl crl)" bash -c \
		"openssl crl -in '$t/stale-crl.pem' -noout -nextupdate | grep -q 'Jun  1 00:00:00 2025'"
	expect_exit 0 "clock at 1970: d2 with the current CRLs links to server B (mode cert)" -- \
		at1970 "$ck" --device "emu:$t/d2.sock" service connect --server "$SB" --keys "$t/d2.keys" \
		--state "$t/d2.state" --mode cert "${CRL[@]}"
	expect_exit 19 "attack: clock at 1970: a CRL stale since 2025-06-01 is refused (failing closed)" -- \
		at1970 "$ck" --device "emu:$t/d2.sock" service connect --server "$SB" --keys "$t/d2.keys" \
		--state "$t/d2.state" --mode cert --crl "$t/fac/root-crl.pem" --crl "$t/stale-crl.pem"
	check "... past their nextUpdate" grep -q "past their nextUpdate" "$tap_err"
else
	skip "clock at 1970" "fake-clock.so not built"
fi

# ---- a device revoked completely (review R1): its certificate on the CRL
# (modes 2-4) and its identity in --revoked-ids, which also refuses it in
# mode 1, where no certificate is sent for a CRL to apply to.  Server R has
# the list only, so every refusal below is the list's
ID1=$(tr -d '\n' <"$t/d1.keys/identity") ID2=$(tr -d '\n' <"$t/d2.keys/identity")
printf '# revoked devices\n\n%s\n' "$ID1" >"$t/revoked.ids"
echo "image" >"$t/cat/image.bin"
start svcR --factory "$t/fac" --state "$t/stateR" --revoked-ids "$t/revoked.ids"
SR=$S
expect_exit 20 "attack: mode channel-key: d1, its identity in --revoked-ids, gets no link" -- dev d1 "$SR" channel-key
check "... server R logs it as revoked" grep -q "device $ID1: revoked (listed in --revoked-ids)" "$t/svcR.log"
expect_exit 20 "attack: mode channel-key: ... nor a download (service get)" -- \
	"$ck" service get image.bin "$t/got-d1.bin" --server "$SR" --keys "$t/d1.keys" \
	--state "$t/d1.state" --mode channel-key
check "... nothing written" test ! -e "$t/got-d1.bin"
printf '\001\000' | timeout 10 openssl s_client -connect "$SR" -tls1_3 -quiet \
	-psk_identity "chipkey-ck1:$ID1" -psk "$(od -An -v -tx1 "$t/d1.keys/channel.key" | tr -d ' \n')" \
	>"$t/sclient.out" 2>"$t/sclient.err"
check "attack: ... nor does openssl s_client with d1's channel key (LIST)" test ! -s "$t/sclient.out"
want=(20 21 21)
i=0
for m in $MODES; do
	expect_exit ${want[$i]} "attack: mode $m: d1 is refused by the list too (server R has no --crl)" -- \
		dev d1 "$SR" $m
	i=$((i + 1))
done
check "... each logged" test "$(grep -c "device $ID1: revoked" "$t/svcR.log")" -ge 6
expect_exit 0 "mode channel-key: d2 (not listed) is served by server R" -- dev d2 "$SR" channel-key
expect_exit 0 "... and downloads" -- "$ck" service get image.bin "$t/got-d2.bin" --server "$SR" \
	--keys "$t/d2.keys" --state "$t/d2.state" --mode channel-key
check "... byte for byte" cmp -s "$t/got-d2.bin" "$t/cat/image.bin"
expect_exit 0 "mode cms: d2 is served by server R" -- dev d2 "$SR" cms
printf '%s\n%s\n' "$ID1" "$ID2" >"$t/revoked.new" && mv "$t/revoked.new" "$t/revoked.ids"
expect_exit 20 "d2 added to the list while server R runs: refused from the next connection" -- \
	dev d2 "$SR" channel-key
check "... server R read the list again" grep -q "revoked-ids: read again (2 identities)" "$t/svcR.log"
printf '%s\n' "$ID1" >"$t/revoked.new" && mv "$t/revoked.new" "$t/revoked.ids"
expect_exit 0 "... taken off it: served again" -- dev d2 "$SR" channel-key
printf '%s\n3512340000000\n' "$ID1" >"$t/revoked.new" && mv "$t/revoked.new" "$t/revoked.ids"
if dev d2 "$SR" channel-key >"$tap_out" 2>"$tap_err"; then
	nok "a list that does not parse at run time: every device is refused (failing closed)"
else
	ok "a list that does not parse at run time: every device is refused (failing closed)"
fi
check "... logged, naming the line" grep -q "revoked.ids line 2: not a 15-digit identity" "$t/svcR.log"
dev d2 "$SR" channel-key >/dev/null 2>&1
check "... a second device refused while it lasts: still logged once, not at every connection" \
	test "$(grep -c "revoked.ids line 2: not a 15-digit identity" "$t/svcR.log")" = 1
printf '%s\n' "$ID1" >"$t/revoked.new" && mv "$t/revoked.new" "$t/revoked.ids"
expect_exit 0 "... the list fixed: d2 served again" -- dev d2 "$SR" channel-key
printf '%s\n' "${ID2%?}x" >"$t/bad.ids"
expect_exit 11 "chipkey-service --revoked-ids with a line that is not an identity: does not start" -- \
	timeout 30 "$srv" --listen 127.0.0.1:0 --factory "$t/fac" --state "$t/stateX" --revoked-ids "$t/bad.ids"
expect_exit 11 "chipkey-service --revoked-ids a missing file: does not start" -- \
	timeout 30 "$srv" --listen 127.0.0.1:0 --factory "$t/fac" --state "$t/stateX" --revoked-ids "$t/none.ids"
# ---- one server per state directory (review R7)
expect_exit 8 "a second chipkey-service on server R's state directory does not start" -- \
	timeout 30 "$srv" --listen 127.0.0.1:0 --factory "$t/fac" --state "$t/stateR"
check "... and says why" grep -q "in use by another chipkey-service" "$tap_err"
expect_exit 0 "... server R still serves" -- dev d2 "$SR" cms
# ---- mode 1 switched off
start svcN --factory "$t/fac" --state "$t/stateN" --no-channel-key
SN=$S
expect_exit 21 "--no-channel-key: mode channel-key is closed before the handshake" -- dev d2 "$SN" channel-key
check "... logged" grep -q "link refused: link mode not supported" "$t/svcN.log"
expect_exit 0 "--no-channel-key: mode cert still links" -- dev d2 "$SN" cert
# ---- every mode makes its state directory before any traffic (review R4)
for m in channel-key cert cms broadcast; do
	expect_exit 0 "mode $m: --state a directory that does not exist yet: made, the link is up" -- \
		dev d2 "$SR" $m --state "$t/new-$m.state"
	check "... made private (0700)" test "$(stat -c %a "$t/new-$m.state")" = 700
done
n=$(wc -l <"$t/svcR.log")
expect_exit 8 "--state whose parent does not exist: exit 8 before any traffic" -- \
	dev d2 "$SR" cms --state "$t/no/such/state"
check "... the server saw no connection (its log did not grow)" test "$(wc -l <"$t/svcR.log")" -eq "$n"

# ---- a mode-3 SECRET of the genuine service key, for d1 and encrypted to
# d1, handed to d2 (review R5): not for d2 (it does not decrypt): exit 20,
# and said so, not "certificate refused"
/usr/bin/python3 - "$ID1" "$t/b3.bin" <<'PY'
import os, struct, sys, time
t = int(time.time())
b = b"CKL3" + bytes([1, 1, 0, 0]) + sys.argv[1].encode() + b"\0" + struct.pack(">QII", t, 300, 0) \
    + struct.pack(">Q", t * 1000000) + os.urandom(16) + os.urandom(32)
open(sys.argv[2], "wb").write(b)
PY
openssl cms -sign -binary -nodetach -in "$t/b3.bin" -signer "$t/fac/service-cert.pem" \
	-inkey "$t/fac/service-key.pem" -certfile "$t/fac/ica-cert.pem" \
	-econtent_type 2.25.50593145492255432379104894009516897939 -outform DER -out "$t/b3.sd" 2>>"$t/setup.log" &&
openssl cms -encrypt -binary -in "$t/b3.sd" -recip "$t/d1.keys/device-cert.pem" -aes-256-gcm \
	-outform DER -out "$t/b3.der" 2>>"$t/setup.log"
start_server fake3 "$t/fake3.port" /usr/bin/python3 -c '
import socket, struct, sys, os
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(ls.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
c, _ = ls.accept()
def rx(n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d: sys.exit(0)
        b += d
    return b
rx(8); h = rx(4); rx(struct.unpack(">H", h[2:4])[0])
m = open(sys.argv[2], "rb").read()
c.sendall(bytes([0x32, 0]) + struct.pack(">H", len(m)) + m)
c.recv(1)' "$t/fake3.port" "$t/b3.der"
rm -rf "$t/d2.before"; cp -a "$t/d2.state" "$t/d2.before"
expect_exit 20 "attack: d1's mode-3 SECRET (genuine, encrypted to d1) given to d2: refused" -- \
	dev d2 "127.0.0.1:$PORT" cms
check "... as a message for another device, not a refused certificate" \
	bash -c "grep -q 'a message for another device' '$tap_err' && ! grep -q 'certificate refused' '$tap_err'"
check "... nothing stored" diff -r "$t/d2.before" "$t/d2.state"

# ---- mode broadcast with two chipkey-service on their own state
# directories (review R2): server Y's broadcast carries a version 1000
# above server X's (published into Y's state directory beforehand, as a
# server that counted further); d2 alternates between them: one mark per
# server key, neither locks the other out
mkdir -m 700 "$t/stateY" && "$A/tests/link/test-cms" publish --rom "$t/fac/mfr-pubkey.der" --ica "$t/fac/ica-cert.pem" \
	--svc-key "$t/svcA-key.pem" --svc-cert "$t/svcA-cert.pem" --srv-state "$t/stateY" \
	$(( $(date +%s) + 1000 )) 3600 >>"$t/setup.log" 2>&1
start svcX --factory "$t/fac" --state "$t/stateX2"
SX=$S
start svcY --factory "$t/fac" --key "$t/svcA-key.pem" --cert "$t/svcA-cert.pem" --state "$t/stateY"
SY=$S
rm -rf "$t/d2b.state"
for i in 1 2; do
	expect_exit 0 "two servers, broadcast, round $i: d2 links to server Y (version ahead)" -- \
		dev d2 "$SY" broadcast --state "$t/d2b.state"
	expect_exit 0 "... then to server X (its own, lower versions: not refused as stale)" -- \
		dev d2 "$SX" broadcast --state "$t/d2b.state"
done
check "... d2 keeps one mark per server (two link-bcast-*.version files)" \
	test "$(ls "$t/d2b.state"/link-bcast-*.version | wc -l)" -eq 2
tap_done crl
