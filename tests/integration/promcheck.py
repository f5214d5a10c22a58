#!/usr/bin/env python3
"""promcheck.py - check a Prometheus text exposition (netsift daemon's
/metrics) against the format, and its values against netsift stats --json.

usage: promcheck.py METRICS_TEXT STATS_JSON

The format check is done twice: by a small strict parser here (the 0.0.4
text format: HELP/TYPE lines before their family's samples, one block per
family, metric and label names, escaped label values, float values, no
duplicate series), and by python3-prometheus-client's parser when it is
installed.  Then every per-entry packet and byte counter must equal the
JSON's.  Exits 1 on any problem.
"""
import json
import math
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
doc = json.load(open(sys.argv[2]))
problems = []

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL})(?:,{LABEL})*\}})? (\S+)$")
families, samples, current, series = {}, [], None, set()
for n, line in enumerate(text.split("\n"), 1):
    if line == "":
        continue
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        parts = line.split(" ", 3)
        if len(parts) < 4 or not re.fullmatch(NAME, parts[2]):
            problems.append(f"line {n}: bad {parts[1]} line")
            continue
        name = parts[2]
        if parts[1] == "TYPE":
            if parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                problems.append(f"line {n}: bad type {parts[3]}")
            if name in families:
                problems.append(f"line {n}: second TYPE for {name}")
            families[name] = parts[3]
        current = name
        continue
    if line.startswith("#"):
        continue
    m = SAMPLE.match(line)
    if not m:
        problems.append(f"line {n}: not a sample: {line[:80]}")
        continue
    if m.group(1) != current:
        problems.append(f"line {n}: sample of {m.group(1)} outside its family block")
    try:
        float(m.group(3))
    except ValueError:
        problems.append(f"line {n}: bad value {m.group(3)}")
    if (m.group(1), m.group(2)) in series:
        problems.append(f"line {n}: duplicate series")
    series.add((m.group(1), m.group(2)))
    labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    samples.append((m.group(1), labels, float(m.group(3))))

try:
    from prometheus_client.parser import text_string_to_metric_families
    parsed = sum(len(f.samples) for f in text_string_to_metric_families(text))
    if parsed != len(samples):
        problems.append(f"prometheus_client parsed {parsed} samples, the strict parser {len(samples)}")
    client = "prometheus_client"
except ImportError:
    client = "strict parser only"

# values against the JSON
want = {}
for w in doc["watchers"]:
    for e in w["entries"]:
        for d in ("tx", "rx"):
            want[("netsift_packets_total", w["name"], e["handler"], e["key"], d)] = e[f"{d}_packets"]
            want[("netsift_bytes_total", w["name"], e["handler"], e["key"], d)] = e[f"{d}_bytes"]
got = {}
for name, labels, value in samples:
    if name in ("netsift_packets_total", "netsift_bytes_total"):
        got[(name, labels["watcher"], labels["handler"], labels["key"], labels["direction"])] = value
for k, v in want.items():
    if k not in got:
        problems.append(f"missing series {k}")
    elif not math.isclose(got[k], v):
        problems.append(f"{k}: metrics {got[k]}, stats --json {v}")
if len(got) != len(want):
    problems.append(f"{len(got)} entry series in /metrics, {len(want)} in stats --json")
for p in problems[:20]:
    print("promcheck:", p)
print(f"promcheck: {len(samples)} samples, {len(families)} families ({client}); {len(problems)} problems")
sys.exit(1 if problems else 0)
