"""Access control: every id-bearing member URL, requested with the owner's ids by a second
member and by an anonymous visitor, never answers 200 (no foreign data) and changes nothing.

The list of id-bearing URLs comes from the resolver; a new one fails
``test_every_id_bearing_member_url_is_in_the_matrix`` until it is given an owner's id here.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import UserSession
from accounts.services.pin import pin_set
from beneficiaries.models import Bank, ThirdPartyProduct
from ledger.models import Account
from loans.models import Loan, LoanPayment
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_loan_pay,
    signed_transfer_execute,
)
from tests.loans.helpers import make_loan
from transfers.models import Transfer
from transfers.qr.services import qr_code_create
from transfers.services import TransferOrder, transfer_prepare

from .urls import routes

pytestmark = pytest.mark.django_db

# Token URLs carry a signed secret, not a member's id: the registration and email tests
# cover them (a wrong or foreign token is refused there).
NOT_ID_BEARING = {
    "accounts:email_confirm",
    "accounts:registration_confirm",
    "accounts:password_set",
}
MEMBER_NAMESPACES = ("accounts:", "ledger:", "transfers:", "beneficiaries:", "loans:")


def _id_routes():
    return [
        r
        for r in routes()
        if r.name.startswith(MEMBER_NAMESPACES) and r.params and r.name not in NOT_ID_BEARING
    ]


@pytest.fixture
def owner():
    """A member with one of everything an id can point at."""
    member = make_member(first_names="Dueña", last_names="Del Dato")
    user = make_user(member=member, username="duena")
    pin_set(user=user, pin="4826", notify=False)
    account = make_account(member=member, balance="5000")
    other = make_account(member=member)
    transfer = _own_transfer(user, account, other, key="k1")
    # A joint account of a partner on which the owner is a co-holder: a debit by the partner
    # waits for the owner's signature (the co-signature URL's id).
    partner = make_member(first_names="Socia")
    partner_user = make_user(member=partner, username="socia")
    joint = make_account(
        member=partner, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(member,), balance="500"
    )
    pending = _own_transfer(partner_user, joint, make_account(member=partner), key="k2")
    product = ThirdPartyProduct.objects.create(
        owner=member,
        kind="other_bank",
        bank=Bank.objects.get(code="BNB"),
        product_type="savings",
        currency="BOB",
        number="1234567890",
        holder_name="Otra Persona",
        document_type="CI",
        document_number="1234567",
        alias="sara",
    )
    loan = make_loan(member=member, account=account, disbursement_date=timezone.localdate())
    payment = signed_loan_pay(
        user=user, loan=loan, source_account=account, idempotency_key="p1", amount=Decimal("50")
    )
    session = UserSession.objects.create(user=user, session_key="k" * 32)
    scheduled = _scheduled(user, account, other)
    qr_code = qr_code_create(
        user=user,
        account_id=account.pk,
        amount=Decimal("35.50"),
        reference="Dato",
        single_use=True,
        valid_until=None,
    )
    return {
        "user": user,
        "values": {
            "ledger:": {"account_id": account.pk},
            "transfers:": {"pk": transfer.pk},
            "transfers:cosign": {"pk": pending.pk},
            **{
                f"transfers:scheduled_{name}": {"pk": scheduled.pk}
                for name in ("detail", "pause", "cancel", "resume", "amend")
            },
            "transfers:qr_detail": {"pk": qr_code.pk},
            "transfers:qr_png": {"pk": qr_code.pk},
            "transfers:qr_revoke": {"pk": qr_code.pk},
            "beneficiaries:": {"pk": product.pk},
            "loans:": {"loan_id": loan.pk, "payment_id": payment.pk},
            "accounts:": {"pk": session.pk},
        },
        "objects": (account, transfer, product, loan, payment, session, scheduled, qr_code),
    }


def _scheduled(user, source, destination):
    from datetime import timedelta

    from tests.factories import signed
    from transfers import scheduled as sched
    from transfers.events import TransferPurpose

    order = TransferOrder(
        transfer_type="own",
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal("10.00"),
        description="Programada",
        destination_account_id=destination.pk,
    )
    schedule = sched.Schedule(kind="once", start_date=timezone.localdate() + timedelta(days=5))
    return sched.scheduled_create(
        user=user,
        order=order,
        schedule=schedule,
        destination_label="Propia",
        idempotency_key="s1",
        signature=signed(
            user,
            purpose=TransferPurpose.SCHEDULE,
            fingerprint=sched.schedule_fingerprint(user=user, order=order, schedule=schedule),
        ),
    )


def _own_transfer(user, source, destination, *, key: str) -> Transfer:
    order = TransferOrder(
        transfer_type="own",
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal("10.00"),
        description="Propio",
        destination_account_id=destination.pk,
    )
    quote = transfer_prepare(user=user, order=order)
    return signed_transfer_execute(
        user=user, order=order, expected_fingerprint=quote.fingerprint(), idempotency_key=key
    )


def _values(route, owner) -> dict:
    values = owner["values"]
    return values.get(route.name) or values[route.name.split(":")[0] + ":"]


def _url(route, owner) -> str:
    return route.url(**_values(route, owner))


def _state(owner) -> tuple:
    account, transfer, product, loan, payment, session, scheduled, qr_code = owner["objects"]
    scheduled.refresh_from_db()
    qr_code.refresh_from_db()
    account.refresh_from_db()
    product.refresh_from_db()
    return (
        account.balance,
        list(Transfer.objects.values_list("pk", "status")),
        product.deleted_at,
        product.alias,
        LoanPayment.objects.count(),
        Loan.objects.get(pk=loan.pk).status,
        UserSession.objects.filter(pk=session.pk).exists(),
        (scheduled.status, scheduled.amount, scheduled.next_due_date),
        (qr_code.status, qr_code.revoked_at),
    )


def test_every_id_bearing_member_url_is_in_the_matrix(owner):
    covered = {r.name for r in _id_routes()}
    assert len(covered) >= 14
    for route in _id_routes():
        assert {name for _, name in route.params} <= set(_values(route, owner)), route.name


def test_the_owner_reaches_them(owner):
    """The control: with the owner's session the same URLs work, so the refusals below are
    access control and not broken URLs."""
    client = Client()
    client.force_login(owner["user"])
    reached = {r.name: client.get(_url(r, owner)).status_code for r in _id_routes()}
    # session_close and qr_revoke are POST-only; pay_confirm sends back to "pay" with
    # nothing pending.
    assert {n: s for n, s in reached.items() if s != 200} == {
        "accounts:session_close": 405,
        "transfers:qr_revoke": 405,
        "loans:pay_confirm": 302,
        # Pausing and cancelling are POST-only.
        "transfers:scheduled_pause": 405,
        "transfers:scheduled_cancel": 405,
        # Resuming an active order: the page shows the signature; nothing is resumed by a GET.
    }


@pytest.mark.parametrize("who", ["second_member", "anonymous"])
def test_no_foreign_data_and_no_change(owner, who):
    client = Client()
    if who == "second_member":
        intruder = make_member(first_names="Intrusa")
        make_account(member=intruder, balance="100")
        user = make_user(member=intruder, username="intrusa")
        pin_set(user=user, pin="4826", notify=False)
        client.force_login(user)
    before = _state(owner)
    answered = {}
    for route in _id_routes():
        url = _url(route, owner)
        get = client.get(url)
        post = client.post(url, {"pin": "4826", "amount": "1", "alias": "robado", "confirm": "1"})
        answered[route.name] = (get.status_code, post.status_code)
        for response in (get, post):
            assert response.status_code != 200 or "Dueña" not in response.content.decode()
            if who == "anonymous":
                assert response.status_code in (302, 405), route.name
                if response.status_code == 302:
                    assert response["Location"].startswith("/ingresar/"), route.name
            else:
                # 404 for reads; a refused action may send back to a list (302) with nothing
                # done, which _state() proves below.
                assert response.status_code in (302, 404, 405), (route.name, response.status_code)
    assert _state(owner) == before, answered
