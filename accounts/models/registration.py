"""An online registration request for web banking, and its state machine.

    submitted ──> email_confirmed ──────────────────────────────> approved ──> active
        │               │                                           ^
        │               └──> awaiting_second_approval ──────────────┘
        │               │               │
        └───────────────┴───────────────┴──> rejected

A request whose email or mobile differ from the member's record (the cooperative's own KYC
data) cannot be approved by one clerk: the first clerk attests "identidad y datos verificados
en ventanilla" (the request waits in ``awaiting_second_approval``) and a *different* staff
member gives the second approval. The database refuses a second approver equal to the first,
and an approved request that went through the first step without a second approver.

``TRANSITIONS`` is the single place that says which moves are allowed; services in
``accounts.registration.services`` are the only callers of :meth:`RegistrationRequest.move_to`.
A request is "open" until it is rejected: while open it reserves its username, email and
document number (partial unique indexes below), so two requests cannot claim the same identity.
"""

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from progresonet.model_fields import (
    InvalidTransition,  # noqa: F401  (raised by RegistrationRequest.move_to; re-exported)
    StatusMachineModel,
    acting_user_field,
)

from .member import Member, MemberIdentity


class RegistrationRequest(MemberIdentity, StatusMachineModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Pending")
        EMAIL_CONFIRMED = "email_confirmed", _("Email confirmed")
        AWAITING_SECOND_APPROVAL = "awaiting_second_approval", _("Awaiting second approval")
        APPROVED = "approved", _("Approved")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.SUBMITTED: frozenset({Status.EMAIL_CONFIRMED, Status.REJECTED}),
        Status.EMAIL_CONFIRMED: frozenset(
            {Status.APPROVED, Status.AWAITING_SECOND_APPROVAL, Status.REJECTED}
        ),
        Status.AWAITING_SECOND_APPROVAL: frozenset({Status.APPROVED, Status.REJECTED}),
        Status.APPROVED: frozenset({Status.ACTIVE}),
        Status.ACTIVE: frozenset(),
        Status.REJECTED: frozenset(),
    }

    # The identity fields (kind, document, names, date of birth) are the member record's.
    legal_representative = models.CharField(_("legal representative"), max_length=200, blank=True)
    legal_representative_ci = models.CharField(
        _("legal representative's CI"), max_length=20, blank=True
    )
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=20)
    address = models.CharField(_("address"), max_length=255, blank=True)
    username = models.CharField(_("username"), max_length=20)

    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.SUBMITTED
    )
    terms_accepted_at = models.DateTimeField(_("terms accepted at"))
    submitted_ip = models.GenericIPAddressField(_("submitted from IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)
    email_confirmed_at = models.DateTimeField(_("email confirmed at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = acting_user_field(_("decided by"))
    # Four eyes (contacts that differ from the member's record): who attested the counter
    # check first, and who gave the second approval.
    first_approved_by = acting_user_field(_("first approval by"))
    first_approved_at = models.DateTimeField(_("first approval at"), null=True, blank=True)
    second_approved_by = acting_user_field(_("second approval by"))
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registration_requests",
    )
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("web user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registration_requests",
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration request")
        verbose_name_plural = _("registration requests")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("approve_registrationrequest", _("Can approve or reject registration requests")),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                condition=~models.Q(status="rejected"),
                name="registration_open_username_unique",
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(status="rejected"),
                name="registration_open_email_unique",
            ),
            models.UniqueConstraint(
                "document_type",
                "document_number",
                condition=~models.Q(status="rejected"),
                name="registration_open_document_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="person", document_type="CI")
                    | models.Q(kind="company", document_type="NIT")
                ),
                name="registration_document_matches_kind",
            ),
            # Four eyes, held by the database: the second approver is another person.
            models.CheckConstraint(
                condition=(
                    models.Q(first_approved_by__isnull=True)
                    | models.Q(second_approved_by__isnull=True)
                    | ~models.Q(second_approved_by=models.F("first_approved_by"))
                ),
                name="registration_second_approver_differs",
            ),
            # A request that needed four eyes is never approved (or active) on one pair.
            models.CheckConstraint(
                condition=(
                    models.Q(first_approved_by__isnull=True)
                    | ~models.Q(status__in=["approved", "active"])
                    | models.Q(second_approved_by__isnull=False)
                ),
                name="registration_four_eyes_complete",
            ),
        ]

    def move_to(self, status: str) -> None:
        """The state machine's move, and the moment each step was reached."""
        super().move_to(status)
        now = timezone.now()
        if status == self.Status.EMAIL_CONFIRMED:
            self.email_confirmed_at = now
        elif status == self.Status.AWAITING_SECOND_APPROVAL:
            self.first_approved_at = now
        elif status in (self.Status.APPROVED, self.Status.REJECTED):
            self.decided_at = now
        elif status == self.Status.ACTIVE:
            self.activated_at = now
