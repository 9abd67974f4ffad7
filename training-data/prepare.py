#!/usr/bin/env python3
"""Build commentguard's canonical training corpus from the shared, labelled datasets.

Reads the public datasets in ``shared/datasets/`` (beside the repository root, or ``--shared DIR``)
and writes one canonical CSV per dataset family into ``training-data/``:

    tubespam.csv  davidson.csv  wikipedia.csv  civil_comments.csv  fox_news.csv

Canonical format (read by the Rust CLI): RFC 4180 CSV, UTF-8, "\\n" line ends, header
``text,spam,abuse,source,group``. ``spam``/``abuse`` are ``1``, ``0`` or empty (= not labelled for
that task). ``text`` is copied verbatim from the source: no HTML unescaping, no tag stripping, no
case folding. Rows whose text is empty or whitespace-only are dropped; within a file, exact
duplicate texts are dropped (the first copy is kept; if copies disagree on the label, every copy is
dropped). Wikipedia data is additionally de-duplicated across its four sources by normalised text.

It also copies every dataset's PROVENANCE.md verbatim to ``training-data/provenance/`` and rewrites
the generated section of ``training-data/README.md`` (between ``<!-- counts:begin -->`` and
``<!-- counts:end -->``) with the row counts it prints.

Deterministic: inputs are read in a fixed order, rows keep their source order, and nothing depends
on time, randomness or hash ordering, so two runs give byte-identical files.

Standard library only.  Usage (from the repository root):  python3 training-data/prepare.py
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent  # training-data/
REPO_ROOT = HERE.parent
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "datasets"

HEADER = ["text", "spam", "abuse", "source", "group"]
COUNTS_BEGIN = "<!-- counts:begin -->"
COUNTS_END = "<!-- counts:end -->"

# The five TubeSpam files, in the UCI numbering order, with the group name of each video.
TUBESPAM_FILES = [
    ("Youtube01-Psy.csv", "psy"),
    ("Youtube02-KatyPerry.csv", "katyperry"),
    ("Youtube03-LMFAO.csv", "lmfao"),
    ("Youtube04-Eminem.csv", "eminem"),
    ("Youtube05-Shakira.csv", "shakira"),
]

csv.field_size_limit(sys.maxsize)  # some comments are long


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

@dataclass
class Row:
    text: str
    spam: str  # "1", "0" or ""
    abuse: str  # "1", "0" or ""
    source: str
    group: str

    def label(self) -> tuple[str, str]:
        return (self.spam, self.abuse)


@dataclass
class Report:
    """What happened to one output file: rows read, rows dropped and why, rows written."""

    name: str
    read: Counter = field(default_factory=Counter)  # rows read, per group
    dropped: Counter = field(default_factory=Counter)  # reason -> rows dropped
    notes: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)  # the rows written


def read_csv(path: Path, required: list[str]) -> list[dict[str, str]]:
    """Read a CSV with the csv module (handles quoted commas/newlines); strip a UTF-8 BOM."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{path}: missing columns {missing} (has {reader.fieldnames})")
        return list(reader)


def is_blank(text: str) -> bool:
    """Empty or whitespace-only. U+FEFF (a stray BOM that YouTube appends) counts as blank too."""
    return not text.replace("\ufeff", "").strip()


