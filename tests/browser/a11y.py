"""Run axe-core and the layout check on a Playwright page, photograph it, keep its HTML for
the Nu HTML Checker, and keep count of the views walked.

axe-core comes from the axe-playwright-python package (``axe.min.js`` ships inside the
wheel), injected with ``page.evaluate``: nothing is fetched from a CDN. Only violations of
impact "serious" or "critical" fail a walk; the rest are kept for the report.

The layout check (``layout.js``) measures what axe cannot see: a page wider than the screen,
an amount of money cut off, scrolled away or broken over two lines, text drawn over text. One
walk checks every page at every width: :meth:`Walk.check` resizes the same page through the
widths (the flows are walked once), then leaves it at the first width, the phone.
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
HTML = SCREENS / "html"  # what the server sent, for the Nu HTML Checker (bench/vnu.py)
FAILING_IMPACTS = {"serious", "critical"}

LAYOUT_JS = (Path(__file__).with_name("layout.js")).read_text()

# make test runs axe at the phone width and the layout check at a phone and a desktop width,
# without screenshots (axe is most of the cost of a walk). A11Y_SCREENS=1 (make screens) runs
# axe at both, the layout check at every width from the smallest phone to a large desktop,
# and writes the screenshots and the HTML of every page.
SCREENS_WANTED = os.environ.get("A11Y_SCREENS", "") == "1"
HEIGHT = 800


def layout_widths() -> list[int]:
    return [375, 320, 768, 1280, 1920] if SCREENS_WANTED else [375, 1280]


def axe_widths() -> set[int]:
    return {375, 1280} if SCREENS_WANTED else {375}


def layout_checked(slug: str) -> bool:
    """The layout check covers the pages members and visitors see; the Django admin (staff
    only, on a desktop) keeps its own stylesheet and is checked by axe only."""
    return not slug.startswith("admin-")


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


def page_source(page) -> str:
    """The HTML the server sent for the page's current document (not the DOM after the
    scripts ran): the last main-frame document response the page recorded, see
    :func:`record_documents`."""
    response = getattr(page, "_last_document", None)
    if response is not None:
        with contextlib.suppress(Exception):  # a redirect has no body: fall back to the DOM
            return response.text()
    return page.content()


def record_documents(page) -> None:
    """Remember the page's main-frame document responses (the HTML the checker reads)."""

    def keep(response) -> None:
        document = response.request.resource_type == "document"
        if document and response.status < 300 and response.frame == page.main_frame:
            page._last_document = response

    page.on("response", keep)


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def layout_findings(page) -> list[str]:
    """What the layout check finds on the page as it is drawn now."""
    return page.evaluate(LAYOUT_JS)


@dataclass
class Walk:
    """The walk: every :meth:`check` runs axe and the layout check at each width, saves a
    full-page PNG per width and the page's HTML, and records the Django view it landed on."""

    widths: list[int] = field(default_factory=layout_widths)
    axe_at: set[int] = field(default_factory=axe_widths)
    screenshots: bool = SCREENS_WANTED
    visited: set[str] = field(default_factory=set)
    slugs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    layout: list[str] = field(default_factory=list)
    minor: dict[str, list[str]] = field(default_factory=dict)  # rule -> pages
    axe: object = field(default_factory=_axe)

    def check(self, page, slug: str) -> None:
        assert slug not in self.slugs, f"slug {slug} used twice"
        assert re.fullmatch(r"[a-z0-9-]+", slug), slug
        page.wait_for_load_state("load")
        if self.screenshots:
            HTML.mkdir(parents=True, exist_ok=True)
            (HTML / f"{slug}.html").write_text(page_source(page))
        for width in self.widths:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            self._check_width(page, slug, width)
        page.set_viewport_size({"width": self.widths[0], "height": HEIGHT})
        self.slugs.append(slug)
        with contextlib.suppress(Resolver404):  # the 404 page resolves to no view
            self.visited.add(resolve(urlparse(page.url).path).view_name)

    def _check_width(self, page, slug: str, width: int) -> None:
        path = urlparse(page.url).path
        if layout_checked(slug):
            self.layout.extend(f"{slug} @ {width}px: {f}" for f in layout_findings(page))
        if width in self.axe_at:
            self._axe(page, slug, path)
        if self.screenshots:
            SCREENS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENS / f"{slug}-{width}.png", full_page=True)

    def _axe(self, page, slug: str, path: str) -> None:
        results = self.axe.run(page).response
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
                if slug not in self.minor.setdefault(key, []):
                    self.minor[key].append(slug)
