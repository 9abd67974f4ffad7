#!/usr/bin/env python3
"""Runs the criterion scoring benchmark and reports medians and ratios.

`cargo bench --bench scoring` measures, in one run, scoring one real comment (short,
median and long, from the corpus) with both models the way the service does it, and the
same models evaluated the way linfa does it (a dense joint_log_likelihood row per model),
plus loading the models. This script runs it, reads criterion's estimates
(target/criterion/**/new/estimates.json) and prints a Markdown table of medians and the
ratio linfa-dense / ours; with --write FILE it replaces the section between
<!-- scoring:begin --> and <!-- scoring:end -->.

Usage: python3 benches/scoring_report.py [--no-run] [--write BENCHMARKS.md]
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
CRITERION = ROOT / "target" / "criterion"


def median_ns(group, bench_id):
    path = CRITERION / group / bench_id / "new" / "estimates.json"
    with open(path, encoding="utf-8") as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns < 1e6 else f"{ns / 1e6:.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-run", action="store_true", help="only read the last run's estimates")
    ap.add_argument("--write", help="replace the scoring section of this file")
    args = ap.parse_args()
    if not args.no_run:
        subprocess.run(["cargo", "bench", "--bench", "scoring", "--", "--noplot"],
                       cwd=ROOT, check=True, stdout=sys.stderr)

    group = CRITERION / "score_both_models"
    ours = sorted(p.name for p in (group / "commentguard").iterdir() if (p / "new").is_dir())
    german = "german (78 chars)"
    order = {"short": 0, "median": 1, "long": 2}
    ours.sort(key=lambda name: order.get(name.split(" ")[0], 9))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    lines = [
        "## Scoring speed (criterion)",
        "",
        "Command: `python3 benches/scoring_report.py"
        + (f" --write {args.write}`" if args.write else "`") + "  ",
        f"Commit `{commit}`, {datetime.date.today().isoformat()}, {cpu_model()}, "
        f"{os.cpu_count()} cores; one thread.",
        "",
        "One comment, tokenized once and scored by both models. Baseline in the same run: the "
        "same two models through linfa's dense `joint_log_likelihood` (one row of the full "
        "vocabulary per model), which is what scoring with linfa directly costs.",
        "",
        "`judge` is what the service runs per submission: both scores plus the language check "
        "and the look-alike count; for English comments the language check is a few "
        "vocabulary lookups, for a comment in another language `whatlang` runs (last row).",
        "",
        "| comment | ours (median) | comments/s | judge (median) | linfa dense (median) | linfa dense / ours |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ours:
        a = median_ns("score_both_models", f"commentguard/{name}")
        j = median_ns("score_both_models", f"commentguard_judge/{name}")
        b = median_ns("score_both_models", f"linfa_dense_baseline/{name}")
        lines.append(f"| {name} | {fmt(a)} | {1e9 / a:,.0f} | {fmt(j)} | {fmt(b)} | {b / a:.1f}× |")
    if (group / "commentguard_judge" / german / "new").is_dir():
        g = median_ns("score_both_models", f"commentguard_judge/{german}")
        lines.append(f"| {german}, another language | – | – | {fmt(g)} | – | – |")
    load = median_ns("load_models", "both models")
    lines += ["", f"Loading both models (`Classifier::load`, median): {fmt(load)}.", ""]
    section = "\n".join(lines)
    print(section)
    if args.write:
        write_section(args.write, "scoring", section)

if __name__ == "__main__":
    main()
