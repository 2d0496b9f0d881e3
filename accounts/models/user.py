"""The web banking login, linked to at most one member. Branch staff are users without one."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .member import Member


class CaseInsensitiveUserManager(UserManager):
    def get_by_natural_key(self, username: str) -> "User":
        # "MPerez" and "mperez" are the same login; the unique index below guarantees one row.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """The web banking login. Usernames are unique regardless of case."""

    objects = CaseInsensitiveUserManager()

    member = models.OneToOneField(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="user",
    )
    # Three-strike lockout (accounts.services.login): active ⇄ locked, staff unlock.
    failed_login_count = models.PositiveSmallIntegerField(_("consecutive failed logins"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    # After a PIN reset or a security-device change, only own-account transfers may be signed
    # until this moment (accounts.services.restriction); None means no restriction.
    signing_restricted_until = models.DateTimeField(
        _("third-party signing restricted until"), null=True, blank=True
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]
        permissions = [("unlock_user", _("Can unlock users locked after failed logins"))]

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None
