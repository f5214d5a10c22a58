#!/usr/bin/env python3
"""flowcmp.py - compare netsift --streams output with tcpflow's.

Usage: flowcmp.py NETSIFT_DIR TCPFLOW_DIR

Every tcpflow file (named SRCIP.SRCPORT-DSTIP.DSTPORT[cN]) must have a
netsift file of the same name with the same bytes, except for tcpflow's
known extra zero bytes: it counts Ethernet padding of short frames as TCP
payload (files that then hold only zeros, or zeros after the end of the
stream).  Trailing zero bytes are therefore not compared, and a tcpflow
file of zeros alone needs no counterpart.  Prints differences; exit
status 0 when there is none.
"""
import os
import re
import sys

ours_dir, theirs_dir = sys.argv[1:3]
name_re = re.compile(r"^[0-9a-f.:]+\.\d{5}-[0-9a-f.:]+\.\d{5}(c\d+)?$")
problems = []
ours = {n for n in os.listdir(ours_dir)}
for n in sorted(os.listdir(theirs_dir)):
    if not name_re.match(n):
        continue  # report.xml and the like
    with open(os.path.join(theirs_dir, n), "rb") as f:
        theirs = f.read().rstrip(b"\0")
    if n not in ours:
        if theirs:
            problems.append(f"{n}: tcpflow wrote {len(theirs)} bytes, netsift no file")
        continue
    with open(os.path.join(ours_dir, n), "rb") as f:
        mine = f.read().rstrip(b"\0")
    if mine != theirs:
        at = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
        problems.append(f"{n}: differs at byte {at} (netsift {len(mine)} bytes, tcpflow {len(theirs)})")
for p in problems:
    print(p)
print(f"{len([n for n in os.listdir(theirs_dir) if name_re.match(n)])} tcpflow files, {len(problems)} differences")
sys.exit(1 if problems else 0)
