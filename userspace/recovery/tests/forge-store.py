#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What an attacker with write access to the flash can do, and the chip
MAC's input, written from docs/flash-store.md only (no chipkey code).

  forge-store.py mac-input STORE.JSON OUT
        the canonical encoding of the manifest ("The chip MAC") into OUT
  forge-store.py write DIR CHIPHEX IDENTITY GEN BACKUP CERT MACHEX
        a complete, self-consistent store of format 3 in DIR
        (DIR/current -> store-GEN-<16 hex>, convenience links), with the
        made-up MAC MACHEX ("random": 32 random bytes)
  forge-store.py set-gen DIR GEN
        edit the current manifest's generation and rename the store
        directory (and current) to match: only the MAC is left wrong
"""
import hashlib
import json
import os
import shutil
import struct
import sys

NAMES = ["backup.pkg", "device-cert.der", "identity"]


def mac_input(m):
    out = b"chipkey-manifest" + struct.pack(">I", m["format"])
    out += bytes.fromhex(m["chip_id"]) + m["identity"].encode("ascii")
    out += struct.pack(">Q", m["generation"])
    for f, name in zip(m["files"], NAMES):
        assert f["name"] == name
        out += struct.pack(">Q", f["size"]) + bytes.fromhex(f["sha256"])
    assert len(out) == 179
    return out


def dump(m):
    return json.dumps(m, indent=2) + "\n"


def write(d, chip, identity, gen, backup, cert, machex):
    files = {"backup.pkg": open(backup, "rb").read(), "device-cert.der": open(cert, "rb").read(),
             "identity": (identity + "\n").encode()}
    m = {"format": 3, "chip_id": chip, "identity": identity, "generation": int(gen),
         "files": [{"name": n, "size": len(files[n]), "sha256": hashlib.sha256(files[n]).hexdigest()}
                   for n in NAMES],
         "mac": os.urandom(32).hex() if machex == "random" else machex}
    shutil.rmtree(d, ignore_errors=True)
    name = "store-%d-%s" % (int(gen), os.urandom(8).hex())
    os.makedirs(os.path.join(d, name))
    for n, b in files.items():
        open(os.path.join(d, name, n), "wb").write(b)
    open(os.path.join(d, name, "store.json"), "w").write(dump(m))
    os.symlink(name, os.path.join(d, "current"))
    for n in NAMES + ["store.json"]:
        os.symlink("current/" + n, os.path.join(d, n))


def set_gen(d, gen):
    cur = os.readlink(os.path.join(d, "current"))
    p = os.path.join(d, cur, "store.json")
    m = json.load(open(p))
    m["generation"] = int(gen)
    open(p, "w").write(dump(m))
    new = "store-%d-%s" % (int(gen), cur.rsplit("-", 1)[1])
    os.rename(os.path.join(d, cur), os.path.join(d, new))
    os.unlink(os.path.join(d, "current"))
    os.symlink(new, os.path.join(d, "current"))


def main(a):
    if len(a) == 3 and a[0] == "mac-input":
        open(a[2], "wb").write(mac_input(json.load(open(a[1]))))
    elif len(a) == 8 and a[0] == "write":
        write(*a[1:])
    elif len(a) == 3 and a[0] == "set-gen":
        set_gen(a[1], a[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
