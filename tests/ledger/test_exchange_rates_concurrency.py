"""Two rates published at the same moment cannot together break buy ≤ sell (issue 12, High 5).

Each alone is fine (buy 6.95 under sell 6.96; sell 6.90 over buy 6.86); together the buy rate
would be above the sell rate. Real threads, each with its own PostgreSQL connection.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ledger.models import ExchangeRate
from ledger.selectors import exchange_rate_get

pytestmark = pytest.mark.django_db(transaction=True)

INSERT = (
    "INSERT INTO ledger_exchangerate (currency, rate_type, valid_from, rate, status, "
    "proposed_at, published_at) VALUES ('USD', %s, %s, %s, 'approved', now(), now())"
)


def test_concurrent_buy_and_sell_rows_are_checked_one_after_the_other():
    today = timezone.localdate()
    second_inserted = threading.Event()
    outcome = {}

    def second():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                second_inserted.set()
                cursor.execute(INSERT, ["official_sell", today, Decimal("6.90")])
            outcome["second"] = "committed"
        except IntegrityError as exc:
            outcome["second"] = str(exc)
        finally:
            connection.close()

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT, ["official_buy", today, Decimal("6.95")])
        thread = threading.Thread(target=second)
        thread.start()
        second_inserted.wait(5)
        time.sleep(0.5)  # the second writer is now waiting on the currency's lock
        assert "second" not in outcome
    thread.join(10)
    assert "buy rate above" in outcome["second"]
    buy = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=today)
    sell = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=today)
    assert (buy, sell) == (Decimal("6.9500"), Decimal("6.9600"))
