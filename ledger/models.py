"""The cooperative's double-entry ledger.

Design
------
* Every balance lives on an :class:`Account`: member products (caja de ahorros, cuenta
  corriente) and the cooperative's internal accounts (vault, interbank clearing, fee income,
  FX position, loan portfolio, ...). Each account has one currency.
* Money moves only as a :class:`Posting` with two or more :class:`PostingLine` rows. A line's
  ``amount`` is signed from the account holder's point of view: positive credits the account
  (raises its balance), negative debits it. Per currency the lines of a posting sum to zero, so
  a deposit is ``+100`` on the member's account and ``-100`` on the vault (internal accounts
  may therefore run negative; member savings may not).
* ``Account.balance`` is the stored balance; each line keeps ``balance_after``, the account's
  balance right after that line, so a statement never sums history.
* Only :mod:`ledger.services` writes these tables. It locks the touched accounts in primary-key
  order inside one transaction; the database enforces what it can (no negative member balance,
  no zero-amount line, positive rates) and ``manage.py ledger_audit`` proves the rest.
"""

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from progresonet.model_fields import acting_user_field


def mask_account_number(number: str) -> str:
    """The guide's mask: only the last three digits of an account number are shown
    ("X000X-136"), wherever the portal names an account."""
    return f"X000X-{number[-3:]}"


class Currency(models.TextChoices):
    BOB = "BOB", _("Bolivianos")
    USD = "USD", _("US dollars")


def money_field(verbose_name, **options) -> models.DecimalField:
    """An amount of money, signed or not: 18 digits with cents, the precision every balance,
    line, transfer and loan amount shares (``Decimal``, rounded by the services)."""
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=2, **options)


def currency_field(verbose_name=None, **options) -> models.CharField:
    """Which of the cooperative's currencies an amount is in (its ISO code); named "currency"
    unless the model says which one it is ("transfer currency")."""
    return models.CharField(
        verbose_name or _("currency"), max_length=3, choices=Currency.choices, **options
    )


