"""Writes for registration: submit, confirm email, approve, reject, set password.

Each service runs in one transaction, moves the request through the state machine in
``accounts.models.registration``, writes one audit row and, where the member must hear about
it, one outbox email — all committed together or not at all.

Who owns a member's web banking (issue 12, High 6). The member's record (the cooperative's
own KYC data) decides, not what a registrant typed:

- At submission, the member's *recorded* email and mobile are told at once that web banking
  was requested for their accounts and how to object. The notice rows are written by one
  ``INSERT ... SELECT`` over the member table, so a member's document and a stranger's cost
  the same statements and the registrant still cannot tell whether they named a member.
- At approval, when the request's email or mobile differ from the record (normalised, see
  ``kyc``), one clerk cannot approve alone: the clerk attests "identidad y datos verificados
  en ventanilla" and the request waits for a *different* staff member holding the approval
  permission (four eyes; the database refuses the same person twice). Only then is the web
  user created, the member's record takes the verified contacts (audited, same
  transaction) and the set-password link goes to the verified email. The *previous*
  recorded email and mobile are told that web banking was approved (docs/onboarding.md).
- When the contacts match, one approval is enough, as before.
"""

import dataclasses
import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts.events import AccountEvent
from accounts.models import Member, RegistrationRequest, User
from audit.services import audit_record
from outbox.models import OutboxMessage
from outbox.services import email_enqueue, outbox_schedule, sms_enqueue
from progresonet.sql import insert_columns, sql

from . import selectors
from .kyc import contacts_differ, email_normalise
from .tokens import TokenResult, email_confirm_token, password_set_token

APPROVE_PERMISSION = "accounts.approve_registrationrequest"


class RegistrationError(Exception):
    """A business rule refused the operation; ``message`` is for the person (Spanish)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class LinkError(RegistrationError):
    """An emailed link that is forged, used already or expired."""

    def __init__(self, result: TokenResult) -> None:
        super().__init__(result.value)
        self.result = result


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistrationData:
    kind: str
    document_number: str
    email: str
    phone: str
    username: str
    document_issued_in: str = ""
    first_names: str = ""
    last_names: str = ""
    birth_date: datetime.date | None = None
    address: str = ""
    business_name: str = ""
    legal_representative: str = ""
    legal_representative_ci: str = ""

    @property
    def document_type(self) -> str:
        if self.kind == Member.Kind.COMPANY:
            return Member.DocumentType.NIT
        return Member.DocumentType.CI


def _uid(registration: RegistrationRequest) -> str:
    return urlsafe_base64_encode(force_bytes(registration.pk))


def _link(url_name: str, registration: RegistrationRequest, token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(url_name, args=[_uid(registration), token])


def _email(*, registration: RegistrationRequest, subject: Any, template: str, **context) -> None:
    # Emails go out in the portal's language whatever the staff member's browser asked for.
    with translation.override(settings.LANGUAGE_CODE):
        email_enqueue(
            to=registration.email,
            subject=str(subject),  # a lazy string, rendered in the portal's language
            template=f"accounts/emails/{template}",
            context={"registration": registration, **context},
        )


def _confirm_link_send(registration: RegistrationRequest) -> None:
    """Email the link that confirms the address (on submit, and when staff send it again)."""
    _email(
        registration=registration,
        subject=_("Confirm your email address"),
        template="registration_confirm_email",
        link=_link(
            "accounts:registration_confirm", registration, email_confirm_token.make(registration)
        ),
    )


def _password_set_link_send(registration: RegistrationRequest) -> None:
    """Email the approval with its set-password link (on approval, and when staff send it
    again)."""
    _email(
        registration=registration,
        subject=_("Registration confirmation"),
        template="registration_approved",
        link=_link("accounts:password_set", registration, password_set_token.make(registration)),
    )


def _locked(registration_id: int) -> RegistrationRequest | None:
    return (
        RegistrationRequest.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=registration_id)
        .first()
    )


def _document_masked(registration: RegistrationRequest) -> str:
    return f"{registration.document_type} ***{registration.document_number[-3:]}"


# The owner's notices of a registration request (see _owner_notices_on_request), a template
# of progresonet.sql: the columns every new message gets (``fixed``, typed placeholders: an
# untyped NULL in a SELECT list would be read as text) and those that vary per channel.
_OWNER_NOTICE_VARYING = ("channel", "recipient", "subject", "body_text", "body_html")
_OWNER_NOTICES_SQL = """
    INSERT INTO {o} ({fixed}, {o.channel}, {o.recipient}, {o.subject}, {o.body_text},
                     {o.body_html})
    SELECT {fixed.typed}, v.channel, v.recipient, v.subject, v.body_text, v.body_html
      FROM {m} m
     CROSS JOIN LATERAL (VALUES
           (%s, m.{m.email}, %s, %s, %s),
           (%s, m.{m.mobile_phone}, '', %s, '')
     ) AS v(channel, recipient, subject, body_text, body_html)
     WHERE m.{m.document_type} = %s AND m.{m.document_number} = %s
       AND btrim(v.recipient) <> ''
       AND NOT (v.channel = %s
                AND lower(regexp_replace(m.{m.email}, '\\s', '', 'g')) = %s)
    RETURNING {o.pk}
