# SPDX-License-Identifier: GPL-2.0
# Sourced by test-recovery.sh (after fakedb): a man in the middle or a
# poisoned public database (docs/recovery.md, "Which generation").  The
# fake database serves files by path (fake-pubdb.py with a directory).
# gendb DIR CHIPHEX GEN=RECORD...: DIR serves those generations; the
# highest is also the latest record
gendb() { local d=$1 chip=$2 g list="" max=0; shift 2
	rm -rf "$d" && mkdir -p "$d"
	for g in "$@"; do
		cp "${g#*=}" "$d/generations_${g%%=*}_record"
		list="$list${list:+, }{\"generation\": ${g%%=*}, \"created\": \"2026-12-01T00:00:00Z\"}"
		printf '{"generation": %s, "created": "2026-12-01T00:00:00Z"}\n' "${g%%=*}" >"$d/generations_${g%%=*}"
		[ "${g%%=*}" -gt "$max" ] && max=${g%%=*}
	done
	cp "$d/generations_${max}_record" "$d/record"
	printf '{"chip_id": "%s", "latest": %s, "generations": [%s]}\n' "$chip" "$max" "$list" >"$d/generations"; }
"$bin/chipkey" --device "$D1" unwrap "$t/orig1/backup.pkg" "$t/dpm" 2>>"$t/cli.log"
"$bin/chipkey" --device "$D1" wrap --generation 3 "$t/dpm" "$t/g3.pkg" 2>>"$t/cli.log"
rm -f "$t/dpm"
head -c 1400 /dev/urandom >"$t/random.bin"
"$tools/rec-tool" archive "$hex1" 3 "$id1" "$t/random.bin" "$t/orig1/device-cert.der" "$t/p3-random.ckpr"
"$tools/rec-tool" archive "$hex1" 3 "$id1" "$t/g3.pkg" "$t/other-id.der" "$t/p3-otherid.ckpr"

fresh2
before=$(snap "$A")
gendb "$t/mitm1" "$hex1" 1="$t/d1.ckpr"
fakedb m1 "$t/mitm1" full
expect 13 "MITM serving only the older genuine generation 1 (below the floor 2): refused" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 5
check "... names both generations, store untouched" \
	bash -c "grep -q 'generation 1 but the device last held generation 2' '$t/last.err' && test '$(snap "$A")' = '$before'"
gendb "$t/mitm2" "$hex2" 1="$t/d2.ckpr"
fakedb m2 "$t/mitm2" full
expect 4 "MITM serving another chip's generation (record and list): refused" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 5
check "... store untouched" test "$(snap "$A")" = "$before"

gendb "$t/pois1" "$hex1" 1="$t/d1.ckpr" 2="$t/g2.ckpr" 3="$t/p3-random.ckpr"
fakedb p1 "$t/pois1" full
rm -rf "$A"
expect 0 "newest generation poisoned (random backup): falls back to generation 2" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 5
check "... generation 2 restored, the skip reported on stderr and stdout" \
	bash -c "cmp -s '$A/backup.pkg' '$t/gen2.pkg' && grep -q 'skipped generation 3: .*not a backup package' '$t/last.err' &&
		 grep -q 'skipped generation 3: .*exit 6' '$t/last.out'"
gendb "$t/pois2" "$hex1" 1="$t/d1.ckpr" 2="$t/g2.ckpr" 3="$t/p3-otherid.ckpr"
fakedb p2 "$t/pois2" full
fresh2
expect 0 "newest generation poisoned (another identity's certificate), floor 2: falls back to generation 2" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 5
check "... skip of 3 reported (identity), generation 1 not tried (below the floor)" \
	bash -c "grep -q 'skipped generation 3: .*identity' '$t/last.out' && grep -q 'not tried: 1 generation(s) below the rollback floor 2' '$t/last.out' &&
		 cmp -s '$A/backup.pkg' '$t/gen2.pkg' && ! grep -q 'generations/1/record' '$t/p2.log'"
gendb "$t/pois3" "$hex1" 1="$t/d1.ckpr" 3="$t/p3-otherid.ckpr"
fakedb p3 "$t/pois3" full
before=$(snap "$A")
expect 12 "every generation at or above the floor poisoned: refused with the newest's reason" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 5
check "... says no other generation verifies, store untouched" \
	bash -c "grep -q 'no other generation in the database verifies' '$t/last.err' && test '$(snap "$A")' = '$before'"
