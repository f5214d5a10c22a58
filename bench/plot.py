#!/usr/bin/env python3
"""Bar chart of packets/s per tool from bench/run's bench.csv.

Usage: plot.py BENCH.csv OUT.png [TITLE]

Called by bench/run when matplotlib is importable; rows whose status is not
"ok" (skipped or failed tools) are left out.  Log scale, because the tools
span two to three orders of magnitude.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) == 4 else "packets per second (higher is better)"

    with open(src, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "ok" and r["packets_per_s"]]
    if not rows:
        print("plot.py: no successful rows to plot", file=sys.stderr)
        return 1

    names = [r["tool"] for r in rows]
    pps = [float(r["packets_per_s"]) for r in rows]
    colours = ["tab:orange" if n.startswith("netsift") else
               "tab:grey" if n.startswith("pcap_loop") else "tab:blue" for n in names]

    fig, ax = plt.subplots(figsize=(9, 0.5 * len(rows) + 1.5))
    y = range(len(rows))
    ax.barh(y, pps, color=colours)
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()  # first row (the floor) on top
    ax.set_xscale("log")
    ax.set_xlabel("packets/s (log scale)")
    ax.set_title(title)
    for yi, v in zip(y, pps):
        ax.text(v, yi, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_xlim(right=max(pps) * 8)  # room for the labels
    fig.tight_layout()
    fig.savefig(dst, dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
