#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Makes the seed corpus of every fuzz target, fuzz/corpus/TARGET/, from
# what the project's own programs write: chipkey-fuse images, a factory
# (chipkey-factory init/package), a device provisioned by chipkey-agent
# from chipkey-spp (its store: store.json, backup, certificate), chipkey
# wrap/seal/sealed-wrap/attest-key, records of chipkey-pubdb-put, the
# answers of chipkey-pubdb (curl), and the emulator protocol as chipkey and
# chipkey-emu speak it (recorded by a relay on the emulator socket).  The
# provisioning frames are assembled from those outputs (the real ones
# travel in TLS).
#
#   fuzz/make-corpus.sh [BINDIR]     (default build/bin: make userspace)
#
# Run it when a format changes and commit the result; keep it small (the
# fuzzer grows its own corpus in build/fuzz/corpus/).  Needs python3
# (python3-cryptography: the oracle), openssl and curl, all in
# scripts/setup-debian.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bin=${1:-$top/build/bin}
out=$here/corpus
for p in chipkey chipkey-emu chipkey-fuse chipkey-factory chipkey-spp chipkey-agent chipkey-pubdb \
	chipkey-pubdb-put; do
	[ -x "$bin/$p" ] || { echo "make-corpus.sh: no $bin/$p (make userspace)" >&2; exit 1; }
done

t=$(mktemp -d /tmp/chipkey-corpus-XXXXXX)
chmod 755 "$t"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$t"
}
trap cleanup EXIT
wait_for() { for _ in $(seq 200); do [ -e "$1" ] && [ -s "$1" -o -S "$1" ] && return 0; sleep 0.05; done
	echo "make-corpus.sh: $1 did not appear" >&2; return 1; }
seed() { # seed TARGET NAME < bytes
	mkdir -p "$out/$1"; cat >"$out/$1/$2"; }

rm -rf "$out"
mkdir -p "$out"

# ---- a factory, a chip of it, and a device provisioned onto a flash store
db="sqlite:$t/factory.db"
pdb="sqlite:$t/public.db"
"$bin/chipkey-factory" identities --prefix 35123400 --count 4 >"$t/ids.txt"
"$bin/chipkey-factory" init "$t/fac" --db "$db" --pool "$t/ids.txt" >/dev/null
# the chip comes with a chip certificate (a chip-vendor CA) and is loaded
# as the factory's chip batch: the SPP serves no other chip
"$bin/chipkey-fuse" ca --out-key "$t/vendor-ca.key" --out-cert "$t/vendor-ca.pem" >/dev/null
"$bin/chipkey-fuse" create "$t/dev.bin" --rom-key "$t/fac/mfr-pubkey.der" --cert "$t/dev.pem" \
	--ca-key "$t/vendor-ca.key" --ca-cert "$t/vendor-ca.pem" >/dev/null
"$bin/chipkey-factory" load-chips --db "$db" --chip-ca "$t/vendor-ca.pem" "$t/dev.pem" >/dev/null
"$bin/chipkey-emu" --state "$t/dev.bin" --socket "$t/dev.sock" --foreground 2>>"$t/emu.log" &
pids+=($!)
"$bin/chipkey-spp" --factory "$t/fac" --db "$db" --public-db "$pdb" --listen 127.0.0.1:0 \
	--port-file "$t/spp.port" 2>>"$t/spp.log" &
pids+=($!)
wait_for "$t/dev.sock"
wait_for "$t/spp.port"
"$bin/chipkey-agent" provision --spp "127.0.0.1:$(cat "$t/spp.port")" \
	--device "emu:$t/dev.sock" --store "$t/store" \
	--station-cert "$t/fac/station-cert.pem" --station-key "$t/fac/station-key.pem" \
	>/dev/null 2>>"$t/agent.log"
S=$t/store/current
[ -s "$S/backup.pkg" ] || { echo "make-corpus.sh: provisioning failed:" >&2; cat "$t/agent.log" >&2; exit 1; }
identity=$(tr -d '\n' <"$S/identity")
chip=$(od -An -v -tx1 -j 8 -N 16 "$t/dev.bin" | tr -d ' \n')
"$bin/chipkey" --device "emu:$t/dev.sock" attest-key >"$t/dev-q.hex"

# ---- the vector chip (the one the emu-request target emulates)
install -m 600 "$top/docs/test-vectors/fuse-vectors.bin" "$t/vec.bin"
vchip=$(od -An -v -tx1 -j 8 -N 16 "$t/vec.bin" | tr -d ' \n')

