# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: revocation (docs/pubdb-api.md "--crl"), with the real
# programs against a server of its own on a fresh database.  Uses the
# factory fac/ of writers.sh, spp.pem/spp.key (the record signer and its
# issuing CA), chips $CHIP_A/$CHIP_B and their backups.
#
#   crl_tests TAG DB-URL

crl_tests() {
	local tag=$1 db=$2 saved=$CHIP
	echo "# $tag: revocation (--crl)"
	cp fac/root-crl.pem root-crl.pem && cp fac/station-crl.pem ica-crl.pem
	"$PUT" --key spp.key --cert spp.pem --chip $CHIP_A --generation 1 --identity "$IA" \
		--backup a1.pkg --device-cert ka/device-cert.der --out crl-a1.rec --no-post 2>>put.log
	"$PUT" --key spp.key --cert spp.pem --chip $CHIP_B --generation 1 --identity "$IB" \
		--backup b1.pkg --device-cert kb/device-cert.der --out crl-b1.rec --no-post 2>>put.log
	CHIP=$CHIP_A
	start_server "$db" --crl root-crl.pem --crl ica-crl.pem
	tap $? "$tag: server starts with --crl (the root's and the issuing CA's CRLs)"
	is "$(code --data-binary @crl-a1.rec "$U/v1/chips/$CHIP_A/generations")" 201 \
		"$tag: a genuine generation 1 with nothing revoked -> 201"
	# the record signer revoked (chipkey-factory revoke, on a copy of the factory)
	rm -rf crlfac && cp -a fac crlfac
	"$BIN/chipkey-factory" revoke crlfac crlfac/record-cert.pem >>setup.log 2>&1
	cp crlfac/station-crl.pem ica-crl.pem.new && mv ica-crl.pem.new ica-crl.pem
	is "$(code --data-binary @crl-b1.rec "$U/v1/chips/$CHIP_B/generations")" 401 \
		"$tag: a record signed by a revoked record signer -> 401 (CRL re-read after it changed)"
	grep -q 'revoked' body.out
	tap $? "$tag: ... the error says certificate revoked"
	is "$(code "$U/v1/chips/$CHIP_B")" 404 "$tag: ... nothing stored for chip B"
	# a CRL past its nextUpdate (Debian's python3-cryptography signs it
	# with the issuing CA's key): every write refused
	/usr/bin/python3 "$top/userspace/common/tests/stale-crl.py" fac/ica-key.pem fac/ica-cert.pem \
		ica-crl.pem.new 2>>put.log
	mv ica-crl.pem.new ica-crl.pem
	is "$(code --data-binary @crl-b1.rec "$U/v1/chips/$CHIP_B/generations")" 401 \
		"$tag: the issuing CA's CRL past its nextUpdate: a genuine record -> 401 (fail closed)"
	grep -q 'expired' body.out
	tap $? "$tag: ... the error says the CRL has expired"
	printf 'not a CRL\n' >ica-crl.pem
	is "$(code --data-binary @crl-b1.rec "$U/v1/chips/$CHIP_B/generations")" 503 \
		"$tag: a CRL file that cannot be read: writes -> 503"
	# replay: the older CRL (lower cRLNumber), from before the revocation
	cp fac/station-crl.pem ica-crl.pem.new && mv ica-crl.pem.new ica-crl.pem
	is "$(code --data-binary @crl-b1.rec "$U/v1/chips/$CHIP_B/generations")" 401 \
		"$tag: the older CRL (lower cRLNumber) swapped back in: the revocation still holds -> 401"
	grep -q 'revoked' body.out
	tap $? "$tag: ... the error says certificate revoked"
	grep -q 'older than .* seen before' server.log
	tap $? "$tag: ... and the server logs that it kept the newer CRL"
	# a new record signer (not revoked) still writes under the kept CRL
	"$BIN/chipkey-factory" spp-cred crlfac --records >>setup.log 2>&1
	cat crlfac/record-cert.pem crlfac/ica-cert.pem >crl-rec2.pem
	"$PUT" --key crlfac/record-key.pem --cert crl-rec2.pem --chip $CHIP_B --generation 1 \
		--identity "$IB" --backup b1.pkg --device-cert kb/device-cert.der --out crl-b1n.rec \
		--no-post 2>>put.log
	is "$(code --data-binary @crl-b1n.rec "$U/v1/chips/$CHIP_B/generations")" 201 \
		"$tag: ... a record by a record signer not revoked -> 201"
	is "$(code "$U/v1/chips/$CHIP_B")" 200 "$tag: reads stay open"
	stop_server
	tap $? "$tag: server exits 0"
	start_server "$db" --crl fac/mfr-ca.pem
	is $? 1 "$tag: --crl of a file that is no CRL: the server does not start"
	wait "$srv"
	is $? 8 "$tag: ... exit 8"
	CHIP=$saved
}
