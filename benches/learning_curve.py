#!/usr/bin/env python3
"""Does a site's moderators' labelling visibly teach the abuse model?

The base corpus is nobody's traffic; a site's decisions are. This script replays the
Fox News comments (``training-data/fox_news.csv``, 5 article threads) as if they were
one news site's moderator decisions, arriving thread by thread:

for K = 0..4 and each decision weight W:
  * train the abuse model on the base corpora *without* Fox News plus the labels of the
    first K threads, passed exactly as moderator decisions are
    (``commentguard train --decisions FILE --decision-weight W``, the format
    ``commentguard export-decisions`` writes, source ``decisions:<site>``);
  * score the threads not used (K+1..5) with ``commentguard evaluate`` and report F1,
    ROC AUC, recall and the share of good comments held.

Usage: python3 benches/learning_curve.py [--bin target/release/commentguard]
                                         [--weights 1,3,10] [--write BENCHMARKS.md]
Everything is deterministic except the run time.
"""
import argparse
import csv
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reporting import write_section

ROOT = Path(__file__).resolve().parent.parent
BASE_FILES = ["tubespam.csv", "davidson.csv", "wikipedia.csv", "civil_comments.csv"]


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def write_rows(path, fields, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"command failed: {' '.join(map(str, cmd))}\n{out.stderr}")
    return out.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "target/release/commentguard"))
    ap.add_argument("--data", default=str(ROOT / "training-data"))
    ap.add_argument("--weights", default="1,3,10")
    ap.add_argument("--write", help="replace the learning-curve section of this file")
    args = ap.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    data = Path(args.data)
    started = time.time()

    fields, fox = read_rows(data / "fox_news.csv")
    threads = []  # in order of first appearance in the file
    for r in fox:
        if r["group"] not in threads:
            threads.append(r["group"])

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        binary = tmp / "commentguard"
        shutil.copy2(args.bin, binary)
        base = tmp / "base"
        base.mkdir()
        for name in BASE_FILES:
            shutil.copy2(data / name, base / name)
        results = []
        for k in range(len(threads)):
            used, unused = threads[:k], threads[k:]
            decisions = [dict(r, source="decisions:foxnews") for r in fox if r["group"] in used]
            test = [r for r in fox if r["group"] in unused]
            test_csv = tmp / f"test-{k}.csv"
            write_rows(test_csv, fields, test)
            for w in weights if k > 0 else weights[:1]:
                out = tmp / f"m-{k}-{w}"
                out.mkdir()
                shutil.copy2(ROOT / "models/spam.json", out / "spam.json")
                cmd = [binary, "train", "--task", "abuse", "--validation-percent", "0",
                       "--data", base, "--out", out]
                if decisions:
                    dec_csv = tmp / f"decisions-{k}.csv"
                    write_rows(dec_csv, fields, decisions)
                    cmd += ["--decisions", dec_csv, "--decision-weight", str(w),
                            "--compare-with", tmp / "none"]
                run(cmd)
                ev = json.loads(run([binary, "evaluate", "--input", test_csv, "--models", out, "--json"]))
                a = ev["abuse"]
                held_good = a["fp"] / max(1, a["fp"] + a["tn"])
                results.append((k, w if k > 0 else None, len(decisions), a, held_good))
                print(f"K={k} W={w if k else '-'} decisions={len(decisions)} test={a['support']} "
                      f"F1={a['f1']:.3f} AUC={a['roc_auc']:.3f} recall={a['recall']:.3f} "
                      f"good held={held_good:.1%}", file=sys.stderr, flush=True)

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    lines = [
        "## Learning from moderators: the Fox News threads as one site's decisions",
        "",
        f"Command: `python3 benches/learning_curve.py --weights {args.weights}"
        + (f" --write {args.write}`" if args.write else "`")
        + f"  ",
        f"Commit `{commit}`, {datetime.date.today().isoformat()}, nproc {os.cpu_count()}, "
        f"run time {time.time() - started:.0f} s.",
        "",
        "Abuse model trained on the base corpora without Fox News plus the labels of the first K "
        "threads, given as moderator decisions (`train --decisions`, weight W on top of source "
        "balancing); scored on the threads not used, at the model's own hold threshold. "
        "Thread order: " + ", ".join(f"`{t}`" for t in threads) + ".",
        "",
        "| K threads labelled | decision weight | decisions | test rows | F1 | ROC AUC | recall | good comments held |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k, w, n, a, held in results:
        lines.append(f"| {k} | {'-' if w is None else f'{w:g}'} | {n} | {a['support']} | {a['f1']:.3f} | "
                     f"{a['roc_auc']:.3f} | {a['recall']:.3f} | {held:.1%} |")
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        write_section(args.write, "learning-curve", section)

if __name__ == "__main__":
    main()
