"""The loan-payment receipt ("comprobante de pago") as a PDF, drawn with reportlab the way
transfers' receipts are (``transfers/receipts.py``): the same lines as the HTML page, and the
verification code a branch looks the payment up by."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from ledger.money import format_money

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
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5)
    pdf.setTitle(f"Comprobante {payment.receipt_number}")
    _width, height = A5
    y = height - 18 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(12 * mm, y, "Cooperativa de Ahorro y Crédito Abierta Progreso R.L.")
    y -= 7 * mm
    pdf.setFont("Helvetica", 10)
    pdf.drawString(12 * mm, y, _("Loan payment receipt"))
    y -= 10 * mm
    for label, value in payment_receipt_rows(payment):
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(12 * mm, y, f"{label}:")
        pdf.setFont("Helvetica", 9)
        pdf.drawString(58 * mm, y, str(value)[:60])
        y -= 6 * mm
    y -= 4 * mm
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(12 * mm, y, _("Instalments covered"))
    y -= 6 * mm
    pdf.setFont("Helvetica", 9)
    for allocation in payment.allocations.select_related("instalment").order_by(
        "instalment__number"
    ):
        instalment = allocation.instalment
        pdf.drawString(
            12 * mm,
            y,
            f"{_('Instalment')} {instalment.number} — {instalment.due_date:%d/%m/%Y} — "
            f"{format_money(allocation.total, payment.loan.currency)}",
        )
        y -= 5 * mm
        if y < 20 * mm:
            pdf.showPage()
            y = height - 18 * mm
            pdf.setFont("Helvetica", 9)
    y -= 6 * mm
    pdf.setFont("Helvetica-Oblique", 8)
    pdf.drawString(
        12 * mm,
        y,
        _("Verification code: %(code)s — check it at any branch.")
        % {"code": payment.verification_code},
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
