#!/usr/bin/env python3
"""The Spanish catalogues are what ``make messages`` makes of the code (``make lint``).

Runs ``make messages`` on a throw-away copy of the tree and compares, catalogue by catalogue,
the messages it extracts with the ones committed: a msgid the code uses but its app's catalogue
lacks (it was added by hand to another app's catalogue, or not at all), or one the catalogue
keeps that no code uses any more, is reported. Without this, the next developer to run
``make messages`` finds untranslated and fuzzy entries that tests/test_i18n.py refuses, far
from the change that caused them. Takes a few seconds (xgettext over the apps).

Usage: ``python scripts/check_messages.py``; exits 1 and lists the differences if any.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


def _keys(path: Path) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(path)) if not entry.obsolete}


def _sorted(keys: set[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    return sorted(keys, key=lambda key: (key[1], key[0] or ""))


def _shown(key: tuple[str | None, str]) -> str:
    context, msgid = key
    return f"{msgid!r} (context {context!r})" if context else repr(msgid)


def differences() -> list[str]:
    venv = (ROOT / ".venv").resolve()
    with tempfile.TemporaryDirectory(prefix="check-messages-") as scratch:
        copy = Path(scratch)
        for name in _tracked_files():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        # The Makefile names the virtualenv relative to the tree (``../.venv`` inside an app).
        (copy / ".venv").symlink_to(venv)
        made = subprocess.run(
            ["make", "--no-print-directory", "-s", "messages"],
            cwd=copy,
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode:
            return [f"make messages failed:\n{made.stderr.strip()}"]
        found = []
        for made in sorted(copy.glob("**/locale/es/LC_MESSAGES/django.po")):
            name = made.relative_to(copy)
            committed = ROOT / name
            have = _keys(committed) if committed.exists() else set()
            want = _keys(made)
            found += [
                f"{name}: used by the code, missing here: {_shown(k)}" for k in _sorted(want - have)
            ]
            found += [f"{name}: no code uses it: {_shown(k)}" for k in _sorted(have - want)]
        return found


def main() -> int:
    found = differences()
    for line in found:
        print(line)
    if found:
        print("run `make messages`, then translate what it leaves empty or fuzzy", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
