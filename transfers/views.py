"""The transfer wizards ("Paso N de 4"), receipts and co-signatures. Views stay thin: every
rule lives in :mod:`transfers.services`; signing goes through :mod:`accounts.signing`."""

import hashlib
import uuid
from collections import OrderedDict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from formtools.wizard.views import SessionWizardView

from accounts.audit import client_ip
from accounts.selectors import signing_restriction_error
from accounts.signing import SignatureForm, signature_prepare
from beneficiaries import rules
from beneficiaries.models import ThirdPartyProduct
from beneficiaries.selectors import account_lookup, eligible_account_get
from beneficiaries.services import beneficiary_member_check
from ledger.money import format_money

from . import receipts, selectors
from .exceptions import StaleQuote, TransferError
from .forms import DataForm, LimitForm, OwnDestinationForm, ProductDestinationForm, SourceForm
from .limits import (
    LIMIT_SET_PURPOSE,
    member_limit_fingerprint,
    member_limit_is_raise,
    member_limit_set,
    member_limit_validate,
    member_limits_list,
    raise_delay,
)
from .models import TransferStatus, TransferType
from .quotes import REGULATORY_THRESHOLD_USD, Quote, rolling_usd_total
from .services import (
    TRANSFER_COSIGN_PURPOSE,
    TRANSFER_EXECUTE_PURPOSE,
    TransferOrder,
    transfer_cosign,
    transfer_cosign_fingerprint,
    transfer_execute,
    transfer_prepare,
    transfer_signing_fingerprint,
)
from .summary import cosign_summary, stored_summary, transfer_summary

