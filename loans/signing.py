"""The signature step of the loan payment flow, isolated behind one function.

LEAD, WHEN MERGING: the reusable PIN signing component (``accounts.signing``) is built on
another branch. Wire :func:`verify_payment_signature` to it — that is the only place the
payment flow checks a signature; the view, the form and the tests go through this function.
Until then it checks the *shape* of the PIN only (4 to 6 digits), which is NOT a signature:
do not ship without the wiring. With ``accounts.signing`` as it stands on main, the body
becomes (the view calls it outside any transaction, as ``signature_verify`` requires)::

    from accounts.audit import client_ip
    from accounts.signing import SignatureError, signature_verify

    try:
        signature_verify(
            user=request.user,
            pin=form.cleaned_data["pin"],
            otp_code=request.POST.get("otp_code") or None,
            pin_confirmation=request.POST.get("pin_confirmation") or None,
            summary=summary,
            ip_address=client_ip(request),
        )
    except SignatureError as exc:
        form.add_error(None, exc.message)
        return False
    return True

and, to offer the device code / first-PIN fields, ``SignatureForm`` here can subclass
``accounts.signing.SignatureForm`` (keeping ``idempotency_key``; pass ``user=request.user``).
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
    """True if the member signed this payment; otherwise False with the reason added to
    ``form`` as an error (the view re-renders the confirmation page).

    ``form`` is a bound :class:`SignatureForm` already validated; ``summary`` is what the
    member is agreeing to (loan, source account, amount), with Spanish labels as keys, for a
    component that records it with the signature.

    PLACEHOLDER until merged with ``accounts.signing``: it accepts any well-formed PIN. The lead
    replaces the body with the signing component's check (e.g. verifying the PIN against the
    user's stored PIN hash, counting failures and locking after repeated wrong PINs).
    """
    if form.is_valid() and PIN_FORMAT.regex.match(form.cleaned_data["pin"]):
        return True
    form.add_error("pin", _("The PIN is not correct."))
    return False
