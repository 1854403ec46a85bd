#!/usr/bin/env python3
"""Summarise `cargo bench --bench runtime`, `sync`, `tls`, `process`, `taskgraph` and `net` as Markdown tables.

Reads target/criterion/<row>/<impl>/new/estimates.json (the median's point estimate) and
prints one table per benchmark file, a blank line between them:

- runtime rows (benches/runtime.rs): row | evloop | tokio | async-executor | evloop ÷ best peer
- sync rows (benches/sync.rs): row | evloop | tokio | async-lock | async-channel |
  event-listener | evloop ÷ best peer; each row has results for the peers it compares
  against, and "-" under the others.
- tls rows (benches/tls.rs): row | evloop | tokio (tokio-rustls) | smol (futures-rustls) |
  evloop ÷ best peer.
- process rows (benches/process.rs): row | evloop | tokio | async-process | bare |
  evloop ÷ best peer | evloop ÷ bare (std::process spawn and a blocking wait, the floor).
- taskgraph rows (benches/taskgraph.rs): row | evloop | rayon | crossbeam | futures | pariter |
  evloop ÷ best peer, with "-" where a peer sits a row out.

A table's columns are evloop, the peers listed for it below, then any other implementation
found in its rows' result directories. The ratio divides evloop's median by the fastest peer's
in that row: below 1.00 means evloop is faster than every peer it was compared with. Missing
results show as "-". A table none of whose rows has any result is left out, unless no table
has results (then the runtime table is printed, all "-"). Always exits 0.

The network echo rows (benches/net.rs, `echo_c<conns>_<size>`) get three tables of their own,
each with a title line: requests per second (from criterion's median time per request), server
CPU time per request and syscalls per request (both from the net.json the benchmark writes
beside criterion's results). Their columns are evloop's servers, the Rust peers (tokio, smol)
and the hand-written epoll floor; each evloop server gets one ratio column, "a / b": a is
evloop ÷ the best peer in that table's unit (for requests/s above 1.00 means evloop is faster,
for CPU and syscalls below 1.00 means evloop is cheaper), b is evloop ÷ epoll.

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
    (["tls_handshake", "tls_bulk_64k"], ["tokio", "smol"]),
    (["spawn_wait_true", "cat_round_trip"], ["tokio", "async-process"], "bare"),
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


def table(base, rows, listed_peers, floor=None):
    """The table's lines, and whether any of its rows has a result. A floor (a bare baseline,
    not a peer) gets its own column and ratio, and is left out of "best peer"."""
    peers = list(listed_peers)
    found = False
    for row in rows:
        for impl in implementations(base, row):
            found = True
            if impl not in (EVLOOP, floor) and impl not in peers:
                peers.append(impl)
    shown = peers + ([floor] if floor else [])
    extra = f" | evloop ÷ {floor}" if floor else ""
    lines = [
        f"| row | {EVLOOP} | " + " | ".join(shown) + " | evloop ÷ best peer" + extra + " |",
        "|---|---:|" + "---:|" * len(shown) + "---:|" * (2 if floor else 1),
    ]
    for row in rows:
        ours = median_ns(base, row, EVLOOP)
        theirs = [median_ns(base, row, p) for p in peers]
        known = [t for t in theirs if t is not None]
        ratio = f"{ours / min(known):.2f}" if ours is not None and known else "-"
        cells = [fmt_time(ours)] + [fmt_time(t) for t in theirs]
        ratios = [ratio]
        if floor:
            bare = median_ns(base, row, floor)
            cells.append(fmt_time(bare))
            ratios.append(f"{ours / bare:.2f}" if ours is not None and bare else "-")
        lines.append(f"| {row} | " + " | ".join(cells + ratios) + " |")
    return lines, found


# The network echo rows: connections x message sizes, as benches/net.rs names them.
NET_ROWS = [f"echo_c{c}_{s}" for c in (1, 10, 100) for s in ("100b", "1k", "64k")]
NET_OURS = ["evloop", "evloop-protocol", "evloop-epoll", "evloop-async"]
NET_PEERS = ["tokio", "smol"]
NET_FLOOR = "epoll"


def net_extra(base, row, impl, field):
    """A figure from the net.json benches/net.rs writes beside criterion's estimates."""
    try:
        with open(os.path.join(base, row, impl, "net.json"), encoding="utf-8") as f:
            value = json.load(f)[field]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def net_metrics(base):
    """(title, unit formatter, higher is better, value(row, impl)) per net table."""
    def rate(row, impl):
        ns = median_ns(base, row, impl)
        return 1e9 / ns if ns else None

    return [
        ("echo requests/s (criterion median)", fmt_rate, True, rate),
        (
            "server CPU time per request (/proc/PID/task/*/schedstat)",
            lambda v: "-" if v is None else fmt_time(v),
            False,
            lambda row, impl: net_extra(base, row, impl, "cpu_ns_per_request"),
        ),
        (
            "server syscalls per request" + net_counter_note(base),
            lambda v: "-" if v is None else f"{v:.2f}",
            False,
            lambda row, impl: net_extra(base, row, impl, "syscalls_per_request"),
        ),
    ]


def net_counter_note(base):
    for row in NET_ROWS:
        for impl in NET_OURS + NET_PEERS + [NET_FLOOR]:
            try:
                with open(os.path.join(base, row, impl, "net.json"), encoding="utf-8") as f:
                    counter = json.load(f).get("syscall_counter")
            except (OSError, ValueError, AttributeError):
                continue
            if counter:
                return f" (counted with `{counter}`)"
    return " (not counted: neither perf nor strace worked)"


def fmt_rate(value):
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    if value >= 1e3:
        return f"{value / 1e3:.1f} k"
    return f"{value:.0f}"


def ratio(a, b):
    return "-" if a is None or not b else f"{a / b:.2f}"


def net_tables(base):
    """The net tables' lines, and whether any row has a result."""
    present = [
        impl
        for impl in NET_OURS + NET_PEERS + [NET_FLOOR]
        if any(median_ns(base, row, impl) is not None for row in NET_ROWS)
    ]
    if not present:
        return [], False
    ours = [i for i in NET_OURS if i in present] or [NET_OURS[0]]
    peers = [i for i in NET_PEERS if i in present]
    columns = ours + peers + ([NET_FLOOR] if NET_FLOOR in present else [])
    blocks = []
    for title, fmt, higher_better, value in net_metrics(base):
        head = ["row"] + columns + [f"{name} ÷ peer / ÷ {NET_FLOOR}" for name in ours]
        lines = [
            f"{title}:",
            "",
            "| " + " | ".join(head) + " |",
            "|---|" + "---:|" * (len(head) - 1),
        ]
        for row in NET_ROWS:
            values = {impl: value(row, impl) for impl in columns}
            known = [values[p] for p in peers if values[p] is not None]
            best = (max if higher_better else min)(known) if known else None
            cells = [fmt(values[c]) for c in columns]
            for name in ours:
                floor = values.get(NET_FLOOR)
                cells.append(f"{ratio(values[name], best)} / {ratio(values[name], floor)}")
            lines.append(f"| {row} | " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return ["\n\n".join(blocks)], True


def main():
    base = criterion_dir()
    tables = [table(base, *entry) for entry in TABLES]
    shown = [lines for lines, found in tables if found]
    net, net_found = net_tables(base)
    if net_found:
        shown.append(net)
    shown = shown or [tables[0][0]]
    print("\n\n".join("\n".join(lines) for lines in shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
