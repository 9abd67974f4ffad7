#!/usr/bin/env python3
"""Does a site's moderators' labelling visibly teach the abuse model?

The base corpus is nobody's traffic; a site's decisions are. This script replays two
labelled sites as if their labels were one site's moderator decisions, arriving in 5
steps:

* Fox News (``training-data/fox_news.csv``): its 5 article threads, in file order;
* Wikipedia talk (``training-data/wikipedia.csv``, groups ``toxicity_nonfuzzed`` and
  ``cat_small``): 5 deterministic chunks by a hash of the normalised text (each chunk
  is one "article" of the site).

For each site, K = 0..4 and each decision mode (``weight:W``, ``blend:M``):
  * train the abuse model on the base corpora *without any of the site's rows* plus the
    labels of the first K steps, passed exactly as moderator decisions are
    (``commentguard train --decisions FILE --decision-mode weight --decision-weight W``
    or ``--decision-mode blend --blend-strength M``; the format
    ``commentguard export-decisions`` writes, source ``decisions:<site>``, group = the
    thread or chunk);
  * score the steps not used (K+1..5) with ``commentguard evaluate`` and report F1,
    ROC AUC, recall and the share of good comments held, at the model's hold threshold.

What is learnable at all: the in-domain ceiling, scikit-learn on the site's own rows
only, leave one thread/chunk out (each scored by a model trained on the other four),
pooled ROC AUC, for MultinomialNB on CountVectorizer counts (alpha 1) and
LogisticRegression (C 1) on the same counts. Needs scikit-learn
(benches/requirements.txt); without it the ceiling is skipped.

Usage: python3 benches/learning_curve.py [--bin target/release/commentguard]
          [--modes weight:1,blend:300,blend:auto] [--sites fox,wikipedia]
          [--jobs 2] [--write BENCHMARKS.md]
Everything is deterministic except the run time.
"""
import argparse
import concurrent.futures
import csv
import datetime
import hashlib
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
ALL_FILES = ["tubespam.csv", "davidson.csv", "wikipedia.csv", "civil_comments.csv", "fox_news.csv"]
STEPS = 5
WIKIPEDIA_GROUPS = ("toxicity_nonfuzzed", "cat_small")


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


def fox_site(data):
    """Fox News: its threads, in order of first appearance in the file."""
    fields, rows = read_rows(data / "fox_news.csv")
    steps = []
    for r in rows:
        if r["group"] not in steps:
            steps.append(r["group"])
    units = [[r for r in rows if r["group"] == g] for g in steps]
    return {
        "name": "fox",
        "title": "Fox News, its 5 threads in file order",
        "site": "foxnews",
        "fields": fields,
        "excluded_file": "fox_news.csv",
        "steps": steps,
        "units": units,
        "unit_word": "thread",
    }


def wikipedia_site(data):
    """Wikipedia talk (two labelled groups): 5 chunks by a hash of the normalised text."""
    fields, rows = read_rows(data / "wikipedia.csv")
    units = [[] for _ in range(STEPS)]
    for r in rows:
        if r["group"] in WIKIPEDIA_GROUPS:
            key = " ".join(r["text"].casefold().split()).encode("utf-8")
            chunk = int(hashlib.sha256(b"learning-curve-1:" + key).hexdigest(), 16) % STEPS
            units[chunk].append(dict(r, group=f"chunk-{chunk + 1}"))
    return {
        "name": "wikipedia",
        "title": "Wikipedia talk (" + ", ".join(f"`{g}`" for g in WIKIPEDIA_GROUPS)
        + "), 5 chunks by sha256 of the normalised text",
        "site": "wikipedia",
        "fields": fields,
        "excluded_file": "wikipedia.csv",
        "steps": [f"chunk-{i + 1}" for i in range(STEPS)],
        "units": units,
        "unit_word": "chunk",
    }


def ceiling(units):
    """scikit-learn on the site's own rows, leave one unit out: pooled ROC AUC per learner."""
    try:
        import numpy as np
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
        from sklearn.naive_bayes import MultinomialNB
    except ImportError:
        return None
    texts = [r["text"] for u in units for r in u]
    y = np.array([int(r["abuse"]) for u in units for r in u])
    unit_of = np.array([i for i, u in enumerate(units) for _ in u])
    result = {}
    for name, make in [("MultinomialNB", lambda: MultinomialNB(alpha=1.0)),
                       ("LogisticRegression", lambda: LogisticRegression(C=1.0, max_iter=2000))]:
        scores = np.zeros(len(y))
        for i in range(len(units)):
            train, test = unit_of != i, unit_of == i
            vectorizer = CountVectorizer(min_df=1)
            x = vectorizer.fit_transform([t for t, keep in zip(texts, train) if keep])
            model = make().fit(x, y[train])
            x_test = vectorizer.transform([t for t, keep in zip(texts, test) if keep])
            scores[test] = model.predict_proba(x_test)[:, 1]
        result[name] = roc_auc_score(y, scores)
    return result


