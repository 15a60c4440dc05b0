#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# A man in the middle of the public database, for the tests: forwards every
# request to UPSTREAM, but a request whose "METHOD PATH" matches PATTERN is
# dropped (the connection closed without an answer), answered with STATUS
# and no body, or, with "fake", answered 404 (GET) / 201 (else) as if the
# database had nothing and took everything.  Its port goes to PORT-FILE,
# one line per request (and what became of it) to LOG.
#
#   dbproxy.py UPSTREAM PATTERN PORT-FILE LOG drop|fake|STATUS
import http.server
import re
import socket
import sys
import urllib.error
import urllib.request

UP, PAT, PORTF, LOGF, MODE = sys.argv[1:6]
RX = re.compile(PAT)
LOG = open(LOGF, 'a')


class Handler(http.server.BaseHTTPRequestHandler):
    def forward(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else None
        LOG.write(f"{self.command} {self.path}\n")
        if RX.search(f"{self.command} {self.path}"):
            if MODE == 'drop':
                LOG.write("  -> dropped\n")
                LOG.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            code = (404 if self.command == 'GET' else 201) if MODE == 'fake' else int(MODE)
            LOG.write(f"  -> answered {code}\n")
            LOG.flush()
            self.send_response(code)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        req = urllib.request.Request(UP + self.path, data=body, method=self.command)
        if self.headers.get('Content-Type'):
            req.add_header('Content-Type', self.headers['Content-Type'])
        try:
            r = urllib.request.urlopen(req)
            code, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            code, data = e.code, e.read()
        LOG.write(f"  -> {code}\n")
        LOG.flush()
        self.send_response(code)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = forward

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(('127.0.0.1', 0), Handler)
with open(PORTF, 'w') as f:
    f.write(f"{srv.server_port}\n")
srv.serve_forever()
