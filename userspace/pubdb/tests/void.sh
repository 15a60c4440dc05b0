# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: voiding a generation (issue 9, docs/pubdb-api.md
# "Voiding a generation"), with the real programs, after writer_attacks on
# the same server and database: chip A holds generations 1..3 (SQLite: and
# an SPP-signed 4), chip B 1..2 (SQLite: and a poisoned 3 carrying chip A's
# certificate, which blocks device B's next generation).
#
#   void_tests TAG [SQLITE-FILE]

# vpost TAG WANT-STATUS DESC KEY CERT CHIP GEN [REASON]: a void entry built by
# chipkey-pubdb-put --void --no-post, posted with curl
vpost() {
	local tag=$1 want=$2 desc=$3 rc
	"$PUT" --void --key "$4" --cert "$5" --chip "$6" --generation "$7" \
		--reason "${8:-test: voided}" --out v.ent --no-post 2>>put.log
	rc=$?
	if [ $rc != 0 ]; then
		tap $rc "$tag: $desc: void entry built"
		return
	fi
	is "$(code --data-binary @v.ent "$U/v1/chips/$6/generations/$7/void")" "$want" \
		"$tag: $desc -> $want"
}

# the "latest" of a chip's /generations
newest_of() {
	curl -s "$U/v1/chips/$1/generations" | python3 -c 'import json,sys; print(json.load(sys.stdin)["latest"])'
}

void_tests() {
	local tag=$1 mfr="fac/mfr-key.pem fac/mfr-ca.pem" spp="fac/record-key.pem rec-chain.pem"
	local a="ka/device-key.pem ka/device-cert.pem" na prev rc
	echo "# $tag: voiding a generation (issue 9)"
	na=$(newest_of $CHIP_A)
	prev=$((na - 1))
	# shellcheck disable=SC2086
	{
	# --- who may void: the manufacturer CA itself, nobody it certified
	vpost "$tag" 403 "an SPP credential voids chip A's generation $na" $spp $CHIP_A $na
	vpost "$tag" 403 "device A voids its own generation $na" $a $CHIP_A $na
	vpost "$tag" 401 "a self-made CA with the manufacturer's names voids it" \
		forge-ca.key forge-ca.pem $CHIP_A $na
	vpost "$tag" 404 "the manufacturer voids a generation that does not exist" \
		$mfr $CHIP_A $((na + 1))
	}
	# the entry names another generation than the URL
	"$PUT" --void --key fac/mfr-key.pem --cert fac/mfr-ca.pem --chip $CHIP_A --generation 1 \
		--reason "test: voided" --out v1.ent --no-post 2>>put.log
	is "$(code --data-binary @v1.ent "$U/v1/chips/$CHIP_A/generations/$na/void")" 400 \
		"$tag: a genuine void of generation 1 posted to generation $na's URL -> 400"
	# tampered: one character of the signed reason changed
	"$PUT" --void --key fac/mfr-key.pem --cert fac/mfr-ca.pem --chip $CHIP_A --generation $na \
		--reason "test: voided" --out t.ent --no-post 2>>put.log
	python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); i=d.index(b"test: voided"); open(sys.argv[1],"wb").write(d[:i]+b"T"+d[i+1:])' t.ent
	is "$(code --data-binary @t.ent "$U/v1/chips/$CHIP_A/generations/$na/void")" 401 \
		"$tag: a genuine void entry with one character of its reason changed -> 401"
	is "$(code "$U/v1/chips/$CHIP_A/generations/$na/void")" 404 \
		"$tag: after the refused ones generation $na has no void entry (GET .../void -> 404)"
	is "$(code "$U/v1/chips/$CHIP_A")$(grep -o '"generation": [0-9]*' body.out)" \
		"200\"generation\": $na" "$tag: ... and is still chip A's latest"

	# --- a genuine void of the newest generation
	# shellcheck disable=SC2086
	{
	vpost "$tag" 201 "the manufacturer voids chip A's generation $na" \
		$mfr $CHIP_A $na "test: bad backup"
	vpost "$tag" 409 "the manufacturer voids it a second time" $mfr $CHIP_A $na "again"
	}
	is "$(code "$U/v1/chips/$CHIP_A")$(grep -o '"generation": [0-9]*' body.out)" \
		"200\"generation\": $prev" "$tag: latest of chip A is now generation $prev"
	grep -q '"void"' body.out
	is $? 1 "$tag: ... not marked void"
	curl -s "$U/v1/chips/$CHIP_A/backup" >l.bin
	curl -s "$U/v1/chips/$CHIP_A/generations/$prev/backup" >p.bin
	cmp -s l.bin p.bin
	tap $? "$tag: /backup of chip A is generation $prev's"
	curl -s "$U/v1/chips/$CHIP_A/record" >l.bin
	curl -s "$U/v1/chips/$CHIP_A/generations/$prev/record" >p.bin
	cmp -s l.bin p.bin
	tap $? "$tag: /record of chip A is generation $prev's"
	curl -s "$U/v1/chips/$CHIP_A/generations" | python3 -c '
import json, sys
d = json.load(sys.stdin); n = int(sys.argv[1])
g = {e["generation"]: e for e in d["generations"]}
ok = (d["latest"] == n and d["current"] == n - 1 and g[n].get("void") is True
      and g[n].get("void_reason") == "test: bad backup"
      and all("void" not in g[k] for k in g if k != n))
