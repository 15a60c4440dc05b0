#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Independent oracle of chipkey sealed keys (docs/sealed-keys.md).

Written from the specification only; it shares no code with the C
implementation and uses nothing but python3-cryptography (HKDF, AES-GCM).
The fuse image layout is read here from docs/fuse-image.md (512 bytes,
"CKFUSE01", chip ID at 8, chip key at 24).

All hex is lowercase.  Exit status: 0 ok, 1 refused (a message on stderr),
2 usage.

  unseal FUSE BLOB          print the key sealed in BLOB (hex); refuse a
                            blob of another chip, a malformed or tampered one
  seal FUSE KEYHEX OUT      seal KEYHEX (16..64 bytes) to the chip of FUSE
                            (random salt and nonce) into OUT
  dm-crypt-check KEYHEX IMG PLAIN
                            IMG starts with PLAIN (a multiple of 512 bytes)
                            encrypted as dm-crypt aes-xts-plain64 does with
                            KEYHEX (sector number = XTS tweak, little endian)
  vectors FUSE OUTFILE      deterministic test vectors for the chip of FUSE
                            (docs/test-vectors/sealed-key-v1.txt)
"""
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"CKSEALKY"
LABEL = b"chipkey v1 sealed logon key"
# magic, version, algorithm, flags, chip ID, salt, nonce, key length
HEADER = struct.Struct(">8sHHI16s16s12sI")
assert HEADER.size == 64
TAG_LEN = 16
MIN_KEY, MAX_KEY = 16, 64


class Refused(Exception):
    pass


def read_fuse(path):
    with open(path, "rb") as f:
        img = f.read()
    if len(img) != 512 or img[:8] != b"CKFUSE01":
        raise Refused("%s is not a fuse image" % path)
    return img[8:24], img[24:56]


def aead_key(chip_key, chip_id, salt):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=LABEL + chip_id).derive(chip_key)


def seal(chip_id, chip_key, key, salt, nonce):
    if not MIN_KEY <= len(key) <= MAX_KEY:
        raise Refused("key length %d not in %d..%d" % (len(key), MIN_KEY, MAX_KEY))
    hdr = HEADER.pack(MAGIC, 1, 1, 0, chip_id, salt, nonce, len(key))
    return hdr + AESGCM(aead_key(chip_key, chip_id, salt)).encrypt(nonce, key, hdr)


def unseal(chip_id, chip_key, blob):
    if len(blob) < HEADER.size + MIN_KEY + TAG_LEN:
        raise Refused("blob too short (%d bytes)" % len(blob))
    magic, ver, alg, flags, cid, salt, nonce, n = HEADER.unpack(blob[:HEADER.size])
    if magic != MAGIC or ver != 1 or alg != 1 or flags != 0:
        raise Refused("not a version 1 sealed key")
    if not MIN_KEY <= n <= MAX_KEY or len(blob) != HEADER.size + n + TAG_LEN:
        raise Refused("key length %d does not match the blob" % n)
    if cid != chip_id:
        raise Refused("sealed to chip %s, not %s" % (cid.hex(), chip_id.hex()))
    try:
        return AESGCM(aead_key(chip_key, chip_id, salt)).decrypt(
            nonce, blob[HEADER.size:], blob[:HEADER.size])
    except InvalidTag:
        raise Refused("authentication failed: tampered blob") from None


def det(label, n):
    """n deterministic bytes from a label (the vectors' fixed inputs)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"ck sealed-key vector %s %d" % (label.encode(), i)).digest()
        i += 1
    return out[:n]


def cmd_vectors(fuse, outfile):
    chip_id, chip_key = read_fuse(fuse)
    lines = ["# chipkey sealed key test vectors, format version 1",
             "# made by scripts/ck_sealed_key_oracle.py (python3-cryptography);",
             "# chip: docs/test-vectors/fuse-vectors.bin", ""]
    for n in (16, 32, 33, 64):
        name = "key-%d" % n
        key, salt, nonce = det(name + " key", n), det(name + " salt", 16), det(name + " nonce", 12)
        blob = seal(chip_id, chip_key, key, salt, nonce)
        assert unseal(chip_id, chip_key, blob) == key
        lines += ["name = %s" % name, "chip_key = %s" % chip_key.hex(),
                  "chip_id = %s" % chip_id.hex(), "salt = %s" % salt.hex(),
                  "nonce = %s" % nonce.hex(),
                  "derived_key = %s" % aead_key(chip_key, chip_id, salt).hex(),
                  "key = %s" % key.hex(), "blob = %s" % blob.hex(), ""]
    with open(outfile, "w") as f:
        f.write("\n".join(lines))


def cmd_dm_crypt_check(keyhex, img, plain):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    key = bytes.fromhex(keyhex)
    with open(plain, "rb") as f:
        want = f.read()
    with open(img, "rb") as f:
        data = f.read(len(want))
    if len(want) % 512 or len(data) != len(want):
        raise Refused("PLAIN must be whole sectors, IMG at least as long")
    got = b""
    for sector in range(len(data) // 512):
        tweak = sector.to_bytes(16, "little")
        dec = Cipher(algorithms.AES(key), modes.XTS(tweak)).decryptor()
        got += dec.update(data[sector * 512:(sector + 1) * 512]) + dec.finalize()
    if got != want:
        raise Refused("IMG does not decrypt to PLAIN with this key")


def main(argv):
    try:
        if len(argv) == 3 and argv[0] == "unseal":
            chip_id, chip_key = read_fuse(argv[1])
            with open(argv[2], "rb") as f:
                print(unseal(chip_id, chip_key, f.read()).hex())
        elif len(argv) == 4 and argv[0] == "seal":
            import os
            chip_id, chip_key = read_fuse(argv[1])
            blob = seal(chip_id, chip_key, bytes.fromhex(argv[2]),
                        os.urandom(16), os.urandom(12))
            with open(argv[3], "wb") as f:
                f.write(blob)
        elif len(argv) == 4 and argv[0] == "dm-crypt-check":
            cmd_dm_crypt_check(argv[1], argv[2], argv[3])
        elif len(argv) == 3 and argv[0] == "vectors":
            cmd_vectors(argv[1], argv[2])
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Refused as e:
        print("ck_sealed_key_oracle: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
