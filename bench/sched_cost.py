"""Per-date cost of the scheduled run, where load does not move it (a diagnostic, not one of
``make bench``'s figures): statements per date (an execute wrapper), CPU of this process
and of its PostgreSQL backend per date, one process, on a fresh bench database.

    DJANGO_SETTINGS_MODULE=progresonet.settings.test .venv/bin/python scripts/services.py -- \
        .venv/bin/python -m bench.sched_cost [orders] [--profile]
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time


def main(argv: list[str]) -> int:
    profile = "--profile" in argv
    argv = [a for a in argv if a != "--profile"]
    orders = int(argv[0]) if argv else 2000
    from . import common

    common.bench_database_prepare("sched_cost")
    from django.db import connection
    from django.db.models import Count

    from progresonet.celery import app
    from transfers.scheduled import scheduled_run_due

    from .scheduled import orders_setup

    orders_setup(members=orders // 10, per_member=10)
    # As bench.scheduled runs it: receipts published to Redis, not delivered inside the run.
    app.conf.task_always_eager = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def backend_cpu() -> float:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100.0

    profiler = cProfile.Profile() if profile else None
    pg0, cpu0, wall0 = backend_cpu(), time.process_time(), time.perf_counter()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        if profiler:
            profiler.enable()
        handled = scheduled_run_due()
        if profiler:
            profiler.disable()
    cpu, pg, wall = time.process_time() - cpu0, backend_cpu() - pg0, time.perf_counter() - wall0
    n = max(handled, 1)
    from transfers.models import ScheduledOccurrence

    statuses = dict(
        ScheduledOccurrence.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    print(f"occurrences by status: {statuses}")
    print(
        f"dates {handled}; statements/date {len(queries) / n:.2f}; python CPU/date "
        f"{cpu / n * 1000:.2f} ms; postgres CPU/date {pg / n * 1000:.2f} ms; "
        f"wall/date {wall / n * 1000:.2f} ms"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
