# Shared by benches/load.sh, benches/soak.sh and benches/capacity.sh (sourced, not run): the
# parts of driving the real service with wrk that they do the same way — tools, ports,
# stopping processes, the request bodies, the limit-free site config, waiting for
# readiness, the commit stamp. Each function says what it needs; none of them changes the
# caller's shell options. Needs $ROOT and log().

# Whether a command (a name on PATH, or a path) is there.
have() { # command
    case "$1" in
        */*) [ -x "$1" ] ;;
        *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

# Installs a Debian package when the command is missing and we are root; else explains.
need_tool() { # command package
    have "$1" && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing $2 (apt-get)"
        timeout 600 apt-get install -y -q "$2" >&2 || { timeout 300 apt-get update -q >&2 && timeout 600 apt-get install -y -q "$2" >&2; }
    fi
    have "$1" || { echo "$(basename "$0"): $1 is required (Debian: apt-get install $2)" >&2; exit 1; }
}

# A TCP port free on loopback right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# SIGTERM, wait up to the given seconds (default 15), then SIGKILL.
stop_pid() { # pid [seconds]
    local pid=$1 tenths=$(( ${2:-15} * 10 )) i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 "$tenths"); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    log "pid $pid did not stop in ${2:-15} s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Request bodies: every corpus comment the service accepts as a body (1-5,000 characters
# after trim + NFC, no control characters but \n \r \t), one JSON string literal per line,
# in a fixed pseudo-random order; prints a one-line summary to stderr.
write_bodies() { # out-file
    python3 - "$ROOT/training-data" "$1" "$(basename "$0" .sh)" <<'PY'
import csv, json, random, statistics, sys, unicodedata
from pathlib import Path
csv.field_size_limit(sys.maxsize)
data, out, tag = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
texts, seen = [], set()
for path in sorted(data.glob("*.csv")):
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            t = unicodedata.normalize("NFC", row["text"].strip())
            if not t or len(t) > 5000 or t in seen:
                continue
            if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in t):
                continue
            seen.add(t)
            texts.append(row["text"])
random.Random("commentguard-load-1").shuffle(texts)
with out.open("w", encoding="utf-8") as f:
    for t in texts:
        f.write(json.dumps(t, ensure_ascii=False) + "\n")
lengths = sorted(len(t) for t in texts)
print(f"[{tag}] {len(texts)} distinct corpus bodies, median {statistics.median(lengths):.0f} "
      f"characters, p90 {lengths[len(lengths) * 9 // 10]}", file=sys.stderr)
PY
}

# The service's config for a load run: every rate limit off, no form-time check, a fresh
# database; wrk is the "reverse proxy" whose X-Forwarded-For names a client per request.
write_load_config() { # out-file port database
    cat >"$1" <<TOML
# Load test: every rate limit off, no form-time check; a fresh database.
bind = "127.0.0.1:$2"
database = "$3"
models = "$ROOT/models"
# wrk is the "reverse proxy": its X-Forwarded-For names a distinct client per request.
trusted_proxies = ["127.0.0.1"]

[sites.load]
min_form_seconds = 0
require_form_token = false
require_email = false
premoderate = false
duplicate_window_hours = 24

[sites.load.rate_limit]
ip_burst = 0
ip_per_minute = 0
email_burst = 0
email_per_minute = 0
global_burst = 0
global_per_minute = 0
report_ip_burst = 0
report_ip_per_minute = 0
TOML
}

# Waits up to 30 s for a server to answer on `port` (`path`, default any page); exits with
# its log if the process ends first.
wait_ready() { # name port pid log [path]
    local i
    for i in $(seq 1 300); do
        kill -0 "$3" 2>/dev/null || { echo "$(basename "$0"): $1 exited during start-up (log: $4)" >&2; cat "$4" >&2; exit 1; }
        if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$2${5:-/}"; then return 0; fi
        sleep 0.1
    done
    echo "$(basename "$0"): $1 not answering on port $2 after 30 s" >&2
    exit 1
}

# The commit measured, for a report's header: the short hash, and a note when the working
# tree has uncommitted changes to tracked files.
commit_stamp() {
    local commit
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        commit="$commit (plus uncommitted changes in the working tree)"
    fi
    printf '%s\n' "$commit"
}
