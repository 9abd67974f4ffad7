#!/usr/bin/env python3
"""Peer baseline for commentguard: scikit-learn MultinomialNB() on CountVectorizer(), defaults.

Trains one model per task (spam, abuse) on canonical corpus CSVs (`text,spam,abuse,source,group`,
see training-data/README.md) and scores a canonical test CSV at predict() (probability 0.5).
For each task, only rows labelled for that task (`1` or `0`; empty = unlabelled) are used.

    python3 benches/sklearn_baseline.py --train training-data --test training-data/fox_news.csv
    python3 benches/sklearn_baseline.py --train a.csv b_dir/ --test held.csv --json

--json prints exactly one JSON object:
    {"spam": {support, precision, recall, f1, accuracy, roc_auc, tp, fp, tn, fn} | null,
     "abuse": {...} | null, "comments_per_second": x}
A task is null when the test file has no rows labelled for it, or the training rows lack one of
the two classes. roc_auc is null when the test rows hold one class only. comments_per_second is
the number of test rows scored (summed over both tasks) divided by the wall time of vectorising
them and running predict_proba over them (training excluded).

Both estimators are deterministic, so the results depend only on the input files.
"""

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import confusion_matrix, roc_auc_score
from sklearn.naive_bayes import MultinomialNB

TASKS = ("spam", "abuse")
csv.field_size_limit(sys.maxsize)


def csv_files(paths):
    """Expand each argument: a directory stands for every *.csv directly in it (sorted)."""
    for p in map(Path, paths):
        yield from sorted(p.glob("*.csv")) if p.is_dir() else [p]


def read_rows(paths):
    rows = []
    for path in csv_files(paths):
        with path.open(encoding="utf-8", newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def labelled(rows, task):
    """(texts, labels) of the rows labelled 0/1 for this task."""
    picked = [(r["text"], int(r[task])) for r in rows if (r.get(task) or "") in ("0", "1")]
    return [t for t, _ in picked], [y for _, y in picked]


def evaluate(train_rows, test_rows, task):
    """Train and score one task. Returns (metrics or None, rows scored, seconds spent scoring)."""
    x_train, y_train = labelled(train_rows, task)
    x_test, y_test = labelled(test_rows, task)
    if not x_test or len(set(y_train)) < 2:
        return None, 0, 0.0

    vectorizer = CountVectorizer()
    model = MultinomialNB().fit(vectorizer.fit_transform(x_train), y_train)

    start = time.perf_counter()
    x = vectorizer.transform(x_test)
    proba = model.predict_proba(x)[:, list(model.classes_).index(1)]
    seconds = time.perf_counter() - start

    # predict() = the more probable class, i.e. the 0.5 threshold (outside the timed part).
    predicted = model.predict(x)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y_test, predicted, labels=[0, 1]).ravel())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    metrics = {
        "support": len(y_test),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": (tp + tn) / len(y_test),
        "roc_auc": float(roc_auc_score(y_test, proba)) if len(set(y_test)) == 2 else None,
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
    }
    return metrics, len(y_test), seconds


def main():
    ap = argparse.ArgumentParser(description="MultinomialNB + CountVectorizer peer baseline.")
    ap.add_argument("--train", nargs="+", required=True, metavar="FILE_OR_DIR",
                    help="canonical CSV files, or folders whose *.csv files are all used")
    ap.add_argument("--test", required=True, metavar="FILE.csv", help="canonical CSV to score")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    train_rows, test_rows = read_rows(args.train), read_rows([args.test])
    result, scored, seconds = {}, 0, 0.0
    for task in TASKS:
        result[task], n, s = evaluate(train_rows, test_rows, task)
        scored, seconds = scored + n, seconds + s
    result["comments_per_second"] = scored / seconds if seconds > 0 else None

    if args.json:
        print(json.dumps(result))
        return
    cols = ("support", "precision", "recall", "f1", "accuracy", "roc_auc", "tp", "fp", "tn", "fn")
    print(f"{'task':<6}" + "".join(f"{c:>10}" for c in cols))
    for task in TASKS:
        m = result[task]
        if m is None:
            print(f"{task:<6}{'(no labelled test rows, or train rows lack a class)':>50}")
            continue
        cells = [("-" if m[c] is None else f"{m[c]:.4f}" if isinstance(m[c], float) else str(m[c]))
                 for c in cols]
        print(f"{task:<6}" + "".join(f"{v:>10}" for v in cells))
    cps = result["comments_per_second"]
    print(f"comments/second (vectorize + predict_proba): {cps:,.0f}" if cps else
          "comments/second: n/a (nothing scored)")


if __name__ == "__main__":
    main()
