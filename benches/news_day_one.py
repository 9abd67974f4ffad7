#!/usr/bin/env python3
"""News day one: how the service judges comments it has never seen, replayed through the
real API (`POST /api/v1/comments`) with the default configuration.

The issue's final figures are measured on news-site comments and identity sentences we do
not have; this script builds the closest proxies `../shared` allows and measures them the
same way, through a running `commentguard serve`:

* **News** (models N1, N2): trained on `training-data/` without half of the Fox News
  article threads each (alternate threads in name order; the other half stays in training
  as a site's own earlier comments would) and without a deterministic 20% of
  `civil_comments.csv` and `davidson.csv` (sha256 of the text). Replayed: every Fox News
  comment, through the model that did not see its thread (616 ordinary, 200 hateful: the
  only labelled news comments with ordinary ones), and the held-out abusive Civil
  Comments, half through each.
* **Tweets** (model N1): the held-out 20% of Davidson et al., for the in-distribution F1.
* **YouTube** (models V1..V5): both models trained without one TubeSpam video (the spam
  model on `training-data/`, the abuse model on N1's data: it learns from TubeSpam's
  advertisements too); that video's comments replayed.
* **Identity templates** and **look-alike letters** (the shipped models): the templates of
  `src/classifier/bias.rs`, neutral and insulting; and every comment held in the replays
  above, written again with Cyrillic look-alike letters (`src/classifier/lookalike.rs`'s
  substitution), replayed.

"Default configuration" means the defaults of every moderation setting. The replay config
adds only what a replay needs: an API key (so the answers carry the true status, reasons
and scores) and rate limits lifted (every comment is sent with its own `client_ip`). A
comment counts as *held* when its status is not `published` (held or rejected).

Usage: python3 benches/news_day_one.py [--bin target/release/commentguard] [--write BENCHMARKS.md]
                                      [--dump answers.jsonl]
`--dump` writes every replayed comment as one JSON line (set, text, label, the API's answer),
for reading why a comment was held.
Deterministic except the run time (trainings run one after another, ~15 minutes on 2 cores).
"""
import argparse
import concurrent.futures
import csv
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from reporting import cpu_model, write_section

ROOT = Path(__file__).resolve().parent.parent
FILES = ["tubespam.csv", "davidson.csv", "wikipedia.csv", "civil_comments.csv", "fox_news.csv"]
VIDEOS = ["psy", "katyperry", "lmfao", "eminem", "shakira"]
API_KEY = "cg_news_day_one_replay_key"
csv.field_size_limit(sys.maxsize)


def held_out(text):
    """The deterministic 20% of Civil Comments and Davidson kept out of model N."""
    return int(hashlib.sha256(("news-day-one:" + text).encode()).hexdigest(), 16) % 5 == 0


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        return r.fieldnames, list(r)


def write(path, fields, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def run(cmd):
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"command failed: {' '.join(map(str, cmd))}\n{out.stderr}")
    return out.stdout


def rust_source(name):
    """The bias templates and terms, and the look-alike substitution, read from the Rust
    sources so the script measures exactly what `train` reports."""
    return (ROOT / "src/classifier" / name).read_text(encoding="utf-8")


def templates():
    src = rust_source("bias.rs")
    terms_block = src[src.index("pub const TEMPLATE_TERMS"):src.index("];", src.index("pub const TEMPLATE_TERMS"))]
    terms = re.findall(r'"([^"]+)"', terms_block)
    t_block = src[src.index("pub const TEMPLATES"):src.index("];", src.index("pub const TEMPLATES"))]
    sentences = re.findall(r'"((?:[^"\\]|\\.)*)"', t_block)
    pairs = list(zip(sentences[0::2], sentences[1::2]))
    return terms, pairs


def fill(template, term):
    return template.replace("{T}", term[:1].upper() + term[1:]).replace("{t}", term)


def twins():
    src = rust_source("lookalike.rs")
    block = src[src.index("const TWINS"):src.index("];", src.index("const TWINS"))]
    return dict(re.findall(r"\('(.)', '(.)'\)", block))


