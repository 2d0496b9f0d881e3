"""A signing purpose became an enum member (``<app>/events.py``), and a member is a ``str``: what
a signature stores and hashes is byte for byte what the bare strings before it gave. Every
fingerprint and digest below was computed by the code before the move, with the bare strings;
a receipt signed then (its grant row holds the plain string) is still consumed now."""

import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from accounts.models import SignatureGrant
from accounts.signing import signature_consume, signature_issue
from audit.models import AuditEvent
from beneficiaries import services as beneficiaries
from loans.events import LoanPurpose
from loans.services import loan_pay_fingerprint
from progresonet.sql import sql
from tests.factories import make_member, make_user
from transfers import scheduled
from transfers import services as transfers
from transfers.events import TransferPurpose
from transfers.limits import member_limit_fingerprint

# Each service's fingerprint of fixed arguments, by the code before the move.
BEFORE = {
    "beneficiary.register": "6cab0d05d0ddaa74d2334ae3b82831e7b6df2d87a16d40db8853ed709aba7574",
    "beneficiary.update": "12f82bde1720232859414ecacc5e919e094b671402b013d93c483922e6359bf4",
    "beneficiary.delete": "fbfdffa0d09a92b8aec4c42af6f025684233db723d9aa9747bae31868c63d70d",
    "limit.set": "3778d7440d8be8492e655197694cb90e30edd901fd4677bf82c9d4621d12a410",
    "loan.pay": "dc782f932509f16473f19c647cf1036dc0fb98548a14d00055e820b7d140bb3f",
    "transfer.execute": "0839ac6a7633f35caef677a92270508c95d90c8a894cd4f33e0a5c4c72b466a0",
    "transfer.cosign": "b2d2870bd086373386573507f360cbe53d667b04046fe5aaac8d3a8a9f7da17b",
    "transfer.schedule": "923f7bfa83be1379caa1b3911bb245ae68e1bdc47a7400378b41bed86454294a",
    "transfer.schedule.resume": "37fcb39f210c551fe35b311baa7b14205afe090aa9114d7f6917a79abafcd2a7",
    "transfer.schedule.amend": "51fe649cf2f43b314cdd115321cdc594ad75329d7aef4575cefefbf6b72e66f0",
}


def test_every_fingerprint_is_what_the_bare_strings_gave():
    order = transfers.TransferOrder(
        transfer_type="own",
        source_account_id=7,
        currency="BOB",
        amount=Decimal("150.00"),
        description=" Alquiler ",
        destination_account_id=9,
        notify_email="a@b.bo",
    )
    schedule = scheduled.Schedule(
        kind="monthly", start_date=date(2025, 1, 31), day_of_month=31, times=12
    )
    order_row = SimpleNamespace(pk=5, signed_fingerprint="abc", amount=Decimal("150.00"))
    now = {
        "beneficiary.register": beneficiaries.beneficiary_register_member_fingerprint(
            owner=SimpleNamespace(pk=3), number="1011000245", alias="Ana"
        ),
        "beneficiary.update": beneficiaries.beneficiary_update_fingerprint(
            product_id=4, alias="Ana"
        ),
        "beneficiary.delete": beneficiaries.beneficiary_delete_fingerprint(product_id=4),
        "limit.set": member_limit_fingerprint(transfer_type="own", amount_bob=Decimal("5000")),
        "loan.pay": loan_pay_fingerprint(loan_id=2, source_account_id=7, instalment_ids=[3, 1]),
        "transfer.execute": transfers.transfer_signing_fingerprint(
            order=order, expected_fingerprint="q"
        ),
        "transfer.cosign": transfers.transfer_cosign_fingerprint(
            transfer=SimpleNamespace(pk=11, signed_fingerprint="abc"), approve=True
        ),
        "transfer.schedule": scheduled.schedule_fingerprint(
            user=SimpleNamespace(pk=3), order=order, schedule=schedule
        ),
        "transfer.schedule.resume": scheduled.schedule_resume_fingerprint(scheduled=order_row),
        "transfer.schedule.amend": scheduled.schedule_amend_fingerprint(
            scheduled=order_row, amount=Decimal("200")
        ),
    }
    assert now == BEFORE


@pytest.mark.django_db
def test_a_receipt_stores_and_hashes_the_plain_value(monkeypatch):
    import accounts.signing

    # The digest covers the grant's random id: fixed here to compare with the code before.
    monkeypatch.setattr(accounts.signing.uuid, "uuid4", lambda: uuid.UUID(int=1))
    user = make_user(member=make_member())
    receipt = signature_issue(
        user=user, purpose=TransferPurpose.EXECUTE, fingerprint="f", summary={"Monto": "Bs 1,00"}
    )
    # signature_issue(purpose="transfer.execute", …) with this grant id, before the move:
    assert receipt.digest == "abd8a8b147805bf0753790c92f686a53425b1b884df57498bcf88da55ff5db0f"
    # Read back as the database holds them (text in the column, text in the JSON), not
    # through a model field that could turn a stored value back into a member.
    with connection.cursor() as cursor:
        cursor.execute(
            sql("SELECT {g.purpose} FROM {g} WHERE {g.id} = %s", g=SignatureGrant),
            [receipt.grant_id],
        )
        assert cursor.fetchone() == ("transfer.execute",)
        cursor.execute(
            sql(
                "SELECT {e.new}->>'purpose' FROM {e} WHERE {e.event} = %s "
                "AND {e.new}->>'digest' = %s",
                e=AuditEvent,
            ),
            ["signature.verified", receipt.digest],
        )
        assert cursor.fetchall() == [("transfer.execute",)]


@pytest.mark.django_db
def test_a_receipt_signed_with_the_bare_string_is_consumed_by_the_member():
    """A grant written before the move (a plain string) is used up by a service after it."""
    user = make_user(member=make_member())
    receipt = signature_issue(user=user, purpose="loan.pay", fingerprint="f", summary={"a": "b"})
    with transaction.atomic():
        signature_consume(signature=receipt, user=user, purpose=LoanPurpose.PAY, fingerprint="f")
    assert SignatureGrant.objects.get(pk=receipt.grant_id).used_at is not None
