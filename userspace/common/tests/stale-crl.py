#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# stale-crl.py KEY.pem CA.pem OUT.pem: an empty X.509 v2 CRL of the CA,
# signed with KEY, whose nextUpdate passed 10 days ago (lastUpdate 40 days
# ago): what a verifier given --crl must refuse to trust (fail closed).
# Made with python3-cryptography (Debian's), independently of the code
# under test.
import datetime as dt
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

key_path, ca_path, out = sys.argv[1:4]
key = serialization.load_pem_private_key(open(key_path, "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(ca_path, "rb").read())
now = dt.datetime.utcnow()
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
       .last_update(now - dt.timedelta(days=40)).next_update(now - dt.timedelta(days=10))
       .sign(key, hashes.SHA256()))
open(out, "wb").write(crl.public_bytes(serialization.Encoding.PEM))
