#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# A forged EST node for the device-side tests (device.sh): TLS with the
# given credential, cacerts and simpleenroll answered from files (base64
# certs-only PKCS#7 made by openssl crl2pkcs7), a challenge with a random
# nonce and the given verifier point.  Logs each request path to stderr.
#   fake-est.py CERT KEY PORTFILE CACERTS.b64 ANSWER PEER.hex
# ANSWER is a file (base64 certs-only), or sign:CAKEY:CACERT:IDENTITY:CHIP
# to issue, for the request's own key, a certificate naming IDENTITY and
# CHIP signed by that (rogue) CA (python3-cryptography of Debian), or
# "die": the node is killed (SIGKILL) once it has read an enrollment
# request (simpleenroll, simplereenroll, serverkeygen), before any answer;
# or keygen:ENV:CERTS to answer serverkeygen with the multipart of the
# node (docs/enrollment.md), ENV the EnvelopedData (DER) and CERTS the
# certs-only (base64) given.
import base64, datetime, http.server, os, signal, ssl, subprocess, sys

cert, key, portfile, cacerts, answer, peer = sys.argv[1:7]

def issue(b64csr):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID
    _, cakey, cacert, ident, chip = answer.split(":")
    csr = x509.load_der_x509_csr(base64.b64decode(b64csr))
    ca = x509.load_pem_x509_certificate(open(cacert, "rb").read())
    key = serialization.load_pem_private_key(open(cakey, "rb").read(), None)
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ident),
                                     x509.NameAttribute(NameOID.SERIAL_NUMBER, ident)]))
            .issuer_name(ca.subject).public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier("urn:chipkey:chip-id:" + chip)]), False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    der = subprocess.run(["openssl", "crl2pkcs7", "-nocrl", "-certfile", "/dev/stdin",
                          "-outform", "DER"], input=pem, capture_output=True, check=True).stdout
    return base64.b64encode(der)

class H(http.server.BaseHTTPRequestHandler):
    def reply(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        sys.stderr.write("GET %s\n" % self.path)
        self.reply(open(cacerts, "rb").read(), "application/pkcs7-mime")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        sys.stderr.write("POST %s\n" % self.path)
        if self.path.endswith("/challenge"):
            body = "nonce %s\npeer %s\nexpires 0\n" % (os.urandom(32).hex(), open(peer).read().strip())
            self.reply(body.encode(), "text/plain")
        elif answer == "die":
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        elif answer.startswith("keygen:"):
            _, env, certs = answer.split(":")
            b = "chipkey-est-serverkeygen"
            body = ("--%s\r\nContent-Type: application/pkcs7-mime; smime-type=server-generated-key\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s\r\n"
                    "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--%s--\r\n") % (
                b, base64.b64encode(open(env, "rb").read()).decode(), b,
                open(certs).read().strip(), b)
            self.reply(body.encode(), "multipart/mixed; boundary=" + b)
        elif answer.startswith("sign:"):
            self.reply(issue(body), "application/pkcs7-mime")
        else:
            self.reply(open(answer, "rb").read(), "application/pkcs7-mime")

    def log_message(self, *a):
        pass

srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
