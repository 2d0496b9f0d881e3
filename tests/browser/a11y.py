"""Run axe-core on a Playwright page, photograph it, and keep count of the views walked.

axe-core comes from the axe-playwright-python package (``axe.min.js`` ships inside the
wheel), injected with ``page.evaluate``: nothing is fetched from a CDN. Only violations of
impact "serious" or "critical" fail a walk; the rest are kept for the report.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "bench" / "out" / "screens"
FAILING_IMPACTS = {"serious", "critical"}

# make test walks the phone width and only runs axe (about half the cost of a walk is the
# second width, a tenth the screenshots); A11Y_SCREENS=1 (make screens) walks both widths and
# writes the screenshots.
SCREENS_WANTED = os.environ.get("A11Y_SCREENS", "") == "1"


def widths() -> list[int]:
    return [375, 1280] if SCREENS_WANTED else [375]


def url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every named URL of the project ("app:name"), found by walking the resolver."""
    names: set[str] = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            names |= url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(":".join(filter(None, [namespace, entry.name])))
    return names


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@dataclass
class Walk:
    """One browser width's walk: every :meth:`check` runs axe, saves a full-page PNG and
    records the Django view it landed on."""

    width: int
    screenshots: bool = SCREENS_WANTED
    visited: set[str] = field(default_factory=set)
    slugs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    minor: dict[str, list[str]] = field(default_factory=dict)  # rule -> pages
    axe: object = field(default_factory=_axe)

    def check(self, page, slug: str) -> None:
        assert slug not in self.slugs, f"slug {slug} used twice"
        assert re.fullmatch(r"[a-z0-9-]+", slug), slug
        page.wait_for_load_state("load")
        results = self.axe.run(page).response
        path = urlparse(page.url).path
        for violation in results["violations"]:
            if violation["impact"] in FAILING_IMPACTS:
                for node in violation["nodes"]:
                    target = " ".join(str(t) for t in node["target"])
                    lines = (node.get("failureSummary") or "").strip().splitlines()
                    self.failures.append(
                        f"{slug} ({path}): {violation['id']} [{violation['impact']}] "
                        f"{target} — {lines[-1].strip() if lines else violation['help']}"
                    )
            else:
                key = f"{violation['id']} [{violation['impact']}]"
                self.minor.setdefault(key, []).append(slug)
        if self.screenshots:
            SCREENS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENS / f"{slug}-{self.width}.png", full_page=True)
        self.slugs.append(slug)
        with contextlib.suppress(Resolver404):  # the 404 page resolves to no view
            self.visited.add(resolve(path).view_name)
