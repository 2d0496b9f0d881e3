"""Loan statement downloads: CSV (for spreadsheets) and PDF (reportlab, for printing)."""

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from ledger.money import format_amount, format_money
from ledger.statements import COOPERATIVE_NAME, pdf_document
from progresonet.downloads import attachment, pdf_download

from .models import Loan
from .selectors import LoanSummary, StatementEntry


def _filename(loan: Loan, extension: str) -> str:
    return f"extracto-{loan.number}.{extension}"


def statement_csv(*, loan: Loan, entries: list[StatementEntry]) -> HttpResponse:
    """Semicolon-separated with decimal commas, as Spanish-locale spreadsheets read them."""
    response = attachment(
        HttpResponse(content_type="text/csv; charset=utf-8"), _filename(loan, "csv")
    )
    response.write("\ufeff")  # BOM: spreadsheet programs then read the file as UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _("Date"),
            _("Concept"),
            _("Reference"),
            _("Principal"),
            _("Interest"),
            _("Penalty interest"),
            _("Total"),
            _("Outstanding principal"),
            _("Currency"),
        ]
    )
    for entry in entries:
        writer.writerow(
            [
                entry.day.strftime("%d/%m/%Y"),
                entry.concept,
                entry.reference,
                format_amount(entry.principal),
                format_amount(entry.interest),
                format_amount(entry.penalty),
                format_amount(entry.total),
                format_amount(entry.balance),
                loan.currency,
            ]
        )
    return response


def _conditions(loan: Loan, styles) -> list:
    """The title and the loan's conditions as it was disbursed."""
    return [
        Paragraph(COOPERATIVE_NAME, styles["Title"]),
        Paragraph(f"{_('Statement')} — {loan.number} {loan.product_name}", styles["Heading2"]),
        Paragraph(
            _(
                "Principal %(principal)s, annual rate %(rate)s %%, %(term)s instalments, disbursed "
                "on %(date)s."
            )
            % {
                "principal": format_money(loan.principal, loan.currency),
                "rate": loan.annual_rate.normalize(),
                "term": loan.term,
                "date": loan.disbursement_date.strftime("%d/%m/%Y"),
            },
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]


def _statement_table(entries: list[StatementEntry], currency: str) -> Table:
    """The statement: every disbursement, payment and penalty, with the principal left."""
    header = [
        _("Date"),
        _("Concept"),
        _("Principal"),
        _("Interest"),
        _("Penalty interest"),
        _("Total"),
        _("Outstanding principal"),
    ]
    return _table(
        [header]
        + [
            [
                e.day.strftime("%d/%m/%Y"),
                f"{e.concept} {e.reference}".strip(),
                *(
                    format_money(amount, currency)
                    for amount in (e.principal, e.interest, e.penalty, e.total, e.balance)
                ),
            ]
            for e in entries
        ]
    )


def _schedule_table(summary: LoanSummary, currency: str) -> Table:
    """The payment schedule: every instalment, its amounts and its status today."""
    header = [
        _("Instalment"),
        _("Due date"),
        _("Principal"),
        _("Interest"),
        _("Instalment amount"),
        _("Outstanding balance"),
        _("Penalty interest"),
        _("Status"),
    ]
    rows = []
    for line in summary.lines:
        due = line.instalment
        amounts = (due.principal, due.interest, due.amount, due.balance_after, line.penalty)
        rows.append(
            [
                str(due.number),
                due.due_date.strftime("%d/%m/%Y"),
                *(format_money(amount, currency) for amount in amounts),
                line.status_label,
            ]
        )
    return _table([header, *rows])


def statement_pdf(
    *, loan: Loan, summary: LoanSummary, entries: list[StatementEntry]
) -> HttpResponse:
    """Conditions, the statement and the payment schedule on A4 landscape pages."""
    styles = getSampleStyleSheet()
    story = [
        *_conditions(loan, styles),
        _statement_table(entries, loan.currency),
        Spacer(1, 8 * mm),
        Paragraph(_("Payment schedule"), styles["Heading2"]),
        _schedule_table(summary, loan.currency),
    ]
    buffer = io.BytesIO()
    pdf_document(buffer, title=f"{_('Statement')} {loan.number}", pagesize=landscape(A4)).build(
        story
    )
    return pdf_download(buffer.getvalue(), _filename(loan, "pdf"))


def _table(rows: list[list[str]]) -> Table:
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef5")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table
