"""Emailed links: confirmation and set-password tokens are signed, single-use and expiring,
and a bad link always gets an explanatory page (never a 500)."""

import datetime

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.utils import timezone

from accounts.models import RegistrationRequest
from accounts.registration.services import (
    RegistrationData,
    registration_approve,
    registration_confirm_email,
    registration_submit,
)
from accounts.registration.tokens import TokenResult, email_confirm_token, password_set_token
from audit.models import AuditEvent
from outbox.models import OutboxMessage

from .registration_helpers import PERSON, link_in, make_approver, make_member_like

pytestmark = pytest.mark.django_db


def _submit(**overrides) -> RegistrationRequest:
    fields = {k: v for k, v in PERSON.items() if k != "birth_date"}
    fields.update(overrides)
    return registration_submit(
        data=RegistrationData(kind="person", birth_date=datetime.date(1988, 3, 21), **fields),
        ip_address="10.1.2.3",
    )


def _confirm_link(registration) -> str:
    return link_in(OutboxMessage.objects.filter(recipient=registration.email).first(), "confirmar")


def _approved():
    registration = _submit()
    registration_confirm_email(
        registration_id=registration.pk, token=email_confirm_token.make(registration)
    )
    member = make_member_like()  # contacts match the record: one approval is enough
    clerk = make_approver("clerk2")
    registration_approve(registration_id=registration.pk, member=member, actor=clerk)
    email = OutboxMessage.objects.get(subject="Confirmación de registro")
    return RegistrationRequest.objects.get(pk=registration.pk), link_in(email, "contrasena")


def test_confirmation_link_shows_a_button_then_confirms(client):
    registration = _submit()
    path = _confirm_link(registration)
    page = client.get(path)
    assert page.status_code == 200
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.SUBMITTED  # GET changes nothing
    response = client.post(path)
    assert "Su correo electrónico está confirmado" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED
    assert registration.email_confirmed_at is not None
    audit = AuditEvent.objects.get(event="registration.email_confirmed")
    assert audit.old == {"status": "submitted"}
    assert audit.new == {"status": "email_confirmed"}
    assert audit.ip_address == "127.0.0.1"


def test_confirmation_link_works_once(client):
    registration = _submit()
    path = _confirm_link(registration)
    client.post(path)
    again = client.post(path)
    assert again.status_code == 400
    assert "ya fue utilizado" in again.content.decode()
    assert client.get(path).status_code == 400
    assert AuditEvent.objects.filter(event="registration.email_confirmed").count() == 1


def test_confirmation_link_expires_after_three_days(client):
    registration = _submit()
    path = _confirm_link(registration)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3, minutes=1)):
        response = client.post(path)
    assert response.status_code == 410
    assert "Este enlace venció" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.SUBMITTED


def test_confirmation_link_is_valid_just_before_it_expires(client):
    registration = _submit()
    path = _confirm_link(registration)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2, hours=23)):
        assert client.post(path).status_code == 200
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED


@pytest.mark.parametrize(
    "mangle",
    [
        lambda uid, token: (uid, token[:-1] + ("0" if token[-1] != "0" else "1")),
        lambda uid, token: (uid, "zzzz-" + token.split("-")[1]),  # a later issue time
        lambda uid, token: (uid, "not-a-token"),
        lambda uid, token: (uid, "!!"),
        lambda uid, token: ("Zm9v", token),  # "foo": not a number
        lambda uid, token: ("OTk5OTk", token),  # a request that does not exist
    ],
    ids=["flipped", "moved-time", "garbage", "no-dash", "bad-uid", "unknown-uid"],
)
def test_forged_confirmation_links_are_refused(client, mangle):
    registration = _submit()
    _, _, _, uid, token, _ = _confirm_link(registration).split("/")
    path = "/registro/confirmar/{}/{}/".format(*mangle(uid, token))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        assert "Este enlace no es válido" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.SUBMITTED


def test_a_token_for_one_purpose_does_not_open_the_other():
    registration, _ = _approved()
    token = email_confirm_token.make(registration)
    assert password_set_token.check(registration, token) is TokenResult.INVALID


def test_set_password_then_log_in(client):
    registration, path = _approved()
    page = client.get(path)
    assert page.status_code == 200
    assert "Nueva contraseña" in page.content.decode()
    response = client.post(path, {"password1": "Cancionero45", "password2": "Cancionero45"})
    assert "¡Listo! Su cuenta está configurada" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.ACTIVE
    assert authenticate(username="SFERRUFINO", password="Cancionero45") == registration.user
    audit = AuditEvent.objects.get(event="registration.password_set")
    assert audit.actor == registration.user
    assert audit.new == {"status": "active"}
    # The link is used up.
    again = client.get(path)
    assert again.status_code == 400
    assert "Si ya estableció su contraseña" in again.content.decode()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Corta1", "La contraseña debe tener entre 8 y 12 caracteres."),
        ("Cancionero4512345", "La contraseña debe tener entre 8 y 12 caracteres."),
        ("cancionero45", "La contraseña debe contener al menos una letra mayúscula."),
        ("CANCIONERO45", "La contraseña debe contener al menos una letra minúscula."),
        ("Cancionero", "La contraseña debe contener al menos un número."),
        ("Password123", "Esta contraseña es demasiado común."),
        ("Sferrufino1", "La contraseña es demasiado similar a la de"),
    ],
)
def test_weak_passwords_are_refused_in_spanish(client, password, message):
    registration, path = _approved()
    response = client.post(path, {"password1": password, "password2": password})
    errors = [str(e) for e in response.context["form"].errors["password1"]]
    assert any(message in e for e in errors), errors
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert not registration.user.has_usable_password()


def test_mismatched_passwords_are_refused(client):
    registration, path = _approved()
    response = client.post(path, {"password1": "Cancionero45", "password2": "Cancionero46"})
    assert response.context["form"].errors["password2"] == ["Las dos contraseñas no coinciden."]
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED


def test_set_password_link_expires_after_two_days(client):
    registration, path = _approved()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2, minutes=1)):
        response = client.post(path, {"password1": "Cancionero45", "password2": "Cancionero45"})
    assert response.status_code == 410
    assert "El enlace para establecer su contraseña ya no es válido" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED


def test_set_password_link_before_approval_is_invalid(client):
    registration = _submit()
    token = "1-" + "0" * 64
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(registration.pk))
    response = client.get(f"/registro/contrasena/{uid}/{token}/")
    assert response.status_code == 400
