# shellcheck shell=bash
# The key hierarchy (docs/factory-pki.md "Key hierarchy"), sourced by
# test-factory.sh (uses CF, F, T, IMEI, CHIP, ok, check): root -> issuing
# CA -> SPP TLS, record signer, stations, devices; checked with openssl.

H=$T/hier
"$CF" init "$H" --spp-name spp.test >/dev/null 2>&1
ok $? "hierarchy: init"
openssl x509 -in "$H/mfr-ca.pem" -noout -text 2>/dev/null | grep -q 'CA:TRUE, pathlen:1'
ok $? "hierarchy: the root CA (mfr-ca.pem) has pathlen:1"
openssl x509 -in "$H/ica-cert.pem" -noout -text 2>/dev/null | grep -q 'CA:TRUE, pathlen:0'
ok $? "hierarchy: the issuing CA has pathlen:0"
check "hierarchy: openssl verify -CAfile mfr-ca.pem accepts the issuing CA" \
	openssl verify -CAfile "$H/mfr-ca.pem" "$H/ica-cert.pem"
! openssl verify -CAfile "$H/mfr-ca.pem" "$H/spp-cert.pem" >/dev/null 2>&1
ok $? "hierarchy: the SPP certificate is not signed by the root itself (needs the issuing CA)"
txt=$(openssl x509 -in "$H/record-cert.pem" -noout -text 2>/dev/null)
printf '%s' "$txt" | grep -q 'OU = chipkey-record-signer' &&
	! printf '%s' "$txt" | grep -q 'TLS Web' && ! printf '%s' "$txt" | grep -q 'chipkey-spp'
ok $? "hierarchy: record-signing certificate: OU=chipkey-record-signer, no TLS role"
a=$(openssl pkey -in "$H/record-key.pem" -pubout 2>/dev/null); b=$(openssl pkey -in "$H/spp-key.pem" -pubout 2>/dev/null)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]
ok $? "hierarchy: the record-signing key is not the TLS key"
check "hierarchy: openssl verify accepts the record-signing certificate (root + issuing CA)" \
	openssl verify -CAfile "$H/mfr-ca.pem" -untrusted "$H/ica-cert.pem" "$H/record-cert.pem"

# the root key offline: a factory without it still issues
mkdir "$T/noroot" && cp -a "$H"/. "$T/noroot/" && mv "$T/noroot/mfr-key.pem" "$T/root-offline.pem"
"$CF" issue "$T/noroot" --identity $IMEI --chip-id $CHIP --key-out "$T/nr-k.pem" --out "$T/nr-c.pem" >/dev/null 2>&1 &&
	openssl verify -CAfile "$T/noroot/mfr-ca.pem" -untrusted "$T/noroot/ica-cert.pem" "$T/nr-c.pem" >/dev/null 2>&1
ok $? "hierarchy: with mfr-key.pem removed the factory still issues device certificates"
"$CF" package "$T/noroot" --identity $IMEI --chip-id $CHIP --out "$T/nr-p.bin" >/dev/null 2>&1
ok $? "hierarchy: ... and data packages"
"$CF" dump "$T/nr-p.bin" 2>/dev/null | grep -q 'issuing-ca-cert'
ok $? "hierarchy: the data package carries the issuing CA certificate"
[ "$("$CF" dump "$T/nr-p.bin" 2>/dev/null | awk '/^  0x/ { print index($0, "bytes") }' | sort -u | wc -l)" = 1 ]
ok $? "hierarchy: dump aligns its columns (issuing-ca-cert included)"
"$CF" --help 2>&1 | grep -q 'record-signing or device certificate'
ok $? "hierarchy: revoke's --help names device certificates"

# rotation and revocation of the record-signing credential
cp "$T/noroot/record-cert.pem" "$T/old-record.pem"
"$CF" spp-cred "$T/noroot" --records >/dev/null 2>&1 &&
	! cmp -s "$T/old-record.pem" "$T/noroot/record-cert.pem" &&
	openssl verify -CAfile "$T/noroot/mfr-ca.pem" -untrusted "$T/noroot/ica-cert.pem" \
		"$T/noroot/record-cert.pem" >/dev/null 2>&1
ok $? "hierarchy: spp-cred --records issues a new record-signing credential"
"$CF" spp-cred "$T/noroot" --tls --records >/dev/null 2>&1
[ $? -eq 1 ]; ok $? "hierarchy: spp-cred needs exactly one of --tls, --records"
"$CF" revoke "$T/noroot" "$T/old-record.pem" >/dev/null 2>&1
ok $? "hierarchy: revoke the old record-signing certificate"
out=$(openssl verify -crl_check -CRLfile "$T/noroot/station-crl.pem" -CAfile "$T/noroot/mfr-ca.pem" \
	-untrusted "$T/noroot/ica-cert.pem" "$T/old-record.pem" 2>&1)
printf '%s' "$out" | grep -q 'certificate revoked'
ok $? "hierarchy: openssl verify -crl_check: the old record certificate is revoked"
openssl verify -crl_check -CRLfile "$T/noroot/station-crl.pem" -CAfile "$T/noroot/mfr-ca.pem" \
	-untrusted "$T/noroot/ica-cert.pem" "$T/noroot/record-cert.pem" >/dev/null 2>&1
ok $? "hierarchy: ... the new one is not"

# a new issuing CA, only with the offline root key
"$CF" issuing-ca "$T/noroot" --root-key "$T/noroot/station-key.pem" >/dev/null 2>&1
[ $? -eq 11 ]; ok $? "hierarchy: issuing-ca refuses a --root-key that is not the root's (exit 11)"
cp "$T/noroot/ica-cert.pem" "$T/old-ica.pem"
cp "$T/noroot/station-crl.pem" "$T/old-ica-crl.pem"
"$CF" issuing-ca "$T/noroot" --root-key "$T/root-offline.pem" >/dev/null 2>&1 &&
	! cmp -s "$T/old-ica.pem" "$T/noroot/ica-cert.pem" &&
	openssl verify -CAfile "$T/noroot/mfr-ca.pem" -untrusted "$T/noroot/ica-cert.pem" \
		"$T/noroot/spp-cert.pem" >/dev/null 2>&1
ok $? "hierarchy: issuing-ca --root-key: new issuing CA, TLS credential under it"
oldser=$(openssl x509 -in "$T/old-ica.pem" -noout -serial | cut -d= -f2)
cmp -s "$T/old-ica-crl.pem" "$T/noroot/ica-crl-$oldser.pem" &&
	! cmp -s "$T/old-ica-crl.pem" "$T/noroot/station-crl.pem"
ok $? "hierarchy: ... the old issuing CA's CRL is kept as ica-crl-<old serial>.pem, station-crl.pem is new"
"$CF" revoke "$T/noroot" "$T/old-ica.pem" --root-key "$T/root-offline.pem" >/dev/null 2>&1
ok $? "hierarchy: revoke --root-key: the old issuing CA on the root's CRL"
out=$(openssl verify -crl_check_all -CRLfile "$T/noroot/root-crl.pem" -CRLfile "$T/old-ica-crl.pem" \
	-CAfile "$T/noroot/mfr-ca.pem" -untrusted "$T/old-ica.pem" "$T/nr-c.pem" 2>&1)
printf '%s' "$out" | grep -q 'certificate revoked'
ok $? "hierarchy: openssl verify -crl_check_all: a device certificate of the revoked issuing CA is refused"
"$CF" revoke "$T/noroot" "$T/noroot/ica-cert.pem" >/dev/null 2>&1
[ $? -eq 11 ]; ok $? "hierarchy: revoke without --root-key refuses an issuing CA (exit 11)"