rm -rf "$t/pois4"
gendb "$t/pois4" "$hex1" 1="$t/d1.ckpr" 2="$t/g2.ckpr" 3="$t/p3-random.ckpr"
rm "$t/pois4/generations"
fakedb p4 "$t/pois4" full
before=$(snap "$A")
expect 6 "poisoned newest generation and no list of generations (404): the search ends, refused" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 5
check "... two requests, store untouched" bash -c "test $(conns p4) -eq 2 && test '$(snap "$A")' = '$before'"
args=()
for g in $(seq 3 22); do args+=("$g=$t/p3-random.ckpr"); done
gendb "$t/pois5" "$hex1" "${args[@]}"
fakedb p5 "$t/pois5" full
rm -rf "$A"
expect 6 "20 poisoned generations (3 to 22, nothing below): refused after the latest, 16 older ones and generation 1" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 10
check "... 19 requests (latest, list, 16 older from the top, generation 1 from below, not there: $(conns p5)); a record under another number is skipped" \
	bash -c "test $(conns p5) -eq 19 && grep -q 'skipped generation 21: .*it says generation 3' '$t/last.err'"
# a copy of the device key buries the genuine generations 1 and 2 under 20
# junk ones (3 to 22): the walk from below restores generation 2
args=()
for g in $(seq 3 22); do args+=("$g=$t/p3-random.ckpr"); done
gendb "$t/pois7" "$hex1" 1="$t/d1.ckpr" 2="$t/g2.ckpr" "${args[@]}"
fakedb p7 "$t/pois7" full
rm -rf "$A"
expect 0 "genuine generations 1 and 2 under 20 junk ones: generation 2 recovers (from below)" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 10
check "... the store is at generation 2, the genuine backup (cmp)" \
	bash -c "test '$(gen_of "$A")' = 2 && cmp -s '$A/backup.pkg' '$t/gen2.pkg'"
check "... 17 skipped from the top and, last, generation 3 from below, each on stdout ($(grep -c '^skipped ' "$t/last.out"))" \
	bash -c "test \$(grep -c '^skipped ' '$t/last.out') -eq 18 && grep '^skipped ' '$t/last.out' | tail -1 | grep -q '^skipped generation 3: '"
check "... 24 requests (latest, list, 16 from the top, generations 1, 2, 3 from below, each its JSON and record: $(conns p7))" \
	test "$(conns p7)" -eq 24
fresh2
fakedb p8 "$t/pois7" full
expect 0 "... the same over a store at generation 2 (the floor): the walk starts at the floor, generation 2 again" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 10
check "... 22 requests (latest, list, 16 from the top, generations 2 and 3 from below: $(conns p8)), generation 2" \
	bash -c "test $(conns p8) -eq 22 && test '$(gen_of "$A")' = 2"
# generation 2 voided by the manufacturer: the walk goes past it, says so,
# and restores generation 1 (never the voided one)
printf '{"generation": 2, "created": "2026-12-01T00:00:00Z", "void": true, "void_reason": "test"}\n' \
	>"$t/pois7/generations_2"
sed -i 's/{"generation": 2, "created": "2026-12-01T00:00:00Z"}/{"generation": 2, "created": "2026-12-01T00:00:00Z", "void": true, "void_reason": "test"}/' \
	"$t/pois7/generations"
fakedb p9 "$t/pois7" full
rm -rf "$A"
expect 0 "... with generation 2 voided: the walk passes it and restores generation 1" \
	"$ck" -v --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 10
check "... generation 1, and the voided generation 2 noted as skipped (-v)" \
	bash -c "test '$(gen_of "$A")' = 1 && grep -q 'generation 2 is voided by the manufacturer (test): skipped' '$t/last.err'"
# the database stops answering during the walk: nothing older is restored
modes=$(printf 'full,%.0s' $(seq 20))e503
fakedb p10 "$t/pois7" "$modes"
rm -rf "$A"
expect 6 "... the database failing during the walk (503 after generation 1): refused, not generation 1 restored" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 3
check "... no store written" test ! -e "$A/current"
args=()
for g in $(seq 2 14); do args+=("$g=$t/p3-random.ckpr"); done
gendb "$t/pois6" "$hex1" 1="$t/d1.ckpr" "${args[@]}"
fakedb p6 "$t/pois6" full
rm -rf "$A"
expect 0 "13 poisoned generations above the genuine generation 1: generation 1 recovers" \
	"$ck" --device "$D1" recover --store "$A" --no-keys --db "$FURL" --timeout 10
check "... all 13 skipped are reported on stdout (the latest and generations 13 down to 2) as on stderr" \
	bash -c "test \$(grep -c '^skipped ' '$t/last.out') -eq 13 && grep -q '^skipped generation 2: ' '$t/last.out' &&
		test \$(grep -c 'skipped ' '$t/last.err') -eq 13"