STEP_TITLES = {
    "source": gettext_lazy("Step 1 of 4: Select type and source account"),
    "destination": gettext_lazy("Step 2 of 4: Select destination account"),
    "data": gettext_lazy("Step 3 of 4: Enter the details"),
    "confirm": gettext_lazy("Step 4 of 4: Transfer confirmation"),
}
COMPLETED_SESSION_KEY = "completed_transfers"
SECRET_FIELDS = ("pin", "pin_confirmation", "otp_code")


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
        # After a PIN reset or device change: said at step 1, not after the member typed
        # everything (the service refuses as well).
        restricted = self.steps.current == "source" and self.transfer_type != TransferType.OWN
        if restricted and (msg := signing_restriction_error(user=self.request.user)):
            form.add_error(None, msg)
            raise _StayOnStep(form)
        if self.steps.current == "data":
            order = self.order_from(form)
            try:
                transfer_prepare(user=self.request.user, order=order)
            except TransferError as exc:
                # Shown on the data step itself; the member corrects and goes on.
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                raise _StayOnStep(form) from exc
        if self.steps.current == "confirm":
            # formtools keeps each step's post in the session; the PIN and the device code are
            # for this request only (render_done uses the bound form), never stored.
            data = form.data.copy()
            for name in SECRET_FIELDS:
                data.pop(form.add_prefix(name), None)
            return data
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
        if request.POST.get(f"{self.prefix}-current_step", self.steps.current) not in (
            self.get_form_list()
        ):
            # A tampered step name: formtools would fail on it (a 500); show the current step.
            return self.render(self.get_form())
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
            # Nothing on this page can be signed: forget the last summary shown.
            extra = self.storage.extra_data
            for name in ("fingerprint", "entered", "summary"):
                extra.pop(name, None)
            self.storage.extra_data = extra
            return {"quote_error": exc.message}
        summary = {str(label): str(value) for label, value in self.summary(quote, order).items()}
        # What the member is shown is what they sign: done() signs this summary and posts
        # only if the order is unchanged and re-prices to the same fingerprint. A summary that
        # differs from the last one shown gets a new idempotency key, so a page showing an
        # older summary (another tab, the back button) cannot sign this one.
        extra = self.storage.extra_data
        shown = {
            "fingerprint": quote.fingerprint(),
            "entered": self.entered_digest(),
            "summary": summary,
        }
        if any(extra.get(name) != value for name, value in shown.items()):
            extra.update(shown, key=uuid.uuid4().hex)
            self.storage.extra_data = extra
        signature_prepare(user=self.request.user)
        return {
            "idempotency_key": extra["key"],
            "quote": quote,
            "order": order,
            "source": self.source(),
            "destination_label": self.destination_label(),
            "summary": summary,
        }

    def entered_digest(self) -> str:
        """Everything the member entered in steps 1-3 (the registration tick and alias
        included), hashed: a summary is signed only while these are what it was built from."""
        parts = []
        for step in ("source", "destination", "data"):
            data = self.get_cleaned_data_for_step(step) or {}
            for name in sorted(data):
                value = data[name]
                parts.append(f"{step}.{name}={getattr(value, 'pk', value)!s}")
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def summary(self, quote: Quote, order: TransferOrder) -> dict[str, str]:
        """Exactly what the member signs (and what the audit row keeps): the one builder
        (:func:`transfers.summary.transfer_summary`) the co-signature page uses too."""
        return transfer_summary(
            transfer_type=self.transfer_type,
            source_label=self.source().masked_number,
            destination_label=self.destination_label(),
            source_currency=quote.source_currency,
            destination_currency=quote.destination_currency,
            debit_amount=quote.debit_amount,
            credit_amount=quote.credit_amount,
            fee_amount=quote.fee_amount,
            exchange_rate=quote.exchange_rate,
            description=order.description,
            exceeds_threshold=quote.exceeds_threshold,
            funds_origin=order.funds_origin,
            funds_destination=order.funds_destination,
            **self.summary_extra(),
        )

    def summary_extra(self) -> dict[str, str]:
        """The destination's bank and the "Register as" alias, where the wizard has them."""
        return {}

    def render_done(self, form, **kwargs):
        """formtools' render_done, except that a refused signature keeps the wizard's data,
        the signature form just validated is not built and validated a second time, and
        the re-validated steps' data is what the rest of the request reads."""
        final_forms = OrderedDict()
        self._final_cleaned = {}
        for form_key in self.get_form_list():
            if form_key == self.steps.current:
                form_obj = form  # bound to this POST, which formtools has just stored
            else:
                form_obj = self.get_form(
                    step=form_key,
                    data=self.storage.get_step_data(form_key),
                    files=self.storage.get_step_files(form_key),
                )
            if not form_obj.is_valid():
                return self.render_revalidation_failure(form_key, form_obj, **kwargs)
            final_forms[form_key] = form_obj
            # Later steps' forms are built from earlier steps' data (the destination form
            # from the source account): give them what was just validated.
            self._final_cleaned[form_key] = form_obj.cleaned_data
        self._keep_storage = False
        response = self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)
        if not self._keep_storage:
            self.storage.reset()
        return response

    def get_cleaned_data_for_step(self, step):
        # After render_done has re-validated every step, reuse that instead of validating
        # (and querying) once more per read.
        final = getattr(self, "_final_cleaned", None)
        if final is not None and step in final:
            return final[step]
        return super().get_cleaned_data_for_step(step)

    def signs_with_side_effects(self) -> bool:
        """True when the transfer also writes something else (a registration): then a stale
        order is refused before the PIN is asked for."""
        return False

    def _stay(self, form, message: str) -> HttpResponse:
        self._keep_storage = True
        form.add_error(None, message)
        return self.render(form)

    def done(self, form_list, form_dict=None, **kwargs):
        request = self.request
        signature_form = form_dict["confirm"]
        extra = self.storage.extra_data
        key, fingerprint, summary = extra.get("key"), extra.get("fingerprint"), extra.get("summary")
        order = self.order()
        if not key or not fingerprint or not summary:
            # No summary to sign (the last step 4 showed a pricing error, or none was shown):
            # say why when the order itself is refused.
            try:
                if order is not None:
                    transfer_prepare(user=request.user, order=order)
            except TransferError as exc:
                return self._stay(signature_form, exc.message)
            return self._stay(signature_form, _("The request could not be processed."))
        if (
            request.POST.get("idempotency_key") != key
            or order is None
            or self.entered_digest() != extra.get("entered")
        ):
            # Signed from a page that showed another summary, or the data changed since.
            return self._stay(signature_form, StaleQuote().message)
        if self.signs_with_side_effects():
            try:
                quote = transfer_prepare(user=request.user, order=order)
            except TransferError as exc:
                return self._stay(signature_form, exc.message)
            if quote.fingerprint() != fingerprint:
                return self._stay(signature_form, StaleQuote().message)
        receipt = signature_form.sign(
            summary=summary,
            purpose=TRANSFER_EXECUTE_PURPOSE,
            fingerprint=transfer_signing_fingerprint(order=order, expected_fingerprint=fingerprint),
            ip_address=client_ip(request),
        )
        if receipt is None:
            self._keep_storage = True
            return self.render(signature_form)
        try:
            transfer = transfer_execute(
                user=request.user,
                order=order,
                expected_fingerprint=fingerprint,
                idempotency_key=key,
                signature=receipt,
                ip_address=client_ip(request),
            )
        except TransferError as exc:
            return self._stay(signature_form, exc.message)
        done = request.session.get(COMPLETED_SESSION_KEY, {})
        done[key] = transfer.pk
        request.session[COMPLETED_SESSION_KEY] = dict(list(done.items())[-20:])
        if transfer.status == TransferStatus.PENDING_COSIGN:
            # Nothing moved yet: the co-holders of the joint account must sign it first.
            messages.info(request, _("The transfer is pending signature by the co-holders."))
        else:
            messages.success(request, _("The transfer was processed."))
        return redirect("transfers:receipt", pk=transfer.pk)


