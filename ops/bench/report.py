"""Merges the platform and Celery benchmark results, prints a table, writes the JSON and BENCHMARKS.md.

Standard library only (runs with the system python3). Called by ops/bench/run.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

TARGET_RATIO = 25.0
TARGET_IDLE_P99_MS = 10


def machine():
    model = "unknown"
    mem_kib = 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass

    def cmd(*args):
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "rustc": cmd("rustc", "--version"),
        "git_commit": cmd("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(cmd("git", "status", "--porcelain", "--untracked-files=no")),
    }


def fmt(v, digits=0, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        s = f"{v:,.{digits}f}"
    else:
        s = f"{v:,}"
    return s + unit


def yes(b):
    return "MET" if b else "NOT MET"


def build(args):
    with open(args.platform) as f:
        p = json.load(f)
    with open(args.celery) as f:
        c = json.load(f)
    m = machine()
    m["redis_version"] = p.get("redis_version")
    m["redis_setup"] = args.redis_setup
    m["load_avg_before"] = args.load_before
    m["load_avg_after"] = args.load_after
    sus, idle, cmds, bl, rss = p["sustained"], p["idle_pickup"], p["redis_commands"], p["backlog"], p["rss"]
    cb = c["best"]
    rounds = [round_figures(sus, cb)]
    for pf, cf in zip(args.round_platform or [], args.round_celery or []):
        with open(pf) as f:
            ps = json.load(f)["sustained"]
        with open(cf) as f:
            cs = json.load(f)["best"]
        rounds.append(round_figures(ps, cs))
    ratios = [x["ratio"] for x in rounds if x["ratio"] is not None]
    # The headline is the median of the rounds' ratios: each round pairs a platform window with the Celery
    # window right after it, so slow drift of the host (seen here: the same binary's Redis commands twice as
    # slow from one run to the next) affects both sides of a ratio alike.
    ratio = statistics.median(ratios) if ratios else None
    targets = {
        "ratio_vs_celery": {"target": f">= {TARGET_RATIO:g}x", "value": ratio,
                            "met": ratio is not None and ratio >= TARGET_RATIO,
                            "rounds_met": sum(1 for x in ratios if x >= TARGET_RATIO),
                            "rounds": len(rounds)},
        "idle_pickup_p99_ms": {"target": f"< {TARGET_IDLE_P99_MS} ms", "value": idle["p99_ms"],
                               "met": idle["p99_ms"] is not None and idle["p99_ms"] < TARGET_IDLE_P99_MS},
        "backlog_zero_errors": {"target": "drained, all succeeded, 0 dead/retrying", "value": bl["errors"],
                                "met": bool(bl["drained"]) and bool(bl["zero_errors"])},
    }
    return {
        "date_utc": args.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": bool(args.quick),
        "run_elapsed_s": args.elapsed,
        "machine": m,
        "platform": p,
        "celery": c,
        "ratio_platform_over_celery": ratio,
        "rounds": rounds,
        "targets": targets,
    }


def round_figures(sus, cb):
    """One platform window and the Celery window measured right after it."""
    return {
        "platform_jobs_per_s": sus["jobs_per_s"],
        "celery_tasks_per_s": cb["tasks_per_s"],
        "ratio": sus["jobs_per_s"] / cb["tasks_per_s"] if cb["tasks_per_s"] else None,
        "celery_config": cb["config"],
        "platform_redis_cpu_cores": sus.get("redis_cpu_cores"),
        "platform_host_busy_cores": sus.get("host_busy_cores"),
        "platform_all_succeeded": sus.get("all_succeeded"),
        "platform_aof_rewrites": sus.get("redis_aof_rewrites"),
    }


def others(sus):
    if sus.get("host_busy_cores") is None or sus.get("driver_cpu_cores") is None:
        return None
    return max(0.0, sus["host_busy_cores"] - sus["worker_cpu_cores"] - sus["redis_cpu_cores"]
               - sus["driver_cpu_cores"] - (sus.get("postgres_cpu_cores") or 0.0))


def shared_host(r):
    """True when processes other than the benchmark's used a noticeable share of the host."""
    o = others(r["platform"]["sustained"])
    return o is None or o > 0.3


