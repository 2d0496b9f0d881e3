"""Reads for registration. None of them consults the Member table on the member's side: the
answers a registrant can observe never depend on whether someone is a cooperative member.
(The notice to a member's recorded contacts at submission is a write, in ``services``.)"""

from django.db.models import Q, QuerySet

from accounts.models import Member, RegistrationRequest, User


def _open_requests() -> QuerySet[RegistrationRequest]:
    return RegistrationRequest.objects.exclude(status=RegistrationRequest.Status.REJECTED)


def username_taken(username: str) -> bool:
    return (
        User.objects.filter(username__iexact=username).exists()
        or _open_requests().filter(username__iexact=username).exists()
    )


def email_taken(email: str) -> bool:
    return (
        User.objects.filter(email__iexact=email).exists()
        or _open_requests().filter(email__iexact=email).exists()
    )


def document_taken(document_type: str, document_number: str) -> bool:
    """A web user or an open request already holds this document (not: "is a member")."""
    return (
        User.objects.filter(
            member__document_type=document_type, member__document_number=document_number
        ).exists()
        or _open_requests()
        .filter(document_type=document_type, document_number=document_number)
        .exists()
    )


def registration_member_match(registration: RegistrationRequest) -> Member | None:
    """The cooperative member whose document matches the request, for staff to confirm."""
    return (
        Member.objects.filter(
            document_type=registration.document_type,
            document_number=registration.document_number,
        )
        .select_related("user")
        .first()
    )


def registration_from_uid(uid: str) -> RegistrationRequest | None:
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return RegistrationRequest.objects.select_related("user").filter(pk=pk).first()


def registrations_pending_review() -> QuerySet[RegistrationRequest]:
    return RegistrationRequest.objects.filter(
        Q(status=RegistrationRequest.Status.SUBMITTED)
        | Q(status=RegistrationRequest.Status.EMAIL_CONFIRMED)
        | Q(status=RegistrationRequest.Status.AWAITING_SECOND_APPROVAL)
    )
