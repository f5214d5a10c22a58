#!/usr/bin/env python3
"""tcpinputs.py - fingerprint inputs the monitor reads from TCP streams
against tshark's: the first ClientHello's SNI and JA3 and the first
ServerHello's JA3S of every TLS connection, the Host of HTTP requests (of
the RFC 9110 methods the monitor reads) and the first query name of every
DNS-over-TCP connection.

tshark (an independent decoder with its own TCP reassembly, out-of-order
segments included) gives, per connection,
tls.handshake.extensions_server_name / tls.handshake.ja3 of each
ClientHello, tls.handshake.ja3s of each ServerHello, http.host of each
request and dns.qry.name of each query; netsift's flows table
(--flow-log) gives fingerprint_input ("sni\\nja4\\nja3s",
"host\\nuser-agent"), ja3 and query.
Every connection tshark has a value for must have a netsift row with the
same value, and every netsift value must be one of tshark's for that
connection (names compared lower-cased, tshark's "<Root>" as ".").

With --shuffle, every classic-pcap file whose ClientHellos (or DNS
messages) span segments is also replayed twice more: with those segments
in reverse order, and with the first of them retransmitted before the
others, each variant written next to the work files (the original order
and timestamps of the other packets kept).  netsift must read the same
values from them: that is the stream engine at work, since a collector
that only read segments in order would miss them.

Prints differences and a summary; exit status 1 on any difference, or
when no value spanning segments was checked at all.
"""
import argparse
import ipaddress
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile

FIELDS = ["ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
          "tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.ja3",
          "tls.handshake.ja3s",
          "dns.flags.response", "dns.qry.name", "http.host", "http.request.method", "tcp.segment"]
# the request methods netsift's monitor reads (src/monitor/cleartext.c): RFC 9110's
METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE"}


def ip(text):
    return str(ipaddress.ip_address(text))


def key(a, ap, b, bp):
    return tuple(sorted([(ip(a), int(ap)), (ip(b), int(bp))]))


def first(v):
    return v.split(",")[0] if v else ""


def tshark(path):
    """{connection: {"sni": set, "ja3": set, "dns": set}}, and the frame
    numbers of segments that carried a value spanning several."""
    out = subprocess.run(["tshark", "-r", path, "-n", "-o", "tcp.reassemble_out_of_order:TRUE", "-Y",
                          "tcp && (tls.handshake.type == 1 || tls.handshake.type == 2 || "
                          "(dns && dns.flags.response == 0) "
                          "|| http.request)",
                          "-T", "fields", "-E", "occurrence=a"] +
                         [x for f in FIELDS for x in ("-e", f)],
                         capture_output=True, text=True, errors="replace").stdout
    conns, split = {}, []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        src, dst = v["ip.src"] or v["ipv6.src"], v["ip.dst"] or v["ipv6.dst"]
        if not src or not dst:
            continue
        c = conns.setdefault(key(first(src), v["tcp.srcport"], first(dst), v["tcp.dstport"]),
                             {"sni": set(), "ja3": set(), "ja3s": set(), "dns": set(),
                              "http": set()})
        if "1" in v["tls.handshake.type"].split(","):
            c["sni"].add(first(v["tls.handshake.extensions_server_name"]).lower())
            c["ja3"].add(first(v["tls.handshake.ja3"]))
        if "2" in v["tls.handshake.type"].split(","):
            c["ja3s"].add(first(v["tls.handshake.ja3s"]))
        elif v["http.host"]:
            if first(v["http.request.method"]) in METHODS:
                c["http"].add(first(v["http.host"]).lower())
        elif v["dns.qry.name"]:
            name = first(v["dns.qry.name"]).lower()
            c["dns"].add("." if name == "<root>" else name)
        segs = [int(x) for x in v["tcp.segment"].split(",") if x]
        if len(segs) > 1:
            split.append(segs)
    return conns, split


