"""Sustained no-op throughput of Celery on the same Redis and machine as the platform benchmark.

Same shape as the platform's sustained phase: a producer in this process keeps at most --outstanding tasks
enqueued but not finished (noop.delay() in a loop), one Celery worker consumes, and completions are counted
from the INCR counter each task bumps. Each worker configuration is screened for --screen seconds; the
fastest is then measured for --duration seconds. Given a single configuration, it is measured without screening.

Run with the bench venv's python (ops/bench/run does this).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import redis

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree_rss_kib(pid):
    return rss_kib(pid) + sum(rss_kib(c) for c in children(pid))


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        # utime, stime, cutime, cstime (fields 14..17)
        return sum(int(x) for x in rest[11:15])
    except (OSError, IndexError, ValueError):
        return 0


class Run:
    def __init__(self, args, pool, conc, prefetch):
        self.args = args
        self.pool, self.conc, self.prefetch = pool, conc, prefetch
        tag = uuid.uuid4().hex[:10]
        self.queue = f"bench-celery-{tag}"
        self.counter = f"bench-celery-{tag}:done"
        self.r = redis.Redis.from_url(args.broker)
        env = dict(os.environ)
        env.update(
            BENCH_CELERY_BROKER=args.broker,
            BENCH_CELERY_COUNTER=self.counter,
            BENCH_CELERY_QUEUE=self.queue,
            BENCH_CELERY_PREFETCH=str(prefetch),
            PYTHONPATH=HERE,
        )
        os.environ.update(
            BENCH_CELERY_BROKER=args.broker,
            BENCH_CELERY_COUNTER=self.counter,
            BENCH_CELERY_QUEUE=self.queue,
        )
        self.env = env
        self.worker = None
        self.sent = 0
        self.stop = threading.Event()
        self.errors = 0

    def label(self):
        return f"--pool={self.pool} -c {self.conc} (prefetch x{self.prefetch})"

    def done(self):
        return int(self.r.get(self.counter) or 0)

    def start_worker(self):
        celery = os.path.join(os.path.dirname(sys.executable), "celery")
        cmd = [
            celery, "-A", "celery_noop", "worker", f"--pool={self.pool}", "-c", str(self.conc),
            "-Q", self.queue, "--loglevel=WARNING", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-n", f"{self.queue}@%h",
        ]
        log = open(os.path.join(self.args.log_dir, "bench-celery-worker.log"), "a")
        self.worker = subprocess.Popen(cmd, cwd=HERE, env=self.env, stdout=log, stderr=log,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        # Ready when a probe task has run.
        from celery_noop import noop
        self.noop = noop
        noop.apply_async(queue=self.queue)
        self.sent = 1
        deadline = time.time() + 60
        while self.done() < 1:
            if self.worker.poll() is not None:
                raise SystemExit(f"celery worker exited: {self.worker.returncode}")
            if time.time() > deadline:
                raise SystemExit("celery worker did not run the probe task within 60 s")
            time.sleep(0.05)

    def producer(self):
        done = self.done()
        while not self.stop.is_set():
            if self.sent - done >= self.args.outstanding:
                time.sleep(0.001)
                done = self.done()
                continue
            try:
                for _ in range(100):
                    # delay() with this run's queue (the module-level default is the first run's).
                    self.noop.apply_async(queue=self.queue)
                    self.sent += 1
            except Exception as e:  # a broken broker ends the run below, not silently
                self.errors += 1
                print(f"celery bench: enqueue failed: {e}", file=sys.stderr)
                time.sleep(0.05)
            done = self.done()

    def measure(self, warmup, duration):
        t = threading.Thread(target=self.producer, daemon=True)
        t.start()
        time.sleep(warmup)
        pid = self.worker.pid
        ticks = os.sysconf("SC_CLK_TCK")
        cpu0 = cpu_ticks(pid)
        t0 = time.monotonic()
        d0 = self.done()
        last, per_sec, rss = d0, [], []
        for s in range(1, duration + 1):
            time.sleep(max(0.0, t0 + s - time.monotonic()))
            d = self.done()
            per_sec.append(d - last)
            last = d
            rss.append(tree_rss_kib(pid))
        elapsed = time.monotonic() - t0
        d1 = self.done()
        cpu1 = cpu_ticks(pid)
        self.stop.set()
        t.join()
        srt = sorted(per_sec)
        return {
            "config": self.label(),
            "pool": self.pool,
            "concurrency": self.conc,
            "prefetch_multiplier": self.prefetch,
            "window_s": elapsed,
            "completed_in_window": d1 - d0,
            "tasks_per_s": (d1 - d0) / elapsed,
            "per_second_min": srt[0] if srt else None,
            "per_second_median": srt[len(srt) // 2] if srt else None,
            "per_second_max": srt[-1] if srt else None,
            "per_second": per_sec,
            "enqueue_errors": self.errors,
            "worker_rss_load_max_mib": round(max(rss or [0]) / 1024, 1),
            "worker_cpu_cores_main_process": (cpu1 - cpu0) / ticks / elapsed,
        }

    def close(self):
        if self.worker and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            try:
                self.worker.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.worker.pid, signal.SIGKILL)
                self.worker.wait()
        # Our keys only: the queue list, the counter and kombu's bookkeeping for this queue.
        for k in self.r.scan_iter(match=f"{self.queue}*"):
            self.r.delete(k)
        self.r.delete(f"_kombu.binding.{self.queue}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--broker", required=True)
    p.add_argument("--duration", type=int, default=30)
    p.add_argument("--screen", type=int, default=8)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--outstanding", type=int, default=500)
    p.add_argument("--configs", default="prefork:2:4,prefork:2:64,threads:8:64,solo:1:64",
                   help="pool:concurrency:prefetch_multiplier, comma separated")
    p.add_argument("--log-dir", default="/tmp")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    sys.path.insert(0, HERE)

    import celery
    screened = []
    specs = args.configs.split(",")
    # A single configuration (the extra rounds ops/bench/run alternates with the platform's) is not screened.
    for spec in specs if len(specs) > 1 else []:
        pool, conc, prefetch = spec.split(":")
        run = Run(args, pool, int(conc), int(prefetch))
        try:
            run.start_worker()
            res = run.measure(2, args.screen)
        finally:
            run.close()
        print(f"celery bench: screen {res['config']}: {res['tasks_per_s']:.0f} tasks/s", file=sys.stderr)
        screened.append(res)
    if screened:
        best = max(screened, key=lambda r: r["tasks_per_s"])
        pool, conc, prefetch = best["pool"], best["concurrency"], best["prefetch_multiplier"]
    else:
        pool, conc, prefetch = specs[0].split(":")
    run = Run(args, pool, int(conc), int(prefetch))
    try:
        run.start_worker()
        idle_rss = round(tree_rss_kib(run.worker.pid) / 1024, 1)
        res = run.measure(args.warmup, args.duration)
    finally:
        run.close()
    res["worker_rss_idle_mib"] = idle_rss
    print(f"celery bench: {res['config']}: {res['tasks_per_s']:.0f} tasks/s over {res['window_s']:.1f} s",
          file=sys.stderr)
    out = {
        "celery_version": celery.__version__,
        "python": sys.version.split()[0],
        "screening": [{k: r[k] for k in ("config", "tasks_per_s", "window_s")} for r in screened],
        "best": res,
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
