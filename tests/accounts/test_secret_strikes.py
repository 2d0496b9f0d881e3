"""Issue 12: every field that asks for a current secret counts strikes on the sign-in (password)
or signing (PIN) counter, with the same lock and the same email — and a right PIN does not wipe
the strikes of wrong device codes."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import TransactionPin, User
from accounts.services.pin import pin_set, pin_unlock
from accounts.signing import SignatureError, signature_verify
from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

SUMMARY = {"Monto": "Bs 150,00", "Destino": "1011000245"}
PASSWORD_URL = reverse("accounts:password_change")
PIN_URL = reverse("accounts:pin_change")


def _locked_mails(to):
    return OutboxMessage.objects.filter(recipient=to, subject__contains="usuario fue bloqueado")


def _password_post(client, current):
    return client.post(
        PASSWORD_URL,
        {
            "current_password": current,
            "new_password1": "Montaña2027x",
            "new_password2": "Montaña2027x",
        },
    )


def test_twelve_wrong_current_passwords_lock_after_three(client, member_user):
    """The attack from the issue: 12 wrong current passwords in a stolen session."""
    client.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
    other = Client()
    other.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
    assert other.get(reverse("accounts:settings")).status_code == 200
    answers = [_password_post(client, f"Adivina{i:02d}x") for i in range(12)]
    # Two strikes are shown on the form; the third locks and ends the session.
    assert [r.status_code for r in answers[:2]] == [200, 200]
    assert "La contraseña actual no es correcta" in answers[0].content.decode()
    assert answers[2].status_code == 302 and answers[2]["Location"] == reverse("accounts:login")
    member_user.refresh_from_db()
    assert member_user.is_locked and member_user.failed_login_count == 3
    assert _locked_mails(member_user.member.email).count() == 1
    # The guessing session and every other session are over; the rest never reached a check.
    assert all(r.status_code == 302 for r in answers[3:])
    assert client.get(reverse("accounts:settings")).status_code == 302
    assert other.get(reverse("accounts:settings")).status_code == 302
    # The sign-in is locked too, even with the right password.
    fresh = Client()
    fresh.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
    assert fresh.get(reverse("accounts:settings")).status_code == 302
    member_user.refresh_from_db()
    assert member_user.check_password("Cancionero45")


def test_session_and_login_share_one_password_counter(client, logged_client, member_user):
    for _ in range(2):
        Client().post(reverse("accounts:login"), {"username": "socio1", "password": "Mala1234x"})
    _password_post(logged_client, "Mala1234x")
    member_user.refresh_from_db()
    assert member_user.is_locked
    assert _locked_mails(member_user.member.email).count() == 1


def test_a_right_current_password_clears_the_strikes(logged_client, member_user):
    _password_post(logged_client, "Mala1234x")
    _password_post(logged_client, "Mala1234x")
    assert User.objects.get(pk=member_user.pk).failed_login_count == 2
    assert _password_post(logged_client, "Cancionero45").status_code == 302
    assert User.objects.get(pk=member_user.pk).failed_login_count == 0


def test_wrong_current_pins_lock_signing_with_the_signing_email(logged_client, member_user):
    pin_set(user=member_user, pin="7392", notify=False)
    for guess in ("1111", "2580", "0852"):
        logged_client.post(PIN_URL, {"current": guess, "new_pin1": "5820", "new_pin2": "5820"})
    row = TransactionPin.objects.get(user=member_user)
    assert row.is_locked
    assert OutboxMessage.objects.filter(
        recipient=member_user.member.email, subject__icontains="firma"
    ).exists()
    # Locked: even the right PIN changes nothing, and signing is blocked.
    page = logged_client.post(PIN_URL, {"current": "7392", "new_pin1": "5820", "new_pin2": "5820"})
    assert "bloqueada" in page.content.decode()
    with pytest.raises(SignatureError) as exc:
        signature_verify(user=member_user, pin="7392", summary=SUMMARY)
    assert exc.value.code == "pin_locked"


def test_the_password_does_not_change_the_pin(logged_client, member_user):
    """High 2: the password was accepted where the current PIN is asked."""
    pin_set(user=member_user, pin="7392", notify=False)
    before = TransactionPin.objects.get(user=member_user).pin_hash
    page = logged_client.post(
        PIN_URL, {"current": "Cancionero45", "new_pin1": "5820", "new_pin2": "5820"}
    )
    assert page.status_code == 200
    assert "El PIN actual no es correcto" in page.content.decode()
    row = TransactionPin.objects.get(user=member_user)
    assert row.pin_hash == before and row.failed_attempts == 1
    assert not OutboxMessage.objects.exists()


def _enrol(user):
    pin_set(user=user, pin="7392", notify=False)
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def test_three_wrong_device_codes_with_the_right_pin_lock_signing(member_user):
    """Low: a right PIN reset the count before the wrong code was counted, so codes never
    locked. Now PIN + wrong code failures accumulate and the third one locks."""
    device = _enrol(member_user)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    codes = []
    for _ in range(3):
        with pytest.raises(SignatureError) as exc:
            signature_verify(user=member_user, pin="7392", otp_code=wrong, summary=SUMMARY)
        codes.append(exc.value.code)
    assert codes == ["otp_wrong", "otp_wrong", "pin_locked"]
    assert TransactionPin.objects.get(user=member_user).is_locked
    # A right PIN and a right code no longer open it.
    with pytest.raises(SignatureError) as exc:
        signature_verify(
            user=member_user, pin="7392", otp_code=f"{totp(device.bin_key):06d}", summary=SUMMARY
        )
    assert exc.value.code == "pin_locked"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    attempts=st.lists(
        st.tuples(st.booleans(), st.booleans()),  # (PIN right?, device code right?)
        min_size=1,
        max_size=7,
    )
)
def test_signing_locks_exactly_at_three_consecutive_failed_signatures(
    member_user, staff_user, attempts
):
    """Property over any sequence of signatures: a signature fails when the PIN or the code is
    wrong; the row locks exactly when three failures follow each other, whatever was right."""
    TOTPDevice.objects.filter(user=member_user).delete()
    TransactionPin.objects.filter(user=member_user).delete()
    device = _enrol(member_user)
    start = timezone.now()
    failures, locked = 0, False
    for i, (pin_ok, code_ok) in enumerate(attempts):
        # A fresh 30-second step for each attempt, so a right code is never a replay.
        with time_machine.travel(start + timedelta(seconds=30 * (i + 1)), tick=False):
            right = totp(device.bin_key)
            code = f"{right if code_ok else (right + 1) % 1_000_000:06d}"
            try:
                signature_verify(
                    user=member_user,
                    pin="7392" if pin_ok else "0000",
                    otp_code=code,
                    summary=SUMMARY,
                )
                signed = True
            except SignatureError:
                signed = False
        if locked:
            assert not signed
            continue
        if pin_ok and code_ok:
            assert signed
            failures = 0
        else:
            assert not signed
            failures += 1
            locked = failures >= 3
        assert TransactionPin.objects.get(user=member_user).is_locked == locked
    pin_unlock(user=member_user, actor=staff_user)
