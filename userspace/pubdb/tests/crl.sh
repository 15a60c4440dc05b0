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

# Sourced by run.sh: the issuing CA rotated as docs/factory-pki.md
# "Rotation" says (chipkey-factory issuing-ca, on a copy of the factory):
# the old and the new issuing CA have the same name, and the new one's CRL
# starts again at cRLNumber 1 while the old one's is at 4.  The replay guard
# must keep one newest CRL per issuing CA (name and key), not per name:
# genuine writes under both CAs with the CRLs of both, in both file orders
# and after the new CA's CRL is re-signed; a CRL replayed (an older one of
# the SAME CA) is still not used and a revoked signer under either CA is
# still refused.
#
#   crl_rotation_tests TAG DB-DIR
crl_rotation_tests() {
	local tag=$1 dbdir=$2 saved=$CHIP n=0 log0=0 new2
	echo "# $tag: revocation across an issuing-CA rotation"
	rotpost() {	# rotpost WANT RECORD NAME...
		local want=$1 rec=$2
		shift 2
		is "$(code --data-binary @"$rec" "$U/v1/chips/$(cat "$rec.chip")/generations")" \
			"$want" "$tag: $*"
	}
	rotrevoked() {	# rotrevoked RECORD NAME...: 401 for the revocation itself
		rotpost 401 "$@"
		grep -q 'revoked' body.out
		tap $? "$tag: ... the error says certificate revoked (not a missing CRL)"
	}
	rotrec() {	# rotrec OUT KEY CHAIN CHIP IDENTITY BACKUP DEVICE-CERT
		"$PUT" --key "$2" --cert "$3" --chip "$4" --generation 1 --identity "$5" \
			--backup "$6" --device-cert "$7" --out "$1" --no-post 2>>put.log &&
		echo "$4" >"$1.chip"
	}
	rotserver() {	# rotserver CRL-FILES...: a server on a fresh database
		local f args=()
		n=$((n + 1))
		for f in "$@"; do args+=(--crl "$f"); done
		log0=$(wc -l <server.log)
		start_server "sqlite:$dbdir/rot$n.db" "${args[@]}"
		tap $? "$tag: server $n starts with --crl $*"
	}
	rm -rf rotfac && cp -a fac rotfac && cp fac/station-crl.pem old1.crl
	# old issuing CA: its record signer R0 (spp.pem) genuine; R0b issued
	# and revoked; the CRL re-signed up to cRLNumber 4
	rotrec rot-a0.rec spp.key spp.pem $CHIP_A "$IA" a1.pkg ka/device-cert.der &&
	"$BIN/chipkey-factory" spp-cred rotfac --records >>setup.log 2>&1 &&
	cat rotfac/record-cert.pem rotfac/ica-cert.pem >rot-r0b.pem &&
	rotrec rot-ab.rec rotfac/record-key.pem rot-r0b.pem $CHIP_A "$IA" a1.pkg \
		ka/device-cert.der &&
	"$BIN/chipkey-factory" revoke rotfac rotfac/record-cert.pem >>setup.log 2>&1 &&
	"$BIN/chipkey-factory" revoke rotfac >>setup.log 2>&1 &&
	"$BIN/chipkey-factory" revoke rotfac >>setup.log 2>&1 &&
	# the rotation: a new issuing CA (same name), its record signer R1
	"$BIN/chipkey-factory" issuing-ca rotfac --root-key rotfac/mfr-key.pem \
		>>setup.log 2>&1 &&
	cp rotfac/ica-crl-*.pem old.crl && cp rotfac/root-crl.pem rot-root.crl &&
	cp rotfac/station-crl.pem new1.crl && cp new1.crl new.crl &&
	cat rotfac/record-cert.pem rotfac/ica-cert.pem >rot-r1.pem &&
	# chip B provisioned again, under the new CA (a generation-1 record
	# carries the device certificate's issuing CA: the writer's)
	"$BIN/chipkey-factory" package rotfac --identity "$IB" --chip-id $CHIP_B --out rot-dpb \
		>>setup.log 2>&1 &&
	"$BIN/chipkey" --device "emu:$tmp/b.sock" wrap --generation 1 rot-dpb rot-b1.pkg \
		>>setup.log 2>&1 &&
	"$BIN/chipkey" --device "emu:$tmp/b.sock" recover --store rot-sb --keys rot-kb \
		--from rot-b1.pkg >>setup.log 2>&1 &&
	rotrec rot-b1.rec rotfac/record-key.pem rot-r1.pem $CHIP_B "$IB" rot-b1.pkg \
		rot-kb/device-cert.der
	tap $? "$tag: issuing CA rotated (chipkey-factory issuing-ca), records made"
	is "$(openssl crl -in old.crl -noout -issuer -crlnumber | tr '\n' ' ')" \
		"$(openssl crl -in new.crl -noout -issuer | tr '\n' ' ')crlNumber=0x04 " \
		"$tag: ... the old and the new issuing CA's CRLs have the same issuer name (numbers 4 and 1)"

	# the old CA's CRL read first: the new one's (number 1) is no replay of it
	rotserver rot-root.crl old.crl new.crl
	rotpost 201 rot-b1.rec "old CA's CRL first: a record by the new CA's record signer -> 201"
	rotpost 201 rot-a0.rec "... a record by the old CA's record signer -> 201"
	rotrevoked rot-ab.rec "... the old CA's revoked record signer -> 401"
	! tail -n +$((log0 + 1)) server.log | grep -q 'older than'
	tap $? "$tag: ... no CRL taken for a replay"
	stop_server

	# the new CA's CRL first, then re-signed (number 2, still below the
	# old CA's 4) while the server runs: R1 revoked, R2 issued
	rotserver rot-root.crl new.crl old.crl
	rotpost 201 rot-a0.rec "new CA's CRL first: a record by the old CA's record signer -> 201"
	rotrevoked rot-ab.rec "... the old CA's revoked record signer -> 401"
	cp rotfac/record-cert.pem rot-r1-cert.pem &&
	"$BIN/chipkey-factory" spp-cred rotfac --records >>setup.log 2>&1 &&
	"$BIN/chipkey-factory" revoke rotfac rot-r1-cert.pem >>setup.log 2>&1 &&
	cat rotfac/record-cert.pem rotfac/ica-cert.pem >rot-r2.pem &&
	rotrec rot-b2.rec rotfac/record-key.pem rot-r2.pem $CHIP_B "$IB" rot-b1.pkg \
		rot-kb/device-cert.der &&
	cp rotfac/station-crl.pem new.crl.tmp && mv new.crl.tmp new.crl && cp new.crl new2.crl
	new2=$(openssl crl -in new.crl -noout -crlnumber)
	is "$new2" "crlNumber=0x02" "$tag: ... the new CA's CRL re-signed (number 2), R1 revoked"
	rotrevoked rot-b1.rec "... the new CA's revoked record signer R1 -> 401"
	rotpost 201 rot-b2.rec "... a record by the new CA's record signer R2 -> 201"
	stop_server

	# replays of each CA's own older CRL: not used, the revocations hold
	cp new2.crl new.crl
	rotserver rot-root.crl old.crl new.crl
	cp old1.crl old.crl.tmp && mv old.crl.tmp old.crl
	cp new1.crl new.crl.tmp && mv new.crl.tmp new.crl
	rotrevoked rot-ab.rec "old CA's number 1 replayed: its revoked record signer still -> 401"
	rotrevoked rot-b1.rec "new CA's number 1 replayed: its revoked record signer R1 still -> 401"
	tail -n +$((log0 + 1)) server.log >rot-server.log
	grep -q 'number 1: older than 4 seen before' rot-server.log &&
		grep -q 'number 1: older than 2 seen before' rot-server.log
	tap $? "$tag: ... the server logs both replays (older than 4, older than 2)"
	rotpost 201 rot-a0.rec "... a record by the old CA's record signer -> 201"
	rotpost 201 rot-b2.rec "... a record by the new CA's record signer R2 -> 201"
	stop_server
	tap $? "$tag: server exits 0"
	CHIP=$saved
}
