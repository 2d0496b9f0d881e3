"""The reliability scenarios at a small size, over HTTP against two real gunicorn instances on
their own database (``make reliability`` runs them at the issue's size; see __main__.py)."""

from decimal import Decimal

import pytest

from . import harness

pytestmark = pytest.mark.slow

BALANCE = Decimal("1000.00")
GROUPS = [
    # Bank: 2 members x 4 accounts and 4 clients: two clients per member on the same accounts.
    {"prefix": "bank", "members": 2, "accounts": 4, "balance": str(BALANCE)},
    {"prefix": "double", "members": 1, "accounts": 2, "balance": str(BALANCE)},
    {"prefix": "overdraw", "members": 1, "accounts": 2, "balance": str(BALANCE)},
    {"prefix": "scale", "members": 1, "accounts": 2, "balance": str(BALANCE)},
    {"prefix": "bouncer", "members": 2, "accounts": 4, "balance": str(BALANCE)},
]


@pytest.fixture(scope="module")
def site():
    db_url = harness.database_recreate("reliability_test")
    members = harness.members_setup(db_url, GROUPS)
    with harness.gunicorns(db_url, 2, workers=2, threads=4) as servers:
        yield db_url, members, servers


def _check(db_url: str) -> dict:
    return harness.dbtool(db_url, "check")


def _assert_sound(state: dict) -> None:
    assert state["breaches"] == []
    assert state["negative"] == 0
    assert state["duplicated_idempotency_keys"] == 0


def test_bank_invariant_under_concurrent_wizards(site):
    db_url, members, servers = site
    before = harness.dbtool(db_url, "check", "bank")
    result = harness.bank_workload(
        servers, members["bank"], clients=4, transfers=25, initial=BALANCE, read_every=2
    )
    after = harness.dbtool(db_url, "check", "bank")
    assert result.problems == []
    assert result.server_errors == 0, result.statuses
    assert result.transport_errors == 0
    assert result.attempted == 25
    assert result.reads > 0 and result.read_mismatches == 0
    assert result.succeeded > 0
    # Own-account transfers move money between a member's accounts: totals never change.
    assert after["totals"] == before["totals"]
    assert after["transfers"] - before["transfers"] == result.succeeded
    _assert_sound(after)


def test_double_submit_of_one_signature_posts_once(site):
    db_url, members, servers = site
    before = _check(db_url)
    outcome = harness.double_submit(servers[0], members["double"][0], copies=20)
    after = _check(db_url)
    assert after["transfers"] - before["transfers"] == 1
    assert len(outcome["receipts"]) == 1, outcome
    assert not any(str(s).startswith("5") or s == "transport" for s in outcome["statuses"])
    _assert_sound(after)


def test_overdraw_race_over_http_lets_exactly_one_through(site):
    db_url, members, servers = site
    member = members["overdraw"][0]
    before = _check(db_url)
    outcome = harness.overdraw_race(servers[0], member, racers=20, balance=BALANCE)
    after = _check(db_url)
    assert outcome["posted"] == 1, outcome
    assert outcome["explained"] == 19, outcome
    assert after["transfers"] - before["transfers"] == 1
    assert not any(str(s).startswith("5") or s == "transport" for s in outcome["statuses"])
    source = str(member["accounts"][0])
    assert Decimal(after["balances"][source]) == BALANCE - Decimal(outcome["amount"])
    _assert_sound(after)


def test_scale_out_wizard_alternating_two_instances_posts_once(site):
    db_url, members, servers = site
    before = _check(db_url)
    outcome = harness.scale_out(servers[0], servers[1], members["scale"][0])
    after = _check(db_url)
    assert outcome["signed_status"] == 302
    assert outcome["receipt"] is not None
    assert outcome["replay_receipt"] == outcome["receipt"]
    assert outcome["receipt_page_status_on_first"] == 200
    assert after["transfers"] - before["transfers"] == 1
    _assert_sound(after)


def test_bank_workload_through_a_transaction_pooling_pgbouncer(site):
    """The same wizards through a real PgBouncer in transaction mode (as docker-compose.yml
    deploys it): same money, no 5xx. Without DJANGO_DB_TRANSACTION_POOLING the prepared
    statements of one server connection would be looked for on another."""
    db_url, members, _servers = site
    with harness.pgbouncer(db_url) as pooled_url:  # noqa: SIM117 - the second uses the first
        with harness.gunicorns(pooled_url, 1, workers=2, threads=4, env=harness.POOLING_ENV) as [
            server
        ]:
            before = harness.dbtool(db_url, "check", "bouncer")
            result = harness.bank_workload(
                [server], members["bouncer"], clients=4, transfers=20, initial=BALANCE, read_every=2
            )
            after = harness.dbtool(db_url, "check", "bouncer")
    assert result.problems == []
    assert result.server_errors == 0, result.statuses
    assert result.transport_errors == 0
    assert result.succeeded > 0
    assert after["totals"] == before["totals"]
    assert after["transfers"] - before["transfers"] == result.succeeded
    _assert_sound(after)
