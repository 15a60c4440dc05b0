#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Independent oracle of chipkey attestation (docs/attestation.md).

Written from the specification only; it shares no code with the C
implementation and uses nothing but python3-cryptography (EC, HKDF, HMAC,
AES-GCM, SHA-256).  The backup package format is read with
selftests/qemu/guest/ckpkg.py, the existing independent implementation of
docs/backup-package.md.  The scalar derivation and its range rule are
written here from the standard order n of P-256; the public key is computed
twice (a plain affine double-and-add here, and the library) and the two
must agree.

All hex is lowercase.  Exit status: 0 ok, 1 mismatch or refused (a message
on stderr), 2 usage.

  scalar FUSE                   hex of the attestation scalar k (32 bytes)
  pub FUSE                      hex of Q = k*G, SEC1 uncompressed (65 bytes)
  ephemeral PRIV_OUT            write a fresh P-256 key (PEM PKCS#8, mode
                                0600), print its public point
  attest-mac QHEX CHIPIDHEX VERIFIER_PRIV CONTEXT_FILE
                                the expected ATTEST MAC (from the verifier's
                                private key and Q only)
  seal QHEX CHIPIDHEX PLAIN OUT EPH_PRIV_OUT
                                seal PLAIN to the chip, keep the ephemeral key
  sealed-wrap-check QHEX CHIPIDHEX EPH_PRIV PLAIN BACKUP CONTEXT_FILE MACHEX GEN [FUSE]
                                check a SEALED_WRAP result: the MAC (from the
                                ephemeral key and Q only), the backup header
                                (chip ID, GEN, size) and, with FUSE, that the
                                backup unwraps to PLAIN
  chip-mac FUSE PURPOSE INPUT_FILE
                                the CHIP_MAC (PURPOSE: a number, or
                                flash-manifest)
  vectors OUTFILE               deterministic test vectors
                                (docs/test-vectors/attest-v1.txt)
"""
import hashlib
import hmac
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "selftests", "qemu", "guest"))
import ckpkg  # noqa: E402  (backup package format, independent of the C)

# P-256 (SEC 2 / FIPS 186-4 D.1.2.3)
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5

FUSE_SIZE = 512
CHIP_ID_LEN = 16
POINT_LEN = 65
MAX_CONTEXT = 256
MAX_PAYLOAD = 65536
MAX_MAC_INPUT = 65536
SCALAR_TRIES = 16

LABEL_KEY = b"chipkey v1 attestation key"
LABEL_ATTEST = b"chipkey v1 attest"
LABEL_SEAL = b"chipkey v1 seal"
LABEL_SEALWRAP = b"chipkey v1 sealed wrap"
LABEL_CHIP_MAC = b"chipkey v1 chip mac"

SEAL_MAGIC = b"CKSEALED"
SEAL_HDR = struct.Struct(">8sHHI16s65s3s12sI4s")  # 120 bytes, big endian
assert SEAL_HDR.size == 120
SEAL_TAG = 16

PURPOSES = {"flash-manifest": 1}


class Refused(Exception):
    """A check failed: exit status 1."""


# ---------------------------------------------------------------- primitives

def hkdf(ikm, info):
    """HKDF-SHA256, salt = 32 zero bytes, L = 32."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(32),
                info=info).derive(ikm)


def hmac256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def in_range(v):
    """The rule of the attestation scalar: 2 <= v <= n - 3."""
    return 2 <= v <= N - 3


def scalar_ok(k):
    """Both readings of the 32 bytes (big and little endian) in range."""
    assert len(k) == 32
    return (in_range(int.from_bytes(k, "big")) and
            in_range(int.from_bytes(k, "little")))


def scalar_tries(chip_key, chip_id):
    """[(i, k_i, ok)] up to and including the first accepted try."""
    out = []
    for i in range(1, SCALAR_TRIES + 1):
        k = hkdf(chip_key, LABEL_KEY + chip_id + bytes([i]))
        out.append((i, k, scalar_ok(k)))
        if out[-1][2]:
            return out
    raise Refused("no attestation scalar in %d tries: chip unusable" %
                  SCALAR_TRIES)


# Plain affine arithmetic on P-256, only to cross-check the library.
def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, P - 2, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, P - 2, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def _mul(k, pt):
    acc = None
    while k:
        if k & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        k >>= 1
    return acc


