"""The three transfer wizards ("Paso N de 4"): own accounts, third parties, other banks.

Views stay thin: every rule lives in :mod:`transfers.services`; the last step signs with
:mod:`accounts.signing` and hands the receipt to the ONE service that executes the order
(:func:`transfers.services.transfer_execute`, which also performs "Registrar socio").
The plain views (list, receipt, co-signature, limits) are in :mod:`transfers.views`."""

import hashlib
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from formtools.wizard.views import SessionWizardView

from accounts.selectors import signing_restriction_error
from accounts.signing import SignatureForm, signature_prepare
from audit.services import client_ip
from beneficiaries import rules
from beneficiaries.models import ThirdPartyProduct
from beneficiaries.selectors import eligible_account_get
from beneficiaries.services import account_lookup, beneficiary_member_check
from ledger.models import mask_account_number

from .events import TransferPurpose
from .exceptions import StaleQuote, TransferError
from .forms import DataForm, OwnDestinationForm, ProductDestinationForm, SourceForm
from .models import TransferStatus, TransferType
from .quotes import REGULATORY_THRESHOLD_USD, Quote, rolling_usd_total
from .scheduled_views import ScheduleStepMixin
from .services import (
    TransferOrder,
    debitable_accounts_list,
    transfer_execute,
    transfer_prepare,
    transfer_signing_fingerprint,
)
from .summary import own_account_label, transfer_summary

STEP_TITLES = {
    "source": gettext_lazy("Step 1 of 4: Select type and source account"),
    "destination": gettext_lazy("Step 2 of 4: Select destination account"),
    "data": gettext_lazy("Step 3 of 4: Enter the details"),
    "confirm": gettext_lazy("Step 4 of 4: Transfer confirmation"),
}
COMPLETED_SESSION_KEY = "completed_transfers"
SECRET_FIELDS = ("pin", "pin_confirmation", "otp_code")
# "?nueva=1" on a wizard's URL starts a new transfer; without it a GET resumes the one being
# entered (TransferWizard.get).
NEW_TRANSFER_PARAM = "nueva"
DRAFT_TOUCHED_KEY = "touched"


