"""QR services: issuing, revoking, claiming in the transfer's transaction, and races."""

import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation

from audit.models import AuditEvent
from beneficiaries.models import Bank
from ledger.models import Account
from tests.factories import make_account, signed_transfer_execute
from transfers.exceptions import TransferError
from transfers.models import Transfer, TransferStatus, TransferType
from transfers.qr import emv
from transfers.qr.models import QrCode, QrCodeStatus
from transfers.qr.selectors import qr_codes_list, qr_resolve
from transfers.qr.services import QrError, qr_code_revoke
from transfers.services import (
    TransferOrder,
    transfer_prepare,
    transfer_signing_fingerprint,
)

from .helpers import code_for, member_with_account


def _order(intent, source, **overrides) -> TransferOrder:
    fields = {
        "transfer_type": intent.transfer_type,
        "source_account_id": source.pk,
        "currency": intent.currency,
        "amount": intent.amount or Decimal("10.00"),
        "description": intent.reference or "Pago",
        "destination_account_id": intent.destination_account_id,
        "qr_token": intent.token,
    }
    if intent.bank_id is not None:
        fields.update(
            destination_account_id=None,
            bank_id=intent.bank_id,
            destination_number=intent.destination_number,
            destination_name=intent.payee_name,
            destination_currency=intent.currency,
        )
    fields.update(overrides)
    return TransferOrder(**fields)


def _pay(user, order, key="k1"):
    expected = transfer_prepare(user=user, order=order).fingerprint()
    return signed_transfer_execute(
        user=user, order=order, expected_fingerprint=expected, idempotency_key=key
    )


@pytest.mark.django_db
class TestCreate:
    def test_code_payload_names_the_account_through_the_token_only(self):
        user, account = member_with_account("Ana")
        code = code_for(user, account)
        payload = emv.decode(code.payload)
        assert payload.dynamic and payload.token == code.token
        assert account.number not in code.payload
        assert payload.amount == Decimal("35.50") and payload.reference == "Almuerzo"
        assert payload.merchant_name == "Ana Quispe"
        assert AuditEvent.objects.filter(event="qr.created").count() == 1

    def test_accents_are_folded_and_long_names_cut(self):
        user, account = member_with_account("Ñandú")
        user.member.last_names = "Mamani Condori De La Fuente Ríos"
        user.member.save()
        code = code_for(user, account, reference="Café con leche y más cosas ricas")
        payload = emv.decode(code.payload)
        assert payload.merchant_name == "Nandu Mamani Condori De L"
        assert payload.reference == "Cafe con leche y mas cosa"

    def test_someone_elses_or_closed_account_is_refused(self):
        user, _ = member_with_account("Ana")
        _, other = member_with_account("Beto")
        with pytest.raises(QrError):
            code_for(user, other)
        closed = make_account(member=user.member)
        Account.objects.filter(pk=closed.pk).update(status=Account.Status.CLOSED)
        with pytest.raises(QrError):
            code_for(user, closed)
        assert QrCode.objects.count() == 0

    def test_reusable_needs_a_date_within_bounds(self, settings):
        user, account = member_with_account("Ana")
        with pytest.raises(QrError):
            code_for(user, account, single_use=False)
        today = timezone.localdate()
        for day in (today - timedelta(days=1), today + timedelta(days=400)):
            with pytest.raises(QrError):
                code_for(user, account, single_use=False, valid_until=day)
        assert QrCode.objects.count() == 0

    def test_revoke_only_own_active_codes(self):
        user, account = member_with_account("Ana")
        intruder, _ = member_with_account("Beto")
        code = code_for(user, account)
        with pytest.raises(QrError):
            qr_code_revoke(user=intruder, code_id=code.pk)
        qr_code_revoke(user=user, code_id=code.pk)
        code.refresh_from_db()
        assert code.status == QrCodeStatus.REVOKED
        with pytest.raises(QrError):
            qr_code_revoke(user=user, code_id=code.pk)


