"""The transfer wizards ("Paso N de 4"), receipts and co-signatures. Views stay thin: every
rule lives in :mod:`transfers.services`; signing goes through :mod:`accounts.signing`."""

import uuid
from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from formtools.wizard.views import SessionWizardView

from accounts.audit import client_ip
from accounts.signing import SignatureForm, signature_prepare
from ledger.money import format_money

from . import receipts, selectors
from .exceptions import StaleQuote, TransferError
from .forms import DataForm, OwnDestinationForm, SourceForm
from .models import TransferType
from .quotes import REGULATORY_THRESHOLD_USD, Quote, rolling_usd_total
from .services import TransferOrder, transfer_cosign, transfer_execute, transfer_prepare

STEP_TITLES = {
    "source": gettext_lazy("Step 1 of 4: Select type and source account"),
    "destination": gettext_lazy("Step 2 of 4: Select destination account"),
    "data": gettext_lazy("Step 3 of 4: Enter the details"),
    "confirm": gettext_lazy("Step 4 of 4: Transfer confirmation"),
}
COMPLETED_SESSION_KEY = "completed_transfers"


class TransferWizard(LoginRequiredMixin, SessionWizardView):
    """Base wizard; subclasses set ``transfer_type`` and the destination step's form."""

    transfer_type: str = TransferType.OWN
    template_name = "transfers/wizard.html"

    @staticmethod
    def steps_with(destination_form) -> list:
        return [
            ("source", SourceForm),
            ("destination", destination_form),
            ("data", DataForm),
            ("confirm", SignatureForm),
        ]

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated and request.user.member_id is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs) -> str:
        # One storage per wizard, so two open wizards never mix their data.
        return f"transfer_{self.transfer_type}"

    # -- steps -----------------------------------------------------------------------------

    def get_form_kwargs(self, step=None):
        user = self.request.user
        if step == "source":
            return {"user": user, "transfer_type": self.transfer_type}
        if step == "destination":
            return self.destination_kwargs()
        if step == "data":
            return {"currencies": self.currencies()}
        return {"user": user}

    def destination_kwargs(self) -> dict:
        return {"user": self.request.user, "source": self.source()}

    def source(self):
        data = self.get_cleaned_data_for_step("source")
        return data["source_account"] if data else None

    def destination(self) -> dict:
        return self.get_cleaned_data_for_step("destination") or {}

    def destination_currency(self) -> str | None:
        account = self.destination().get("destination_account")
        return account.currency if account is not None else None

    def currencies(self) -> list[str]:
        source = self.source()
        found = [source.currency] if source else []
        other = self.destination_currency()
        if other and other not in found:
            found.append(other)
        return found or ["BOB"]

    def order(self) -> TransferOrder | None:
        source, data = self.source(), self.get_cleaned_data_for_step("data")
        if source is None or not data:
            return None
        return TransferOrder(
            transfer_type=self.transfer_type,
            source_account_id=source.pk,
            currency=data["currency"],
            amount=data["amount"],
            description=data["description"],
            notify_email=data["notify_email"],
            funds_origin=data["funds_origin"],
            funds_destination=data["funds_destination"],
            **self.destination_fields(),
        )

    def destination_fields(self) -> dict:
        account = self.destination().get("destination_account")
        return {"destination_account_id": account.pk if account else None}

    def destination_label(self) -> str:
        account = self.destination().get("destination_account")
        return f"{account.get_product_type_display()} {account.masked_number}" if account else ""

    def process_step(self, form):
        if self.steps.current == "data":
            order = self.order_from(form)
            try:
                transfer_prepare(user=self.request.user, order=order)
            except TransferError as exc:
                # Shown on the data step itself; the member corrects and goes on.
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                raise _StayOnStep(form) from exc
        return super().process_step(form)

    def order_from(self, form) -> TransferOrder:
        source = self.source()
        return TransferOrder(
            transfer_type=self.transfer_type,
            source_account_id=source.pk if source else 0,
            currency=form.cleaned_data["currency"],
            amount=form.cleaned_data["amount"],
            description=form.cleaned_data["description"],
            notify_email=form.cleaned_data["notify_email"],
            funds_origin=form.cleaned_data["funds_origin"],
            funds_destination=form.cleaned_data["funds_destination"],
            **self.destination_fields(),
        )

    def post(self, *args, **kwargs):
        request = self.request
        if "cancel" in request.POST:
            self.storage.reset()
            messages.info(request, _("The transfer was cancelled."))
            return redirect("ledger:dashboard")
        key = request.POST.get("idempotency_key")
        done = request.session.get(COMPLETED_SESSION_KEY, {})
        if key and key in done:
            # A double click or a replay of the signed step: show the first transfer.
            return redirect("transfers:receipt", pk=done[key])
        try:
            return super().post(*args, **kwargs)
        except _StayOnStep as stay:
            return self.render(stay.form)

    # -- rendering -------------------------------------------------------------------------

    def idempotency_key(self) -> str:
        extra = self.storage.extra_data
        if "key" not in extra:
            extra["key"] = uuid.uuid4().hex
            self.storage.extra_data = extra
        return extra["key"]

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        context.update(
            step_title=STEP_TITLES[step],
            transfer_type=self.transfer_type,
            transfer_type_label=TransferType(self.transfer_type).label,
            idempotency_key=self.idempotency_key(),
        )
        if step == "data" and self.request.user.member_id:
            from django.utils import timezone

            context["rolling_usd_total"] = rolling_usd_total(
                member_id=self.request.user.member_id, now=timezone.now()
            )
            context["regulatory_threshold"] = REGULATORY_THRESHOLD_USD
        if step == "confirm":
            context.update(self.confirmation_context())
        return context

    def confirmation_context(self) -> dict:
        order = self.order()
        if order is None:
            return {"quote_error": _("Please complete the previous steps.")}
        try:
            quote = transfer_prepare(user=self.request.user, order=order)
        except TransferError as exc:
            return {"quote_error": exc.message}
        extra = self.storage.extra_data
        extra["fingerprint"] = quote.fingerprint()
        self.storage.extra_data = extra
        signature_prepare(user=self.request.user)
        return {
            "quote": quote,
            "order": order,
            "source": self.source(),
            "destination_label": self.destination_label(),
            "summary": self.summary(quote, order),
        }

    def summary(self, quote: Quote, order: TransferOrder) -> dict[str, str]:
        """Exactly what the member signs (and what the audit row keeps)."""
        source = self.source()
        return {
            _("Transfer type"): str(TransferType(self.transfer_type).label),
            _("Source account"): source.masked_number,
            _("Destination account"): self.destination_label(),
            _("Amount to debit"): format_money(quote.debit_amount, quote.source_currency),
            _("Amount to credit"): format_money(quote.credit_amount, quote.destination_currency),
            _("Transaction cost"): format_money(quote.fee_amount, quote.source_currency),
            _("Description"): order.description,
        }

    def render_done(self, form, **kwargs):
        """formtools' render_done, except that a refused signature keeps the wizard's data."""
        final_forms = OrderedDict()
        for form_key in self.get_form_list():
            form_obj = self.get_form(
                step=form_key,
                data=self.storage.get_step_data(form_key),
                files=self.storage.get_step_files(form_key),
            )
            if not form_obj.is_valid():
                return self.render_revalidation_failure(form_key, form_obj, **kwargs)
            final_forms[form_key] = form_obj
        self._keep_storage = False
        response = self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)
        if not self._keep_storage:
            self.storage.reset()
        return response

    def _stay(self, form, message: str) -> HttpResponse:
        self._keep_storage = True
        form.add_error(None, message)
        return self.render(form)

    def done(self, form_list, form_dict=None, **kwargs):
        request = self.request
        signature_form = form_dict["confirm"]
        key = self.storage.extra_data.get("key")
        if not key or request.POST.get("idempotency_key") != key:
            return self._stay(signature_form, _("The request could not be processed."))
        order = self.order()
        try:
            quote = transfer_prepare(user=request.user, order=order)
        except TransferError as exc:
            return self._stay(signature_form, exc.message)
        if quote.fingerprint() != self.storage.extra_data.get("fingerprint"):
            return self._stay(signature_form, StaleQuote().message)
        receipt = signature_form.sign(
            summary=self.summary(quote, order), ip_address=client_ip(request)
        )
        if receipt is None:
            self._keep_storage = True
            return self.render(signature_form)
        try:
            transfer = transfer_execute(
                user=request.user,
                order=order,
                expected_fingerprint=quote.fingerprint(),
                idempotency_key=key,
                ip_address=client_ip(request),
            )
        except TransferError as exc:
            # The bound form: an unbound one has no cleaned_data, so add_error() on it raised
            # (a 500 when a concurrent transfer emptied the account between quote and post).
            return self._stay(signature_form, exc.message)
        done = request.session.get(COMPLETED_SESSION_KEY, {})
        done[key] = transfer.pk
        request.session[COMPLETED_SESSION_KEY] = dict(list(done.items())[-20:])
        messages.success(request, _("The transfer was processed."))
        return redirect("transfers:receipt", pk=transfer.pk)


