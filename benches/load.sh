#!/usr/bin/env bash
# End-to-end load measurement of `POST /api/v1/comments` (issue 5), ours vs a baseline.
#
# Builds release, starts the real service (`commentguard serve`) on a fresh database with a
# config that lifts every rate limit, and the baseline (`examples/baseline_server.rs`: same
# actix-web settings, decodes the same JSON, answers 201 without scoring or storing). Drives
# both with wrk on loopback at 1, 16 and 64 connections, with real comment bodies rotated
# from training-data/*.csv: every request carries a different author (name, e-mail) and
# client IP (X-Forwarded-For from the trusted loopback proxy), so the duplicate check and
# the per-author history see distinct commenters, as on a real site.
#
# Per server × connections: requests/s, 2xx/s, p50, p99, non-2xx, socket errors and the
# peak RSS of the server process during that run (VmHWM, reset before each run through
# /proc/PID/clear_refs); the median over --rounds rounds and the ratio ours/baseline.
# Durability: every id ours acknowledged with a 2xx must be a row of the database once the
# server has been stopped (SIGTERM, graceful).
#
# Usage:
#   benches/load.sh [--duration S] [--warmup S] [--rounds N] [--connections "1 16 64"]
#                   [--threads N] [--perf] [--no-build] [--keep] [--write BENCHMARKS.md]
#
#   --duration S     seconds per measured run (default 10)
#   --warmup S       seconds of warm-up per server at 16 connections, not measured (default 3)
#   --rounds N       rounds over every server × connections; the table shows medians (default 3)
#   --connections L  connection counts (default "1 16 64")
#   --threads N      wrk threads, at most the connection count (default 2)
#   --perf           after the measured rounds, one more run of ours at the highest
#                    connection count under `perf record -e cpu-clock` (not in the table);
#                    the report lists the hottest symbols by thread (needs perf: Debian's
#                    linux-perf)
#   --no-build       use the existing target/release binaries
#   --keep           keep the temporary directory (config, database, logs, raw results)
#   --write FILE     put the Markdown section between <!-- load:begin --> and
#                    <!-- load:end --> in FILE (markers appended if missing) and save the
#                    plot as benches/throughput.png (without --write the plot stays in the
#                    temporary directory, so a trial run never replaces the published one)
#
# Needs: cargo, wrk and GNU time (apt-get install wrk time when missing and root), python3 with matplotlib
# (pip install when missing). Loopback only. Everything it starts is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COMMAND="benches/load.sh"
[ $# -eq 0 ] || COMMAND="$COMMAND$(printf ' %q' "$@")"

DURATION=10
WARMUP=3
ROUNDS=3
CONNECTIONS="1 16 64"
THREADS=2
BUILD=1
PERF=0
KEEP=0
WRITE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --perf) PERF=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --keep) KEEP=1; shift ;;
        --write) WRITE=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "load.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for n in "$DURATION" "$WARMUP" "$ROUNDS" "$THREADS" $CONNECTIONS; do
    case "$n" in ''|*[!0-9]*) echo "load.sh: not a whole number: '$n'" >&2; exit 2 ;; esac
done
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$THREADS" -ge 1 ] || {
    echo "load.sh: --duration, --rounds and --threads must be at least 1" >&2; exit 2; }

log() { printf '[load] %s\n' "$*" >&2; }
# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"

# ---------------------------------------------------------------- tools
need_tool wrk wrk
need_tool /usr/bin/time time   # GNU time: wrk's own CPU time
TIMED=(/usr/bin/time -f '%U %S')
if ! python3 -c 'import matplotlib' 2>/dev/null; then
    log "installing matplotlib (pip)"
    timeout 900 python3 -m pip install -q matplotlib >&2
fi

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
    log "cargo build --release --examples --bins"
    cargo build --release --examples --bins >&2
fi
OURS_BIN="$ROOT/target/release/commentguard"
BASE_BIN="$ROOT/target/release/examples/baseline_server"
for b in "$OURS_BIN" "$BASE_BIN"; do
    [ -x "$b" ] || { echo "load.sh: $b missing (run without --no-build)" >&2; exit 1; }
done

