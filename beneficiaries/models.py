"""Registered third-party products and the list of Bolivian banks they may belong to."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Bank(models.Model):
    """A Bolivian financial institution that interbank transfers can reach (staff-editable)."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
