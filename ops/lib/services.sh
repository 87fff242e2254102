# shellcheck shell=bash
#
# Service bootstrap shared by ops/run, ops/test and ops/services. Source it; do not execute it.
#
#   ensure_build_deps      libpq and OpenSSL headers, pkg-config + a C compiler, installed with apt when
#                          missing and allowed
#   ensure_services [DB]   exports DATABASE_URL and REDIS_URL that answer right now
#   stop_services          stops the throwaway instances of this checkout (data is kept)
#   services_status        one line per throwaway instance
#
# Order of preference for each of Postgres and Redis:
#   1. DATABASE_URL / REDIS_URL already set and answering   -> used as is
#   2. server binaries installed                            -> throwaway instance under .state/
#   3. root or passwordless sudo + apt-get                  -> install packages, then 2.
#   4. nothing works                                        -> stop with what is missing and the
#                                                              docker compose alternative
# Services already listening on 5432/6379 are deliberately ignored unless the URLs point at them:
# tests create and drop databases, and that must never happen to somebody else's server by accident.
#
# Every message goes to stderr so that `eval "$(ops/services env)"` only sees export lines.

CRM_ROOT="${CRM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
CRM_STATE_DIR="${CRM_STATE_DIR:-$CRM_ROOT/.state}"
CRM_SERVICES_ENV="$CRM_STATE_DIR/services.env"

_crm_apt_updated=0
_crm_lock_fd=""

say() { printf '%s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# --- small utilities ---------------------------------------------------------------------------

# Hide credentials before a URL reaches the terminal or a log.
redact_url() {
    printf '%s\n' "$1" | sed -E -e 's#(://[^:/@]*):[^@/]*@#\1:***@#' -e 's#([?&]password=)[^&]*#\1***#'
}

# True when something listens on the TCP port (any address). `ss` sees listeners on every
# interface; the /dev/tcp probe is the fallback for minimal images without iproute2.
port_in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# A currently free port below the kernel's ephemeral range (32768+), so that it cannot collide
# with the source port of an outgoing connection. Another process may still take it before we
# bind: the start functions retry with a new port when that happens.
free_port() {
    local port _
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 12000))
        if ! port_in_use "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    return 1
}

# services.env is KEY=value lines (readable by humans, parsed here without sourcing it).
state_get() {
    local key=$1 line
    [[ -r "$CRM_SERVICES_ENV" ]] || return 1
    while IFS= read -r line; do
        if [[ "$line" == "$key="* ]]; then
            printf '%s\n' "${line#*=}"
            return 0
        fi
    done <"$CRM_SERVICES_ENV"
    return 1
}

state_set() {
    local key=$1 value=$2 tmp
    mkdir -p "$CRM_STATE_DIR"
    tmp=$(mktemp "$CRM_SERVICES_ENV.XXXXXX")
    {
        if [[ -r "$CRM_SERVICES_ENV" ]]; then
            grep -v "^$key=" "$CRM_SERVICES_ENV" || true
        else
            printf '# Throwaway services of this checkout, written by ops/lib/services.sh.\n'
        fi
        printf '%s=%s\n' "$key" "$value"
    } >"$tmp"
    mv -f "$tmp" "$CRM_SERVICES_ENV"
}

# Two ops commands started at the same time must not both run initdb in the same folder.
services_lock() {
    mkdir -p "$CRM_STATE_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec {_crm_lock_fd}>>"$CRM_STATE_DIR/services.lock"
        flock -w 300 "$_crm_lock_fd" || die "another ops command holds $CRM_STATE_DIR/services.lock"
    fi
}

# Daemons started while the lock is held must not inherit its descriptor: they would keep the
# lock for their whole lifetime and every later ops command would wait for it.
without_lock_fd() {
    if [[ -n "$_crm_lock_fd" ]]; then
        "$@" {_crm_lock_fd}>&-
    else
        "$@"
    fi
}

services_unlock() {
    if [[ -n "$_crm_lock_fd" ]]; then
        exec {_crm_lock_fd}>&-
        _crm_lock_fd=""
    fi
}

# --- package installation ----------------------------------------------------------------------

