#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side helper of the arm64 devicetree test.

An implementation of the backup package (docs/backup-package.md) and of the
fuse image (include/chipkey/fuse_image.h) that shares no code with chipkey:
it uses only python3-cryptography (Debian package).

  ckpkg.py fuse OUT ROMKEY_DER            write a fuse image (random ID/key)
  ckpkg.py wrap FUSE PLAIN GEN OUT [ID]   make a backup package for the chip
                                          in FUSE (or claim chip ID hex ID)
  ckpkg.py unwrap FUSE PKG_HEX GEN PLAIN  check a package made by the chip:
                                          exit 0 only if it authenticates
                                          and holds PLAIN and generation GEN
"""
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FUSE_SIZE = 512
LABEL = b"chipkey v1 backup wrap"
HDR = struct.Struct(">8sHHI16sQ16s12sI")  # 72 bytes, big endian
assert HDR.size == 72


def read_fuse(path):
    with open(path, "rb") as f:
        img = f.read()
    if len(img) != FUSE_SIZE or img[:8] != b"CKFUSE01":
        sys.exit("ckpkg: %s is not a fuse image" % path)
    return img[8:24], img[24:56]


def aead_key(chip_key, salt, chip_id):
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
               info=LABEL + chip_id)
    return kdf.derive(chip_key)


def cmd_fuse(out, der_path):
    with open(der_path, "rb") as f:
        der = f.read()
    if len(der) > 448:
        sys.exit("ckpkg: ROM key larger than 448 bytes")
    img = (b"CKFUSE01" + os.urandom(16) + os.urandom(32) + bytes(8) +
           der + bytes(448 - len(der)))
    assert len(img) == FUSE_SIZE
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(img)


def cmd_wrap(fuse, plain_path, gen, out, claim_id=None):
    chip_id, chip_key = read_fuse(fuse)
    if claim_id is not None:
        chip_id = bytes.fromhex(claim_id)
    with open(plain_path, "rb") as f:
        plain = f.read()
    salt, nonce = os.urandom(16), os.urandom(12)
    hdr = HDR.pack(b"CKBACKUP", 1, 1, 0, chip_id, int(gen), salt, nonce,
                   len(plain))
    ct = AESGCM(aead_key(chip_key, salt, chip_id)).encrypt(nonce, plain, hdr)
    with open(out, "wb") as f:
        f.write(hdr + ct)


def cmd_unwrap(fuse, pkg_hex, gen, plain_path):
    chip_id, chip_key = read_fuse(fuse)
    pkg = bytes.fromhex(pkg_hex)
    with open(plain_path, "rb") as f:
        plain = f.read()
    if len(pkg) < 88:
        sys.exit("ckpkg: package too short")
    magic, ver, alg, flags, pid, pgen, salt, nonce, n = HDR.unpack(pkg[:72])
    problems = []
    if (magic, ver, alg, flags) != (b"CKBACKUP", 1, 1, 0):
        problems.append("bad magic/version/algorithm/flags")
    if pid != chip_id:
        problems.append("chip ID %s, expected %s" % (pid.hex(), chip_id.hex()))
    if pgen != int(gen):
        problems.append("generation %d, expected %s" % (pgen, gen))
    if n + 88 != len(pkg):
        problems.append("payload length %d does not match size %d" %
                        (n, len(pkg)))
    try:
        got = AESGCM(aead_key(chip_key, salt, chip_id)).decrypt(
            nonce, pkg[72:], pkg[:72])
        if got != plain:
            problems.append("decrypted payload differs")
    except InvalidTag:
        problems.append("GCM tag does not verify")
    for p in problems:
        print("ckpkg: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


def main(argv):
    cmds = {"fuse": (cmd_fuse, 2, 2), "wrap": (cmd_wrap, 4, 5),
            "unwrap": (cmd_unwrap, 4, 4)}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.exit(__doc__)
    fn, lo, hi = cmds[argv[1]]
    if not lo <= len(argv) - 2 <= hi:
        sys.exit(__doc__)
    fn(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
