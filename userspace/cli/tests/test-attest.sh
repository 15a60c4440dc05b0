#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chipkey attest-key, attest, seal, sealed-wrap and mac against two
# chipkey-emu (the test-vector chip and a fresh one), every expected value
# computed by the independent oracle scripts/ck_attest_oracle.py (Python
# cryptography) or read from docs/test-vectors/attest-v1.txt, which the
# oracle made.  TAP on stdout.
#
#   test-attest.sh BINDIR
set -u
bin=${1:?usage: test-attest.sh BINDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
# ok, nok, skip, check, expect_exit CODE DESC -- COMMAND..., tap_done
. "$here/../../common/tests/tap.sh"
oracle="$top/scripts/ck_attest_oracle.py"
vectors="$top/docs/test-vectors/attest-v1.txt"

t=$(mktemp -d /tmp/chipkey-test-attest-XXXXXX)
tap_out=$t/out tap_err=$t/err	# expect_exit keeps the command's output here
chmod 755 "$t"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$t"
}
trap cleanup EXIT

ck="$bin/chipkey"
emu="$bin/chipkey-emu"

hexof() { od -An -v -tx1 "$@" | tr -d ' \n'; }	# hexof [-j OFF -N LEN] FILE
same() { # same DESC GOT WANT
	if [ -n "$2" ] && [ "$2" = "$3" ]; then ok "$1"; else
		nok "$1"; echo "#   got:  '$2'"; echo "#   want: '$3'"; fi
}
vec() { # vec BLOCK KEY: a value of attest-v1.txt
	awk -v b="$1" -v k="$2" '
		/^name = / { cur = substr($0, 8) }
		cur == b && $1 == k { sub(/^[^=]*= ?/, ""); print; exit }' "$vectors"
}
unhex() { xxd -r -p >"$1"; }	# unhex OUT <HEX
start_emu() { # start_emu STATE SOCK
	"$emu" --state "$1" --socket "$2" --foreground 2>>"$t/emu.log" &
	pids+=($!)
	for _ in $(seq 500); do [ -S "$2" ] && return 0; sleep 0.02; done
	return 1
}

# ---- two chips: the test-vector chip, and a fresh one
install -m 600 "$top/docs/test-vectors/fuse-vectors.bin" "$t/vec.bin"
openssl ecparam -name prime256v1 -genkey -noout -out "$t/rom.pem" 2>/dev/null
"$bin/chipkey-fuse" create "$t/fresh.bin" --rom-key "$t/rom.pem" >/dev/null 2>&1
check "fresh fuse image made" test -s "$t/fresh.bin"
check "start emulator on the vector chip" start_emu "$t/vec.bin" "$t/s1"
check "start emulator on a fresh chip" start_emu "$t/fresh.bin" "$t/s2"
declare -A dev fuse id q
dev[vec]="emu:$t/s1" dev[fresh]="emu:$t/s2"
fuse[vec]=$t/vec.bin fuse[fresh]=$t/fresh.bin
for c in vec fresh; do
	id[$c]=$(hexof -j 8 -N 16 "${fuse[$c]}")
	q[$c]=$("$oracle" pub "${fuse[$c]}")
done
same "oracle Q of the vector chip = attest-v1.txt" "${q[vec]}" "$(vec attestation-key pub)"
same "vector chip ID = attest-v1.txt" "${id[vec]}" "$(vec attestation-key chip_id)"

# ---- attest-key
for c in vec fresh; do
	d=${dev[$c]}
	expect_exit 0 "$c: attest-key" -- "$ck" --device "$d" attest-key
	same "$c: attest-key = oracle pub" "$(cat "$t/out")" "${q[$c]}"
	check "$c: ... 130 hex digits and a newline" \
		test "$(wc -c <"$t/out")" = 131
	expect_exit 0 "$c: attest-key --pem" -- "$ck" --device "$d" attest-key --pem
	cp "$t/out" "$t/q-$c.pem"
	same "$c: attest-key --pem is an SPKI OpenSSL reads, holding Q" \
		"$(openssl pkey -pubin -in "$t/q-$c.pem" -outform DER 2>/dev/null | tail -c 65 | hexof)" "${q[$c]}"
	openssl pkey -pubin -in "$t/q-$c.pem" -outform DER -out "$t/q-$c.der" 2>/dev/null
	printf '%s' "${q[$c]}" | unhex "$t/q-$c.raw"
done