# ---------------------------------------------------------------- temp dir, cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/commentguard-load.XXXXXX")
OURS_PID=""
BASE_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$OURS_PID"
    stop_pid "$BASE_PID"
    if [ "$KEEP" = 1 ] || [ "$rc" != 0 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/acks" "$TMP/db"

OURS_PORT=$(free_port)
BASE_PORT=$(free_port)
while [ "$BASE_PORT" = "$OURS_PORT" ]; do BASE_PORT=$(free_port); done

# ---------------------------------------------------------------- request bodies
write_bodies "$TMP/bodies.jsonl"

# The wrk script is benches/submit.lua (shared with soak.sh and capacity.sh): per request
# the next body of this thread's rotation, a new author and a new client IP; per response
# counted by status, and for a 2xx the acknowledged id written to this run's ack file
# (checked against the database at the end).

# ---------------------------------------------------------------- servers
write_load_config "$TMP/commentguard.toml" "$OURS_PORT" "$TMP/db/commentguard.db"

log "starting ours on 127.0.0.1:$OURS_PORT, baseline on 127.0.0.1:$BASE_PORT"
RUST_LOG=warn "$OURS_BIN" serve --config "$TMP/commentguard.toml" >"$TMP/ours.log" 2>&1 &
OURS_PID=$!
"$BASE_BIN" "127.0.0.1:$BASE_PORT" >"$TMP/baseline.log" 2>&1 &
BASE_PID=$!
wait_ready ours "$OURS_PORT" "$OURS_PID" "$TMP/ours.log"
wait_ready baseline "$BASE_PORT" "$BASE_PID" "$TMP/baseline.log"
curl -sf --max-time 5 "http://127.0.0.1:$OURS_PORT/readyz" >/dev/null || { echo "load.sh: ours not ready (/readyz)" >&2; exit 1; }
STARTUP_HWM_OURS=$(awk '/^VmHWM:/ {print $2}' "/proc/$OURS_PID/status")
STARTUP_HWM_BASE=$(awk '/^VmHWM:/ {print $2}' "/proc/$BASE_PID/status")

# ---------------------------------------------------------------- runs
RESULTS="$TMP/results.jsonl"
: >"$RESULTS"
RUN=0
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# CPU accounting around each run: the server's threads by name (user + system seconds)
# and the whole machine's busy time from /proc/stat (everything but idle and iowait), so
# the report can say where ours spends its CPU and how much of the machine was left.
cpu_snapshot() { # pid: one JSON object
    python3 - "$1" <<'PY'
import json, os, sys
pid, hz = sys.argv[1], os.sysconf("SC_CLK_TCK")
threads, written = {}, {}
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        io = dict(line.split(": ") for line in open(f"/proc/{pid}/task/{tid}/io").read().splitlines())
    except OSError:
        continue  # a thread that ended meanwhile
    name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
    threads[name] = threads.get(name, 0) + (int(fields[11]) + int(fields[12])) / hz
    written[name] = written.get(name, 0) + int(io["wchar"])
proc = open(f"/proc/{pid}/stat").read()
proc = proc[proc.rindex(")") + 2:].split()
cpu = [int(x) for x in open("/proc/stat").readline().split()[1:]]
print(json.dumps({"threads": threads, "written": written, "process_s": (int(proc[11]) + int(proc[12])) / hz,
                  "busy_s": (sum(cpu) - cpu[3] - cpu[4]) / hz}))
PY
}

run_wrk() { # server conns seconds phase round
    local server=$1 conns=$2 secs=$3 phase=$4 round=$5 port pid threads out result hwm cpu0 cpu1 wrk_cpu
    if [ "$server" = ours ]; then port=$OURS_PORT; pid=$OURS_PID; else port=$BASE_PORT; pid=$BASE_PID; fi
    kill -0 "$pid" 2>/dev/null || { echo "load.sh: $server server is gone (log: $TMP/$server.log)" >&2; exit 1; }
    threads=$(( THREADS < conns ? THREADS : conns ))
    RUN=$((RUN + 1))
    echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true   # reset VmHWM to the current RSS
    cpu0=$(cpu_snapshot "$pid")
    out="$TMP/wrk-$RUN.txt"
    timeout $((secs + 60)) "${TIMED[@]}" -o "$out.time" wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s \
        -s "$ROOT/benches/submit.lua" "http://127.0.0.1:$port/api/v1/comments" \
        -- "$TMP/bodies.jsonl" "$RUN" "$TMP/acks/$server-$RUN" "$threads" >"$out" 2>&1 \
        || { echo "load.sh: wrk failed (run $RUN):" >&2; cat "$out" >&2; exit 1; }
    result=$(sed -n 's/^WRK_RESULT //p' "$out")
    [ -n "$result" ] || { echo "load.sh: no WRK_RESULT in $out" >&2; cat "$out" >&2; exit 1; }
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
    cpu1=$(cpu_snapshot "$pid")
    wrk_cpu=$(awk '{print $1 + $2}' "$out.time")
    printf '{"server":"%s","connections":%d,"threads":%d,"seconds":%d,"phase":"%s","round":%d,"run":%d,"hwm_kb":%d,"cpu0":%s,"cpu1":%s,"wrk_cpu_s":%s,"wrk":%s}\n' \
        "$server" "$conns" "$threads" "$secs" "$phase" "$round" "$RUN" "$hwm" \
        "$cpu0" "$cpu1" "$wrk_cpu" "$result" >>"$RESULTS"
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); w=r["wrk"]; r["cpu_s"]=r["cpu1"]["process_s"]-r["cpu0"]["process_s"]; print("[load] %-8s %-7s c=%-3d %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  non-2xx %d  errors %s  peak RSS %.1f MB  server CPU %.2f cores" % (r["server"], r["phase"], r["connections"], w["requests"]/(w["duration_us"]/1e6), w["p50_us"]/1e3, w["p99_us"]/1e3, w["non2xx"], sum(w["errors"].values()), r["hwm_kb"]/1024, r["cpu_s"]/(w["duration_us"]/1e6)), file=sys.stderr)' "$(tail -n1 "$RESULTS")"
}

