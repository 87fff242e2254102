# shellcheck shell=bash
# A throwaway platform stack for end-to-end checks (the browser test, the API schema fuzz): the api (and
# optionally workers) binaries on a free loopback port, a fresh database on the Postgres of DATABASE_URL and
# its own Redis namespace on REDIS_URL. Source after ops/lib/services.sh, then:
#
#   stack_start NAME [--workers] [EXTRA_ENV...]   builds the binaries, migrates, starts; sets STACK_URL
#   stack_user EMAIL ROLE                         creates a user, prints its random password
#   stack_token EMAIL PASSWORD                    prints a bearer token for the user
#   stack_logs                                    prints the tail of the processes' logs (on failure)
#
# stack_start installs an EXIT trap that stops and drops everything it started.

STACK_DIR=""
STACK_URL=""
STACK_API_PID=""
STACK_WORKERS_PID=""
STACK_DB=""
STACK_NS=""
STACK_ENV=()

# DATABASE_URL with its database name replaced by $1.
stack_url_with_db() {
    local base=${DATABASE_URL%%\?*} query=""
    [[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
    printf '%s/%s%s\n' "${base%/*}" "$1" "$query"
}

# shellcheck disable=SC2317 # called from the EXIT trap
stack_cleanup() {
    local pid
    for pid in $STACK_API_PID $STACK_WORKERS_PID; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $STACK_API_PID $STACK_WORKERS_PID; do wait "$pid" 2>/dev/null || true; done
    if [[ -n "$STACK_DB" ]]; then
        "$(pg_tool psql)" -X -q -d "$DATABASE_URL" -c "DROP DATABASE IF EXISTS \"$STACK_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    if [[ -n "$STACK_NS" ]]; then
        redis-cli -u "$REDIS_URL" --scan --pattern "$STACK_NS:*" 2>/dev/null | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null 2>&1 || true
    fi
    [[ -n "$STACK_DIR" ]] && rm -rf "$STACK_DIR"
}

stack_wait_http() {
    local url=$1 i
    for i in $(seq 1 150); do
        if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
        if ! kill -0 "$STACK_API_PID" 2>/dev/null; then return 1; fi
        sleep 0.2
    done
    return 1
}

stack_bin() { printf '%s/debug/%s\n' "${CARGO_TARGET_DIR:-$HOME/.cache/crm-platform/target}" "$1"; }

stack_start() {
    local name=$1 with_workers=0 port psql
    shift
    if [[ "${1:-}" == --workers ]]; then with_workers=1 && shift; fi
    if [[ -z "${DATABASE_URL:-}" || -z "${REDIS_URL:-}" ]]; then ensure_services crm_test; fi
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-platform/target}"
    say "$name: cargo build (api, workers)"
    cargo build -q -p crm-api -p crm-workers --bins || die "build failed"
    psql=$(pg_tool psql) || die "psql not found"

    trap stack_cleanup EXIT
    STACK_DIR=$(mktemp -d -t "crm-$name-XXXXXX")
    STACK_DB="crm_${name//-/_}_$(date +%s)_$$"
    STACK_NS="$name-$(date +%s)-$$"
    "$psql" -X -q -d "$DATABASE_URL" -c "CREATE DATABASE \"$STACK_DB\"" >/dev/null || die "cannot create database $STACK_DB"
    port=$(free_port) || die "no free port"
    STACK_URL="http://127.0.0.1:$port"
    STACK_ENV=(
        "PATH=$PATH"
        "DATABASE_URL=$(stack_url_with_db "$STACK_DB")"
        "REDIS_URL=$REDIS_URL"
        "REDIS_NAMESPACE=$STACK_NS"
        "JWT_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
        "API_BIND=127.0.0.1:$port"
        "API_PUBLIC_URL=$STACK_URL"
        "METRICS_BIND="
        "WORKER_HEARTBEAT_SECS=1"
        "WORKER_POLL_FALLBACK_MS=200"
        "BACKUP_DIR=$STACK_DIR/backups"
        "WORKER_SHUTDOWN_GRACE_SECS=5"
        "RUST_LOG=warn"
        "$@"
    )
    env -i "${STACK_ENV[@]}" "$(stack_bin workers)" migrate >/dev/null || die "migrations failed"
    env -i "${STACK_ENV[@]}" "$(stack_bin api)" >"$STACK_DIR/api.log" 2>&1 &
    STACK_API_PID=$!
    if ((with_workers)); then
        env -i "${STACK_ENV[@]}" "$(stack_bin workers)" >"$STACK_DIR/workers.log" 2>&1 &
        STACK_WORKERS_PID=$!
    fi
    stack_wait_http "$STACK_URL/api/v1/health" || { cat "$STACK_DIR/api.log" >&2; die "the API did not start"; }
}

stack_user() {
    local email=$1 role=$2 password
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s' "$password" | env -i "${STACK_ENV[@]}" "$(stack_bin workers)" create-user --email "$email" --role "$role" --password-stdin >/dev/null ||
        die "cannot create the $role user"
    printf '%s\n' "$password"
}

stack_token() {
    local body
    body=$(printf '{"email":"%s","password":"%s"}' "$1" "$2")
    curl -fsS -H 'content-type: application/json' -d "$body" "$STACK_URL/api/v1/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' ||
        die "cannot sign in as $1"
}

stack_logs() {
    local f
    for f in "$STACK_DIR"/api.log "$STACK_DIR"/workers.log; do
        [[ -f "$f" ]] || continue
        say "--- ${f##*/} (last 40 lines)" && tail -n 40 "$f" >&2
    done
}