def disguise(text, table):
    return "".join(table.get(c, c) for c in text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`commentguard serve` on the given models with the replay config."""

    def __init__(self, binary, models, work):
        self.port = free_port()
        digest = hashlib.sha256(API_KEY.encode()).hexdigest()
        config = work / f"replay-{self.port}.toml"
        config.write_text(
            f'bind = "127.0.0.1:{self.port}"\n'
            f'database = "{work}/replay-{self.port}.db"\n'
            f'models = "{models}"\n'
            "[sites.news]\n"
            f'api_key_sha256 = "{digest}"\n'
            "[sites.news.rate_limit]\n"
            "ip_burst = 1000000\nip_per_minute = 1000000\n"
            "email_burst = 1000000\nemail_per_minute = 1000000\n"
            "global_burst = 1000000\nglobal_per_minute = 100000000\n",
            encoding="utf-8",
        )
        env = dict(os.environ, RUST_LOG="warn")
        self.proc = subprocess.Popen([str(binary), "serve", "--config", str(config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("the server did not start")

    def submit(self, i, body, article):
        data = json.dumps({
            "site": "news", "article_id": article, "author_name": f"Reader {i}",
            "body": body, "client_ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
        }).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/comments", data=data, method="POST",
            headers={"content-type": "application/json", "authorization": f"Bearer {API_KEY}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return json.loads(res.read())
        except urllib.error.HTTPError as e:
            answer = json.loads(e.read() or b"{}")
            code = answer.get("error", {}).get("code")
            if code in ("DUPLICATE", "LIKELY_ABUSIVE"):
                return None
            sys.exit(f"HTTP {e.code} for a replayed comment: {answer}")

    def replay(self, texts, article):
        """Answers for `texts`, in order (None for a duplicate of an earlier text)."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            return list(pool.map(lambda it: self.submit(self.offset + it[0], it[1], article),
                                 enumerate(texts)))

    offset = 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def held(answer):
    return answer is not None and answer["status"] != "published"


def held_at(answer, abuse_hold):
    """Whether the comment would be held with the abuse hold threshold at `abuse_hold`
    (a comment held by the abuse model alone is released below it; every other reason
    stands as answered)."""
    if not held(answer):
        return False
    if {r["code"] for r in answer["reasons"]} == {"abuse"}:
        return answer["scores"]["abuse"]["probability"] >= abuse_hold
    return True


def f1(predicted, truth):
    tp = sum(a and b for a, b in zip(predicted, truth))
    precision = tp / max(1, sum(predicted))
    recall = tp / max(1, sum(truth))
    return precision, recall, 2 * precision * recall / max(1e-12, precision + recall)


def share(flags):
    flags = [f for f in flags if f is not None]
    return sum(flags) / len(flags) if flags else float("nan")


def tpr_at_fpr(pos, neg, fpr):
    neg = sorted(neg, reverse=True)
    k = int(fpr * len(neg))
    threshold = neg[k] if k < len(neg) else float("-inf")
    return sum(p > threshold for p in pos) / len(pos)