class TransferWizard(LoginRequiredMixin, ScheduleStepMixin, SessionWizardView):
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

    def get(self, request, *args, **kwargs):
        """A GET of the wizard (a reload, the menu, the back button) resumes the transfer being
        entered at its current step, with what was typed; formtools' own ``get`` starts over
        and loses it. It starts over on "?nueva=1" ("Nueva transferencia"), after a transfer
        is done or cancelled (those reset the storage), and when the draft was last touched
        more than ``TRANSFER_DRAFT_MINUTES`` ago. The PIN and the device code are never stored
        (:meth:`get_form_step_data`), so a reload never shows them again."""
        step = self.storage.current_step
        fresh = NEW_TRANSFER_PARAM in request.GET or not self.draft_alive()
        if fresh or step not in self.get_form_list():
            return super().get(request, *args, **kwargs)
        if step == self.steps.last or not self.storage.get_step_data(step):
            return self.render(self.get_form())
        # Back at a step already submitted ("Anterior" from step 4, then a reload).
        return self.render(
            self.get_form(
                data=self.storage.get_step_data(step), files=self.storage.get_step_files(step)
            )
        )

    def draft_alive(self) -> bool:
        touched = self.storage.extra_data.get(DRAFT_TOUCHED_KEY)
        if not isinstance(touched, (int, float)):
            return False
        age = timezone.now().timestamp() - touched
        return 0 <= age <= settings.TRANSFER_DRAFT_MINUTES * 60

    def render(self, form=None, **kwargs):
        # Every page of the wizard shown marks the draft as in use (see get).
        extra = self.storage.extra_data
        extra[DRAFT_TOUCHED_KEY] = timezone.now().timestamp()
        self.storage.extra_data = extra
        return super().render(form, **kwargs)

    def get_prefix(self, request, *args, **kwargs) -> str:
        # One storage per wizard, so two open wizards never mix their data.
        return f"transfer_{self.transfer_type}"

    # -- steps -----------------------------------------------------------------------------

    def get_form_kwargs(self, step=None):
        user = self.request.user
        if step == "source":
            return {
                "user": user,
                "transfer_type": self.transfer_type,
                "accounts": self.member_accounts(),
            }
        if step == "destination":
            return self.destination_kwargs()
        if step == "data":
            return {"currencies": self.currencies()}
        return {"user": user}

    def member_accounts(self) -> list:
        """The member's debitable accounts, read once per request: every step's form
        (validated again from the session at each later step) chooses among them."""
        if not hasattr(self, "_member_accounts"):
            self._member_accounts = debitable_accounts_list(member_id=self.request.user.member_id)
        return self._member_accounts

    def destination_kwargs(self) -> dict:
        return {
            "user": self.request.user,
            "source": self.source(),
            "accounts": self.member_accounts(),
        }

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
        return self._order(source, data)

    def _order(self, source, data: dict) -> TransferOrder:
        return TransferOrder(
            transfer_type=self.transfer_type,
            source_account_id=source.pk if source else 0,
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
        # The member's own account: in full, as on the receipt (transfers.summary).
        return own_account_label(account) if account else ""

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
                quote = transfer_prepare(user=self.request.user, order=order)
            except TransferError as exc:
                # Shown on the data step itself; the member corrects and goes on.
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                raise _StayOnStep(form) from exc
            # Step 4, rendered next in this same request, shows this pricing of this order
            # instead of pricing it again (confirmation_context).
            self._prepared = (order, quote)
        # formtools forgets every step's cleaned data once this step is stored (its steps
        # could depend on conditions; these do not), so the next step's page would validate
        # the earlier steps again from the session: keep what this request already validated,
        # the earlier steps' and this form's own (render_next_step). A later step may depend
        # on this one, so its cleaned data is not kept.
        done = self.steps.all[: self.steps.index]
        self._kept_cleaned = {
            step: data
            for step in done
            if (data := getattr(self, f"_cleaned_data_cache_{step}", None)) is not None
        }
        self._kept_cleaned[self.steps.current] = form.cleaned_data
        return super().process_step(form)

    def render_next_step(self, form, **kwargs):
        for step, data in getattr(self, "_kept_cleaned", {}).items():
            setattr(self, f"_cleaned_data_cache_{step}", data)
        return super().render_next_step(form, **kwargs)

    def get_form_step_data(self, form):
        # formtools' hook for what a step keeps in the session. The signature step never
        # reaches it (see sign_and_execute); should it ever, the PIN and the device code are
        # for one request only and are never stored.
        data = form.data.copy()
        for name in SECRET_FIELDS:
            data.pop(form.add_prefix(name), None)
        return data

    def order_from(self, form) -> TransferOrder:
        return self._order(self.source(), form.cleaned_data)

    def post(self, *args, **kwargs):
        request = self.request
        if "cancel" in request.POST:
            self.storage.reset()
            messages.info(request, _("The transfer was cancelled."))
            return redirect("ledger:dashboard")
        posted_step = request.POST.get(f"{self.prefix}-current_step", self.steps.current)
        if posted_step not in self.get_form_list():
            # A tampered step name: formtools would fail on it (a 500); show the current step.
            return self.render(self.get_form())
        key = request.POST.get("idempotency_key")
        done = request.session.get(COMPLETED_SESSION_KEY, {})
        if key and key in done:
            # A double click or a replay of the signed step: show the first transfer.
            return redirect("transfers:receipt", pk=done[key])
        goto = request.POST.get("wizard_goto_step")
        if posted_step == self.steps.last and self.schedule_requested():
            return self.schedule_post()  # "Programar" (transfers.scheduled_views)
        if posted_step == self.steps.last and goto not in self.get_form_list():
            return self.sign_and_execute()
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
            context["rolling_usd_total"] = rolling_usd_total(
                member_id=self.request.user.member_id, now=timezone.now()
            )
            context["regulatory_threshold"] = REGULATORY_THRESHOLD_USD
        if step == "confirm":
            context.update(self.confirmation_context(form))
        return context

    def confirmation_context(self, form) -> dict:
        order = self.order()
        if order is None:
            return {"quote_error": _("Please complete the previous steps.")}
        try:
            prepared = getattr(self, "_prepared", None)
            if prepared is not None and prepared[0] == order:
                quote = prepared[1]
            else:
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
        signature_prepare(user=self.request.user, state=getattr(form, "state", None))
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
            source_label=own_account_label(self.source()),
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

    def sign_and_execute(self) -> HttpResponse:
        """The signature step, posted.

        formtools' own path (``post`` → ``render_done``) stores the step's data in the session
        and validates every step again from there; but the PIN and the device code are for this
        request only, and a refused PIN must keep what the member entered. So the signature
        form is validated from this POST, the earlier steps again from the session through the
        public ``get_cleaned_data_for_step`` (which formtools caches for the rest of the
        request), a failing one is shown through ``render_revalidation_failure``, and the
        wizard is reset only once the transfer exists (in :meth:`done`).
        """
        self.storage.current_step = self.steps.last
        form = self.get_form(data=self.request.POST, files=self.request.FILES)
        if not form.is_valid():
            return self.render(form)
        for step in self.get_form_list():
            if step != self.steps.last and self.get_cleaned_data_for_step(step) is None:
                stored = self.get_form(
                    step=step,
                    data=self.storage.get_step_data(step),
                    files=self.storage.get_step_files(step),
                )
                return self.render_revalidation_failure(step, stored)
        return self.done([form], form_dict={self.steps.last: form})

    def signs_with_side_effects(self) -> bool:
        """True when the transfer also writes something else (a registration): then a stale
        order is refused before the PIN is asked for."""
        return False

    def _stay(self, form, message: str) -> HttpResponse:
        form.add_error(None, message)
        return self.render(form)

    def signable_error(self, order: TransferOrder | None) -> str | None:
        """Why the summary last shown cannot be signed now, or None. Reads only: nothing is
        written before the PIN is checked."""
        extra = self.storage.extra_data
        if not extra.get("key") or not extra.get("fingerprint") or not extra.get("summary"):
            # No summary to sign (the last step 4 showed a pricing error, or none was shown):
            # say why when the order itself is refused.
            try:
                if order is not None:
                    transfer_prepare(user=self.request.user, order=order)
            except TransferError as exc:
                return exc.message
            return _("The request could not be processed.")
        if (
            self.request.POST.get("idempotency_key") != extra["key"]
            or order is None
            or self.entered_digest() != extra.get("entered")
        ):
            # Signed from a page that showed another summary, or the data changed since.
            return StaleQuote().message
        if self.signs_with_side_effects():
            try:
                quote = transfer_prepare(user=self.request.user, order=order)
            except TransferError as exc:
                return exc.message
            if quote.fingerprint() != extra["fingerprint"]:
                return StaleQuote().message
        return None

    def done(self, form_list, form_dict=None, **kwargs):
        """Validate, check the PIN (its strikes commit on their own), then ONE service:
        :func:`transfer_execute` consumes the receipt and, in its own transaction, registers
        the destination ("Registrar socio") and posts or parks the transfer."""
        request = self.request
        signature_form = form_dict[self.steps.last]
        order = self.order()
        if (error := self.signable_error(order)) is not None:
            return self._stay(signature_form, error)
        extra = self.storage.extra_data
        key, fingerprint = extra["key"], extra["fingerprint"]
        receipt = signature_form.sign(
            summary=extra["summary"],
            purpose=TransferPurpose.EXECUTE,
            fingerprint=transfer_signing_fingerprint(order=order, expected_fingerprint=fingerprint),
            ip_address=client_ip(request),
        )
        if receipt is None:
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
        self.storage.reset()
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
        return f"{lookup.get('name', '')} {mask_account_number(number)}".strip()

    def summary_extra(self) -> dict[str, str]:
        data = self.destination()
        product = data.get("product")
        return {
            "bank_name": product.bank.name if product is not None and product.bank_id else "",
            "register_alias": data["alias"] if data.get("register") else "",
        }

    def confirmation_context(self, form) -> dict:
        context = super().confirmation_context(form)
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
