"""Registered third-party products and the list of Bolivian banks they may belong to."""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import Member
from ledger.models import currency_field, mask_account_number
from progresonet.model_fields import TimestampedModel


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


class ThirdPartyProduct(TimestampedModel):
    """A product a member registered as a transfer destination ("Producto de terceros").

    Two kinds share the table: another member's savings account at the cooperative
    (``account`` set, ``bank`` empty) and an account at another Bolivian bank (``bank`` set, the
    beneficiary's name and document typed by the member). Numbers are strings so leading zeros
    survive.

    For a cooperative account ``holder_name`` stores only the *masked* holder name shown at
    registration ("Silvia F*** F***"): the portal never shows one member another member's full
    name, and the list needs no join through the ledger's holders.

    Deletion is soft (``deleted_at``): transfers will reference the product and their receipts
    and audit trail must keep naming the destination, so the row stays; every uniqueness rule
    applies only to live rows, so a deleted product can be registered again (as a new row). The
    new-beneficiary safeguard does not restart with it: it belongs to the member and the
    destination account, and counts from the member's first registration of it, deleted rows
    included (``beneficiaries.selectors.destination_registered_at``).
    """

    class Kind(models.TextChoices):
        MEMBER = "member", _("to a third-party account")
        OTHER_BANK = "other_bank", _("to other banks")

    class ProductType(models.TextChoices):
        SAVINGS = "savings", _("Savings account")
        CHECKING = "checking", _("Checking account")

    # A beneficiary at another bank shows the same Bolivian documents a member does.
    DocumentType = Member.DocumentType

    owner = models.ForeignKey(
        "accounts.Member",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="third_party_products",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    account = models.ForeignKey(
        "ledger.Account",
        verbose_name=_("cooperative account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bank = models.ForeignKey(
        Bank,
        verbose_name=_("bank"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    product_type = models.CharField(_("product type"), max_length=10, choices=ProductType.choices)
    currency = currency_field()
    number = models.CharField(_("product number"), max_length=32)
    holder_name = models.CharField(_("beneficiary name"), max_length=120)
    document_type = models.CharField(
        _("document type"), max_length=3, choices=DocumentType.choices, blank=True
    )
    document_number = models.CharField(_("document number"), max_length=20, blank=True)
    alias = models.CharField(_("alias"), max_length=40)
    email = models.EmailField(_("beneficiary email"), blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # The signed final step carries this key; the unique index turns a double submit into one row.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("third-party product")
        verbose_name_plural = _("third-party products")
        ordering = ["alias", "pk"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                "bank",
                "number",
                condition=models.Q(deleted_at__isnull=True, kind="other_bank"),
                name="tpp_owner_bank_number_unique",
            ),
            models.UniqueConstraint(
                "owner",
                "account",
                condition=models.Q(deleted_at__isnull=True, kind="member"),
                name="tpp_owner_account_unique",
            ),
            models.UniqueConstraint(
                "owner",
                Lower("alias"),
                condition=models.Q(deleted_at__isnull=True),
                name="tpp_owner_alias_ci_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="member",
                        account__isnull=False,
                        bank__isnull=True,
                        document_type="",
                        document_number="",
                    )
                    | (
                        models.Q(kind="other_bank", account__isnull=True, bank__isnull=False)
                        & models.Q(document_type__in=["CI", "NIT"])
                        & ~models.Q(document_number="")
                        & ~models.Q(holder_name="")
                    )
                ),
                name="tpp_kind_shape",
            ),
            models.CheckConstraint(condition=~models.Q(alias=""), name="tpp_alias_not_blank"),
            models.CheckConstraint(condition=~models.Q(number=""), name="tpp_number_not_blank"),
        ]
        indexes = [models.Index(fields=["owner", "deleted_at"], name="tpp_owner_live")]

    def __str__(self) -> str:
        return f"{self.alias} ({self.masked_number})"

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.number)

    @property
    def is_member_account(self) -> bool:
        return self.kind == self.Kind.MEMBER


class LookupCounter(models.Model):
    """Account lookups ("Buscar") per member and per IP, one row per lookup instant, summed
    over a sliding minute by ``beneficiaries.services.lookup_allowed``.

    Kept in PostgreSQL rather than a per-process cache so every web process shares one count
    (a locmem cache would give each gunicorn worker its own ten lookups) and so tests get the
    database's isolation for free. Rows older than the window are pruned as new ones are written.
    """

    key = models.CharField(max_length=80)
    seen_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "seen_at"], name="lookup_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.seen_at:%H:%M:%S} {self.count}"
