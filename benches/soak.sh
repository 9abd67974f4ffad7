#!/usr/bin/env bash
# Memory and throughput as comments accumulate (issue 5: "memory use flat as comments
# accumulate (1 million stored comments)").
#
# Builds release, starts the real service (`commentguard serve`) on a fresh database with
# every rate limit off (the same settings as benches/load.sh), and drives
# `POST /api/v1/comments` with one wrk run over loopback — real comment bodies rotated
# from training-data/*.csv, a new author and client IP per request — until the database
# holds --rows comments, or --max-seconds have passed. A sampler polls the database (a
# read-only connection, every 0.2 s); each time another --step comments are stored it
# records the server's VmRSS, its peak since the previous sample (VmHWM, reset at each
# sample), the rate at which comments were stored since the previous sample, and the sizes
# of the database file and its WAL.
# At the end every acknowledged id must be a row of the database (server stopped first).
#
# Usage:
#   benches/soak.sh [--rows N] [--step N] [--connections N] [--max-seconds S]
#                   [--no-build] [--keep] [--write BENCHMARKS.md]
#
#   --rows N          stop once the database holds N comments (default 1000000)
#   --step N          comments between two samples, one table row each (default 100000)
#   --connections N   wrk connections (default 64)
#   --max-seconds S   stop the load after S seconds even if --rows is not reached (default 900)
#   --no-build        use the existing target/release binary
#   --keep            keep the temporary directory (config, database, logs, raw results)
#   --write FILE      put the Markdown section between <!-- soak:begin --> and
#                     <!-- soak:end --> in FILE (markers appended if missing)
#
# Needs: cargo, wrk, python3. Loopback only. Everything it starts is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COMMAND="benches/soak.sh"
[ $# -eq 0 ] || COMMAND="$COMMAND$(printf ' %q' "$@")"

ROWS=1000000
STEP=100000
CONNS=64
MAX_SECONDS=900
THREADS=2
BUILD=1
KEEP=0
WRITE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS=$2; shift 2 ;;
        --step) STEP=$2; shift 2 ;;
        --connections) CONNS=$2; shift 2 ;;
        --max-seconds) MAX_SECONDS=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --keep) KEEP=1; shift ;;
        --write) WRITE=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for n in "$ROWS" "$STEP" "$CONNS" "$MAX_SECONDS"; do
    case "$n" in ''|*[!0-9]*) echo "soak.sh: not a whole number: '$n'" >&2; exit 2 ;; esac
done
[ "$ROWS" -ge 1 ] && [ "$STEP" -ge 1 ] && [ "$CONNS" -ge 1 ] || {
    echo "soak.sh: --rows, --step and --connections must be at least 1" >&2; exit 2; }
[ "$THREADS" -le "$CONNS" ] || THREADS=$CONNS

log() { printf '[soak] %s\n' "$*" >&2; }
# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"

need_tool wrk wrk

if [ "$BUILD" = 1 ]; then
    log "cargo build --release --bin commentguard"
    cargo build --release --bin commentguard >&2
fi
BIN="$ROOT/target/release/commentguard"
[ -x "$BIN" ] || { echo "soak.sh: $BIN missing (run without --no-build)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/commentguard-soak.XXXXXX")
PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$PID" 30
    if [ "$KEEP" = 1 ] || [ "$rc" != 0 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/acks" "$TMP/db"
PORT=$(free_port)

# Request bodies: the same selection as benches/load.sh.
write_bodies "$TMP/bodies.jsonl"

# The wrk script is benches/submit.lua (shared with load.sh and capacity.sh): per request
# the next body, a new author and a new client IP; acknowledged ids go to one file per wrk
# thread.

write_load_config "$TMP/commentguard.toml" "$PORT" "$TMP/db/commentguard.db"

log "starting the server on 127.0.0.1:$PORT"
RUST_LOG=warn "$BIN" serve --config "$TMP/commentguard.toml" >"$TMP/server.log" 2>&1 &
PID=$!
wait_ready server "$PORT" "$PID" "$TMP/server.log" /readyz
curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/readyz" || { echo "soak.sh: server not ready" >&2; exit 1; }

DB="$TMP/db/commentguard.db"

RESULTS="$TMP/results.jsonl"
log "load: wrk -t$THREADS -c$CONNS until $ROWS comments are stored (at most $MAX_SECONDS s)"
# The sampler takes the first sample, starts wrk, and stops it (SIGINT: wrk still reports)
# once --rows comments are stored.
python3 - "$DB" "$PID" "$ROWS" "$STEP" "$RESULTS" "$TMP/wrk.txt" \
    wrk -t"$THREADS" -c"$CONNS" -d"${MAX_SECONDS}s" --timeout 5s \
    -s "$ROOT/benches/submit.lua" "http://127.0.0.1:$PORT/api/v1/comments" \
    -- "$TMP/bodies.jsonl" 1 "$TMP/acks/soak" "$THREADS" <<'PY'
import json, os, signal, sqlite3, subprocess, sys, time
db, pid, target, step, out, wrk_out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
wrk_cmd = sys.argv[7:]

def status(key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])

