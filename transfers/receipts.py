"""The transfer receipt ("comprobante") as a PDF, drawn with reportlab."""

from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import mask_account_number
from ledger.money import format_money, format_number
from ledger.receipt_pdf import ReceiptPdf

from .models import Transfer
from .quotes import effective_rate


def receipt_rows(transfer: Transfer) -> list[tuple[str, str]]:
    """The receipt's lines, shared by the HTML page and the PDF."""
    source_currency = transfer.source_account.currency
    if transfer.destination_account_id and transfer.transfer_type == "own":
        # Between the member's own accounts: both numbers are theirs, shown in full.
        destination = transfer.destination_account.number
    elif transfer.destination_account_id:
        destination = transfer.destination_account.masked_number
        if transfer.destination_name:  # a third party's masked holder name, never the full one
            destination = f"{transfer.destination_name} {destination}"
    else:
        destination = (
            f"{transfer.destination_bank} — {transfer.destination_name} "
            f"{mask_account_number(transfer.destination_number)}"
        )
    rows = [
        (_("Receipt number"), transfer.verification_code),
        (_("Date and time"), timezone.localtime(transfer.created_at).strftime("%d/%m/%Y %H:%M:%S")),
        (_("Transfer type"), str(transfer.get_transfer_type_display())),
        (_("Status"), str(transfer.get_status_display())),
        # The source is always the member's own (or joint) account: in full.
        (_("Source account"), transfer.source_account.number),
        (_("Destination account"), destination),
        (_("Amount to debit"), format_money(transfer.debit_amount, source_currency)),
        (
            _("Amount to credit"),
            format_money(transfer.credit_amount, transfer.destination_currency),
        ),
        (_("Transaction cost"), format_money(transfer.fee_amount, source_currency)),
        (
            _("Total to debit"),
            format_money(transfer.debit_amount + transfer.fee_amount, source_currency),
        ),
    ]
    if transfer.exchange_rate:
        rows.append((_("Exchange rate"), format_number(transfer.exchange_rate, 2)))
        # What the member actually paid per dollar once both legs were rounded to the cent
        # against them, as step 4 showed it before they signed; shown even when it equals the
        # official rate, so the receipt always says which rate the money moved at.
        applied = effective_rate(
            debit=transfer.debit_amount,
            credit=transfer.credit_amount,
            source_currency=source_currency,
        )
        rows.append(
            (_("Effective exchange rate (after rounding to the cent)"), format_number(applied, 4))
        )
    rows.append((_("Description"), transfer.description))
    return rows


def receipt_pdf(transfer: Transfer) -> bytes:
    receipt = ReceiptPdf(
        title=f"Comprobante {transfer.verification_code}", heading=_("Transfer receipt")
    )
    receipt.rows(receipt_rows(transfer))
    return receipt.finish(verification_code=transfer.verification_code)