def rows(r):
    p, c = r["platform"], r["celery"]
    sus, idle, cmds, bl, rss = p["sustained"], p["idle_pickup"], p["redis_commands"], p["backlog"], p["rss"]
    lu = sus["latency_under_load"]
    cb = c["best"]
    t = r["targets"]
    http = p.get("api_http_load") or {}
    under_http = (f"; serving HTTP load max {fmt(http.get('api_rss_max_mib'), 1, ' MiB')}"
                  if http.get("api_rss_max_mib") is not None else "")
    api = (f"idle {fmt(rss['api_idle_mib'], 1, ' MiB')}, max {fmt(rss['api_load_max_mib'], 1, ' MiB')} during the "
           f"worker load (no requests){under_http}, VmHWM {fmt(rss.get('api_hwm_mib'), 1, ' MiB')} (includes boot)"
           if rss["api_idle_mib"] is not None else f"pending: {rss['api_status']}")
    if "job_status_polls" in http:
        jp, hp = http["job_status_polls"], http["health_probes"]
        api_http = (f"{fmt(jp['per_s'])} job-status polls/s from {http['users']} signed-in viewers: p50 / p99 "
                    f"{fmt(jp['p50_us'])} / {fmt(jp['p99_us'])} us, non-2xx {jp['non_2xx']}; {fmt(hp['per_s'])} "
                    f"liveness probes/s: p50 / p99 {fmt(hp['p50_us'])} / {fmt(hp['p99_us'])} us, non-2xx "
                    f"{hp['non_2xx']}; api CPU {fmt(http.get('api_cpu_cores'), 2)} cores over "
                    f"{fmt(http.get('window_s'), 1)} s")
    else:
        api_http = f"not measured: {http.get('error', 'no api_http_load in the results')}"
    return [
        ("Platform sustained jobs/s", f"{fmt(sus['jobs_per_s'])} over {sus['window_s']:.1f} s "
         f"(per-second min/median/max {fmt(sus['per_second_min'])}/{fmt(sus['per_second_median'])}/"
         f"{fmt(sus['per_second_max'])})", ""),
        ("Celery sustained tasks/s", f"{fmt(cb['tasks_per_s'])} over {cb['window_s']:.1f} s, best config "
         f"`{cb['config']}`", ""),
        ("Ratio platform / Celery", ratio_text(r),
         f"{t['ratio_vs_celery']['target']}: {yes(t['ratio_vs_celery']['met'])}"),
        ("Enqueue->start, idle (p50 / p99 / max)",
         f"{fmt(idle['p50_ms'])} / {fmt(idle['p99_ms'])} / {fmt(idle['max_ms'])} ms ({idle['samples']} jobs)",
         f"p99 {t['idle_pickup_p99_ms']['target']}: {yes(t['idle_pickup_p99_ms']['met'])}"),
        ("Enqueue->start, under load (p50 / p99 / max)",
         f"{fmt(lu['p50_ms'])} / {fmt(lu['p99_ms'])} / {fmt(lu['max_ms'])} ms ({lu['samples']} sampled jobs, "
         f"ready list kept under {sus['settings']['max_waiting']:,} jobs)", ""),
        ("Redis commands per job", f"{cmds['commands_per_job']:.2f} (of which {cmds['script_calls_per_job']:.2f} "
         f"EVALSHA; {cmds['jobs']:,} jobs)", ""),
        (f"Backlog of {bl['jobs']:,} jobs",
         (f"drained in {fmt(bl['drain_s_from_worker_spawn'], 2)} s from worker spawn "
          f"({fmt(bl['drain_jobs_per_s'])} jobs/s)" if bl["drained"] else
          f"NOT drained within the {bl['timeout_s']} s limit: {bl['succeeded']:,} succeeded "
          f"({fmt(bl['succeeded_jobs_per_s_until_stop'])} jobs/s)")
         + f"; Redis busy {fmt(bl.get('redis_cpu_cores_while_draining'), 2)} cores meanwhile"
         + f"; enqueue_bulk took {bl['enqueue_s']:.2f} s; states {bl['states']}, dead {bl['dead']}, "
         f"retrying {bl['retrying']}, tasks left in apalis' storage {bl.get('leftover_tasks', 0)}",
         f"drained with zero errors: {yes(t['backlog_zero_errors']['met'])}"),
        ("Worker RSS (`workers` process)", f"idle {fmt(rss['worker_idle_mib'], 1, ' MiB')}, under load max "
         f"{fmt(rss['worker_load_max_mib'], 1, ' MiB')}, backlog peak {fmt(rss['worker_backlog_hwm_mib'], 1, ' MiB')}",
         ""),
        ("API RSS (`api` process)", api, ""),
        ("API under HTTP load", api_http, ""),
        ("Celery worker RSS (all processes)", f"idle {fmt(cb.get('worker_rss_idle_mib'), 1, ' MiB')}, under load max "
         f"{fmt(cb['worker_rss_load_max_mib'], 1, ' MiB')}", ""),
        ("CPU during the sustained window", f"workers {sus['worker_cpu_cores']:.2f} cores, redis "
         f"{sus['redis_cpu_cores']:.2f}, bench driver and producers {fmt(sus.get('driver_cpu_cores'), 2)}, postgres "
         f"(job history, {fmt(p.get('job_history_rows_written'))} rows written in the idle and sustained phases) "
         f"{fmt(sus.get('postgres_cpu_cores'), 2)}; whole host busy "
         f"{fmt(sus.get('host_busy_cores'), 2)} of {fmt(sus.get('host_cores_total'), 1)} cores, so other processes "
         f"on the host used {fmt(others(sus), 2)} cores" + aof_text(sus), ""),
    ]