class Account(models.Model):
    class Kind(models.TextChoices):
        MEMBER = "member", _("Member product")
        INTERNAL = "internal", _("Internal account")

    class ProductType(models.TextChoices):
        SAVINGS = "savings", _("Savings account")
        CHECKING = "checking", _("Checking account")
        INTERNAL = "internal", _("Internal")

    class HolderMode(models.TextChoices):
        # "Individual": one holder. "Alterna": any holder may operate alone.
        # "Conjunta": every holder must sign each debit.
        INDIVIDUAL = "individual", _("Individual")
        ALTERNA = "alterna", _("Alternate")
        CONJUNTA = "conjunta", _("Joint")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        BLOCKED = "blocked", pgettext_lazy("account status", "Blocked")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    product_type = models.CharField(_("product type"), max_length=10, choices=ProductType.choices)
    holder_mode = models.CharField(
        _("holder mode"), max_length=10, choices=HolderMode.choices, blank=True
    )
    currency = currency_field()
    name = models.CharField(_("name"), max_length=120, blank=True)
    # Internal accounts are looked up by code (e.g. "VAULT"); member products leave it empty.
    code = models.CharField(_("code"), max_length=40, blank=True)
    balance = money_field(_("balance"), default=Decimal("0.00"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    holders = models.ManyToManyField(
        "accounts.Member", through="Holder", related_name="ledger_accounts", blank=True
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        permissions = [("post_cash", _("Can post cash deposits and withdrawals at the branch"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="internal") | models.Q(balance__gte=0),
                name="account_member_balance_not_negative",
            ),
            models.UniqueConstraint(
                fields=["code", "currency"],
                condition=models.Q(kind="internal"),
                name="account_internal_code_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="internal", product_type="internal", holder_mode="")
                    | (
                        models.Q(kind="member")
                        & ~models.Q(product_type="internal")
                        & ~models.Q(holder_mode="")
                    )
                ),
                name="account_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_product_type_display()} {self.currency}"

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.number)


class Holder(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        CO_OWNER = "co_owner", _("Co-owner")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="holder_links")
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.PROTECT, related_name="holder_links"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OWNER)

    class Meta:
        verbose_name = _("holder")
        verbose_name_plural = _("holders")
        constraints = [
            models.UniqueConstraint(fields=["account", "member"], name="holder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.account.number}"


class Posting(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Cash deposit")
        WITHDRAWAL = "withdrawal", _("Cash withdrawal")
        TRANSFER = "transfer", _("Transfer")
        FEE = "fee", _("Fee")
        LOAN = "loan", _("Loan")
        REVERSAL = "reversal", _("Reversal")
        ADJUSTMENT = "adjustment", _("Adjustment")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    booked_at = models.DateTimeField(_("booked at"), db_index=True)
    # A client-supplied key makes a retried submit post once; the database enforces it.
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_by = acting_user_field()
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")

    def __str__(self) -> str:
        return f"#{self.pk} {self.description}"


class PostingLine(models.Model):
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="lines")
    # No index of its own: line_account_id_desc and line_account_booked below both start with
    # the account, and serve every lookup by account (and the FK's checks). A fifth index
    # written by every line of every posting was pure cost (issue 13, bench/ledger.py).
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    amount = money_field(_("amount"))
    # Denormalised from the account so the per-currency balance check needs no join.
    currency = currency_field()
    balance_after = money_field(_("balance after"))
    booked_at = models.DateTimeField(_("booked at"))
    description = models.CharField(_("description"), max_length=200)

    class Meta:
        verbose_name = _("posting line")
        verbose_name_plural = _("posting lines")
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="line_amount_not_zero"),
        ]
        indexes = [
            # Statement pages walk one account newest-first by id (keyset pagination).
            models.Index(fields=["account", "-id"], name="line_account_id_desc"),
            models.Index(fields=["account", "booked_at"], name="line_account_booked"),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.amount}"


class ExchangeRate(models.Model):
    """Official rates published for a date; append-only (see :mod:`ledger.rates`).

    The rate in force on a date is the newest *approved* row whose ``valid_from`` has arrived
    (ties: the latest ``published_at``). A correction is a new row, never an edit: the database
    refuses UPDATE and DELETE, except the one move of a pending proposal to approved or
    rejected. A proposal more than ``EXCHANGE_RATE_APPROVAL_THRESHOLD`` away from the rate in
    force waits, not in force, for a second staff member (never its proposer) to approve it.
    Rows created by code without a proposer (the seed, tests) are in force at once.
    """

    class RateType(models.TextChoices):
        OFFICIAL_BUY = "official_buy", _("Official buy")
        OFFICIAL_SELL = "official_sell", _("Official sell")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a second approval")
        APPROVED = "approved", _("In force")
        REJECTED = "rejected", pgettext_lazy("exchange rate", "Rejected")

    currency = currency_field(default=Currency.USD)
    rate_type = models.CharField(_("rate type"), max_length=20, choices=RateType.choices)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate (BOB per unit)"), max_digits=10, decimal_places=4)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.APPROVED
    )
    proposed_by = acting_user_field(_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    reviewed_by = acting_user_field(_("approved or rejected by"))
    reviewed_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    # When the row came into force (creation, or the second approval); null while not in force.
    published_at = models.DateTimeField(
        _("in force since"), null=True, blank=True, default=timezone.now
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        permissions = [
            (
                "approve_exchangerate",
                _("Can approve an exchange rate another staff member proposed"),
            )
        ]
        indexes = [
            models.Index(
                fields=["currency", "rate_type", "-valid_from", "-published_at"],
                name="exchange_rate_in_force",
                condition=models.Q(status="approved"),
            )
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status="pending",
                        published_at__isnull=True,
                        reviewed_by__isnull=True,
                        reviewed_at__isnull=True,
                        proposed_by__isnull=False,
                    )
                    | models.Q(status="approved", published_at__isnull=False)
                    | models.Q(
                        status="rejected",
                        published_at__isnull=True,
                        reviewed_by__isnull=False,
                        reviewed_at__isnull=False,
                    )
                ),
                name="exchange_rate_status_shape",
            ),
            # Four eyes: whoever approves (or rejects) a proposal is not who proposed it.
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True)
                | (
                    models.Q(proposed_by__isnull=False)
                    & ~models.Q(reviewed_by=models.F("proposed_by"))
                ),
                name="exchange_rate_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.get_rate_type_display()} {self.valid_from}: {self.rate}"
