"""``bell``: what the header's notice bell costs the pages of the ``mix`` benchmark (issue 16:
"the bell costs at most one indexed query per page … the pages must keep their p95 ratio to
the reference view").

The same ``mix`` workload (50 members, every page kind, real gunicorn, Redis, Celery worker)
runs in pairs of rounds with a smaller request count: one round with the bell's context
processor taken out of the gunicorn settings (``BENCH_NOTICE_BELL=off``, see
``bench/settings.py``) and one with it, alternating which goes first. Each read page's p95 is
divided by the reference view's p95 of the SAME round (the keep-alive, which renders no
page and so never reads the bell); the figure is the median over the rounds of that ratio,
bell on and bell off, and their difference. The query itself is pinned by a test
(``tests/notices``: one indexed query per page); this measures what it costs under load.
"""

from __future__ import annotations

import statistics

from . import mix

PAIRS = 2
REQUESTS = 4_000


def run(*, pairs: int = PAIRS, requests: int = REQUESTS) -> dict:
    ratios: dict[str, dict[str, list[float]]] = {"on": {}, "off": {}}
    rounds = []
    for pair in range(pairs):
        order = ("off", "on") if pair % 2 == 0 else ("on", "off")
        for bell in order:
            figures = mix.run(
                requests=requests,
                rss_marks=(1_000, requests - 500),
                server_env={"BENCH_NOTICE_BELL": bell},
            )
            rounds.append(
                {
                    "bell": bell,
                    "load_average_at_start": figures["load_average_at_start"],
                    "errors": figures["overall"]["errors"],
                    "reference_p95_ms": figures["pages"]["reference"]["p95_ms"],
                }
            )
            for kind, page in figures["pages"].items():
                if page.get("ratio_p95_to_reference"):
                    ratios[bell].setdefault(kind, []).append(page["ratio_p95_to_reference"])
    pages = {}
    for kind in sorted(ratios["on"]):
        on = statistics.median(ratios["on"][kind])
        off = statistics.median(ratios["off"].get(kind) or [float("nan")])
        pages[kind] = {
            "ratio_p95_to_reference_bell_off": round(off, 2),
            "ratio_p95_to_reference_bell_on": round(on, 2),
            "change": round(on - off, 2),
        }
    figures = {"rounds": rounds, "requests_per_round": requests, "pages": pages}
    print(f"{'page':<22}{'bell off':>10}{'bell on':>10}{'change':>8}")
    for kind, row in pages.items():
        print(
            f"{kind:<22}{row['ratio_p95_to_reference_bell_off']:>10}"
            f"{row['ratio_p95_to_reference_bell_on']:>10}{row['change']:>8}"
        )
    return figures
