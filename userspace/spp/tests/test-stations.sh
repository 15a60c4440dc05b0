#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Station credentials per station, short-lived and revocable (issue 9):
# chipkey-factory station / revoke and the station CRL, checked with the
# openssl command; chipkey-spp refuses a revoked or expired station
# certificate in the TLS handshake (agent exit 21, the SPP log says why,
# nothing is claimed for the chip), takes a revocation made while it runs
# without a restart, keeps serving the other stations, fails closed on a
# CRL that becomes invalid, and refuses to start without a valid CRL.
# Expired certificates and CRLs are made with python3-cryptography, signed
# with the factory's manufacturer key.  TAP on stdout.
#
#   BUILD=.../build tests/test-stations.sh
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
t=$(mktemp -d /tmp/chipkey-test-stations-XXXXXX)
FAC=$t/fac
DBURL=sqlite:$t/factory.db
PUBURL=sqlite:$t/public.db
. "$(dirname "${BASH_SOURCE[0]}")/lib-provision.sh"
spp=$BUILD/asan/bin/chipkey-spp
[ -x "$spp" ] || spp=$bin/chipkey-spp
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
fac() { "$bin/chipkey-factory" "$@"; }

cleanup() {
	kill_bg
	if [ "$failed" -gt 0 ]; then
		for f in "$t"/*.log; do [ -f "$f" ] && tail -30 "$f" | sed "s|^|# $(basename "$f"): |"; done
	fi
	rm -rf "$t"
}
trap cleanup EXIT
exec 2>>"$t/script.log"

serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
subject() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
crl_text() { openssl crl -in "${1:-$FAC/station-crl.pem}" -noout -text; }
# crl_ok [FILE]: the CRL verifies against the issuing CA (openssl says so)
crl_ok() { openssl crl -in "${1:-$FAC/station-crl.pem}" -CAfile "$FAC/ica-cert.pem" -noout 2>&1 | grep -qx 'verify OK'; }
# revoked_says CERT: openssl verify -crl_check calls CERT revoked
revoked_says() {
	! openssl verify -crl_check -CRLfile "$FAC/station-crl.pem" -CAfile "$FAC/mfr-ca.pem" \
		-untrusted "$FAC/ica-cert.pem" "$1" \
		>"$t/verify.out" 2>&1 && grep -q 'certificate revoked' "$t/verify.out"
}
valid_says() { openssl verify -purpose sslclient -crl_check -CRLfile "$FAC/station-crl.pem" -CAfile "$FAC/mfr-ca.pem" -untrusted "$FAC/ica-cert.pem" "$1" >/dev/null 2>&1; }

# ---- factory: init makes a short-lived station credential and an empty CRL
fac identities --prefix 35999900 --count 20 >"$t/ids.txt"
fac init "$FAC" --db "$DBURL" --pool "$t/ids.txt" >>"$t/factory.log" 2>&1
check "init: an empty station CRL (v2, CRL number 1, nextUpdate), verified by openssl against the issuing CA" \
	bash -c "$(declare -f crl_ok crl_text); FAC='$FAC'; crl_ok && crl_text >'$t/crl0.txt' &&
		grep -q 'Version 2' '$t/crl0.txt' && grep -q 'No Revoked Certificates' '$t/crl0.txt' &&
		grep -A1 'CRL Number' '$t/crl0.txt' | grep -qx ' *1' && grep -q 'Next Update: [A-Z]' '$t/crl0.txt' &&
		grep -q 'Authority Key Identifier' '$t/crl0.txt' &&
		test \$(stat -c %a '$FAC/station-crl.pem') = 644"
check "init: the station credential expires within 30 days (openssl x509 -checkend), not within 29" \
	bash -c "! openssl x509 -in '$FAC/station-cert.pem' -noout -checkend $((30 * 86400 + 60)) >/dev/null &&
		openssl x509 -in '$FAC/station-cert.pem' -noout -checkend $((29 * 86400)) >/dev/null"

# ---- chipkey-factory station: one credential per station
for s in line-1 line-2 line-3; do
	fac station "$FAC" --name "$s" --out-key "$t/$s.key" --out-cert "$t/$s.pem" >>"$t/factory.log" 2>&1 ||
		nok "station $s issued"
done
fac station "$FAC" --name line-10 --days 10 --out-key "$t/line-10.key" --out-cert "$t/line-10.pem" \
	>>"$t/factory.log" 2>&1
check "station: subject O=chipkey, OU=chipkey-station, CN=NAME; clientAuth only; chains to the manufacturer CA; key 0600" \
	bash -c "$(declare -f subject); test \"\$(subject '$t/line-1.pem')\" = 'CN=line-1,OU=chipkey-station,O=chipkey' &&
		openssl x509 -in '$t/line-1.pem' -noout -ext extendedKeyUsage | grep -qx ' *TLS Web Client Authentication' &&
		openssl verify -purpose sslclient -CAfile '$FAC/mfr-ca.pem' -untrusted '$FAC/ica-cert.pem' '$t/line-1.pem' >/dev/null &&
		test \$(stat -c %a '$t/line-1.key') = 600 && test \$(stat -c %a '$t/line-1.pem') = 600 &&
		openssl pkey -in '$t/line-1.key' -pubout | cmp -s - <(openssl x509 -in '$t/line-1.pem' -noout -pubkey)"
check "station: each station its own key and serial" \
	bash -c "$(declare -f serial); test \"\$(serial '$t/line-1.pem')\" != \"\$(serial '$t/line-2.pem')\" &&
		! cmp -s <(openssl x509 -in '$t/line-1.pem' -noout -pubkey) <(openssl x509 -in '$t/line-2.pem' -noout -pubkey)"
check "station: default validity 30 days, --days 10 gives 10 (openssl x509 -checkend)" \
	bash -c "! openssl x509 -in '$t/line-1.pem' -noout -checkend $((30 * 86400 + 60)) >/dev/null &&
		openssl x509 -in '$t/line-1.pem' -noout -checkend $((29 * 86400)) >/dev/null &&
		! openssl x509 -in '$t/line-10.pem' -noout -checkend $((10 * 86400 + 60)) >/dev/null &&
		openssl x509 -in '$t/line-10.pem' -noout -checkend $((9 * 86400)) >/dev/null"
fac station "$FAC" --name long --days 366 --out-key "$t/long.key" --out-cert "$t/long.pem" 2>/dev/null
check "station --days 366: refused (exit $?, want 1; at most 365), nothing written" \
	bash -c "test $? -eq 1 && test ! -e '$t/long.key' -a ! -e '$t/long.pem'"
cp "$t/line-1.key" "$t/line-1.key.orig"
fac station "$FAC" --name again --out-key "$t/line-1.key" --out-cert "$t/new.pem" 2>/dev/null
rc=$?
check "station never overwrites a key (exit $rc, want 22; the key unchanged, no certificate)" \
	bash -c "test $rc -eq 22 && cmp -s '$t/line-1.key' '$t/line-1.key.orig' && test ! -e '$t/new.pem'"
cp "$t/line-1.pem" "$t/line-1.pem.orig"
fac station "$FAC" --name again --out-key "$t/new.key" --out-cert "$t/line-1.pem" 2>/dev/null
rc=$?
check "station never overwrites a certificate (exit $rc, want 22; no key written)" \
	bash -c "test $rc -eq 22 && cmp -s '$t/line-1.pem' '$t/line-1.pem.orig' && test ! -e '$t/new.key'"
fac station "$FAC" --name 'bad
name' --out-key "$t/bad.key" --out-cert "$t/bad.pem" 2>/dev/null
check "station --name with a newline (a forged log line): refused (exit $?, want 1)" test $? -eq 1

# ---- chipkey-factory revoke
cp "$FAC/station-crl.pem" "$t/crl-before.pem"
fac revoke "$FAC" "$t/line-2.pem" --reason keyCompromise >"$t/revoke.out" 2>>"$t/factory.log"
check "revoke line-2: the CRL verifies, lists its serial (keyCompromise), CRL number 2; openssl verify -crl_check: revoked" \
	bash -c "$(declare -f crl_ok crl_text revoked_says serial); FAC='$FAC' t='$t'; crl_ok && crl_text >'$t/crl1.txt' &&
		grep -q \"Serial Number: \$(serial '$t/line-2.pem')\" '$t/crl1.txt' && grep -q 'Key Compromise' '$t/crl1.txt' &&
		grep -A1 'CRL Number' '$t/crl1.txt' | grep -qx ' *2' && revoked_says '$t/line-2.pem'"
check "... the other stations are not on it (openssl verify -crl_check OK for line-1 and init's)" \
	bash -c "$(declare -f valid_says); FAC='$FAC'; valid_says '$t/line-1.pem' && valid_says '$FAC/station-cert.pem'"
fac init "$t/rogue" >/dev/null 2>&1
cp "$FAC/station-crl.pem" "$t/crl-mid.pem"
fac revoke "$FAC" "$t/rogue/station-cert.pem" 2>/dev/null
rc1=$?
fac revoke "$FAC" "$FAC/ica-cert.pem" 2>/dev/null
rc2=$?
fac revoke "$FAC" "$t/line-1.pem" --reason nonsense 2>/dev/null
rc3=$?
check "revoke refuses another factory's station certificate (exit $rc1) and the issuing CA itself (exit $rc2) (want 11), an unknown reason (exit $rc3, want 1); the CRL unchanged" \
	bash -c "test $rc1 -eq 11 -a $rc2 -eq 11 -a $rc3 -eq 1 && cmp -s '$t/crl-mid.pem' '$FAC/station-crl.pem'"
fac revoke "$FAC" "$t/line-2.pem" >"$t/again.out" 2>&1
check "revoking twice: exit $?, 'already revoked', the CRL unchanged" \
	bash -c "test $? -eq 0 && grep -q 'already revoked' '$t/again.out' && cmp -s '$t/crl-mid.pem' '$FAC/station-crl.pem'"

cp -a "$FAC" "$t/fac2"
cp "$t/rogue/station-crl.pem" "$t/fac2/station-crl.pem"
fac revoke "$t/fac2" "$t/line-1.pem" 2>/dev/null
rc=$?
check "revoke refuses to extend a CRL not signed by this factory's key (exit $rc, want 11; the file unchanged)" \
	bash -c "test $rc -eq 11 && cmp -s '$t/rogue/station-crl.pem' '$t/fac2/station-crl.pem'"
rm "$t/fac2/station-crl.pem"
fac revoke "$t/fac2" "$t/line-1.pem" >/dev/null 2>&1
check "revoke in a factory without a CRL (made before CRLs): a new one, CRL number 1, listing the serial, verifies" \
	bash -c "$(declare -f crl_ok crl_text serial); FAC='$t/fac2'; crl_ok && crl_text >'$t/crl-new.txt' &&
		grep -A1 'CRL Number' '$t/crl-new.txt' | grep -qx ' *1' &&
		grep -q \"Serial Number: \$(serial '$t/line-1.pem')\" '$t/crl-new.txt'"

# python3-cryptography, signed by the issuing CA's key: an expired station
# certificate, and a CRL whose nextUpdate has passed
python3 - "$FAC" "$t" >>"$t/py.log" 2>&1 <<'PY'
import sys, datetime as dt
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
fac, t = sys.argv[1], sys.argv[2]
mk = serialization.load_pem_private_key(open(fac + "/ica-key.pem", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(fac + "/ica-cert.pem", "rb").read())
key = ec.generate_private_key(ec.SECP256R1())
now = dt.datetime.now(dt.timezone.utc)
def station(cn, before, after):
    return (x509.CertificateBuilder().subject_name(x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chipkey"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "chipkey-station"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn)])).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=before)).not_valid_after(now + dt.timedelta(days=after))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(mk, hashes.SHA256()))
for name, cert in (("expired", station("expired", -40, -10)),
                   ("newline", station("evil\nchipkey-spp: forged", -1, 10))):
    open(t + "/" + name + ".pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(t + "/" + name + ".key", "wb").write(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(now - dt.timedelta(days=40)).next_update(now - dt.timedelta(days=10))
       .add_extension(x509.CRLNumber(1), critical=False).sign(mk, hashes.SHA256()))
open(t + "/stale-crl.pem", "wb").write(crl.public_bytes(serialization.Encoding.PEM))
PY
chmod 600 "$t/expired.key" "$t/newline.key"
check "python3-cryptography made an expired station certificate and a stale CRL (openssl: expired)" \
	bash -c "! openssl verify -CAfile '$FAC/mfr-ca.pem' -untrusted '$FAC/ica-cert.pem' '$t/expired.pem' 2>&1 | grep -q OK &&
		openssl verify -CAfile '$FAC/mfr-ca.pem' -untrusted '$FAC/ica-cert.pem' '$t/expired.pem' 2>&1 | grep -q 'certificate has expired' &&
		openssl x509 -in '$t/expired.pem' -noout -subject | grep -q chipkey-station"

# ---- chipkey-spp refuses to start without a valid CRL
start_fails() { # start_fails NAME WHY [args]: exit 8, no port file, the log says WHY
	local name=$1 why=$2 rc
	shift 2
	"$spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 --port-file "$t/$name.port" \
		"$@" 2>"$t/$name.log"
	rc=$?
	[ $rc -eq 8 ] && [ ! -e "$t/$name.port" ] && grep -q "$why" "$t/$name.log"
}
check "chipkey-spp refuses to start with a missing CRL (exit 8, says why)" \
	start_fails nocrl 'station CRL .*No such file' --station-crl "$t/none.pem"
check "... with a CRL signed by another manufacturer key (another factory's)" \
	start_fails roguecrl 'not signed by the station CA' --station-crl "$t/rogue/station-crl.pem"
check "... with a stale CRL (nextUpdate passed; signed by the right key)" \
	start_fails stalecrl 'outside its lastUpdate..nextUpdate' --station-crl "$t/stale-crl.pem"
echo garbage >"$t/garbage.pem"
check "... with a file that is not a CRL" start_fails garbagecrl 'not a PEM CRL' --station-crl "$t/garbage.pem"
"$spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --no-station-auth --station-crl "$FAC/station-crl.pem" \
	>/dev/null 2>&1
check "--station-crl with --no-station-auth: usage error (exit $?, want 1)" test $? -eq 1

# ---- the SPP with the CRL: who gets in
"$spp" --factory "$FAC" --db "$DBURL" --public-db "$PUBURL" --listen 127.0.0.1:0 --port-file "$t/spp.port" \
	--workers 2 --timeout 5 2>>"$t/spp.log" &
spp_pid=$!
bg[spp]=$spp_pid
wait_file "$t/spp.port"
SPP=127.0.0.1:$(cat "$t/spp.port")
check "chipkey-spp starts with the factory's CRL (default DIR/station-crl.pem; logs '1 revoked')" \
	grep -q 'station CRL .*station-crl.pem loaded: 1 revoked' "$t/spp.log"

# provision NAME STATION: run the agent on chip NAME as STATION; sets rc and
# $t/spp-NAME.log (the SPP's log lines of that run)
provision() {
	local chip=$1 st=$2 l0
	l0=$(wc -l <"$t/spp.log")
	"$bin/chipkey-agent" provision --station-cert "$t/$st.pem" --station-key "$t/$st.key" \
		--spp "$SPP" --device "emu:$t/chips/$chip.sock" --store "$t/store-$chip" --timeout 10 \
		>"$t/agent-$chip.out" 2>"$t/agent-$chip-$st.log"
	rc=$?
	# the SPP logs a session before the agent can see its end, but give
	# the log line of a refused handshake a moment to be written
	for ((w = 0; w < 100; w++)); do
		tail -n +$((l0 + 1)) "$t/spp.log" >"$t/spp-$chip-$st.log"
		grep -q "station CN=" "$t/spp-$chip-$st.log" &&
			{ [ $rc -ne 0 ] || grep -q "provisioned" "$t/spp-$chip-$st.log"; } && break
		sleep 0.02
	done
}
# refused CHIP STATION WHY: agent exit 21, the SPP names the station (CN,
# serial) and says WHY, and nothing was claimed for the chip
refused() {
	local chip=$1 st=$2 why=$3
	test $rc -eq 21 && grep -q "station CN=$st serial=$(serial "$t/$st.pem"): refused in the TLS handshake: $why" \
		"$t/spp-$chip-$st.log" && ! grep -q "chip=${chip_hex[$chip]}" "$t/spp-$chip-$st.log" &&
		test ! -e "$t/store-$chip/store.json" && "$tbin/spp-check" nothing "$DBURL|$PUBURL" "${chip_hex[$chip]}"
}
accepted() { # accepted CHIP STATION [CN]
	local chip=$1 st=$2 cn=${3:-$2}
	test $rc -eq 0 && test -s "$t/store-$chip/store.json" &&
		grep -q "station CN=$cn serial=$(serial "$t/$st.pem"): certificate accepted" "$t/spp-$chip-$st.log" &&
		grep -q "chip=${chip_hex[$chip]} .*provisioned" "$t/spp-$chip-$st.log"
}
for c in c1 c2 c3 c4; do mkchip "$c" || nok "emulator $c starts"; done
cp "$FAC/station-key.pem" "$t/init.key"; cp "$FAC/station-cert.pem" "$t/init.pem"

provision c1 line-2
check "revoked station line-2: refused in the TLS handshake (agent exit $rc, want 21; SPP log: CN, serial, 'certificate revoked'); nothing claimed" \
	refused c1 line-2 'certificate revoked'
provision c1 expired
check "expired station certificate: refused (agent exit $rc, want 21; SPP log: 'certificate has expired'); nothing claimed" \
	refused c1 expired 'certificate has expired'
provision c1 line-1
check "another station (line-1) is served: chip provisioned, the SPP log names it (CN, serial)" accepted c1 line-1
provision c2 line-3
check "station line-3 is served before its revocation" accepted c2 line-3

# ---- revocation while the SPP runs: no restart
fac revoke "$FAC" "$t/line-3.pem" --reason cessationOfOperation >>"$t/factory.log" 2>&1
provision c3 line-3
check "line-3 revoked while the SPP runs: its next handshake is refused ('certificate revoked'); nothing claimed" \
	refused c3 line-3 'certificate revoked'
check "... the SPP re-read the CRL (logged '2 revoked') and is the same process" \
	bash -c "grep -q 'station CRL .* loaded: 2 revoked' '$t/spp.log' && kill -0 $spp_pid"
provision c3 init
check "... and init's station credential still works" accepted c3 init 'factory station'

# ---- a CRL that becomes invalid: every station refused until it is valid
cp "$FAC/station-crl.pem" "$t/crl-good.pem"
# replay: the older CRL from before line-3's revocation (CRL number 2, still current)
cp "$t/crl-mid.pem" "$FAC/station-crl.pem.new" && mv "$FAC/station-crl.pem.new" "$FAC/station-crl.pem"
provision c4 line-3
check "the CRL replaced by an older, still current one (replayed): the newer stays, line-3 still refused" \
	refused c4 line-3 'certificate revoked'
check "... the SPP logs that it kept the newer CRL" \
	grep -q 'older than the one loaded before (replayed?): keeping the newer one' "$t/spp.log"
cp "$t/stale-crl.pem" "$FAC/station-crl.pem.new" && mv "$FAC/station-crl.pem.new" "$FAC/station-crl.pem"
provision c4 line-1
check "the CRL replaced by a stale one (an old CRL replayed): even line-1 is refused (exit $rc), the SPP says why" \
	bash -c "test $rc -eq 21 && grep -q 'outside its lastUpdate..nextUpdate.*refusing every station' '$t/spp-c4-line-1.log' &&
		test ! -e '$t/store-c4/store.json'"
cp "$t/crl-good.pem" "$FAC/station-crl.pem"
fac revoke "$FAC" >"$t/resign.out" 2>>"$t/factory.log"
check "revoke DIR (no certificate) re-signs the CRL: CRL number 4, still 2 revoked, verifies" \
	bash -c "$(declare -f crl_ok crl_text); FAC='$FAC'; crl_ok && crl_text >'$t/crl4.txt' &&
		grep -A1 'CRL Number' '$t/crl4.txt' | grep -qx ' *4' && test \$(grep -c 'Serial Number' '$t/crl4.txt') -eq 2"
provision c4 line-1
check "... and line-1 is served again" accepted c4 line-1
mkchip c5 || nok "emulator c5 starts"
provision c5 line-2
check "... line-2 still refused after the re-signing" refused c5 line-2 'certificate revoked'
provision c5 line-3
check "... line-3 still refused after the re-signing" refused c5 line-3 'certificate revoked'

provision c5 newline
check "a station CN with a newline (an attempt to forge SPP log lines) is logged on one line, the newline as '?'" \
	bash -c "test $rc -eq 0 && grep -q 'station CN=evil?chipkey-spp: forged serial=' '$t/spp-c5-newline.log' &&
		! grep -q '^chipkey-spp: forged' '$t/spp.log'"

# ---- a remembered verification ends with the CRL's nextUpdate: a CRL
# (python3-cryptography, the issuing CA's key, CRL number 10, line-2 and
# line-3 still on it) in force for 15 s more; line-1 is served under it
# (its verification remembered), then, once its nextUpdate has passed
# (the file unchanged), refused
nu=$(python3 - "$FAC" "$t" 2>>"$t/py.log" <<'PY'
import sys, datetime as dt
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
from cryptography.hazmat.primitives import hashes, serialization
fac, t = sys.argv[1], sys.argv[2]
mk = serialization.load_pem_private_key(open(fac + "/ica-key.pem", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(fac + "/ica-cert.pem", "rb").read())
old = x509.load_pem_x509_crl(open(fac + "/station-crl.pem", "rb").read())
now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
     .last_update(now - dt.timedelta(seconds=60)).next_update(now + dt.timedelta(seconds=15))
     .add_extension(x509.CRLNumber(10), critical=False))
for r in old:
    b = b.add_revoked_certificate(r)
open(t + "/short-crl.pem", "wb").write(b.sign(mk, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
print(int((now + dt.timedelta(seconds=15)).timestamp()))
PY
)
cp "$t/short-crl.pem" "$FAC/station-crl.pem.new" && mv "$FAC/station-crl.pem.new" "$FAC/station-crl.pem"
mkchip c6 || nok "emulator c6 starts"
mkchip c7 || nok "emulator c7 starts"
provision c6 line-1
check "a CRL in force for 15 s more: line-1 is served (its verification remembered)" accepted c6 line-1
while [ -n "$nu" ] && [ "$EPOCHSECONDS" -le "$nu" ]; do sleep 0.5; done
provision c7 line-1
check "... and refused once that CRL's nextUpdate has passed, the file unchanged ('CRL has expired')" \
	refused c7 line-1 'CRL has expired'

kill "$spp_pid"; wait "$spp_pid"
rc=$?
unset "bg[spp]"
check "chipkey-spp stops cleanly (exit $rc; ASan: no leak of the CRL handling)" test $rc -eq 0

# ---- revoke prints a cRLNumber beyond a long in full: a copy of the
# factory whose station CRL (python3-cryptography, the issuing CA's key)
# has number 2^64; revoke DIR re-signs it as 2^64 + 1
cp -a "$FAC" "$t/bigfac"
python3 - "$t/bigfac" 2>>"$t/py.log" <<'PY'
import sys, datetime as dt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
fac = sys.argv[1]
mk = serialization.load_pem_private_key(open(fac + "/ica-key.pem", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(fac + "/ica-cert.pem", "rb").read())
now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
     .last_update(now - dt.timedelta(seconds=60)).next_update(now + dt.timedelta(days=30))
     .add_extension(x509.CRLNumber(2**64), critical=False))
open(fac + "/station-crl.pem", "wb").write(b.sign(mk, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
PY
fac revoke "$t/bigfac" >"$t/revoke-big.out" 2>>"$t/factory.log"
check "revoke on an empty CRL numbered 2^64 prints 'CRL number 18446744073709551617' and 0 revoked (exit $?), as openssl reads the new CRL" \
	bash -c "grep -qx 'CRL number 18446744073709551617' '$t/revoke-big.out' && grep -q ': 0 revoked,' '$t/revoke-big.out' &&
		openssl crl -in '$t/bigfac/station-crl.pem' -noout -crlnumber | grep -qix 'crlNumber=0x010000000000000001'"
echo "1..$n"
[ "$failed" -eq 0 ]
