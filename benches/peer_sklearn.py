#!/usr/bin/env python3
"""Scoring speed, ours vs scikit-learn, on the same validation comments (issue 5).

A fixed sample of real comments (default 2,000, chosen by sha256 of a seed + the text, so
the same rows every run) is scored by both models (spam and abuse) three ways, in one run,
interleaved round by round so a change in machine load hits all three alike:

  ours            `commentguard evaluate --input SAMPLE.csv --json` (--ours-passes runs per
                  round, as one pass takes only ~20 ms): its comments_per_second
                  is the sample size over the time of scoring every comment with both models,
                  one comment at a time (tokenize + vectorize + both models), model load and
                  CSV parsing excluded.
  sklearn single  scikit-learn MultinomialNB on a CountVectorizer, one comment at a time as a
                  service would: per comment and model, vectorizer.transform([text]) +
                  predict_proba.
  sklearn batch   the same models, the whole sample at once: transform(texts) +
                  predict_proba per model (the vectorised path).

sklearn's two models are trained on every labelled row of training-data/*.csv except the
sample (training is not timed). BLAS/OpenMP are held to one thread, as ours scores on one.
Comments/s are medians over --rounds rounds.

    python3 benches/peer_sklearn.py                       # print the section
    python3 benches/peer_sklearn.py --write BENCHMARKS.md # and put it between the peer markers
    python3 benches/peer_sklearn.py --criterion           # also run `cargo bench --bench scoring`

Needs scikit-learn (pinned in benches/requirements.txt; installed with pip when missing) and a
release build (`cargo build --release`, or --build).
"""

import os

# One thread for numpy/scipy, like ours (before numpy is imported).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import csv
import datetime
import hashlib
import importlib.util
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reporting import write_section

ROOT = Path(__file__).resolve().parent.parent
TASKS = ("spam", "abuse")
csv.field_size_limit(sys.maxsize)


def ensure_sklearn():
    if importlib.util.find_spec("sklearn") is None:
        print("[peer] installing benches/requirements.txt (pip)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r",
                        str(ROOT / "benches" / "requirements.txt")], check=True, timeout=1800)