if [ "$WARMUP" -gt 0 ]; then
    run_wrk ours 16 "$WARMUP" warmup 0
    run_wrk baseline 16 "$WARMUP" warmup 0
fi
for round in $(seq 1 "$ROUNDS"); do
    for conns in $CONNECTIONS; do
        # Alternate which server goes first, so a drift in machine load hits both alike.
        if [ $((round % 2)) = 1 ]; then order="ours baseline"; else order="baseline ours"; fi
        for server in $order; do
            run_wrk "$server" "$conns" "$DURATION" measure "$round"
        done
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$PERF" = 1 ]; then
    command -v perf >/dev/null 2>&1 || { echo "load.sh: --perf needs perf (Debian: apt-get install linux-perf)" >&2; exit 1; }
    TOP_CONNS=$(printf '%s\n' $CONNECTIONS | sort -n | tail -n1)
    log "profile run: ours at $TOP_CONNS connections under perf record"
    perf record -q -e cpu-clock -F 999 -p "$OURS_PID" -o "$TMP/perf.data" -- sleep "$DURATION" >/dev/null 2>&1 &
    PERF_PID=$!
    run_wrk ours "$TOP_CONNS" "$DURATION" profile 0
    wait "$PERF_PID" || true
    perf report -i "$TMP/perf.data" --stdio --no-children --sort comm,sym --percent-limit 0.8 2>/dev/null \
        | grep -v '^#' | grep -v '^[[:space:]]*$' >"$TMP/perf.txt" || true
fi

# ---------------------------------------------------------------- durability
log "stopping ours (SIGTERM) before counting its rows"
stop_pid "$OURS_PID"
OURS_PID=""
stop_pid "$BASE_PID"
BASE_PID=""

# ---------------------------------------------------------------- report
if [ -n "$WRITE" ]; then PLOT="$ROOT/benches/throughput.png"; else PLOT="$TMP/throughput.png"; fi
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    COMMIT="$COMMIT (plus uncommitted changes in the working tree)"
fi
export COMMAND COMMIT DURATION WARMUP ROUNDS THREADS LOAD_BEFORE LOAD_AFTER STARTUP_HWM_OURS STARTUP_HWM_BASE
export RESULTS PLOT WRITE ROOT TMP PERF
export DB="$TMP/db/commentguard.db"
export FREE_G="$(free -g)"
export CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *//')"
export NPROC="$(nproc)"
export KERNEL="$(uname -r)"
export WRK_VERSION="$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"

