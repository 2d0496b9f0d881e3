"""The transfer summary a member signs: one builder for the wizard's step 4 and for the
co-signature page of a joint ("conjunta") account.

The initiator signs :func:`transfer_summary` built from the quote; a co-holder signs the same
rows rebuilt from the stored :class:`~transfers.models.Transfer` by :func:`stored_summary`,
plus the fingerprint the initiator signed (``Transfer.signed_fingerprint``). So a co-holder
sees the payee (name, bank, number), the amounts debited and credited, the exchange rate, the
fee, the total, the description and the declarations, exactly as the initiator saw them, and
both signatures bind the same order.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from beneficiaries.selectors import account_holder_masked_name
from ledger.models import Account, mask_account_number
from ledger.money import format_money

from .models import Transfer, TransferType


def _rate(rate: Decimal | None) -> str:
    return f"{rate:.2f}".replace(".", ",") if rate else ""


def transfer_summary(
    *,
    transfer_type: str,
    source_label: str,
    destination_label: str,
    bank_name: str = "",
    register_alias: str = "",
    source_currency: str,
    destination_currency: str,
    debit_amount: Decimal,
    credit_amount: Decimal,
    fee_amount: Decimal,
    exchange_rate: Decimal | None,
    description: str,
    exceeds_threshold: bool,
    funds_origin: str = "",
    funds_destination: str = "",
) -> dict[str, str]:
    """Exactly what the member signs (and what the audit row keeps), in display order."""
    rows = {
        _("Transfer type"): str(TransferType(transfer_type).label),
        _("Source account"): source_label,
        _("Destination account"): destination_label,
    }
    if bank_name:
        rows[_("Bank")] = bank_name
    if register_alias:
        rows[_("Register as")] = register_alias
    rows[_("Amount to debit")] = format_money(debit_amount, source_currency)
    rows[_("Amount to credit")] = format_money(credit_amount, destination_currency)
    if exchange_rate:
        rows[_("Exchange rate")] = _rate(exchange_rate)
    rows[_("Transaction cost")] = format_money(fee_amount, source_currency)
    rows[_("Total to debit")] = format_money(debit_amount + fee_amount, source_currency)
    rows[_("Description")] = description
    rows[_("Exceeds regulatory amount")] = _("Yes") if exceeds_threshold else _("No")
    if exceeds_threshold or funds_origin or funds_destination:
        rows[_("Origin of funds")] = funds_origin
        rows[_("Destination of funds")] = funds_destination
    return rows


def own_account_label(account: Account) -> str:
    """One of the member's own (or joint) accounts as step 4 and the receipt show it: in full
    (the guide: a member sees their own account numbers; other people's stay masked)."""
    return f"{account.get_product_type_display()} {account.number}"


def stored_destination_label(transfer: Transfer) -> str:
    """The destination as the wizard labelled it at step 4, from the transfer's snapshot."""
    product = transfer.beneficiary
    if product is not None:
        return f"{product.alias} — {product.holder_name} {product.masked_number}"
    account = transfer.destination_account
    if transfer.transfer_type == TransferType.OWN and account is not None:
        return own_account_label(account)
    if account is not None:  # a third party's account typed by number: its masked holder
        name = transfer.destination_name or account_holder_masked_name(account)
        return f"{name} {account.masked_number}".strip()
    return f"{transfer.destination_name} {mask_account_number(transfer.destination_number)}".strip()


def stored_summary(transfer: Transfer) -> dict[str, str]:
    """:func:`transfer_summary` of a stored transfer (the co-signature page)."""
    source = transfer.source_account
    return transfer_summary(
        transfer_type=transfer.transfer_type,
        source_label=own_account_label(source),
        destination_label=stored_destination_label(transfer),
        bank_name=transfer.destination_bank.name if transfer.destination_bank_id else "",
        source_currency=source.currency,
        destination_currency=transfer.destination_currency,
        debit_amount=transfer.debit_amount,
        credit_amount=transfer.credit_amount,
        fee_amount=transfer.fee_amount,
        exchange_rate=transfer.exchange_rate,
        description=transfer.description,
        exceeds_threshold=transfer.exceeds_threshold,
        funds_origin=transfer.funds_origin,
        funds_destination=transfer.funds_destination,
    )


def cosign_summary(transfer: Transfer, *, approve: bool) -> dict[str, str]:
    """What a co-holder signs: the initiator's rows, the decision, and the fingerprint the
    initiator signed, so both signatures cover the same order."""
    return {
        _("Co-signature"): transfer.verification_code,
        _("Decision"): _("Sign") if approve else _("Decline"),
        **stored_summary(transfer),
        _("Signed order fingerprint"): transfer.signed_fingerprint,
    }
