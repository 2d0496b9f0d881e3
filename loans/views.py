"""Member pages: loans, debt inquiry, loan detail with schedule and statement, paying.

The payment flow has two steps and keeps its draft in the session:
1. ``pay``: choose the instalments (or an amount, or the early full payoff) and the source
   account; the form validates the selection against today's figures.
2. ``pay_confirm``: the breakdown (penalty, interest, principal) and the signature. Showing it
   stores the signed summary and the breakdown's fingerprint in the draft; its POST
   ("Confirmar") carries the PIN and the idempotency key minted for this page, signs exactly
   the stored summary, and :func:`loans.services.loan_pay` recomputes under the loan's lock
   and refuses if the fingerprint differs ("the amount changed, review again": the page shows
   the new figures to sign). Then it redirects to the receipt. A second
   submit of the same page finds the payment by its key and shows the same receipt.
"""

import re
import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.signing import KeyedSignatureForm, signature_prepare
from audit.services import client_ip
from ledger.models import Account
from ledger.money import format_money
from progresonet.downloads import pdf_download

from . import exports, receipts, selectors, services
from .events import LoanPurpose
from .exceptions import LoanError, PaymentAlreadyProcessed
from .forms import PaymentForm
from .models import Loan, LoanPayment

DRAFT_KEY = "loan_payment_draft"


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    summaries = [
        selectors.loan_summary(loan=loan, as_of=today)
        for loan in selectors.member_loans(member_id=request.user.member_id)
    ]
    return render(request, "loans/list.html", {"summaries": summaries, "today": today})


