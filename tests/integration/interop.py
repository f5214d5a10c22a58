#!/usr/bin/env python3
"""interop.py - checks of Community ID and SQL extraction against tshark
(test_interop.sh).

  interop.py cid --netsift N PCAP...
      capture each PCAP (headers and raw store); for every frame netsift
      gives a community_id (tcp, udp, icmp4, icmp6 rows and meta rows), it
      equals tshark's `communityid` of that frame (frame = frame.number; meta
      rows alone for SCTP and port-less protocols, except tunnelled packets:
      netsift hashes the outer header, tshark the innermost);
      header and meta rows agree; every flow (unordered address/port pair
      and protocol) has exactly one value.
  interop.py sql --netsift N PCAP SQL FILTER
      `netsift extract --sql SQL` after a capture of PCAP writes exactly the
      frames `tshark -Y FILTER` selects (timestamp, length, caplen, SHA-256
      of the bytes, compared in timestamp order).
  interop.py ja4 --netsift N PCAP...
      capture each PCAP with the monitor (--flow-log); the ja4 of every flow
      whose TLS ClientHello tshark dissects equals JA4 computed here from
      tshark's fields (cipher suites, extension types, signature algorithms,
      ALPN, supported versions, SNI) as FoxIO's definition says.
Prints one line per problem and exits 1 when a check fails.
"""
import argparse
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawcheck  # noqa: E402

CID_TABLES = ("tcp", "udp", "icmp4", "icmp6")


def capture(netsift, pcap, db):
    subprocess.run([netsift, "capture", "-r", pcap, "-d", db, "--file-write", "--no-monitor",
                    "-q"], check=True, stdout=subprocess.DEVNULL)


def tshark_fields(pcap, fields, extra=()):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "--enable-protocol", "communityid",
                          *extra, "-T", "fields", "-E", "separator=\t",
                          *sum((["-e", f] for f in fields), [])],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def check_cid(netsift, pcap, problems):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "db")
        capture(netsift, pcap, db)
        h = sqlite3.connect(os.path.join(db, "headers.sqlite"))
        ours = {}
        for t in CID_TABLES:
            for frame, cid in h.execute(f"SELECT frame, community_id FROM {t}"):
                ours[frame] = cid
        m = sqlite3.connect(os.path.join(db, "pcap-meta.sqlite"))
        meta = dict(m.execute("SELECT frame, community_id FROM meta"))
    rows = tshark_fields(pcap, ["frame.number", "communityid", "ip.src", "ipv6.src", "ip.dst",
                                "ipv6.dst", "ip.proto", "ipv6.nxt", "tcp.srcport", "tcp.dstport",
                                "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport"])
    flows = defaultdict(set)
    compared = 0
    for r in rows:
        r += [""] * (14 - len(r))
        frame = int(r[0])
        theirs = r[1].split(",")[0]
        mine = ours.get(frame)
        if mine is not None and meta.get(frame) != mine:
            problems.append(f"{pcap}: frame {frame}: meta {meta.get(frame)} != header row {mine}")
        tunnel = "," in "".join(r[2:8]) or bool(r[2] and r[3])  # several IP layers
        if mine is None and not tunnel:  # SCTP and port-less protocols: meta rows only
            mine = meta.get(frame)
        if mine is None or not theirs:
            continue
        compared += 1
        if mine != theirs:
            problems.append(f"{pcap}: frame {frame}: netsift {mine}, tshark {theirs}")
        src = r[2] or r[3]
        dst = r[4] or r[5]
        proto = r[6] or r[7]
        sp, dp = (r[8], r[9]) if r[8] else (r[10], r[11]) if r[10] else (r[12], r[13])
        if tunnel:
            continue
        key = (proto,) + tuple(sorted([(src, sp), (dst, dp)]))
        flows[key].add(mine)
    for key, values in flows.items():
        if len(values) != 1:
            problems.append(f"{pcap}: flow {key}: {len(values)} values {sorted(values)}")
    return compared


def check_sql(netsift, pcap, query, display_filter, problems):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "db")
        capture(netsift, pcap, db)
        out = os.path.join(tmp, "out.pcap")
        ref = os.path.join(tmp, "ref.pcap")
        r = subprocess.run([netsift, "extract", "-d", db, "-q", "-w", out, "--sql", query],
                           capture_output=True, text=True)
        if r.returncode != 0:
            problems.append(f"{pcap}: extract --sql exit {r.returncode}: {r.stderr.strip()}")
            return 0
        subprocess.run(["tshark", "-n", "-r", pcap, "-Y", display_filter, "-F", "pcap", "-w", ref],
                       check=True, capture_output=True)
        ours = sorted(rawcheck.read_pcap(out))
        theirs = sorted(rawcheck.read_pcap(ref))
        if ours != theirs:
            problems.append(f"{pcap}: --sql \"{query}\": {len(ours)} frames, tshark -Y "
                            f"\"{display_filter}\": {len(theirs)}; first differing: "
                            f"{next((a, b) for a, b in zip(ours + [None] * len(theirs), theirs + [None] * len(ours)) if a != b)}")
        return len(theirs)


