"""Writes for registration: submit, confirm email, approve, reject, set password.

Each service runs in one transaction, moves the request through the state machine in
``accounts.models.registration``, writes one audit row and, where the member must hear about
it, one outbox email — all committed together or not at all.
"""

import dataclasses
import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.models import Member, RegistrationRequest, User
from accounts.outbox import email_enqueue

from . import selectors
from .tokens import TokenResult, email_confirm_token, password_set_token


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


def _locked(registration_id: int) -> RegistrationRequest | None:
    return (
        RegistrationRequest.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=registration_id)
        .first()
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
                event="registration.submitted",
                subject=registration,
                new={"status": registration.status, "username": registration.username},
                ip_address=ip_address,
            )
            _email(
                registration=registration,
                subject=_("Confirm your email address"),
                template="registration_confirm_email",
                link=_link(
                    "accounts:registration_confirm",
                    registration,
                    email_confirm_token.make(registration),
                ),
            )
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


@transaction.atomic
def registration_confirm_email(
    *, registration_id: int, token: str, ip_address: str | None = None
) -> RegistrationRequest:
    """Mark the email confirmed if the link is genuine, unused and not expired."""
    registration = _locked(registration_id)
    _check_link(registration, token, email_confirm_token)
    old = registration.status
    registration.move_to(RegistrationRequest.Status.EMAIL_CONFIRMED)
    registration.save(update_fields=["status", "email_confirmed_at"])
    audit_record(
        actor=None,
        event="registration.email_confirmed",
        subject=registration,
        old={"status": old},
        new={"status": registration.status},
        ip_address=ip_address,
    )
    return registration


@transaction.atomic
def registration_approve(
    *, registration_id: int, member: Member, actor: User, ip_address: str | None = None
) -> RegistrationRequest:
    """Link the request to ``member`` (same document, confirmed by staff), create the web user
    without a usable password, and email the set-password link."""
    registration = _locked(registration_id)
    if registration is None or not registration.can_move_to(RegistrationRequest.Status.APPROVED):
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
    old = registration.status
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
    registration.save(update_fields=["status", "decided_at", "decided_by", "member", "user"])
    audit_record(
        actor=actor,
        event="registration.approved",
        subject=registration,
        old={"status": old},
        new={"status": registration.status, "member": member.pk, "user": user.pk},
        ip_address=ip_address,
    )
    _email(
        registration=registration,
        subject=_("Registration confirmation"),
        template="registration_approved",
        link=_link("accounts:password_set", registration, password_set_token.make(registration)),
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
        _email(
            registration=registration,
            subject=_("Confirm your email address"),
            template="registration_confirm_email",
            link=_link(
                "accounts:registration_confirm",
                registration,
                email_confirm_token.make(registration),
            ),
        )
    else:
        _email(
            registration=registration,
            subject=_("Registration confirmation"),
            template="registration_approved",
            link=_link(
                "accounts:password_set", registration, password_set_token.make(registration)
            ),
        )
    audit_record(
        actor=actor,
        event="registration.link_resent",
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
    registration.save(update_fields=["status", "decided_at", "decided_by", "rejection_reason"])
    audit_record(
        actor=actor,
        event="registration.rejected",
        subject=registration,
        old={"status": old},
        new={"status": registration.status, "reason": reason},
        ip_address=ip_address,
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
    registration.save(update_fields=["status", "activated_at"])
    audit_record(
        actor=user,
        event="registration.password_set",
        subject=registration,
        old={"status": RegistrationRequest.Status.APPROVED},
        new={"status": registration.status},
        ip_address=ip_address,
    )
    return user
