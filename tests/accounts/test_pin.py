"""Transaction PIN: rules, hashing with pepper, PIN change, the signing component and its lock."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import TransactionPin
from accounts.services.pin import pin_check, pin_set, pin_unlock, pin_validate
from accounts.signing import SignatureError, SignatureForm, signature_verify
from audit.models import AuditEvent
from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

SUMMARY = {"Monto": "Bs 150,00", "Destino": "1011000245", "Costo transacción": "Bs 0,00"}


@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("12a4", "pin_digits"),
        ("123", "pin_length"),
        ("1234567", "pin_length"),
        ("1111", "pin_trivial"),
        ("1234", "pin_trivial"),
        ("987654", "pin_trivial"),
        ("1212", "pin_trivial"),
        ("123123", "pin_trivial"),
    ],
)
def test_pin_rules(member_user, pin, code):
    with pytest.raises(ValidationError) as exc:
        pin_validate(pin=pin, user=member_user)
    assert exc.value.code == code


def test_pin_inside_the_document_number_is_refused(member_user):
    document = member_user.member.document_number  # e.g. "4000001"
    for pin in (document[:4], document[1:6], document[-5:]):
        with pytest.raises(ValidationError) as exc:
            pin_validate(pin=pin, user=member_user)
        assert exc.value.code in {"pin_document", "pin_trivial"}
    with pytest.raises(ValidationError) as exc:
        pin_validate(pin=document[:4], user=member_user)
    assert exc.value.code == "pin_document"


def test_good_pin_is_accepted_and_hashed_with_argon2_and_pepper(member_user, settings):
    pin_validate(pin="7392", user=member_user)
    pin_set(user=member_user, pin="7392")
    row = TransactionPin.objects.get(user=member_user)
    assert row.pin_hash.startswith("$argon2id$")
    assert "7392" not in row.pin_hash
    assert pin_check(user=member_user, pin="7392") is True
    # Without the same pepper the stored hash is useless.
    settings.PIN_PEPPER = "another-pepper"
    assert pin_check(user=member_user, pin="7392") is False


@override_settings(PIN_PEPPER=None)
def test_missing_pepper_refuses_to_hash(member_user):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        pin_set(user=member_user, pin="7392")


def test_first_signature_sets_up_the_pin(member_user):
    form = SignatureForm(user=member_user)
    assert set(form.fields) == {"pin", "pin_confirmation"}
    with pytest.raises(SignatureError) as exc:
        signature_verify(user=member_user, pin="7392", pin_confirmation="7391", summary=SUMMARY)
    assert exc.value.code == "pin_mismatch"
    with pytest.raises(SignatureError) as exc:
        signature_verify(user=member_user, pin="1234", pin_confirmation="1234", summary=SUMMARY)
    assert exc.value.code == "pin_invalid"
    assert not TransactionPin.objects.filter(user=member_user).exists()
    receipt = signature_verify(
        user=member_user, pin="7392", pin_confirmation="7392", summary=SUMMARY
    )
    assert receipt.summary == SUMMARY
    assert TransactionPin.objects.filter(user=member_user).exists()
    event = AuditEvent.objects.get(event="signature.verified")
    assert event.new["summary"] == SUMMARY and event.new["digest"] == receipt.digest


def test_three_wrong_pins_block_signing_until_staff_unlock(member_user, staff_user):
    pin_set(user=member_user, pin="7392", notify=False)
    for code in ("pin_wrong", "pin_wrong"):
        with pytest.raises(SignatureError) as exc:
            signature_verify(user=member_user, pin="0000", summary=SUMMARY)
        assert exc.value.code == code
    # A right PIN in between resets the count: failures must be consecutive.
    signature_verify(user=member_user, pin="7392", summary=SUMMARY)
    for expected in ("pin_wrong", "pin_wrong", "pin_locked"):
        with pytest.raises(SignatureError) as exc:
            signature_verify(user=member_user, pin="0001", summary=SUMMARY)
        assert exc.value.code == expected
    assert TransactionPin.objects.get(user=member_user).is_locked
    with pytest.raises(SignatureError) as exc:
        signature_verify(user=member_user, pin="7392", summary=SUMMARY)  # right PIN, still blocked
    assert exc.value.code == "pin_locked"
    blocked_mail = OutboxMessage.objects.get(recipient=member_user.member.email)
    assert "firma" in blocked_mail.subject.lower()
    assert AuditEvent.objects.filter(event="pin.locked").count() == 1

    assert pin_unlock(user=member_user, actor=staff_user) is True
    assert signature_verify(user=member_user, pin="7392", summary=SUMMARY).digest
    assert AuditEvent.objects.get(event="pin.unlocked").actor == staff_user


def test_enrolled_device_code_is_required_and_not_replayable(member_user):
    pin_set(user=member_user, pin="7392", notify=False)
    device = TOTPDevice.objects.create(user=member_user, name="app", confirmed=True)
    assert "otp_code" in SignatureForm(user=member_user).fields
    with pytest.raises(SignatureError) as exc:
        signature_verify(user=member_user, pin="7392", summary=SUMMARY)
    assert exc.value.code == "otp_wrong"
    code = f"{totp(device.bin_key):06d}"
    assert signature_verify(user=member_user, pin="7392", otp_code=code, summary=SUMMARY)
    with pytest.raises(SignatureError) as exc:
        signature_verify(user=member_user, pin="7392", otp_code=code, summary=SUMMARY)
    assert exc.value.code in {"otp_wrong", "pin_locked"}


def test_signature_include_renders_the_guide_words(member_user):
    from django.template.loader import render_to_string

    html = render_to_string(
        "accounts/includes/signature.html", {"form": SignatureForm(user=member_user)}
    )
    for words in (
        "Firma",
        "Es necesario configurar su dispositivo de seguridad antes de continuar",
        "Ingrese un nuevo PIN",
        "Confirme su PIN",
        "Cancelar",
        "Confirmar",
    ):
        assert words in html
    pin_set(user=member_user, pin="7392", notify=False)
    html = render_to_string(
        "accounts/includes/signature.html", {"form": SignatureForm(user=member_user)}
    )
    assert "Ingrese el PIN para confirmar la transacción" in html
    assert '<label for="id_pin">' in html


class TestPinChangePage:
    url = reverse("accounts:pin_change")

    def test_change_with_current_pin_emails_and_audits(self, logged_client, member_user):
        pin_set(user=member_user, pin="7392", notify=False)
        key_before = logged_client.session.session_key
        response = logged_client.post(
            self.url, {"current": "7392", "new_pin1": "5820", "new_pin2": "5820"}
        )
        assert response.status_code == 302
        assert pin_check(user=member_user, pin="5820")
        assert logged_client.session.session_key != key_before
        assert AuditEvent.objects.filter(event="pin.changed").exists()
        mail = OutboxMessage.objects.get(recipient=member_user.member.email)
        assert "¡Listo! Sus datos han sido modificados" in mail.body_text

    def test_first_pin_with_password(self, logged_client, member_user):
        response = logged_client.post(
            self.url, {"current": "Cancionero45", "new_pin1": "5820", "new_pin2": "5820"}
        )
        assert response.status_code == 302
        assert pin_check(user=member_user, pin="5820")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            # Was "no son correctos" ("PIN or password"): the password no longer stands in.
            ({"current": "Mala", "new_pin1": "5820", "new_pin2": "5820"}, "no es correcto"),
            ({"current": "7392", "new_pin1": "5820", "new_pin2": "5821"}, "no coinciden"),
            ({"current": "7392", "new_pin1": "4444", "new_pin2": "4444"}, "fácil de adivinar"),
            ({"current": "7392", "new_pin1": "58a0", "new_pin2": "58a0"}, "solo dígitos"),
        ],
    )
    def test_bad_input_changes_nothing(self, logged_client, member_user, data, message):
        pin_set(user=member_user, pin="7392", notify=False)
        before = TransactionPin.objects.get(user=member_user).pin_hash
        response = logged_client.post(self.url, data)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert TransactionPin.objects.get(user=member_user).pin_hash == before
        assert not OutboxMessage.objects.exists()

    def test_pin_equal_to_document_is_refused(self, logged_client, member_user):
        document = member_user.member.document_number
        response = logged_client.post(
            self.url,
            {"current": "Cancionero45", "new_pin1": document[-6:], "new_pin2": document[-6:]},
        )
        assert "carnet" in response.content.decode()
        assert not TransactionPin.objects.filter(user=member_user).exists()


def test_signing_with_an_sms_token(member_user, settings, tmp_path):
    import json

    from accounts.models import SmsDevice
    from accounts.signing import signature_prepare
    from outbox.delivery import outbox_relay_due

    settings.SMS_OUTBOX_FILE = str(tmp_path / "sms.jsonl")
    pin_set(user=member_user, pin="7392", notify=False)
    SmsDevice.objects.create(user=member_user, name="SMS", number="71234567", confirmed=True)
    signature_prepare(user=member_user)
    outbox_relay_due()
    text = json.loads((tmp_path / "sms.jsonl").read_text().splitlines()[-1])["text"]
    code = next(w for w in text.split() if w.rstrip(".").isdigit()).rstrip(".")
    receipt = signature_verify(user=member_user, pin="7392", otp_code=code, summary=SUMMARY)
    assert receipt.summary == SUMMARY


def test_production_pin_hashing_keeps_the_owasp_argon2id_baseline():
    """progresonet.settings.base explains the choice; these are its floor (19 MiB, 2 passes)."""
    from progresonet.settings import base

    assert base.PIN_ARGON2_MEMORY_KIB >= 19 * 1024
    assert base.PIN_ARGON2_TIME_COST >= 2
    assert base.PIN_ARGON2_PARALLELISM >= 1


def test_a_correct_pin_moves_an_old_hash_to_the_current_parameters(member_user, settings):
    settings.PIN_ARGON2_MEMORY_KIB, settings.PIN_ARGON2_TIME_COST = 1024, 1
    pin_set(user=member_user, pin="4826", notify=False)
    old = TransactionPin.objects.get(user=member_user).pin_hash
    assert "m=1024,t=1" in old
    settings.PIN_ARGON2_MEMORY_KIB, settings.PIN_ARGON2_TIME_COST = 2048, 2

    assert not pin_check(user=member_user, pin="4827")
    # A wrong PIN changes no hash.
    assert TransactionPin.objects.get(user=member_user).pin_hash == old
    assert pin_check(user=member_user, pin="4826")
    new = TransactionPin.objects.get(user=member_user).pin_hash
    assert "m=2048,t=2" in new
    assert pin_check(user=member_user, pin="4826")
    assert TransactionPin.objects.get(user=member_user).failed_attempts == 0
