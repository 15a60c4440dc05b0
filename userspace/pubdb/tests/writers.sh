# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh: who may write which generation (issue 9), with the real
# programs.  A factory made by chipkey-factory init, two emulated chips whose
# ROM holds its key, genuine backups made by `chipkey wrap` on them, the
# device keys and certificates as `chipkey recover --keys` restores them, and
# one attack per rule of docs/pubdb-api.md "Who may write".  Every attack
# record is valid in all but the one point it attacks, so each test fails if
# that check is removed.
#
#   devices_setup            once, in the test directory (run.sh's $tmp)
#   writer_attacks TAG [SQLITE-FILE]
#                            against the server run.sh started ($U), whose
#                            database holds nothing for chips $A and $B yet;
#                            with SQLITE-FILE (its database) also a record
#                            poisoned before these checks existed

CHIP_A=00112233445566778899aabbccddeeff
CHIP_B=ffeeddccbbaa99887766554433221100
CHIP_OLD=00000000000000000000000000000001
CHIP_OLD2=00000000000000000000000000000002
MAXGEN=9223372036854775807

devices_setup() {
	local c
	"$BIN/chipkey-factory" init fac --org "chipkey test" --spp-name spp.test >>setup.log 2>&1 &&
	"$BIN/chipkey-factory" identities --prefix 35209900 --count 3 >ids.txt || return 1
	# the SPP's record signer and its issuing CA: the generation-1 writer
	cat fac/record-cert.pem fac/ica-cert.pem >rec-chain.pem
	IA=$(sed -n 1p ids.txt) IB=$(sed -n 2p ids.txt) IC=$(sed -n 3p ids.txt)
	for c in a:$CHIP_A b:$CHIP_B; do
		"$BIN/chipkey-fuse" create "${c%%:*}.bin" --rom-key fac/mfr-pubkey.der \
			--chip-id "${c#*:}" >>setup.log 2>&1 || return 1
		"$BIN/chipkey-emu" --state "${c%%:*}.bin" --socket "$tmp/${c%%:*}.sock" \
			--foreground 2>>emu.log &
		emus+=($!)
	done
	for _ in $(seq 500); do [ -S a.sock ] && [ -S b.sock ] && break; sleep 0.02; done
	wrap() {	# wrap CHIP-LETTER GENERATION OUT
		"$BIN/chipkey" --device "emu:$tmp/$1.sock" wrap --generation "$2" "dp$1" "$3" \
			>>setup.log 2>&1
	}
	"$BIN/chipkey-factory" package fac --identity "$IA" --chip-id $CHIP_A --out dpa \
		>>setup.log 2>&1 &&
	"$BIN/chipkey-factory" package fac --identity "$IB" --chip-id $CHIP_B --out dpb \
		>>setup.log 2>&1 &&
	wrap a 1 a1.pkg && wrap a 2 a2.pkg && wrap a 3 a3.pkg && wrap a $MAXGEN amax.pkg &&
	wrap a 4 a4.pkg && wrap a 5 a5.pkg &&
	wrap b 1 b1.pkg && wrap b 2 b2.pkg && wrap b 3 b3.pkg && wrap b 4 b4.pkg || return 1
	for c in 1 2 3 4; do wrap b 2 "b2-$c.pkg" || return 1; done
	# the device keys and certificates, as recovery restores them
	"$BIN/chipkey" --device "emu:$tmp/a.sock" recover --store sa --keys ka --from a1.pkg \
		>>setup.log 2>&1 &&
	"$BIN/chipkey" --device "emu:$tmp/b.sock" recover --store sb --keys kb --from b1.pkg \
		>>setup.log 2>&1 || return 1
	# genuine: chip A under another identity; forged: chip A's names from a
	# self-made CA with the manufacturer CA's names
	"$BIN/chipkey-factory" issue fac --identity "$IC" --chip-id $CHIP_A --key-out kc.key \
		--out otherid.pem >>setup.log 2>&1 &&
	"$BIN/chipkey-factory" issue fac --identity "$IA" --chip-id $CHIP_A --key-out ka2.key \
		--out ka2.pem >>setup.log 2>&1 &&
	"$BIN/chipkey-factory" issue fac --identity "$IA" --chip-id $CHIP_B --key-out kab.key \
		--out otherchip.pem >>setup.log 2>&1 || return 1
	# each with its issuing CA, as a writer's chain file
	for c in otherid.pem ka2.pem otherchip.pem; do cat fac/ica-cert.pem >>"$c"; done
	head -c $(($(stat -c %s a2.pkg) - 1)) a2.pkg >a2-cut.pkg
	cat >forge.cnf <<EOF
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[dev]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
subjectAltName = URI:urn:chipkey:chip-id:$CHIP_A
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out forge-ca.key
	ossl req -new -x509 -key forge-ca.key -subj "$(openssl x509 -in fac/mfr-ca.pem -noout \
		-subject -nameopt compat | sed 's/^subject=//')" -days 30 -config forge.cnf \
		-extensions ca -out forge-ca.pem
	ossl req -new -key ka/device-key.pem -subj "/CN=$IA/serialNumber=$IA" -config forge.cnf \
		-out forged.csr
	ossl x509 -req -in forged.csr -CA forge-ca.pem -CAkey forge-ca.key -CAcreateserial \
		-days 30 -extfile forge.cnf -extensions dev -out forged.pem
	# forged signature: a self-made CA with the issuing CA's names and key
	# identifier, so that the chain built is the genuine one (device, issuing
	# CA, root) and only the device certificate's signature is wrong
	sed "s/^subjectKeyIdentifier = hash/subjectKeyIdentifier = $(openssl x509 -in fac/ica-cert.pem \
		-noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')/" forge.cnf >forge-ica.cnf
	ossl req -new -x509 -key forge-ca.key -subj "$(openssl x509 -in fac/ica-cert.pem -noout \
		-subject -nameopt compat | sed 's/^subject=//')" -days 30 -config forge-ica.cnf \
		-extensions ca -out forge-ica.pem
	ossl x509 -req -in forged.csr -CA forge-ica.pem -CAkey forge-ca.key -CAcreateserial \
		-days 30 -extfile forge.cnf -extensions dev -out forged-sig.pem
}