class _StayOnStep(Exception):
    def __init__(self, form):
        self.form = form


class OwnTransferWizard(TransferWizard):
    transfer_type = TransferType.OWN
    form_list = TransferWizard.steps_with(OwnDestinationForm)


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    member_id = request.user.member_id
    return render(
        request,
        "transfers/list.html",
        {
            "transfers": selectors.member_transfers_list(member_id=member_id)[:50],
            "pending": selectors.pending_cosignatures_list(member_id=member_id),
        },
    )


@login_required
def transfer_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.member_transfer_get(member_id=request.user.member_id, transfer_id=pk)
    return render(
        request,
        "transfers/receipt.html",
        {"transfer": transfer, "rows": receipts.receipt_rows(transfer)},
    )


@login_required
def transfer_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.member_transfer_get(member_id=request.user.member_id, transfer_id=pk)
    response = HttpResponse(receipts.receipt_pdf(transfer), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="comprobante-{transfer.verification_code}.pdf"'
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def transfer_cosign_view(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.pending_cosignatures_list(member_id=request.user.member_id).filter(pk=pk)
    transfer = transfer.first()
    if transfer is None:
        raise Http404
    form = SignatureForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if "cancel" in request.POST:
            return redirect("transfers:list")
        approve = request.POST.get("decision") != "decline"
        if form.is_valid():
            summary = {
                _("Co-signature"): transfer.verification_code,
                _("Decision"): _("Sign") if approve else _("Decline"),
                _("Amount to debit"): format_money(
                    transfer.debit_amount, transfer.source_account.currency
                ),
            }
            if form.sign(summary=summary, ip_address=client_ip(request)) is not None:
                try:
                    transfer_cosign(
                        user=request.user,
                        transfer_id=transfer.pk,
                        approve=approve,
                        ip_address=client_ip(request),
                    )
                except TransferError as exc:
                    messages.error(request, exc.message)
                    return redirect("transfers:list")
                messages.success(
                    request, _("Your signature was recorded.") if approve else _("Declined.")
                )
                return redirect(reverse("transfers:receipt", args=[transfer.pk]))
    else:
        signature_prepare(user=request.user)
    return render(request, "transfers/cosign.html", {"transfer": transfer, "form": form})