can_install_packages() {
    command -v apt-get >/dev/null 2>&1 || return 1
    [[ $EUID -eq 0 ]] && return 0
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# apt-get output goes to a log file: it is long, and only interesting when it fails.
apt_install() {
    can_install_packages || return 1
    local log="$CRM_STATE_DIR/apt.log"
    mkdir -p "$CRM_STATE_DIR"
    if [[ $_crm_apt_updated -eq 0 ]]; then
        say "apt: updating package lists"
        if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update >>"$log" 2>&1; then
            say "apt: update failed, see $log"
            return 1
        fi
        _crm_apt_updated=1
    fi
    say "apt: installing $*"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1; then
        say "apt: install failed, see $log"
        return 1
    fi
}

have_libpq_headers() {
    [[ -f /usr/include/postgresql/libpq-fe.h ]] && return 0
    local inc
    inc=$(pg_config --includedir 2>/dev/null) || return 1
    [[ -f "$inc/libpq-fe.h" ]]
}

# OpenSSL's headers, as openssl-sys finds them (through pkg-config).
have_openssl_headers() {
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl
}

# diesel links against libpq; openssl-sys (the binaries initialise the OpenSSL that libpq uses) needs
# OpenSSL's headers and pkg-config; the linker step needs a C compiler.
ensure_build_deps() {
    if ! have_libpq_headers; then
        apt_install libpq-dev pkg-config gcc ||
            die "libpq headers (libpq-fe.h) are missing and cannot be installed here; install libpq-dev (Debian/Ubuntu) or your system's libpq development package"
    fi
    if ! have_openssl_headers; then
        apt_install libssl-dev pkg-config ||
            die "OpenSSL headers (found through pkg-config) are missing and cannot be installed here; install libssl-dev and pkg-config (Debian/Ubuntu) or your system's OpenSSL development package"
    fi
    if ! command -v cc >/dev/null 2>&1; then
        apt_install gcc || die "no C compiler (cc) found; install gcc"
    fi
}

# --- PostgreSQL --------------------------------------------------------------------------------

# Directory holding initdb/pg_ctl/postgres. Debian installs one folder per major version; the
# newest is picked so the throwaway server is never older than the pg_dump the backups use.
pg_server_bin() {
    if [[ -n "${PG_BIN_DIR:-}" && -x "$PG_BIN_DIR/initdb" && -x "$PG_BIN_DIR/pg_ctl" ]]; then
        printf '%s\n' "$PG_BIN_DIR"
        return 0
    fi
    local dir found=()
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && found+=("$dir")
    done
    if ((${#found[@]})); then
        printf '%s\n' "${found[@]}" | sort -V | tail -n 1
        return 0
    fi
    local initdb
    initdb=$(command -v initdb 2>/dev/null) || return 1
    dir=$(dirname "$initdb")
    [[ -x "$dir/pg_ctl" ]] || return 1
    printf '%s\n' "$dir"
}

# A client tool (psql, pg_isready): the throwaway server's own copy first, then PATH.
pg_tool() {
    local name=$1
    if [[ -n "${CRM_PG_BIN:-}" && -x "$CRM_PG_BIN/$name" ]]; then
        printf '%s\n' "$CRM_PG_BIN/$name"
    else
        command -v "$name" 2>/dev/null
    fi
}

# initdb and pg_ctl refuse to run as root, so as root the cluster belongs to the `postgres`
# account. `cd /` keeps them from complaining about a working directory they cannot read.
pg_as_owner() {
    if [[ $EUID -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && su -s /bin/sh postgres -c "$(printf '%q ' "$@")")
    fi
}

# Where the throwaway cluster lives: .state/pg, unless the postgres account cannot reach it
# (checkout under a private home directory), then a per-checkout folder under /tmp.
pg_state_dir() {
    local dir
    if dir=$(state_get PG_DIR) && [[ -d "$dir" ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    dir="$CRM_STATE_DIR/pg"
    if [[ $EUID -eq 0 ]]; then
        getent passwd postgres >/dev/null || die "running as root, but there is no 'postgres' account to own the throwaway cluster"
        mkdir -p "$dir"
        chown postgres: "$dir"
        chmod 700 "$dir"
        if ! pg_as_owner test -w "$dir"; then
            dir="${TMPDIR:-/tmp}/crm-platform-$(printf '%s' "$CRM_ROOT" | cksum | cut -d ' ' -f 1)/pg"
            mkdir -p "$dir"
            chmod 755 "$(dirname "$dir")"
            chown postgres: "$dir"
            chmod 700 "$dir"
        fi
    else
        mkdir -p "$dir"
        chmod 700 "$dir"
    fi
    printf '%s\n' "$dir"
}

# Port of the live throwaway cluster in $1, or failure. postmaster.pid holds the pid (line 1)
# and the port (line 4); pg_isready guards against a recycled pid.
pg_running_port() {
    local dir=$1 bin=$2 pidfile="$1/data/postmaster.pid" pid port
    [[ -r "$pidfile" ]] || return 1
    pid=$(sed -n 1p "$pidfile")
    port=$(sed -n 4p "$pidfile")
    [[ "$pid" =~ ^[0-9]+$ && "$port" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 3 || return 1
    printf '%s\n' "$port"
}

pg_pid() {
    sed -n 1p "$1/data/postmaster.pid" 2>/dev/null
}

# Settings tuned for a disposable development/test server: durability is traded for speed
# (fsync off), and only loopback TCP plus a socket inside the state folder are opened, so it
# never collides with a system cluster's /var/run/postgresql socket.
pg_init() {
    local dir=$1 bin=$2 sockdir="$1/run" conf="$1/data/postgresql.conf"
    say "postgres: creating throwaway cluster in $dir (initdb from $bin)"
    pg_as_owner mkdir -p "$sockdir"
    if ! pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$CRM_STATE_DIR/initdb.log" 2>&1; then
        die "initdb failed, see $CRM_STATE_DIR/initdb.log"
    fi
    # Unix socket paths are limited to ~107 bytes; TCP is enough when the folder is too deep.
    if ((${#sockdir} > 90)); then sockdir=""; fi
    pg_as_owner tee -a "$conf" >/dev/null <<EOF

# --- added by ops/lib/services.sh (throwaway instance: speed over durability) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
log_min_messages = warning
EOF
}

# Start on a fresh free port; retry when another process grabbed the port first.
pg_start() {
    local dir=$1 bin=$2 port _
    for _ in 1 2 3; do
        port=$(free_port) || die "no free TCP port found for postgres"
        if without_lock_fd pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
            -o "-p $port" start >/dev/null 2>&1; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    say "postgres: could not start; last lines of $dir/postgres.log:"
    tail -n 5 "$dir/postgres.log" >&2 2>/dev/null || true
    return 1
}

pg_ensure_database() {
    local bin=$1 port=$2 db=$3 exists
    [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $db"
    exists=$("$bin/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atq \
        -c "select 1 from pg_database where datname = '$db'") || die "cannot query the throwaway postgres on port $port"
    if [[ "$exists" != 1 ]]; then
        "$bin/psql" -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -q \
            -c "create database \"$db\"" || die "cannot create database $db"
    fi
}

pg_url_reachable() {
    local url=$1 isready psql
    isready=$(pg_tool pg_isready) || return 2
    psql=$(pg_tool psql) || return 2
    "$isready" -q -d "$url" -t 3 || return 1
    # pg_isready does not authenticate; a real query proves the credentials and database too.
    PGCONNECT_TIMEOUT=5 "$psql" -X -w -Atq -d "$url" -c 'select 1' >/dev/null 2>&1
}

# Start (or reuse) the throwaway cluster; exports DATABASE_URL for database $1.
pg_throwaway() {
    local db=$1 bin dir port how
    bin=$(pg_server_bin) || return 1
    # die() inside $(...) only leaves the subshell; its message is already printed.
    dir=$(pg_state_dir) || exit 1
    if port=$(pg_running_port "$dir" "$bin"); then
        how="reusing throwaway instance on 127.0.0.1:$port (pid $(pg_pid "$dir"))"
    else
        [[ -f "$dir/data/PG_VERSION" ]] || pg_init "$dir" "$bin"
        port=$(pg_start "$dir" "$bin") || die "postgres: throwaway instance did not start"
        how="started throwaway instance on 127.0.0.1:$port (data in $dir)"
        CRM_SERVICES_STARTED=1
    fi
    pg_ensure_database "$bin" "$port" "$db"
    state_set PG_DIR "$dir"
    state_set PG_BIN "$bin"
    state_set PG_PORT "$port"
    state_set PG_PID "$(pg_pid "$dir")"
    export CRM_PG_BIN="$bin"
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/$db"
    say "postgres: $how, database $db"
}

# --- Redis -------------------------------------------------------------------------------------

redis_cli_for_url() {
    local url=$1 cli args=(--no-auth-warning)
    cli=$(command -v redis-cli 2>/dev/null) || return 2
    case "$url" in
    rediss://*) args+=(--tls -u "$url") ;;
    unix://*) args+=(-s "${url#unix://}") ;;
    *) args+=(-u "$url") ;;
    esac
    timeout 5 "$cli" "${args[@]}" "${@:2}"
}

redis_url_reachable() {
    local reply
    command -v redis-cli >/dev/null 2>&1 || return 2
    reply=$(redis_cli_for_url "$1" ping 2>/dev/null) || return 1
    [[ "$reply" == PONG ]]
}

# True when the redis answering on port $1 is process $2. A PONG alone is not enough: when our
# server failed to bind, another redis (the system one on 6379, say) may answer on that port.
redis_port_is_ours() {
    local info
    info=$(timeout 3 redis-cli -h 127.0.0.1 -p "$1" info server 2>/dev/null) || return 1
    [[ "$(printf '%s\n' "$info" | tr -d '\r' | sed -n 's/^process_id://p')" == "$2" ]]
}

# Pid of the throwaway redis-server of this checkout, when one is alive. The process name is
# checked so that a recycled pid is never mistaken for (or killed as) our server.
redis_live_pid() {
    local pid
    pid=$(cat "$CRM_STATE_DIR/redis/redis.pid" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server* ]] || return 1
    # A zombie (exited, not yet reaped by its parent) still passes kill -0.
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
    printf '%s\n' "$pid"
}

redis_start() {
    local dir="$CRM_STATE_DIR/redis" port pid _ i
    mkdir -p "$dir"
    for _ in 1 2 3; do
        port=$(free_port) || die "no free TCP port found for redis"
        rm -f "$dir/redis.pid"
        without_lock_fd redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$dir" \
            --appendonly yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >>"$dir/startup.log" 2>&1 ||
            continue
        # Errors before daemonizing go to startup.log. --daemonize returns before the listener exists (or fails to bind): wait for PONG.
        for i in $(seq 1 50); do
            if pid=$(redis_live_pid) && redis_port_is_ours "$port" "$pid"; then
                printf '%s\n' "$port"
                return 0
            fi
            # Past the first second, a missing process means it failed (port taken): retry.
            ((i < 10)) || redis_live_pid >/dev/null || break
            sleep 0.1
        done
    done
    say "redis: could not start; last lines of its logs in $dir:"
    tail -q -n 5 "$dir/startup.log" "$dir/redis.log" >&2 2>/dev/null || true
    return 1
}

redis_throwaway() {
    local port pid how
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        return 1
    fi
    if pid=$(redis_live_pid); then
        if ! port=$(state_get REDIS_PORT) || ! redis_port_is_ours "$port" "$pid"; then
            die "redis: a redis-server (pid $pid) uses $CRM_STATE_DIR/redis but does not answer on a known port; run 'ops/services stop' first"
        fi
        how="reusing throwaway instance on 127.0.0.1:$port (pid $pid)"
    else
        port=$(redis_start) || die "redis: throwaway instance did not start"
        pid=$(redis_live_pid || true)
        how="started on 127.0.0.1:$port (pid $pid, data in $CRM_STATE_DIR/redis)"
        CRM_SERVICES_STARTED=1
    fi
    state_set REDIS_PORT "$port"
    state_set REDIS_PID "$pid"
    export REDIS_URL="redis://127.0.0.1:$port"
    say "redis: $how"
}

# --- entry points ------------------------------------------------------------------------------

services_unavailable() {
    local missing=$1
    die "$(
        cat <<EOF
cannot provide $missing: not installed, and packages cannot be installed here (needs root or passwordless sudo with apt-get).
Either install them (Debian/Ubuntu: apt-get install postgresql postgresql-client redis-server), or use the containers:
    cp .env.example .env        # then fill in JWT_SECRET and POSTGRES_PASSWORD
    docker compose up -d postgres redis
    export DATABASE_URL=postgres://crm:<POSTGRES_PASSWORD>@127.0.0.1:5432/crm
    export REDIS_URL=redis://127.0.0.1:6379
EOF
    )"
}

# Usage: ensure_services [database name for a throwaway cluster, default crm]
# Sets CRM_SERVICES_STARTED=1 when this call started an instance (ops/test stops them in CI).
ensure_services() {
    local db=${1:-crm} need_pg=1 need_redis=1 rc pkgs=() missing=() joined="" item
    CRM_SERVICES_STARTED=${CRM_SERVICES_STARTED:-0}
    services_lock

    # Client tools are needed to check URLs given by the caller; install them when allowed.
    if [[ -n "${DATABASE_URL:-}" ]] && ! pg_tool psql >/dev/null; then pkgs+=(postgresql-client); fi
    if [[ -n "${REDIS_URL:-}" ]] && ! command -v redis-cli >/dev/null 2>&1; then pkgs+=(redis-tools); fi
    if ((${#pkgs[@]})); then apt_install "${pkgs[@]}" || true; fi
    pkgs=()

    if [[ -n "${DATABASE_URL:-}" ]]; then
        rc=0
        pg_url_reachable "$DATABASE_URL" || rc=$?
        case $rc in
        0) say "postgres: reusing DATABASE_URL ($(redact_url "$DATABASE_URL"))" && need_pg=0 ;;
        2) say "postgres: no psql to check DATABASE_URL ($(redact_url "$DATABASE_URL")); using it unchecked" && need_pg=0 ;;
        *) say "postgres: DATABASE_URL ($(redact_url "$DATABASE_URL")) does not answer; using a throwaway instance instead" ;;
        esac
    fi
    if [[ -n "${REDIS_URL:-}" ]]; then
        rc=0
        redis_url_reachable "$REDIS_URL" || rc=$?
        case $rc in
        0) say "redis: reusing REDIS_URL ($(redact_url "$REDIS_URL"))" && need_redis=0 ;;
        2) say "redis: no redis-cli to check REDIS_URL ($(redact_url "$REDIS_URL")); using it unchecked" && need_redis=0 ;;
        *) say "redis: REDIS_URL ($(redact_url "$REDIS_URL")) does not answer; using a throwaway instance instead" ;;
        esac
    fi

    # Install every missing server package in one apt run.
    if ((need_pg)) && ! pg_server_bin >/dev/null; then
        pkgs+=(postgresql postgresql-client)
        missing+=("PostgreSQL server (initdb, pg_ctl)")
        have_libpq_headers || pkgs+=(libpq-dev)
    fi
    if ((need_redis)) && ! { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1; then
        pkgs+=(redis-server)
        missing+=("Redis (redis-server, redis-cli)")
    fi
    if ((${#pkgs[@]})); then
        # Note: on hosts with systemd these packages also start system-wide services on
        # 5432/6379; they are left alone, the throwaway instances below use their own ports.
        for item in "${missing[@]}"; do joined+="${joined:+ and }$item"; done
        apt_install "${pkgs[@]}" || services_unavailable "$joined"
    fi

    if ((need_pg)); then pg_throwaway "$db" || services_unavailable "PostgreSQL server (initdb, pg_ctl)"; fi
    if ((need_redis)); then redis_throwaway || services_unavailable "Redis (redis-server, redis-cli)"; fi
    services_unlock
    export DATABASE_URL REDIS_URL
}

stop_postgres() {
    local dir bin pid
    dir=$(state_get PG_DIR) || dir="$CRM_STATE_DIR/pg"
    bin=$(state_get PG_BIN) || bin=$(pg_server_bin) || bin=""
    pid=$(pg_pid "$dir" || true)
    if [[ -z "$bin" || -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
        say "postgres: not running"
        return 0
    fi
    if pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
        say "postgres: stopped (pid $pid)"
    else
        say "postgres: pg_ctl stop failed, see $dir/postgres.log"
        return 1
    fi
}

stop_redis() {
    local pid port _
    if ! pid=$(redis_live_pid); then
        say "redis: not running"
        return 0
    fi
    # SHUTDOWN lets redis flush its append-only file; a plain TERM does the same if it fails.
    if port=$(state_get REDIS_PORT) && redis_port_is_ours "$port" "$pid"; then
        timeout 10 redis-cli -h 127.0.0.1 -p "$port" shutdown >/dev/null 2>&1 || true
    fi
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "redis: pid $pid still running after 10 s"
        return 1
    fi
    say "redis: stopped (pid $pid)"
}

stop_services() {
    local rc=0
    services_lock
    stop_postgres || rc=1
    stop_redis || rc=1
    services_unlock
    return "$rc"
}

services_status() {
    local dir bin port pid
    dir=$(state_get PG_DIR) || dir="$CRM_STATE_DIR/pg"
    bin=$(state_get PG_BIN) || bin=$(pg_server_bin) || bin=""
    if [[ -n "$bin" ]] && port=$(pg_running_port "$dir" "$bin"); then
        say "postgres: running on 127.0.0.1:$port (pid $(pg_pid "$dir"), data in $dir)"
    else
        say "postgres: not running"
    fi
    if pid=$(redis_live_pid) && port=$(state_get REDIS_PORT) && redis_port_is_ours "$port" "$pid"; then
        say "redis: running on 127.0.0.1:$port (pid $pid, data in $CRM_STATE_DIR/redis)"
    else
        say "redis: not running"
    fi
}

# --- Dovecot (mail sync tests) ------------------------------------------------------------------

# The mail sync tests start their own throwaway Dovecot (shared/src/test_utils/dovecot.rs) from
# /usr/sbin/dovecot; only the binary is needed, the system service is never used.
ensure_dovecot() {
    [[ -x /usr/sbin/dovecot ]] && return 0
    apt_install dovecot-imapd ||
        die "dovecot is missing and cannot be installed here; the mail sync tests need it: apt-get install dovecot-imapd (Debian/Ubuntu, root or sudo)"
}
