#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# A forged EST node for the device-side tests (device.sh): TLS with the
# given credential, cacerts and simpleenroll answered from files (base64
# certs-only PKCS#7 made by openssl crl2pkcs7), a challenge with a random
# nonce and the given verifier point.  Logs each request path to stderr.
#   fake-est.py CERT KEY PORTFILE CACERTS.b64 ANSWER.b64 PEER.hex
import http.server, os, ssl, sys

cert, key, portfile, cacerts, answer, peer = sys.argv[1:7]

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
        self.rfile.read(n)
        sys.stderr.write("POST %s\n" % self.path)
        if self.path.endswith("/challenge"):
            body = "nonce %s\npeer %s\nexpires 0\n" % (os.urandom(32).hex(), open(peer).read().strip())
            self.reply(body.encode(), "text/plain")
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
