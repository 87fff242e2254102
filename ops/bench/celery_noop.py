"""The Celery peer of the platform benchmark: one no-op task on the same Redis.

The task counts itself with one INCR (results are ignored, so there is no result backend to poll).
Configured from the environment by ops/bench/celery_bench.py.
"""

import os

import redis
from celery import Celery

BROKER = os.environ["BENCH_CELERY_BROKER"]
COUNTER = os.environ["BENCH_CELERY_COUNTER"]
QUEUE = os.environ["BENCH_CELERY_QUEUE"]

app = Celery("bench", broker=BROKER)
app.conf.update(
    task_ignore_result=True,
    task_default_queue=QUEUE,
    task_acks_late=False,
    worker_prefetch_multiplier=int(os.environ.get("BENCH_CELERY_PREFETCH", "4")),
    worker_send_task_events=False,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)

_conn = None


@app.task(name="bench.noop", ignore_result=True)
def noop():
    global _conn
    if _conn is None:  # one connection per worker process/thread pool, opened after fork
        _conn = redis.Redis.from_url(BROKER)
    _conn.incr(COUNTER)