def normalise(text: str) -> str:
    """Key for near-duplicate detection: NFKC, casefold, collapse whitespace, strip."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def binary(value: str, path: Path) -> str:
    """Check that a label is exactly "0" or "1"."""
    if value not in ("0", "1"):
        raise SystemExit(f"{path}: unexpected label {value!r}")
    return value


def where(keeper: Row, dropped: Row) -> str:
    """Describe a duplicate for the drop report: same group as the kept copy, or which one."""
    if keeper.group == dropped.group:
        return f"within {dropped.group}"
    return f"{dropped.group} (first copy in {keeper.group})"


def drop_blank_and_duplicates(rep: Report, rows: list[Row]) -> list[Row]:
    """Apply the canonical row rules: drop blank texts, then exact duplicate texts.

    The first copy of a duplicated text is kept; if its copies disagree on the label, all copies
    are dropped (the text cannot be labelled consistently).
    """
    kept = []
    for r in rows:
        if is_blank(r.text):
            rep.dropped["empty or whitespace-only text"] += 1
        else:
            kept.append(r)
    labels: dict[str, set] = defaultdict(set)
    for r in kept:
        labels[r.text].add(r.label())
    conflicting = {t for t, ls in labels.items() if len(ls) > 1}
    first: dict[str, Row] = {}
    out = []
    for r in kept:
        if r.text in conflicting:
            rep.dropped[f"exact duplicate text, conflicting labels (every copy): {r.group}"] += 1
        elif r.text in first:
            rep.dropped["exact duplicate text: " + where(first[r.text], r)] += 1
        else:
            first[r.text] = r
            out.append(r)
    if conflicting:
        rep.notes.append(f"{len(conflicting)} texts had copies with different labels")
    return out


# --------------------------------------------------------------------------------------------
# One builder per dataset family
# --------------------------------------------------------------------------------------------

def build_tubespam(shared: Path) -> Report:
    rep = Report("tubespam.csv")
    rows = []
    for filename, group in TUBESPAM_FILES:
        path = shared / "tubespam" / filename
        for rec in read_csv(path, ["CONTENT", "CLASS"]):
            rows.append(Row(rec["CONTENT"], binary(rec["CLASS"], path), "", "tubespam", group))
            rep.read[group] += 1
    rep.rows = drop_blank_and_duplicates(rep, rows)
    return rep


def build_davidson(shared: Path) -> Report:
    rep = Report("davidson.csv")
    path = shared / "davidson_hate_offensive" / "labeled_data_shared75.csv"
    rows = []
    for rec in read_csv(path, ["class", "tweet"]):
        if rec["class"] not in ("0", "1", "2"):
            raise SystemExit(f"{path}: unexpected class {rec['class']!r}")
        # 0 = hate speech, 1 = offensive language -> abusive; 2 = neither -> not abusive.
        abuse = "1" if rec["class"] in ("0", "1") else "0"
        rows.append(Row(rec["tweet"], "", abuse, "davidson", "davidson"))
        rep.read["davidson"] += 1
    rep.rows = drop_blank_and_duplicates(rep, rows)
    return rep


def build_wikipedia(shared: Path) -> Report:
    rep = Report("wikipedia.csv")
    # (group, path, text column, label function); the order is the de-duplication priority.
    sources = [
        ("cat_large_gn", shared / "wikipedia_talk_cat_large" / "gn.csv", "text",
         lambda r, p: binary(r["label"], p)),
        # gc.csv also has the parent comment; only the comment itself (`text`) is used.
        ("cat_large_gc", shared / "wikipedia_talk_cat_large" / "gc.csv", "text",
         lambda r, p: binary(r["label"], p)),
        # label_oc = out-of-context majority, which matches gn.csv (raters saw no parent).
        ("cat_small", shared / "wiki_cat_small" / "cat_small.csv", "text",
         lambda r, p: binary(r["label_oc"], p)),
        ("toxicity_nonfuzzed",
         shared / "wiki_toxicity_nonfuzzed_testset" / "toxicity_nonfuzzed_testset.csv", "comment",
         lambda r, p: {"True": "1", "False": "0"}[r["toxic"]]),
    ]
    rows = []
    token_fixes = 0
    for group, path, text_col, label_of in sources:
        for rec in read_csv(path, [text_col]):
            text = rec[text_col]
            # The Wikipedia Talk Labels release encodes line breaks/tabs as these tokens. Undo that
            # artefact if it is present (it is not in the current files; the count is reported).
            if "NEWLINE_TOKEN" in text or "TAB_TOKEN" in text:
                token_fixes += 1
                text = text.replace("NEWLINE_TOKEN", "\n").replace("TAB_TOKEN", "\t")
            rows.append(Row(text, "", label_of(rec, path), "wikipedia", group))
            rep.read[group] += 1
    rep.notes.append(f"NEWLINE_TOKEN/TAB_TOKEN replaced in {token_fixes} texts")

    rows = drop_blank_and_duplicates(rep, rows)

    # The four sets overlap a little: keep only the first row for each normalised text, in the
    # priority order above. Count removals by (kept group, removed group) and label agreement.
    first: dict[str, Row] = {}
    out = []
    for r in rows:
        key = normalise(r.text)
        if key in first:
            agree = "same label" if first[key].abuse == r.abuse else "different label"
            rep.dropped[f"normalised-text duplicate: {where(first[key], r)}, {agree}"] += 1
        else:
            first[key] = r
            out.append(r)
    rep.rows = out
    return rep


def build_civil_comments(shared: Path) -> Report:
    rep = Report("civil_comments.csv")
    folder = shared / "civil_comments_toxic_spans"
    comments = read_csv(folder / "comments.csv", ["comment_id", "comment_text"])
    annotations = read_csv(folder / "annotations.csv", ["comment_id", "not toxic"])

    # Per post: how many span-annotation rows ticked "not toxic" (encoded as "True"/"False").
    votes: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # id -> [not-toxic ticks, rows]
    for a in annotations:
        flag = a["not toxic"]
        if flag not in ("True", "False"):
            raise SystemExit(f"annotations.csv: unexpected 'not toxic' value {flag!r}")
        votes[a["comment_id"]][0] += flag == "True"
        votes[a["comment_id"]][1] += 1

    rows = []
    ties = 0
    for c in comments:
        rep.read["civil_comments"] += 1
        ticks, total = votes.get(c["comment_id"], (0, 0))
        if total == 0:
            rep.dropped["no span annotations"] += 1
            continue
        if 2 * ticks > total:
            # A strict majority of span raters said "not actually toxic": borderline, so it is
            # neither a confident positive nor a clean negative. Leave it out.
            rep.dropped["strict majority of span raters ticked 'not toxic'"] += 1
            continue
        ties += 2 * ticks == total
        rows.append(Row(c["comment_text"], "", "1", "civil_comments", "civil_comments"))
    rep.notes.append(f"{ties} kept posts had an exact tie of 'not toxic' ticks (not a strict majority)")
    rep.rows = drop_blank_and_duplicates(rep, rows)
    return rep


def thread_slug(title: str) -> str:
    """Short stable group name for an article: its first 5 words, lowercased, joined by '-'."""
    words = re.findall(r"[0-9a-z]+", unicodedata.normalize("NFKC", title).casefold())
    return "-".join(words[:5])


def build_fox_news(shared: Path) -> Report:
    rep = Report("fox_news.csv")
    path = shared / "fox_news_comments" / "fox-news-comments-shared50.jsonl"

    def reject_constant(name: str):  # NaN/Infinity are not JSON; the file has none
        raise ValueError(f"non-standard JSON constant {name}")

    rows = []
    slugs: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line, parse_constant=reject_constant)
            except ValueError as e:
                raise SystemExit(f"{path}:{lineno}: not strict JSON: {e}")
            if rec["label"] not in (0, 1):
                raise SystemExit(f"{path}:{lineno}: unexpected label {rec['label']!r}")
            slug = slugs.setdefault(rec["title"], thread_slug(rec["title"]))
            rows.append(Row(rec["text"], "", str(rec["label"]), "fox_news", slug))
            rep.read[slug] += 1
    if len(set(slugs.values())) != len(slugs):
        raise SystemExit(f"{path}: two article titles map to the same thread slug: {slugs}")
    rep.rows = drop_blank_and_duplicates(rep, rows)
    return rep


BUILDERS = [build_tubespam, build_davidson, build_wikipedia, build_civil_comments, build_fox_news]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def write_corpus(path: Path, rows: list[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(HEADER)
        for r in rows:
            w.writerow([r.text, r.spam, r.abuse, r.source, r.group])


def copy_provenance(shared: Path, out_dir: Path) -> list[str]:
    out_dir.mkdir(exist_ok=True)
    copied = []
    for prov in sorted(shared.glob("*/PROVENANCE.md")):
        (out_dir / f"{prov.parent.name}.md").write_bytes(prov.read_bytes())
        copied.append(prov.parent.name)
    return copied


def fmt(n: int) -> str:
    return f"{n:,}"


def pos_neg(rows: list[Row], task: str) -> str:
    c = Counter(getattr(r, task) for r in rows)
    return f"{fmt(c['1'])} / {fmt(c['0'])}" if c["1"] or c["0"] else "–"


def counts_markdown(reports: list[Report]) -> str:
    """The generated README section: totals, per-group counts, and every drop with its reason."""
    lines = ["| file | rows | spam 1 / 0 | abuse 1 / 0 |", "|---|---:|---:|---:|"]
    for rep in reports:
        lines.append(f"| `{rep.name}` | {fmt(len(rep.rows))} | {pos_neg(rep.rows, 'spam')} "
                     f"| {pos_neg(rep.rows, 'abuse')} |")
    total = [r for rep in reports for r in rep.rows]
    lines.append(f"| **total** | **{fmt(len(total))}** | {pos_neg(total, 'spam')} "
                 f"| {pos_neg(total, 'abuse')} |")

    lines += ["", "Per group (the `group` column; rows read from the source → rows written):", "",
              "| file | group | read | written | spam 1 / 0 | abuse 1 / 0 |",
              "|---|---|---:|---:|---:|---:|"]
    for rep in reports:
        for group, n_read in rep.read.items():  # insertion order = source order
            rows = [r for r in rep.rows if r.group == group]
            lines.append(f"| `{rep.name}` | `{group}` | {fmt(n_read)} | {fmt(len(rows))} "
                         f"| {pos_neg(rows, 'spam')} | {pos_neg(rows, 'abuse')} |")

    lines += ["", "Rows dropped:", "", "| file | reason | rows |", "|---|---|---:|"]
    for rep in reports:
        if not rep.dropped:
            lines.append(f"| `{rep.name}` | (none) | 0 |")
        for reason, n in sorted(rep.dropped.items()):
            lines.append(f"| `{rep.name}` | {reason} | {fmt(n)} |")
    notes = [f"- `{rep.name}`: {note}" for rep in reports for note in rep.notes]
    if notes:
        lines += ["", "Notes:", ""] + notes
    return "\n".join(lines)


def update_readme(readme: Path, section: str) -> bool:
    """Replace the text between the counts markers; return False if the markers are missing."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(COUNTS_BEGIN), text.find(COUNTS_END)
    if start < 0 or end < start:
        return False
    new = text[: start + len(COUNTS_BEGIN)] + "\n" + section + "\n" + text[end:]
    if new != text:
        readme.write_text(new, encoding="utf-8", newline="\n")
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help=f"folder holding the shared datasets (default: {DEFAULT_SHARED})")
    ap.add_argument("--out", type=Path, default=HERE,
                    help="folder to write the corpus into (default: this script's folder)")
    args = ap.parse_args()
    shared: Path = args.shared
    if not (shared / "README.md").exists():
        raise SystemExit(f"shared datasets not found at {shared} (use --shared DIR)")

    args.out.mkdir(parents=True, exist_ok=True)
    reports = []
    for build in BUILDERS:
        rep = build(shared)
        write_corpus(args.out / rep.name, rep.rows)
        reports.append(rep)
    copied = copy_provenance(shared, args.out / "provenance")

    # Summary table on stdout.
    print(f"{'file':<20} {'rows':>7} {'spam 1':>7} {'spam 0':>7} {'abuse 1':>8} {'abuse 0':>8}")
    for rep in reports:
        spam, abuse = Counter(r.spam for r in rep.rows), Counter(r.abuse for r in rep.rows)
        print(f"{rep.name:<20} {len(rep.rows):>7} {spam['1']:>7} {spam['0']:>7} "
              f"{abuse['1']:>8} {abuse['0']:>8}")
    for rep in reports:
        for reason, n in sorted(rep.dropped.items()):
            print(f"  {rep.name}: dropped {n} ({reason})")
    print(f"provenance copied: {', '.join(copied)}")

    readme = args.out / "README.md"
    if update_readme(readme, counts_markdown(reports)):
        print(f"updated counts section of {readme}")
    else:
        print(f"warning: {readme} has no {COUNTS_BEGIN} ... {COUNTS_END} section; not updated",
              file=sys.stderr)


if __name__ == "__main__":
    main()
