"""Registration services: state machine, member match at approval, rejection, audit rows."""

import datetime

import pytest
from django.contrib.auth.hashers import is_password_usable

from accounts.models import InvalidTransition, RegistrationRequest
from accounts.registration.services import (
    RegistrationData,
    RegistrationError,
    registration_approve,
    registration_confirm_email,
    registration_reject,
    registration_submit,
)
from accounts.registration.tokens import email_confirm_token
from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import make_member, make_user

from .registration_helpers import PERSON, make_approver, make_member_like

pytestmark = pytest.mark.django_db


def _submit(**overrides) -> RegistrationRequest:
    fields = {k: v for k, v in PERSON.items() if k != "birth_date"}
    fields.update(overrides)
    return registration_submit(
        data=RegistrationData(kind="person", birth_date=datetime.date(1988, 3, 21), **fields),
        ip_address="10.1.2.3",
    )


def _confirmed(**overrides) -> RegistrationRequest:
    registration = _submit(**overrides)
    return registration_confirm_email(
        registration_id=registration.pk, token=email_confirm_token.make(registration)
    )


@pytest.fixture
def clerk(db):
    return make_approver("clerk9")


def test_transitions_are_declared_in_one_place():
    Status = RegistrationRequest.Status
    registration = RegistrationRequest(status=Status.SUBMITTED)
    with pytest.raises(InvalidTransition):
        registration.move_to(Status.APPROVED)  # the email must be confirmed first
    with pytest.raises(InvalidTransition):
        registration.move_to(Status.ACTIVE)
    for final in (Status.ACTIVE, Status.REJECTED):
        assert RegistrationRequest.TRANSITIONS[final] == frozenset()
    registration.move_to(Status.EMAIL_CONFIRMED)
    assert registration.email_confirmed_at is not None


def test_submit_refuses_duplicates_again_inside_the_service():
    _submit()
    with pytest.raises(RegistrationError) as exc:
        _submit(email="otra@example.com", document_number="1112223")
    assert str(exc.value.message) == "Ese usuario ya está en uso. Elija otro, por favor."
    assert RegistrationRequest.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_approve_links_the_member_creates_the_user_and_queues_the_email(clerk):
    registration = _confirmed()
    member = make_member_like()  # contacts match the record: one approval is enough
    registration_approve(
        registration_id=registration.pk, member=member, actor=clerk, ip_address="10.9.9.9"
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert registration.member == member
    assert registration.decided_by == clerk
    user = registration.user
    assert user.member == member
    assert user.username == "sferrufino"
    assert not is_password_usable(user.password)  # cannot log in before setting a password
    email = OutboxMessage.objects.get(subject="Confirmación de registro")
    assert "Establecer contraseña" in email.body_html
    assert "/registro/contrasena/" in email.body_text
    audit = AuditEvent.objects.get(event="registration.approved")
    assert (audit.actor, audit.ip_address) == (clerk, "10.9.9.9")
    assert audit.new["member"] == member.pk


def test_approve_needs_a_confirmed_email(clerk):
    registration = _submit()
    member = make_member(document_number=registration.document_number)
    with pytest.raises(RegistrationError):
        registration_approve(registration_id=registration.pk, member=member, actor=clerk)
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.SUBMITTED
    assert not AuditEvent.objects.filter(event="registration.approved").exists()


def test_approve_refuses_a_member_with_another_document(clerk):
    registration = _confirmed()
    other = make_member(document_number="7654321")
    with pytest.raises(RegistrationError) as exc:
        registration_approve(registration_id=registration.pk, member=other, actor=clerk)
    assert str(exc.value.message) == "El documento del socio no coincide con la solicitud."
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED
    assert registration.user is None


def test_approve_refuses_a_member_who_already_has_a_user(clerk):
    registration = _confirmed()
    member = make_member(document_number=registration.document_number)
    make_user(member=member, username="yaexiste")
    with pytest.raises(RegistrationError):
        registration_approve(registration_id=registration.pk, member=member, actor=clerk)
    assert not OutboxMessage.objects.filter(subject="Confirmación de registro").exists()


def test_reject_needs_a_reason_and_emails_it(clerk):
    registration = _submit()
    with pytest.raises(RegistrationError):
        registration_reject(registration_id=registration.pk, reason="  ", actor=clerk)
    registration_reject(
        registration_id=registration.pk,
        reason="No firmó el formulario en la agencia.",
        actor=clerk,
        ip_address="10.9.9.9",
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.REJECTED
    email = OutboxMessage.objects.get(subject="Solicitud de registro rechazada")
    assert "No firmó el formulario en la agencia." in email.body_text
    audit = AuditEvent.objects.get(event="registration.rejected")
    assert audit.new["reason"] == "No firmó el formulario en la agencia."
    assert (audit.actor, audit.ip_address) == (clerk, "10.9.9.9")
    with pytest.raises(RegistrationError):
        registration_reject(registration_id=registration.pk, reason="otra vez", actor=clerk)


def test_demo_member_silvia_can_register_and_be_approved(clerk):
    from demo.data import demo_load

    demo_load()
    registration = _confirmed()  # Silvia's data, as the demo lists her (CI 3344556)
    from accounts.registration.selectors import registration_member_match

    member = registration_member_match(registration)
    assert member is not None and member.display_name == "Silvia Ferrufino Fernández"
    registration_approve(registration_id=registration.pk, member=member, actor=clerk)
    registration.refresh_from_db()
    assert registration.user.member == member