# ---- fuse-image: the vector chip, a fresh chip, an unprogrammed one
"$bin/chipkey-fuse" create "$t/zero.bin" --rom-key "$t/fac/mfr-pubkey.der" \
	--unprogrammed zero >/dev/null
seed fuse-image vector <"$t/vec.bin"
seed fuse-image fresh <"$t/dev.bin"
seed fuse-image unprogrammed <"$t/zero.bin"

# ---- manifest: the store the agent wrote
seed manifest store.json <"$S/store.json"

# ---- data-package: what the factory offers
"$bin/chipkey-factory" package "$t/fac" --identity "$identity" --chip-id "$vchip" \
	--out "$t/dp.bin" --generation 7 >/dev/null
seed data-package factory <"$t/dp.bin"

# ---- pki-cert: u16 length + manufacturer key (DER SPKI) + certificate
pki() { # pki NAME CERT.der
	{ python3 -c 'import sys; sys.stdout.buffer.write(int(sys.argv[1]).to_bytes(2, "big"))' \
		"$(wc -c <"$t/fac/mfr-pubkey.der")"; cat "$t/fac/mfr-pubkey.der" "$2"; } | seed pki-cert "$1"; }
pki device "$S/device-cert.der"
for c in spp-cert station-cert; do
	if [ -f "$t/fac/$c.pem" ]; then
		openssl x509 -in "$t/fac/$c.pem" -outform DER -out "$t/$c.der"
		pki "$c" "$t/$c.der"
	fi
done

# ---- the emulator protocol, recorded between chipkey and chipkey-emu
"$bin/chipkey-emu" --state "$t/vec.bin" --socket "$t/vec.sock" --foreground 2>>"$t/emu.log" &
pids+=($!)
wait_for "$t/vec.sock"
mkdir -p "$t/rec"
python3 - "$t/vec.sock" "$t/relay.sock" "$t/rec" <<'PY' &
# Relay a Unix socket, saving each request (cmd number byte, payload) and
# reply frame (header + payload) of the emulator protocol.
import os, socket, struct, sys, threading
up, path, rec = sys.argv[1:4]
n = [0]
def full(s, k):
    b = b""
    while len(b) < k:
        c = s.recv(k - len(b))
        if not c:
            raise EOFError
        b += c
    return b
def serve(c):
    u = socket.socket(socket.AF_UNIX); u.connect(up)
    try:
        while True:
            h = full(c, 16); _, _, cmd, ln = struct.unpack("<IIII", h)
            req = full(c, ln); u.sendall(h + req)
            rh = full(u, 16); rl = struct.unpack("<IIiI", rh)[3]
            rep = rh + full(u, rl); c.sendall(rep)
            n[0] += 1
            with open("%s/%03d.%d.req" % (rec, n[0], cmd & 0xff), "wb") as f: f.write(req)
            with open("%s/%03d.%d.rep" % (rec, n[0], cmd & 0xff), "wb") as f: f.write(rep)
    except (EOFError, OSError):
        pass
    c.close(); u.close()
s = socket.socket(socket.AF_UNIX); s.bind(path); os.chmod(path, 0o666); s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
pids+=($!)
wait_for "$t/relay.sock"
ck() { "$bin/chipkey" --device "emu:$t/relay.sock" "$@"; }
ck info >/dev/null
ck rom-key "$t/rom.der"
ck attest-key >"$t/q.hex"
ck attest-key --pem >"$t/q.pem"
ck wrap --generation 3 "$t/dp.bin" "$t/backup.pkg"
ck unwrap "$t/backup.pkg" "$t/dp.out"
head -c 200 "$t/backup.pkg" >"$t/short.pkg"
ck unwrap "$t/short.pkg" "$t/dp.out2" 2>/dev/null || true
python3 "$top/scripts/ck_attest_oracle.py" ephemeral "$t/verifier.pem" |
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' \
	>"$t/verifier.raw"