# ---- attest: the MAC against the oracle's, several contexts and key forms
mkctx() { head -c "$2" /dev/urandom >"$t/$1"; }
mkctx ctx0 0; mkctx ctx1 1; mkctx ctx100 100; mkctx ctx256 256; mkctx ctx257 257
for c in vec fresh; do
	d=${dev[$c]}
	"$oracle" ephemeral "$t/v-$c.pem" >"$t/v-$c.hex"
	openssl pkey -in "$t/v-$c.pem" -pubout -out "$t/v-$c.pub.pem" 2>/dev/null
	openssl pkey -in "$t/v-$c.pem" -pubout -outform DER -out "$t/v-$c.pub.der" 2>/dev/null
	unhex "$t/v-$c.pub.raw" <"$t/v-$c.hex"
	for n in 0 1 100 256; do
		want=$("$oracle" attest-mac "${q[$c]}" "${id[$c]}" "$t/v-$c.pem" "$t/ctx$n")
		expect_exit 0 "$c: attest, context of $n bytes" -- \
			"$ck" --device "$d" attest --peer "$t/v-$c.pub.pem" --context "$t/ctx$n"
		same "$c: ... MAC = oracle attest-mac" "$(cat "$t/out")" "$want"
	done
	want=$("$oracle" attest-mac "${q[$c]}" "${id[$c]}" "$t/v-$c.pem" "$t/ctx0")
	expect_exit 0 "$c: attest without --context" -- "$ck" --device "$d" attest --peer "$t/v-$c.pub.pem"
	same "$c: ... = MAC of the empty context" "$(cat "$t/out")" "$want"
	want=$("$oracle" attest-mac "${q[$c]}" "${id[$c]}" "$t/v-$c.pem" "$t/ctx100")
	for form in der raw; do
		expect_exit 0 "$c: attest, peer key as $form" -- \
			"$ck" --device "$d" attest --peer "$t/v-$c.pub.$form" --context "$t/ctx100"
		same "$c: ... same MAC" "$(cat "$t/out")" "$want"
	done
	expect_exit 7 "$c: attest, context of 257 bytes -> too large" -- \
		"$ck" --device "$d" attest --peer "$t/v-$c.pub.pem" --context "$t/ctx257"
done
# the oracle can fail: a MAC made with another verifier key differs
other=$("$oracle" attest-mac "${q[vec]}" "${id[vec]}" "$t/v-fresh.pem" "$t/ctx100")
"$ck" --device "${dev[vec]}" attest --peer "$t/v-vec.pub.pem" --context "$t/ctx100" >"$t/m" 2>/dev/null
check "attest MAC differs for another verifier key (the check can fail)" \
	test -s "$t/m" -a "$(cat "$t/m")" != "$other"
# a verifier point that is not on the curve
{ printf '\004'; head -c 64 /dev/zero; } >"$t/bad0.raw"	# (0,0)
{ printf '\004'; head -c 63 /dev/zero; printf '\001'; } >"$t/bad1.raw"	# (0,1): off the curve
expect_exit 6 "attest with the point (0,0) -> malformed" -- \
	"$ck" --device "${dev[vec]}" attest --peer "$t/bad0.raw" --context "$t/ctx1"
expect_exit 6 "attest with a point off the curve -> malformed" -- \
	"$ck" --device "${dev[vec]}" attest --peer "$t/bad1.raw" --context "$t/ctx1"

# the published vectors, on the vector chip
for n in 0 1 256; do
	b=attest-context-$n
	vec "$b" verifier_pub | unhex "$t/vv$n.raw"
	vec "$b" context | unhex "$t/vc$n"
	expect_exit 0 "vector $b" -- \
		"$ck" --device "${dev[vec]}" attest --peer "$t/vv$n.raw" --context "$t/vc$n"
	same "... MAC = attest-v1.txt" "$(cat "$t/out")" "$(vec "$b" mac)"
done

