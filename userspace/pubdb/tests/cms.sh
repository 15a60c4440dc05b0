# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: records in format 2 (CMS SignedData, docs/pubdb-api.md
# "Format 2") against the server run.sh started ($U, $C, chip $CHIP).  The
# attack records are made with the openssl CLI around the body of a genuine
# record, each valid in all but the one point it attacks.
#
#   cms_attacks TAG   before anything is stored for $CHIP (needs good1.rec)
#   cms_reads TAG     after generations 1 (SPP) and 2 (device) are stored

CMS_OID=2.25.213511338043597196501641430360160149527

# ocms OUT ARGS...: openssl cms -sign around body1.bin, DER
ocms() {
	local out=$1; shift
	openssl cms -sign -binary -outform DER -nosmimecap -in body1.bin -out "$out" "$@" \
		2>>openssl.log
}

cms_attacks() {
	local tag=$1 off
	# the body (an unsigned format-1 record), as openssl reads it
	openssl cms -verify -noverify -inform DER -binary -in good1.rec -out body1.bin \
		>/dev/null 2>>openssl.log
	tap $? "$tag: openssl cms extracts the body of chipkey-pubdb-put's record"
	cp good1.rec tampered.rec
	# one byte inside the backup: the body starts at its "CKPR", the backup at 52
	off=$(grep -obUa CKPR good1.rec | head -1 | cut -d: -f1)
	flip_byte tampered.rec $((off + 60))
	is "$(code --data-binary @tampered.rec "$C/generations")" 401 \
		"$tag: format 2: a changed content byte (message digest) -> 401"
	cp good1.rec tampered.rec	# the signature is the last field of the record
	flip_byte tampered.rec $(($(stat -c %s good1.rec) - 1))
	is "$(code --data-binary @tampered.rec "$C/generations")" 401 \
		"$tag: format 2: a changed signature byte -> 401"
	ocms ossl-good.rec -nodetach -econtent_type $CMS_OID -signer spp.pem -inkey spp.key \
		-certfile ica.pem
	tap $? "$tag: openssl cms -sign makes a genuine record (posted once generation 1 is stored)"
	ocms ossl-data.rec -nodetach -signer spp.pem -inkey spp.key
	is "$(code --data-binary @ossl-data.rec "$C/generations")" 400 \
		"$tag: format 2: content type id-data instead of id-ct-chipkeyRecord -> 400"
	ocms ossl-other.rec -nodetach -econtent_type 1.2.3.4 -signer spp.pem -inkey spp.key
	is "$(code --data-binary @ossl-other.rec "$C/generations")" 400 \
		"$tag: format 2: another content type -> 400"
	ocms ossl-detached.rec -econtent_type $CMS_OID -signer spp.pem -inkey spp.key
	is "$(code --data-binary @ossl-detached.rec "$C/generations")" 400 \
		"$tag: format 2: detached content -> 400"
	ocms ossl-two.rec -nodetach -econtent_type $CMS_OID -signer spp.pem -inkey spp.key \
		-signer norole.pem -inkey norole.key
	is "$(code --data-binary @ossl-two.rec "$C/generations")" 400 \
		"$tag: format 2: a second signer -> 400"
	ocms ossl-swap.rec -nodetach -econtent_type $CMS_OID -signer spp.pem -inkey spp.key \
		-nocerts -certfile norole.pem
	is "$(code --data-binary @ossl-swap.rec "$C/generations")" 400 \
		"$tag: format 2: SPP's signature, another certificate embedded (none is the signer's) -> 400"
	cat ica.pem norole.pem >two.pem
	ocms ossl-three.rec -nodetach -econtent_type $CMS_OID -signer spp.pem -inkey spp.key \
		-certfile two.pem
	is "$(code --data-binary @ossl-three.rec "$C/generations")" 400 \
		"$tag: format 2: three certificates (more than writer + issuing CA) -> 400"
	ocms ossl-noica.rec -nodetach -econtent_type $CMS_OID -signer spp.pem -inkey spp.key
	is "$(code --data-binary @ossl-noica.rec "$C/generations")" 401 \
		"$tag: format 2: the record signer without its issuing CA (no chain to the root) -> 401"
	ocms ossl-rogue.rec -nodetach -econtent_type $CMS_OID -signer roguespp.pem -inkey roguespp.key
	is "$(code --data-binary @ossl-rogue.rec "$C/generations")" 401 \
		"$tag: format 2: signed by an SPP of another CA -> 401"
	ocms ossl-sha384.rec -nodetach -econtent_type $CMS_OID -signer spp.pem -inkey spp.key -md sha384
	is "$(code --data-binary @ossl-sha384.rec "$C/generations")" 401 \
		"$tag: format 2: digest SHA-384 instead of SHA-256 -> 401"
	ocms ossl-noattr.rec -nodetach -econtent_type $CMS_OID -signer spp.pem -inkey spp.key -noattr
	is "$(code --data-binary @ossl-noattr.rec "$C/generations")" 400 \
		"$tag: format 2: no signed attributes (no contentType, signingTime) -> 400"
}

# cms_check TAG GEN BACKUP WHO: generation GEN served in format 2 and checked by openssl
cms_check() {
	local tag=$1 gen=$2 backup=$3 who=$4
	curl -s -D hdr.out -o "rec$gen.p7" "$C/generations/$gen/record"
	grep -qi '^Content-Type: application/cms' hdr.out
	tap $? "$tag: generation $gen's record is served as application/cms"
	openssl cms -verify -inform DER -binary -CAfile ca.pem -purpose any -in "rec$gen.p7" \
		-out "body$gen.out" >/dev/null 2>>openssl.log
	tap $? "$tag: openssl cms -verify -CAfile <manufacturer CA> accepts generation $gen ($who)"
	python3 "$here/check-body.py" "body$gen.out" $CHIP "$gen" $ID "$backup" device.der
	tap $? "$tag: ... its body is the unsigned format-1 record of generation $gen (python)"
	openssl cms -cmsout -print -inform DER -in "rec$gen.p7" >print.out 2>>openssl.log
	grep -q "eContentType: .*$CMS_OID" print.out && grep -q 'signingTime' print.out &&
		grep -q 'messageDigest' print.out
	tap $? "$tag: ... openssl cms -cmsout -print shows the content type, signingTime, messageDigest"
	openssl asn1parse -inform DER -in "rec$gen.p7" | grep -m1 ' INTEGER ' | grep -q ':03$'
	tap $? "$tag: ... SignedData version 3 (openssl asn1parse)"
}

cms_reads() {
	local tag=$1 when st
	"$PUT" --url "$U" --get $CHIP --generation 1 >get.out 2>&1
	openssl cms -cmsout -print -inform DER -in good1.rec 2>>openssl.log |
		grep -A4 'object: signingTime' | sed -n 's/.*TIME:\(.*\)$/\1/p' | head -1 >when.out
	when=$(date -u -d "$(cat when.out)" +%s 2>/dev/null)
	st=$(sed -n 's/^signing_time //p' get.out)
	grep -q '^format cms$' get.out && [ -n "$when" ] && [ "$st" = "$when" ]
	tap $? "$tag: --get prints format cms and the signingTime openssl reads ($st = $when)"
	cms_check "$tag" 1 backup1 "the SPP, by chipkey-pubdb-put"
	cms_check "$tag" 2 backup2 "the device, by chipkey-pubdb-put"
	openssl cms -verify -inform DER -binary -CAfile rogue.pem -purpose any -in rec1.p7 \
		-out /dev/null >/dev/null 2>&1
	tap $([ $? != 0 ]; echo $?) "$tag: ... and openssl cms -verify refuses it against another CA"
}
