#!/usr/bin/env python3
"""rawcheck.py - checks of the raw packet store (test_raw_store.sh; its
compare() also serves corpus.py's round trip in test_corpus.sh).

  rawcheck.py frames PCAP
      one line per frame: timestamp (us), length, caplen, SHA-256 of the bytes
  rawcheck.py same REF OUT [--order time|exact] [--tshark] [--ignore PCAP]
      the frames of OUT equal those of REF: `time` (default) compares them
      sorted by timestamp (extract writes in timestamp order; frames with
      the same timestamp may come in another order), `exact` in REF's order
      after a stable sort by timestamp.  Also compares what tshark reads
      from both (frame.time_epoch, frame.len, frame.cap_len) with --tshark.
      Frames found in --ignore PCAP are left out of both sides.
  rawcheck.py store DB_PATH
      the store's invariant: every meta row points at a record inside its
      file whose header matches the row; with --closed also every file is
      closed, its size is files.bytes, and the pcap folder holds exactly
      the files the index lists.  Prints "ok" or the problems.
Exit status 1 when a check fails.
"""
import argparse
import concurrent.futures
import hashlib
import os
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile

UUID_PCAP = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.pcap$")


def read_pcap(path):
    """Frames of a pcap file: [(ts_us, len, caplen, sha256hex)]."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: shorter than a pcap header")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    frames, off = [], 24
    read_pcap.odd_times = False
    while off + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack(e + "IiII", data[off:off + 16])
        body = data[off + 16:off + 16 + caplen]
        if len(body) < caplen:
            break
        read_pcap.odd_times |= not 0 <= frac < (10**9 if nsec else 10**6)
        frames.append((time_key(sec, int(frac / 1000) if nsec else frac), length, caplen,
                       hashlib.sha256(body).hexdigest()))
        off += 16 + caplen
    return frames


def time_key(sec, usec):
    """A record's time as netsift sees it: libpcap's seconds read unsigned and
    its (signed) microseconds added, modulo 2^64; a pcap record keeps the
    seconds of that in 32 bits (time_2106_overflow, invalid microseconds)."""
    t = (sec * 1000000 + usec) % (1 << 64)
    return (t // 1000000 % (1 << 32)) * 1000000 + t % 1000000


def tshark_frames(path):
    """(ts_us, len, caplen) per frame as tshark reads them; None when tshark
    cannot read the file (a link type it does not know)."""
    p = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch",
                        "-e", "frame.len", "-e", "frame.cap_len"],
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        return None
    out = []
    for line in p.stdout.splitlines():
        t, length, caplen = line.split("\t")
        sec, _, frac = t.partition(".")
        out.append((int(sec) * 1000000 + int((frac + "000000")[:6]), int(length), int(caplen)))
    return out


def by_time(frames, exact):
    # a stable sort keeps the capture order of frames with equal timestamps
    return sorted(frames, key=lambda f: f[0]) if exact else sorted(frames)


def compare(ref, out, exact=False, tshark=False, original=None, ignore=None):
    """Problems (a list of strings) between two pcap files.  With tshark,
    also what tshark reads from the original capture (default: ref) and
    from out.  Frames of the pcap file `ignore` are left out of both."""
    a = by_time(read_pcap(ref), exact)
    odd_times = read_pcap.odd_times  # fractions out of range: tshark shows them its own way
    b = read_pcap(out)
    if ignore:
        skip = set(read_pcap(ignore))
        a = [f for f in a if f not in skip]
        b = [f for f in b if f not in skip]
    if not exact:
        b = sorted(b)
    problems = []
    if len(a) != len(b):
        problems.append(f"{len(a)} frames in, {len(b)} out")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            problems.append(f"frame {i + 1}: in {x}, out {y}")
            break
    if tshark and not problems and not odd_times:
        # tshark on the original capture, or on libpcap's copy of it where
        # the two readers differ (records longer than the file's snapshot
        # length: libpcap cuts them, tshark does not)
        mine = sorted(f[:3] for f in a)
        ta = tshark_frames(original or ref)
        if ta is not None and sorted(ta) != mine:
            ta = tshark_frames(ref)
        tb = tshark_frames(out)
        if ta is not None and (tb is None or sorted(ta) != sorted(tb)):
            problems.append(f"tshark reads {len(ta)} frames in, {len(tb or [])} out, and they differ")
    return problems


def store_problems(db_path, closed):
    """The store's invariant, checked from the files themselves."""
    problems = []
    folder = os.path.join(db_path, "pcap")
    con = sqlite3.connect(f"file:{os.path.join(db_path, 'pcap-meta.sqlite')}?mode=ro", uri=True)
    sizes, headers = {}, {}
    for (name,) in con.execute("SELECT DISTINCT name FROM meta"):
        if not UUID_PCAP.match(name or ""):
            problems.append(f"row names '{name}'")
            continue
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            problems.append(f"{name}: rows point at a missing file")
            continue
        with open(path, "rb") as f:
            headers[name] = f.read()
        sizes[name] = len(headers[name])
    bad = 0
    for rid, name, ts, caplen, length, off in con.execute(
            "SELECT id, name, timestamp, caplen, length, file_offset FROM meta"):
        data = headers.get(name)
        if data is None:
            continue
        if off < 24 or off + 16 + caplen > len(data):
            bad += 1
            if bad <= 3:
                problems.append(f"{rid}: record at {off}+{16 + caplen} past the end ({len(data)})")
            continue
        sec, frac, cl, ln = struct.unpack("<IIII", data[off:off + 16])
        if (sec * 1000000 + frac, cl, ln) != (ts, caplen, length):
            bad += 1
            if bad <= 3:
                problems.append(f"{rid}: record header does not match the row")
    if bad > 3:
        problems.append(f"... {bad} bad rows in all")
    if closed:
        listed = {}
        for name, size, packets, is_closed, deleting in con.execute(
                "SELECT name, bytes, packets, closed, deleting FROM files"):
            listed[name] = size
            rows = con.execute("SELECT count(*) FROM meta WHERE name = ?", (name,)).fetchone()[0]
            if not is_closed or deleting:
                problems.append(f"{name}: closed={is_closed} deleting={deleting}")
            path = os.path.join(folder, name)
            if not os.path.exists(path) or os.path.getsize(path) != size:
                problems.append(f"{name}: files.bytes {size}, on disk "
                                f"{os.path.getsize(path) if os.path.exists(path) else 'missing'}")
            if rows != packets:
                problems.append(f"{name}: files.packets {packets}, rows {rows}")
        on_disk = {n for n in os.listdir(folder) if UUID_PCAP.match(n)}
        for n in sorted(on_disk - set(listed)):
            problems.append(f"{n}: on disk, not in the index")
        for n in sorted(set(listed) - on_disk):
            problems.append(f"{n}: in the index, not on disk")
    con.close()
    return problems


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("frames")
    p.add_argument("pcap")
    p = sub.add_parser("same")
    p.add_argument("ref")
    p.add_argument("out")
    p.add_argument("--order", choices=["time", "exact"], default="time")
    p.add_argument("--tshark", action="store_true")
    p.add_argument("--ignore")
    p = sub.add_parser("store")
    p.add_argument("db_path")
    p.add_argument("--closed", action="store_true")
    a = ap.parse_args()
    if a.cmd == "frames":
        for f in read_pcap(a.pcap):
            print(*f)
        return 0
    if a.cmd == "same":
        problems = compare(a.ref, a.out, a.order == "exact", a.tshark, ignore=a.ignore)
    else:
        problems = store_problems(a.db_path, a.closed)
    for pr in problems:
        print(pr)
    if not problems:
        print("ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
