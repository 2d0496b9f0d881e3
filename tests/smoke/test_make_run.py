"""``make run``'s path on a fresh embedded SQLite database: migrate, load the demo twice, walk
the member flows. The suite otherwise runs on PostgreSQL; this keeps the development path
(SQLite's own SQL in the ledger, eager Celery) from rotting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(args, env):
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_migrate_demo_and_member_flows_on_sqlite(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "EMAIL_HOST"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="progresonet.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SMS_OUTBOX_FILE=str(tmp_path / "sms.jsonl"),
        PYTHONPATH=str(ROOT),
    )
    _run(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    first = _run(["manage.py", "demo_load"], env)
    second = _run(["manage.py", "demo_load"], env)
    assert "0 member(s) and 0 account(s) created" in second, (first, second)
    out = _run(["tests/smoke/make_run_flow.py"], env)
    assert "FAILED" not in out
    _run(["manage.py", "ledger_audit"], env)
