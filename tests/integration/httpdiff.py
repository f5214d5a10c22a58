#!/usr/bin/env python3
"""httpdiff.py - compare netsift's http table with tshark's HTTP dissection.

Usage: httpdiff.py [--lossy] PCAP HEADERS_DB EXTRACT_DIR

Per TCP connection (client address and port, server address and port),
the requests tshark shows (-Y http.request: method, URI, Host) and the
responses (-Y http.response: status code, Content-Length) must equal, in
order, the rows of netsift's http table for that connection.  Then the
bodies `tshark --export-objects http` writes must all be among the files
netsift extracted (compared by SHA-256 of their content).  With --lossy
(captures with lost segments, where tshark also exports the fragments it
could not reassemble, and netsift extracts no body with a gap) it is the
other way round: every file netsift extracted must be one tshark exported.  An interim
response (100 Continue) is a response of its own for tshark and the
interim_status column of its transaction's row for netsift.  Connections
netsift parsed that tshark did not dissect as HTTP (HTTP on ports tshark
does not try) are listed but not an error.  Prints one line per
difference; exit status 0 when there is none.
"""
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile


def tshark_rows(pcap, filt, fields):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", filt, "-T", "fields", "-E", "occurrence=f"]
    for f in ["ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport"] + fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        v = line.split("\t")
        src = v[0] or v[1]
        dst = v[3] or v[4]
        yield src, int(v[2]), dst, int(v[5]), v[6:]


def main():
    args = sys.argv[1:]
    lossy = "--lossy" in args
    pcap, db, xdir = [a for a in args if a != "--lossy"][:3]
    problems = []
    ts_req, ts_resp = {}, {}
    for s, sp, d, dp, f in tshark_rows(pcap, "http.request || http.response",
                                       ["http.request", "http.request.method", "http.request.uri",
                                        "http.host", "http.response.code", "http.content_length"]):
        if f[0]:
            ts_req.setdefault((s, sp, d, dp), []).append(tuple(f[1:4]))
        else:
            ts_resp.setdefault((d, dp, s, sp), []).append(tuple(f[4:6]))

    con = sqlite3.connect(db)
    ns_req, ns_resp = {}, {}
    for row in con.execute(
            "SELECT client_ip, client_port, server_ip, server_port, method, uri, host, status, "
            "resp_content_length, req_ts IS NOT NULL, resp_ts IS NOT NULL, interim_status FROM http "
            "ORDER BY conn_ts, client_ip, client_port, depth"):
        key = tuple(row[0:4])
        if row[9]:
            ns_req.setdefault(key, []).append((row[4] or "", row[5] or "", row[6] or ""))
        if row[11] is not None:
            ns_resp.setdefault(key, []).append((str(row[11]), ""))
        if row[10]:
            ns_resp.setdefault(key, []).append(
                (str(row[7]), "" if row[8] is None else str(row[8])))

    for key in sorted(set(ts_req) | set(ts_resp)):
        for what, ts, ns in (("requests", ts_req, ns_req), ("responses", ts_resp, ns_resp)):
            a, b = ts.get(key, []), ns.get(key, [])
            if a != b:
                problems.append(f"{pcap}: {key} {what}: tshark {a} netsift {b}")
    extra = sorted((set(ns_req) | set(ns_resp)) - set(ts_req) - set(ts_resp))
    for key in extra:
        print(f"note: {pcap}: netsift parsed HTTP on {key}, tshark did not")

    ours = set()
    if os.path.isdir(xdir):
        for name in os.listdir(xdir):
            with open(os.path.join(xdir, name), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if digest != name:
                problems.append(f"{pcap}: extracted file {name} has SHA-256 {digest}")
            ours.add(digest)
    theirs = set()
    with tempfile.TemporaryDirectory() as tdir:
        subprocess.run(["tshark", "-n", "-r", pcap, "-q", "--export-objects", "http," + tdir],
                       capture_output=True, check=True)
        for name in sorted(os.listdir(tdir)):
            with open(os.path.join(tdir, name), "rb") as f:
                data = f.read()
            digest = hashlib.sha256(data).hexdigest()
            theirs.add(digest)
            if data and digest not in ours and not lossy:
                problems.append(f"{pcap}: tshark exported {name} ({len(data)} bytes, {digest[:16]}), netsift has no such file")
    if lossy:
        for digest in sorted(ours - theirs):
            problems.append(f"{pcap}: netsift extracted {digest}, tshark exported no such object")
    return report(problems)


def report(problems):
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