def encode_point(x, y):
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def pub_of_scalar(k):
    """Q = k*G, computed by hand and by the library; they must agree."""
    d = int.from_bytes(k, "big")
    x, y = _mul(d, (GX, GY))
    mine = encode_point(x, y)
    lib = pub_bytes(ec.derive_private_key(d, ec.SECP256R1()).public_key())
    if mine != lib:
        raise Refused("internal: hand-computed Q differs from the library's")
    return mine


def pub_bytes(pub):
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def load_point(b):
    """A SEC1 uncompressed point, checked to be on the curve."""
    if len(b) != POINT_LEN or b[0] != 4:
        raise Refused("not a 65-byte uncompressed point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b)
    except ValueError as e:
        raise Refused("point not on P-256: %s" % e)


def ecdh_x(priv, point_bytes):
    """Z = x coordinate of priv * point (32 bytes, big endian)."""
    z = priv.exchange(ec.ECDH(), load_point(point_bytes))
    # cross-check with the hand arithmetic
    x, y = (int.from_bytes(point_bytes[1:33], "big"),
            int.from_bytes(point_bytes[33:], "big"))
    d = priv.private_numbers().private_value
    if _mul(d, (x, y))[0].to_bytes(32, "big") != z:
        raise Refused("internal: hand-computed ECDH differs from the library's")
    return z


def priv_of_int(d):
    return ec.derive_private_key(d, ec.SECP256R1())


# ------------------------------------------------------------- derivations

def attest_key(z, chip_id, q, v):
    return hkdf(z, LABEL_ATTEST + chip_id + q + v)


def seal_key(z, chip_id, e, q):
    return hkdf(z, LABEL_SEAL + chip_id + e + q)


def sealwrap_key(z, chip_id, e, q):
    return hkdf(z, LABEL_SEALWRAP + chip_id + e + q)


def chip_mac_key(chip_key, chip_id, purpose):
    return hkdf(chip_key, LABEL_CHIP_MAC + struct.pack(">I", purpose) + chip_id)


def attest_mac(verifier_priv, q, chip_id, context):
    if len(context) > MAX_CONTEXT:
        raise Refused("context longer than %d bytes" % MAX_CONTEXT)
    v = pub_bytes(verifier_priv.public_key())
    z = ecdh_x(verifier_priv, q)
    return hmac256(attest_key(z, chip_id, q, v), context)


def seal(q, chip_id, plain, eph_priv, nonce):
    """Return (sealed package, Z, K)."""
    if len(plain) > MAX_PAYLOAD:
        raise Refused("payload larger than %d bytes" % MAX_PAYLOAD)
    e = pub_bytes(eph_priv.public_key())
    z = ecdh_x(eph_priv, q)
    key = seal_key(z, chip_id, e, q)
    hdr = SEAL_HDR.pack(SEAL_MAGIC, 1, 1, 0, chip_id, e, bytes(3), nonce,
                        len(plain), bytes(4))
    pkg = hdr + AESGCM(key).encrypt(nonce, plain, hdr)
    assert len(pkg) == len(plain) + 136
    return pkg, z, key


def seal_open(k_int, chip_id, pkg):
    """The chip's side, for the self-check of the vectors."""
    hdr = pkg[:120]
    magic, ver, alg, flags, cid, e, r1, nonce, n, r2 = SEAL_HDR.unpack(hdr)
    assert (magic, ver, alg, flags, cid, r1, r2) == \
        (SEAL_MAGIC, 1, 1, 0, chip_id, bytes(3), bytes(4))
    assert n + 136 == len(pkg)
    z = ecdh_x(priv_of_int(k_int), e)
    q = pub_bytes(priv_of_int(k_int).public_key())
    return AESGCM(seal_key(z, chip_id, e, q)).decrypt(nonce, pkg[120:], hdr)


def sealwrap_mac(z, chip_id, e, q, backup, plain, context):
    key = sealwrap_key(z, chip_id, e, q)
    msg = (hashlib.sha256(backup).digest() + hashlib.sha256(plain).digest() +
           context)
    return hmac256(key, msg), key


def backup_wrap(chip_key, chip_id, gen, salt, nonce, plain):
    """A backup package with a fixed salt/nonce (format of ckpkg.py)."""
    hdr = ckpkg.HDR.pack(b"CKBACKUP", 1, 1, 0, chip_id, gen, salt, nonce,
                         len(plain))
    return hdr + AESGCM(ckpkg.aead_key(chip_key, salt, chip_id)).encrypt(
        nonce, plain, hdr)


# ------------------------------------------------------------------ inputs

def read(path):
    with open(path, "rb") as f:
        return f.read()


def read_fuse(path):
    img = read(path)
    if len(img) != FUSE_SIZE or img[:8] != b"CKFUSE01":
        raise Refused("%s is not a fuse image" % path)
    return img[8:24], img[24:56]  # chip ID, chip key


def hexarg(s, n, what):
    try:
        b = bytes.fromhex(s.strip())
    except ValueError:
        raise Usage("%s: not hex" % what)
    if n is not None and len(b) != n:
        raise Usage("%s: %d bytes, want %d" % (what, len(b), n))
    return b


def load_priv(path):
    key = serialization.load_pem_private_key(read(path), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or \
            key.curve.name != "secp256r1":
        raise Refused("%s: not a P-256 private key" % path)
    return key


def write_priv(path, key):
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


class Usage(Exception):
    """Bad arguments: exit status 2."""


# ---------------------------------------------------------------- commands

def chip_scalar(fuse):
    chip_id, chip_key = read_fuse(fuse)
    return scalar_tries(chip_key, chip_id)[-1][1]


def cmd_scalar(fuse):
    print(chip_scalar(fuse).hex())


def cmd_pub(fuse):
    print(pub_of_scalar(chip_scalar(fuse)).hex())


def cmd_ephemeral(priv_out):
    key = ec.generate_private_key(ec.SECP256R1())
    write_priv(priv_out, key)
    print(pub_bytes(key.public_key()).hex())


def cmd_attest_mac(qhex, idhex, verifier_priv, context_file):
    q = hexarg(qhex, POINT_LEN, "Q")
    chip_id = hexarg(idhex, CHIP_ID_LEN, "chip ID")
    print(attest_mac(load_priv(verifier_priv), q, chip_id,
                     read(context_file)).hex())


def cmd_seal(qhex, idhex, plain, out, eph_priv_out):
    q = hexarg(qhex, POINT_LEN, "Q")
    chip_id = hexarg(idhex, CHIP_ID_LEN, "chip ID")
    eph = ec.generate_private_key(ec.SECP256R1())
    pkg, _, _ = seal(q, chip_id, read(plain), eph, os.urandom(12))
    write_priv(eph_priv_out, eph)
    write(out, pkg)


def cmd_sealed_wrap_check(qhex, idhex, eph_priv, plain_file, backup_file,
                          context_file, machex, gen, fuse=None):
    q = hexarg(qhex, POINT_LEN, "Q")
    chip_id = hexarg(idhex, CHIP_ID_LEN, "chip ID")
    mac = hexarg(machex, 32, "MAC")
    try:
        gen = int(gen, 0)
    except ValueError:
        raise Usage("GEN: not a number")
    eph = load_priv(eph_priv)
    plain, backup, context = (read(plain_file), read(backup_file),
                              read(context_file))
    problems = []
    e = pub_bytes(eph.public_key())
    z = ecdh_x(eph, q)
    want, _ = sealwrap_mac(z, chip_id, e, q, backup, plain, context)
    if not hmac.compare_digest(want, mac):
        problems.append("sealed-wrap MAC does not verify (want %s)" %
                        want.hex())
    if len(backup) < 88:
        problems.append("backup package too short (%d bytes)" % len(backup))
    else:
        magic, ver, alg, flags, pid, pgen, salt, nonce, n = \
            ckpkg.HDR.unpack(backup[:72])
        if (magic, ver, alg, flags) != (b"CKBACKUP", 1, 1, 0):
            problems.append("backup: bad magic/version/algorithm/flags")
        if pid != chip_id:
            problems.append("backup names chip %s, want %s" %
                            (pid.hex(), chip_id.hex()))
        if pgen != gen:
            problems.append("backup generation %d, want %d" % (pgen, gen))
        if n != len(plain) or n + 88 != len(backup):
            problems.append("backup payload length %d, size %d, plaintext %d"
                            % (n, len(backup), len(plain)))
        if fuse is not None:
            fid, fkey = read_fuse(fuse)
            if fid != chip_id:
                problems.append("FUSE is chip %s, want %s" %
                                (fid.hex(), chip_id.hex()))
            fq = pub_of_scalar(scalar_tries(fkey, fid)[-1][1])
            if fq != q:
                problems.append("Q is not the attestation key of FUSE")
            try:
                got = AESGCM(ckpkg.aead_key(fkey, salt, fid)).decrypt(
                    nonce, backup[72:], backup[:72])
                if got != plain:
                    problems.append("backup unwraps to other bytes")
            except InvalidTag:
                problems.append("backup does not unwrap (GCM tag)")
    if problems:
        raise Refused("; ".join(problems))


def cmd_chip_mac(fuse, purpose, input_file):
    if purpose in PURPOSES:
        purpose = PURPOSES[purpose]
    else:
        try:
            purpose = int(purpose, 0)
        except ValueError:
            raise Usage("PURPOSE: a number or one of %s" %
                        ", ".join(PURPOSES))
    if not 0 <= purpose <= 0xFFFFFFFF:
        raise Usage("PURPOSE: out of range")
    chip_id, chip_key = read_fuse(fuse)
    data = read(input_file)
    if len(data) > MAX_MAC_INPUT:
        raise Refused("input longer than %d bytes" % MAX_MAC_INPUT)
    print(hmac256(chip_mac_key(chip_key, chip_id, purpose), data).hex())


# ----------------------------------------------------------------- vectors

def det(label, n):
    """n deterministic bytes from a label (SHA-256 in counter mode)."""
    out = b""
    ctr = 0
    while len(out) < n:
        out += hashlib.sha256(b"chipkey attest vectors|%s|%d" %
                              (label, ctr)).digest()
        ctr += 1
    return out[:n]


def det_priv(label):
    d = int.from_bytes(det(label, 32), "big") % (N - 1) + 1
    return priv_of_int(d)


def range_cases():
    """(name, 32 bytes, accepted?) for the range rule."""
    be = lambda v: v.to_bytes(32, "big")  # noqa: E731
    le_big = bytes([1]) + bytes(23) + b"\xff" * 8  # BE fine, LE > n - 3
    cases = [
        ("zero", be(0), False),
        ("one", be(1), False),
        ("two", be(2), True),
        ("n_minus_3", be(N - 3), True),
        ("n_minus_2", be(N - 2), False),
        ("n_minus_1", be(N - 1), False),
        ("n", be(N), False),
        ("all_ff", be(2 ** 256 - 1), False),
        ("le_too_big", le_big, False),
        ("le_one", be(1)[::-1], False),        # BE 2^248, LE 1
        ("le_two", be(2)[::-1], True),         # BE 2*2^248, LE 2
        ("le_n_minus_3", be(N - 3)[::-1], True),
        ("le_n_minus_2", be(N - 2)[::-1], False),
    ]
    for name, b, want in cases:
        if scalar_ok(b) != want:
            raise Refused("internal: range rule wrong on %s" % name)
    return cases


def cmd_vectors(outfile):
    fuse_path = os.path.join(HERE, "..", "docs", "test-vectors",
                             "fuse-vectors.bin")
    chip_id, chip_key = read_fuse(fuse_path)
    tries = scalar_tries(chip_key, chip_id)
    k = tries[-1][1]
    k_int = int.from_bytes(k, "big")
    q = pub_of_scalar(k)
    chip_priv = priv_of_int(k_int)

    lines = [
        "# chipkey attestation v1 test vectors (docs/attestation.md)",
        "# Generated by scripts/ck_attest_oracle.py vectors (Python",
        "# cryptography); all inputs from fixed labels, so re-running it",
        "# reproduces this file byte for byte.  Blocks of 'key = value' lines",
        "# separated by blank lines; values are lowercase hex (an empty value",
        "# is zero bytes) except 'name' (text) and 'scalar_index',",
        "# 'generation', 'purpose' (decimal).  The chip is",
        "# docs/test-vectors/fuse-vectors.bin.  See README.md here.",
        "",
    ]
    blk = ["name = attestation-key", "chip_key = " + chip_key.hex(),
           "chip_id = " + chip_id.hex()]
    for i, ki, ok in tries:
        blk.append("scalar_try_%d = %s" % (i, ki.hex()))
        blk.append("scalar_try_%d_ok = %d" % (i, ok))
    blk += ["scalar_index = %d" % tries[-1][0], "scalar = " + k.hex(),
            "pub = " + q.hex(), ""]
    lines += blk

    rc = ["# The range rule of the scalar: range_accept_* have both readings",
          "# (big and little endian) in [2, n-3], range_refuse_* do not.",
          "name = scalar-range"]
    for name, b, ok in range_cases():
        rc.append("range_%s_%s = %s" % ("accept" if ok else "refuse", name,
                                        b.hex()))
    lines += rc + [""]

    for size in (0, 1, 256):
        vpriv = det_priv(b"attest verifier %d" % size)
        v = pub_bytes(vpriv.public_key())
        ctx = det(b"attest context %d" % size, size)
        z = ecdh_x(vpriv, q)
        # the chip's side must see the same secret
        assert ecdh_x(chip_priv, v) == z
        key = attest_key(z, chip_id, q, v)
        mac = attest_mac(vpriv, q, chip_id, ctx)
        assert mac == hmac256(key, ctx)
        lines += ["name = attest-context-%d" % size,
                  "chip_id = " + chip_id.hex(), "pub = " + q.hex(),
                  "verifier_priv = %064x" % vpriv.private_numbers().private_value,
                  "verifier_pub = " + v.hex(), "context = " + ctx.hex(),
                  "shared_x = " + z.hex(), "derived_key = " + key.hex(),
                  "mac = " + mac.hex(), ""]

    sealed = {}
    for size in (0, 1, 300):
        epriv = det_priv(b"seal ephemeral %d" % size)
        e = pub_bytes(epriv.public_key())
        nonce = det(b"seal nonce %d" % size, 12)
        pt = det(b"seal plaintext %d" % size, size)
        pkg, z, key = seal(q, chip_id, pt, epriv, nonce)
        assert seal_open(k_int, chip_id, pkg) == pt
        sealed[size] = (epriv, e, z, pt, pkg)
        lines += ["name = seal-payload-%d" % size,
                  "chip_id = " + chip_id.hex(), "pub = " + q.hex(),
                  "eph_priv = %064x" % epriv.private_numbers().private_value,
                  "eph_pub = " + e.hex(), "nonce = " + nonce.hex(),
                  "shared_x = " + z.hex(), "derived_key = " + key.hex(),
                  "plaintext = " + pt.hex(), "sealed = " + pkg.hex(), ""]

    epriv, e, z, pt, pkg = sealed[300]
    gen = 7
    salt = det(b"sealed wrap backup salt", 16)
    nonce = det(b"sealed wrap backup nonce", 12)
    ctx = det(b"sealed wrap context", 32)
    backup = backup_wrap(chip_key, chip_id, gen, salt, nonce, pt)
    mac, key = sealwrap_mac(z, chip_id, e, q, backup, pt, ctx)
    assert ecdh_x(chip_priv, e) == z
    lines += ["name = sealed-wrap-payload-300",
              "chip_id = " + chip_id.hex(), "pub = " + q.hex(),
              "eph_priv = %064x" % epriv.private_numbers().private_value,
              "eph_pub = " + e.hex(), "sealed = " + pkg.hex(),
              "plaintext = " + pt.hex(), "generation = %d" % gen,
              "backup_salt = " + salt.hex(), "backup_nonce = " + nonce.hex(),
              "backup = " + backup.hex(), "context = " + ctx.hex(),
              "shared_x = " + z.hex(), "derived_key = " + key.hex(),
              "mac = " + mac.hex(), ""]

    for size in (0, 100):
        data = det(b"chip mac input %d" % size, size)
        key = chip_mac_key(chip_key, chip_id, 1)
        lines += ["name = chip-mac-input-%d" % size,
                  "chip_id = " + chip_id.hex(), "purpose = 1",
                  "input = " + data.hex(), "derived_key = " + key.hex(),
                  "mac = " + hmac256(key, data).hex(), ""]

    with open(outfile, "w") as f:
        f.write("\n".join(line.rstrip() for line in lines))


COMMANDS = {
    "scalar": (cmd_scalar, 1, 1),
    "pub": (cmd_pub, 1, 1),
    "ephemeral": (cmd_ephemeral, 1, 1),
    "attest-mac": (cmd_attest_mac, 4, 4),
    "seal": (cmd_seal, 5, 5),
    "sealed-wrap-check": (cmd_sealed_wrap_check, 8, 9),
    "chip-mac": (cmd_chip_mac, 3, 3),
    "vectors": (cmd_vectors, 1, 1),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    fn, lo, hi = COMMANDS[argv[1]]
    if not lo <= len(argv) - 2 <= hi:
        sys.stderr.write(__doc__)
        return 2
    try:
        fn(*argv[2:])
    except Usage as e:
        print("ck_attest_oracle: %s" % e, file=sys.stderr)
        return 2
    except (Refused, OSError, ValueError) as e:
        print("ck_attest_oracle: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