# ---- oracle seal -> chipkey sealed-wrap -> oracle sealed-wrap-check
gen=1
for c in vec fresh; do
	d=${dev[$c]}
	for n in 0 1 1000 65536; do
		gen=$((gen * 3 + 1))
		head -c "$n" /dev/urandom >"$t/p"
		"$oracle" seal "${q[$c]}" "${id[$c]}" "$t/p" "$t/sealed" "$t/e.pem"
		rm -f "$t/backup"
		expect_exit 0 "$c: sealed-wrap of an oracle-sealed $n-byte package" -- \
			"$ck" --device "$d" sealed-wrap --generation "$gen" --context "$t/ctx100" \
			"$t/sealed" "$t/backup"
		mac=$(cat "$t/out")
		check "$c: ... MAC, backup header, unwrap pass oracle sealed-wrap-check" \
			"$oracle" sealed-wrap-check "${q[$c]}" "${id[$c]}" "$t/e.pem" "$t/p" \
			"$t/backup" "$t/ctx100" "$mac" "$gen" "${fuse[$c]}"
		expect_exit 0 "$c: ... the backup unwraps on the chip" -- \
			"$ck" --device "$d" -v unwrap "$t/backup" "$t/back"
		check "$c: ... to the plaintext, with the generation" \
			bash -c "cmp -s '$t/p' '$t/back' && grep -q 'generation $gen' '$t/err'"
	done
	# the check can fail: wrong context, wrong generation
	check "$c: oracle refuses the MAC for another context" \
		bash -c "! '$oracle' sealed-wrap-check '${q[$c]}' '${id[$c]}' '$t/e.pem' '$t/p' '$t/backup' '$t/ctx1' '$mac' '$gen' 2>/dev/null"
	check "$c: oracle refuses another generation" \
		bash -c "! '$oracle' sealed-wrap-check '${q[$c]}' '${id[$c]}' '$t/e.pem' '$t/p' '$t/backup' '$t/ctx100' '$mac' $((gen + 1)) 2>/dev/null"
done
# the documented argument order: SEALED OUT --generation N [--context FILE]
head -c 33 /dev/urandom >"$t/p"
"$oracle" seal "${q[vec]}" "${id[vec]}" "$t/p" "$t/sealed" "$t/e.pem"
expect_exit 0 "sealed-wrap SEALED OUT --generation N (no context)" -- \
	"$ck" --device "${dev[vec]}" sealed-wrap "$t/sealed" "$t/backup" --generation 9
check "... MAC of the empty context passes the oracle" \
	"$oracle" sealed-wrap-check "${q[vec]}" "${id[vec]}" "$t/e.pem" "$t/p" \
	"$t/backup" "$t/ctx0" "$(cat "$t/out")" 9 "${fuse[vec]}"
check "... MAC is 64 hex digits and a newline" test "$(wc -c <"$t/out")" = 65
check "... backup file mode 0600" test "$(stat -c %a "$t/backup")" = 600

# the published sealed packages open on the vector chip
for n in 0 1 300; do
	vec seal-payload-$n sealed | unhex "$t/vs"
	vec seal-payload-$n plaintext | unhex "$t/vp"
	rm -f "$t/vb"
	expect_exit 0 "vector seal-payload-$n: sealed-wrap" -- \
		"$ck" --device "${dev[vec]}" sealed-wrap --generation 3 "$t/vs" "$t/vb"
	"$ck" --device "${dev[vec]}" unwrap "$t/vb" "$t/vo" 2>/dev/null
	check "... the backup holds the vector's plaintext" cmp -s "$t/vp" "$t/vo"
done

# ---- chipkey seal (no device) -> chipkey sealed-wrap -> oracle check
py_open() { # py_open FUSE SEALED OUT: open with the oracle's code and the chip scalar
	python3 - "$top/scripts" "$@" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import ck_attest_oracle as o
chip_id, chip_key = o.read_fuse(sys.argv[2])
k = o.scalar_tries(chip_key, chip_id)[-1][1]
pkg = open(sys.argv[3], "rb").read()
open(sys.argv[4], "wb").write(o.seal_open(int.from_bytes(k, "big"), chip_id, pkg))
EOF
}
opens_to() { py_open "$1" "$2" "$t/po" 2>/dev/null && cmp -s "$3" "$t/po"; }	# opens_to FUSE SEALED PLAIN
for c in vec fresh; do
	d=${dev[$c]}
	for form in hex pem der raw; do
		case $form in
		hex) key=${q[$c]} ;;
		*) key=$t/q-$c.$form ;;
		esac
		head -c 777 /dev/urandom >"$t/p"
		rm -f "$t/cs" "$t/ce.pem" "$t/cb"
		expect_exit 0 "$c: chipkey seal, chip key as $form" -- \
			"$ck" seal --chip-key "$key" --chip-id "${id[$c]}" --eph-key-out "$t/ce.pem" \
			"$t/p" "$t/cs"
		check "$c: ... package is n+136 bytes, starts with CKSEALED" \
			test "$(stat -c %s "$t/cs" 2>/dev/null)" = 913 -a "$(head -c 8 "$t/cs")" = CKSEALED
		check "$c: ... ephemeral key file mode 0600" test "$(stat -c %a "$t/ce.pem" 2>/dev/null)" = 600
		same "$c: ... E in the header is the public half of --eph-key-out" \
			"$(hexof -j 32 -N 65 "$t/cs")" \
			"$(openssl pkey -in "$t/ce.pem" -pubout -outform DER 2>/dev/null | tail -c 65 | hexof)"
		check "$c: ... the oracle opens it with the chip scalar" \
			opens_to "${fuse[$c]}" "$t/cs" "$t/p"
		expect_exit 0 "$c: ... sealed-wrap opens it" -- \
			"$ck" --device "$d" sealed-wrap --generation 77 --context "$t/ctx256" "$t/cs" "$t/cb"
		check "$c: ... MAC verified by the oracle with --eph-key-out" \
			"$oracle" sealed-wrap-check "${q[$c]}" "${id[$c]}" "$t/ce.pem" "$t/p" \
			"$t/cb" "$t/ctx256" "$(cat "$t/out")" 77 "${fuse[$c]}"
	done
