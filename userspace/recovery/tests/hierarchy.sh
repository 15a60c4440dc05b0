# shellcheck shell=bash
# Sourced by test-recovery.sh: the key hierarchy at recovery (docs/factory-pki.md
# "Key hierarchy", "Revocation").  Uses $t (factory $t/fac, chip $D1 and its
# store backup $t/orig1/backup.pkg), $bin, $ck, expect, check.

# a raw backup of chip d1 restores with the CRLs of an untouched factory
expect 0 "hierarchy: recover --from with --crl (root and issuing CA CRLs, nothing revoked)" \
	"$ck" --device "$D1" recover --store "$t/h1" --no-keys --from "$t/orig1/backup.pkg" \
	--crl "$t/fac/root-crl.pem" --crl "$t/fac/station-crl.pem"
expect 8 "hierarchy: recover --crl of a file that is no CRL -> exit 8" \
	"$ck" --device "$D1" recover --store "$t/h1" --no-keys --from "$t/orig1/backup.pkg" \
	--crl "$t/fac/mfr-ca.pem"

# the issuing CA revoked on a copy of the factory (its root CRL)
cp -a "$t/fac" "$t/hfac"
"$bin/chipkey-factory" revoke "$t/hfac" "$t/hfac/ica-cert.pem" --root-key "$t/hfac/mfr-key.pem" \
	>/dev/null 2>>"$t/factory.log"
check "hierarchy: the root CRL lists the issuing CA (openssl crl)" \
	bash -c "openssl crl -in '$t/hfac/root-crl.pem' -noout -text | grep -q \"Serial Number: \$(openssl x509 -in '$t/hfac/ica-cert.pem' -noout -serial | cut -d= -f2)\""
rm -rf "$t/h2"
expect 11 "hierarchy: recover refuses a package whose device certificate chains to a revoked issuing CA (--crl)" \
	"$ck" --device "$D1" recover --store "$t/h2" --no-keys --from "$t/orig1/backup.pkg" \
	--crl "$t/hfac/root-crl.pem" --crl "$t/hfac/station-crl.pem"
check "... says it is revoked, and writes no store" \
	bash -c "grep -q 'revoked' '$t/last.err' && test ! -e '$t/h2/current'"

# a stale CRL of the issuing CA fails closed: python3-cryptography (Debian's)
# signs one with nextUpdate in the past
/usr/bin/python3 "$TOP/userspace/common/tests/stale-crl.py" "$t/fac/ica-key.pem" \
	"$t/fac/ica-cert.pem" "$t/stale-ica-crl.pem" 2>>"$t/py.log"
rm -rf "$t/h3"
expect 11 "hierarchy: recover refuses while the issuing CA's CRL is past its nextUpdate (fail closed)" \
	"$ck" --device "$D1" recover --store "$t/h3" --no-keys --from "$t/orig1/backup.pkg" \
	--crl "$t/fac/root-crl.pem" --crl "$t/stale-ica-crl.pem"
check "... says a CRL is out of date" grep -q 'out of date' "$t/last.err"

# with --crl, every issuer of the chain needs its CRL: d1's device
# certificate revoked by its issuing CA (a copy of the factory)
cp -a "$t/fac" "$t/dfac"
openssl x509 -inform DER -in "$t/s1/device-cert.der" -out "$t/d1-cert.pem" 2>/dev/null
"$bin/chipkey-factory" revoke "$t/dfac" "$t/d1-cert.pem" >/dev/null 2>>"$t/factory.log"
check "hierarchy: the issuing CA's CRL lists d1's device certificate (openssl verify -crl_check)" \
	bash -c "openssl verify -crl_check -CRLfile '$t/dfac/station-crl.pem' -CAfile '$t/fac/mfr-ca.pem' \
		-untrusted '$t/fac/ica-cert.pem' '$t/d1-cert.pem' 2>&1 | grep -q 'certificate revoked'"
rm -rf "$t/h5"
expect 11 "hierarchy: recover --crl of the root only: no CRL of the issuing CA -> refused (fail closed)" \
	"$ck" --device "$D1" recover --store "$t/h5" --no-keys --from "$t/orig1/backup.pkg" \
	--crl "$t/dfac/root-crl.pem"
check "... the message names the missing issuer, no store written" \
	bash -c "grep -q 'no CRL of the issuer' '$t/last.err' && test ! -e '$t/h5/current'"
cat "$t/dfac/root-crl.pem" "$t/dfac/station-crl.pem" >"$t/dfac-bundle.pem"
expect 11 "hierarchy: recover --crl of one PEM bundle (root + issuing CA): the revoked device certificate is refused" \
	"$ck" --device "$D1" recover --store "$t/h5" --no-keys --from "$t/orig1/backup.pkg" \
	--crl "$t/dfac-bundle.pem"
check "... says revoked" grep -q 'revoked' "$t/last.err"
cat "$t/fac/root-crl.pem" "$t/fac/station-crl.pem" >"$t/fac-bundle.pem"
expect 0 "hierarchy: ... the bundle of the untouched factory restores" \
	"$ck" --device "$D1" recover --store "$t/h5" --no-keys --from "$t/orig1/backup.pkg" \
	--crl "$t/fac-bundle.pem"

# a device certificate from a foreign issuing CA: a rogue factory with the
# same names whose issuing CA our root never signed; its package, wrapped on
# chip d1 (whose ROM holds our root), is refused at recovery
"$bin/chipkey-factory" init "$t/rogue-h" >/dev/null 2>>"$t/factory.log"
"$bin/chipkey-factory" package "$t/rogue-h" --identity "$(tr -d '\n' <"$t/s1/identity")" \
	--chip-id "$hex1" --out "$t/rogue-h.dp" >/dev/null 2>>"$t/factory.log"
"$ck" --device "$D1" wrap --generation 7 "$t/rogue-h.dp" "$t/rogue-h.pkg" >/dev/null 2>>"$t/factory.log"
check "hierarchy: a rogue factory's package wrapped on chip d1" test -s "$t/rogue-h.pkg"
rm -rf "$t/h4"
expect 11 "hierarchy: recover refuses a device certificate of a foreign issuing CA" \
	"$ck" --device "$D1" recover --store "$t/h4" --no-keys --from "$t/rogue-h.pkg" --force
check "... because the chain does not reach the ROM key" \
	bash -c "grep -q 'issuing CA under the manufacturer key in ROM' '$t/last.err' && test ! -e '$t/h4/current'"