python3 - <<'PY'
import json, os, sqlite3, statistics, sys
from pathlib import Path

env = os.environ
rows = [json.loads(l) for l in Path(env["RESULTS"]).read_text().splitlines() if l.strip()]
for r in rows:
    r["cpu_s"] = r["cpu1"]["process_s"] - r["cpu0"]["process_s"]
measured = [r for r in rows if r["phase"] == "measure"]
conns = sorted({r["connections"] for r in measured})
servers = ["ours", "baseline"]

def rps(r):
    return r["wrk"]["requests"] / (r["wrk"]["duration_us"] / 1e6)

def ok_rps(r):
    return r["wrk"]["ok"] / (r["wrk"]["duration_us"] / 1e6)

def cell(server, c):
    rs = [r for r in measured if r["server"] == server and r["connections"] == c]
    return {
        "runs": len(rs),
        "rps": statistics.median(rps(r) for r in rs),
        "ok_rps": statistics.median(ok_rps(r) for r in rs),
        "rps_each": [rps(r) for r in rs],
        "p50": statistics.median(r["wrk"]["p50_us"] for r in rs) / 1e3,
        "p99": statistics.median(r["wrk"]["p99_us"] for r in rs) / 1e3,
        "non2xx": sum(r["wrk"]["non2xx"] for r in rs),
        "statuses": {k: sum(r["wrk"]["statuses"].get(k, 0) for r in rs)
                     for k in sorted({k for r in rs for k in r["wrk"]["statuses"]})},
        "cores": statistics.median(r["cpu_s"] / (r["wrk"]["duration_us"] / 1e6) for r in rs),
        "cpu_us": statistics.median(1e6 * r["cpu_s"] / max(r["wrk"]["requests"], 1) for r in rs),
        "errors": sum(sum(r["wrk"]["errors"].values()) for r in rs),
        "hwm_mb": max(r["hwm_kb"] for r in rs) / 1024,
        "threads": rs[0]["threads"],
    }

table = {(s, c): cell(s, c) for s in servers for c in conns}

# Where the CPU went: the server's threads grouped by name, wrk, and the whole machine.
GROUPS = [
    ("actix-rt|system", "HTTP workers (actix threads)"),
    ("commentguard-wr", "store writer (author lookup, decision, SQL, WAL frames, commit)"),
    ("commentguard-sy", "WAL sync (fdatasync before the answers)"),
    ("commentguard-ch", "WAL checkpointer"),
]

def cpu_split(server, c):
    rs = [r for r in measured if r["server"] == server and r["connections"] == c]
    def per_run(r):
        secs = r["wrk"]["duration_us"] / 1e6
        reqs = max(r["wrk"]["requests"], 1)
        t0, t1 = r["cpu0"]["threads"], r["cpu1"]["threads"]
        used = {k: t1[k] - t0.get(k, 0.0) for k in t1}
        named = {name: used.get(name, 0.0) for name, _ in GROUPS}
        other = r["cpu_s"] - sum(named.values())
        parts = [(label, named[name]) for name, label in GROUPS if server == "ours" or named[name] > 0]
        if abs(other) >= 0.005 * secs:
            parts.append(("rest of the server", other))
        parts.append(("wrk (load generator)", r["wrk_cpu_s"]))
        busy = r["cpu1"]["busy_s"] - r["cpu0"]["busy_s"]
        parts.append(("whole machine (busy, of " + env["NPROC"] + " cores)", busy))
        return [(label, x / secs, 1e6 * x / reqs) for label, x in parts]
    runs = [dict((label, (cores, us)) for label, cores, us in per_run(r)) for r in rs]
    labels = [label for run in runs for label in run]
    labels = sorted(set(labels), key=labels.index)
    return [(label, statistics.median(run.get(label, (0.0, 0.0))[0] for run in runs),
             statistics.median(run.get(label, (0.0, 0.0))[1] for run in runs)) for label in labels]

top = max(conns)
split = {s: cpu_split(s, top) for s in servers}

