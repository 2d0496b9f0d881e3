"""``scripts/check_messages.py`` (in ``make lint``) finds a catalogue that is not what ``make
messages`` makes of the code, both ways; on the tree as committed it finds nothing (the lint
run proves that part on every CI run; here, the check's ability to fail)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """The committed tree in a scratch clone, with this checkout's virtualenv."""
    target = tmp_path_factory.mktemp("messages") / "tree"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    (target / ".venv").symlink_to((ROOT / ".venv").resolve())
    return target


def _check(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/check_messages.py"], cwd=tree, capture_output=True, text=True
    )


def test_a_new_message_missing_from_its_catalogue_and_a_stale_entry_are_both_reported(clone):
    (clone / "loans" / "probe_messages.py").write_text(
        "from django.utils.translation import gettext as _\n\n"
        'PROBE = _("A probe message no catalogue has")\n'
    )
    catalogue = clone / "ledger" / "locale" / "es" / "LC_MESSAGES" / "django.po"
    catalogue.write_text(
        catalogue.read_text() + '\nmsgid "A stale probe entry"\nmsgstr "Una entrada vieja"\n'
    )
    result = _check(clone)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "loans/locale/es/LC_MESSAGES/django.po: used by the code, missing here: "
        "'A probe message no catalogue has'" in result.stdout
    )
    assert (
        "ledger/locale/es/LC_MESSAGES/django.po: no code uses it: 'A stale probe entry'"
        in result.stdout
    )