done
# the documented argument order: --chip-key PUB --chip-id HEX IN OUT
head -c 10 /dev/urandom >"$t/p"
expect_exit 0 "chipkey seal without --eph-key-out" -- \
	"$ck" seal --chip-key "${q[vec]}" --chip-id "${id[vec]}" "$t/p" "$t/cs2"
check "... opens with the oracle" opens_to "${fuse[vec]}" "$t/cs2" "$t/p"
head -c 65537 /dev/zero >"$t/big"
expect_exit 7 "chipkey seal of 65537 bytes -> too large" -- \
	"$ck" seal --chip-key "${q[vec]}" --chip-id "${id[vec]}" "$t/big" "$t/cs3"
expect_exit 1 "chipkey seal with a bad --chip-id -> usage" -- \
	"$ck" seal --chip-key "${q[vec]}" --chip-id 1234 "$t/p" "$t/cs4"
expect_exit 6 "chipkey seal to a point off the curve -> malformed" -- \
	"$ck" seal --chip-key "$t/bad1.raw" --chip-id "${id[vec]}" "$t/p" "$t/cs5"
check "failed seals left no output" bash -c "! ls '$t/cs3' '$t/cs4' '$t/cs5' 2>/dev/null"

# ---- every single-byte change of a sealed package is refused
head -c 16 /dev/urandom >"$t/p"
"$oracle" seal "${q[vec]}" "${id[vec]}" "$t/p" "$t/fs" "$t/fe.pem"
size=$(stat -c %s "$t/fs")
bad=() wrongcode=() leftover=0
mkdir "$t/flips"
python3 -c '
import sys
pkg = open(sys.argv[1], "rb").read()
for i in range(len(pkg)):
    b = bytearray(pkg); b[i] ^= 1
    open("%s/%d" % (sys.argv[2], i), "wb").write(b)' "$t/fs" "$t/flips"
for ((i = 0; i < size; i++)); do
	rm -f "$t/fo"
	"$ck" --device "${dev[vec]}" sealed-wrap --generation 1 "$t/flips/$i" "$t/fo" >/dev/null 2>&1
	rc=$?
	[ -e "$t/fo" ] && leftover=$((leftover + 1))
	# what the byte is: chip ID -> not ours (4); nonce, ciphertext, tag ->
	# tampered (5); every other header byte and E (off the curve) -> malformed (6)
	if ((i >= 16 && i < 32)); then want=4
	elif ((i >= 100 && i < 112)) || ((i >= 120)); then want=5
	else want=6; fi
	if [ "$rc" -eq 0 ]; then bad+=("$i"); elif [ "$rc" -ne "$want" ]; then wrongcode+=("$i:$rc/$want"); fi
done
check "all $size single-byte flips refused (exit non-zero)" test "${#bad[@]}" -eq 0
[ "${#bad[@]}" -eq 0 ] || echo "#   accepted flips at: ${bad[*]}"
check "... none left an output file" test "$leftover" -eq 0
check "... each with its class: chip ID 4, nonce/ciphertext/tag 5, rest 6" test "${#wrongcode[@]}" -eq 0
[ "${#wrongcode[@]}" -eq 0 ] || echo "#   offset:got/want: ${wrongcode[*]:0:40}"
head -c $((size - 1)) "$t/fs" >"$t/ft"
expect_exit 6 "truncated sealed package -> malformed" -- \
	"$ck" --device "${dev[vec]}" sealed-wrap --generation 1 "$t/ft" "$t/fo1"
{ cat "$t/fs"; printf x; } >"$t/ft"
expect_exit 6 "sealed package with a byte appended -> malformed" -- \
	"$ck" --device "${dev[vec]}" sealed-wrap --generation 1 "$t/ft" "$t/fo2"
