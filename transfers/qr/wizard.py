"""The "Pagar con QR" wizard: the third-party (or other-bank) transfer wizard, prefilled.

The pay page (:func:`transfers.qr.views.qr_pay`) keeps only the payload text in the session;
every request resolves it again (:func:`transfers.qr.selectors.qr_resolve`), so a code
revoked, used or expired while the member is on step 3 is refused there, not at the end.
Steps, limits, the 5-day rule, the new-beneficiary cap and the PIN signature are the base
wizard's; the order carries the code's token and :func:`transfers.services.transfer_execute`
claims the code in the posting's transaction.
"""

from django.contrib import messages
from django.shortcuts import redirect

from accounts.signing import SignatureForm
from ledger.money import format_money

from ..wizards import COMPLETED_SESSION_KEY, TransferWizard
from .forms import QrDataForm, QrDestinationForm, QrSourceForm
from .selectors import qr_resolve
from .services import QrError

SESSION_KEY = "qr_payment"


class QrTransferWizard(TransferWizard):
    form_list = [
        ("source", QrSourceForm),
        ("destination", QrDestinationForm),
        ("data", QrDataForm),
        ("confirm", SignatureForm),
    ]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or request.user.member_id is None:
            return super().dispatch(request, *args, **kwargs)
        done = request.session.get(COMPLETED_SESSION_KEY, {})
        key = request.POST.get("idempotency_key") if request.method == "POST" else None
        if key and key in done:
            # A double click on "Confirmar" after the code was paid: the first receipt.
            return redirect("transfers:receipt", pk=done[key])
        if not request.session.get(SESSION_KEY):
            return redirect("transfers:qr_pay")  # no code read yet: start there
        try:
            self.intent = qr_resolve(user=request.user, text=request.session[SESSION_KEY])
        except QrError as exc:
            messages.error(request, exc.message)
            return redirect("transfers:qr_pay")
        self.transfer_type = self.intent.transfer_type
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs) -> str:
        return "transfer_qr"

    def get_form_kwargs(self, step=None):
        kwargs = super().get_form_kwargs(step)
        if step == "source":
            kwargs["currency"] = self.intent.currency
        elif step == "destination":
            kwargs = {"payee": self.destination_label()}
        elif step == "data":
            kwargs.update(
                lock_amount=self.intent.amount is not None,
                lock_description=bool(self.intent.reference),
            )
        return kwargs

    def get_form_initial(self, step):
        if step == "data":
            return {
                "currency": self.intent.currency,
                # As the cooperative writes amounts ("Bs 35,50"); AmountField reads it back.
                "amount": (
                    format_money(self.intent.amount, self.intent.currency)
                    if self.intent.amount is not None
                    else None
                ),
                "description": self.intent.reference,
            }
        return super().get_form_initial(step)

    def destination_currency(self) -> str | None:
        return self.intent.currency

    def currencies(self) -> list[str]:
        return [self.intent.currency]

    def destination_fields(self) -> dict:
        intent = self.intent
        if intent.bank_id is not None:
            return {
                "bank_id": intent.bank_id,
                "destination_number": intent.destination_number,
                "destination_name": intent.payee_name,
                "destination_currency": intent.currency,
            }
        return {"destination_account_id": intent.destination_account_id, "qr_token": intent.token}

    def destination_label(self) -> str:
        return f"{self.intent.payee_name} {self.intent.masked_number}".strip()

    def summary_extra(self) -> dict[str, str]:
        return {"bank_name": self.intent.bank_name, "register_alias": ""}

    def confirmation_context(self, form) -> dict:
        context = super().confirmation_context(form)
        context["bank_name"] = self.intent.bank_name
        return context

    def done(self, form_list, form_dict=None, **kwargs):
        response = super().done(form_list, form_dict=form_dict, **kwargs)
        if getattr(response, "status_code", None) == 302:
            self.request.session.pop(SESSION_KEY, None)
        return response