def written_per_request(name):
    """KiB a thread of ours wrote (write/pwrite bytes) per answered request, median of runs."""
    rs = [r for r in measured if r["server"] == "ours" and r["connections"] == top]
    return statistics.median(
        (r["cpu1"]["written"].get(name, 0) - r["cpu0"]["written"].get(name, 0))
        / max(r["wrk"]["requests"], 1) / 1024 for r in rs)

# Durability: every id ours acknowledged (2xx) must be in the database.
acked = []
for p in sorted(Path(env["TMP"], "acks").glob("ours-*.ids")):
    acked += [int(x) for x in p.read_text().split()]
ok_total = sum(r["wrk"]["ok"] for r in rows if r["server"] == "ours")
inflight_bound = sum(r["connections"] for r in rows if r["server"] == "ours")
con = sqlite3.connect(f"file:{env['DB']}?mode=ro", uri=True)
stored = {i for (i,) in con.execute("SELECT id FROM comments")}
con.close()
missing = [i for i in acked if i not in stored]
unacked = len(stored) - (len(acked) - len(missing))
durable_ok = (len(acked) == ok_total and len(set(acked)) == len(acked) and not missing
              and 0 <= unacked <= inflight_bound)

# Plot: median requests/s vs connections.
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
for s, label, style in [("ours", "commentguard (score + store)", "o-"),
                        ("baseline", "baseline (parse JSON, answer 201)", "s--")]:
    ax.plot(conns, [table[(s, c)]["rps"] for c in conns], style, label=label)
