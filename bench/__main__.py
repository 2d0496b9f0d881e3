"""``python -m bench [ledger|statement|transfer_http|mix|scheduled|qr|bell ...]`` under
``scripts/services.py`` (``make bench``)."""

from __future__ import annotations

import sys
import time

from . import common

BENCHMARKS = ("ledger", "statement", "transfer_http", "mix", "scheduled", "qr", "bell")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"usage: python -m bench [{'|'.join(BENCHMARKS)} ...]", file=sys.stderr)
        return 2
    started = time.monotonic()
    common.bench_database_prepare()
    # Imported after Django is set up on the bench database.
    from . import bell, ledger, mix, qr, scheduled, statement, transfer_http

    modules = {
        "ledger": ledger,
        "statement": statement,
        "transfer_http": transfer_http,
        "mix": mix,
        "scheduled": scheduled,
        "qr": qr,
        "bell": bell,
    }
    for name in names:
        print(f"== {name}")
        figures = modules[name].run()
        path = common.results_merge(name, figures)
        print(f"{name}: figures merged into {path}")
    print(f"bench: done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
