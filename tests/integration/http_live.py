#!/usr/bin/env python3
"""http_live.py - the two ends of the live HTTP test.

  http_live.py serve ADDR PORT DIR   serve the files of DIR over HTTP/1.1
                                     keep-alive: /plain/NAME with
                                     Content-Length, /chunked/NAME with
                                     chunked transfer coding (uneven chunks),
                                     /gzip/NAME gzip-encoded; POST /upload
                                     answers the SHA-256 of the body
  http_live.py fetch URL_BASE DIR    fetch every file of DIR in all three
                                     ways on one connection, upload one,
                                     check every byte; prints what it did
"""
import gzip
import hashlib
import http.client
import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        kind, _, name = self.path.strip("/").partition("/")
        path = os.path.join(self.server.dir, os.path.basename(name))
        if kind not in ("plain", "chunked", "gzip") or not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if kind == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            i, step = 0, 1
            while i < len(data):
                piece = data[i:i + step]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                i += len(piece)
                step = step * 3 + 7
            self.wfile.write(b"0\r\n\r\n")
            return
        if kind == "gzip":
            data = gzip.compress(data)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reply = hashlib.sha256(body).hexdigest().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def serve(addr, port, d):
    srv = http.server.ThreadingHTTPServer((addr, int(port)), Handler)
    srv.dir = d
    print("serving", flush=True)
    srv.serve_forever()


def fetch(base, d):
    host = base.split("//")[1]
    con = http.client.HTTPConnection(host, timeout=30)
    for name in sorted(os.listdir(d)):
        want = open(os.path.join(d, name), "rb").read()
        for kind in ("plain", "chunked", "gzip"):
            con.request("GET", f"/{kind}/{name}", headers={"Accept-Encoding": "gzip"})
            r = con.getresponse()
            got = r.read()
            if kind == "gzip":
                got = gzip.decompress(got)
            if got != want:
                sys.exit(f"fetch: /{kind}/{name}: wrong bytes")
            print(kind, name, len(got))
    up = open(os.path.join(d, sorted(os.listdir(d))[-1]), "rb").read()
    con.request("POST", "/upload", body=up)
    if con.getresponse().read().decode() != hashlib.sha256(up).hexdigest():
        sys.exit("fetch: upload hash differs")
    print("upload", len(up))
    con.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:5])
    else:
        fetch(*sys.argv[2:4])
