"""The transfer receipt ("comprobante") as a PDF, drawn with reportlab."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from ledger.money import format_money, format_number

from .models import Transfer


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
            f"X000X-{transfer.destination_number[-3:]}"
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
    rows.append((_("Description"), transfer.description))
    return rows


def receipt_pdf(transfer: Transfer) -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5)
    pdf.setTitle(f"Comprobante {transfer.verification_code}")
    width, height = A5
    y = height - 18 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(12 * mm, y, "Cooperativa de Ahorro y Crédito Abierta Progreso R.L.")
    y -= 7 * mm
    pdf.setFont("Helvetica", 10)
    pdf.drawString(12 * mm, y, _("Transfer receipt"))
    y -= 10 * mm
    for label, value in receipt_rows(transfer):
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(12 * mm, y, f"{label}:")
        pdf.setFont("Helvetica", 9)
        pdf.drawString(58 * mm, y, str(value)[:60])
        y -= 6 * mm
    y -= 6 * mm
    pdf.setFont("Helvetica-Oblique", 8)
    pdf.drawString(
        12 * mm,
        y,
        _("Verification code: %(code)s — check it at any branch.")
        % {"code": transfer.verification_code},
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