class ProductTransferWizard(TransferWizard):
    """Third parties and other banks: the destination is a registered product ("Producto
    registrado"), or for third parties a typed account number.

    "Registrar socio": when the member ticks it, the order carries the alias and
    :func:`transfers.services.transfer_execute` registers the account as a third-party product
    in the transfer's own transaction. No second PIN is asked: the transfer's signature
    covers it (its fingerprint includes the alias), and the signed summary says so
    ("Register as"). The new product then starts its cooling period,
    so the new-beneficiary cap applies to this transfer too.
    """

    product_kind: str = ThirdPartyProduct.Kind.MEMBER
    url_name: str = ""

    def destination_kwargs(self) -> dict:
        return {"user": self.request.user, "source": self.source(), "kind": self.product_kind}

    def get(self, request, *args, **kwargs):
        # Back from "Agregar una nueva cuenta": resume at step 2 with step 1 kept.
        if request.GET.get("paso") == "destino" and self.storage.get_step_data("source"):
            self.storage.current_step = "destination"
            return self.render(self.get_form())
        return super().get(request, *args, **kwargs)

    def typed_account(self):
        number = self.destination().get("number")
        return eligible_account_get(number=number) if number else None

    def destination_currency(self) -> str | None:
        product = self.destination().get("product")
        if product is not None:
            return product.currency
        account = self.typed_account()
        return account.currency if account is not None else None

    def destination_fields(self) -> dict:
        product = self.destination().get("product")
        if product is not None:
            return {"beneficiary_id": product.pk}
        account = self.typed_account()
        fields = {"destination_account_id": account.pk if account else None}
        data = self.destination()
        if data.get("register"):
            # transfer_execute registers it, under the same signature (see transfers.services).
            fields["register_alias"] = data["alias"]
        return fields

    def destination_label(self) -> str:
        data = self.destination()
        product = data.get("product")
        if product is not None:
            return f"{product.alias} — {product.holder_name} {product.masked_number}"
        lookup = self.storage.extra_data.get("lookup") or {}
        number = data.get("number") or ""
        return f"{lookup.get('name', '')} X000X-{number[-3:]}".strip()

    def summary_extra(self) -> dict[str, str]:
        data = self.destination()
        product = data.get("product")
        return {
            "bank_name": product.bank.name if product is not None and product.bank_id else "",
            "register_alias": data["alias"] if data.get("register") else "",
        }

    def confirmation_context(self) -> dict:
        context = super().confirmation_context()
        product = self.destination().get("product")
        context["bank_name"] = product.bank.name if product is not None and product.bank_id else ""
        data = self.destination()
        context["register_alias"] = data.get("alias") if data.get("register") else ""
        return context

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        if self.steps.current == "destination":
            context.update(
                lookup_enabled=self.product_kind == ThirdPartyProduct.Kind.MEMBER,
                lookup_message=getattr(self, "lookup_message", ""),
                add_product_url=(
                    reverse("beneficiaries:add")
                    + "?"
                    + urlencode({"next": reverse(self.url_name) + "?paso=destino"})
                ),
            )
        return context

    def _lookup(self, number: str):
        """ "Buscar" through the beneficiaries' rate-limited, audited lookup."""
        result = account_lookup(
            number=number,
            member=self.request.user.member,
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )
        extra = self.storage.extra_data
        extra["lookup"] = {"number": number, "name": result.masked_name} if result.found else None
        self.storage.extra_data = extra
        return result

    def post(self, *args, **kwargs):
        request = self.request
        if (
            "lookup" in request.POST
            and self.product_kind == ThirdPartyProduct.Kind.MEMBER
            and self.storage.current_step == "destination"
        ):
            form = self.get_form(data=request.POST)
            try:
                number = rules.member_account_number_clean(request.POST.get("destination-number"))
            except ValidationError as exc:
                self.lookup_message = exc.messages[0]
            else:
                self.lookup_message = self._lookup(number).message
            return self.render(form)
        return super().post(*args, **kwargs)

    def process_step(self, form):
        if self.steps.current == "destination" and form.cleaned_data.get("number"):
            number = form.cleaned_data["number"]
            lookup = self.storage.extra_data.get("lookup") or {}
            if lookup.get("number") != number:
                # "Siguiente" without "Buscar" still goes through the counted lookup, so the
                # rate limit cannot be bypassed by skipping the button.
                result = self._lookup(number)
                if not result.found:
                    form.add_error("number", result.message)
                    raise _StayOnStep(form)
            if form.cleaned_data.get("register"):
                try:
                    beneficiary_member_check(
                        owner=self.request.user.member,
                        number=number,
                        alias=form.cleaned_data["alias"],
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc)
                    raise _StayOnStep(form) from exc
        return super().process_step(form)

    def signs_with_side_effects(self) -> bool:
        return bool(self.destination().get("register"))


