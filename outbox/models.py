from django.db import models
from django.utils.translation import gettext_lazy as _

from progresonet.model_fields import CreatedAtModel


class OutboxMessage(CreatedAtModel):
    """A message (email or SMS) to deliver, written in the transaction that caused it.

    State machine: pending → sent, or pending → failed after ``MAX_ATTEMPTS``; staff may put
    a failed message back to pending from the admin. ``outbox.services`` owns the transitions.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        # The table keeps the name it had when this model lived in accounts: moving the model
        # changed no row and took no lock (see outbox/migrations/0001_initial.py).
        db_table = "accounts_outboxmessage"
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_pending_due",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} → {self.recipient} ({self.status})"

    @property
    def message_id(self) -> str:
        """A stable Message-ID: a rare re-send after a crash is recognisable as the same mail."""
        return f"<outbox-{self.pk}@progresonet>"
