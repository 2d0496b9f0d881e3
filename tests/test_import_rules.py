"""The import rules of scripts/check_imports.py (run by ``make lint``) hold, and the checker
catches a violation of each kind: a forbidden import, a lazy one inside a function, demo
imported at runtime, and a loop between apps."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_imports.py"

_spec = importlib.util.spec_from_file_location("check_imports", SCRIPT)
check_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_imports)


def test_the_codebase_keeps_the_rules():
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.fixture
def tree(tmp_path):
    """A copy of the apps' code to break on purpose."""
    for app in check_imports.APPS:
        shutil.copytree(
            ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("locale", "__pycache__")
        )
    assert check_imports.check(tmp_path) == []
    return tmp_path


def _add(tree: Path, relative: str, code: str) -> None:
    path = tree / relative
    path.write_text(path.read_text(encoding="utf-8") + "\n" + code + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "code", "expected"),
    [
        ("ledger/services.py", "from transfers.models import Transfer", "ledger must not import"),
        ("accounts/views.py", "import ledger.selectors", "accounts must not import ledger"),
        (
            "accounts/selectors.py",
            "def f():\n    from loans.models import Loan\n    return Loan",
            "accounts must not import loans",
        ),
        ("beneficiaries/services.py", "from transfers import limits", "must not import"),
        ("outbox/services.py", "from accounts.models import User", "outbox must not import"),
        ("audit/services.py", "from ledger.models import Account", "audit must not import"),
        ("transfers/views.py", "from demo.data import demo_load", "must not import demo"),
        ("progresonet/urls.py", "import demo.data", "must not import demo"),
    ],
)
def test_the_checker_catches_a_forbidden_import(tree, module, code, expected):
    _add(tree, module, code)
    problems = check_imports.check(tree)
    assert any(expected in problem and module in problem for problem in problems), problems


def test_the_checker_catches_a_loop_between_apps(tree):
    # Each edge alone breaks no rule between these two plumbing apps; together they loop.
    _add(tree, "outbox/services.py", "from audit.services import audit_record")
    _add(tree, "audit/services.py", "from outbox.services import email_enqueue")
    problems = check_imports.check(tree)
    assert any(problem.startswith("import loop audit → outbox → audit") for problem in problems), (
        problems
    )


def test_tests_and_migrations_are_not_read(tree):
    (tree / "accounts" / "tests").mkdir()
    (tree / "accounts" / "tests" / "helpers.py").write_text("import demo.data\n")
    _add(tree, "ledger/migrations/0001_initial.py", "import transfers.models")
    assert check_imports.check(tree) == []
