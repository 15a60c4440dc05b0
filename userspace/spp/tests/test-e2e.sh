#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end over loopback, at scale: a factory (SQLite, a pool of NPOOL
# identities, NPREGEN pre-generated key pairs), one chipkey-spp, one
# chipkey-pubdb on the public database (its own file), and NDEV emulated devices, each its own
# chipkey-emu process on its own fuse image (ROM key = the factory's
# manufacturer public key), provisioned by chipkey-agent, PAR at a time.
# Then, with tools independent of the code under test:
#   - every device certificate: `openssl verify -CAfile <manufacturer CA> -untrusted <issuing CA>`;
#     `openssl x509 -text` names the identity and the chip ID;
#   - every backup: fetched with curl from pubdb by chip ID, equal to the
#     device's flash store; unwrapped by its own device (`chipkey unwrap`) to
#     a data package that equals the SPP's secret record (database 160) plus
#     a device key whose public half is the certificate's (TLV parsed by a few
#     lines of Python, not by our decoder); refused with exit 4 by another
#     device;
#   - all identities distinct, Luhn-valid (awk), the same set in the stores,
#     the public database and the pool's "issued" rows.
# Normal (non-ASan) binaries from $BUILD/bin.  TAP on stdout.
#
#   BUILD=.../build userspace/spp/tests/test-e2e.sh
#   NDEV=100 PAR=16 override the device count and the parallelism.
set -u
BUILD=${BUILD:-$(cd "$(dirname "$0")/../../.." && pwd)/build}
bin=$BUILD/bin
PY=/usr/bin/python3
NDEV=${NDEV:-100}
PAR=${PAR:-16}
NPOOL=$((NDEV + 30))
NPREGEN=$((NDEV / 4))

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# count_check DESC GOT WANT [FAILED-LIST-FILE]
count_check() {
	if [ "$2" -eq "$3" ]; then ok "$1 ($2/$3)"; else
		nok "$1 ($2/$3)"
		[ -n "${4:-}" ] && [ -s "$4" ] && sed 's/^/#   failed: /' "$4" | head -20
	fi
}