ax.set_xscale("log", base=2)
ax.set_xticks(conns, [str(c) for c in conns])
ax.set_xlabel("wrk connections")
ax.set_ylabel("requests/s (median of rounds)")
ax.set_ylim(bottom=0)
ax.set_title(f"POST /api/v1/comments, {env['NPROC']} cores, {env['DURATION']} s × {env['ROUNDS']} rounds")
ax.grid(True, alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(env["PLOT"])

def n(x):
    return f"{x:,.0f}"

plot_ref = os.path.relpath(env["PLOT"], Path(env["WRITE"]).resolve().parent) if env["WRITE"] else env["PLOT"]
lines = []
w = lines.append
w("## End to end: `POST /api/v1/comments` under load, ours vs baseline")
w("")
w(f"Command: `{env['COMMAND']}`  ")
w(f"Commit `{env['COMMIT']}`, {env['WRK_VERSION']}, kernel {env['KERNEL']}, nproc {env['NPROC']}.  ")
w("CPU: " + "; ".join(env["CPU_MODEL"].splitlines()) + f".  ")
w(f"Load average (1/5/15 min) before the runs: {env['LOAD_BEFORE']}; after: {env['LOAD_AFTER']}.")
w("")
w("```")
w("$ free -g")
w(env["FREE_G"])
w("```")
w("")
w("Ours: `target/release/commentguard serve` on a fresh database (WAL, group commit, every "
  "acknowledgement after an fsync of the WAL), every rate limit off, `min_form_seconds = 0`, one site. Baseline: "
  "`target/release/examples/baseline_server` — the same actix-web settings (one worker per core, "
  "64 KiB body limit), decodes the same JSON into a struct and answers 201 without scoring or "
  "storing. Load: wrk on the same machine over loopback (it competes with the server for the "
  f"{env['NPROC']} cores), `--timeout 5s`, {env['THREADS']} thread(s) at most; every request a different real "
  "comment body from `training-data/*.csv` (rotated), a new author name, e-mail and client IP "
  "(`X-Forwarded-For` from the trusted loopback proxy). "
  f"Warm-up {env['WARMUP']} s per server at 16 connections, then {env['ROUNDS']} round(s) of "
  f"{env['DURATION']} s per server × connections, alternating which server goes first. "
  "Medians over the rounds; non-2xx, socket errors (connect/read/write/timeout) and status counts "
  "are sums; peak RSS is the largest VmHWM of the server process over the runs of that cell (reset "
  "before each run); server CPU is the process's user + system time over the run. Ours answers 201 "
  "for a published comment and 202 for one held or rejected (both stored).")
w("")
w("| server | connections | requests/s | 2xx/s | ours/baseline req/s | p50 ms | p99 ms | non-2xx | socket errors | peak RSS MB | server CPU (cores) | server CPU µs/request | 2xx by status | req/s of each round |")
w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
for c in conns:
    for s in servers:
        t = table[(s, c)]
        ratio = f"{t['rps'] / table[('baseline', c)]['rps']:.3f}" if s == "ours" else ""
        ok_codes = ", ".join(f"{k}: {v:,}" for k, v in t["statuses"].items() if k.startswith("2"))
        bad_codes = ", ".join(f"{k}: {v:,}" for k, v in t["statuses"].items() if not k.startswith("2"))
        w(f"| {s} | {c} | {n(t['rps'])} | {n(t['ok_rps'])} | {ratio} | {t['p50']:.2f} | {t['p99']:.2f} | "
          f"{t['non2xx']}{' (' + bad_codes + ')' if bad_codes else ''} | {t['errors']} | {t['hwm_mb']:.1f} | "
          f"{t['cores']:.2f} | {t['cpu_us']:.0f} | {ok_codes} | " + ", ".join(n(x) for x in t["rps_each"]) + " |")
w("")
w(f"Where the CPU went at {top} connections (median over the rounds; µs per request = CPU time / "
  "requests answered): the server's threads by name (`/proc/PID/task/*/stat`), wrk's own user + "
  "system time, and the machine's busy time (`/proc/stat`, all but idle and iowait).")
w("")
w("| server | where | cores | µs per request |")
w("|---|---|---:|---:|")
for s in servers:
    for label, cores, us in split[s]:
        w(f"| {s} | {label} | {cores:.2f} | {us:.1f} |")
w("")
w(f"Bytes written per request at {top} connections (`wchar` of `/proc/PID/task/*/io`, median over "
  f"the rounds): the store writer {written_per_request('commentguard-wr'):.1f} KiB (WAL frames: "
  f"a 24-byte header and a 4 KiB page each), the checkpointer "
  f"{written_per_request('commentguard-ch'):.1f} KiB (pages copied from the WAL into the database).")
w("")
perf_txt = Path(env["TMP"], "perf.txt")
if env["PERF"] == "1" and perf_txt.exists():
    profile = [r for r in rows if r["phase"] == "profile"][0]
    w(f"Profile of ours at {profile['connections']} connections (`--perf`: one more run of "
      f"{env['DURATION']} s under `perf record -e cpu-clock -F 999`, "
      f"{rps(profile):,.0f} requests/s while sampled, not in the tables above): every symbol "
      "with at least 0.8% of all samples, by thread (`perf report --no-children --sort comm,sym`). "
      "`[k]` is the kernel; SQLite is compiled into the binary (`sqlite3*`, `pcache1*`, `wal*`, "
      "`balance*`).")
    w("")
    w("```")
    w(perf_txt.read_text().rstrip())
    w("```")
    w("")
w(f"Peak RSS right after start-up (models loaded, before any request): ours "
  f"{int(env['STARTUP_HWM_OURS']) / 1024:.1f} MB, baseline {int(env['STARTUP_HWM_BASE']) / 1024:.1f} MB.")
w("")
w(f"Durability (ours, after a graceful stop): {len(acked):,} submissions acknowledged with 2xx "
  f"(wrk counted {ok_total:,}); {len(stored):,} rows in `comments`; acknowledged ids missing from "
  f"the database: **{len(missing)}**; rows without an acknowledgement: {unacked} (requests in flight "
  f"when a wrk run ended, at most the {inflight_bound} connections summed over the runs) — "
  + ("**pass**." if durable_ok else "**FAIL**."))
w("")
w(f"![requests/s vs connections]({plot_ref})")
section = "\n".join(lines) + "\n"
print(section)

if env["WRITE"]:
    sys.path.insert(0, str(Path(env["ROOT"], "benches")))
    from reporting import write_section
    path = Path(env["WRITE"])
    write_section(path, "load", section)
    print(f"[load] wrote the section to {path} and the plot to {env['PLOT']}", file=sys.stderr)
else:
    print(f"[load] plot: {env['PLOT']} (kept only with --keep)", file=sys.stderr)
sys.exit(0 if durable_ok else 3)
PY
