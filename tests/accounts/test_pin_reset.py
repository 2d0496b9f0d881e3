"""Issue 12, High 2: "¿Olvidó su PIN?" — the password AND a one-time code (emailed, or from the
enrolled device) set a new PIN; then only own-account transfers may be signed for
PIN_RESET_RESTRICTION_HOURS, and the member is emailed at once."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import TransactionPin, User
from accounts.selectors import signing_restriction_until
from accounts.services.pin import pin_check, pin_set
from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    signed_beneficiary_register_member,
    signed_member_limit_set,
)
from transfers.exceptions import TransferError
from transfers.models import TransferType
from transfers.services import TransferOrder, transfer_prepare

pytestmark = pytest.mark.django_db

URL = reverse("accounts:pin_reset")


def _emailed_code(client, to):
    client.post(URL, {"send_email_code": "1"})
    mail = OutboxMessage.objects.filter(recipient=to, subject__contains="un solo uso").latest("pk")
    return re.search(r"\b(\d{6})\b", mail.body_text).group(1)


def _reset(client, **overrides):
    data = {
        "reset": "1",
        "password": "Cancionero45",
        "code": "",
        "new_pin1": "5820",
        "new_pin2": "5820",
    }
    data.update(overrides)
    return client.post(URL, data)


def _restriction_mails(to):
    return OutboxMessage.objects.filter(recipient=to, subject__contains="cambio de seguridad")


@pytest.fixture
def with_pin(member_user):
    pin_set(user=member_user, pin="7392", notify=False)
    return member_user


def test_the_change_pin_page_links_to_the_forgotten_pin_page(logged_client, with_pin):
    page = logged_client.get(reverse("accounts:pin_change")).content.decode()
    assert "¿Olvidó su PIN?" in page and URL in page
    assert "PIN actual" in page


def test_reset_with_password_and_emailed_code(logged_client, with_pin, settings):
    settings.PIN_RESET_RESTRICTION_HOURS = 24
    to = with_pin.member.email
    code = _emailed_code(logged_client, to)
    before = timezone.now()
    response = _reset(logged_client, code=code)
    assert response.status_code == 302
    assert pin_check(user=with_pin, pin="5820")
    until = signing_restriction_until(user=with_pin)
    assert until is not None
    assert timedelta(hours=23, minutes=59) < until - before <= timedelta(hours=24, minutes=1)
    # The member is told at once (outbox row committed with the change), with the date.
    mail = _restriction_mails(to).get()
    assert (
        "¿Olvidó su PIN?" in mail.body_text and "solo puede hacer transferencias" in mail.body_text
    )
    event = AuditEvent.objects.get(event="signing.restricted")
    assert event.new["reason"] == "pin.reset"
    assert "5820" not in str(event.new)
    page = logged_client.get(reverse("accounts:settings")).content.decode()
    assert "Solo entre sus propias cuentas hasta el" in page
    # The emailed code is single-use.
    _reset(logged_client, code=code, new_pin1="4703", new_pin2="4703")
    assert pin_check(user=with_pin, pin="5820")


def test_reset_with_a_code_from_the_enrolled_device(logged_client, with_pin):
    device = TOTPDevice.objects.create(user=with_pin, name="app", confirmed=True)
    response = _reset(logged_client, code=f"{totp(device.bin_key):06d}")
    assert response.status_code == 302
    assert pin_check(user=with_pin, pin="5820")
    assert signing_restriction_until(user=with_pin) is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "Mala1234x"}, "La contraseña actual no es correcta"),
        ({"code": "123456"}, "no es válido"),
        ({"code": ""}, "obligatorio"),
        ({"password": ""}, "obligatorio"),
        ({"new_pin1": "1234", "new_pin2": "1234"}, "fácil de adivinar"),
    ],
)
def test_bad_input_changes_nothing(logged_client, with_pin, overrides, message):
    code = _emailed_code(logged_client, with_pin.member.email)
    before = TransactionPin.objects.get(user=with_pin).pin_hash
    outbox_before = OutboxMessage.objects.count()
    response = _reset(logged_client, **{"code": code, **overrides})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert TransactionPin.objects.get(user=with_pin).pin_hash == before
    assert signing_restriction_until(user=with_pin) is None
    assert OutboxMessage.objects.count() == outbox_before


def test_session_and_password_alone_cannot_reset(logged_client, with_pin):
    """The attacker holds the session and phished the password, not the mailbox or device."""
    before = TransactionPin.objects.get(user=with_pin).pin_hash
    for guess in ("000000", "111111", "222222"):
        _reset(logged_client, code=guess)
    row = TransactionPin.objects.get(user=with_pin)
    assert row.pin_hash == before
    # Wrong codes are signing strikes: the third blocks signing (and resets).
    assert row.is_locked
    code = _emailed_code(logged_client, with_pin.member.email)
    page = _reset(logged_client, code=code)
    assert "bloqueada" in page.content.decode()
    assert TransactionPin.objects.get(user=with_pin).pin_hash == before


def test_wrong_passwords_here_lock_the_user(client, with_pin):
    client.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
    code = _emailed_code(client, with_pin.member.email)
    for _ in range(3):
        last = _reset(client, code=code, password="Mala1234x")
    assert last.status_code == 302 and last["Location"] == reverse("accounts:login")
    assert User.objects.get(pk=with_pin.pk).is_locked
    assert client.get(reverse("accounts:settings")).status_code == 302


def test_email_codes_are_not_sent_more_than_once_a_minute(logged_client, with_pin):
    logged_client.post(URL, {"send_email_code": "1"})
    logged_client.post(URL, {"send_email_code": "1"})
    assert OutboxMessage.objects.filter(subject__contains="un solo uso").count() == 1


# The waiting period, enforced by the money services themselves -------------------------


def _own_and_third_party(user):
    mine = make_account(member=user.member, balance="5000")
    also_mine = make_account(member=user.member)
    theirs = make_account(member=make_member())
    own = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=mine.pk,
        destination_account_id=also_mine.pk,
        currency="BOB",
        amount=Decimal("100.00"),
        description="Ahorro",
    )
    third = TransferOrder(
        transfer_type=TransferType.THIRD_PARTY,
        source_account_id=mine.pk,
        destination_account_id=theirs.pk,
        currency="BOB",
        amount=Decimal("100.00"),
        description="Pago",
    )
    other_bank = TransferOrder(
        transfer_type=TransferType.OTHER_BANK,
        source_account_id=mine.pk,
        currency="BOB",
        amount=Decimal("100.00"),
        description="Pago",
        bank_id=_bank().pk,
        destination_number="2011223344",
        destination_name="Juan Pérez",
        destination_currency="BOB",
    )
    return own, third, other_bank, theirs


def _bank():
    from beneficiaries.models import Bank

    return Bank.objects.filter(is_active=True).first()


def _register_beneficiary(user, number):
    """One call site for the beneficiary service (helper "receipts" adds a signature)."""
    return signed_beneficiary_register_member(
        owner=user.member, actor=user, number=number, alias="Ana"
    )


def _raise_limit(user):
    """One call site for the limit service (helper "receipts" adds a signature)."""
    from transfers.limits import member_limit_set

    # Lowering needs no PIN (a member may brake at once); raising is signed.
    member_limit_set(user=user, transfer_type="own", amount_bob=Decimal("500.00"), signature=None)
    return signed_member_limit_set(user=user, transfer_type="own", amount_bob=Decimal("900.00"))


def test_waiting_period_allows_only_own_transfers_then_ends(logged_client, with_pin, settings):
    settings.PIN_RESET_RESTRICTION_HOURS = 24
    own, third, other_bank, theirs = _own_and_third_party(with_pin)
    code = _emailed_code(logged_client, with_pin.member.email)
    assert _reset(logged_client, code=code).status_code == 302
    user = User.objects.get(pk=with_pin.pk)

    assert transfer_prepare(user=user, order=own).debit_amount == Decimal("100.00")
    for order in (third, other_bank):
        with pytest.raises(TransferError) as exc:
            transfer_prepare(user=user, order=order)
        assert "solo puede transferir entre sus propias cuentas hasta" in exc.value.message
    with pytest.raises(ValidationError) as exc:
        _register_beneficiary(user, theirs.number)
    assert "hasta" in " ".join(exc.value.messages)
    with pytest.raises(TransferError):
        _raise_limit(user)

    # One minute before the end it still holds; after it, everything is back.
    almost = timezone.now() + timedelta(hours=23, minutes=59)
    with time_machine.travel(almost, tick=False), pytest.raises(TransferError):
        transfer_prepare(user=user, order=third)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        assert transfer_prepare(user=user, order=third).debit_amount >= Decimal("100.00")
        assert transfer_prepare(user=user, order=other_bank).debit_amount >= Decimal("100.00")
        assert _register_beneficiary(user, theirs.number).pk
        _raise_limit(user)


def test_the_waiting_period_is_configurable(logged_client, with_pin, settings):
    settings.PIN_RESET_RESTRICTION_HOURS = 2
    code = _emailed_code(logged_client, with_pin.member.email)
    before = timezone.now()
    _reset(logged_client, code=code)
    until = signing_restriction_until(user=with_pin)
    assert timedelta(hours=1, minutes=59) < until - before <= timedelta(hours=2, minutes=1)


def test_third_party_wizard_says_so_at_step_one(logged_client, with_pin):
    source = make_account(member=with_pin.member, balance="500")
    User.objects.filter(pk=with_pin.pk).update(
        signing_restricted_until=timezone.now() + timedelta(hours=3)
    )
    step = {
        "transfer_third_party-current_step": "source",
        "source-transfer_type": "third_party",
        "source-source_account": source.pk,
    }
    body = logged_client.post("/transferencias/a-cuenta-de-terceros/", step).content.decode()
    assert "Paso 1 de 4" in body
    assert "solo puede transferir entre sus propias cuentas hasta" in body