def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0

def reset_peak():
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass

con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
prev_rows, wal_max = 0, size(db + "-wal")
sample = {"rows": 0, "rss_kb": status("VmRSS"), "hwm_kb": status("VmHWM"), "db_bytes": size(db),
          "wal_bytes": wal_max, "seconds": 0.0, "rate": None}
reset_peak()
next_mark = step
with open(out, "w") as f, open(wrk_out, "w") as wrk_log:
    f.write(json.dumps(sample) + "\n")
    wrk = subprocess.Popen(wrk_cmd, stdout=wrk_log, stderr=subprocess.STDOUT)
    start = prev_t = time.monotonic()
    while True:
        time.sleep(0.2)
        alive = wrk.poll() is None
        rows = con.execute("SELECT COALESCE(MAX(id), 0) FROM comments").fetchone()[0]
        wal_max = max(wal_max, size(db + "-wal"))
        now = time.monotonic()
        if rows >= next_mark or rows >= target or not alive:
            sample = {"rows": rows, "rss_kb": status("VmRSS"), "hwm_kb": status("VmHWM"),
                      "db_bytes": size(db), "wal_bytes": size(db + "-wal"), "wal_max_bytes": wal_max,
                      "seconds": round(now - start, 1),
                      "rate": (rows - prev_rows) / (now - prev_t) if now > prev_t else None}
            reset_peak()
            f.write(json.dumps(sample) + "\n")
            f.flush()
            print("[soak] %9d comments  RSS %6.1f MB (peak %6.1f)  %7.0f stored/s  db %7.1f MB  wal %5.1f MB (max %5.1f)  %6.1f s"
                  % (rows, sample["rss_kb"] / 1024, sample["hwm_kb"] / 1024, sample["rate"] or 0,
                     sample["db_bytes"] / 2**20, sample["wal_bytes"] / 2**20, wal_max / 2**20, sample["seconds"]),
                  file=sys.stderr)
            prev_t, prev_rows, wal_max = now, rows, sample["wal_bytes"]
            while next_mark <= rows:
                next_mark += step
        if rows >= target or not alive:
            break
    if wrk.poll() is None:
        wrk.send_signal(signal.SIGINT)
    wrk.wait()
PY
RESULT=$(sed -n 's/^WRK_RESULT //p' "$TMP/wrk.txt")
[ -n "$RESULT" ] || { echo "soak.sh: no WRK_RESULT in $TMP/wrk.txt" >&2; cat "$TMP/wrk.txt" >&2; exit 1; }
kill -0 "$PID" 2>/dev/null || { echo "soak.sh: the server is gone (log: $TMP/server.log)" >&2; exit 1; }

log "stopping the server (SIGTERM) before counting its rows"
stop_pid "$PID" 30
PID=""

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    COMMIT="$COMMIT (plus uncommitted changes in the working tree)"
fi
export COMMAND COMMIT RESULTS RESULT WRITE ROOT TMP DB CONNS THREADS STEP ROWS MAX_SECONDS
export CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *//')"
export NPROC="$(nproc)" KERNEL="$(uname -r)"
export WRK_VERSION="$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"

python3 - <<'PY'
import json, os, sqlite3, sys
from pathlib import Path

env = os.environ
sys.path.insert(0, str(Path(env["ROOT"], "benches")))
from reporting import write_section

samples = [json.loads(l) for l in Path(env["RESULTS"]).read_text().splitlines() if l.strip()]
start, steps = samples[0], samples[1:]
wrk = json.loads(env["RESULT"])

