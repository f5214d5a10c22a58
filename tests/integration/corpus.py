#!/usr/bin/env python3
"""corpus.py - every capture of the corpus through `netsift capture`.

For each file: no crash (exit status 0 or 1 only, no sanitizer report), no
hang (a per-file time limit), and the summary's packet count equals
capinfos'.  Where libpcap itself cannot read a file to the end (pcapng with
interfaces of different link types, formats it does not know), netsift must
say so in one line and exit 1; those files are counted separately.

With --round-trip (the capture arguments then include --file-write), the
same run's raw store is also read back: `netsift extract` must give exactly
what libpcap reads (tcpdump -w), frame by frame (rawcheck.py), and every
--stride-th file is compared through tshark too.  One capture per file
serves both checks.  Exit status 1 when any file fails.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawcheck  # noqa: E402

# libpcap's own words for files it cannot (fully) read
LIBPCAP_LIMITS = re.compile(r"unknown file format|an interface has a (type|snapshot length)"
                            r"|truncated dump file|bogus savefile header|invalid packet capture length"
                            r"|version \d+\.\d+ not supported|pcapng_block_header|block total length"
                            r"|not supported|Section Header Block")


def capinfos_count(path):
    p = subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True, errors="replace")
    m = re.search(r"Number of packets:\s+(\d+)", p.stdout)
    return int(m.group(1)) if m else None


def round_trip(netsift, path, db, tmp, tshark, timeout):
    """The raw store of a finished capture against libpcap's reading; None
    when equal, else the problem."""
    ref, out = os.path.join(tmp, "ref.pcap"), os.path.join(tmp, "out.pcap")
    if rawcheck.run(["tcpdump", "-r", path, "-w", ref], timeout=timeout).returncode != 0:
        return "tcpdump cannot copy it"
    ext = rawcheck.run([netsift, "extract", "-q", "-d", db, "-w", out], timeout=timeout)
    if ext.returncode != 0 or re.search(r"Sanitizer|runtime error", ext.stderr):
        return f"extract exit {ext.returncode}: {ext.stderr.strip()[:300]}"
    problems = rawcheck.compare(ref, out, tshark=tshark, original=path)
    return "; ".join(problems) if problems else None


def run_one(netsift, extra, timeout, path, trip=False, tshark=False):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "db")
        try:
            args = [a.replace("{DB}", db) for a in extra]
            p = subprocess.run([netsift, "capture", "-q", "--json", "-r", path, "-d", db, *args],
                               capture_output=True, text=True, errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            return path, "fail", f"no answer within {timeout}s"
        if trip and p.returncode == 0:
            problem = round_trip(netsift, path, db, tmp, tshark, timeout)
            if problem:
                return path, "fail", f"raw store round trip: {problem}"
    err = p.stderr.strip()
    if "Sanitizer" in err or "runtime error" in err or p.returncode not in (0, 1):
        return path, "fail", f"exit {p.returncode}: {err[-300:]}"
    summary = next((json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")), None)
    got = summary["packets"] if summary else 0
    want = capinfos_count(path)
    if p.returncode == 1:
        lines = [l for l in err.splitlines() if l]
        if len(lines) != 1:
            return path, "fail", f"exit 1 without exactly one error line: {err[-300:]}"
        if LIBPCAP_LIMITS.search(err):
            return path, "libpcap", f"{got} of {want} packets; {lines[0][:160]}"
        return path, "fail", f"exit 1: {err[:200]}"
    if want is not None and got != want:
        return path, "fail", f"{got} packets, capinfos says {want}"
    return path, "ok", str(got)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--netsift", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--figure", help="append the one-line figure to this file")
    ap.add_argument("--round-trip", action="store_true",
                    help="also read the raw store back (capture arguments with --file-write)")
    ap.add_argument("--stride", type=int, default=8, help="with --round-trip: every K-th file through tshark")
    ap.add_argument("extra", nargs="*",
                    help="more netsift capture arguments (after --); {DB} stands for the file's db path")
    args = ap.parse_args()
    files = sorted(os.path.join(r, n) for r, _, ns in os.walk(args.corpus) for n in ns
                   if not n.endswith((".md", ".txt")))
    results = {"ok": [], "libpcap": [], "fail": []}
    packets = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(run_one, args.netsift, args.extra, args.timeout, f, args.round_trip,
                            i % args.stride == 0) for i, f in enumerate(files)]
        for job in jobs:
            path, status, detail = job.result()
            results[status].append((path, detail))
            if status == "ok":
                packets += int(detail)
    for path, detail in results["libpcap"]:
        print(f"libpcap cannot read to the end: {os.path.relpath(path, args.corpus)}: {detail}")
    for path, detail in results["fail"]:
        print(f"FAIL: {os.path.relpath(path, args.corpus)}: {detail}")
    shown = " ".join(args.extra).replace("{DB}", "DB")
    figure = (f"{len(files)} corpus captures through netsift capture -d DB {shown} under the test build: "
              f"{len(results['ok'])} read whole with capinfos' packet count ({packets} packets), "
              f"{len(results['libpcap'])} that libpcap cannot read to the end reported in one line, "
              f"{len(results['fail'])} failures"
              + (f"; the raw store of each whole one read back equal to libpcap's reading "
                 f"(every {args.stride}th also through tshark)" if args.round_trip else ""))
    print(figure)
    if args.figure:
        with open(args.figure, "a", encoding="utf-8") as f:
            f.write(figure + "\n")
    print(f"{len(results['ok']) + len(results['libpcap'])} passed, {len(results['fail'])} failed")
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