class ThirdPartyTransferWizard(ProductTransferWizard):
    transfer_type = TransferType.THIRD_PARTY
    product_kind = ThirdPartyProduct.Kind.MEMBER
    url_name = "transfers:third_party"
    form_list = TransferWizard.steps_with(ProductDestinationForm)


class OtherBankTransferWizard(ProductTransferWizard):
    transfer_type = TransferType.OTHER_BANK
    product_kind = ThirdPartyProduct.Kind.OTHER_BANK
    url_name = "transfers:other_bank"
    form_list = TransferWizard.steps_with(ProductDestinationForm)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


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
            # The co-holder signs what this page shows: the initiator's step-4 rows rebuilt
            # from the stored transfer, and the fingerprint the initiator signed.
            summary = cosign_summary(transfer, approve=approve)
            receipt = form.sign(
                summary=summary,
                purpose=TRANSFER_COSIGN_PURPOSE,
                fingerprint=transfer_cosign_fingerprint(transfer=transfer, approve=approve),
                ip_address=client_ip(request),
            )
            if receipt is not None:
                try:
                    transfer_cosign(
                        user=request.user,
                        transfer_id=transfer.pk,
                        approve=approve,
                        signature=receipt,
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
    return render(
        request,
        "transfers/cosign.html",
        {"transfer": transfer, "form": form, "rows": stored_summary(transfer).items()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def limits_view(request: HttpRequest) -> HttpResponse:
    """The member's own daily limits; a raise asks for the PIN (see transfers.limits)."""
    user = request.user
    if user.member_id is None:
        raise Http404
    form = LimitForm(request.POST or None)
    signature = None
    if request.method == "POST" and "cancel" not in request.POST and form.is_valid():
        transfer_type = form.cleaned_data["transfer_type"]
        amount = form.cleaned_data["amount_bob"]
        try:
            # Refuse an out-of-range amount before asking for a PIN.
            member_limit_validate(transfer_type=transfer_type, amount_bob=amount)
        except TransferError as exc:
            form.add_error("amount_bob", exc.message)
            return render(
                request,
                "transfers/limits.html",
                {"form": form, "rows": member_limits_list(member_id=user.member_id)},
            )
        raising = member_limit_is_raise(
            member_id=user.member_id, transfer_type=transfer_type, amount_bob=amount
        )
        receipt = None
        if raising:
            if "pin" not in request.POST:
                signature = SignatureForm(user=user)
                signature_prepare(user=user)
            else:
                signature = SignatureForm(request.POST, user=user)
                summary = {
                    _("Transfer type"): str(TransferType(transfer_type).label),
                    _("My daily limit (Bs)"): format_money(amount, "BOB"),
                }
                if signature.is_valid():
                    receipt = signature.sign(
                        summary=summary,
                        purpose=LIMIT_SET_PURPOSE,
                        fingerprint=member_limit_fingerprint(
                            transfer_type=transfer_type, amount_bob=amount
                        ),
                        ip_address=client_ip(request),
                    )
        if not raising or receipt is not None:
            try:
                member_limit_set(
                    user=user,
                    transfer_type=transfer_type,
                    amount_bob=amount,
                    signature=receipt,
                    ip_address=client_ip(request),
                )
            except TransferError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                signature = None
            else:
                messages.success(
                    request,
                    _("Your new limit will apply in %(hours)s hours.")
                    % {"hours": int(raise_delay().total_seconds() // 3600)}
                    if raising
                    else _("Your new limit applies now."),
                )
                return redirect("transfers:limits")
    return render(
        request,
        "transfers/limits.html",
        {
            "form": form,
            "signature": signature,
            "rows": member_limits_list(member_id=user.member_id),
        },
    )