@login_required
def debts(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    debt = selectors.member_debts(member_id=request.user.member_id, as_of=today)
    return render(request, "loans/debts.html", {"debt": debt, "today": today})


@login_required
def loan_detail(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.member_loan_get(member_id=request.user.member_id, loan_id=loan_id)
    today = timezone.localdate()
    context = {
        "loan": loan,
        "summary": selectors.loan_summary(loan=loan, as_of=today),
        "statement": selectors.loan_statement(loan=loan),
        "today": today,
    }
    return render(request, "loans/detail.html", context)


@login_required
def statement_csv(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.member_loan_get(member_id=request.user.member_id, loan_id=loan_id)
    return exports.statement_csv(loan=loan, entries=selectors.loan_statement(loan=loan))


@login_required
def statement_pdf(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.member_loan_get(member_id=request.user.member_id, loan_id=loan_id)
    summary = selectors.loan_summary(loan=loan, as_of=timezone.localdate())
    return exports.statement_pdf(
        loan=loan, summary=summary, entries=selectors.loan_statement(loan=loan)
    )


def _payment_form(request: HttpRequest, loan, data=None) -> PaymentForm:
    summary = selectors.loan_summary(loan=loan, as_of=timezone.localdate())
    accounts = selectors.payment_source_accounts(
        member_id=request.user.member_id, currency=loan.currency
    )
    return PaymentForm(data, summary=summary, accounts=accounts)


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.member_loan_get(member_id=request.user.member_id, loan_id=loan_id)
    if loan.status != Loan.Status.ACTIVE:
        messages.info(request, _("This loan is already paid off."))
        return redirect("loans:detail", loan_id=loan.pk)
    if request.method == "POST":
        form = _payment_form(request, loan, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            request.session[DRAFT_KEY] = {
                "loan_id": loan.pk,
                "kind": data["kind"],
                "instalment_ids": form.selection.get("instalment_ids"),
                "amount": str(data["amount"]) if "amount" in form.selection else None,
                "source_account_id": data["source_account"],
                # Minted once per draft: a resubmitted confirmation carries the same key.
                "key": uuid.uuid4().hex,
            }
            return redirect("loans:pay_confirm", loan_id=loan.pk)
    else:
        form = _payment_form(request, loan)
    return render(request, "loans/pay.html", {"loan": loan, "form": form})


# The idempotency key a confirmation page carries: minted as uuid4().hex (pay_view).
PAGE_KEY_RE = re.compile(r"[0-9a-f]{32}")


def _draft_selection(draft: dict) -> dict:
    if draft["kind"] == LoanPayment.Kind.PAYOFF:
        return {"payoff": True}
    if draft["kind"] == LoanPayment.Kind.AMOUNT:
        try:
            return {"amount": Decimal(draft["amount"])}
        except (InvalidOperation, TypeError):
            return {"amount": Decimal("NaN")}
    return {"instalment_ids": draft["instalment_ids"] or []}


@login_required
@require_http_methods(["GET", "POST"])
def pay_confirm(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.member_loan_get(member_id=request.user.member_id, loan_id=loan_id)
    if request.method == "POST":
        # A second submit of an already-paid page: show the first payment's receipt. Only a
        # key this page could have carried is looked up (a NUL byte in the raw POST reached
        # PostgreSQL as a 500: found by the full-size form fuzz).
        key = request.POST.get("idempotency_key", "")
        done = (
            LoanPayment.objects.filter(loan=loan, idempotency_key=key).first()
            if PAGE_KEY_RE.fullmatch(key)
            else None
        )
        if done is not None:
            messages.info(request, _("This payment was already processed."))
            return redirect("loans:receipt", payment_id=done.pk)
    draft = request.session.get(DRAFT_KEY)
    if not draft or draft.get("loan_id") != loan.pk:
        messages.error(request, _("Choose the instalments to pay first."))
        return redirect("loans:pay", loan_id=loan.pk)
    source = Account.objects.filter(pk=draft["source_account_id"], kind=Account.Kind.MEMBER).first()
    summary = selectors.loan_summary(loan=loan, as_of=timezone.localdate())
    selection = _draft_selection(draft)
    try:
        breakdown = selectors.payment_breakdown(summary=summary, **selection)
    except LoanError as exc:
        messages.error(request, exc.message)
        return redirect("loans:pay", loan_id=loan.pk)
    if source is None:
        messages.error(request, _("You cannot pay from that account."))
        return redirect("loans:pay", loan_id=loan.pk)
    signed = {
        _("Loan"): f"{loan.number} {loan.product_name}",
        _("Source account"): source.number,
        _("Amount"): format_money(breakdown.total, loan.currency),
    }
    if request.method == "POST" and "cancel" in request.POST:
        request.session.pop(DRAFT_KEY, None)
        return redirect("loans:detail", loan_id=loan.pk)
    form = KeyedSignatureForm(
        request.POST if request.method == "POST" else None,
        initial={"idempotency_key": draft["key"]},
        user=request.user,
    )
    if request.method == "GET":
        signature_prepare(user=request.user)
    shown = draft.get("shown")
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["idempotency_key"] != draft["key"] or not shown:
            form.add_error(None, _("This confirmation page has expired. Please start again."))
        # Outside any transaction: a wrong-PIN strike must commit even though nothing is paid.
        # The member signs what the page showed, not figures recomputed now; the receipt binds
        # the shown breakdown's fingerprint, which loan_pay compares under the loan's lock.
        elif (
            receipt := form.sign(
                summary=shown["summary"],
                purpose=LoanPurpose.PAY,
                fingerprint=services.loan_pay_fingerprint(
                    loan_id=loan.pk,
                    source_account_id=source.pk,
                    expected_fingerprint=shown["fingerprint"],
                    **selection,
                ),
                ip_address=client_ip(request),
            )
        ) is None:
            pass  # the signing component put the reason on the form; show the page again
        else:
            try:
                payment = services.loan_pay(
                    user=request.user,
                    loan=loan,
                    source_account=source,
                    idempotency_key=draft["key"],
                    expected_fingerprint=shown["fingerprint"],
                    signature=receipt,
                    ip_address=client_ip(request),
                    **selection,
                )
            except PaymentAlreadyProcessed as exc:
                request.session.pop(DRAFT_KEY, None)
                messages.info(request, exc.message)
                if exc.payment is not None:
                    return redirect("loans:receipt", payment_id=exc.payment.pk)
                return redirect("loans:detail", loan_id=loan.pk)
            except LoanError as exc:
                form.add_error(None, exc.message)
            else:
                request.session.pop(DRAFT_KEY, None)
                return redirect("loans:receipt", payment_id=payment.pk)
    # What this page shows is what its "Confirmar" signs and pays, or is refused as changed
    # (penalty accrued overnight, a payment made elsewhere): the transfer wizard's rule.
    draft["shown"] = {
        "summary": signed,
        "fingerprint": selectors.payment_fingerprint(
            loan=loan, source_account_id=source.pk, breakdown=breakdown
        ),
    }
    request.session[DRAFT_KEY] = draft
    context = {
        "loan": loan,
        "source": source,
        "breakdown": breakdown,
        "summary": summary,
        "form": form,
        "kind_label": dict(LoanPayment.Kind.choices)[draft["kind"]],
    }
    return render(request, "loans/pay_confirm.html", context)


@login_required
def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = selectors.member_payment_get(member_id=request.user.member_id, payment_id=payment_id)
    allocations = payment.allocations.select_related("instalment")
    return render(
        request,
        "loans/receipt.html",
        {"payment": payment, "loan": payment.loan, "allocations": allocations},
    )


@login_required
def receipt_pdf(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = selectors.member_payment_get(member_id=request.user.member_id, payment_id=payment_id)
    return pdf_download(
        receipts.payment_receipt_pdf(payment), f"comprobante-{payment.receipt_number}.pdf"
    )