expect_exit 0 "the unchanged package still opens" -- \
	"$ck" --device "${dev[vec]}" sealed-wrap --generation 1 "$t/fs" "$t/fo3"

# ---- sealed to another chip
expect_exit 4 "package sealed to the vector chip, on the fresh chip -> not ours" -- \
	"$ck" --device "${dev[fresh]}" sealed-wrap --generation 1 "$t/fs" "$t/fo4"
check "... no output file" test ! -e "$t/fo4"
echo "previous contents" >"$t/keep"; cp "$t/keep" "$t/keep.orig"
expect_exit 4 "... onto an existing file" -- \
	"$ck" --device "${dev[fresh]}" sealed-wrap --generation 1 "$t/fs" "$t/keep"
check "... existing file untouched" cmp -s "$t/keep" "$t/keep.orig"

# ---- mac --purpose flash-manifest
mkctx mi0 0; mkctx mi100 100; mkctx mi65536 65536; mkctx mi65537 65537
for c in vec fresh; do
	for n in 0 100 65536; do
		expect_exit 0 "$c: mac --purpose flash-manifest, $n bytes" -- \
			"$ck" --device "${dev[$c]}" mac --purpose flash-manifest "$t/mi$n"
		same "$c: ... = oracle chip-mac" "$(cat "$t/out")" \
			"$("$oracle" chip-mac "${fuse[$c]}" 1 "$t/mi$n")"
	done
	expect_exit 7 "$c: mac of 65537 bytes -> too large" -- \
		"$ck" --device "${dev[$c]}" mac --purpose flash-manifest "$t/mi65537"
done
check "chip MACs of the two chips differ" test \
	"$("$oracle" chip-mac "${fuse[vec]}" 1 "$t/mi100")" != "$("$oracle" chip-mac "${fuse[fresh]}" 1 "$t/mi100")"
expect_exit 1 "mac with an unknown purpose -> usage" -- \
	"$ck" --device "${dev[vec]}" mac --purpose no-such-purpose "$t/mi100"
expect_exit 0 "mac --purpose 1 (the number of flash-manifest)" -- \
	"$ck" --device "${dev[vec]}" mac --purpose 1 "$t/mi100"
same "... = oracle chip-mac" "$(cat "$t/out")" "$("$oracle" chip-mac "${fuse[vec]}" 1 "$t/mi100")"
for p in 0 2 4294967295; do
	expect_exit 6 "mac --purpose $p: the chip refuses an unknown purpose -> malformed" -- \
		"$ck" --device "${dev[vec]}" mac --purpose "$p" "$t/mi100"
done
for n in 0 100; do
	vec chip-mac-input-$n input | unhex "$t/vi"
	expect_exit 0 "vector chip-mac-input-$n" -- \
		"$ck" --device "${dev[vec]}" mac --purpose flash-manifest "$t/vi"
	same "... = attest-v1.txt" "$(cat "$t/out")" "$(vec chip-mac-input-$n mac)"
done

# ---- unprivileged callers
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	mkdir -m 777 "$t/pub"
	cp "$t/v-vec.pub.pem" "$t/ctx100" "$t/fs" "$t/mi100" "$t/pub/"
	chmod 644 "$t/pub/"*
	expect_exit 0 "unprivileged attest-key works" -- nobody "$ck" --device "${dev[vec]}" attest-key
	same "... and gives Q" "$(cat "$t/out")" "${q[vec]}"
	expect_exit 3 "unprivileged attest -> permission denied" -- \
		nobody "$ck" --device "${dev[vec]}" attest --peer "$t/pub/v-vec.pub.pem" --context "$t/pub/ctx100"
	expect_exit 3 "unprivileged sealed-wrap -> permission denied" -- \
		nobody "$ck" --device "${dev[vec]}" sealed-wrap --generation 1 "$t/pub/fs" "$t/pub/out"
	check "... no output file" test ! -e "$t/pub/out"
	expect_exit 3 "unprivileged mac -> permission denied" -- \
		nobody "$ck" --device "${dev[vec]}" mac --purpose flash-manifest "$t/pub/mi100"
	expect_exit 0 "unprivileged seal (no device) works" -- \
		nobody "$ck" seal --chip-key "${q[vec]}" --chip-id "${id[vec]}" "$t/pub/mi100" "$t/pub/s"
else
	for d in attest-key attest sealed-wrap "sealed-wrap output" mac seal; do
		skip "unprivileged $d" "needs root and setpriv"
	done
fi

tap_done attest
