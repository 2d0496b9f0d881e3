"""The Nu HTML Checker over the HTML of every page the accessibility walk visited
(``make screens``; the walk writes ``bench/out/screens/html/<slug>.html``).

``vnu-jar`` comes from npm, installed once with ``--ignore-scripts`` into ``var/vnu/`` (its
install script would download a Java runtime: Debian's ``java`` runs it instead). Exits 1 on
any error, printing each as ``slug:line:column: message``; warnings are counted, not failed.

    .venv/bin/python scripts/vnu.py [HTML files or directories]
"""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec B404 — runs npm and java, fixed argument lists, no shell
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VNU_VERSION = "26.9.27"
PREFIX = ROOT / "var" / "vnu"
JAR = PREFIX / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PAGES = ROOT / "bench" / "out" / "screens" / "html"


def vnu_install() -> Path:
    package = PREFIX / "node_modules" / "vnu-jar" / "package.json"
    installed = package.exists() and json.loads(package.read_text())["version"] == VNU_VERSION
    if not installed:
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("missing npm (the Nu HTML Checker comes from npm): apt-get install -y npm")
        PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # nosec B603
            [
                npm,
                "install",
                "--prefix",
                str(PREFIX),
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                f"vnu-jar@{VNU_VERSION}",
            ],
            check=True,
        )
    return JAR


def main(argv: list[str]) -> int:
    java = shutil.which("java")
    if java is None:
        sys.exit("missing java (runs the Nu HTML Checker): apt-get install -y default-jre-headless")
    targets = [Path(a) for a in argv] or [PAGES]
    files = sorted(
        f for t in targets for f in (t.glob("*.html") if t.is_dir() else [t]) if f.is_file()
    )
    if not files:
        sys.exit(f"no HTML to check in {', '.join(map(str, targets))} (run the walk first)")
    jar = vnu_install()
    result = subprocess.run(  # nosec B603
        [java, "-jar", str(jar), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stdout or '{"messages": []}')["messages"]
    errors = [m for m in messages if m.get("type") in {"error", "non-document-error"}]
    warnings = [m for m in messages if m.get("subType") == "warning"]
    for m in errors:
        name = Path(m.get("url", "")).stem
        print(f"{name}:{m.get('lastLine', '?')}:{m.get('firstColumn', '?')}: {m['message']}")
    print(f"vnu {VNU_VERSION}: {len(files)} pages, {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
