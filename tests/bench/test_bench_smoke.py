"""Keep bench/ from rotting: its set-up code runs here at a tiny size. No timings asserted."""

import json
import random
from decimal import Decimal

import pytest

from bench import __main__ as bench_main
from bench import common, ledger, statement
from ledger.invariants import ledger_breaches
from ledger.models import Account, Posting, PostingLine
from ledger.selectors import statement_page

pytestmark = pytest.mark.django_db


def test_ledger_setup_funds_accounts_and_transfers_keep_the_invariants():
    ids = ledger.accounts_setup(5, opening=Decimal("50.00"))
    assert (
        list(Account.objects.filter(pk__in=ids).values_list("balance", flat=True))
        == [Decimal("50.00")] * 5
    )
    rng = random.Random(7)
    outcomes = [ledger.transfer_once(ids, rng) for _ in range(30)]
    # Amounts reach Bs 100 against Bs 50 balances, so both outcomes happen.
    assert True in outcomes and False in outcomes
    transfers = Posting.objects.filter(kind="transfer", lines__account_id__in=ids).distinct()
    assert transfers.count() == outcomes.count(True)
    assert sum(Account.objects.get(pk=pk).balance for pk in ids) == Decimal("250.00")
    assert ledger_breaches() == []


def test_statement_setup_writes_balanced_history_and_pages_walk_it():
    big, small = statement.accounts_setup(big=300, small=120)
    assert ledger_breaches() == []
    assert PostingLine.objects.filter(account=big).count() == 300
    newest = PostingLine.objects.filter(account=big).latest("pk")
    assert big.balance == newest.balance_after > 0

    cursor = statement.cursor_at(big, 200)
    assert PostingLine.objects.filter(account=big, pk__gte=cursor).count() == 200
    page = statement_page(account=big, before_id=cursor)
    assert len(page.lines) == 50 and page.lines[0].pk < cursor and page.next_cursor
    plan = statement.page_explain(big, cursor)
    assert any("Limit" in line for line in plan)
    assert statement_page(account=small).lines[0].balance_after == small.balance


def test_results_merge_keeps_other_benchmarks(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "OUT_DIR", tmp_path)
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results.json")
    common.results_merge("ledger", {"ratio": 0.3})
    common.results_merge("statement", {"ratio": 1.1})
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["ledger"]["ratio"] == 0.3 and data["statement"]["ratio"] == 1.1
    assert data["ledger"]["machine"]["cpus"]


def test_unknown_benchmark_is_refused_before_touching_anything(capsys):
    assert bench_main.main(["nope"]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.slow
def test_transfer_http_walks_the_wizard_over_gunicorn():
    """bench/transfer_http.py at a tiny size: real gunicorn, real wizard; figures, no timings."""
    from bench import transfer_http

    figures = transfer_http.run(rounds=2, clients=2, transfers_per_client=2, workers=1, threads=2)
    assert figures["rounds"] == 2 and len(figures["signing_step_p95_ms_by_round"]) == 2
    assert figures["transfers"] == 4
    assert figures["ledger_breaches"] == 0
    assert figures["ratio_signing_p95_to_dashboard_p95"] > 0


@pytest.mark.slow
def test_mix_runs_every_page_kind_over_gunicorn_and_a_worker(tmp_path, monkeypatch):
    """bench/mix.py at a tiny size: real gunicorn, Redis, Celery worker and SMTP sink; the
    figures are written, every request answered as expected. No timings asserted."""
    from bench import mix

    monkeypatch.setattr(common, "OUT_DIR", tmp_path)
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results.json")
    figures = mix.run(
        users=3, requests=100, workers=1, threads=2, think=(0, 0), movements=120, rss_marks=(20, 90)
    )
    assert figures["overall"]["errors"] == 0, figures["error_samples"]
    assert figures["overall"]["requests"] >= 100
    # Weighted choice over 100 requests by 3 users: every read page kind comes up (seeded).
    assert set(mix.READ_KINDS) <= set(figures["pages"])
    assert figures["pages"]["reference"]["requests"] > 0
    assert figures["transfers_posted"] > 0
    assert figures["receipt_emails_delivered"] == figures["transfers_posted"]
    assert figures["ledger_breaches"] == 0
    memory = figures["gunicorn_worker_rss_mib"]
    assert memory["after_20_requests"]["workers"] and memory["after_90_requests"]["workers"]
    assert memory["workers_replaced"] == []
    common.results_merge("mix", figures)
    assert json.loads((tmp_path / "results.json").read_text())["mix"]["overall"]["requests"]


def test_scheduled_bench_setup_runs_every_order_once():
    from bench import scheduled

    figures = scheduled.run(members=3, per_member=2)
    assert figures["orders"] == figures["handled"] == figures["posted"] == 6
    assert figures["ledger_breaches"] == 0


def test_statement_ratio_is_taken_round_by_round_in_alternation():
    calls = []
    ratios = statement.alternating_ratios(
        lambda: calls.append("deep") or sum(range(2000)),
        lambda: calls.append("first") or sum(range(1000)),
        rounds=5,
        repeat=4,
    )
    assert len(ratios) == 5 and all(r > 0 for r in ratios)
    # Warm-up, then strictly deep, first, deep, first...: both pages see the same load.
    assert calls[6:] == ["deep", "first"] * 20


def _bench_settings(monkeypatch, bell: str | None):
    import importlib
    import sys

    if bell is None:
        monkeypatch.delenv("BENCH_NOTICE_BELL", raising=False)
    else:
        monkeypatch.setenv("BENCH_NOTICE_BELL", bell)
    monkeypatch.delitem(sys.modules, "bench.settings", raising=False)
    return importlib.import_module("bench.settings")


def test_bell_off_settings_take_out_the_bell_and_nothing_else(monkeypatch):
    bell = "notices.context_processors.notice_bell"
    with_bell = _bench_settings(monkeypatch, None).TEMPLATES[0]["OPTIONS"]["context_processors"]
    without = _bench_settings(monkeypatch, "off").TEMPLATES[0]["OPTIONS"]["context_processors"]
    assert bell in with_bell
    assert without == [name for name in with_bell if name != bell]


def test_bell_bench_pairs_rounds_in_alternation_and_compares_same_round_ratios(monkeypatch):
    from bench import bell, mix

    calls = []

    def fake_run(**kwargs):
        on = kwargs["server_env"]["BENCH_NOTICE_BELL"] == "on"
        calls.append("on" if on else "off")
        ratio = 1.5 if on else 1.2
        return {
            "load_average_at_start": [0.1, 0.1, 0.1],
            "overall": {"errors": 0},
            "pages": {
                "reference": {"p95_ms": 10.0},
                "dashboard": {"p95_ms": 10.0 * ratio, "ratio_p95_to_reference": ratio},
            },
        }

    monkeypatch.setattr(mix, "run", fake_run)
    figures = bell.run(pairs=2, requests=600)
    assert calls == ["off", "on", "on", "off"]
    assert figures["pages"]["dashboard"] == {
        "ratio_p95_to_reference_bell_off": 1.2,
        "ratio_p95_to_reference_bell_on": 1.5,
        "change": 0.3,
    }
