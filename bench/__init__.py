"""Benchmarks of issue 2: ``make bench`` (all) or ``make bench BENCH_ARGS=ledger``.

Each benchmark module exposes ``run(args) -> dict`` plus set-up functions small enough to be
exercised by ``tests/bench/test_bench_smoke.py`` at a tiny size.
"""
