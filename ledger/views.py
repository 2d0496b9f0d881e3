"""Member pages of "Mis cuentas": the accounts summary, an account's statement, downloads.

Every account view resolves the account through ``member_account_get`` first, so a foreign or
unknown id is a 404 before any movement is read. Bad filter input (dates, page cursor) re-renders
the statement page with the errors and status 400; nothing here can turn input into a 500.
"""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from progresonet.downloads import attachment

from . import selectors, statements
from .forms import StatementFilterForm
from .models import Account


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    accounts = selectors.member_accounts_list(member_id=request.user.member_id)
    return render(request, "ledger/dashboard.html", {"accounts": accounts})


def _account(request: HttpRequest, account_id: int) -> Account:
    return selectors.member_account_get(member_id=request.user.member_id, account_id=account_id)


def _detail_page(
    request: HttpRequest, account: Account, form: StatementFilterForm, status: int = 200, **extra
) -> HttpResponse:
    """The statement page: the account, its share text and the filter form, plus ``extra``."""
    context = {
        "account": account,
        "share_text": selectors.account_share_text(account=account),
        "form": form,
        **extra,
    }
    return render(request, "ledger/account_detail.html", context, status=status)


def _statement_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every statement view starts here: a logged-in user's own account (404 otherwise) and a
    valid filter form are handed to ``view``. A bad filter gets the statement page with the
    form's errors (400): the member sees what to fix, and no data is read with input that
    failed validation."""

    @wraps(view)
    def wrapper(request: HttpRequest, account_id: int) -> HttpResponse:
        account = _account(request, account_id)
        form = StatementFilterForm(request.GET)
        if not form.is_valid():
            return _detail_page(request, account, form, status=400, page=None)
        return view(request, account, form)

    return login_required(wrapper)


@_statement_view
def account_detail(
    request: HttpRequest, account: Account, form: StatementFilterForm
) -> HttpResponse:
    data = form.cleaned_data
    page = selectors.statement_page(
        account=account,
        date_from=data["date_from"],
        date_to=data["date_to"],
        before_id=data["before"],
    )
    filter_params = form.filter_params()
    older_query = (
        urlencode({**filter_params, "before": page.next_cursor}) if page.next_cursor else ""
    )
    return _detail_page(
        request,
        account,
        form,
        page=page,
        rows=statements.statement_rows(account=account, lines=page.lines),
        filter_query=urlencode(filter_params),
        older_query=older_query,
        is_first_page=data["before"] is None,
    )


@_statement_view
def account_statement_csv(
    request: HttpRequest, account: Account, form: StatementFilterForm
) -> HttpResponse:
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    # iterator() reads the movements in chunks through a server-side cursor, so a long
    # history streams in constant memory instead of being loaded whole.
    lines = selectors.statement_lines_iter(
        account=account, date_from=date_from, date_to=date_to
    ).iterator(chunk_size=statements.CSV_CHUNK)
    response = StreamingHttpResponse(
        statements.statement_csv_rows(account=account, lines=lines),
        content_type="text/csv; charset=utf-8",
    )
    period = statements.statement_period(account=account, date_from=date_from, date_to=date_to)
    filename = statements.statement_filename(account=account, period=period, extension="csv")
    return attachment(response, filename)


@_statement_view
def account_statement_pdf(
    request: HttpRequest, account: Account, form: StatementFilterForm
) -> HttpResponse:
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    lines = list(
        selectors.statement_lines_iter(account=account, date_from=date_from, date_to=date_to)[
            : statements.PDF_MAX_LINES + 1
        ]
    )
    if len(lines) > statements.PDF_MAX_LINES:
        messages.error(
            request,
            _(
                "The period has more than %(limit)s movements, too many for a PDF. "
                "Choose a shorter period or download the CSV file."
            )
            % {"limit": statements.PDF_MAX_LINES},
        )
        url = reverse("ledger:account_detail", args=[account.pk])
        query = urlencode(form.filter_params())
        return redirect(f"{url}?{query}" if query else url)
    period = statements.statement_period(
        account=account,
        date_from=date_from,
        date_to=date_to,
        first_booked=min((line.booked_at for line in lines), default=None),
    )
    totals = statements.statement_totals(
        lines=lines,
        opening_if_empty=selectors.balance_before(
            account=account, day=period.end + timedelta(days=1)
        ),
    )
    member = request.user.member
    pdf = statements.statement_pdf(
        account=account,
        member_name=member.display_name if member else request.user.get_full_name(),
        period=period,
        lines=lines,
        totals=totals,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = statements.statement_filename(account=account, period=period, extension="pdf")
    return attachment(response, filename)
