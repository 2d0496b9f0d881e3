"""Walk the main member flows on the development database (run by test_make_run.py).

Runs in its own process with the local settings, as ``make run`` does: the embedded
PostgreSQL, eager Celery, console email. Prints one line per check; exits non-zero on the
first failure.
"""

import os
import re
import sys
import warnings
from decimal import Decimal

warnings.simplefilter("ignore")
os.environ["DJANGO_SETTINGS_MODULE"] = "progresonet.settings.local"

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from ledger.invariants import ledger_breaches  # noqa: E402
from ledger.models import Account  # noqa: E402
from transfers.models import Transfer  # noqa: E402

WIZARD = "/transferencias/entre-mis-cuentas/"


def check(label: str, ok: bool) -> None:
    print(f"{'ok' if ok else 'FAILED'}: {label}")
    if not ok:
        sys.exit(1)


def main() -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post("/ingresar/", {"username": "mperez", "password": "Progreso2026"})
    check("login", response.status_code == 302)
    check("dashboard", "1011000136" in client.get("/cuentas/").content.decode())
    source = Account.objects.get(number="1011000136")
    destination = Account.objects.get(number="2011000393")
    before = source.balance, destination.balance

    def step(name, fields, **extra):
        data = {"transfer_own-current_step": name}
        data.update({f"{name}-{key}": value for key, value in fields.items()})
        data.update(extra)
        return client.post(WIZARD, data)

    client.get(WIZARD)
    step("source", {"transfer_type": "own", "source_account": source.pk})
    step("destination", {"destination_account": destination.pk})
    body = step(
        "data",
        {
            "currency": "USD",
            "amount": "10",
            "description": "Prueba",
            "notify_email": "",
            "funds_origin": "",
            "funds_destination": "",
        },
    ).content.decode()
    check("summary shows Bs 69,60 to debit", "Bs 69,60" in body)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)
    response = step("confirm", {"pin": "7392"}, idempotency_key=key)
    check("signed transfer redirects to its receipt", response.status_code == 302)
    source.refresh_from_db()
    destination.refresh_from_db()
    check(
        "balances moved by the quoted amounts",
        (before[0] - source.balance, destination.balance - before[1])
        == (Decimal("69.60"), Decimal("10.00")),
    )
    check("one transfer", Transfer.objects.count() == 1)
    check("ledger invariants", ledger_breaches() == [])
    check("loans page", client.get("/prestamos/").status_code == 200)
    check(
        "third-party products",
        "Sara" in client.get("/administracion/productos-de-terceros/").content.decode(),
    )


if __name__ == "__main__":
    main()