GREASE = {0x0a0a + 0x1010 * i for i in range(16)}
TLS_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
                0x0200: "s2", 0x0100: "s1", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def ja4_from_fields(ciphers, exts, sigalgs, alpn, versions, hello_version):
    """JA4 (TLS over TCP) from tshark's field values, per FoxIO's README."""
    num = lambda text: [int(v, 0) for v in text.split(",") if v]
    ciphers = [c for c in num(ciphers) if c not in GREASE]
    exts = [e for e in num(exts) if e not in GREASE]
    sigs = [a for a in num(sigalgs) if a not in GREASE]
    vers = [v for v in num(versions) if v not in GREASE]
    version = max(vers) if vers else int(hello_version, 0)
    first = alpn.split(",")[0] if alpn else ""
    if not first:
        a = "00"
    elif first[0].isalnum() and first[-1].isalnum() and first.isascii():
        a = first[0] + first[-1]
    else:
        raw = first.encode()
        a = f"{raw[0]:02x}"[0] + f"{raw[-1]:02x}"[1]
    h = lambda text: hashlib.sha256(text.encode()).hexdigest()[:12] if text else "000000000000"
    b = h(",".join(f"{c:04x}" for c in sorted(ciphers)))
    rest = ",".join(f"{e:04x}" for e in sorted(e for e in exts if e not in (0, 16)))
    if sigs:
        rest += "_" + ",".join(f"{v:04x}" for v in sigs)
    return (f"t{TLS_VERSIONS.get(version, '00')}{'d' if 0 in exts else 'i'}"
            f"{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}{a}_{b}_{h(rest)}")


def check_ja4(netsift, pcap, problems):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "db")
        subprocess.run([netsift, "capture", "-r", pcap, "-d", db, "--flow-log", "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        f = sqlite3.connect(os.path.join(db, "fingerprint.sqlite"))
        ours = {(a, str(b), c, str(d)): j for a, b, c, d, j in
                f.execute("SELECT src_ip, src_port, dst_ip, dst_port, ja4 FROM flows")}
    rows = tshark_fields(pcap, ["ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
                                "tcp.dstport", "tls.handshake.ciphersuite",
                                "tls.handshake.extension.type", "tls.handshake.sig_hash_alg",
                                "tls.handshake.extensions_alpn_str",
                                "tls.handshake.extensions.supported_version",
                                "tls.handshake.version"],
                         ["-Y", "tls.handshake.type == 1 && !quic"])
    compared = 0
    for r in rows:
        r += [""] * (12 - len(r))
        key = (r[0] or r[1], r[2], r[3] or r[4], r[5])
        if "," in "".join(key) or not ours.get(key) or "," in r[11]:
            # tunnels, several hellos in a frame, flows the monitor did not fingerprint
            # (STARTTLS, where the hello is not the stream's first bytes; SSLv2)
            continue
        compared += 1
        want = ja4_from_fields(r[6], r[7], r[8], r[9], r[10], r[11])
        if ours[key] != want:
            problems.append(f"{pcap}: flow {key}: netsift ja4 {ours[key]}, from tshark {want}")
    return compared


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cid")
    c.add_argument("--netsift", required=True)
    c.add_argument("pcaps", nargs="+")
    s = sub.add_parser("sql")
    s.add_argument("--netsift", required=True)
    s.add_argument("pcap")
    s.add_argument("query")
    s.add_argument("filter")
    j = sub.add_parser("ja4")
    j.add_argument("--netsift", required=True)
    j.add_argument("pcaps", nargs="+")
    a = ap.parse_args()
    problems = []
    if a.cmd == "cid":
        n = sum(check_cid(a.netsift, p, problems) for p in a.pcaps)
        print(f"{n} frames compared")
    elif a.cmd == "ja4":
        n = sum(check_ja4(a.netsift, p, problems) for p in a.pcaps)
        print(f"{n} client hellos compared")
    else:
        n = check_sql(a.netsift, a.pcap, a.query, a.filter, problems)
        print(f"{n} frames selected by tshark")
    for p in problems[:20]:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