def netsift(binary, path):
    """{connection: [{"sni": str, "ja3": str} or {"dns": str} or {"http": str}]} for TCP
    flows with a fingerprint."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([binary, "capture", "-q", "-r", path, "--db-path", tmp, "--no-db-write",
                        "--workers", "1", "--control", "none", "--flow-log"], capture_output=True)
        db = os.path.join(tmp, "fingerprint.sqlite")
        if not os.path.exists(db):
            return {}
        con = sqlite3.connect(db)
        rows = con.execute("SELECT src_ip, src_port, dst_ip, dst_port, fingerprint_input, ja3, "
                           "query, protocol FROM flows WHERE ip_proto = 6 AND "
                           "fingerprint IS NOT NULL").fetchall()
        con.close()
    got = {}
    for a, ap, b, bp, inp, ja3, query, proto in rows:
        k = key(a, ap, b, bp)
        if ja3:
            parts = inp.split("\n")
            got.setdefault(k, []).append({"sni": parts[0], "ja3": ja3})
            if len(parts) == 3 and parts[2]:
                got[k][-1]["ja3s"] = parts[2]
        elif ap == 53 or bp == 53:
            got.setdefault(k, []).append({"dns": query or ""})
        elif len(inp.split("\n")) == 2 and not inp.startswith("SSH-"):
            got.setdefault(k, []).append({"http": inp.split("\n")[0]})
    return got


def compare(name, want, got):
    """(checked, bad) for one file's run."""
    checked = bad = 0
    for k, w in want.items():
        rows = got.get(k, [])
        for field in ("sni", "ja3", "ja3s", "dns", "http"):
            if not w[field]:
                continue
            ours = [r[field] for r in rows if field in r]
            checked += 1
            if not ours:
                bad += 1
                print(f"MISSING: {name}: {k}: {field}: tshark {sorted(w[field])}, netsift none")
            for o in ours:
                if o not in w[field]:
                    bad += 1
                    print(f"DIFF: {name}: {k}: {field} netsift {o!r}, tshark {sorted(w[field])}")
    return checked, bad


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        return None
    head, recs, off = data[:24], [], 24
    while off + 16 <= len(data):
        ts, tf, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        recs.append((data[off:off + 8], data[off + 8:off + 16 + incl]))
        off += 16 + incl
    return head, recs


def write_pcap(path, head, recs):
    with open(path, "wb") as f:
        f.write(head)
        for ts, rest in recs:
            f.write(ts + rest)


def variants(path, split, work):
    """Paths of the reversed and retransmitted copies of a classic pcap."""
    pc = read_pcap(path)
    if not pc or not split:
        return []
    head, recs = pc
    rev, dup = list(recs), []
    for segs in split:  # frame numbers from 1: each run's bodies reversed in place
        idx = [s - 1 for s in segs if s - 1 < len(recs)]
        bodies = [recs[i][1] for i in idx][::-1]
        for i, body in zip(idx, bodies):
            rev[i] = (recs[i][0], body)
    extra = {segs[0] - 1 for segs in split}  # the first again, before the others
    for i, r in enumerate(recs):
        dup.append(r)
        if i in extra:
            dup.append(r)
    base = os.path.join(work, os.path.basename(path).rsplit(".", 1)[0])
    write_pcap(base + ".reversed.pcap", head, rev)
    write_pcap(base + ".retransmitted.pcap", head, dup)
    return [base + ".reversed.pcap", base + ".retransmitted.pcap"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--netsift", required=True)
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--work", default=tempfile.gettempdir())
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    checked = bad = spanning = 0
    for path in args.files:
        want, split = tshark(path)
        spanning += len(split)
        runs = [path] + (variants(path, split, args.work) if args.shuffle else [])
        for run in runs:
            c, b = compare(os.path.basename(run), want, netsift(args.netsift, run))
            checked += c
            bad += b
    print(f"{checked} values checked against tshark ({spanning} spanning segments, "
          f"{'with' if args.shuffle else 'without'} reordered copies); {bad} differ")
    return 1 if bad or not spanning else 0


if __name__ == "__main__":
    sys.exit(main())
