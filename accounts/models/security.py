"""Security records: the transaction PIN, sign-in history, open sessions and the SMS device.

Secrets never live here in clear: the PIN is an Argon2 hash of an HMAC of the PIN with the
server-side pepper (``settings.PIN_PEPPER``), so a stolen database alone cannot be brute-forced
offline over the small PIN space. ``accounts.services.pin`` owns the hashing and the
three-strike lock; ``accounts.services.sessions`` owns the session rows.
"""

from django.conf import settings
from django.db import models
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django_otp.models import SideChannelDevice, ThrottlingMixin

from outbox.services import email_enqueue, sms_enqueue
from progresonet.model_fields import CreatedAtModel, owning_user_field


class TransactionPin(models.Model):
    """The member's PIN for signing money movements.

    State machine: active ⇄ locked. Three consecutive wrong PINs set ``locked_at``; only staff
    unlock it (``pin_unlock``). A right PIN resets ``failed_attempts``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="transaction_pin",
    )
    pin_hash = models.CharField(_("PIN hash"), max_length=255)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("transaction PIN")
        verbose_name_plural = _("transaction PINs")
        permissions = [("unlock_transactionpin", _("Can unlock transaction PINs"))]

    def __str__(self) -> str:
        return f"PIN #{self.pk}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class SignInAttempt(models.Model):
    """One row per login attempt: the member's "last 10 sign-ins" and the per-IP throttle."""

    user = owning_user_field(_("user"), related_name="sign_in_attempts", null=True)
    # What was typed (truncated), so staff can see attacks on unknown names too.
    username = models.CharField(_("username"), max_length=150)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    succeeded = models.BooleanField(_("succeeded"))
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sign-in attempt")
        verbose_name_plural = _("sign-in attempts")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["ip_address", "occurred_at"], name="signin_ip_recent"),
            models.Index(fields=["user", "occurred_at"], name="signin_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.occurred_at:%Y-%m-%d %H:%M} {self.succeeded}"


class UserSession(CreatedAtModel):
    """An open web session of a user, so the member can see and close their other sessions.

    ``session_key`` follows the Django session through key rotations (the session stores this
    row's id); closing deletes the Django session row, which kills the cookie on the server.
    """

    user = owning_user_field(_("user"), related_name="web_sessions")
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    last_seen = models.DateTimeField(_("last seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("web session")
        verbose_name_plural = _("web sessions")
        ordering = ["-last_seen", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip_address} {self.created_at:%Y-%m-%d %H:%M}"


class _ConstantTimeSideChannel(ThrottlingMixin, SideChannelDevice):
    """A side-channel device whose code is single-use and compared in constant time."""

    class Meta(SideChannelDevice.Meta):
        abstract = True

    def verify_token(self, token: str) -> bool:
        verify_allowed, _reason = self.verify_is_allowed()
        if not verify_allowed:
            return False
        from django.utils import timezone

        now = timezone.now()
        # Constant-time comparison: the stock SideChannelDevice compares with ==.
        if self.token and constant_time_compare(str(token), self.token) and now < self.valid_until:
            self.token = None
            self.valid_until = now
            self.throttle_reset(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self) -> int:
        return 1


class SmsDevice(_ConstantTimeSideChannel):
    """A django-otp device that sends its one-time codes by SMS through the outbox."""

    number = models.CharField(_("mobile phone"), max_length=20)

    class Meta(SideChannelDevice.Meta):
        verbose_name = _("SMS device")
        verbose_name_plural = _("SMS devices")

    def generate_challenge(self) -> str:
        self.generate_token(valid_secs=300)  # accounts.services.personal.SMS_CODE_SECONDS
        sms_enqueue(
            to=self.number,
            text=str(_("ProgresoNet: your security code is %(code)s. It expires in 5 minutes."))
            % {"code": self.token},
        )
        return str(_("We sent a code by SMS."))


class EmailCode(_ConstantTimeSideChannel):
    """A one-time code emailed (through the outbox) to the member's registered address.

    It proves control of the mailbox for a forgotten PIN or a first security device; it is
    never a signing device, so it stays unconfirmed (django-otp's login never offers it).
    """

    class Meta(SideChannelDevice.Meta):
        verbose_name = _("emailed one-time code")
        verbose_name_plural = _("emailed one-time codes")

    def generate_challenge(self) -> str:
        from accounts.services.common import user_email

        self.generate_token(valid_secs=600)
        email_enqueue(
            to=user_email(self.user),
            subject=str(_("ProgresoNet: your one-time code")),
            template="accounts/email/one_time_code",
            context={"user": self.user, "code": self.token},
        )
        return str(_("We sent a code to your email address."))


class SignatureGrant(models.Model):
    """One PIN signature, usable once by the one service it was made for.

    ``accounts.signing.signature_verify`` writes it after the PIN (and device code) checked;
    the service consumes it inside its own transaction with a conditional UPDATE (``used_at``
    from NULL), so two concurrent uses of the same receipt cannot both succeed, and a refused
    operation rolls the consumption back with everything else. ``digest`` covers the purpose,
    the service's fingerprint of what it executes, the summary shown and a random nonce.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    user = owning_user_field(_("user"), related_name="signature_grants")
    purpose = models.CharField(_("purpose"), max_length=40)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signature grant")
        verbose_name_plural = _("signature grants")
        indexes = [models.Index(fields=["user", "created_at"], name="sig_grant_user_created")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.id}"
