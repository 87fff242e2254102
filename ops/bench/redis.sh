# Sourced by ops/bench/run and ops/bench/ab: the Redis a benchmark measures. `bench_redis DIR` sets REDIS
# (a URL without a database number) and REDIS_SETUP: BENCH_REDIS_URL when given, else a dedicated
# redis-server on a free loopback port (appendonly yes, as the dev throwaway), stopped and removed on exit,
# so CONFIG RESETSTAT / INFO commandstats see only this benchmark and parallel test suites neither disturb
# nor are disturbed by it. Needs a `log` function.

BENCH_REDIS_PID=""
BENCH_REDIS_DIR=""

stop_bench_redis() {
    if [[ -n "$BENCH_REDIS_PID" ]] && kill -0 "$BENCH_REDIS_PID" 2>/dev/null &&
        [[ "$(cat "/proc/$BENCH_REDIS_PID/comm" 2>/dev/null)" == redis-server* ]]; then
        kill "$BENCH_REDIS_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$BENCH_REDIS_PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
    [[ -n "$BENCH_REDIS_DIR" ]] && rm -rf "$BENCH_REDIS_DIR"
}

bench_redis() {
    BENCH_REDIS_DIR=$1
    if [[ -n "${BENCH_REDIS_URL:-}" ]]; then
        REDIS=$BENCH_REDIS_URL
        REDIS_SETUP="given by BENCH_REDIS_URL"
        BENCH_REDIS_DIR=""
        log "using BENCH_REDIS_URL"
        return
    fi
    rm -rf "$BENCH_REDIS_DIR"
    mkdir -p "$BENCH_REDIS_DIR"
    local started=0 port
    for _ in 1 2 3; do
        port=$((20000 + RANDOM % 12000))
        if redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$BENCH_REDIS_DIR" \
            --appendonly yes --save "" --pidfile "$BENCH_REDIS_DIR/redis.pid" \
            --logfile "$BENCH_REDIS_DIR/redis.log" >/dev/null; then
            for _ in $(seq 1 50); do
                if [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; then
                    started=1
                    break
                fi
                sleep 0.1
            done
        fi
        ((started)) && break
    done
    ((started)) || {
        echo "error: could not start a dedicated redis-server" >&2
        exit 1
    }
    BENCH_REDIS_PID=$(cat "$BENCH_REDIS_DIR/redis.pid")
    trap stop_bench_redis EXIT
    REDIS=redis://127.0.0.1:$port
    REDIS_SETUP="dedicated redis-server on 127.0.0.1, appendonly yes (appendfsync everysec), no RDB snapshots"
    log "dedicated redis-server on 127.0.0.1:$port (pid $BENCH_REDIS_PID)"
}
