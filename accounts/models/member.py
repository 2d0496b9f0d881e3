"""The cooperative's member record: a natural person with a CI, or a company with a NIT.

It exists whether or not the member uses web banking.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from progresonet.model_fields import CreatedAtModel


class MemberIdentity(models.Model):
    """Who a member is, as the cooperative records it: a person (CI) or a company (NIT).

    The member record and an online registration request (which names the member it asks for)
    declare it alike; each keeps its own constraint that the document matches the kind.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    class DocumentType(models.TextChoices):
        CI = "CI", _("Identity card")
        NIT = "NIT", _("NIT")

    class Department(models.TextChoices):
        LA_PAZ = "LP", "La Paz"
        COCHABAMBA = "CB", "Cochabamba"
        SANTA_CRUZ = "SC", "Santa Cruz"
        ORURO = "OR", "Oruro"
        POTOSI = "PT", "Potosí"
        CHUQUISACA = "CH", "Chuquisaca"
        TARIJA = "TJ", "Tarija"
        BENI = "BE", "Beni"
        PANDO = "PD", "Pando"

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    document_type = models.CharField(_("document type"), max_length=3, choices=DocumentType.choices)
    document_number = models.CharField(_("document number"), max_length=20)
    document_issued_in = models.CharField(
        _("issued in"), max_length=2, choices=Department.choices, blank=True
    )
    first_names = models.CharField(_("first names"), max_length=100, blank=True)
    last_names = models.CharField(_("last names"), max_length=100, blank=True)
    business_name = models.CharField(_("business name"), max_length=200, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.display_name} ({self.document_type} {self.document_number})"

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY:
            return self.business_name
        return f"{self.first_names} {self.last_names}".strip()


class Member(MemberIdentity, CreatedAtModel):
    email = models.EmailField(_("email"), blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_number"], name="member_document_unique"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="person", document_type="CI")
                    | models.Q(kind="company", document_type="NIT")
                ),
                name="member_document_matches_kind",
            ),
        ]
