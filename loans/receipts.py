"""The loan-payment receipt ("comprobante de pago") as a PDF, drawn with reportlab the way
transfers' receipts are (``transfers/receipts.py``): the same lines as the HTML page, and the
verification code a branch looks the payment up by."""

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from ledger.money import format_money
from ledger.receipt_pdf import ReceiptPdf

from .models import LoanPayment


def payment_receipt_rows(payment: LoanPayment) -> list[tuple[str, str]]:
    """The receipt's lines, shared by the HTML page and the PDF."""
    loan = payment.loan
    currency = loan.currency
    return [
        (_("Receipt number"), payment.receipt_number),
        (_("Verification code"), payment.verification_code),
        (_("Loan"), f"{loan.number} {loan.product_name}"),
        (_("Payment date"), timezone.localtime(payment.paid_at).strftime("%d/%m/%Y %H:%M")),
        (_("Payment type"), str(payment.get_kind_display())),
        # The member's own account: in full.
        (_("Source account"), payment.source_account.number),
        (_("Penalty interest"), format_money(payment.penalty, currency)),
        (_("Interest"), format_money(payment.interest, currency)),
        (_("Principal"), format_money(payment.principal, currency)),
        (_("Total paid"), format_money(payment.total, currency)),
        (_("Outstanding principal"), format_money(payment.balance_after, currency)),
    ]


def payment_receipt_pdf(payment: LoanPayment) -> bytes:
    receipt = ReceiptPdf(
        title=f"Comprobante {payment.receipt_number}", heading=_("Loan payment receipt")
    )
    receipt.rows(payment_receipt_rows(payment))
    receipt.y -= 4 * mm
    receipt.pdf.setFont("Helvetica-Bold", 9)
    receipt.line(_("Instalments covered"), step=6 * mm)
    receipt.pdf.setFont("Helvetica", 9)
    for allocation in payment.allocations.select_related("instalment").order_by(
        "instalment__number"
    ):
        instalment = allocation.instalment
        receipt.line(
            f"{_('Instalment')} {instalment.number} — {instalment.due_date:%d/%m/%Y} — "
            f"{format_money(allocation.total, payment.loan.currency)}"
        )
    return receipt.finish(verification_code=payment.verification_code)
