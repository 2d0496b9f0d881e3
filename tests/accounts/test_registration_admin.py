"""Branch staff in the admin: the queue, the member match, approve/reject, and who may act."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import RegistrationRequest
from accounts.registration.services import (
    RegistrationData,
    registration_confirm_email,
    registration_submit,
)
from accounts.registration.tokens import email_confirm_token
from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.conftest import admin_force_login
from tests.factories import make_member, make_user

from .registration_helpers import COMPANY, PERSON

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_registrationrequest_changelist")


def _confirmed(kind="person", **overrides) -> RegistrationRequest:
    if kind == "person":
        fields = {k: v for k, v in PERSON.items() if k != "birth_date"}
        fields["birth_date"] = datetime.date(1988, 3, 21)
    else:
        fields = dict(COMPANY)
    fields.update(overrides)
    registration = registration_submit(data=RegistrationData(kind=kind, **fields))
    return registration_confirm_email(
        registration_id=registration.pk, token=email_confirm_token.make(registration)
    )


def _approve_url(registration) -> str:
    return reverse("admin:accounts_registrationrequest_approve", args=[registration.pk])


def _reject_url(registration) -> str:
    return reverse("admin:accounts_registrationrequest_reject", args=[registration.pk])


def test_queue_filters_and_search(staff_client):
    confirmed = _confirmed()
    pending = registration_submit(data=RegistrationData(kind="company", **COMPANY))
    page = staff_client.get(CHANGELIST).content.decode()
    for label in ("Pendiente", "Correo confirmado", "Aprobada", "Rechazada"):
        assert label in page
    pending_only = staff_client.get(CHANGELIST, {"status": "submitted"})
    assert list(pending_only.context["cl"].result_list) == [pending]
    for term in ("3344556", "Ferrufino", "sferrufino"):
        found = staff_client.get(CHANGELIST, {"q": term}).context["cl"].result_list
        assert list(found) == [confirmed], term
    by_nit = staff_client.get(CHANGELIST, {"q": COMPANY["document_number"]})
    assert list(by_nit.context["cl"].result_list) == [pending]


def test_approve_shows_the_member_match_and_needs_confirmation(staff_client, staff_user):
    registration = _confirmed()
    # The contacts match the member's record: one approval is enough.
    member = make_member(
        document_number="3344556",
        first_names="Silvia",
        last_names="F. F.",
        email=PERSON["email"],
        mobile_phone=PERSON["phone"],
    )
    page = staff_client.get(_approve_url(registration))
    assert page.status_code == 200
    assert "Silvia F. F." in page.content.decode()
    refused = staff_client.post(_approve_url(registration), {})
    assert "Confirme la coincidencia con el socio antes de aprobar." in refused.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED

    response = staff_client.post(_approve_url(registration), {"confirm_match": "on"})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert registration.member == member
    audit = AuditEvent.objects.get(event="registration.approved")
    assert (audit.actor, audit.ip_address) == (staff_user, "127.0.0.1")
    assert OutboxMessage.objects.filter(subject="Confirmación de registro").count() == 1


def test_no_matching_member_cannot_be_approved(staff_client):
    registration = _confirmed()
    page = staff_client.get(_approve_url(registration)).content.decode()
    assert "Ningún socio de la cooperativa tiene este número de documento" in page
    response = staff_client.post(_approve_url(registration), {"confirm_match": "on"})
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED
    assert not AuditEvent.objects.filter(event="registration.approved").exists()


def test_reject_with_a_reason(staff_client, staff_user):
    registration = _confirmed()
    empty = staff_client.post(_reject_url(registration), {"reason": ""})
    assert "Este campo es obligatorio." in empty.content.decode()
    response = staff_client.post(_reject_url(registration), {"reason": "Datos no coinciden."})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.REJECTED
    assert registration.rejection_reason == "Datos no coinciden."
    audit = AuditEvent.objects.get(event="registration.rejected")
    assert (audit.actor, audit.ip_address) == (staff_user, "127.0.0.1")
    assert OutboxMessage.objects.filter(subject="Solicitud de registro rechazada").count() == 1
    # Decided requests offer neither action any more.
    assert "no se puede rechazar" in staff_client.get(_reject_url(registration)).content.decode()


def test_staff_without_the_approve_permission_only_look(client):
    viewer = make_user(username="mirón", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(
            codename="view_registrationrequest", content_type__app_label="accounts"
        )
    )
    admin_force_login(client, viewer)
    registration = _confirmed()
    make_member(document_number="3344556")
    assert client.get(CHANGELIST).status_code == 200
    assert _approve_url(registration) not in client.get(CHANGELIST).content.decode()
    for url in (_approve_url(registration), _reject_url(registration)):
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm_match": "on", "reason": "x"}).status_code == 403
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED
    assert not AuditEvent.objects.filter(
        event__in=["registration.approved", "registration.rejected"]
    ).exists()


def test_staff_without_any_permission_see_nothing(client):
    admin_force_login(client, make_user(username="otroaux", is_staff=True))
    registration = _confirmed()
    assert client.get(CHANGELIST).status_code == 403
    assert client.post(_approve_url(registration), {"confirm_match": "on"}).status_code == 403


def test_members_cannot_reach_the_admin(client, member_user):
    client.force_login(member_user)
    registration = _confirmed()
    response = client.post(_approve_url(registration), {"confirm_match": "on"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED


def test_requests_cannot_be_edited_added_or_deleted_by_hand(staff_client):
    registration = _confirmed()
    change = reverse("admin:accounts_registrationrequest_change", args=[registration.pk])
    page = staff_client.get(change).content.decode()
    assert _approve_url(registration) in page
    assert staff_client.post(change, {"status": "approved"}).status_code == 403
    assert staff_client.get(reverse("admin:accounts_registrationrequest_add")).status_code == 403
    delete = reverse("admin:accounts_registrationrequest_delete", args=[registration.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED


def test_clerk_sends_a_lost_link_again(staff_client, staff_user):
    registration = registration_submit(data=RegistrationData(kind="company", **COMPANY))
    change = reverse("admin:accounts_registrationrequest_change", args=[registration.pk])
    assert "Enviar el enlace de nuevo" in staff_client.get(change).content.decode()
    resend = reverse("admin:accounts_registrationrequest_resend", args=[registration.pk])
    response = staff_client.post(resend)
    assert response.status_code == 302
    emails = OutboxMessage.objects.filter(subject="Confirme su correo electrónico")
    assert emails.count() == 2
    audit = AuditEvent.objects.get(event="registration.link_resent")
    assert (audit.actor, audit.ip_address) == (staff_user, "127.0.0.1")
    # Once the email is confirmed there is no link to resend.
    registration_confirm_email(
        registration_id=registration.pk, token=email_confirm_token.make(registration)
    )
    staff_client.post(resend)
    assert emails.count() == 2
    assert AuditEvent.objects.filter(event="registration.link_resent").count() == 1


def test_view_only_staff_cannot_resend(client):
    viewer = make_user(username="mirona", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(
            codename="view_registrationrequest", content_type__app_label="accounts"
        )
    )
    admin_force_login(client, viewer)
    registration = registration_submit(data=RegistrationData(kind="company", **COMPANY))
    resend = reverse("admin:accounts_registrationrequest_resend", args=[registration.pk])
    assert client.post(resend).status_code == 403
    assert OutboxMessage.objects.count() == 1
