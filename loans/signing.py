"""The signature step of the loan payment flow, isolated behind one function.

LEAD, WHEN MERGING: the reusable PIN signing component (``accounts.signing``) is built on
another branch. Wire :func:`verify_payment_signature` to it — that is the only place the
payment flow checks a signature; the view, the form and the tests go through this function.
Until then it checks the *shape* of the PIN only (4 to 6 digits), which is NOT a signature:
do not ship without the wiring.
"""

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

PIN_FORMAT = RegexValidator(r"^\d{4,6}$", _("Enter your PIN: 4 to 6 digits."))


class SignatureForm(forms.Form):
    """What the "Confirmar" POST carries: the PIN and the page's idempotency key."""

    pin = forms.CharField(
        label=_("PIN"),
        max_length=6,
        strip=False,
        validators=[PIN_FORMAT],
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)


def verify_payment_signature(
    *, request: HttpRequest, form: SignatureForm, summary: dict[str, Any]
) -> bool:
    """True if the member signed this payment.

    ``form`` is a bound :class:`SignatureForm` already validated; ``summary`` describes what is
    being signed (loan number, source account, total and currency) for a component that binds
    the signature to the transaction or rate-limits wrong PINs per user.

    PLACEHOLDER until merged with ``accounts.signing``: it accepts any well-formed PIN. The lead
    replaces the body with the signing component's check (e.g. verifying the PIN against the
    user's stored PIN hash, counting failures and locking after repeated wrong PINs).
    """
    return form.is_valid() and bool(PIN_FORMAT.regex.match(form.cleaned_data["pin"]))