sys.exit(0 if ok else 1)' "$na"
	tap $? "$tag: /generations marks generation $na void with its reason (latest $na, current $prev)"
	is "$(code "$U/v1/chips/$CHIP_A/generations/$na")" 200 \
		"$tag: the voided generation is still served (append-only)"
	python3 -c 'import json,sys; d=json.load(open("body.out")); sys.exit(0 if d.get("void") is True and d.get("void_reason")=="test: bad backup" and d["generation"]==int(sys.argv[1]) else 1)' "$na"
	tap $? "$tag: ... its JSON says \"void\": true and the reason"
	curl -s -D hdr.out -o v.rec "$U/v1/chips/$CHIP_A/generations/$na/record"
	grep -qi '^Chipkey-Void: test: bad backup' hdr.out
	tap $? "$tag: ... its /record carries the header Chipkey-Void: reason"
	curl -s -D hdr.out -o /dev/null "$U/v1/chips/$CHIP_A/generations/$prev/record"
	grep -qi '^Chipkey-Void' hdr.out
	is $? 1 "$tag: ... generation $prev's has none"
	curl -s -D hdr.out -o got.ent "$U/v1/chips/$CHIP_A/generations/$na/void"
	openssl cms -verify -inform DER -binary -CAfile fac/mfr-ca.pem -purpose any -in got.ent \
		-out void-body.bin >>openssl.log 2>&1
	tap $? "$tag: the stored void entry verifies with openssl cms -verify against the manufacturer CA"
	python3 -c '
import sys
b = open("void-body.bin", "rb").read(); n = int(sys.argv[2])
ok = (b[:4] == b"CKVD" and b[4:6] == b"\0\1" and b[6:22] == bytes.fromhex(sys.argv[1])
      and int.from_bytes(b[22:30], "big") == n and b[30] == len(b) - 31
      and b[31:] == b"test: bad backup")
sys.exit(0 if ok else 1)' $CHIP_A "$na"
	tap $? "$tag: ... its content is the CKVD body naming chip A, generation $na and the reason"
	openssl cms -verify -inform DER -binary -CAfile forge-ca.pem -purpose any -in got.ent \
		-out /dev/null >>openssl.log 2>&1
	is $? 4 "$tag: ... and does not verify against a self-made CA with the same names"

	# --- writers after the void: newest + 1, by the device of generation $prev
	# shellcheck disable=SC2086
	{
	post "$tag" 409 "device A rewrites the voided generation $na" \
		$a $CHIP_A $na "$IA" a$na.pkg ka/device-cert.pem
	post "$tag" 403 "the SPP writes chip A's generation $((na + 1)) after the void" \
		$spp $CHIP_A $((na + 1)) "$IA" a$((na + 1)).pkg ka/device-cert.pem
	post "$tag" 201 "device A writes generation $((na + 1)) after the void" \
		$a $CHIP_A $((na + 1)) "$IA" a$((na + 1)).pkg ka/device-cert.pem
	}
	is "$(code "$U/v1/chips/$CHIP_A")$(grep -o '"generation": [0-9]*' body.out)" \
		"200\"generation\": $((na + 1))" "$tag: ... and it is chip A's latest"
	"$PUT" --url "$U" --get $CHIP_A --verify fac/mfr-ca.pem >get.out 2>&1
	tap $? "$tag: chipkey-pubdb-put --verify accepts generation $((na + 1))"

	if [ -n "${2:-}" ] && command -v sqlite3 >/dev/null; then
		poisoned_void "$tag" "$2"
	fi

	# --- every generation of chip B voided: no latest, no next generation
	local g bs
	bs=$(newest_of $CHIP_B)
	for g in $(curl -s "$U/v1/chips/$CHIP_B/generations" | python3 -c '
import json, sys
print(" ".join(str(e["generation"]) for e in json.load(sys.stdin)["generations"] if "void" not in e))'); do
		# shellcheck disable=SC2086
		vpost "$tag" 201 "the manufacturer voids chip B's generation $g" $mfr $CHIP_B $g
	done
	is "$(code "$U/v1/chips/$CHIP_B")" 404 "$tag: every generation of chip B voided: GET chip -> 404"
	is "$(code "$U/v1/chips/$CHIP_B/generations/$bs")" 200 "$tag: ... generation $bs is still served"
	# shellcheck disable=SC2086
	post "$tag" 409 "device B writes generation $((bs + 1)) when every generation is voided" \
		kb/device-key.pem kb/device-cert.pem $CHIP_B $((bs + 1)) "$IB" b4.pkg kb/device-cert.pem
}

# chip B's poisoned generation 3 (writer_attacks, SQLite only): it blocks
# device B until the manufacturer voids it
poisoned_void() {
	local tag=$1 mfr="fac/mfr-key.pem fac/mfr-ca.pem" rc
	# shellcheck disable=SC2086
	{
	post "$tag" 403 "device B writes generation 4 after the poisoned generation 3" \
		kb/device-key.pem kb/device-cert.pem $CHIP_B 4 "$IB" b4.pkg kb/device-cert.pem
	vpost "$tag" 201 "the manufacturer voids chip B's poisoned generation 3" \
		$mfr $CHIP_B 3 "test: poisoned"
	post "$tag" 201 "device B writes generation 4 after the void" \
		kb/device-key.pem kb/device-cert.pem $CHIP_B 4 "$IB" b4.pkg kb/device-cert.pem
	}
	"$PUT" --url "$U" --get $CHIP_B --generation 4 --verify fac/mfr-ca.pem >get.out 2>&1
	tap $? "$tag: chipkey-pubdb-put --verify accepts it (checked against generation 2, past the void of 3)"
	sqlite3 "$2" "DELETE FROM public_voids" >>put.log 2>&1
	rc=$?
	[ $rc != 0 ] && grep -q 'insert-only' put.log
	tap $? "$tag: the database refuses to delete a void entry"
}
