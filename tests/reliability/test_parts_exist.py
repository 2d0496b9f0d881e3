"""Every file the full-size reliability suite hands to pytest exists: a path left behind by a
move (tests/accounts/test_outbox.py → tests/plumbing/) made its row run no test at all, which
`make test` never noticed."""

from pathlib import Path

from tests.reliability.__main__ import FX_PROPERTY_PATHS, PYTEST_PARTS

ROOT = Path(__file__).resolve().parents[2]


def test_every_reliability_pytest_path_exists():
    paths = [path for parts in PYTEST_PARTS.values() for path in parts] + FX_PROPERTY_PATHS
    assert len(paths) >= 8
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert missing == []