def auc(pos, neg):
    pairs = sorted([(p, 1) for p in pos] + [(n, 0) for n in neg])
    rank, i, total = 0.0, 0, 0.0
    ranks = [0.0] * len(pairs)
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j + 2) / 2
        i = j + 1
    total = sum(r for r, (_, y) in zip(ranks, pairs) if y)
    return (total - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def reasons_of(answers):
    counts = {}
    for a in answers:
        if a is None:
            continue
        for r in a.get("reasons", []):
            if r["outcome"] != "note":
                counts[r["code"]] = counts.get(r["code"], 0) + 1
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=str(ROOT / "target/release/commentguard"))
    ap.add_argument("--data", default=str(ROOT / "training-data"))
    ap.add_argument("--write", help="replace the news-day-one section of this file")
    ap.add_argument("--dump", help="write every replayed comment and its answer here (JSON lines)")
    args = ap.parse_args()
    data = Path(args.data)
    started = time.time()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    table = twins()
    terms, pairs = templates()
    dump = []

    def record(kind, rows, answers, label):
        dump.extend({"set": kind, "text": r["text"], "label": r[label], "answer": a}
                    for r, a in zip(rows, answers))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        binary = work / "commentguard"
        shutil.copy2(args.bin, binary)

        # Models N1, N2: each without half of the Fox News threads (the other half stays
        # in training, as a site's own past comments would), and without the same 20% of
        # Civil Comments and Davidson.
        replay = {}
        kept = {}
        for name in FILES:
            fields, rows = read(data / name)
            if name in ("civil_comments.csv", "davidson.csv"):
                replay[name] = [r for r in rows if held_out(r["text"])]
                rows = [r for r in rows if not held_out(r["text"])]
            kept[name] = (fields, rows)
        fox_fields, fox_rows = kept["fox_news.csv"]
        threads = sorted({r["group"] for r in fox_rows})
        news_folds = [threads[0::2], threads[1::2]]
        news_models = []
        for i, out_threads in enumerate(news_folds):
            data_n = work / f"data-n{i}"
            for name in FILES:
                fields, rows = kept[name]
                if name == "fox_news.csv":
                    rows = [r for r in rows if r["group"] not in out_threads]
                write(data_n / name, fields, rows)
            models_n = work / f"models-n{i}"
            print(f"training news model {i + 1} (Fox News threads held out: {', '.join(out_threads)})",
                  file=sys.stderr, flush=True)
            run([binary, "train", "--data", data_n, "--out", models_n, "--validation-percent", "0",
                 "--compare-with", work / "none"])
            news_models.append((models_n, [r for r in fox_rows if r["group"] in out_threads]))
        models_n = news_models[0][0]

        # Models V: the spam and abuse models without one video each.
        fields_t, tubespam = read(data / "tubespam.csv")
        video_models = {}
        for video in VIDEOS:
            data_v = work / f"data-{video}"
            data_v.mkdir(parents=True)
            for name in FILES:
                if name != "tubespam.csv":
                    shutil.copy2(data / name, data_v / name)
            write(data_v / "tubespam.csv", fields_t, [r for r in tubespam if r["group"] != video])
            models_v = work / f"models-{video}"
            models_v.mkdir()
            # The abuse model learns from TubeSpam's spam too (advertising is not abuse):
            # model N1's data without this video.
            data_va = work / f"data-abuse-{video}"
            data_va.mkdir()
            for name in FILES:
                if name != "tubespam.csv":
                    shutil.copy2(work / "data-n0" / name, data_va / name)
            write(data_va / "tubespam.csv", fields_t, [r for r in kept["tubespam.csv"][1] if r["group"] != video])
            print(f"training abuse and spam without {video}", file=sys.stderr, flush=True)
            run([binary, "train", "--task", "abuse", "--data", data_va, "--out", models_v,
                 "--validation-percent", "0", "--compare-with", work / "none"])
            run([binary, "train", "--task", "spam", "--data", data_v, "--out", models_v,
                 "--validation-percent", "0", "--compare-with", work / "none"])
            video_models[video] = models_v

        # News through models N1 and N2, tweets through N1.
        fox, fox_answers = [], []
        civil = replay["civil_comments.csv"]
        civil_answers = []
        lookalike_flags = []
        thresholds_n = []
        for i, (models_i, fox_i) in enumerate(news_models):
            server = Server(binary, models_i, work)
            server.offset = i * 1_000_000
            fox += fox_i
            fox_answers += server.replay([r["text"] for r in fox_i], "fox")
            record("fox_news", fox_i, fox_answers[-len(fox_i):], "abuse")
            # Half of the held-out Civil Comments each, so every one is replayed once.
            civil_i = civil[i::2]
            answers = server.replay([r["text"] for r in civil_i], "civil")
            civil_answers += answers
            record("civil_comments", civil_i, answers, "abuse")
            lookalike_pool = [r["text"] for r, a in zip(civil_i, answers) if held(a)]
            server.offset = i * 1_000_000 + 500_000
            disguised = server.replay([disguise(t, table) for t in lookalike_pool], "civil-disguised")
            lookalike_flags += [held(a) for a in disguised if a]
            if i == 0:
                dav = replay["davidson.csv"]
                server.offset = 2_000_000
                dav_answers = server.replay([r["text"] for r in dav], "davidson")
                record("davidson", dav, dav_answers, "abuse")
            thresholds_n.append({t: json.loads((models_i / f"{t}.json").read_text())["thresholds"]
                                 for t in ("spam", "abuse")})
            server.stop()
        civil = civil[0::2] + civil[1::2]
        ordinary = [a for a, r in zip(fox_answers, fox) if r["abuse"] == "0"]
        abusive = [a for a, r in zip(fox_answers, fox) if r["abuse"] == "1"] + civil_answers
        news_held = share([held(a) for a in ordinary if a])
        news_caught = share([held(a) for a in abusive if a])
        p_ord = [a["scores"]["abuse"]["probability"] for a in ordinary if a]
        p_abu = [a["scores"]["abuse"]["probability"] for a in abusive if a]
        ranking5 = tpr_at_fpr(p_abu, p_ord, 0.05)
        news_auc = auc(p_abu, p_ord)
        civil_caught = share([held(a) for a in civil_answers if a])
        fox1_caught = share([held(a) for a, r in zip(fox_answers, fox) if a and r["abuse"] == "1"])
        y = [r["abuse"] == "1" for r, a in zip(dav, dav_answers) if a]
        precision, recall, dav_f1 = f1([held(a) for a in dav_answers if a], y)
        news_lookalike = share(lookalike_flags)
        ordinary_reasons = reasons_of(ordinary)

        # YouTube through models V.
        yt = {}
        yt_reasons_list = []
        yt_holds = []  # the abuse hold threshold of the model V that answered each
        spam_pool = []
        for video, models_v in video_models.items():
            server = Server(binary, models_v, work)
            rows = [r for r in tubespam if r["group"] == video]
            answers = server.replay([r["text"] for r in rows], video)
            record("tubespam/" + video, rows, answers, "spam")
            v_hold = json.loads((models_v / "abuse.json").read_text())["thresholds"]["hold"]
            ham = [held(a) for a, r in zip(answers, rows) if a and r["spam"] == "0"]
            spam = [held(a) for a, r in zip(answers, rows) if a and r["spam"] == "1"]
            yt[video] = (len(ham), share(ham), len(spam), share(spam))
            for a, r in zip(answers, rows):
                if a and r["spam"] == "0":
                    yt_reasons_list.append(a)
                    yt_holds.append(v_hold)
            held_spam = [r["text"] for a, r in zip(answers, rows) if held(a) and r["spam"] == "1"]
            server.offset = 100_000
            again = server.replay([disguise(t, table) for t in held_spam], video + "-disguised")
            spam_pool += [held(a) for a in again if a]
            server.stop()
        yt_ham = sum(n * s for n, s, _, _ in yt.values()) / sum(n for n, _, _, _ in yt.values())
        yt_spam = sum(n * s for _, _, n, s in yt.values()) / sum(n for _, _, n, _ in yt.values())
        spam_lookalike = share(spam_pool)
        # The abuse hold threshold trades ordinary YouTube comments held against Davidson's
        # F1: the same answers, each model's hold threshold raised by the same amount.
        n1_hold = thresholds_n[0]["abuse"]["hold"]
        tradeoff = [(delta, share([held_at(a, t + delta) for a, t in zip(yt_reasons_list, yt_holds)]),
                     f1([held_at(a, n1_hold + delta) for a in dav_answers if a], y)[2])
                    for delta in (0.02, 0.04, 0.06)]

        # Identity templates through the shipped models.
        server = Server(binary, ROOT / "models", work)
        per_term = []
        id_reasons_list = []
        all_neutral, all_insult = [], []
        for ti, term in enumerate(terms):
            server.offset = ti * 100
            neutral = server.replay([fill(n, term) for n, _ in pairs], f"neutral-{ti}")
            server.offset = 50_000 + ti * 100
            insult = server.replay([fill(i, term) for _, i in pairs], f"insult-{ti}")
            per_term.append((term, share([held(a) for a in neutral]), share([held(a) for a in insult])))
            id_reasons_list.extend(neutral)
            all_neutral += [a["scores"]["abuse"]["probability"] for a in neutral if a]
            all_insult += [a["scores"]["abuse"]["probability"] for a in insult if a]
        server.stop()
        id_auc = auc(all_insult, all_neutral)
        worst = max(per_term, key=lambda t: t[1])

    elapsed = time.time() - started
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            for entry in dump:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    targets = [
        ("ordinary news comments held, any reason (Fox News label 0)", f"{news_held:.1%}", "≤ 3%", news_held <= 0.03),
        ("abusive news comments held or rejected (held-out Civil Comments + Fox News hateful)", f"{news_caught:.1%}", "≥ 45%", news_caught >= 0.45),
        ("abuse caught when 5% of ordinary news comments are held (ranking)", f"{ranking5:.1%}", "≥ 62%", ranking5 >= 0.62),
        ("spam caught, YouTube videos not in training", f"{yt_spam:.1%}", "≥ 85%", yt_spam >= 0.85),
        ("ordinary YouTube comments held", f"{yt_ham:.1%}", "≤ 10%", yt_ham <= 0.10),
        ("neutral identity sentences held, worst group", f"{worst[1]:.1%} ({worst[0]})", "≤ 10%", worst[1] <= 0.10),
        ("abuse ROC AUC on the identity sentences", f"{id_auc:.3f}", "≥ 0.90", id_auc >= 0.90),
        ("held spam and abuse still held with look-alike letters",
         f"abuse {news_lookalike:.1%}, spam {spam_lookalike:.1%}", "≥ 95%",
         min(news_lookalike, spam_lookalike) >= 0.95),
        ("Davidson tweets, held-out 20%, F1 (held or rejected = abusive)", f"{dav_f1:.3f}", "≥ 0.95", dav_f1 >= 0.95),
    ]
    lines = [
        "## News day one: unseen comments through the API, default configuration",
        "",
        f"`python3 benches/news_day_one.py --write BENCHMARKS.md` at commit `{commit}`"
        + (" (with uncommitted changes)" if dirty else "") + f", {cpu_model()}, {elapsed / 60:.0f} min. "
        "Every comment below was posted to a running `commentguard serve` and judged by models "
        "that never saw it (see the script's docstring for the splits); *held* = not published.",
        "",
        "| measure (proxy for the issue's hidden data) | result | goal | met |",
        "|---|---|---|---|",
    ]
    for name, value, goal, ok in targets:
        lines.append(f"| {name} | {value} | {goal} | {'yes' if ok else 'no'} |")
    lines += [
        "",
        f"Why the ordinary news comments were held: "
        + (", ".join(f"`{k}` {v}" for k, v in sorted(ordinary_reasons.items())) or "none")
        + f" (of {len(ordinary)}). Abusive comments caught: held-out Civil Comments "
        f"{civil_caught:.1%} of {len(civil)}, Fox News hateful {fox1_caught:.1%}; ROC AUC of the abuse "
        f"probability, abusive against ordinary news comments, {news_auc:.3f}.",
        "",
        f"Davidson held-out tweets: precision {precision:.3f}, recall {recall:.3f}. The news models' "
        "hold thresholds: " + "; ".join(
            f"N{i + 1} spam {t['spam']['hold']:.3f}, abuse {t['abuse']['hold']:.3f}"
            for i, t in enumerate(thresholds_n)) + ".",
        "",
        "YouTube, each video replayed against models trained without it (why its ordinary "
        "comments were held: " + (", ".join(f"`{k}` {v}" for k, v in sorted(reasons_of(yt_reasons_list).items())) or "none") + "):",
        "",
        "| video | ordinary comments | held | spam comments | caught |",
        "|---|---:|---:|---:|---:|",
    ]
    for video, (nh, h, ns, s) in yt.items():
        lines.append(f"| {video} | {nh} | {h:.1%} | {ns} | {s:.1%} |")
    lines += [
        "",
        "With the abuse hold thresholds raised (N1's for the tweets, each model V's for its "
        "video; same answers, comments held by the abuse model alone released below it): " + "; ".join(
            f"+{d:.2f}: ordinary YouTube comments held {h:.1%}, Davidson F1 {f:.3f}"
            for d, h, f in tradeoff) + ".",
    ]
    lines += [
        "",
        f"Identity templates (`src/classifier/bias.rs`: {len(terms)} terms × {len(pairs)} templates, "
        "each neutral and with an insult), the shipped models; share held, any reason (why neutral "
        "ones were held: " + (", ".join(f"`{k}` {v}" for k, v in sorted(reasons_of(id_reasons_list).items())) or "none") + "):",
        "",
        "| term | neutral held | insulting held |",
        "|---|---:|---:|",
    ]
    for term, n, i in per_term:
        lines.append(f"| {term} | {n:.0%} | {i:.0%} |")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(args.write, "news-day-one", text)


if __name__ == "__main__":
    main()
