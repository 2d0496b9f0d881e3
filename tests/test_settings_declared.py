"""Every setting is declared once, in progresonet/settings/base.py, and read as settings.X.

A second top-level assignment of the same name silently overrides the first (its environment
variable and comment then lie); a ``getattr(settings, "X", default)`` hides an undeclared
setting behind a default written somewhere else."""

import ast
import re
from collections import Counter
from pathlib import Path

from django.conf import global_settings

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "progresonet" / "settings" / "base.py"
APPS = (
    "accounts",
    "audit",
    "beneficiaries",
    "demo",
    "ledger",
    "loans",
    "outbox",
    "progresonet",
    "transfers",
)


def _app_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts and "settings" not in path.parts:
                yield path


def _declared() -> Counter:
    tree = ast.parse(BASE.read_text(encoding="utf-8"))
    names = Counter()
    for node in tree.body:  # top level only: the captcha block's append is not a declaration
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    names[target.id] += 1
    return names


def test_no_setting_is_declared_twice():
    assert [name for name, count in _declared().items() if count > 1] == []


def test_settings_are_read_as_attributes_never_with_a_default():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _app_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"getattr\(\s*settings\s*,", line)
    ]
    assert offenders == []


def test_every_setting_read_is_declared_in_base():
    declared = set(_declared())
    read = {
        (match.group(1), str(path.relative_to(ROOT)))
        for path in _app_files()
        for match in re.finditer(r"\bsettings\.([A-Z][A-Z0-9_]+)", path.read_text(encoding="utf-8"))
    }
    missing = sorted(
        (name, where)
        for name, where in read
        if name not in declared and not hasattr(global_settings, name) and name != "SETTINGS_MODULE"
    )
    assert missing == []