acked = []
for p in sorted(Path(env["TMP"], "acks").glob("*.ids")):
    acked += [int(x) for x in p.read_text().split()]
con = sqlite3.connect(f"file:{env['DB']}?mode=ro", uri=True)
stored = {i for (i,) in con.execute("SELECT id FROM comments")}
con.close()
missing = sum(1 for i in acked if i not in stored)
durable = not missing and len(set(acked)) == len(acked)

def mb(b):
    return b / 2**20

lines = []
w = lines.append
w("## Memory as comments accumulate (soak)")
w("")
w(f"Command: `{env['COMMAND']}`  ")
w(f"Commit `{env['COMMIT']}`, {env['WRK_VERSION']}, kernel {env['KERNEL']}, nproc {env['NPROC']}; "
  "CPU: " + "; ".join(env["CPU_MODEL"].splitlines()) + ".")
w("")
w("`target/release/commentguard serve` on a fresh database (the settings of the load test: WAL, "
  "every acknowledgement after an fsync of the WAL, every rate limit off), driven by one wrk run over loopback with "
  f"{env['CONNS']} connections ({env['THREADS']} threads) — real comment bodies from "
  "`training-data/*.csv`, a new author and client IP per request — until the database holds "
  f"{int(env['ROWS']):,} comments (at most {env['MAX_SECONDS']} s). A sampler polls the "
  f"database every 0.2 s; each time another {int(env['STEP']):,} comments are stored it records "
  "the server's VmRSS, its peak since the previous sample (VmHWM, reset at each sample), the "
  "rate comments were stored at since the previous sample, and the sizes of the database file "
  "and its WAL (the largest WAL seen between samples in brackets).")
w("")
w("| comments stored | RSS MB | peak RSS MB since previous | stored/s since previous | database MB | WAL MB (largest since previous) | elapsed s |")
w("|---:|---:|---:|---:|---:|---:|---:|")
for r in samples:
    rate = f"{r['rate']:,.0f}" if r.get("rate") else ""
    wal = f"{mb(r['wal_bytes']):.1f}" + (f" ({mb(r['wal_max_bytes']):.1f})" if "wal_max_bytes" in r else "")
    w(f"| {r['rows']:,} | {r['rss_kb'] / 1024:.1f} | {r['hwm_kb'] / 1024:.1f} | {rate} | "
      f"{mb(r['db_bytes']):.1f} | {wal} | {r['seconds']} |")
w("")
secs = wrk["duration_us"] / 1e6
w(f"wrk over the whole run: {wrk['requests']:,} requests in {secs:.1f} s ({wrk['requests'] / secs:,.0f}/s), "
  f"p50 {wrk['p50_us'] / 1e3:.2f} ms, p99 {wrk['p99_us'] / 1e3:.2f} ms, non-2xx {wrk['non2xx']}, "
  f"socket errors {sum(wrk['errors'].values())}.")
w("")
if steps:
    first, last = steps[0], steps[-1]
    mid = min(steps, key=lambda r: abs(r["rows"] - last["rows"] / 2))
    w(f"RSS at {first['rows']:,} comments: {first['rss_kb'] / 1024:.1f} MB; at {mid['rows']:,}: "
      f"{mid['rss_kb'] / 1024:.1f} MB; at {last['rows']:,}: {last['rss_kb'] / 1024:.1f} MB "
      f"({(last['rss_kb'] - mid['rss_kb']) / 1024:+.1f} MB over the second half). Largest peak RSS: "
      f"{max(r['hwm_kb'] for r in samples) / 1024:.1f} MB. Largest WAL seen: "
      f"{mb(max(r.get('wal_max_bytes', r['wal_bytes']) for r in samples)):.1f} MB.")
    w("")
w(f"Durability (after a graceful stop): {len(acked):,} submissions acknowledged with 2xx, "
  f"{len(stored):,} rows in `comments`, acknowledged ids missing from the database: "
  f"**{missing}** — " + ("**pass**." if durable else "**FAIL**."))
section = "\n".join(lines) + "\n"
print(section)
if env["WRITE"]:
    write_section(env["WRITE"], "soak", section)
    print(f"[soak] wrote the section to {env['WRITE']}", file=sys.stderr)
sys.exit(0 if durable else 3)
PY
