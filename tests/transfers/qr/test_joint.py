"""A single-use code paid from a joint account: held while the co-holders decide, released
when they decline or the wait expires (no money moved), kept used once the payment posts."""

import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone, translation

from accounts.services.pin import pin_set
from audit.models import AuditEvent
from ledger.models import Account
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_transfer_cosign,
    signed_transfer_execute,
)
from transfers.exceptions import TransferError
from transfers.models import Transfer, TransferStatus
from transfers.qr.models import QrCode, QrCodeStatus
from transfers.qr.selectors import qr_code_get, qr_codes_list, qr_resolve
from transfers.qr.services import QrError, qr_code_revoke
from transfers.services import TransferOrder, transfer_prepare, transfers_expire_pending

from .helpers import PAY_URL, PIN, code_for, member_with_account

AWAITING = "espera la firma de un cotitular"


def _joint_payer():
    rosa = make_member(first_names="Rosa", last_names="Mamani", email="rosa@example.com")
    hugo = make_member(first_names="Hugo", last_names="Mamani", email="hugo@example.com")
    rosa_user = make_user(member=rosa, username="rosa", email="rosa.web@example.com")
    hugo_user = make_user(member=hugo, username="hugo", email="hugo.web@example.com")
    for user in (rosa_user, hugo_user):
        pin_set(user=user, pin=PIN, notify=False)
    joint = make_account(
        member=rosa,
        holder_mode=Account.HolderMode.CONJUNTA,
        co_holders=(hugo,),
        balance="500",
    )
    return rosa_user, hugo_user, joint


def _pay(user, code, source) -> Transfer:
    intent = qr_resolve(user=user, text=code.payload)
    order = TransferOrder(
        transfer_type=intent.transfer_type,
        source_account_id=source.pk,
        currency=intent.currency,
        amount=intent.amount or Decimal("10.00"),
        description=intent.reference or "Pago",
        destination_account_id=intent.destination_account_id,
        qr_token=intent.token,
    )
    expected = transfer_prepare(user=user, order=order).fingerprint()
    return signed_transfer_execute(
        user=user, order=order, expected_fingerprint=expected, idempotency_key=uuid.uuid4().hex
    )


def _cosign(user, transfer, approve):
    # The service's own transaction, as in production (see tests/transfers/test_cosign_joint).
    with transaction.atomic():
        return signed_transfer_cosign(user=user, transfer_id=transfer.pk, approve=approve)


@pytest.fixture
def pending():
    """Ana's single-use code, paid by Rosa from her joint account with Hugo: pending."""
    ana, ana_account = member_with_account("Ana", balance="0")
    rosa, hugo, joint = _joint_payer()
    code = code_for(ana, ana_account)
    transfer = _pay(rosa, code, joint)
    assert transfer.status == TransferStatus.PENDING_COSIGN
    return ana, ana_account, hugo, code, transfer


def _released(code) -> bool:
    return AuditEvent.objects.filter(
        event="qr.released", subject=f"transfers.qrcode:{code.pk}"
    ).exists()