# post TAG WANT-STATUS DESC KEY CERT CHIP GEN IDENTITY BACKUP DEVICE-CERT
post() {
	local tag=$1 want=$2 desc=$3 rc
	"$PUT" --key "$4" --cert "$5" --chip "$6" --generation "$7" --identity "$8" \
		--backup "$9" --device-cert "${10}" --out w.rec --no-post 2>>put.log
	rc=$?
	if [ $rc != 0 ]; then
		tap $rc "$tag: $desc: record built"
		return
	fi
	is "$(code --data-binary @w.rec "$U/v1/chips/$6/generations")" "$want" "$tag: $desc -> $want"
}

writer_attacks() {
	local tag=$1 spp="fac/record-key.pem rec-chain.pem" a="ka/device-key.pem ka/device-cert.pem"
	local b="kb/device-key.pem kb/device-cert.pem" i n
	echo "# $tag: writers are scoped (issue 9)"
	# shellcheck disable=SC2086
	{
	post "$tag" 409 "chip A: generation 2 before any record" $a $CHIP_A 2 "$IA" a2.pkg ka/device-cert.pem
	post "$tag" 201 "chip A: the SPP writes generation 1" $spp $CHIP_A 1 "$IA" a1.pkg ka/device-cert.pem
	post "$tag" 201 "chip B: the SPP writes generation 1" $spp $CHIP_B 1 "$IB" b1.pkg kb/device-cert.pem

	# --- the outside tester's attacks, now refused
	head -c 1427 /dev/urandom >random.bin
	post "$tag" 403 "SPP key: chip A generation 2 (random bytes, another identity)" \
		$spp $CHIP_A 2 "$IC" random.bin otherid.pem
	post "$tag" 403 "SPP key: chip A generation 2, a genuine re-wrap" \
		$spp $CHIP_A 2 "$IA" a2.pkg ka/device-cert.pem
	post "$tag" 409 "SPP key: chip A generation 1 again (a fresh genuine record)" \
		$spp $CHIP_A 1 "$IA" a1.pkg ka/device-cert.pem
	post "$tag" 409 "SPP key: chip A generation 2^63-1 (A's genuine backup)" \
		$spp $CHIP_A $MAXGEN "$IA" a1.pkg ka/device-cert.pem
	# --- generation jumps, by the device itself with a genuine backup
	post "$tag" 409 "device A: generation 3 when the newest is 1" \
		$a $CHIP_A 3 "$IA" a3.pkg ka/device-cert.pem
	post "$tag" 409 "device A: generation 2^63-1 when the newest is 1" \
		$a $CHIP_A $MAXGEN "$IA" amax.pkg ka/device-cert.pem
	# --- content
	post "$tag" 400 "device A: generation 2 carrying chip B's backup" \
		$a $CHIP_A 2 "$IA" b2.pkg ka/device-cert.pem
	post "$tag" 400 "device A: generation 2 carrying A's generation 1 backup" \
		$a $CHIP_A 2 "$IA" a1.pkg ka/device-cert.pem
	post "$tag" 400 "device A: generation 2 carrying random bytes" \
		$a $CHIP_A 2 "$IA" random.bin ka/device-cert.pem
	post "$tag" 400 "device A: generation 2 carrying its genuine backup less one byte" \
		$a $CHIP_A 2 "$IA" a2-cut.pkg ka/device-cert.pem
	post "$tag" 400 "device A: a genuine certificate of chip A for another identity" \
		$a $CHIP_A 2 "$IA" a2.pkg otherid.pem
	post "$tag" 400 "device A: chip B's certificate" \
		$a $CHIP_A 2 "$IA" a2.pkg kb/device-cert.pem
	post "$tag" 400 "device A: a genuine certificate of chip B for A's identity" \
		$a $CHIP_A 2 "$IA" a2.pkg otherchip.pem
	post "$tag" 400 "device A: a certificate from a self-made CA with the same names" \
		$a $CHIP_A 2 "$IA" a2.pkg forged.pem
	post "$tag" 400 "device A: a certificate naming the issuing CA (names, key identifier), signed by another key" \
		$a $CHIP_A 2 "$IA" a2.pkg forged-sig.pem
	post "$tag" 400 "device A: identity changed (with a genuine certificate naming it)" \
		$a $CHIP_A 2 "$IC" a2.pkg otherid.pem
	# --- scoped writers
	post "$tag" 403 "device B's key: chip A generation 2" \
		$b $CHIP_A 2 "$IA" a2.pkg ka/device-cert.pem
	post "$tag" 403 "device A's key: chip B generation 2" \
		$a $CHIP_B 2 "$IB" b2.pkg kb/device-cert.pem
	post "$tag" 403 "chip A's other-identity certificate (genuine) as the writer" \
		kc.key otherid.pem $CHIP_A 2 "$IA" a2.pkg ka/device-cert.pem
	post "$tag" 403 "a second genuine certificate of chip A and its identity as the writer" \
		ka2.key ka2.pem $CHIP_A 2 "$IA" a2.pkg ka/device-cert.pem
	post "$tag" 401 "a self-made CA's certificate as the writer" \
		ka/device-key.pem forged.pem $CHIP_A 2 "$IA" a2.pkg ka/device-cert.pem
	}
	is "$(code "$U/v1/chips/$CHIP_A/generations")" 200 "$tag: chip A is readable"
	is "$(grep -o '"generation": [0-9]*' body.out | awk '{print $2}' | tr '\n' ' ')" "1 " \
		"$tag: after every refused attack chip A still has generation 1 only"

	# --- the legitimate next generations still succeed
	# shellcheck disable=SC2086
	{
	post "$tag" 201 "device A writes its own generation 2 (genuine backup)" \
		$a $CHIP_A 2 "$IA" a2.pkg ka/device-cert.pem
	post "$tag" 403 "SPP key: chip A generation 3" $spp $CHIP_A 3 "$IA" a3.pkg ka/device-cert.pem
	post "$tag" 201 "device A writes its generation 3" $a $CHIP_A 3 "$IA" a3.pkg ka/device-cert.pem
	}
	"$PUT" --url "$U" --get $CHIP_A --verify fac/mfr-ca.pem >get.out 2>&1
	tap $? "$tag: chipkey-pubdb-put --verify accepts chip A's device-written generation 3"
	"$PUT" --url "$U" --get $CHIP_A --generation 1 --verify fac/mfr-ca.pem >get.out 2>&1
	tap $? "$tag: ... and its SPP-written generation 1"

	# --- a race for chip B's generation 2: four genuine records at once
	for i in 1 2 3 4; do
		"$PUT" --key kb/device-key.pem --cert kb/device-cert.pem --chip $CHIP_B --generation 2 \
			--identity "$IB" --backup "b2-$i.pkg" --device-cert kb/device-cert.pem \
			--out "race$i.rec" --no-post 2>>put.log
	done
	local racers=()
	for i in 1 2 3 4; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 --data-binary "@race$i.rec" \
			"$U/v1/chips/$CHIP_B/generations" &
		racers+=($!)
	done >race.out
	wait "${racers[@]}"
	n=$(sort race.out | tr '\n' ' ')
	is "$n" "201 409 409 409 " "$tag: four writers race for chip B's generation 2: one 201, three 409"
	i=$(for i in 1 2 3 4; do cmp -s "race$i.rec" <(curl -s "$U/v1/chips/$CHIP_B/generations/2/record") &&
		echo "$i"; done | wc -l)
	is "$i" 1 "$tag: ... and the stored generation 2 is one of the four records"

	[ -n "${2:-}" ] || return 0
	if ! command -v sqlite3 >/dev/null; then
		skip "$tag: records stored before these rules" "no sqlite3 command"
		return 0
	fi
	# A record poisoned before these checks: chip B's generation 3 carrying
	# chip A's certificate, put straight into the database.  Device A must
	# not become chip B's writer through it (the writer is checked as a
	# device certificate of this chip, not only compared with the record).
	sqlite3 "$2" "INSERT INTO public_records (chip_id, generation, identity, created, backup,
		cert) VALUES (X'$CHIP_B', 3, '$IB', 0, readfile('b3.pkg'),
		readfile('ka/device-cert.der'))" 2>>put.log
	tap $? "$tag: a poisoned generation 3 of chip B put into the database directly"
	post "$tag" 403 "device A's key: chip B generation 4 after the poisoned record" \
		ka/device-key.pem ka/device-cert.pem $CHIP_B 4 "$IB" b4.pkg kb/device-cert.pem

	# chipkey-pubdb-put --verify makes the server's checks of what it fetches:
	# signed records stored before these rules, put into the database directly
	"$PUT" --key fac/record-key.pem --cert rec-chain.pem --chip $CHIP_A --generation 4 \
		--identity "$IA" --backup a3.pkg --device-cert ka/device-cert.pem --out spp4.rec \
		--no-post 2>>put.log
	"$PUT" --key fac/record-key.pem --cert rec-chain.pem --chip 0123456789abcdef0123456789abcdef \
		--generation 1 --identity "$IA" --backup random.bin --device-cert ka/device-cert.pem \
		--out junk1.rec --no-post 2>>put.log
	sqlite3 "$2" "INSERT INTO public_records (chip_id, generation, identity, created, backup,
		cert, signed_record) VALUES (X'$CHIP_A', 4, '$IA', 0, readfile('a3.pkg'),
		readfile('ka/device-cert.der'), readfile('spp4.rec')), (X'0123456789abcdef0123456789abcdef',
		1, '$IA', 0, readfile('random.bin'), readfile('ka/device-cert.der'),
		readfile('junk1.rec'))" 2>>put.log
	tap $? "$tag: two SPP-signed records put into the database directly"
	"$PUT" --url "$U" --get $CHIP_A --verify fac/mfr-ca.pem >get.out 2>&1
	is $? 19 "$tag: --verify: chip A's generation 4 by the SPP -> exit 19 (untrusted)"
	grep -q "must be signed by the device certificate of generation 3" get.out
	tap $? "$tag: ... because it is not the device's"
	"$PUT" --url "$U" --get 0123456789abcdef0123456789abcdef --verify fac/mfr-ca.pem >get.out 2>&1
	is $? 6 "$tag: --verify: a generation 1 whose backup is random bytes -> exit 6 (malformed)"

	# format-1 records of an old database: served byte for byte, still verified
	"$PUT" --format 1 --key fac/record-key.pem --cert rec-chain.pem --chip $CHIP_OLD \
		--generation 1 --identity "$IA" --backup random.bin --device-cert ka/device-cert.pem \
		--out old1.rec --no-post 2>>put.log
	cp old1.rec old2.rec	# one byte of the backup (after the 48-byte head and its length)
	# (the backup is random: flip the byte, so it always changes)
	b=$(od -An -tu1 -j60 -N1 old1.rec | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 0x5a)))" | dd of=old2.rec bs=1 seek=60 conv=notrunc status=none
	sqlite3 "$2" "INSERT INTO public_records (chip_id, generation, identity, created, backup,
		cert, signed_record) VALUES (X'$CHIP_OLD', 1, '$IA', 0, readfile('random.bin'),
		readfile('ka/device-cert.der'), readfile('old1.rec')), (X'$CHIP_OLD2', 1, '$IA', 0,
		readfile('random.bin'), readfile('ka/device-cert.der'), readfile('old2.rec'))" 2>>put.log
	tap $? "$tag: two format-1 (CKPR) records put into the database directly"
	curl -s -D hdr.out -o got-old.rec "$U/v1/chips/$CHIP_OLD/record"
	cmp -s got-old.rec old1.rec && grep -qi '^Content-Type: application/vnd.chipkey.record' hdr.out
	tap $? "$tag: a stored format-1 record is served byte for byte, as application/vnd.chipkey.record"
	# a format-1 record carries no issuing CA: the verifier is given it
	cat fac/mfr-ca.pem fac/ica-cert.pem >root-and-ica.pem
	"$PUT" --url "$U" --get $CHIP_OLD --verify root-and-ica.pem >get.out 2>&1
	rc=$?
	is "$rc/$(grep -c 'backup is not' get.out)/$(grep -c '^format ckpr$' get.out)" 6/1/1 \
		"$tag: --verify of a format-1 record (format ckpr): signature and writer pass, the random backup does not (exit 6)"
	"$PUT" --url "$U" --get $CHIP_OLD2 --verify fac/mfr-ca.pem >get.out 2>&1
	is $? 5 "$tag: --verify of a format-1 record with a changed backup byte -> exit 5 (tampered)"
}
