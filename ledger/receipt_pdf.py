"""The one layout of a receipt PDF ("Comprobante"): the cooperative's name, the document's
title, label/value rows and the verification code at the foot. Transfers and loan payments
draw their own rows through it, so both receipts read the same on paper."""

from collections.abc import Iterable
from io import BytesIO

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from ledger.statements import COOPERATIVE_NAME

LEFT = 12 * mm
VALUE_AT = 58 * mm


class ReceiptPdf:
    """An A5 receipt being drawn top to bottom; ``y`` is where the next line goes."""

    def __init__(self, *, title: str, heading: str) -> None:
        self.buffer = BytesIO()
        self.pdf = canvas.Canvas(self.buffer, pagesize=A5)
        self.pdf.setTitle(title)
        self.height = A5[1]
        self.y = self.height - 18 * mm
        self.pdf.setFont("Helvetica-Bold", 12)
        self.pdf.drawString(LEFT, self.y, COOPERATIVE_NAME)
        self.y -= 7 * mm
        self.pdf.setFont("Helvetica", 10)
        self.pdf.drawString(LEFT, self.y, heading)
        self.y -= 10 * mm

    def rows(self, rows: Iterable[tuple[str, object]]) -> None:
        for label, value in rows:
            self.pdf.setFont("Helvetica-Bold", 9)
            self.pdf.drawString(LEFT, self.y, f"{label}:")
            if LEFT + self.pdf.stringWidth(f"{label}:", "Helvetica-Bold", 9) > VALUE_AT - 2 * mm:
                # A label longer than its column ("Tipo de cambio efectivo (con el redondeo
                # al centavo)") would run under the value: the value goes on the next line.
                self.y -= 5 * mm
            self.pdf.setFont("Helvetica", 9)
            self.pdf.drawString(VALUE_AT, self.y, str(value)[:60])
            self.y -= 6 * mm

    def line(self, text: str, *, step: float = 5 * mm) -> None:
        """One line of small text, starting a new page when this one is full."""
        self.pdf.drawString(LEFT, self.y, text)
        self.y -= step
        if self.y < 20 * mm:
            self.pdf.showPage()
            self.y = self.height - 18 * mm
            self.pdf.setFont("Helvetica", 9)

    def finish(self, *, verification_code: str) -> bytes:
        self.y -= 6 * mm
        self.pdf.setFont("Helvetica-Oblique", 8)
        self.pdf.drawString(
            LEFT,
            self.y,
            _("Verification code: %(code)s — check it at any branch.")
            % {"code": verification_code},
        )
        self.pdf.showPage()
        self.pdf.save()
        return self.buffer.getvalue()
