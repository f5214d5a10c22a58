#!/usr/bin/env python3
"""corpus.py - every capture of the corpus through `netsift capture`.

For each file: no crash (exit status 0 or 1 only, no sanitizer report), no
hang (a per-file time limit), and the summary's packet count equals
capinfos'.  Where libpcap itself cannot read a file to the end (pcapng with
interfaces of different link types, formats it does not know), netsift must
say so in one line and exit 1; those files are counted separately.  Exit
status 1 when any file fails.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile

# libpcap's own words for files it cannot (fully) read
LIBPCAP_LIMITS = re.compile(r"unknown file format|an interface has a (type|snapshot length)"
                            r"|truncated dump file|bogus savefile header|invalid packet capture length"
                            r"|version \d+\.\d+ not supported|pcapng_block_header|block total length"
                            r"|not supported|Section Header Block")


def capinfos_count(path):
    p = subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True, errors="replace")
    m = re.search(r"Number of packets:\s+(\d+)", p.stdout)
    return int(m.group(1)) if m else None


def run_one(netsift, extra, timeout, path):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            p = subprocess.run([netsift, "capture", "-q", "--json", "-r", path, "-d", tmp, *extra],
                               capture_output=True, text=True, errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            return path, "fail", f"no answer within {timeout}s"
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
    ap.add_argument("extra", nargs="*", help="more netsift capture arguments (after --)")
    args = ap.parse_args()
    files = sorted(os.path.join(r, n) for r, _, ns in os.walk(args.corpus) for n in ns
                   if not n.endswith((".md", ".txt")))
    results = {"ok": [], "libpcap": [], "fail": []}
    packets = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for path, status, detail in pool.map(lambda f: run_one(args.netsift, args.extra, args.timeout, f), files):
            results[status].append((path, detail))
            if status == "ok":
                packets += int(detail)
    for path, detail in results["libpcap"]:
        print(f"libpcap cannot read to the end: {os.path.relpath(path, args.corpus)}: {detail}")
    for path, detail in results["fail"]:
        print(f"FAIL: {os.path.relpath(path, args.corpus)}: {detail}")
    figure = (f"{len(files)} corpus captures through netsift capture {' '.join(args.extra)} under the test build: "
              f"{len(results['ok'])} read whole with capinfos' packet count ({packets} packets), "
              f"{len(results['libpcap'])} that libpcap cannot read to the end reported in one line, "
              f"{len(results['fail'])} failures")
    print(figure)
    if args.figure:
        with open(args.figure, "a", encoding="utf-8") as f:
            f.write(figure + "\n")
    print(f"{len(results['ok']) + len(results['libpcap'])} passed, {len(results['fail'])} failed")
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
