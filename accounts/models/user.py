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

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]
