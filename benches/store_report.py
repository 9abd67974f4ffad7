#!/usr/bin/env python3
"""Runs the criterion benchmark of the store's writer and reports medians and the ratio.

`cargo bench --bench store` measures, in one run, a batch of 64 comment submissions through
`Store::submit` (the intake's call: author lookup, decision, duplicate check, insert,
webhook outbox, group commit, the WAL synced before answering),
awaited together, and the floor: the same 64 rows inserted by plain rusqlite prepared
INSERTs in one transaction on a file with the same schema and pragmas. This script runs it,
reads criterion's estimates (target/criterion/store_writer/**/new/estimates.json) and prints
a Markdown table; with --write FILE it replaces the section between <!-- store:begin -->
and <!-- store:end -->.

Usage: python3 benches/store_report.py [--no-run] [--write BENCHMARKS.md]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

from reporting import cpu_model, write_section

ROOT = Path(__file__).resolve().parent.parent
GROUP = ROOT / "target" / "criterion" / "store_writer"
BATCH = 64


def estimates(bench_dir):
    with open(bench_dir / "new" / "estimates.json", encoding="utf-8") as f:
        e = json.load(f)
    return e["median"]["point_estimate"], e["median"]["confidence_interval"]


def find(prefix):
    """The one benchmark directory `store_writer/<prefix…>/<parameter>`."""
    hits = [p for d in GROUP.iterdir() if d.is_dir() and d.name.startswith(prefix)
            for p in d.iterdir() if (p / "new").is_dir()]
    if len(hits) != 1:
        sys.exit(f"store_report: expected one '{prefix}' benchmark under {GROUP}, found {hits}")
    return hits[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-run", action="store_true", help="only read the last run's estimates")
    ap.add_argument("--write", help="replace the store section of this file")
    args = ap.parse_args()
    if not args.no_run:
        subprocess.run(["cargo", "bench", "--bench", "store", "--", "--noplot"],
                       cwd=ROOT, check=True, stdout=sys.stderr)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        commit += " (plus uncommitted changes in the working tree)"
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"

    rows = [("commentguard `Store::submit`, 64 in flight", find("commentguard")),
            ("floor: rusqlite prepared INSERTs, one transaction", find("rusqlite floor"))]
    med = {}
    lines = [
        "## Store writer: a batch of inserts (criterion)",
        "",
        "Command: `python3 benches/store_report.py"
        + (f" --write {args.write}`" if args.write else "`") + "  ",
        f"Commit `{commit}`, {datetime.date.today().isoformat()}, {cpu_model()}, "
        f"{os.cpu_count()} cores; load average {load} at the end.",
        "",
        f"`benches/store.rs`: {BATCH} comment submissions through `Store::submit` — the call the "
        "intake makes: author lookup (bans, trust, parent), the decision closure, duplicate "
        "check, insert with reasons, webhook outbox — started together and awaited together: the "
        "writer thread commits them in as many groups as they reach its queue in, and each group "
        "is answered once its sync thread has fsynced the WAL (the writer runs the next group "
        "meanwhile). Floor in the same run: the same "
        f"{BATCH} rows (comment and reasons) inserted with plain rusqlite prepared INSERTs in one "
        "transaction, on a fresh file with the same schema (made by `Store::open`) and pragmas "
        "(WAL, `synchronous = FULL`, `temp_store = MEMORY`, 8 MiB page cache) — one commit, one fsync. "
        "Real comment bodies from `training-data/*.csv`; a new author and IP per submission. "
        "Both databases grow by 64 rows per iteration through the run (criterion's warm-up and "
        "samples: a few hundred thousand rows).",
        "",
        "| path | batch of 64, median (95% CI) | per comment | comments/s |",
        "|---|---:|---:|---:|",
    ]
    for label, path in rows:
        m, ci = estimates(path)
        med[label] = m
        lines.append(f"| {label} | {m / 1e6:.2f} ms ({ci['lower_bound'] / 1e6:.2f}–"
                     f"{ci['upper_bound'] / 1e6:.2f}) | {m / BATCH / 1e3:.1f} µs | "
                     f"{BATCH * 1e9 / m:,.0f} |")
    ours, floor = (med[label] for label, _ in rows)
    lines += [
        "",
        f"ours / floor (time per batch): **{ours / floor:.2f}×**; the writer's own work on top of "
        f"storing the rows: {(ours - floor) / BATCH / 1e3:.1f} µs per comment.",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        write_section(args.write, "store", section)


if __name__ == "__main__":
    main()
