#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The pairing records of a data package, read by the layout that
docs/data-package.md and docs/pairing.md document byte for byte (not by
chipkey's code): the test's independent reader.

  records.py DP count             number of records (0: no entry)
  records.py DP list              IDENTITY CHIP-ID ROLE FLAGS TIME per line
  records.py DP key IDENTITY      the link key, hex
  records.py DP cert IDENTITY     the certificate, DER, to stdout
"""
import struct
import sys

data = open(sys.argv[1], 'rb').read()
magic, version, flags, total = struct.unpack('>8sHHI', data[:16])
assert magic == b'CKDATA01' and version == 1 and total == len(data)
off, value = 16, None
while off < len(data):
    typ, fl, ln = struct.unpack('>HHI', data[off:off + 8])
    if typ == 0x0030:
        value = data[off + 8:off + 8 + ln]
    off += 8 + ln
recs = []
if value is not None:
    assert value[0] == 1 and value[1] >= 1, 'version 1, count >= 1'
    off = 2
    for _ in range(value[1]):
        ident = value[off:off + 15].decode()
        chip = value[off + 15:off + 31].hex()
        role, fl = value[off + 31], value[off + 32]
        when, = struct.unpack('>Q', value[off + 33:off + 41])
        key = value[off + 41:off + 73]
        cl, = struct.unpack('>H', value[off + 73:off + 75])
        cert = value[off + 75:off + 75 + cl]
        assert len(cert) == cl
        recs.append((ident, chip, ['listen', 'connect'][role], fl, when, key, cert))
        off += 75 + cl
    assert off == len(value), 'no trailing bytes'
what = sys.argv[2]
if what == 'count':
    print(len(recs))
elif what == 'list':
    for r in recs:
        print(r[0], r[1], r[2], r[3], r[4])
else:
    r = [r for r in recs if r[0] == sys.argv[3]]
    if not r:
        sys.exit(1)
    if what == 'key':
        print(r[0][5].hex())
    else:
        sys.stdout.buffer.write(r[0][6])