printf 'fuzz corpus context' >"$t/ctx"
ck attest --peer "$t/verifier.raw" --context "$t/ctx" >/dev/null
ck seal --chip-key "$t/q.pem" --chip-id "$vchip" "$t/dp.bin" "$t/sealed.bin"
ck sealed-wrap "$t/sealed.bin" "$t/sw.pkg" --generation 4 --context "$t/ctx" >"$t/sw.mac"
ck mac --purpose flash-manifest "$S/store.json" >/dev/null
sleep 0.5	# the relay saves a pair after it forwarded the reply
# named by content, as libFuzzer names its inputs (each CLI call asks INFO)
for f in "$t"/rec/*.req; do
	b=$(basename "$f" .req); nr=${b#*.}
	{ printf "\\x$(printf %02x $((0x80 | nr)))"; cat "$f"; } >"$t/one"
	seed emu-request "$(sha1sum <"$t/one" | cut -c1-40)" <"$t/one"
	{ printf "\\x$(printf %02x "$nr")"; cat "${f%.req}.rep"; } >"$t/one"
	seed emu-reply "$(sha1sum <"$t/one" | cut -c1-40)" <"$t/one"
done

# ---- backup-header, seal-header
seed backup-header wrap <"$t/backup.pkg"
seed backup-header sealed-wrap <"$t/sw.pkg"
seed backup-header store <"$S/backup.pkg"
seed seal-header seal <"$t/sealed.bin"

# ---- attest-pub: hex, PEM, DER and raw forms of attestation keys
seed attest-pub q.hex <"$t/q.hex"
seed attest-pub q.pem <"$t/q.pem"
openssl pkey -pubin -in "$t/q.pem" -outform DER | seed attest-pub q.der
seed attest-pub verifier.raw <"$t/verifier.raw"
openssl pkey -in "$t/verifier.pem" -pubout | seed attest-pub verifier.pem

# ---- pubdb-record: a signed record (format 2, CMS: the record signer and
# its issuing CA), one in format 1, an unsigned one
cat "$t/fac/record-cert.pem" "$t/fac/ica-cert.pem" >"$t/record-chain.pem"
for how in signed v1 unsigned; do
	if [ $how = signed ]; then a=(--key "$t/fac/record-key.pem" --cert "$t/record-chain.pem")
	elif [ $how = v1 ]; then a=(--format 1 --key "$t/fac/record-key.pem" --cert "$t/fac/record-cert.pem")
	else a=(--unsigned); fi
	"$bin/chipkey-pubdb-put" --url http://127.0.0.1:1 "${a[@]}" --chip "$chip" \
		--generation 1 --identity "$identity" --backup "$S/backup.pkg" \
		--device-cert "$S/device-cert.der" --out "$t/rec.$how" --no-post >/dev/null
	seed pubdb-record "$how" <"$t/rec.$how"
done

# ---- pubdb-route: the paths of docs/pubdb-api.md
for u in "/v1/chips/$chip" "/v1/chips/$chip/backup" "/v1/chips/$chip/record" \
	"/v1/chips/$chip/generations" "/v1/chips/$chip/generations/2/backup"; do
	printf '%s' "$u" | seed pubdb-route "$(printf '%s' "$u" | cksum | cut -d' ' -f1)"
done

# ---- recovery-http: the heads of chipkey-pubdb's answers (found, not found, bad)
"$bin/chipkey-pubdb" --db "$pdb" --listen 127.0.0.1:0 --writers "$t/fac/mfr-ca.pem" \
	--port-file "$t/pubdb.port" 2>>"$t/pubdb.log" &
pids+=($!)
wait_for "$t/pubdb.port"
for u in "/v1/chips/$chip/backup" "/v1/chips/$chip/record" "/v1/chips/$chip" \
	"/v1/chips/00000000000000000000000000000000/backup" "/v1/chips/zz/backup"; do
	curl -s -i --http1.0 "http://127.0.0.1:$(cat "$t/pubdb.port")$u" | head -c 1024 >"$t/one" || true
	seed recovery-http "$(sha1sum <"$t/one" | cut -c1-40)" <"$t/one"
done

# ---- recovery-source: what chipkey-pubdb answers to the recovery loop
# (list of generations, record), behind two status bytes and the list's
# length (fuzz/recovery-source.c); byte 1 bit 7: this chip is the record's
base="http://127.0.0.1:$(cat "$t/pubdb.port")/v1/chips/$chip"
curl -s "$base/generations" >"$t/gens.json"
curl -s "$base/record" >"$t/record.bin"
for st in 0080 0000 0280; do
	{ printf "\\x${st:0:2}\\x${st:2:2}"
	  python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack(">H", int(sys.argv[1])))' \
		"$(wc -c <"$t/gens.json")"
	  cat "$t/gens.json" "$t/record.bin"; } | seed recovery-source "answers-$st"
done

# ---- client-hello: the first bytes of a connection to the SPP (cut in two
# where byte 0 says, fuzz/client-hello.c): a TLS 1.3 ClientHello as
# Python's ssl writes it, and an HTTP request
python3 - "$out/client-hello" <<'PY'
import os, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inb, outb, server_side=False)
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outb.read()
os.makedirs(sys.argv[1], exist_ok=True)
for name, data in (("hello-whole", b"\0" + hello), ("hello-cut5", b"\5" + hello),
                   ("hello-cut100", b"\x64" + hello),
                   ("http", b"\3GET / HTTP/1.0\r\n\r\n")):
    open(os.path.join(sys.argv[1], name), "wb").write(data)
PY

# ---- sealed-key: the blobs of docs/test-vectors/sealed-key-v1.txt (made by
# the independent oracle; only the kernel makes them, the emulator cannot)
python3 - "$top/docs/test-vectors/sealed-key-v1.txt" "$out/sealed-key" <<'PY'
import os, sys
os.makedirs(sys.argv[2], exist_ok=True)
n = 0
for line in open(sys.argv[1]):
    if line.startswith("blob = "):
        n += 1
        open(os.path.join(sys.argv[2], "vector-%d" % n), "wb").write(bytes.fromhex(line[7:].strip()))
PY

openssl x509 -in "$t/fac/ica-cert.pem" -outform DER -out "$t/ica.der"
# ---- spp-frame: each message, framed (u32 length, u16 type, u16 version 2;
# docs/provisioning-protocol.md): HELLO of the provisioned chip (its Q),
# OFFER with its device certificate, the issuing CA and the package sealed to the vector
# chip above, BACKUP with what that chip's SEALED_WRAP answered (backup, MAC)
python3 - "$out/spp-frame" "$chip" "$t/fac/mfr-pubkey.der" "$t/sealed.bin" "$S/backup.pkg" \
	"$S/device-cert.der" "$identity" "$(cat "$t/dev-q.hex")" "$t/sw.pkg" "$(cat "$t/sw.mac")" \
	"$t/ica.der" <<'PY'
import hashlib, os, struct, sys
d, chip, rom, sealed, bk, cert, ident, q, swpkg, swmac, ica = sys.argv[1:12]
rd = lambda p: open(p, "rb").read()
chip = bytes.fromhex(chip); ident = ident.encode()
q = bytes.fromhex(q.strip()); swmac = bytes.fromhex(swmac.strip())
assert len(q) == 65 and len(swmac) == 32
def frame(t, body): return struct.pack(">IHH", len(body), t, 2) + body
hello = frame(1, chip + hashlib.sha256(rd(rom)).digest() + q + b"\0" * 4)
offer = frame(2, b"\x11" * 32 + struct.pack(">I", len(rd(cert))) + rd(cert)
              + struct.pack(">I", len(rd(ica))) + rd(ica)
              + struct.pack(">I", len(rd(sealed))) + rd(sealed))
backup = frame(3, struct.pack(">I", len(rd(swpkg))) + rd(swpkg) + swmac)
done = frame(4, ident + struct.pack(">Q", 1))
already = frame(5, ident + struct.pack(">Q", 1) + struct.pack(">I", len(rd(bk))) + rd(bk)
                + struct.pack(">I", len(rd(cert))) + rd(cert))
error = frame(0xff, struct.pack(">HH", 1, 9) + b"malformed")
os.makedirs(d, exist_ok=True)
for name, b in [("hello", hello), ("offer", offer), ("backup", backup), ("done", done),
                ("already", already), ("error", error), ("session", hello + offer + backup + done)]:
    open(os.path.join(d, name), "wb").write(b)
PY

# ---- software licences (docs/software-update.md): u16 BE length + ROM key
# + a licence chipkey-factory signed, for each audience; the bare content
"$bin/chipkey-factory" licence-cred "$t/fac" >/dev/null
head -c 1000 /dev/urandom >"$t/sw.img"
mkdir -p "$out/licence"
for a in "--class sensor-v2" "--identity 350000000000006,350000000000014" \
	"--chip-id 00112233445566778899aabbccddeeff"; do
	n=$(echo "$a" | sed "s/^--\([a-z]*\).*/\1/")
	# shellcheck disable=SC2086 # $a is two words
	"$bin/chipkey-factory" licence "$t/fac" --image "$t/sw.img" --sequence 7 $a \
		--not-after "$(date -u -d "+1 year" +%Y-%m-%dT%H:%M:%SZ)" --out "$t/lic-$n"
	python3 -c 'import struct, sys; r = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(struct.pack(">H", len(r)) + r)' \
		"$t/fac/mfr-pubkey.der" >"$out/licence/$n"
	cat "$t/lic-$n" >>"$out/licence/$n"
done
openssl cms -verify -inform DER -in "$t/lic-identity" -binary -noverify -out "$t/lic-content" 2>/dev/null
{ printf '\0\0'; cat "$t/lic-content"; } | seed licence content

du -sb "$out" | awk '{ printf "make-corpus.sh: %d bytes in ", $1 }'
find "$out" -type f | wc -l | awk '{ print $1 " files" }'
