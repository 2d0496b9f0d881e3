"""Loan statement downloads: CSV (for spreadsheets) and PDF (reportlab, for printing)."""

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ledger.money import format_amount, format_money

from .models import Loan
from .selectors import LoanSummary, StatementEntry


def _filename(loan: Loan, extension: str) -> str:
    return f"extracto-{loan.number}.{extension}"


def statement_csv(*, loan: Loan, entries: list[StatementEntry]) -> HttpResponse:
    """Semicolon-separated with decimal commas, as Spanish-locale spreadsheets read them."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(loan, "csv")}"'
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


def statement_pdf(
    *, loan: Loan, summary: LoanSummary, entries: list[StatementEntry]
) -> HttpResponse:
    """Conditions, the statement and the payment schedule on A4 landscape pages."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{_('Statement')} {loan.number}",
        author="Cooperativa de Ahorro y Crédito Abierta Progreso R.L.",
    )
    styles = getSampleStyleSheet()
    currency = loan.currency
    story = [
        Paragraph("Cooperativa de Ahorro y Crédito Abierta Progreso R.L.", styles["Title"]),
        Paragraph(f"{_('Statement')} — {loan.number} {loan.product_name}", styles["Heading2"]),
        Paragraph(
            _(
                "Principal %(principal)s, annual rate %(rate)s %%, %(term)s instalments, disbursed "
                "on %(date)s."
            )
            % {
                "principal": format_money(loan.principal, currency),
                "rate": loan.annual_rate.normalize(),
                "term": loan.term,
                "date": loan.disbursement_date.strftime("%d/%m/%Y"),
            },
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [
        [
            _("Date"),
            _("Concept"),
            _("Principal"),
            _("Interest"),
            _("Penalty interest"),
            _("Total"),
            _("Outstanding principal"),
        ]
    ]
    rows += [
        [
            e.day.strftime("%d/%m/%Y"),
            f"{e.concept} {e.reference}".strip(),
            format_money(e.principal, currency),
            format_money(e.interest, currency),
            format_money(e.penalty, currency),
            format_money(e.total, currency),
            format_money(e.balance, currency),
        ]
        for e in entries
    ]
    story += [_table(rows), Spacer(1, 8 * mm)]
    story.append(Paragraph(_("Payment schedule"), styles["Heading2"]))
    schedule = [
        [
            _("Instalment"),
            _("Due date"),
            _("Principal"),
            _("Interest"),
            _("Instalment amount"),
            _("Outstanding balance"),
            _("Penalty interest"),
            _("Status"),
        ]
    ]
    schedule += [
        [
            str(line.instalment.number),
            line.instalment.due_date.strftime("%d/%m/%Y"),
            format_money(line.instalment.principal, currency),
            format_money(line.instalment.interest, currency),
            format_money(line.instalment.amount, currency),
            format_money(line.instalment.balance_after, currency),
            format_money(line.penalty, currency),
            line.status_label,
        ]
        for line in summary.lines
    ]
    story.append(_table(schedule))
    doc.build(story)
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(loan, "pdf")}"'
    return response


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
