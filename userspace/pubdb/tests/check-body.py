#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# check-body.py BODY CHIP-HEX GENERATION IDENTITY BACKUP DEVICE-CERT-DER
# Exit 0 if BODY (the content openssl cms -verify wrote out) is the
# unsigned format-1 record of docs/pubdb-api.md with these fields: read
# here by its byte table, not by chipkey's decoder.
import struct
import sys

body, chip, gen, ident, backup, cert = sys.argv[1:7]
b = open(body, "rb").read()
want_backup = open(backup, "rb").read()
want_cert = open(cert, "rb").read()


def fail(why):
    print("# body: " + why)
    sys.exit(1)


if len(b) < 48 or b[0:4] != b"CKPR":
    fail("no CKPR head")
version, flags = struct.unpack(">HH", b[4:8])
if version != 1 or flags != 0:
    fail("version %d flags %d" % (version, flags))
if b[8:24].hex() != chip.lower():
    fail("chip " + b[8:24].hex())
if struct.unpack(">Q", b[24:32])[0] != int(gen):
    fail("generation")
if b[32] != 15 or b[33:48].decode() != ident:
    fail("identity")
off = 48
fields = []
for _ in range(3):
    (n,) = struct.unpack(">I", b[off:off + 4])
    fields.append(b[off + 4:off + 4 + n])
    off += 4 + n
(slen,) = struct.unpack(">H", b[off:off + 2])
off += 2
if fields[0] != want_backup:
    fail("backup differs")
if fields[1] != want_cert:
    fail("device certificate differs")
if fields[2] != b"" or slen != 0 or off != len(b):
    fail("not an unsigned record (writer %d, signature %d, %d bytes left)"
         % (len(fields[2]), slen, len(b) - off))
sys.exit(0)
