#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""HTTP server for tests/unit/ike/test_revocation.c, run inside the test's
own network namespace: serves CRL files, and misbehaves on purpose.
  /NAME.crl  the file DIR/www_NAME.crl (Content-Length)
  /stall     reads the request, then says nothing until the client leaves
  /big       200 without Content-Length, then 16 MiB
  /biglen    200 with Content-Length: 100000000 and a little body
  other      404
Each request's path is appended to DIR/hits.log.
usage: rev_http_server.py PORT DIR"""
import os
import socketserver
import sys
import time

DIR = sys.argv[2]


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(4096).decode("latin-1")
        while self.rfile.readline(4096) not in (b"\r\n", b"\n", b""):
            pass
        parts = line.split()
        path = parts[1] if len(parts) > 1 else ""
        with open(os.path.join(DIR, "hits.log"), "a") as f:
            f.write(path + "\n")
        if path == "/stall":
            self.connection.settimeout(30)
            try:
                self.rfile.read(1)  # until the client closes, at most 30 s
            except OSError:
                pass
            return
        if path == "/big":
            self.wfile.write(b"HTTP/1.0 200 OK\r\n\r\n")
            chunk = b"x" * 65536
            try:
                for _ in range(256):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if path == "/biglen":
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 100000000\r\n\r\nxx")
            return
        name = os.path.join(DIR, "www_" + path.lstrip("/"))
        if path.endswith(".crl") and "/" not in path[1:] and os.path.isfile(name):
            body = open(name, "rb").read()
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body) + body)
            return
        self.wfile.write(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
