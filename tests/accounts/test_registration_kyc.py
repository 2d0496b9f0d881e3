"""Issue 12, High 6: a stranger who knows a member's CI must not end up owning the member's
web banking. The member's record (the cooperative's KYC data) decides: contacts that differ
need the counter check and a second staff member (four eyes), and the recorded email and
mobile hear about the request and the approval.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Member, RegistrationRequest, User
from accounts.registration.kyc import contacts_differ, email_normalise, phone_normalise
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
from tests.conftest import admin_force_login
from tests.factories import make_member, make_user

from .registration_helpers import PERSON, link_in, make_approver, register

pytestmark = pytest.mark.django_db

RECORDED_EMAIL = "silvia.real@example.com"
RECORDED_MOBILE = "+591 71234567"
STRANGER = {"email": "estafador@example.com", "phone": "79998888", "username": "silviaweb"}
REQUESTED = "Se solicitó la banca web para sus cuentas"
APPROVED = "Se aprobó la banca web para sus cuentas"
LINK_EMAIL = "Confirmación de registro"
NEEDS_COUNTER = "difieren del registro del socio"
NOT_YOU_AGAIN = "La segunda aprobación debe darla otro funcionario, no quien dio la primera."


def _member() -> Member:
    return make_member(
        document_number=PERSON["document_number"],
        first_names="Silvia",
        last_names="Ferrufino Fernández",
        email=RECORDED_EMAIL,
        mobile_phone=RECORDED_MOBILE,
    )


def _approve_url(registration) -> str:
    return reverse("admin:accounts_registrationrequest_approve", args=[registration.pk])


def _second_staffer(username: str = "cajera2") -> User:
    from demo.data import STAFF_GROUP

    user = make_user(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    return user


def _snapshot(registration: RegistrationRequest, member: Member) -> tuple:
    registration.refresh_from_db()
    member.refresh_from_db()
    return (
        registration.status,
        registration.user_id,
        registration.first_approved_by_id,
        registration.second_approved_by_id,
        member.email,
        member.mobile_phone,
        User.objects.count(),
        OutboxMessage.objects.count(),
        AuditEvent.objects.filter(event__startswith="registration.").count(),
    )


def _outbox(subject: str | None = None, channel: str = "email"):
    rows = OutboxMessage.objects.filter(channel=channel)
    return rows.filter(subject=subject) if subject is not None else rows


def test_takeover_attempt_end_to_end(client, staff_user):
    member = _member()

    # A stranger registers with the member's real CI and the stranger's own contacts.
    assert register(client, "person", STRANGER).status_code == 302
    registration = RegistrationRequest.objects.get()
    # The member's recorded email and mobile are told at once, in the same transaction.
    (notice,) = _outbox(REQUESTED)
    assert notice.recipient == RECORDED_EMAIL
    assert "llame a la cooperativa o visite su agencia" in notice.body_text
    assert STRANGER["email"] not in notice.body_text  # nothing the registrant typed
    (sms,) = _outbox(channel="sms")
    assert sms.recipient == RECORDED_MOBILE
    assert "Si no fue usted" in sms.body_text
    (confirmation,) = _outbox("Confirme su correo electrónico")
    assert confirmation.recipient == STRANGER["email"]

    client.post(link_in(confirmation, "confirmar"))
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED

    # The clerk's page marks the differing contacts, in words.
    clerk = admin_force_login(Client(), staff_user)
    page = clerk.get(_approve_url(registration)).content.decode()
    assert page.count("Difiere del registro del socio") >= 2
    assert 'id="differs-email"' in page and 'id="differs-phone"' in page
    assert 'id="differs-document"' not in page
    assert "Identidad y datos verificados en ventanilla" in page

    # Approving without the counter check: refused in Spanish, nothing changed.
    before = _snapshot(registration, member)
    refused = clerk.post(_approve_url(registration), {"confirm_match": "on"})
    assert refused.status_code == 200
    assert NEEDS_COUNTER in refused.content.decode()
    assert _snapshot(registration, member) == before

    # With the counter check: a first approval that waits for a second staffer.
    response = clerk.post(
        _approve_url(registration), {"confirm_match": "on", "verified_at_counter": "on"}
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.AWAITING_SECOND_APPROVAL
    assert registration.first_approved_by == staff_user
    assert registration.user is None
    assert not User.objects.filter(username=STRANGER["username"]).exists()
    assert not _outbox(LINK_EMAIL).exists()
    first = AuditEvent.objects.get(event="registration.first_approval")
    assert (first.actor, first.ip_address) == (staff_user, "127.0.0.1")
    assert first.old["email"] == RECORDED_EMAIL and first.new["email"] == STRANGER["email"]
    assert first.old["phone"] == RECORDED_MOBILE and first.new["phone"] == STRANGER["phone"]
    assert first.new["verified_at_counter"] is True

    # The same clerk cannot give the second approval (page nor post).
    page = clerk.get(_approve_url(registration)).content.decode()
    assert NOT_YOU_AGAIN in page
    before = _snapshot(registration, member)
    again = clerk.post(
        _approve_url(registration), {"confirm_match": "on", "verified_at_counter": "on"}
    )
    assert NOT_YOU_AGAIN in again.content.decode()
    assert _snapshot(registration, member) == before

    # A second staffer approves: the link goes to the verified request email, the member's
    # record takes the verified contacts, and the previous recorded ones are told.
    second = _second_staffer()
    other = admin_force_login(Client(), second)
    response = other.post(_approve_url(registration), {"confirm_match": "on"})
    assert response.status_code == 302
    registration.refresh_from_db()
    member.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert (registration.first_approved_by, registration.second_approved_by) == (
        staff_user,
        second,
    )
    assert registration.user.email == STRANGER["email"]
    assert registration.user.member == member
    (link_email,) = _outbox(LINK_EMAIL)
    assert link_email.recipient == STRANGER["email"]
    assert "/registro/contrasena/" in link_email.body_text
    assert (member.email, member.mobile_phone) == (STRANGER["email"], STRANGER["phone"])
    updated = AuditEvent.objects.get(event="member.contact_updated")
    assert updated.actor == second
    assert updated.old == {"email": RECORDED_EMAIL, "phone": RECORDED_MOBILE}
    assert updated.new["email"] == STRANGER["email"]
    assert updated.new["first_approved_by"] == staff_user.pk
    approved = AuditEvent.objects.get(event="registration.approved")
    assert (approved.actor, approved.ip_address) == (second, "127.0.0.1")
    assert approved.new["four_eyes"] is True
    (approved_notice,) = _outbox(APPROVED)
    assert approved_notice.recipient == RECORDED_EMAIL
    assert "se actualizaron en la agencia" in approved_notice.body_text
    sms_to_recorded = _outbox(channel="sms").filter(recipient=RECORDED_MOBILE).order_by("pk")
    assert [m.body_text.split(":")[1].split(".")[0].strip() for m in sms_to_recorded] == [
        "se solicitó la banca web para sus cuentas en la Cooperativa Progreso",
        "se aprobó la banca web para sus cuentas en la Cooperativa Progreso",
    ]


def _confirmed(**overrides) -> RegistrationRequest:
    fields = {k: v for k, v in PERSON.items() if k != "birth_date"}
    fields.update(overrides)
    registration = registration_submit(
        data=RegistrationData(kind="person", birth_date=datetime.date(1988, 3, 21), **fields)
    )
    return registration_confirm_email(
        registration_id=registration.pk, token=email_confirm_token.make(registration)
    )


def test_the_service_itself_refuses_without_the_counter_check_and_the_same_clerk_twice():
    member = _member()
    registration = _confirmed(**STRANGER)
    clerk, other = make_approver("ana"), make_approver("beto")
    with pytest.raises(RegistrationError) as exc:
        registration_approve(registration_id=registration.pk, member=member, actor=clerk)
    assert NEEDS_COUNTER in str(exc.value.message)
    registration_approve(
        registration_id=registration.pk, member=member, actor=clerk, verified_at_counter=True
    )
    for verified in (False, True):
        with pytest.raises(RegistrationError) as exc:
            registration_approve(
                registration_id=registration.pk,
                member=member,
                actor=clerk,
                verified_at_counter=verified,
            )
        assert str(exc.value.message) == NOT_YOU_AGAIN
    # A staff member without the approval permission is not a second pair of eyes.
    viewer = make_user(username="mirón", is_staff=True)
    with pytest.raises(RegistrationError) as exc:
        registration_approve(registration_id=registration.pk, member=member, actor=viewer)
    assert str(exc.value.message) == "Usted no tiene permiso para aprobar solicitudes de registro."
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.AWAITING_SECOND_APPROVAL
    assert not User.objects.filter(member=member).exists()
    registration_approve(registration_id=registration.pk, member=member, actor=other)
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED


def test_the_database_refuses_one_person_as_both_approvers_and_a_skipped_second():
    member = _member()
    registration = _confirmed(**STRANGER)
    clerk = make_approver("ana")
    registration_approve(
        registration_id=registration.pk, member=member, actor=clerk, verified_at_counter=True
    )
    rows = RegistrationRequest.objects.filter(pk=registration.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(second_approved_by=clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(status=RegistrationRequest.Status.APPROVED)
    rows.update(second_approved_by=make_approver("beto"), status="approved")  # the real thing


def test_matching_contacts_need_one_approval_and_one_notice_per_contact():
    # Same contacts, written differently: still the member's own.
    member = make_member(
        document_number=PERSON["document_number"],
        email="  Silvia.Ferrufino@EXAMPLE.com ",
        mobile_phone="+591 700-11-223",
    )
    registration = _confirmed()
    # The recorded email is the request's: its confirmation email is the one notice.
    assert not _outbox(REQUESTED).exists()
    assert [m.recipient for m in _outbox(channel="sms")] == ["+591 700-11-223"]
    registration_approve(registration_id=registration.pk, member=member, actor=make_approver("ana"))
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert registration.first_approved_by is None and registration.second_approved_by is None
    assert not _outbox(APPROVED).exists()
    (link_email,) = _outbox(LINK_EMAIL)
    assert "visite su agencia de inmediato" in link_email.body_text  # how to object
    assert _outbox(channel="sms").count() == 2


def test_a_stranger_document_queues_no_notice():
    _confirmed(document_number="9988776")
    assert not _outbox(REQUESTED).exists()
    assert not _outbox(channel="sms").exists()


def test_a_blank_record_is_not_a_match():
    member = make_member(document_number=PERSON["document_number"], email="", mobile_phone="")
    registration = _confirmed()
    assert set(contacts_differ(registration, member)) == {"email", "phone"}
    with pytest.raises(RegistrationError):
        registration_approve(
            registration_id=registration.pk, member=member, actor=make_approver("ana")
        )


def test_the_first_clerk_may_still_reject_a_request_awaiting_the_second():
    member = _member()
    registration = _confirmed(**STRANGER)
    clerk = make_approver("ana")
    registration_approve(
        registration_id=registration.pk, member=member, actor=clerk, verified_at_counter=True
    )
    registration_reject(registration_id=registration.pk, reason="No era la socia.", actor=clerk)
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.REJECTED
    member.refresh_from_db()
    assert member.email == RECORDED_EMAIL
    assert not User.objects.filter(member=member).exists()


def test_no_admin_path_around_the_four_eyes(staff_client):
    member = _member()
    registration = _confirmed(**STRANGER)
    changelist = reverse("admin:accounts_registrationrequest_changelist")
    change = reverse("admin:accounts_registrationrequest_change", args=[registration.pk])
    page = staff_client.get(changelist)
    assert page.context["action_form"] is None  # no bulk action at all
    assert 'name="action"' not in page.content.decode()
    for action in ("approve_selected", "delete_selected", "approve"):
        response = staff_client.post(
            changelist, {"action": action, "_selected_action": [registration.pk], "index": 0}
        )
        assert response.status_code in (200, 302, 403)
        registration.refresh_from_db()
        assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED
    # Editing the status on the change form is refused, before and during the four eyes.
    assert staff_client.post(change, {"status": "approved"}).status_code == 403
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED
    registration_approve(
        registration_id=registration.pk,
        member=member,
        actor=make_approver("ana"),
        verified_at_counter=True,
    )
    for data in (
        {"status": "approved"},
        {"second_approved_by": "1", "status": "approved"},
    ):
        assert staff_client.post(change, data).status_code == 403
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.AWAITING_SECOND_APPROVAL
    assert registration.user is None
    assert not AuditEvent.objects.filter(event="registration.approved").exists()


# --- the rule that decides, over all spellings ---------------------------------------------

mobiles = st.from_regex(r"[67][0-9]{7}", fullmatch=True)
local_parts = st.from_regex(r"[a-z][a-z0-9.]{0,15}", fullmatch=True)


def _spelled(number: str, style: int) -> str:
    return [
        number,
        f"+591 {number}",
        f"591{number}",
        f"00591 {number[:3]} {number[3:]}",
        f"{number[:3]}-{number[3:5]}-{number[5:]}",
        f" +591-{number} ",
    ][style]


@given(
    local=local_parts,
    number=mobiles,
    style=st.integers(0, 5),
    upper=st.booleans(),
    pad=st.sampled_from(["", " ", "\t", "  "]),
)
def test_normalised_spellings_of_the_same_contact_match(local, number, style, upper, pad):
    email = f"{local}@example.com"
    typed = pad + (email.upper() if upper else email) + pad
    assert email_normalise(typed) == email_normalise(email)
    assert phone_normalise(_spelled(number, style)) == number
    registration = RegistrationRequest(email=typed, phone=number, document_type="CI")
    member = Member(email=email, mobile_phone=_spelled(number, style), document_type="CI")
    assert contacts_differ(registration, member) == []


@given(number=mobiles, other=mobiles, local=local_parts, other_local=local_parts)
def test_a_different_contact_is_never_normalised_away(number, other, local, other_local):
    registration = RegistrationRequest(
        email=f"{other_local}@example.com", phone=other, document_type="CI"
    )
    member = Member(email=f"{local}@example.com", mobile_phone=f"+591 {number}")
    expected = set()
    if local != other_local:
        expected.add("email")
    if number != other:
        expected.add("phone")
    assert set(contacts_differ(registration, member)) == expected