start=$(date +%s.%N)
t=$(mktemp -d /tmp/chipkey-e2e-XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$failed" -gt 0 ]; then
		for f in "$t"/*.log; do
			[ -s "$f" ] && tail -20 "$f" | sed "s|^|# $(basename "$f"): |"
		done
	fi
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for tool in openssl curl sqlite3 awk; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool not installed"; exit 0; }
done
for b in chipkey chipkey-emu chipkey-fuse chipkey-factory chipkey-spp chipkey-pubdb chipkey-agent; do
	[ -x "$bin/$b" ] || { echo "1..0 # SKIP $bin/$b not built"; exit 0; }
done
echo "# $NDEV devices, $PAR provisioned at a time; scratch $t"

wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

# ---- factory, SPP, pubdb
db=$t/factory.db
pdb=$t/public.db	# the public database, its own file (docs/databases.md)
"$bin/chipkey-factory" identities --prefix 35207100 --count "$NPOOL" >"$t/pool.txt" 2>>"$t/factory.log"
"$bin/chipkey-factory" init "$t/fac" --db "sqlite:$db" --pool "$t/pool.txt" --pregen "$NPREGEN" \
	>>"$t/factory.log" 2>&1
check "chipkey-factory init: pool of $NPOOL identities, $NPREGEN pre-generated key pairs" test $? -eq 0
check "... the pool holds $NPOOL free identities and $NPREGEN key pairs" test \
	"$(sqlite3 "$db" "SELECT count(*) FROM identity_pool WHERE state = 0; SELECT count(*) FROM keypair_pool;" | tr '\n' ' ')" \
	= "$NPOOL $NPREGEN "
check "... its secret files (manufacturer key, master key, SPP key) are mode 0600" \
	test "$(stat -c %a "$t/fac/mfr-key.pem" "$t/fac/master.key" "$t/fac/spp-key.pem" 2>/dev/null | tr '\n' ' ')" = "600 600 600 "

"$bin/chipkey-spp" --factory "$t/fac" --db "sqlite:$db" --public-db "sqlite:$pdb" --listen 127.0.0.1:0 \
	--port-file "$t/spp.port" --workers 16 --timeout 10 --max-per-ip $((2 * PAR)) 2>>"$t/spp.log" &
pids+=($!)
check "chipkey-spp listens on loopback" wait_file "$t/spp.port"
SPP=127.0.0.1:$(cat "$t/spp.port" 2>/dev/null)

"$bin/chipkey-pubdb" --db "sqlite:$pdb" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
	--port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
pids+=($!)
check "chipkey-pubdb listens on loopback, on the public database" wait_file "$t/pubdb.port"
URL=http://127.0.0.1:$(cat "$t/pubdb.port" 2>/dev/null)

# ---- NDEV chips: own fuse image and chip certificate (from the chip
# vendor's CA), own emulator process; the factory loads the batch of chip
# certificates (the SPP serves only chips of a loaded batch)
mkdir -p "$t/chips" "$t/stores" "$t/out"
started=0
: >"$t/fail-emu"
"$bin/chipkey-fuse" ca --out-key "$t/vendor-ca.key" --out-cert "$t/vendor-ca.pem" >/dev/null 2>>"$t/fuse.log"
for i in $(seq "$NDEV"); do
	if "$bin/chipkey-fuse" create "$t/chips/d$i.bin" --rom-key "$t/fac/mfr-pubkey.der" \
		--cert "$t/chips/d$i.pem" --ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" \
		>/dev/null 2>>"$t/fuse.log"; then
		"$bin/chipkey-emu" --state "$t/chips/d$i.bin" --socket "$t/chips/d$i.sock" \
			--foreground 2>>"$t/emu.log" &
		pids+=($!)
	else
		echo "d$i: fuse image" >>"$t/fail-emu"
	fi
done
: >"$t/chips.txt"
for i in $(seq "$NDEV"); do
	for _ in $(seq 200); do [ -S "$t/chips/d$i.sock" ] && break; sleep 0.02; done
	hex=$("$bin/chipkey" --device "emu:$t/chips/d$i.sock" info --json 2>>"$t/info.log" |
		sed -n 's/.*"chip_id": *"\([0-9a-f]*\)".*/\1/p')
	rom=$("$bin/chipkey" --device "emu:$t/chips/d$i.sock" rom-key 2>/dev/null | sha256sum)
	if [ ${#hex} -eq 32 ] && [ "$rom" = "$(sha256sum <"$t/fac/mfr-pubkey.der")" ]; then
		echo "$i $hex" >>"$t/chips.txt"
		started=$((started + 1))
	else
		echo "d$i: emulator not answering or wrong ROM key" >>"$t/fail-emu"
	fi
done
count_check "$NDEV emulators, each its own process and fuse image with the manufacturer ROM key" \
	"$started" "$NDEV" "$t/fail-emu"
"$bin/chipkey-factory" load-chips --db "sqlite:$db" --chip-ca "$t/vendor-ca.pem" "$t"/chips/d*.pem \
	>"$t/load-chips.out" 2>>"$t/factory.log"
check "chipkey-factory load-chips: the $NDEV chip certificates verified against the vendor CA and loaded" \
	test "$(sqlite3 "$db" "SELECT count(*) FROM chip_batch;")" = "$NDEV"
check "$NDEV distinct chip IDs" test "$(awk '{print $2}' "$t/chips.txt" | sort -u | wc -l)" -eq "$NDEV"
declare -A hexof=()
while read -r i hex; do hexof[$i]=$hex; done <"$t/chips.txt"

# ---- provision them all, PAR at a time (in a subshell, so that "wait"
# sees only the agents, not the emulators)
t0=$(date +%s.%N)
(
	running=0
	for i in $(seq "$NDEV"); do
		(
			timeout 60 "$bin/chipkey-agent" provision --spp "$SPP" \
				--station-cert "$t/fac/station-cert.pem" --station-key "$t/fac/station-key.pem" \
				--device "emu:$t/chips/d$i.sock" --store "$t/stores/d$i" \
				>"$t/out/agent$i.out" 2>"$t/out/agent$i.err"
			echo $? >"$t/out/agent$i.rc"
		) &
		running=$((running + 1))
		if [ "$running" -ge "$PAR" ]; then wait -n; running=$((running - 1)); fi
	done
	wait
)
t1=$(date +%s.%N)
: >"$t/fail-prov"
good=0
for i in $(seq "$NDEV"); do
	rc=$(cat "$t/out/agent$i.rc" 2>/dev/null || echo none)
	if [ "$rc" = 0 ] && [ -s "$t/stores/d$i/backup.pkg" ] && [ -s "$t/stores/d$i/device-cert.der" ]; then
		good=$((good + 1))
	else
		echo "d$i: agent exit $rc: $(tail -1 "$t/out/agent$i.err" 2>/dev/null)" >>"$t/fail-prov"
	fi
done
count_check "chipkey-agent provision: every device provisioned, exit 0, flash store written" \
	"$good" "$NDEV" "$t/fail-prov"
echo "# provisioning: $(awk -v a="$t0" -v b="$t1" -v n="$NDEV" 'BEGIN { printf "%.1f s, %.0f devices/s", b - a, n / (b - a) }')"

# ---- certificates: openssl verify, identity and chip ID in the text
: >"$t/fail-cert"
: >"$t/fail-text"
vgood=0 tgood=0
for i in $(seq "$NDEV"); do
	hex=${hexof[$i]:-none}
	s=$t/stores/d$i
	if openssl x509 -inform DER -in "$s/device-cert.der" -out "$t/out/cert$i.pem" 2>/dev/null &&
		openssl verify -CAfile "$t/fac/mfr-ca.pem" -untrusted "$t/fac/ica-cert.pem" "$t/out/cert$i.pem" >"$t/out/verify$i" 2>&1 &&
		grep -q ': OK$' "$t/out/verify$i"; then
		vgood=$((vgood + 1))
	else
		echo "d$i: $(head -2 "$t/out/verify$i" 2>/dev/null | tr '\n' ' ')" >>"$t/fail-cert"
	fi
	id=$(tr -d '\n' <"$s/identity" 2>/dev/null)
	txt=$(openssl x509 -in "$t/out/cert$i.pem" -noout -text 2>/dev/null)
	if [ ${#id} -eq 15 ] && grep -q "CN *= *$id" <<<"$txt" && grep -qi "$hex" <<<"$txt"; then
		tgood=$((tgood + 1))
	else
		echo "d$i: identity '$id' or chip $hex not in the certificate text" >>"$t/fail-text"
	fi
done
count_check "openssl verify -CAfile <manufacturer CA> -untrusted <issuing CA> accepts every device certificate" \
	"$vgood" "$NDEV" "$t/fail-cert"
count_check "openssl x509 -text of every certificate names its identity and its chip ID" \
	"$tgood" "$NDEV" "$t/fail-text"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t/rogue.key" 2>/dev/null
openssl req -new -x509 -key "$t/rogue.key" -subj "/CN=rogue CA" -days 2 -out "$t/rogue.pem" 2>/dev/null
check "... and openssl verify with another CA refuses them (the check can fail)" \
	bash -c "! openssl verify -CAfile '$t/rogue.pem' '$t/out/cert1.pem' >/dev/null 2>&1"

# ---- backups: curl from pubdb, own device unwraps, other device refuses
: >"$t/fail-curl"
: >"$t/fail-own"
: >"$t/fail-other"
cgood=0 ugood=0 rgood=0
for i in $(seq "$NDEV"); do
	hex=${hexof[$i]:-none}
	j=$((i % NDEV + 1))
	code=$(curl -s -o "$t/out/pub$i.pkg" -w '%{http_code}' "$URL/v1/chips/$hex/backup")
	if [ "$code" = 200 ] && cmp -s "$t/out/pub$i.pkg" "$t/stores/d$i/backup.pkg"; then
		cgood=$((cgood + 1))
	else
		echo "d$i: GET /v1/chips/$hex/backup: HTTP $code, or differs from the flash store" >>"$t/fail-curl"
	fi
	"$bin/chipkey" --device "emu:$t/chips/d$i.sock" unwrap "$t/out/pub$i.pkg" "$t/out/dp$i" \
		2>>"$t/unwrap.log"
	rc=$?
	if [ $rc -eq 0 ]; then ugood=$((ugood + 1)); else echo "d$i: exit $rc" >>"$t/fail-own"; fi
	"$bin/chipkey" --device "emu:$t/chips/d$j.sock" unwrap "$t/out/pub$i.pkg" "$t/out/other$i" \
		2>>"$t/refuse.log"
	rc=$?
	if [ $rc -eq 4 ] && [ ! -s "$t/out/other$i" ]; then rgood=$((rgood + 1)); else
		echo "d$i on d$j: exit $rc (want 4), output $(stat -c %s "$t/out/other$i" 2>/dev/null || echo none) bytes" >>"$t/fail-other"
	fi
done
count_check "curl GET /v1/chips/<chip>/backup from pubdb serves every backup, byte-equal to the device's flash store" \
	"$cgood" "$NDEV" "$t/fail-curl"
count_check "every backup unwraps on its own device (chipkey --device emu:... unwrap)" \
	"$ugood" "$NDEV" "$t/fail-own"
count_check "every backup is refused by another device (exit 4: another chip's package), nothing written" \
	"$rgood" "$NDEV" "$t/fail-other"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/chips/00000000000000000000000000000000/backup")
check "pubdb: unknown chip -> 404 (got $code)" test "$code" = 404
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/chips/xyz/backup")
check "pubdb: malformed chip ID -> 400 (got $code)" test "$code" = 400

# ---- the unwrapped data packages against what the SPP recorded.
# sqlite3 dumps the secret records (160) and public records (170); a small
# independent TLV reader checks each package: header, device-id = the store's
# identity, chip-id = the chip's, the device key's public half = the
# certificate's, device-cert = the flash store's, and the package without
# its device-key entry = the secret record, byte for byte.
sqlite3 -batch -noheader -separator ' ' "$db" \
	"SELECT lower(hex(chip_id)), identity, lower(hex(data)) FROM device_secrets;" >"$t/secret.txt" 2>>"$t/sql.log"
: >"$t/fail-dp"
for i in $(seq "$NDEV"); do
	hex=${hexof[$i]:-none}
	[ -s "$t/out/dp$i" ] || { echo "d$i: no unwrapped package" >>"$t/fail-dp"; continue; }
	# the certificate's public key vs the package's private key, by openssl
	openssl x509 -in "$t/out/cert$i.pem" -noout -pubkey 2>/dev/null |
		openssl pkey -pubin -outform DER 2>/dev/null | sha256sum >"$t/out/certpub$i"
done
cat >"$t/check-dp.py" <<'EOF'
import hashlib, subprocess, sys
t, ndev, secretfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
secret = {}
for line in open(secretfile):
    chip, ident, data = line.split()
    secret[chip] = (ident, bytes.fromhex(data))
chips = dict(l.split()[::-1] for l in open(f"{t}/chips.txt"))   # hex -> i
byidx = {int(v): k for k, v in chips.items()}

def tlv(buf):
    if len(buf) < 16 or buf[:8] != b"CKDATA01":
        raise ValueError("bad magic")
    if int.from_bytes(buf[8:10], "big") != 1 or int.from_bytes(buf[12:16], "big") != len(buf):
        raise ValueError("bad version or total length")
    off, out = 16, []
    while off < len(buf):
        typ = int.from_bytes(buf[off:off + 2], "big")
        flags = int.from_bytes(buf[off + 2:off + 4], "big")
        ln = int.from_bytes(buf[off + 4:off + 8], "big")
        if off + 8 + ln > len(buf):
            raise ValueError("entry overruns the package")
        out.append((typ, flags, buf[off + 8:off + 8 + ln], buf[off:off + 8 + ln]))
        off += 8 + ln
    return out

for i in range(1, ndev + 1):
    hexid = byidx.get(i)
    try:
        dp = open(f"{t}/out/dp{i}", "rb").read()
    except OSError:
        continue                                  # reported by the shell
    try:
        ents = tlv(dp)
        d = {typ: val for typ, _, val, _ in ents}
        ident = open(f"{t}/stores/d{i}/identity").read().strip()
        assert d.get(1, b"").decode() == ident, "device-id differs from the store's identity"
        assert d.get(2, b"").hex() == hexid, "chip-id differs from the chip's"
        assert len(d.get(0x10, b"")) == 32, "no 32-byte channel key"
        assert d.get(0x12) == open(f"{t}/stores/d{i}/device-cert.der", "rb").read(), \
            "device-cert differs from the flash store's"
        assert 0x11 in d, "no device key"
        pub = subprocess.run(["openssl", "pkey", "-inform", "DER", "-pubout", "-outform", "DER"],
                             input=d[0x11], capture_output=True, check=True).stdout
        want = open(f"{t}/out/certpub{i}").read().split()[0]
        assert hashlib.sha256(pub).hexdigest() == want, "device key is not the certificate's key"
        assert hexid in secret, "no secret record (160) for this chip"
        sid, sdata = secret[hexid]
        assert sid == ident, "secret record names another identity"
        body = b"".join(raw for typ, _, _, raw in ents if typ != 0x11)
        stripped = dp[:12] + (16 + len(body)).to_bytes(4, "big") + body
        assert stripped == sdata, "package minus device key != secret record (160)"
        assert 0x11 not in {typ for typ, _, _, _ in tlv(sdata)}, "secret record holds the device key"
    except Exception as e:
        print(f"d{i}: {e}")
EOF
"$PY" "$t/check-dp.py" "$t" "$NDEV" "$t/secret.txt" >>"$t/fail-dp" 2>&1
bad=$(grep -c . "$t/fail-dp")
count_check "every unwrapped package: identity, chip ID, device cert and key match; minus the device key it equals the SPP's secret record (160)" \
	"$((NDEV - bad))" "$NDEV" "$t/fail-dp"
# negative control: one byte of d1's secret record changed -> exactly d1 fails
awk -v c="${hexof[1]:-none}" '$1 == c { $3 = substr($3, 1, 40) (substr($3, 41, 1) == "0" ? "1" : "0") substr($3, 42) } 1' \
	"$t/secret.txt" >"$t/secret-flipped.txt"
"$PY" "$t/check-dp.py" "$t" "$NDEV" "$t/secret-flipped.txt" >"$t/control.txt" 2>&1
check "... and that check fails for exactly the one device whose secret record was altered" \
	bash -c "test \"\$(grep -c . '$t/control.txt')\" = 1 && grep -q '^d1: package minus device key' '$t/control.txt'"
check "secret database holds exactly $NDEV records" test "$(wc -l <"$t/secret.txt")" -eq "$NDEV"

# ---- identities: distinct, Luhn-valid (checked here, in awk), one set everywhere
for i in $(seq "$NDEV"); do cat "$t/stores/d$i/identity" 2>/dev/null; done >"$t/ids.txt"
check "$NDEV identities in the flash stores, all distinct" \
	test "$(sort -u "$t/ids.txt" | grep -c .)" -eq "$NDEV"
# luhn_awk: prints every input line that is not 15 digits with a valid
# Luhn check digit (the rightmost digit; every second digit from the right
# of it is doubled).
luhn_awk() {
	awk '{
		s = $1
		if (length(s) != 15 || s ~ /[^0-9]/) { print s; next }
		sum = 0
		for (i = 15; i >= 1; i--) {
			d = substr(s, i, 1) + 0
			if ((15 - i) % 2 == 1) { d *= 2; if (d > 9) d -= 9 }
			sum += d
		}
		if (sum % 10 != 0) print s
	}' "$@"
}
luhn_awk "$t/ids.txt" >"$t/luhn-bad.txt"
sed 's/^/#   bad Luhn: /' "$t/luhn-bad.txt" | head -5
check "every identity is 15 digits with a valid Luhn check digit (awk; $(grep -c . "$t/luhn-bad.txt") bad)" \
	test ! -s "$t/luhn-bad.txt" -a "$(grep -c . "$t/ids.txt")" -eq "$NDEV"
check "... the awk check accepts 490154203237518 and refuses 490154203237519, 49015420323751" \
	test "$(printf '490154203237518\n490154203237519\n49015420323751\n' | luhn_awk | tr '\n' ' ')" \
	= "490154203237519 49015420323751 "
sqlite3 "$pdb" "SELECT identity FROM public_records;" 2>>"$t/sql.log" | sort >"$t/ids-pub.txt"
sqlite3 "$db" "SELECT identity FROM identity_pool WHERE state = 2;" 2>>"$t/sql.log" | sort >"$t/ids-issued.txt"
sort "$t/ids.txt" >"$t/ids-sorted.txt"
check "the public database (170) holds one record per device, the same identities" \
	cmp -s "$t/ids-sorted.txt" "$t/ids-pub.txt"
check "the pool (140) marks exactly these identities issued; none left reserved" \
	bash -c "cmp -s '$t/ids-sorted.txt' '$t/ids-issued.txt' &&
		 test \"\$(sqlite3 '$db' 'SELECT count(*) FROM identity_pool WHERE state = 1;')\" = 0"
check "every identity came from the pool file" \
	test "$(sort "$t/pool.txt" | comm -23 "$t/ids-sorted.txt" - | wc -l)" -eq 0
check "all $NPREGEN pre-generated key pairs were used and deleted" \
	test "$(sqlite3 "$db" 'SELECT count(*) FROM keypair_pool;' 2>/dev/null)" = 0
check "spp and pubdb are still running" bash -c "kill -0 ${pids[0]} && kill -0 ${pids[1]}"

end=$(date +%s.%N)
echo "# runtime: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f s", b - a }')"
echo "1..$n"
[ "$failed" -eq 0 ]
