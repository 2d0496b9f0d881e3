"""Every audit row's event is named by an app's declared enum (``<app>/events.py``), never a
bare string at the call: a bare string escapes the label test (test_audit_admin) and the
admin then shows its stored value. Read from the source, so a new call is checked too."""

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITERS = {"audit_record", "audit_insert_sql", "audited_update", "lock_audit"}


def _bare_events(name: str, source: str) -> list[str]:
    """``name:line`` of each audit write in ``source`` whose event is a string literal (also
    as either branch of a conditional expression)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called not in WRITERS:
            continue
        for keyword in node.keywords:
            if keyword.arg != "event":
                continue
            value = keyword.value
            values = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
            if any(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values):
                found.append(f"{name}:{node.lineno}")
    return found


def test_no_audit_event_is_a_bare_string():
    files = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    product = [
        name
        for name in files
        if not name.startswith(("tests/", "bench/", "scripts/")) and "/migrations/" not in name
    ]
    assert len(product) > 100  # the walk read the project
    found = [hit for name in product for hit in _bare_events(name, (ROOT / name).read_text())]
    assert found == []


def test_the_walk_finds_a_bare_string():
    """The check itself finds what it is for (a check that cannot fail is no check)."""
    source = (
        'audit_record(actor=None, event=X.A if ok else "x.bare", subject="s")\n'
        'audit.services.audit_record(actor=None, event="y.bare", subject="s")\n'
        "audit_record(actor=None, event=X.B, subject='fine')\n"
        'audited_update(row, actor=None, event="z.bare", amount=1)\n'
    )
    assert _bare_events("m.py", source) == ["m.py:1", "m.py:2", "m.py:4"]
