#!/usr/bin/env python3
"""Summarise `cargo bench --bench runtime`, `--bench sync` and `--bench taskgraph` as Markdown tables.

Reads target/criterion/<row>/<impl>/new/estimates.json (the median's point estimate) and
prints one table per benchmark file, a blank line between them:

- runtime rows (benches/runtime.rs): row | evloop | tokio | async-executor | evloop ÷ best peer
- sync rows (benches/sync.rs): row | evloop | tokio | async-lock | async-channel |
  event-listener | evloop ÷ best peer; each row has results for the peers it compares
  against, and "-" under the others.
- taskgraph rows (benches/taskgraph.rs): row | evloop | rayon | crossbeam | futures | pariter |
  evloop ÷ best peer, with "-" where a peer sits a row out.

A table's columns are evloop, the peers listed for it below, then any other implementation
found in its rows' result directories. The ratio divides evloop's median by the fastest peer's
in that row: below 1.00 means evloop is faster than every peer it was compared with. Missing
results show as "-". A table none of whose rows has any result is left out, unless no table
has results (then the runtime table is printed, all "-"). Always exits 0.

Usage: python3 benches/ratios.py [criterion-dir]
(default: $CARGO_TARGET_DIR/criterion, else target/criterion next to this script's parent)
"""

import json
import os
import sys

EVLOOP = "evloop"

# (rows, the peers always shown as columns, in this order)
TABLES = [
    (
        [
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
        ],
        ["tokio", "async-executor"],
    ),
    (
        [
            "mutex_uncontended",
            "mutex_contended",
            "semaphore",
            "semaphore_contended",
            "queue_spsc_bounded",
            "queue_mpmc_bounded",
            "event_set_wait",
            "queue_threads",
        ],
        ["tokio", "async-lock", "async-channel", "event-listener"],
    ),
    (
        [
            "tg_identity_1_read_all",
            "tg_identity_5_read_all",
            "tg_identity_10_read_all",
            "tg_identity_1_read1",
            "tg_identity_5_read1",
            "tg_identity_10_read1",
            "tg_cpu_heavy_read_all",
            "tg_aggregate_10_to_1",
        ],
        ["rayon", "crossbeam", "futures", "pariter"],
    ),
]


def criterion_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    target = os.environ.get("CARGO_TARGET_DIR")
    if not target:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        target = os.path.join(root, "target")
    return os.path.join(target, "criterion")


def estimates_path(base, row, impl):
    return os.path.join(base, row, impl, "new", "estimates.json")


def median_ns(base, row, impl):
    try:
        with open(estimates_path(base, row, impl), encoding="utf-8") as f:
            return float(json.load(f)["median"]["point_estimate"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def implementations(base, row):
    """The implementations with a result for `row`, in directory order (sorted)."""
    try:
        names = sorted(os.listdir(os.path.join(base, row)))
    except OSError:
        return []
    return [n for n in names if os.path.isfile(estimates_path(base, row, n))]


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


def table(base, rows, listed_peers):
    """The table's lines, and whether any of its rows has a result."""
    peers = list(listed_peers)
    found = False
    for row in rows:
        for impl in implementations(base, row):
            found = True
            if impl != EVLOOP and impl not in peers:
                peers.append(impl)
    lines = [
        f"| row | {EVLOOP} | " + " | ".join(peers) + " | evloop ÷ best peer |",
        "|---|---:|" + "---:|" * len(peers) + "---:|",
    ]
    for row in rows:
        ours = median_ns(base, row, EVLOOP)
        theirs = [median_ns(base, row, p) for p in peers]
        known = [t for t in theirs if t is not None]
        if ours is not None and known:
            ratio = f"{ours / min(known):.2f}"
        else:
            ratio = "-"
        cells = [fmt_time(ours)] + [fmt_time(t) for t in theirs] + [ratio]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return lines, found


def main():
    base = criterion_dir()
    tables = [table(base, rows, peers) for rows, peers in TABLES]
    shown = [lines for lines, found in tables if found] or [tables[0][0]]
    print("\n\n".join("\n".join(lines) for lines in shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
