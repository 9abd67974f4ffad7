#!/usr/bin/env bash
# Capacity of a fleet (issue 14): submissions/s for 1, 2 and 3 `commentguard serve`
# instances on one PostgreSQL and one Redis, and one instance on SQLite (the default
# deployment) as the reference, measured in the same run; where the CPU goes for each,
# split by process group, so the reader sees where the bottleneck moves.
#
# Setups, each on a fresh store: `sqlite-1` (one instance, a SQLite file, rate limits
# in-process) and `pg-N` for N = 1, 2, 3 (N instances on one fresh PostgreSQL schema, the
# rate limits shared in Redis under a prefix of the run's own). Every rate limit is on
# but generous enough never to refuse (per IP, per e-mail and the site-wide ceiling; one
# Redis script call per submission on PostgreSQL setups), as a real site runs.
#
# Load: one wrk per instance, the connections split evenly, the total the same for every
# setup. Not a load balancer: on a machine this size a proxy (nginx) would take CPU from the
# instances it feeds and its own cost would be measured as theirs; the instances are
# stateless, so splitting the clients evenly is what a round-robin balancer does, minus the
# hop. Each request a different real comment body from `training-data/*.csv`, a new author
# and client IP (`X-Forwarded-For` from the trusted loopback proxy). p50/p99 are the
# quantiles of all requests of a run (wrk's distributions merged, weighted by requests).
#
# Per setup: requests/s, 2xx/s, p50/p99, non-2xx, socket errors; CPU per request of the
# commentguard instances, PostgreSQL's backends serving them, PostgreSQL's own background
# processes (WAL writer, checkpointer, autovacuum, …), redis-server and wrk, and the
# machine's busy time; PostgreSQL commits, WAL bytes and WAL syncs per request, Redis
# commands per request. Then every acknowledged (2xx) id is looked up in its store after the
# instances stopped (gracefully). The report ends with a paper estimate for 10× and 100×
# the measured peak, computed from these figures.
#
# Usage:
#   benches/capacity.sh [--duration S] [--warmup S] [--rounds N] [--connections N]
#                       [--pool N] [--db-cores N] [--pg-options S] [--postgres URL] [--redis URL]
#                       [--no-build] [--keep] [--write BENCHMARKS.md]
#
#   --duration S     seconds per measured run (default 20)
#   --warmup S       seconds of load before each measured run, not measured (default 5)
#   --rounds N       runs per setup; the tables show medians (default 2). Each round starts
#                    every setup afresh, in alternating order.
#   --connections N  wrk connections in all, split over the instances (default 60)
#   --pool N         PostgreSQL connections per instance (`storage.read_connections`,
#                    default 8, the configuration's default)
#   --db-cores N     cores of the largest single PostgreSQL primary assumed in the paper
#                    estimate (default 64); said so in the text
#   --pg-options S   server settings for the instances' connections, as libpq's `options`
#                    (e.g. "-c commit_delay=1000 -c commit_siblings=2" to widen PostgreSQL's
#                    group commit; superuser settings need a superuser); default none
#   --postgres URL   server for the PostgreSQL setups (default $COMMENTGUARD_TEST_POSTGRES_URL
#                    or postgres://postgres@127.0.0.1:5432/test); a schema per run is
#                    created in it and dropped at the end (unless --keep)
#   --redis URL      Redis for the shared rate limits (default $COMMENTGUARD_TEST_REDIS_URL
#                    or redis://127.0.0.1:6379); keys under `cgcap:PID:RUN:`, expiring by
#                    themselves
#   --no-build       use the existing target/release/commentguard
#   --keep           keep the temporary directory (configs, logs, raw results) and schemas
#   --write FILE     put the Markdown section between <!-- capacity:begin --> and
#                    <!-- capacity:end --> in FILE (markers appended if missing)
#
# Needs: cargo, wrk, GNU time, psql and redis-cli (apt-get install wrk time
# postgresql-client redis-tools when missing and root), python3. PostgreSQL and Redis
# reachable (loopback here). Everything it starts is stopped on exit. At the defaults it
# takes about 4 minutes after the build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
COMMAND="benches/capacity.sh"
[ $# -eq 0 ] || COMMAND="$COMMAND$(printf ' %q' "$@")"

DURATION=20
WARMUP=5
ROUNDS=2
CONNECTIONS=60
POOL=8
DB_CORES=64
PG_OPTIONS=""
PG_URL=${COMMENTGUARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_URL=${COMMENTGUARD_TEST_REDIS_URL:-redis://127.0.0.1:6379}
BUILD=1
KEEP=0
WRITE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --pool) POOL=$2; shift 2 ;;
        --db-cores) DB_CORES=$2; shift 2 ;;
        --pg-options) PG_OPTIONS=$2; shift 2 ;;
        --postgres) PG_URL=$2; shift 2 ;;
        --redis) REDIS_URL=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --keep) KEEP=1; shift ;;
        --write) WRITE=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "capacity.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for n in "$DURATION" "$WARMUP" "$ROUNDS" "$CONNECTIONS" "$POOL" "$DB_CORES"; do
    case "$n" in ''|*[!0-9]*) echo "capacity.sh: not a whole number: '$n'" >&2; exit 2 ;; esac
