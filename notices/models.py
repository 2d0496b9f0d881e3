"""Notices ("Avisos"): what the portal tells a member, kept for the notice centre.

A notice is written in the same transaction as what it tells (``notices.services``). Its
title and body are rendered at creation from a fixed text per kind: they carry no text a
member wrote, only values the caller passes already masked (another member's name masked,
an amount, a date). The bell reads the unread count through a partial index.

This app imports no money app and no ``accounts`` model (foreign keys by string), so every
app may import it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from progresonet.model_fields import CreatedAtModel, owning_user_field


class NoticeKind(models.TextChoices):
    MONEY_RECEIVED = "money_received", _("Money received")
    LOAN_DISBURSED = "loan_disbursed", _("Loan disbursed")
    COSIGN_WAITING = "cosign_waiting", _("Co-signature waiting")
    COSIGN_OUTCOME = "cosign_outcome", _("Co-signature outcome")
    SCHEDULED = "scheduled", _("Scheduled transfers")
    INSTALMENT_DUE = "instalment_due", _("Instalment due soon")
    INSTALMENT_OVERDUE = "instalment_overdue", _("Instalment overdue")
    NEW_BROWSER = "new_browser", _("Sign-in from a new browser")
    CREDENTIALS_CHANGED = "credentials_changed", _("Security data changed")
    LOCKOUT = "lockout", _("User locked")


# Security notices always go by email too; the member cannot switch them off.
SECURITY_KINDS = frozenset(
    {NoticeKind.NEW_BROWSER, NoticeKind.CREDENTIALS_CHANGED, NoticeKind.LOCKOUT}
)


class Notice(CreatedAtModel):
    user = owning_user_field(related_name="notices")
    kind = models.CharField(_("kind"), max_length=24, choices=NoticeKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    # A path inside the portal (never an outside address).
    link = models.CharField(_("link"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set for notices that must be written once only (an instalment's reminder): a second
    # attempt with the same key for the same user writes nothing.
    once_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-pk"]
        indexes = [
            # The notice page: newest first, keyset pages by id.
            models.Index(fields=["user", "-id"], name="notice_user_id"),
            # The bell: the unread count of one user, on every page.
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="notice_unread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "once_key"],
                condition=models.Q(once_key__isnull=False),
                name="notice_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.title}"

    @property
    def is_security(self) -> bool:
        return self.kind in SECURITY_KINDS


class NoticePreference(models.Model):
    """Per user and kind: whether the notice also goes by email and by SMS. No row means the
    default (email on, SMS off); security kinds always email whatever the row says."""

    user = owning_user_field(related_name="notice_preferences")
    kind = models.CharField(_("kind"), max_length=24, choices=NoticeKind.choices)
    email = models.BooleanField(_("by email"), default=True)
    sms = models.BooleanField(_("by SMS"), default=False)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notice_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class KnownBrowser(models.Model):
    """A browser a user signed in from (by the hash of a long-lived cookie that
    ``notices.middleware.BrowserCookieMiddleware`` gives every browser): a sign-in from a
    browser not in this table tells the member (``notices.browsers``)."""

    user = owning_user_field(related_name="known_browsers")
    token_hash = models.CharField(max_length=64)
    device = models.CharField(_("device"), max_length=120)
    first_seen = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("known browser")
        verbose_name_plural = _("known browsers")
        constraints = [
            models.UniqueConstraint(fields=["user", "token_hash"], name="known_browser_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.device}"
