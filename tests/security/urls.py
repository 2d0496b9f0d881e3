"""Every URL pattern of the project, made concrete, for the CSRF and access-control checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_CONVERTER = re.compile(r"<(?:(?P<conv>[^:>]+):)?(?P<name>[^>]+)>")
SAMPLE = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "1",
    "uuid": "00000000-0000-0000-0000-000000000001",
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself when unnamed
    route: str  # with <converter:name> placeholders
    callback: object

    @property
    def params(self) -> list[tuple[str, str]]:
        return [(m["conv"] or "str", m["name"]) for m in _CONVERTER.finditer(self.route)]

    def url(self, **values: object) -> str:
        def fill(match: re.Match) -> str:
            value = values.get(match["name"])
            return str(value) if value is not None else SAMPLE[match["conv"] or "str"]

        return "/" + _CONVERTER.sub(fill, self.route)


def _regex_as_route(regex: str) -> str | None:
    """A regex without groups (admin's fixed URLs) as a plain route; None when it has any."""
    plain = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    return None if any(c in plain for c in "()[]?*+\\") else plain


def routes() -> Iterator[Route]:
    def walk(patterns, prefix: str, namespace: str) -> Iterator[Route]:
        for entry in patterns:
            pattern = entry.pattern
            if isinstance(pattern, RoutePattern):
                part = str(pattern)
            elif isinstance(pattern, RegexPattern):
                part = _regex_as_route(pattern.regex.pattern)
                if part is None:
                    continue
            else:  # pragma: no cover - Django has only these two
                continue
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}{entry.namespace}:"
                yield from walk(entry.url_patterns, prefix + part, inner)
            elif isinstance(entry, URLPattern):
                route = prefix + part
                name = f"{namespace}{entry.name}" if entry.name else route
                yield Route(name=name, route=route, callback=entry.callback)

    yield from walk(get_resolver().url_patterns, "", "")