done
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$POOL" -ge 1 ] && [ "$CONNECTIONS" -ge 3 ] || {
    echo "capacity.sh: --duration, --rounds and --pool must be at least 1, --connections at least 3" >&2; exit 2; }

log() { printf '[capacity] %s\n' "$*" >&2; }
# shellcheck source=benches/common.sh
. "$ROOT/benches/common.sh"

# ---------------------------------------------------------------- tools, servers
need_tool wrk wrk
need_tool /usr/bin/time time   # GNU time: wrk's own CPU time
need_tool psql postgresql-client
need_tool redis-cli redis-tools
TIMED=(/usr/bin/time -f '%U %S')
PSQL=(psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 -At)
"${PSQL[@]}" -c 'SELECT 1' >/dev/null || { echo "capacity.sh: PostgreSQL at $PG_URL does not answer" >&2; exit 1; }
[ "$(redis-cli -u "$REDIS_URL" PING 2>/dev/null)" = PONG ] || { echo "capacity.sh: Redis at $REDIS_URL does not answer PING" >&2; exit 1; }
REDIS_PID=$(redis-cli -u "$REDIS_URL" INFO server | tr -d '\r' | sed -n 's/^process_id://p')
[ -n "$REDIS_PID" ] && [ -d "/proc/$REDIS_PID" ] || {
    echo "capacity.sh: redis-server (pid '${REDIS_PID}') is not a process of this machine: its CPU cannot be measured" >&2; exit 1; }

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
    log "cargo build --release --bins"
    cargo build --release --bins >&2
fi
BIN="$ROOT/target/release/commentguard"
[ -x "$BIN" ] || { echo "capacity.sh: $BIN missing (run without --no-build)" >&2; exit 1; }

# ---------------------------------------------------------------- temp dir, cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/commentguard-capacity.XXXXXX")
PIDS=()
SCHEMAS=()
stop_instances() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    PIDS=()
}
cleanup() {
    local rc=$? schema
    trap - EXIT INT TERM
    stop_instances
    if [ "$KEEP" = 1 ] || [ "$rc" != 0 ]; then
        log "kept $TMP${SCHEMAS[*]:+ and the schemas ${SCHEMAS[*]}}"
    else
        for schema in "${SCHEMAS[@]}"; do
            "${PSQL[@]}" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || log "could not drop schema $schema"
        done
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/acks" "$TMP/runs"
APP_NAME="cgcap_$$"

# ---------------------------------------------------------------- request bodies, wrk script
write_bodies "$TMP/bodies.jsonl"

# The wrk script is benches/submit.lua (shared with load.sh and soak.sh): per request the
# next body of this thread's rotation, a new author, a new client IP (a /64 of its own:
# IPv6 clients are limited by /64); per 2xx the id into the ack file; at the end counts,
# and the latency distribution at fine percentiles (merged over the wrk processes of a run
# by the report).

# ---------------------------------------------------------------- configs
# An instance: every limit on but never reached (each request is a new IP and author; the
# site ceiling is 1,000,000 a second); on PostgreSQL the limits live in Redis.
write_config() { # file port database [redis-prefix]
    {
        printf 'bind = "127.0.0.1:%s"\ndatabase = "%s"\nmodels = "%s/models"\n' "$2" "$3" "$ROOT"
        printf 'trusted_proxies = ["127.0.0.1"]\n'
        if [ -n "${4:-}" ]; then
            # The defaults otherwise: a check Redis does not answer within 100 ms falls back
            # to the instance's own limits ("open"), counted in /metrics (see the report).
            printf 'rate_limit_store = "%s"\nrate_limit_store_prefix = "%s"\n' "$REDIS_URL" "$4"
        fi
        cat <<TOML

[storage]
read_connections = $POOL

[sites.load]
min_form_seconds = 0
require_form_token = false
require_email = false
premoderate = false
duplicate_window_hours = 24

[sites.load.rate_limit]
ip_burst = 100
ip_per_minute = 6000
email_burst = 100
email_per_minute = 6000
global_burst = 1000000
global_per_minute = 60000000
report_ip_burst = 0
report_ip_per_minute = 0
TOML
    } >"$1"
}

# The database URL of a schema: the server's URL with the schema as search_path and our
# application name (how the report tells our backends from anyone else's).
schema_url() { # schema
    local sep='?' options
    case "$PG_URL" in *\?*) sep='&' ;; esac
    options=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
        "-c search_path=$1${PG_OPTIONS:+ $PG_OPTIONS}")
    printf '%s%soptions=%s&application_name=%s\n' "$PG_URL" "$sep" "$options" "$APP_NAME"
}