"""


def _owner_notices_on_request(registration: RegistrationRequest) -> None:
    """Queue the "web banking was requested" notice to the recorded email and mobile of the
    member whose document the request names — if there is one.

    One ``INSERT ... SELECT`` writes zero, one or two rows, so a member's document and a
    stranger's run the same statements (registration must not reveal membership, not even
    by timing). The texts name no member data and carry nothing the registrant typed. The
    recorded email gets no separate notice when it is the request's own email: the
    confirmation email it receives already says how to object.
    """
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "site_url": settings.SITE_URL,
            "document": _document_masked(registration),
            "requested_at": timezone.localtime(registration.created_at),
        }
        template = "accounts/emails/registration_owner_requested"
        subject = str(_("Web banking was requested for your accounts"))
        body_text = render_to_string(f"{template}.txt", context)
        body_html = render_to_string(f"{template}.html", context)
        sms_text = str(
            _(
                "ProgresoNet: web banking was requested for your accounts at Cooperativa "
                "Progreso. If it was not you, call the cooperative or visit your branch."
            )
        )
    # Every other column takes the value a new OutboxMessage would get, so a column added
    # to the model later is filled here too.
    fixed = insert_columns(OutboxMessage, exclude=_OWNER_NOTICE_VARYING)
    email, sms = OutboxMessage.Channel.EMAIL, OutboxMessage.Channel.SMS
    params = [
        *fixed.params(OutboxMessage(next_attempt_at=timezone.now())),
        email,
        subject,
        body_text,
        body_html,
        sms,
        sms_text,
        registration.document_type,
        registration.document_number,
        email,
        email_normalise(registration.email),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql(_OWNER_NOTICES_SQL, o=OutboxMessage, m=Member, fixed=fixed), params)
        for (message_id,) in cursor.fetchall():
            outbox_schedule(message_id)


def _owner_notices_on_approval(
    *, registration: RegistrationRequest, recorded_email: str, recorded_mobile: str
) -> None:
    """Tell the member's recorded email and mobile (as they were before this approval) that
    web banking was approved for their accounts, and how to object. The recorded email gets
    no separate notice when the set-password email goes to it anyway (it says the same)."""
    with translation.override(settings.LANGUAGE_CODE):
        if recorded_email.strip() and email_normalise(recorded_email) != email_normalise(
            registration.email
        ):
            email_enqueue(
                to=recorded_email.strip(),
                subject=str(_("Web banking was approved for your accounts")),
                template="accounts/emails/registration_owner_approved",
                context={
                    "member_name": registration.member.display_name,
                    "document": _document_masked(registration),
                    "contact_updated": registration.first_approved_by_id is not None,
                },
            )
        if recorded_mobile.strip():
            sms_enqueue(
                to=recorded_mobile.strip(),
                text=str(
                    _(
                        "ProgresoNet: web banking was approved for your accounts at "
                        "Cooperativa Progreso. If it was not you, call the cooperative or "
                        "visit your branch at once."
                    )
                ),
            )


def registration_submit(
    *, data: RegistrationData, ip_address: str | None = None
) -> RegistrationRequest:
    """Record a request (the terms were accepted) and email the confirmation link.

    Duplicates are checked again here; the partial unique indexes settle a race between two
    submissions. The Member table is not consulted: staff match the request at approval.
    """
    if selectors.username_taken(data.username):
        raise RegistrationError(_("That username is already taken. Please choose another one."))
    if selectors.email_taken(data.email):
        raise RegistrationError(_("That email address is already registered."))
    if selectors.document_taken(data.document_type, data.document_number):
        raise RegistrationError(_("That document number is already registered for web banking."))
    fields = dataclasses.asdict(data)
    try:
        with transaction.atomic():
            registration = RegistrationRequest.objects.create(
                **fields,
                document_type=data.document_type,
                terms_accepted_at=timezone.now(),
                submitted_ip=ip_address,
            )
            audit_record(
                actor=None,
                event=AccountEvent.REGISTRATION_SUBMITTED,
                subject=registration,
                new={"status": registration.status, "username": registration.username},
                ip_address=ip_address,
            )
            _confirm_link_send(registration)
            _owner_notices_on_request(registration)
    except IntegrityError as exc:  # a concurrent request claimed the same identity
        raise RegistrationError(
            _("That username, email or document is already registered.")
        ) from exc
    return registration


def _check_link(registration: RegistrationRequest | None, token: str, checker) -> None:
    if registration is None:
        raise LinkError(TokenResult.INVALID)
    result = checker.check(registration, token)
    if result is not TokenResult.VALID:
        raise LinkError(result)


def _moved_save(
    registration: RegistrationRequest,
    *,
    old_status: str,
    fields: list[str],
    actor: User | None,
    event: str,
    ip_address: str | None,
    old: dict | None = None,
    new: dict | None = None,
) -> None:
    """Save a request that has just moved (``move_to``): its status and ``fields``, and the
    audit row of the move (the status before and after, plus ``old``/``new``)."""
    registration.save(update_fields=["status", *fields])
    audit_record(
        actor=actor,
        event=event,
        subject=registration,
        old={"status": old_status, **(old or {})},
        new={"status": registration.status, **(new or {})},
        ip_address=ip_address,
    )


@transaction.atomic
def registration_confirm_email(
    *, registration_id: int, token: str, ip_address: str | None = None
) -> RegistrationRequest:
    """Mark the email confirmed if the link is genuine, unused and not expired."""
    registration = _locked(registration_id)
    _check_link(registration, token, email_confirm_token)
    old = registration.status
    registration.move_to(RegistrationRequest.Status.EMAIL_CONFIRMED)
    _moved_save(
        registration,
        old_status=old,
        fields=["email_confirmed_at"],
        actor=None,
        event=AccountEvent.REGISTRATION_EMAIL_CONFIRMED,
        ip_address=ip_address,
    )
    return registration


@transaction.atomic
def registration_approve(
    *,
    registration_id: int,
    member: Member,
    actor: User,
    verified_at_counter: bool = False,
    ip_address: str | None = None,
) -> RegistrationRequest:
    """Approve the request for ``member`` (same document, confirmed by staff).

    Contacts that match the member's record: this one approval creates the web user without
    a usable password and emails the set-password link. Contacts that differ: the first call
    needs ``verified_at_counter`` (the clerk saw the person and their CI at the counter) and
    leaves the request awaiting a second approval; a second call by *another* staff member
    holding the approval permission finishes it (see the module docstring).
    """
    if not (actor.is_active and actor.is_staff and actor.has_perm(APPROVE_PERMISSION)):
        raise RegistrationError(_("You do not have permission to approve registration requests."))
    registration = _locked(registration_id)
    Status = RegistrationRequest.Status
    if registration is None or not registration.can_move_to(Status.APPROVED):
        raise RegistrationError(_("Only a request whose email has been confirmed can be approved."))
    member = Member.objects.select_for_update().get(pk=member.pk)
    if (member.document_type, member.document_number) != (
        registration.document_type,
        registration.document_number,
    ):
        raise RegistrationError(_("The member's document does not match the request."))
    if User.objects.filter(member=member).exists():
        raise RegistrationError(_("This member already has a web banking user."))
    if User.objects.filter(username__iexact=registration.username).exists():
        raise RegistrationError(_("The username is already used by another web user."))

    if registration.status == Status.AWAITING_SECOND_APPROVAL:
        return _second_approval(registration, member=member, actor=actor, ip_address=ip_address)

    differing = contacts_differ(registration, member)
    if not differing:
        return _approve(registration, member=member, actor=actor, ip_address=ip_address)
    if not verified_at_counter:
        raise RegistrationError(
            _(
                "The request's email or mobile differ from the member's record. Check the "
                "person's identity and data at the counter, tick “Identity and data "
                "verified at the counter”, and another staff member must give the second "
                "approval."
            )
        )
    old = registration.status
    registration.move_to(Status.AWAITING_SECOND_APPROVAL)
    registration.member = member
    registration.first_approved_by = actor
    _moved_save(
        registration,
        old_status=old,
        fields=["member", "first_approved_by", "first_approved_at"],
        actor=actor,
        event=AccountEvent.REGISTRATION_FIRST_APPROVAL,
        ip_address=ip_address,
        old=_recorded_contacts(member, differing),
        new={
            "member": member.pk,
            "verified_at_counter": True,
            **_requested_contacts(registration, differing),
        },
    )
    return registration


def _recorded_contacts(member: Member, fields: list[str]) -> dict[str, str]:
    values = {"email": member.email, "phone": member.mobile_phone}
    return {key: values[key] for key in fields}


def _requested_contacts(registration: RegistrationRequest, fields: list[str]) -> dict[str, str]:
    values = {"email": registration.email, "phone": registration.phone}
    return {key: values[key] for key in fields}


def _second_approval(
    registration: RegistrationRequest, *, member: Member, actor: User, ip_address: str | None
) -> RegistrationRequest:
    if actor.pk == registration.first_approved_by_id:
        raise RegistrationError(
            _("The second approval must be given by another staff member, not by you.")
        )
    if member.pk != registration.member_id:
        raise RegistrationError(_("The member's document does not match the request."))
    # The verified contacts become the member's record; the old ones hear about it below.
    differing = contacts_differ(registration, member)
    recorded_email, recorded_mobile = member.email, member.mobile_phone
    if differing:
        old_values = _recorded_contacts(member, differing)
        if "email" in differing:
            member.email = registration.email.strip()
        if "phone" in differing:
            member.mobile_phone = registration.phone
        member.save(update_fields=["email", "mobile_phone"])
        audit_record(
            actor=actor,
            event=AccountEvent.MEMBER_CONTACT_UPDATED,
            subject=member,
            old=old_values,
            new={
                **_requested_contacts(registration, differing),
                "registration": registration.pk,
                "first_approved_by": registration.first_approved_by_id,
            },
            ip_address=ip_address,
        )
    return _approve(
        registration,
        member=member,
        actor=actor,
        ip_address=ip_address,
        recorded_email=recorded_email,
        recorded_mobile=recorded_mobile,
    )


def _approve(
    registration: RegistrationRequest,
    *,
    member: Member,
    actor: User,
    ip_address: str | None,
    recorded_email: str | None = None,
    recorded_mobile: str | None = None,
) -> RegistrationRequest:
    """Create the web user, email the set-password link, tell the recorded contacts."""
    old = registration.status
    four_eyes = old == RegistrationRequest.Status.AWAITING_SECOND_APPROVAL
    registration.move_to(RegistrationRequest.Status.APPROVED)
    if registration.kind == Member.Kind.COMPANY:
        first_name, last_name = registration.business_name[:150], ""
    else:
        first_name, last_name = registration.first_names, registration.last_names
    user = User(
        username=registration.username,
        email=registration.email,
        first_name=first_name,
        last_name=last_name,
        member=member,
        is_active=True,  # no usable password yet: cannot log in until the link is used
    )
    user.set_unusable_password()
    user.save()
    registration.member = member
    registration.user = user
    registration.decided_by = actor
    fields = ["decided_at", "decided_by", "member", "user"]
    if four_eyes:
        registration.second_approved_by = actor
        fields.append("second_approved_by")
    _moved_save(
        registration,
        old_status=old,
        fields=fields,
        actor=actor,
        event=AccountEvent.REGISTRATION_APPROVED,
        ip_address=ip_address,
        new={
            "member": member.pk,
            "user": user.pk,
            "email": registration.email,
            "four_eyes": four_eyes,
            **({"first_approved_by": registration.first_approved_by_id} if four_eyes else {}),
        },
    )
    _password_set_link_send(registration)
    _owner_notices_on_approval(
        registration=registration,
        recorded_email=member.email if recorded_email is None else recorded_email,
        recorded_mobile=member.mobile_phone if recorded_mobile is None else recorded_mobile,
    )
    return registration


@transaction.atomic
def registration_link_resend(
    *, registration_id: int, actor: User, ip_address: str | None = None
) -> RegistrationRequest:
    """Staff action when a member's link expired or got lost: email a fresh confirmation link
    (request still pending) or a fresh set-password link (approved, password not set yet)."""
    registration = _locked(registration_id)
    Status = RegistrationRequest.Status
    if registration is None or registration.status not in (Status.SUBMITTED, Status.APPROVED):
        raise RegistrationError(_("There is no link to send again for this request."))
    if registration.status == Status.SUBMITTED:
        _confirm_link_send(registration)
    else:
        _password_set_link_send(registration)
    audit_record(
        actor=actor,
        event=AccountEvent.REGISTRATION_LINK_RESENT,
        subject=registration,
        new={"status": registration.status},
        ip_address=ip_address,
    )
    return registration


@transaction.atomic
def registration_reject(
    *, registration_id: int, reason: str, actor: User, ip_address: str | None = None
) -> RegistrationRequest:
    """Refuse the request with a reason the member reads in the email; frees its identity."""
    reason = reason.strip()
    if not reason:
        raise RegistrationError(_("Write the reason for the rejection."))
    registration = _locked(registration_id)
    if registration is None or not registration.can_move_to(RegistrationRequest.Status.REJECTED):
        raise RegistrationError(_("This request can no longer be rejected."))
    old = registration.status
    registration.move_to(RegistrationRequest.Status.REJECTED)
    registration.rejection_reason = reason
    registration.decided_by = actor
    _moved_save(
        registration,
        old_status=old,
        fields=["decided_at", "decided_by", "rejection_reason"],
        actor=actor,
        event=AccountEvent.REGISTRATION_REJECTED,
        ip_address=ip_address,
        new={"reason": reason},
    )
    _email(
        registration=registration,
        subject=_("Registration request rejected"),
        template="registration_rejected",
    )
    return registration


@transaction.atomic
def password_set(
    *, registration_id: int, token: str, password: str, ip_address: str | None = None
) -> User:
    """Set the first password through the emailed link; the web user becomes active.

    Raises ``django.core.exceptions.ValidationError`` when the password breaks a validator.
    """
    registration = _locked(registration_id)
    _check_link(registration, token, password_set_token)
    user = User.objects.select_for_update().get(pk=registration.user_id)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    registration.move_to(RegistrationRequest.Status.ACTIVE)
    _moved_save(
        registration,
        old_status=RegistrationRequest.Status.APPROVED,
        fields=["activated_at"],
        actor=user,
        event=AccountEvent.REGISTRATION_PASSWORD_SET,
        ip_address=ip_address,
    )
    return user