@pytest.mark.django_db
class TestClaim:
    def test_paying_posts_and_consumes(self):
        ana, ana_account = member_with_account("Ana", balance="0")
        beto, source = member_with_account("Beto", balance="100")
        code = code_for(ana, ana_account)
        intent = qr_resolve(user=beto, text=code.payload)
        transfer = _pay(beto, _order(intent, source))
        assert transfer.qr_code == code and transfer.status == TransferStatus.POSTED
        code.refresh_from_db()
        assert code.status == QrCodeStatus.USED
        row = qr_codes_list(member_id=ana.member_id).get()
        assert row.collected == Decimal("35.50") and row.payments == 1

    @pytest.mark.parametrize(
        "tamper",
        [
            {"amount": Decimal("1.00")},
            {"description": "Otra"},
            {"currency": "USD"},
        ],
    )
    def test_an_order_that_does_not_match_the_code_is_refused(self, tamper):
        ana, ana_account = member_with_account("Ana", balance="0")
        beto, source = member_with_account("Beto", balance="100")
        code = code_for(ana, ana_account)
        intent = qr_resolve(user=beto, text=code.payload)
        with pytest.raises(TransferError):
            _pay(beto, _order(intent, source, **tamper))
        assert Transfer.objects.count() == 0

    def test_a_token_pointing_elsewhere_is_refused(self):
        """An attacker's order: another code's token with a destination of their choosing."""
        ana, ana_account = member_with_account("Ana", balance="0")
        beto, source = member_with_account("Beto", balance="100")
        _, carla_account = member_with_account("Carla", balance="0")
        code = code_for(ana, ana_account)
        intent = qr_resolve(user=beto, text=code.payload)
        with pytest.raises(TransferError):
            _pay(beto, _order(intent, source, destination_account_id=carla_account.pk))
        assert Transfer.objects.count() == 0

    def test_the_signature_covers_the_token(self):
        ana, ana_account = member_with_account("Ana", balance="0")
        beto, source = member_with_account("Beto", balance="100")
        code = code_for(ana, ana_account)
        order = _order(qr_resolve(user=beto, text=code.payload), source)
        without = replace(order, qr_token="")
        expected = transfer_prepare(user=beto, order=order).fingerprint()
        assert transfer_signing_fingerprint(
            order=order, expected_fingerprint=expected
        ) != transfer_signing_fingerprint(order=without, expected_fingerprint=expected)

    def test_the_same_member_twice_with_one_key_is_one_transfer(self):
        ana, ana_account = member_with_account("Ana", balance="0")
        beto, source = member_with_account("Beto", balance="100")
        code = code_for(ana, ana_account)
        order = _order(qr_resolve(user=beto, text=code.payload), source)
        expected = transfer_prepare(user=beto, order=order).fingerprint()
        first = signed_transfer_execute(
            user=beto, order=order, expected_fingerprint=expected, idempotency_key="same"
        )
        again = signed_transfer_execute(
            user=beto, order=order, expected_fingerprint=expected, idempotency_key="same"
        )
        assert first.pk == again.pk and Transfer.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["two_tabs", "two_members"])
def test_paying_one_dynamic_code_concurrently_posts_once(who):
    ana, ana_account = member_with_account("Ana", balance="0")
    payers = [member_with_account("Beto", balance="100")]
    payers.append(payers[0] if who == "two_tabs" else member_with_account("Carla", balance="100"))
    code = code_for(ana, ana_account)
    prepared = []
    for index, (user, source) in enumerate(payers):
        order = _order(qr_resolve(user=user, text=code.payload), source)
        expected = transfer_prepare(user=user, order=order).fingerprint()
        prepared.append((user, order, expected, f"tab-{index}"))
    barrier = threading.Barrier(2)
    outcomes = []

    def pay(user, order, expected, key):
        try:
            barrier.wait(timeout=10)
            with translation.override("es"):
                outcomes.append(
                    signed_transfer_execute(
                        user=user, order=order, expected_fingerprint=expected, idempotency_key=key
                    )
                )
        except Exception as exc:  # noqa: BLE001 - the refusal is the expected outcome
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=args) for args in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    transfers = [o for o in outcomes if isinstance(o, Transfer)]
    refusals = [o for o in outcomes if not isinstance(o, Transfer)]
    assert len(transfers) == 1, outcomes
    assert len(refusals) == 1 and isinstance(refusals[0], TransferError), outcomes
    assert "ya fue pagado" in refusals[0].message
    ana_account.refresh_from_db()
    assert ana_account.balance == Decimal("35.50")
    assert Transfer.objects.count() == 1


@pytest.mark.django_db
def test_another_banks_code_goes_out_through_the_ach():
    from transfers.models import InterbankOrder

    beto, source = member_with_account("Beto", balance="500")
    bank = Bank.objects.get(code="BNB")
    text = emv.encode(
        emv.QrPayload(
            currency="BOB",
            merchant_name="Tienda Dona Rosa",
            merchant_city="El Alto",
            bank_code=bank.code,
            account_number="1234567890",
            amount=Decimal("20.00"),
            reference="Pan",
        )
    )
    intent = qr_resolve(user=beto, text=text)
    assert intent.transfer_type == TransferType.OTHER_BANK and intent.bank_id == bank.pk
    transfer = _pay(beto, _order(intent, source))
    assert transfer.status == TransferStatus.SENT
    assert transfer.destination_bank == bank and transfer.destination_number == "1234567890"
    assert InterbankOrder.objects.filter(transfer=transfer).exists()


@pytest.mark.django_db
def test_an_inactive_or_unknown_bank_is_refused():
    beto, _ = member_with_account("Beto", balance="500")
    for code in ("ZZZ", "BNB"):
        Bank.objects.filter(code="BNB").update(is_active=False)
        text = emv.encode(
            emv.QrPayload(
                currency="BOB",
                merchant_name="X",
                merchant_city="Y",
                bank_code=code,
                account_number="1234567890",
            )
        )
        with pytest.raises(QrError):
            qr_resolve(user=beto, text=text)
