"""Shared QR test helpers: two members, a code, and the pay flow over HTTP."""

from decimal import Decimal

from accounts.services.pin import pin_set
from tests.factories import make_account, make_member, make_user
from transfers.qr.services import qr_code_create

PIN = "4826"
PAY_URL = "/transferencias/pagar-con-qr/"
WIZARD_URL = "/transferencias/pagar-con-qr/transferencia/"


def member_with_account(name: str, *, balance="1000", currency="BOB"):
    member = make_member(first_names=name, last_names="Quispe", email=f"{name.lower()}@example.com")
    user = make_user(member=member, username=name.lower(), email=f"{name.lower()}@example.com")
    pin_set(user=user, pin=PIN, notify=False)
    account = make_account(member=member, balance=balance, currency=currency)
    return user, account


def code_for(user, account, *, amount="35.50", reference="Almuerzo", single_use=True, **kw):
    return qr_code_create(
        user=user,
        account_id=account.pk,
        amount=Decimal(amount) if amount else None,
        reference=reference,
        single_use=single_use,
        valid_until=kw.pop("valid_until", None),
        **kw,
    )


def wizard_step(client, step, fields, **extra):
    data = {"transfer_qr-current_step": step, **{f"{step}-{k}": v for k, v in fields.items()}}
    data.update(extra)
    return client.post(WIZARD_URL, data)


def pay_by_text(client, text, source, *, amount=None, description=None, pin=PIN):
    """Paste ``text``, walk the wizard, sign. Returns the last response."""
    response = client.post(PAY_URL, {"text": text})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == WIZARD_URL
    client.get(WIZARD_URL)
    wizard_step(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    wizard_step(client, "destination", {})
    fields = {
        "currency": source.currency,
        "notify_email": "",
        "funds_origin": "",
        "funds_destination": "",
    }
    if amount is not None:
        fields["amount"] = amount
    if description is not None:
        fields["description"] = description
    response = wizard_step(client, "data", fields)
    assert "idempotency_key" in response.context, response.content.decode()[:3000]
    key = response.context["idempotency_key"]
    return wizard_step(client, "confirm", {"pin": pin}, idempotency_key=key)