def parse_modes(text):
    modes = []
    for part in text.split(","):
        kind, _, value = part.partition(":")
        if kind not in ("weight", "blend") or not value or (value == "auto" and kind != "blend"):
            sys.exit(f"--modes: expected weight:W, blend:M or blend:auto, got {part!r}")
        modes.append((kind, value if value == "auto" else float(value)))
    return modes


def mode_label(mode):
    if mode is None:
        return "- (no decisions)"
    kind, value = mode
    if value == "auto":
        return "blend m=auto"
    return f"weight W={value:g}" if kind == "weight" else f"blend m={value:g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "target/release/commentguard"))
    ap.add_argument("--data", default=str(ROOT / "training-data"))
    ap.add_argument("--modes", default="weight:1,blend:300,blend:auto")
    ap.add_argument("--sites", default="fox,wikipedia")
    ap.add_argument("--jobs", type=int, default=1, help="trainings run at once")
    ap.add_argument("--write", help="replace the learning-curve section of this file")
    args = ap.parse_args()
    modes = parse_modes(args.modes)
    data = Path(args.data)
    started = time.time()
    makers = {"fox": fox_site, "wikipedia": wikipedia_site}
    sites = [makers[s](data) for s in args.sites.split(",")]

    results = {}  # site name -> [(k, mode, decisions, report, held_good)]
    ceilings = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        binary = tmp / "commentguard"
        shutil.copy2(args.bin, binary)
        jobs = []
        for site in sites:
            name, fields, units = site["name"], site["fields"], site["units"]
            base = tmp / f"base-{name}"
            base.mkdir()
            for f in ALL_FILES:
                if f != site["excluded_file"]:
                    shutil.copy2(data / f, base / f)
            for k in range(STEPS):
                decisions = [dict(r, source=f"decisions:{site['site']}")
                             for u in units[:k] for r in u]
                test = [r for u in units[k:] for r in u]
                test_csv = tmp / f"test-{name}-{k}.csv"
                write_rows(test_csv, fields, test)
                dec_csv = None
                if decisions:
                    dec_csv = tmp / f"decisions-{name}-{k}.csv"
                    write_rows(dec_csv, fields, decisions)
                for mode in modes if k > 0 else [None]:
                    jobs.append((name, k, mode, base, dec_csv, len(decisions), test_csv))

        def one(job):
            name, k, mode, base, dec_csv, n_decisions, test_csv = job
            out = tmp / f"m-{name}-{k}-{mode_label(mode).replace(' ', '_')}"
            out.mkdir()
            shutil.copy2(ROOT / "models/spam.json", out / "spam.json")
            cmd = [binary, "train", "--task", "abuse", "--validation-percent", "0",
                   "--data", base, "--out", out]
            if dec_csv is not None:
                kind, value = mode
                cmd += ["--decisions", dec_csv, "--compare-with", tmp / "none",
                        "--decision-mode", kind]
                if value != "auto":
                    cmd += ["--decision-weight" if kind == "weight" else "--blend-strength",
                            str(value)]
            report = run(cmd + ["--json"])
            trained = json.loads(report[report.index("{"):])["abuse"]
            # Which held-out scores chose the hold threshold, and whether it reached the
            # hold rule (the budget) on them.
            chosen = ("decisions" if trained["thresholds_chosen_on"].startswith("moderators")
                      else "base corpora")
            threshold = (chosen, "yes" if trained["hold_target_met"] else "no")
            ev = json.loads(run([binary, "evaluate", "--input", test_csv, "--models", out, "--json"]))
            a = ev["abuse"]
            held_good = a["fp"] / max(1, a["fp"] + a["tn"])
            chosen_m = trained.get("blend_strength")
            print(f"{name} K={k} {mode_label(mode)} (m used: {chosen_m}) decisions={n_decisions} test={a['support']} "
                  f"F1={a['f1']:.3f} AUC={a['roc_auc']:.3f} recall={a['recall']:.3f} "
                  f"good held={held_good:.1%} threshold chosen on {threshold[0]}, "
                  f"hold rule met: {threshold[1]}", file=sys.stderr, flush=True)
            return name, (k, mode, n_decisions, a, held_good, threshold)

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(one, job) for job in jobs]
            for site in sites:
                ceilings[site["name"]] = ceiling(site["units"])
                c = ceilings[site["name"]]
                print(f"{site['name']} in-domain ceiling: "
                      + (", ".join(f"{m} {v:.3f}" for m, v in c.items()) if c else "skipped"),
                      file=sys.stderr, flush=True)
            for f in futures:
                name, row = f.result()
                results.setdefault(name, []).append(row)

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    command = (f"python3 benches/learning_curve.py --modes {args.modes} --sites {args.sites}"
               + (f" --jobs {args.jobs}" if args.jobs != 1 else "")
               + (f" --write {args.write}" if args.write else ""))
    lines = [
        "## Learning from moderators: two sites' labels replayed as decisions",
        "",
        f"Command: `{command}`  ",
        f"Commit `{commit}`{' (plus uncommitted changes in src/)' if dirty else ''}, "
        f"{datetime.date.today().isoformat()}, nproc {os.cpu_count()}, "
        f"run time {time.time() - started:.0f} s.",
        "",
        "Abuse model trained on the base corpora *without any of the site's rows* plus the labels "
        "of the site's first K threads/chunks, given as moderator decisions (`train --decisions`); "
        "scored on the threads/chunks not used, at the model's own hold threshold. Modes: "
        "`weight W` = the decisions are one more balanced source, times W "
        "(`--decision-mode weight --decision-weight W`); `blend m` = a per-site naive Bayes on the "
        "decisions whose word distributions are shrunk towards the base model's, the base worth m "
        "decisions per class (`--decision-mode blend --blend-strength m`); `blend m=auto` = m "
        "chosen among 10…3000 by how well the held-out decisions rank (the default). The hold "
        "threshold holds at most 1.5% of ordinary comments (the site's approved decisions, held "
        "out, once there are enough of them). K = 0 is the same model "
        "in every mode. In-domain ceiling: scikit-learn on the site's own rows only, leave one "
        "thread/chunk out, pooled ROC AUC — what bag-of-words can learn from this site at all.",
        "",
    ]
    for site in sites:
        name = site["name"]
        units = site["units"]
        sizes = ", ".join(f"`{s}` {len(u)} ({sum(r['abuse'] == '1' for r in u)} abusive)"
                          for s, u in zip(site["steps"], units))
        lines += [f"### {site['title']}", "", f"{site['unit_word'].capitalize()}s in order: {sizes}.", ""]
        c = ceilings[name]
        if c:
            lines += ["In-domain ceiling (leave one " + site["unit_word"] + " out, "
                      + f"{sum(map(len, units))} rows): ROC AUC "
                      + ", ".join(f"{m} {v:.3f}" for m, v in c.items()) + ".", ""]
        lines += [
            "| mode | K labelled | decisions | test rows | F1 | ROC AUC | recall | good comments held "
            "| hold threshold chosen on | hold budget met there |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        rows = results[name]
        base_row = [r for r in rows if r[1] is None]
        for mode in [None] + modes:
            for k, m, n, a, held, (chosen, met) in sorted((r for r in rows if r[1] == mode),
                                                          key=lambda r: r[0]):
                lines.append(f"| {mode_label(m)} | {k} | {n} | {a['support']} | {a['f1']:.3f} | "
                             f"{a['roc_auc']:.3f} | {a['recall']:.3f} | {held:.1%} | {chosen} | {met} |")
        # The curve per mode at a glance: K = 0 (shared) then each mode's K = 1..4.
        lines += ["", "F1 / good comments held by K:", "",
                  "| mode | " + " | ".join(f"K={k}" for k in range(STEPS)) + " |",
                  "|---|" + "---:|" * STEPS]
        for mode in modes:
            curve = base_row + sorted((r for r in rows if r[1] == mode), key=lambda r: r[0])
            lines.append(f"| {mode_label(mode)} | "
                         + " | ".join(f"{r[3]['f1']:.3f} / {r[4]:.1%}" for r in curve)
                         + " |")
        lines += ["", "ROC AUC by K:", "",
                  "| mode | " + " | ".join(f"K={k}" for k in range(STEPS)) + " |",
                  "|---|" + "---:|" * STEPS]
        for mode in modes:
            curve = base_row + sorted((r for r in rows if r[1] == mode), key=lambda r: r[0])
            lines.append(f"| {mode_label(mode)} | "
                         + " | ".join(f"{r[3]['roc_auc']:.3f}" for r in curve) + " |")
        lines.append("")
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        write_section(args.write, "learning-curve", section)


if __name__ == "__main__":
    main()
