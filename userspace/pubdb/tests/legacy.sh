# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: certificates from before the key hierarchy
# (docs/factory-pki.md "Key hierarchy"), on a server of its own with a fresh
# database.  Uses writers.sh's set-up (fac/, ka/, forged.csr, forge.cnf,
# a1.pkg, a2.pkg) and ext.cnf of run.sh.
#
#   legacy_tests TAG DB-URL

legacy_tests() {
	local tag=$1 db=$2 saved=$CHIP
	echo "# $tag: certificates signed by the root itself"
	# a device certificate of chip A (device A's key, its names) signed by
	# the root key directly, with the openssl CLI
	ossl x509 -req -in forged.csr -CA fac/mfr-ca.pem -CAkey fac/mfr-key.pem -CAcreateserial \
		-days 30 -extfile forge.cnf -extensions dev -out legacy-dev.pem
	ossl verify -CAfile fac/mfr-ca.pem legacy-dev.pem
	# a record signer signed by the root key directly
	mkleaf legacyrec "/O=chipkey test/OU=chipkey-record-signer/CN=legacy signer" ca
	CHIP=$CHIP_A
	start_server "$db"
	tap $? "$tag: server starts"
	post "$tag" 201 "the SPP writes generation 1 for a legacy device (device cert signed by the root)" \
		fac/record-key.pem rec-chain.pem $CHIP_A 1 "$IA" a1.pkg legacy-dev.pem
	post "$tag" 201 "the legacy device writes its generation 2 (signed by that certificate)" \
		ka/device-key.pem legacy-dev.pem $CHIP_A 2 "$IA" a2.pkg legacy-dev.pem
	post "$tag" 403 "a record signer signed by the root itself writes generation 1" \
		legacyrec.key legacyrec.pem $CHIP_B 1 "$IB" b1.pkg kb/device-cert.pem
	grep -q 'issuing CA' body.out
	tap $? "$tag: ... refused because it is not issued by an issuing CA"
	stop_server
	tap $? "$tag: server exits 0"
	CHIP=$saved
}

# with --crl of the root only, the issuing CA's CRL is missing: refused,
# and the error names the issuer whose CRL is missing
legacy_crl_tests() {
	local tag=$1 db=$2 saved=$CHIP
	CHIP=$CHIP_B
	start_server "$db" --crl fac/root-crl.pem
	tap $? "$tag: server starts with --crl of the root only"
	post "$tag" 401 "a genuine generation 1 while the issuing CA's CRL is missing" \
		fac/record-key.pem rec-chain.pem $CHIP_B 1 "$IB" b1.pkg kb/device-cert.pem
	grep -q 'no --crl of the issuer .*chipkey issuing CA' body.out
	tap $? "$tag: ... the error names the issuer whose CRL is missing"
	stop_server
	tap $? "$tag: server exits 0"
	cat fac/root-crl.pem fac/station-crl.pem >crl-bundle.pem
	start_server "$db" --crl crl-bundle.pem
	tap $? "$tag: server starts with --crl of one PEM bundle (root + issuing CA)"
	post "$tag" 201 "... every CRL of the bundle is read: the same record" \
		fac/record-key.pem rec-chain.pem $CHIP_B 1 "$IB" b1.pkg kb/device-cert.pem
	stop_server
	tap $? "$tag: server exits 0"
	CHIP=$saved
}
