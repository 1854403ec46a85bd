#!/usr/bin/env python3
"""Summarise `cargo bench --bench runtime` as a Markdown table.

Reads target/criterion/<row>/<runtime>/new/estimates.json (the median's point estimate) for
each row of benches/runtime.rs and prints: row | evloop | tokio | async-executor | evloop / best
peer. A ratio below 1.00 means evloop is faster than the faster of the two peers. Missing
results show as "-". Always exits 0.

Usage: python3 benches/ratios.py [criterion-dir]
(default: $CARGO_TARGET_DIR/criterion, else target/criterion next to this script's parent)
"""

import json
import os
import sys

ROWS = [
    "spawn_one",
    "spawn_many",
    "yield_now",
    "ping_pong",
    "chained_spawn",
    "timer_insert_cancel_0",
    "timer_insert_cancel_1m",
    "sleeps_100k",
    "spawn_remote",
    "task_group_10k",
    "timeout_ready",
    "gather_10k",
]
EVLOOP = "evloop"
PEERS = ["tokio", "async-executor"]


def criterion_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    target = os.environ.get("CARGO_TARGET_DIR")
    if not target:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        target = os.path.join(root, "target")
    return os.path.join(target, "criterion")


def median_ns(base, row, runtime):
    path = os.path.join(base, row, runtime, "new", "estimates.json")
    try:
        with open(path, encoding="utf-8") as f:
            return float(json.load(f)["median"]["point_estimate"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def fmt_time(ns):
    if ns is None:
        return "-"
    value, unit = ns, "ns"
    for name, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            value, unit = ns / scale, name
            break
    decimals = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{decimals}f} {unit}"


def main():
    base = criterion_dir()
    print(f"| row | {EVLOOP} | " + " | ".join(PEERS) + " | evloop ÷ best peer |")
    print("|---|---:|" + "---:|" * len(PEERS) + "---:|")
    for row in ROWS:
        ours = median_ns(base, row, EVLOOP)
        peers = [median_ns(base, row, p) for p in PEERS]
        known = [p for p in peers if p is not None]
        if ours is not None and known:
            ratio = f"{ours / min(known):.2f}"
        else:
            ratio = "-"
        cells = [fmt_time(ours)] + [fmt_time(p) for p in peers] + [ratio]
        print(f"| {row} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
