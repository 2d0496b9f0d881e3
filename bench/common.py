"""What every benchmark shares: its own database on the throwaway server, Django set-up in the
current process, and merging figures into ``bench/out/results.json``."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

OUT_DIR = Path(__file__).resolve().parent / "out"
RESULTS = OUT_DIR / "results.json"
SETTINGS = "progresonet.settings.test"


def server_url() -> str:
    """The throwaway server ``scripts/services.py`` started (its maintenance database)."""
    url = os.environ.get("BENCH_SERVER_URL") or os.environ.get("DATABASE_URL")
    if not url or not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench: DATABASE_URL must name PostgreSQL; run it with `make bench`.")
    return url


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(server_url())._replace(path=f"/{name}"))


def database_recreate(name: str) -> str:
    """Drop and create database ``name`` on the same server; return its URL."""
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def django_setup(url: str | None = None) -> None:
    """Point Django at ``url`` (default: the bench database already exported) and set it up.

    The environment must be final before ``django.setup()``: settings read DATABASE_URL once,
    at import. Worker processes call this too, inheriting the exported variables.
    """
    os.environ.setdefault("BENCH_SERVER_URL", server_url())
    if url is not None:
        os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


def bench_database_prepare(name: str = "bench") -> None:
    """A fresh database with every migration applied (reference data included)."""
    url = database_recreate(name)
    django_setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def median_seconds(func: Callable[[], object], *, repeat: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        # The machine is shared: other work running at the same time skews both contenders.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def results_merge(name: str, figures: dict) -> Path:
    """Merge one benchmark's figures into results.json, keeping the others' last figures."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(RESULTS.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        data = {}
    data[name] = {
        **figures,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return RESULTS