def read_corpus(data_dir):
    rows = []
    for path in sorted(Path(data_dir).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def sample(rows, count, seed):
    """`count` rows with distinct, non-blank texts, lowest sha256(seed + text) first."""
    keyed, seen = [], set()
    for r in rows:
        t = r["text"]
        if not t.strip() or t in seen:
            continue
        seen.add(t)
        keyed.append((hashlib.sha256((seed + "\n" + t).encode("utf-8")).hexdigest(), r))
    keyed.sort(key=lambda kr: kr[0])
    if len(keyed) < count:
        sys.exit(f"peer_sklearn: only {len(keyed)} distinct texts, --count {count} asked")
    return [r for _, r in keyed[:count]]


def write_sample(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["text", "spam", "abuse", "source", "group"])
        for r in rows:
            w.writerow([r["text"], r.get("spam", ""), r.get("abuse", ""),
                        r.get("source", ""), r.get("group", "")])


def train_sklearn(train_rows):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    models = []
    for task in TASKS:
        picked = [(r["text"], int(r[task])) for r in train_rows if (r.get(task) or "") in ("0", "1")]
        vectorizer = CountVectorizer()
        x = vectorizer.fit_transform([t for t, _ in picked])
        model = MultinomialNB().fit(x, [y for _, y in picked])
        models.append((task, vectorizer, model, list(model.classes_).index(1), len(picked)))
    return models


def time_single(models, texts):
    start = time.perf_counter()
    for text in texts:
        for _, vectorizer, model, positive, _ in models:
            model.predict_proba(vectorizer.transform([text]))[0, positive]
    return len(texts) / (time.perf_counter() - start)


def time_batch(models, texts):
    start = time.perf_counter()
    for _, vectorizer, model, positive, _ in models:
        model.predict_proba(vectorizer.transform(texts))[:, positive]
    return len(texts) / (time.perf_counter() - start)


def time_ours(binary, models_dir, sample_csv, expected):
    out = subprocess.run([str(binary), "evaluate", "--input", str(sample_csv), "--models",
                          str(models_dir), "--json"], check=True, capture_output=True,
                         text=True, timeout=600)
    result = json.loads(out.stdout)
    scored = sum((result.get(t) or {}).get("support", 0) for t in TASKS)
    if scored != expected:
        sys.exit(f"peer_sklearn: ours reported {scored} labelled rows, the sample has {expected}")
    return result["comments_per_second"]


def criterion_medians(since):
    """Median time (ns) of each criterion benchmark written since `since` (epoch seconds)."""
    found = {}
    for est in sorted((ROOT / "target" / "criterion").glob("**/new/estimates.json")):
        if est.stat().st_mtime < since:
            continue
        meta = est.parent / "benchmark.json"
        name = json.loads(meta.read_text())["full_id"] if meta.exists() else str(est.parent.parent)
        found[name] = json.loads(est.read_text())["median"]["point_estimate"]
    return found


def git(*args):
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def fmt(x):
    return f"{x:,.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "release" / "commentguard")
    ap.add_argument("--models", type=Path, default=ROOT / "models")
    ap.add_argument("--data", type=Path, default=ROOT / "training-data")
    ap.add_argument("--count", type=int, default=2000, help="validation comments (default 2000)")
    ap.add_argument("--seed", default="commentguard-peer-1")
    ap.add_argument("--rounds", type=int, default=7, help="rounds; medians are shown (default 7)")
    ap.add_argument("--ours-passes", type=int, default=5,
                    help="evaluate runs of ours per round: one pass is only ~20 ms (default 5)")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--criterion", action="store_true",
                    help="also run `cargo bench --bench scoring` and list its medians")
    ap.add_argument("--write", type=Path, metavar="FILE",
                    help="put the section between <!-- peer:begin --> and <!-- peer:end --> in FILE")
    args = ap.parse_args()
    if args.count < 1 or args.rounds < 1 or args.ours_passes < 1:
        ap.error("--count, --rounds and --ours-passes must be at least 1")
    command = "python3 benches/peer_sklearn.py" + "".join(f" {a}" for a in sys.argv[1:])

    ensure_sklearn()
    import numpy
    import scipy
    import sklearn

    if args.build:
        subprocess.run(["cargo", "build", "--release", "--bin", "commentguard"], cwd=ROOT,
                       check=True, timeout=3600)
    if not args.bin.exists():
        sys.exit(f"peer_sklearn: {args.bin} missing (cargo build --release, or --build)")

    rows = read_corpus(args.data)
    chosen = sample(rows, args.count, args.seed)
    chosen_texts = {r["text"] for r in chosen}
    train_rows = [r for r in rows if r["text"] not in chosen_texts]
    texts = [r["text"] for r in chosen]
    lengths = sorted(len(t) for t in texts)
    by_source = {}
    for r in chosen:
        by_source[r.get("source", "")] = by_source.get(r.get("source", ""), 0) + 1

    print(f"[peer] training sklearn on {len(train_rows):,} rows (sample excluded)", file=sys.stderr)
    models = train_sklearn(train_rows)

    ours, single, batch = [], [], []
    with tempfile.TemporaryDirectory(prefix="commentguard-peer.") as tmp:
        sample_csv = Path(tmp) / "sample.csv"
        write_sample(sample_csv, chosen)
        # One untimed pass each first (page cache, imports, allocator).
        time_ours(args.bin, args.models, sample_csv, len(chosen))
        time_single(models, texts[:50])
        time_batch(models, texts)
        for i in range(args.rounds):
            for _ in range(args.ours_passes):
                ours.append(time_ours(args.bin, args.models, sample_csv, len(chosen)))
            single.append(time_single(models, texts))
            batch.append(time_batch(models, texts))
            print(f"[peer] round {i + 1}/{args.rounds}: ours "
                  f"{fmt(statistics.median(ours[-args.ours_passes:]))}, sklearn single "
                  f"{fmt(single[-1])}, sklearn batch {fmt(batch[-1])} comments/s", file=sys.stderr)

    criterion = {}
    if args.criterion:
        started = time.time()
        print("[peer] cargo bench --bench scoring", file=sys.stderr)
        subprocess.run(["cargo", "bench", "--bench", "scoring", "--", "--noplot"], cwd=ROOT,
                       check=True, timeout=3600, stdout=sys.stderr)
        criterion = criterion_medians(started)

    m_ours, m_single, m_batch = (statistics.median(v) for v in (ours, single, batch))
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (plus uncommitted changes in the working tree)"
    cpu = sorted({l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                  if l.startswith("model name")}) if Path("/proc/cpuinfo").exists() else []
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []

    lines = []
    w = lines.append
    w("## Scoring speed: ours vs scikit-learn on the same comments")
    w("")
    w(f"Command: `{command}`  ")
    w(f"Commit `{commit}`, {datetime.date.today().isoformat()}, nproc {os.cpu_count()}, "
      f"CPU {'; '.join(cpu) or 'unknown'}, load average {' '.join(load) or 'unknown'} at the end.  ")
    w(f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, numpy "
      f"{numpy.__version__}, scipy {scipy.__version__} (one BLAS/OpenMP thread).")
    w("")
    w(f"Sample: {len(chosen):,} distinct comments from `training-data/*.csv`, the lowest "
      f"sha256(`{args.seed}` + text); median {statistics.median(lengths):.0f} characters, p90 "
      f"{lengths[len(lengths) * 9 // 10]}, longest {lengths[-1]}; by source: "
      + ", ".join(f"{k} {v}" for k, v in sorted(by_source.items())) + ". "
      f"sklearn's models (`CountVectorizer()` + `MultinomialNB()`, defaults, one per task) are "
      f"trained on the other labelled rows: "
      + ", ".join(f"{task} {n:,}" for task, _, _, _, n in models) + ". "
      "Every figure scores **both** models per comment. Ours: `commentguard evaluate --json` "
      "(`comments_per_second`: one comment at a time, model load excluded) with `models/`. "
      "sklearn one at a time: `transform([text])` + `predict_proba` per comment and model. "
      "sklearn batch: `transform(texts)` + `predict_proba` over the whole sample per model. "
      f"{args.rounds} interleaved rounds after one untimed pass of each; a round runs ours "
      f"{args.ours_passes} times (one timed pass of ours is only ~{1e3 * len(chosen) / statistics.median(ours):.0f} ms) "
      "and each sklearn path once. Medians over all timed passes.")
    w("")
    w("| scorer | comments/s (median) | µs per comment | each timed pass (comments/s) | ours / this |")
    w("|---|---:|---:|---|---:|")
    for name, med, runs in [("ours (`commentguard evaluate`, one at a time)", m_ours, ours),
                            ("sklearn one at a time", m_single, single),
                            ("sklearn batch (vectorised)", m_batch, batch)]:
        ratio = "" if runs is ours else f"{m_ours / med:.2f}×"
        w(f"| {name} | {fmt(med)} | {1e6 / med:.1f} | {', '.join(fmt(x) for x in runs)} | {ratio} |")
    w("")
    w(f"ours / sklearn one at a time: **{m_ours / m_single:.1f}×**; ours / sklearn batch: "
      f"**{m_ours / m_batch:.2f}×** (ratios of the medians).")
    w("")
    if criterion:
        w("Per-comment latency from criterion (`cargo bench --bench scoring`, median of its samples):")
        w("")
        w("| benchmark | median |")
        w("|---|---:|")
        for name, ns in sorted(criterion.items()):
            shown = f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.2f} µs"
            w(f"| {name} | {shown} |")
        w("")
    else:
        w("Per-comment latency for a short, a median-length and a long corpus comment (and model "
          "load) is measured by criterion: `cargo bench --bench scoring` (or this script with "
          "`--criterion`, which lists its medians here).")
        w("")
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        write_section(args.write, "peer", section)
        print(f"[peer] wrote the section to {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
