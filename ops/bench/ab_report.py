#!/usr/bin/env python3
"""Summarises an ops/bench/ab run: per round and median, base vs new, for the job path's figures."""

import argparse
import json
import statistics
from pathlib import Path

FIGURES = [
    # (label, path in the bench's JSON, higher is better)
    ("sustained jobs/s", ("sustained", "jobs_per_s"), True),
    ("under-load p99 ms", ("sustained", "latency_under_load", "p99_ms"), False),
    ("backlog drain jobs/s", ("backlog", "drain_jobs_per_s"), True),
    ("idle pickup p99 ms", ("idle_pickup", "p99_ms"), False),
    ("Redis commands/job", ("redis_commands", "commands_per_job"), False),
    ("worker RSS MiB (backlog)", ("backlog", "worker_rss_hwm_mib"), False),
]


def dig(doc, path):
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    runs = {side: [json.loads((args.dir / f"{side}-{r}.json").read_text()) for r in range(1, args.rounds + 1)]
            for side in ("base", "new")}
    ok = all(dig(doc, ("sustained", "all_succeeded")) and dig(doc, ("backlog", "zero_errors"))
             for docs in runs.values() for doc in docs)
    rows = []
    print(f"A/B of the workers binary: base {args.base} vs new {args.new}, {args.rounds} alternating rounds")
    print(f"{'figure':<26} {'base (rounds)':<34} {'new (rounds)':<34} {'median new/base':>15}")
    for label, path, higher in FIGURES:
        base = [dig(doc, path) for doc in runs["base"]]
        new = [dig(doc, path) for doc in runs["new"]]
        if any(v is None for v in base + new):
            continue
        mb, mn = statistics.median(base), statistics.median(new)
        ratio = mn / mb if mb else None
        rows.append({"figure": label, "higher_is_better": higher, "base": base, "new": new,
                     "median_base": mb, "median_new": mn, "ratio_new_over_base": ratio})
        fmt = lambda vs: " ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in vs)
        print(f"{label:<26} {fmt(base):<34} {fmt(new):<34} {ratio:>15.3f}")
    print(f"every job succeeded, no backlog error: {ok}")
    args.out.write_text(json.dumps({"base": args.base, "new": args.new, "rounds": args.rounds,
                                    "all_ok": ok, "figures": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