@pytest.mark.django_db
class TestHeldWhilePending:
    def test_a_second_payer_is_told_it_awaits_a_signature_not_that_it_was_paid(self, pending):
        _ana, _account, _hugo, code, _transfer = pending
        carla, _source = member_with_account("Carla", balance="100")
        with translation.override("es"), pytest.raises(QrError) as refused:
            qr_resolve(user=carla, text=code.payload)
        assert AWAITING in refused.value.message
        assert "ya fue pagado" not in refused.value.message

    def test_the_pay_page_tells_the_second_payer_in_spanish(self, pending, client):
        _ana, _account, _hugo, code, _transfer = pending
        carla, _source = member_with_account("Carla", balance="100")
        client.force_login(carla)
        response = client.post(PAY_URL, {"text": code.payload}, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == 200
        page = response.content.decode()
        assert AWAITING in page and "ya fue pagado" not in page

    def test_the_payee_sees_it_pending_not_paid(self, pending, client):
        ana, _account, _hugo, code, _transfer = pending
        assert qr_code_get(member_id=ana.member_id, pk=code.pk).state == "pending"
        assert qr_codes_list(member_id=ana.member_id).get(pk=code.pk).state == "pending"
        client.force_login(ana)
        for url in (f"/transferencias/cobrar-con-qr/{code.pk}/", "/transferencias/cobrar-con-qr/"):
            page = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
            assert "Ya pagado" not in page, url
            assert "Pendiente de la firma de un cotitular" in page, url

    def test_the_payee_may_revoke_it_while_held_and_the_payment_never_posts(self, pending, client):
        """Found in review: refusing the revoke let a joint-account payer keep anyone's code
        blocked by leaving payments pending, 48 h at a time."""
        ana, ana_account, hugo, code, transfer = pending
        client.force_login(ana)
        page = client.get(f"/transferencias/cobrar-con-qr/{code.pk}/").content.decode()
        assert f"/transferencias/cobrar-con-qr/{code.pk}/revocar/" in page  # offered
        qr_code_revoke(user=ana, code_id=code.pk)
        assert QrCode.objects.get(pk=code.pk).status == QrCodeStatus.REVOKED
        with translation.override("es"), pytest.raises(TransferError) as refused:
            _cosign(hugo, transfer, approve=True)
        assert "revocado" in refused.value.message
        transfer.refresh_from_db()
        ana_account.refresh_from_db()
        assert transfer.status == TransferStatus.PENDING_COSIGN and transfer.posting is None
        assert ana_account.balance == Decimal("0.00")
        # Declined afterwards: nothing posts and the code stays revoked (never released).
        _cosign(hugo, transfer, approve=False)
        assert QrCode.objects.get(pk=code.pk).status == QrCodeStatus.REVOKED
        assert not _released(code)


@pytest.mark.django_db
class TestReleased:
    def test_declined_frees_the_code_for_another_payer(self, pending):
        ana, ana_account, hugo, code, transfer = pending
        with translation.override("es"):
            _cosign(hugo, transfer, approve=False)
        transfer.refresh_from_db()
        code.refresh_from_db()
        assert transfer.status == TransferStatus.DECLINED
        assert code.status == QrCodeStatus.ACTIVE and code.used_at is None
        assert _released(code)
        assert qr_code_get(member_id=ana.member_id, pk=code.pk).state == "active"
        carla, carla_account = member_with_account("Carla", balance="100")
        paid = _pay(carla, code, carla_account)
        assert paid.status == TransferStatus.POSTED
        ana_account.refresh_from_db()
        assert ana_account.balance == Decimal("35.50")
        code.refresh_from_db()
        assert code.status == QrCodeStatus.USED

    def test_expired_by_the_job_frees_the_code(self, pending):
        ana, _account, _hugo, code, transfer = pending
        assert transfers_expire_pending(now=timezone.now() + timedelta(days=30)) == 1
        transfer.refresh_from_db()
        code.refresh_from_db()
        assert transfer.status == TransferStatus.EXPIRED
        assert code.status == QrCodeStatus.ACTIVE and code.used_at is None
        assert _released(code)
        carla, _source = member_with_account("Carla", balance="100")
        assert qr_resolve(user=carla, text=code.payload).token == code.token

    def test_a_code_past_its_date_is_not_shown_paid_nor_payable(self, pending):
        ana, _account, hugo, code, transfer = pending
        QrCode.objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        _cosign(hugo, transfer, approve=False)
        code.refresh_from_db()
        assert code.used_at is None
        assert qr_code_get(member_id=ana.member_id, pk=code.pk).state == "expired"
        carla, _source = member_with_account("Carla", balance="100")
        with translation.override("es"), pytest.raises(QrError) as refused:
            qr_resolve(user=carla, text=code.payload)
        assert "venció" in refused.value.message

    def test_signed_by_all_keeps_it_used(self, pending):
        ana, ana_account, hugo, code, transfer = pending
        _cosign(hugo, transfer, approve=True)
        transfer.refresh_from_db()
        code.refresh_from_db()
        assert transfer.status == TransferStatus.POSTED
        assert code.status == QrCodeStatus.USED and code.used_at is not None
        assert not _released(code)
        assert qr_code_get(member_id=ana.member_id, pk=code.pk).state == "used"
        ana_account.refresh_from_db()
        assert ana_account.balance == Decimal("35.50")

    def test_a_reusable_code_is_unaffected(self):
        ana, ana_account = member_with_account("Ana", balance="0")
        rosa, hugo, joint = _joint_payer()
        code = code_for(
            ana, ana_account, single_use=False, valid_until=timezone.localdate() + timedelta(days=5)
        )
        transfer = _pay(rosa, code, joint)
        code.refresh_from_db()
        assert code.status == QrCodeStatus.ACTIVE
        assert qr_code_get(member_id=ana.member_id, pk=code.pk).state == "active"
        _cosign(hugo, transfer, approve=False)
        code.refresh_from_db()
        assert code.status == QrCodeStatus.ACTIVE and not _released(code)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["decline", "expiry"])
def test_decline_and_expiry_racing_release_once(first):
    """One side holds its transaction open after deciding; the other must wait on the
    transfer's lock and then find nothing to do: one release, one audit row."""
    ana, ana_account = member_with_account("Ana", balance="0")
    rosa, hugo, joint = _joint_payer()
    code = code_for(ana, ana_account)
    transfer = _pay(rosa, code, joint)
    later = timezone.now() + timedelta(days=30)
    decided = threading.Event()
    outcomes = {}

    def decline():
        try:
            with translation.override("es"), transaction.atomic():
                if first == "expiry":
                    decided.wait(timeout=10)
                signed_transfer_cosign(user=hugo, transfer_id=transfer.pk, approve=False)
                if first == "decline":
                    decided.set()
                    time.sleep(1)  # hold the locks so the job queues behind them
            outcomes["decline"] = "ok"
        except Exception as exc:  # noqa: BLE001 - the loser's refusal is expected
            outcomes["decline"] = exc
        finally:
            decided.set()
            connection.close()

    def expire():
        try:
            with transaction.atomic():
                if first == "decline":
                    decided.wait(timeout=10)
                outcomes["expiry"] = transfers_expire_pending(now=later)
                if first == "expiry":
                    decided.set()
                    time.sleep(1)
        finally:
            decided.set()
            connection.close()

    threads = [threading.Thread(target=decline), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    transfer.refresh_from_db()
    code.refresh_from_db()
    if first == "decline":
        assert outcomes == {"decline": "ok", "expiry": 0}, outcomes
        assert transfer.status == TransferStatus.DECLINED
    else:
        assert outcomes["expiry"] == 1, outcomes
        assert isinstance(outcomes["decline"], TransferError), outcomes
        assert transfer.status == TransferStatus.EXPIRED
    assert code.status == QrCodeStatus.ACTIVE and code.used_at is None
    assert (
        AuditEvent.objects.filter(
            event="qr.released", subject=f"transfers.qrcode:{code.pk}"
        ).count()
        == 1
    )