# ---------------------------------------------------------------- measuring
# CPU of every process group, as one JSON object: the instances (whole processes), the
# PostgreSQL processes by pid (with what pg_stat_activity says each is), redis-server, and
# the machine's busy time (/proc/stat: all but idle and iowait).
snapshot() { # comma-separated instance pids
    local activity
    activity=$("${PSQL[@]}" -F $'\t' -c "SELECT pid, backend_type, COALESCE(application_name, '') FROM pg_stat_activity" | base64 -w0)
    python3 - "$1" "$REDIS_PID" "$activity" "$APP_NAME" <<'PY'
import base64, json, os, pwd, sys, time
hz = os.sysconf("SC_CLK_TCK")
instances = [int(p) for p in sys.argv[1].split(",") if p]
redis_pid, app = int(sys.argv[2]), sys.argv[4]
def times(pid):
    """(user, system) seconds of a process, or None if it is gone."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    f = stat[stat.rindex(")") + 2:].split()
    return int(f[11]) / hz, int(f[12]) / hz
def cpu(pid):
    t = times(pid)
    return None if t is None else t[0] + t[1]
kinds = {}
for line in base64.b64decode(sys.argv[3]).decode().splitlines():
    parts = line.split("\t")
    if len(parts) == 3 and parts[0].isdigit():
        pid, backend_type, name = int(parts[0]), parts[1], parts[2]
        kinds[pid] = "ours" if name == app else (
            "background" if backend_type != "client backend" else "others")
try:
    pg_uid = pwd.getpwnam("postgres").pw_uid
except KeyError:
    pg_uid = None
postgres = {}
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    pid = int(entry)
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        continue
    if uid == pg_uid:
        t = times(pid)
        if t is not None:
            # Not in pg_stat_activity: the postmaster or its logger: background.
            postgres[str(pid)] = [t[0] + t[1], kinds.get(pid, "background"), t[1]]
stat = [int(x) for x in open("/proc/stat").readline().split()[1:]]
print(json.dumps({
    "wall": time.time(),
    "instances": sum(cpu(p) or 0.0 for p in instances),
    "postgres": postgres,
    "redis": cpu(redis_pid) or 0.0,
    "busy_s": (sum(stat) - stat[3] - stat[4]) / hz,
}))
PY
}

# Rate-limit checks that fell back to the instance's own limits because Redis did not answer
# in time, summed over the instances listening on the given ports.
fallbacks() { # port...
    local port total=0 n
    for port in "$@"; do
        n=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" \
            | awk '/^commentguard_rate_limit_store_unreachable_total/ {s += $2} END {printf "%d", s}')
        total=$((total + ${n:-0}))
    done
    echo "$total"
}

pg_counters() { # one JSON object: commits of the database, WAL records/bytes/writes/syncs
    "${PSQL[@]}" -c "SELECT json_build_object(
        'commits', (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
        'wal_records', wal_records, 'wal_bytes', wal_bytes, 'wal_write', wal_write, 'wal_sync', wal_sync)
        FROM pg_stat_wal"
}

redis_counters() { # one JSON object: commands processed, EVALSHA/EVAL calls
    redis-cli -u "$REDIS_URL" INFO all | tr -d '\r' | python3 -c '
import json, sys
out = {"commands": 0, "scripts": 0}
for line in sys.stdin:
    if line.startswith("total_commands_processed:"):
        out["commands"] = int(line.split(":")[1])
    elif line.startswith(("cmdstat_evalsha:", "cmdstat_eval:")):
        out["scripts"] += int(line.split("calls=")[1].split(",")[0])
print(json.dumps(out))'
}

# Runs wrk against every instance at once: `conns` split evenly, for `secs`; prints one
# JSON array of the wrk results (each with its wrk's CPU seconds).
WRK_NO=0
run_wrks() { # tag secs port...
    local tag=$1 secs=$2 i=0 k per threads out pids=() files=()
    shift 2
    k=$#
    for port in "$@"; do
        per=$(( CONNECTIONS / k + (i < CONNECTIONS % k ? 1 : 0) ))
        threads=$(( 2 / k > 0 ? 2 / k : 1 ))
        WRK_NO=$((WRK_NO + 1))
        out="$TMP/runs/$tag-wrk$i.txt"
        timeout $((secs + 60)) "${TIMED[@]}" -o "$out.time" wrk -t"$threads" -c"$per" -d"${secs}s" --timeout 5s \
            -s "$ROOT/benches/submit.lua" "http://127.0.0.1:$port/api/v1/comments" \
            -- "$TMP/bodies.jsonl" "$WRK_NO" "$TMP/acks/$tag-wrk$i" "$threads" >"$out" 2>&1 &
        pids+=($!)
        files+=("$out")
        i=$((i + 1))
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { echo "capacity.sh: wrk failed ($tag):" >&2; cat "${files[$i]}" >&2; exit 1; }
    done
    python3 - "${files[@]}" <<'PY'
import json, sys
out = []
for path in sys.argv[1:]:
    text = open(path).read()
    line = [l for l in text.splitlines() if l.startswith("WRK_RESULT ")]
    if not line:
        sys.exit(f"capacity.sh: no WRK_RESULT in {path}:\n{text}")
    r = json.loads(line[0][len("WRK_RESULT "):])
    u, s = open(path + ".time").read().split()[-2:]
    r["cpu_s"] = float(u) + float(s)
    out.append(r)
print(json.dumps(out))
PY
}

# One setup, one round: fresh store, instances started, warm-up, the measured run, a
# graceful stop, then the store's rows for the durability check.
RESULTS="$TMP/results.jsonl"
: >"$RESULTS"
measure() { # setup round
    local setup=$1 round=$2 backend=${1%-*} n=${1#*-} tag="$1-r$2" i port db prefix="" schema="" ports=() pids
    log "$tag: starting $n instance(s) on $backend"
    if [ "$backend" = pg ]; then
        schema="cgcap_$$_${backend}${n}_r${round}"
        "${PSQL[@]}" -c "CREATE SCHEMA $schema" >/dev/null
        SCHEMAS+=("$schema")
        db=$(schema_url "$schema")
        prefix="cgcap:$$:$tag:"
    else
        mkdir -p "$TMP/db-$tag"
        db="$TMP/db-$tag/commentguard.db"
    fi
    for i in $(seq 1 "$n"); do
        port=$(free_port)
        while printf '%s\n' "${ports[@]}" | grep -qx "$port"; do port=$(free_port); done
        write_config "$TMP/$tag-$i.toml" "$port" "$db" "$prefix"
        RUST_LOG=warn "$BIN" serve --config "$TMP/$tag-$i.toml" >"$TMP/$tag-$i.log" 2>&1 &
        PIDS+=($!)
        ports+=("$port")
        # One at a time: the first migrates the fresh schema, the others find it done.
        wait_ready "$tag-$i" "$port" "$!" "$TMP/$tag-$i.log" /readyz
    done
    pids=$(IFS=,; echo "${PIDS[*]}")
    [ "$WARMUP" -gt 0 ] && run_wrks "$tag-warmup" "$WARMUP" "${ports[@]}" >/dev/null
    local cpu0 cpu1 pg0 pg1 r0 r1 f0 f1 wrks
    f0=$(fallbacks "${ports[@]}")
    cpu0=$(snapshot "$pids"); pg0=$(pg_counters); r0=$(redis_counters)
    wrks=$(run_wrks "$tag" "$DURATION" "${ports[@]}")
    cpu1=$(snapshot "$pids"); pg1=$(pg_counters); r1=$(redis_counters)
    f1=$(fallbacks "${ports[@]}")
    stop_instances
    if [ -n "$schema" ]; then
        "${PSQL[@]}" -c "SELECT id FROM $schema.comments" >"$TMP/runs/$tag.stored"
    else
        python3 -c 'import sqlite3, sys; [print(i) for (i,) in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM comments")]' "$db" >"$TMP/runs/$tag.stored"
    fi
    printf '{"setup":"%s","backend":"%s","instances":%d,"round":%d,"tag":"%s","cpu0":%s,"cpu1":%s,"pg0":%s,"pg1":%s,"redis0":%s,"redis1":%s,"fallbacks":%d,"wrk":%s}\n' \
        "$setup" "$backend" "$n" "$round" "$tag" "$cpu0" "$cpu1" "$pg0" "$pg1" "$r0" "$r1" "$((f1 - f0))" "$wrks" >>"$RESULTS"
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); w=r["wrk"]; s=max(x["duration_us"] for x in w)/1e6; n=sum(x["requests"] for x in w); print("[capacity] %-10s %8.0f req/s  non-2xx %d  socket errors %d  instances %.2f cores" % (r["tag"], n/s, sum(x["non2xx"] for x in w), sum(sum(x["errors"].values()) for x in w), (r["cpu1"]["instances"]-r["cpu0"]["instances"])/s), file=sys.stderr)' "$(tail -n1 "$RESULTS")"
}

SETUPS="sqlite-1 pg-1 pg-2 pg-3"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
    order=$SETUPS
    [ $((round % 2)) = 1 ] || order=$(printf '%s\n' $SETUPS | tac | tr '\n' ' ')
    for setup in $order; do
        measure "$setup" "$round"
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
log "measured in $(( $(date +%s) - STARTED )) s"

# ---------------------------------------------------------------- report
export COMMAND DURATION WARMUP ROUNDS CONNECTIONS POOL DB_CORES PG_OPTIONS LOAD_BEFORE LOAD_AFTER
export RESULTS WRITE ROOT TMP
export COMMIT="$(commit_stamp)"
export NPROC="$(nproc)"
export KERNEL="$(uname -r)"
export WRK_VERSION="$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
export PG_VERSION="$("${PSQL[@]}" -c 'SHOW server_version' | cut -d' ' -f1)"
export PG_SETTINGS="$("${PSQL[@]}" -c "SELECT string_agg(name || ' = ' || setting || COALESCE(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('autovacuum', 'synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'commit_siblings', 'shared_buffers', 'max_connections')")"
export REDIS_VERSION="$(redis-cli -u "$REDIS_URL" INFO server | tr -d '\r' | sed -n 's/^redis_version://p')"

python3 - <<'PY'
import json, math, os, statistics, sys
from pathlib import Path

env = os.environ
sys.path.insert(0, str(Path(env["ROOT"], "benches")))
from reporting import cpu_model, write_section

rows = [json.loads(l) for l in Path(env["RESULTS"]).read_text().splitlines() if l.strip()]
setups = []
for r in rows:
    if r["setup"] not in setups:
        setups.append(r["setup"])
setups.sort(key=lambda s: (s.split("-")[0] != "sqlite", int(s.split("-")[1])))

def quantile(wrks, q):
    """The q-th percentile of all requests of a run: wrk's distributions (each given at fine
    percentiles) mixed by their request counts, solved by bisection on the mixed CDF."""
    total = sum(w["requests"] for w in wrks) or 1
    def cdf(x):
        acc = 0.0
        for w in wrks:
            pts = [(0.0, float(w["min_us"]))] + [(p, float(v)) for p, v in w["quantiles"]]
            f = 100.0
            for (p0, v0), (p1, v1) in zip(pts, pts[1:]):
                if x < v1:
                    f = p0 if v1 == v0 else p0 + (p1 - p0) * max(0.0, (x - v0)) / (v1 - v0)
                    break
            acc += w["requests"] / total * f
        return acc
    lo, hi = 0.0, float(max(w["quantiles"][-1][1] for w in wrks))
    for _ in range(60):
        mid = (lo + hi) / 2
        if cdf(mid) < q:
            lo = mid
        else:
            hi = mid
    return hi / 1e3

def summarise(r):
    w = r["wrk"]
    secs = max(x["duration_us"] for x in w) / 1e6
    reqs = sum(x["requests"] for x in w)
    per = max(reqs, 1)
    pg0, pg1 = r["cpu0"]["postgres"], r["cpu1"]["postgres"]
    groups = {"ours": 0.0, "background": 0.0, "others": 0.0}
    ours_sys = 0.0
    for pid, (c1, kind, sys1) in pg1.items():
        # A backend started during the run counts from 0; one that ended is lost (short-lived
        # ones only: the pools keep theirs).
        c0, kind0, sys0 = pg0.get(pid, [0.0, None, 0.0])
        if "ours" in (kind, kind0):
            kind = "ours"
            ours_sys += sys1 - sys0
        groups[kind] += c1 - c0
    cpu = {
        "commentguard instances": r["cpu1"]["instances"] - r["cpu0"]["instances"],
        "postgres backends (ours)": groups["ours"],
        "postgres background (WAL writer, checkpointer, …)": groups["background"],
        "redis-server": r["cpu1"]["redis"] - r["cpu0"]["redis"],
        "wrk": sum(x["cpu_s"] for x in w),
    }
    busy = r["cpu1"]["busy_s"] - r["cpu0"]["busy_s"]
    wall = r["cpu1"]["wall"] - r["cpu0"]["wall"]  # the snapshots' interval: cores = CPU / wall
    statuses = {}
    for x in w:
        for k, v in x["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    s = {
        "rps": reqs / secs, "ok_rps": sum(x["ok"] for x in w) / secs,
        "p50": quantile(w, 50), "p99": quantile(w, 99),
        "non2xx": sum(x["non2xx"] for x in w),
        "errors": sum(sum(x["errors"].values()) for x in w),
        "statuses": statuses,
        "cpu_us": {k: 1e6 * v / per for k, v in cpu.items()},
        "cores": {k: v / wall for k, v in cpu.items()},
        "busy_cores": busy / wall, "busy_us": 1e6 * busy / per,
        "pg_kernel_share": ours_sys / groups["ours"] if groups["ours"] > 0 else float("nan"),
        "other_pg_us": 1e6 * groups["others"] / per,
    }
    if r["backend"] == "pg":
        d = {k: r["pg1"][k] - r["pg0"][k] for k in r["pg1"]}
        s["commits_per_req"] = d["commits"] / per
        s["commits_s"] = d["commits"] / secs
        s["wal_kib_per_req"] = d["wal_bytes"] / per / 1024
        s["commits_per_sync"] = d["commits"] / d["wal_sync"] if d["wal_sync"] else float("nan")
        s["syncs_s"] = d["wal_sync"] / secs
        s["redis_cmds_per_req"] = (r["redis1"]["commands"] - r["redis0"]["commands"]) / per
        s["redis_scripts_per_req"] = (r["redis1"]["scripts"] - r["redis0"]["scripts"]) / per
        s["redis_cmds_s"] = (r["redis1"]["commands"] - r["redis0"]["commands"]) / secs
        s["fallbacks"] = r["fallbacks"]
    return s

def median_of(runs, key, sub=None):
    vals = [(x[key][sub] if sub else x[key]) for x in runs]
    vals = [v for v in vals if not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(vals) if vals else float("nan")

per_setup = {}
for setup in setups:
    runs = [summarise(r) for r in rows if r["setup"] == setup]
    per_setup[setup] = runs

def med(setup, key, sub=None):
    return median_of(per_setup[setup], key, sub)

# Durability: every acknowledged id of a run is a row of that run's store.
durability = []
all_ok = True
for r in rows:
    acked = []
    for p in sorted(Path(env["TMP"], "acks").glob(r["tag"] + "-wrk*.ids")):
        acked += [int(x) for x in p.read_text().split()]
    stored = {int(x) for x in Path(env["TMP"], "runs", r["tag"] + ".stored").read_text().split()}
    # Acks of the warm-up and the measured run; the warm-up's are in the same store.
    for p in sorted(Path(env["TMP"], "acks").glob(r["tag"] + "-warmup-wrk*.ids")):
        acked += [int(x) for x in p.read_text().split()]
    missing = [i for i in acked if i not in stored]
    doubled = len(acked) - len(set(acked))
    unacked = len(stored) - (len(set(acked)) - len(missing))
    bound = 2 * int(env["CONNECTIONS"])  # in flight when the warm-up and the run ended
    ok = not missing and not doubled and 0 <= unacked <= bound
    all_ok &= ok
    durability.append((r["tag"], len(acked), len(stored), len(missing), unacked, ok))

CPU_KEYS = ["commentguard instances", "postgres backends (ours)",
            "postgres background (WAL writer, checkpointer, …)", "redis-server", "wrk"]

def n(x):
    return f"{x:,.0f}"

lines = []
w = lines.append
w("## Capacity: one to three instances on PostgreSQL + Redis, SQLite as the reference")
w("")
w(f"Command: `{env['COMMAND']}`  ")
w(f"Commit `{env['COMMIT']}`, {env['WRK_VERSION']}, PostgreSQL {env['PG_VERSION']}, Redis {env['REDIS_VERSION']}, "
  f"kernel {env['KERNEL']}, nproc {env['NPROC']}, CPU {cpu_model()}.  ")
w(f"PostgreSQL settings: {env['PG_SETTINGS']}"
  + (f"; the instances' connections add `{env['PG_OPTIONS']}`" if env["PG_OPTIONS"] else "") + ".  ")
w(f"Load average (1/5/15 min) before the runs: {env['LOAD_BEFORE']}; after: {env['LOAD_AFTER']}.")
w("")
w(f"Every setup runs on this one machine: the instances, PostgreSQL, Redis and wrk share its "
  f"{env['NPROC']} cores, so adding instances here adds no CPU — what the runs show is what each "
  "part costs per submission and which part the machine's CPU goes to, which is what the "
  "estimate below scales. Setups: `sqlite-1` is the default deployment (one `commentguard serve`, "
  "a SQLite file, rate limits in-process); `pg-N` is N instances on one fresh PostgreSQL schema "
  f"(a pool of {env['POOL']} connections each) with the rate limits shared in Redis (one script "
  "call per submission; a check Redis does not answer within the default 100 ms falls back to "
  "the instance's own limits, counted below). Every limit is on (per IP, per e-mail, "
  "site-wide) but never reached. "
  f"Load: one wrk per instance, {env['CONNECTIONS']} connections in all split evenly (no load "
  "balancer: on this machine a proxy would take CPU from the instances it feeds; the instances "
  "are stateless, so an even split is what round robin does, minus the hop); each request a "
  "different real comment body, a new author and client IP. "
  f"Per round every setup starts afresh (new store, new processes), warms up {env['WARMUP']} s, "
  f"then is measured {env['DURATION']} s; {env['ROUNDS']} round(s), alternating the order; medians "
  "over the rounds. p50/p99 are over all requests of a run (the wrk processes' distributions "
  "merged). CPU per request = the group's user + system time over the run / requests answered: "
  "the instances (whole processes), the PostgreSQL backends serving them (by application name "
  "in `pg_stat_activity`), PostgreSQL's background processes (postmaster, WAL writer, "
  "checkpointer, autovacuum…), redis-server, wrk (GNU time), and the machine's busy time "
  "(`/proc/stat`). Commits and WAL from `pg_stat_database`/`pg_stat_wal`, Redis commands from "
  "`INFO` (the commands the rate-limit script runs count too).")
w("")
w("| setup | requests/s | 2xx/s | p50 ms | p99 ms | non-2xx | socket errors | machine busy (cores) | req/s of each round |")
w("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for s in setups:
    runs = per_setup[s]
    bad = {}
    for x in runs:
        for k, v in x["statuses"].items():
            if not k.startswith("2"):
                bad[k] = bad.get(k, 0) + v
    bad_txt = " (" + ", ".join(f"{k}: {v:,}" for k, v in sorted(bad.items())) + ")" if bad else ""
    w(f"| {s} | {n(med(s, 'rps'))} | {n(med(s, 'ok_rps'))} | {med(s, 'p50'):.2f} | {med(s, 'p99'):.2f} | "
      f"{sum(x['non2xx'] for x in runs)}{bad_txt} | {sum(x['errors'] for x in runs)} | "
      f"{med(s, 'busy_cores'):.2f} | " + ", ".join(n(x["rps"]) for x in runs) + " |")
w("")
w("CPU per request (µs, median over the rounds) by process group; in brackets the cores the group kept busy:")
w("")
w("| setup | " + " | ".join(CPU_KEYS) + " | whole machine |")
w("|---|" + "---:|" * (len(CPU_KEYS) + 1))
for s in setups:
    cells = [f"{med(s, 'cpu_us', k):.1f} ({med(s, 'cores', k):.2f})" for k in CPU_KEYS]
    w(f"| {s} | " + " | ".join(cells) + f" | {med(s, 'busy_us'):.1f} ({med(s, 'busy_cores'):.2f}) |")
others = max(med(s, "other_pg_us") for s in setups)
if others >= 1:
    w("")
    w(f"Other clients' PostgreSQL backends used up to {others:.1f} µs per request of ours during "
      "the runs (not in the table; the machine was not quiet).")
pg_setups = [s for s in setups if s.startswith("pg-")]
w("")
w("The shared servers' work per request (PostgreSQL setups, medians):")
w("")
w("| setup | commits/s | commits per request | WAL KiB per request | WAL syncs/s | commits per WAL sync | backends' CPU in the kernel | Redis commands/s | Redis commands per request | Redis scripts per request | checks Redis did not answer in 100 ms (all rounds) |")
w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s in pg_setups:
    w(f"| {s} | {n(med(s, 'commits_s'))} | {med(s, 'commits_per_req'):.2f} | {med(s, 'wal_kib_per_req'):.2f} | "
      f"{n(med(s, 'syncs_s'))} | {med(s, 'commits_per_sync'):.1f} | {100 * med(s, 'pg_kernel_share'):.0f}% | "
      f"{n(med(s, 'redis_cmds_s'))} | "
      f"{med(s, 'redis_cmds_per_req'):.2f} | {med(s, 'redis_scripts_per_req'):.2f} | "
      f"{sum(x['fallbacks'] for x in per_setup[s]):,} |")
w("")

# Where the bottleneck is, per setup: the group using the most CPU per request, and whether the
# machine was saturated.
nproc = int(env["NPROC"])
w("Where the time goes:")
w("")
for s in setups:
    shares = {k: med(s, "cpu_us", k) for k in CPU_KEYS if k != "wrk"}
    busy = med(s, "busy_us")
    top = max(shares, key=shares.get)
    sat = med(s, "busy_cores") >= 0.9 * nproc
    parts = ", ".join(f"{k} {100 * v / busy:.0f}%" for k, v in shares.items() if busy > 0 and v > 0)
    rest = busy - sum(shares.values()) - med(s, "cpu_us", "wrk")
    w(f"- `{s}`: {n(med(s, 'rps'))} requests/s with the machine {'saturated' if sat else 'not saturated'} "
      f"({med(s, 'busy_cores'):.2f} of {nproc} cores busy); of the machine's CPU per request, {parts} "
      f"(wrk {100 * med(s, 'cpu_us', 'wrk') / busy:.0f}%, everything else on the machine "
      f"{100 * max(rest, 0.0) / busy:.0f}%); the largest share: {top}.")
w("")

# Paper estimate from the PostgreSQL setup with the highest throughput.
if pg_setups:
    peak_setup = max(pg_setups, key=lambda s: med(s, "rps"))
    peak = med(peak_setup, "rps")
    cg = med(peak_setup, "cpu_us", "commentguard instances")
    pgb = med(peak_setup, "cpu_us", "postgres backends (ours)") + med(
        peak_setup, "cpu_us", "postgres background (WAL writer, checkpointer, …)")
    red = med(peak_setup, "cpu_us", "redis-server")
    commits = med(peak_setup, "commits_per_req")
    wal = med(peak_setup, "wal_kib_per_req")
    per_sync = med(peak_setup, "commits_per_sync")
    rcmd = med(peak_setup, "redis_cmds_per_req")
    db_cores = int(env["DB_CORES"])
    redis_cap = 1e6 / red if red > 0 else float("inf")
    pg_cap = db_cores * 1e6 / pgb if pgb > 0 else float("inf")
    w(f"### Paper estimate: 10× and 100× the measured peak")
    w("")
    w(f"From the measured peak on PostgreSQL (`{peak_setup}`, {n(peak)} submissions/s) and its CPU per "
      f"request: instances {cg:.1f} µs, PostgreSQL {pgb:.1f} µs (backends and background), Redis "
      f"{red:.1f} µs; {commits:.2f} commits, {wal:.2f} KiB of WAL and {rcmd:.2f} Redis commands per "
      f"submission. Linear scaling of this machine's per-request costs (which include the contention of "
      f"everything sharing {nproc} cores), cores counted fully busy:")
    w("")
    w("| target | submissions/s | instance cores (2-core instances) | PostgreSQL commits/s | WAL MB/s | PostgreSQL cores | Redis commands/s | Redis cores |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for k in (10, 100):
        rate = k * peak
        cores = rate * cg / 1e6
        w(f"| {k}× | {n(rate)} | {cores:,.1f} ({math.ceil(cores / 2):,}) | {n(rate * commits)} | "
          f"{rate * wal / 1024:,.1f} | {rate * pgb / 1e6:,.1f} | {n(rate * rcmd)} | {rate * red / 1e6:,.2f} |")
    w("")
    w(f"- **Instances** scale out: they share nothing but the two servers, so {math.ceil(10 * peak * cg / 1e6 / 2):,} "
      f"and {math.ceil(100 * peak * cg / 1e6 / 2):,} two-core instances (flat out; add headroom) carry "
      "10× and 100×.")
    w(f"- **Redis** runs the scripts on one thread: at {red:.1f} µs per submission it saturates one core at "
      f"≈ {n(redis_cap)} submissions/s, {redis_cap / peak:,.1f}× the measured peak.")
    w(f"- **PostgreSQL** is one primary (every submission is {commits:.2f} commits on it): at {pgb:.1f} µs per "
      f"submission a primary of {db_cores} cores (an assumption: `--db-cores`) saturates at ≈ {n(pg_cap)} "
      f"submissions/s, {pg_cap / peak:,.1f}× the peak; group commit here put {per_sync:.1f} commits in each "
      f"WAL sync, so 100× needs ≈ {n(100 * peak * commits / per_sync) if per_sync == per_sync and per_sync > 0 else '?'} WAL syncs/s at that grouping.")
    first = sorted([("Redis (one thread)", redis_cap), (f"PostgreSQL (a {db_cores}-core primary)", pg_cap)],
                   key=lambda x: x[1])
    verdict = []
    for name, cap in first:
        verdict.append(f"{name} at ≈ {cap / peak:,.1f}× the peak")
    w(f"- **What breaks first**: {verdict[0]}, then {verdict[1]}. "
      + ("At 10× both shared servers still have room. " if first[0][1] >= 10 * peak else
         "10× is already past it. ")
      + ("At 100×, " + first[0][0].split(" (")[0] + " is past its limit: "
         + ("split the rate-limit keys over several Redis servers by site (one submission's keys all "
            "name one site, so a site's limits stay on one server), or check the site-wide limit "
            "in-process only." if first[0][0].startswith("Redis") else
            "the primary must commit less per submission (batch submissions into fewer "
            "transactions) or the sites be split over several databases.")
         if first[0][1] < 100 * peak else "At 100× both still fit on paper."))
    w("")

w("Durability (after a graceful stop of each setup's instances): every id wrk saw acknowledged "
  "with 2xx, warm-up included, looked up in that run's store:")
w("")
w("| run | acknowledged | rows stored | acknowledged but missing | rows without an acknowledgement | |")
w("|---|---:|---:|---:|---:|---|")
for tag, acked, stored, missing, unacked, ok in durability:
    w(f"| {tag} | {acked:,} | {stored:,} | **{missing}** | {unacked} | {'pass' if ok else '**FAIL**'} |")
w("")
w("Rows without an acknowledgement are requests in flight when a wrk run ended (at most the "
  "connections, twice: warm-up and run). " + ("All runs **pass**." if all_ok else "Some runs **FAIL**."))

section = "\n".join(lines) + "\n"
print(section)
if env["WRITE"]:
    write_section(Path(env["WRITE"]), "capacity", section)
    print(f"[capacity] wrote the section to {env['WRITE']}", file=sys.stderr)
sys.exit(0 if all_ok else 3)
PY
