"""Reference data every installation needs: internal accounts and the official USD rates.

The functions take the model classes so the data migration can pass its historical models
and tests can re-seed after a transactional test flushes the tables.
"""

from datetime import date
from decimal import Decimal

from ledger.codes import InternalAccount

INTERNAL_ACCOUNTS = {code.value: code.label for code in InternalAccount}

# Official Banco Central de Bolivia rates, unchanged since 2 November 2011: buy 6.86 and
# sell 6.96 BOB per USD. Staff add newer dated rates in the admin.
OFFICIAL_RATES = {"official_buy": Decimal("6.8600"), "official_sell": Decimal("6.9600")}
OFFICIAL_RATES_SINCE = date(2011, 11, 2)


def seed_ledger_reference(account_model, exchange_rate_model) -> None:
    for code, name in INTERNAL_ACCOUNTS.items():
        for currency in ("BOB", "USD"):
            account_model.objects.get_or_create(
                kind="internal",
                code=code,
                currency=currency,
                defaults={
                    "number": f"INT-{code}-{currency}",
                    "product_type": "internal",
                    "holder_mode": "",
                    "name": name,
                },
            )
    for rate_type, rate in OFFICIAL_RATES.items():
        exchange_rate_model.objects.get_or_create(
            currency="USD",
            rate_type=rate_type,
            valid_from=OFFICIAL_RATES_SINCE,
            defaults={"rate": rate},
        )