def aof_text(sus):
    if sus.get("redis_aof_rewrites") is None:
        return ""
    return (f", among them Redis' AOF rewrites ({sus['redis_aof_rewrites']} started in the window; those finished "
            f"in it used {fmt(sus.get('redis_aof_rewrite_cpu_cores'), 2)} cores)")


def ratio_text(r):
    rounds = r.get("rounds") or []
    if len(rounds) < 2:
        return fmt(r["ratio_platform_over_celery"], 1, "x")
    each = ", ".join(fmt(x["ratio"], 1, "x") for x in rounds)
    t = r["targets"]["ratio_vs_celery"]
    return (f"{fmt(r['ratio_platform_over_celery'], 1, 'x')}, median of {len(rounds)} rounds ({each}); "
            f"{t['rounds_met']} of {len(rounds)} rounds at or above {TARGET_RATIO:g}x")


def table(r):
    out = []
    w = max(len(a) for a, _, _ in rows(r))
    for a, b, t in rows(r):
        out.append(f"{a:<{w}}  {b}" + (f"   [{t}]" if t else ""))
    return "\n".join(out)


def markdown(r):
    m = r["machine"]
    p, c = r["platform"], r["celery"]
    sus, cmds = p["sustained"], p["redis_commands"]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `ops/bench/run` (do not edit by hand; rerun it). Raw figures: "
        "`ops/bench/results/latest.json`. The mail ingest benchmark (`ops/bench/mail-ingest`) writes its own "
        "page, [BENCHMARKS-mail.md](BENCHMARKS-mail.md); autofill's (`ops/bench/autofill`) is "
        "[BENCHMARKS-autofill.md](BENCHMARKS-autofill.md).",
        "",
        "No-op jobs (`diag.noop`) through the platform's own path: `JobQueue::enqueue_bulk` in an in-process "
        "driver, one release `workers` process consuming, job records in Redis. The same workload through "
        "Celery runs in the same invocation against the same Redis server.",
        "",
        "## Machine",
        "",
        f"- date (UTC): {r['date_utc']}, git {m['git_commit']}{' (dirty tree)' if m['git_dirty'] else ''}",
        f"- CPU: {m['nproc']} cores, {m['cpu_model']}",
        f"- RAM: {m['ram_gib']} GiB, kernel {m['kernel']}",
        f"- Redis {m['redis_version']}: {m['redis_setup']}; loopback only",
        f"- {m['rustc']}; Celery {c['celery_version']} on Python {c['python']}",
        f"- load average before / after the run: {m['load_avg_before']} / {m['load_avg_after']} "
        + ("(the 2 cores were shared with other work on this host)" if shared_host(r) else
           "(no other significant work on the host during the sustained window)"),
        f"- measurement time: {r['run_elapsed_s']} s",
        "",
        "## Results",
        "",
        "| metric | value | target |",
        "| --- | --- | --- |",
    ]
    for a, b, t in rows(r):
        lines.append(f"| {a} | {b.replace('|', '/')} | {t} |")
    lines += [
        "",
        "### Redis commands per job, by command",
        "",
        "From `CONFIG RESETSTAT` before and `INFO commandstats` after "
        f"{cmds['jobs']:,} jobs ({cmds['elapsed_s']:.2f} s) with the worker running. Commands executed inside "
        "Lua scripts are counted too (Redis counts them per command), as are the worker's background commands "
        f"(idle background rate: {cmds['idle_background_commands_per_s']:.1f} commands/s); the driver's own "
        f"{cmds['observer_commands_subtracted']} progress polls (LLEN, HGET, HLEN) are subtracted. The count runs "
        "until apalis' data hash is empty again (the worker removes each finished task's copies when it records "
        "the outcome), so that cleanup is included.",
        "",
        "The time column is Redis' own `usec` per command from the same statistics, divided by the jobs: a "
        "script's entry (evalsha) includes the commands it ran, which are also listed on their own, so "
        "evalsha minus the commands run inside scripts is the cost of Lua itself.",
        "",
        "| command | per job | Redis time per job (us) |",
        "| --- | --- | --- |",
    ]
    usec = cmds.get("usec_per_job_by_command", {})
    for k, v in cmds["per_job_by_command"].items():
        lines.append(f"| {k} | {v} | {usec.get(k, '')} |")
    lines += [
        "",
        "### Celery configurations screened",
        "",
        f"Each for {c['screening'][0]['window_s']:.0f} s; the fastest was then measured for "
        f"{c['best']['window_s']:.0f} s and is the denominator of the ratio.",
        "",
        "| configuration | tasks/s |",
        "| --- | --- |",
    ]
    for s in c["screening"]:
        lines.append(f"| `{s['config']}` | {s['tasks_per_s']:,.0f} |")
    rounds = r.get("rounds") or []
    if len(rounds) > 1:
        lines += [
            "",
            "### Rounds",
            "",
            "Each round is a platform window followed by a Celery window of the same length, in this order; "
            "round 1 is the sustained window of the table above and the Celery measurement after the screening. "
            "The ratio in the table is the median of the rounds' ratios.",
            "",
            "| round | platform jobs/s | Celery tasks/s | ratio | Redis cores (platform) | host busy cores (platform) "
            "| AOF rewrites (platform) |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for i, x in enumerate(rounds, 1):
            lines.append(f"| {i} | {fmt(x['platform_jobs_per_s'])} | {fmt(x['celery_tasks_per_s'])} | "
                         f"{fmt(x['ratio'], 1, 'x')} | {fmt(x['platform_redis_cpu_cores'], 2)} | "
                         f"{fmt(x['platform_host_busy_cores'], 2)} | {fmt(x.get('platform_aof_rewrites'))} |")
    s = sus["settings"]
    lines += [
        "",
        "## Method",
        "",
        f"- Sustained: {s['producers']} producer tasks call `enqueue_bulk` with {s['batch']} jobs per call and "
        f"pause while the ready list holds {s['max_waiting']:,} jobs or more (closed loop, so the "
        f"queue never grows without bound); `WORKER_CONCURRENCY` diag={s['concurrency']}, `METRICS_BIND` empty, "
        f"`SCHEDULER_ENABLED=false`, `RUST_LOG=warn`. {s['warmup_s']} s warm-up, then completions are counted "
        "from the job records afterwards (`finished_at` inside the window). Producers, driver, worker and Redis share the 2 cores.",
        "- Latency: `started_at - created_at` from the job records (both unix ms, so 1 ms resolution). "
        "Idle: one job at a time after a random 50-150 ms pause, the worker woken by the enqueue notification "
        "(fallback poll 500 ms). Under load: every job created during the sustained window.",
        "- Backlog: jobs enqueued with `enqueue_bulk` while no worker runs, then one fresh `workers` process "
        "is spawned; the time runs from the spawn (process start included) until the last "
        "job record says `succeeded` (the last `finished_at`); every record is read back: all must be "
        "`succeeded`, none dead or retrying, and apalis' data hash must be empty (every task forgotten).",
        "- RSS: `VmRSS` of the spawned processes from `/proc/<pid>/status` (idle after registration; under "
        "load sampled each second of the sustained window; backlog peak is `VmHWM`).",
        "- Celery: a no-op task that does one `INCR` of a counter (results ignored, no result backend), "
        "producer in one thread calling `apply_async` (what `delay()` does, routed to the run's queue) that pauses "
        "while 500 tasks are sent but not finished (prefetched tasks count as unfinished; the platform's cap counts "
        "the ready list only), worker started with `--without-gossip --without-mingle --without-heartbeat`, "
        "log level WARNING. Completions are counted from the counter.",
        "",
        "## Caveats",
        "",
        ("- The host's 2 cores were shared with other work (builds and test suites of other contributors): the "
         "CPU row of the table shows how much of the machine the benchmark's own processes got. Absolute figures "
         "are therefore lower than on an idle machine, and Celery (measured after the platform) may have met a "
         "different background load; rerun on a quiet host for reference figures." if shared_host(r) else
         "- Other processes used little of the host during the sustained window (CPU row), but Celery is "
         "measured in windows after the platform's (see Rounds) and its background load is not recorded; the load "
         "averages bracket the whole run."),
        "- The Celery task does one extra Redis command (the counting `INCR`) that the platform's no-op does "
        "not need, and it runs single-threaded producers in Python; the platform's producers are async Rust.",
        "- Latency resolution is 1 ms (record timestamps are unix ms).",
        "- Latency under load is dominated by queueing: with the ready list kept near its cap, a job waits about "
        "cap / throughput before it starts; it describes this closed-loop load, not an SLA.",
    ]
    http = p.get("api_http_load") or {}
    if http.get("method"):
        lines.insert(lines.index("## Caveats") - 1,
                     f"- API under HTTP load (after the commands phase, no worker load meanwhile): {http['method']}; "
                     "latency is measured by the client from sending the request to reading the whole answer, "
                     "over loopback; RSS sampled every 200 ms.")
    idle = p["idle_pickup"]
    if idle.get("samples_ge_10ms"):
        slow = ", ".join(f"{x['ms']} ms at {x['at_s']} s" for x in idle["samples_ge_10ms"])
        lines.append(f"- Idle pickup samples at or above the 10 ms target in this run ({len(idle['samples_ge_10ms'])} "
                     f"of {idle['samples']}; time into the idle phase): {slow}.")
    if idle.get("outliers_ge_50ms"):
        lines.append(f"- Idle pickup outliers (>= 50 ms) in this run: {idle['outliers_ge_50ms']} ms. A value near "
                     "500 ms matches the worker's fallback poll interval (`WORKER_POLL_FALLBACK_MS`), i.e. a "
                     "wake-up notification that did not lead to a fetch.")
    if p["rss"]["api_idle_mib"] is None:
        lines.append(f"- API RSS is pending: {p['rss']['api_status']}.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--platform", required=True)
    ap.add_argument("--celery", required=True)
    ap.add_argument("--redis-setup", default="")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--elapsed", type=int, default=0)
    ap.add_argument("--round-platform", action="append", help="bench --sustained-only output of a later round")
    ap.add_argument("--round-celery", action="append", help="celery_bench.py output of the same round")
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--markdown")
    ap.add_argument("--date", help="date of the measurement (default: now); for re-rendering saved results")
    args = ap.parse_args()
    r = build(args)
    with open(args.out, "w") as f:
        json.dump(r, f, indent=2)
        f.write("\n")
    m = r["machine"]
    print()
    print(f"Benchmark {r['date_utc']} - {m['nproc']} cores {m['cpu_model']}, {m['ram_gib']} GiB, "
          f"Redis {m['redis_version']} on loopback, load avg {m['load_avg_before']}")
    print(table(r))
    print(f"\nresults: {args.out}" + (f", {args.markdown}" if args.markdown else ""))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(r))


if __name__ == "__main__":
    main()
