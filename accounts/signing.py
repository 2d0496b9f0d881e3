"""Signing a transaction ("Firma"): the reusable PIN (and device code) step.

The transfer, beneficiary and loan-payment flows call this with the exact summary the member
is agreeing to (amount, payee, fee…). Typical use in a view or in a wizard's ``done()``::

    from accounts.signing import SignatureForm, signature_prepare

    form = SignatureForm(request.POST or None, user=request.user)
    if request.method == "POST" and "cancel" in request.POST:
        return redirect(...)                    # the "Cancelar" button
    if form.is_valid():
        receipt = form.sign(summary={"Monto": "Bs 100,00", "Destino": "1011000245",
                                     "Costo transacción": "Bs 0,00"},
                            ip_address=client_ip(request))
        if receipt is not None:
            my_service_execute(..., signature=receipt)   # now, in your own transaction
            return redirect(...)
    else:
        signature_prepare(user=request.user)    # sends the SMS code if that is the device
    return render(request, "...", {"signature_form": form})

and in the template, inside your ``<form method="post">``::

    {% include "accounts/includes/signature.html" with form=signature_form %}

It renders the heading "Firma", "Ingrese el PIN para confirmar la transacción", the field "PIN"
(plus "Código de seguridad" when the member enrolled a device), and the buttons "Cancelar"
(``name="cancel"``) and "Confirmar". A member without a PIN instead sees the guide's first-use
prompt — "Es necesario configurar su dispositivo de seguridad antes de continuar", "Ingrese un
nuevo PIN", "PIN", "Confirme su PIN" — and confirming sets the PIN and signs in one go.

Service API:

- ``signature_verify(*, user, pin, summary, otp_code=None, pin_confirmation=None,
  ip_address=None) -> SignatureReceipt`` raises :class:`SignatureError` (a Spanish
  ``message``) on any failure. Three consecutive failures (wrong PIN or wrong device code) block
  signing until staff unlock it in the admin ("Desbloquear la firma"), and email the member.
  Call it OUTSIDE your ``transaction.atomic`` block: a failure strike must commit even though
  your operation does not happen. On success it writes a ``signature.verified`` audit row holding
  the summary and its SHA-256 digest, which the receipt carries for your own records.
- ``signature_prepare(*, user)`` sends a fresh SMS code when the member's device is an SMS token
  (call it when showing the step); it does nothing otherwise.
- ``signature_state(*, user)`` tells whether the member needs to set up a PIN, is blocked, or
  has a device.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import SmsDevice, TransactionPin, User
from accounts.services.pin import (
    pin_check,
    pin_locked_message,
    pin_rules_text,
    pin_set,
    pin_strike,
    pin_strikes_reset,
)


class SignatureError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(code)  # never the PIN, never the message with data in logs
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SignatureReceipt:
    user_id: int
    signed_at: datetime
    summary: dict[str, str]
    digest: str


@dataclass(frozen=True)
class SignatureState:
    needs_setup: bool
    locked: bool
    device: Any = field(default=None)


def signature_device(*, user: User) -> TOTPDevice | SmsDevice | None:
    """The member's confirmed security device (an authenticator app first, else SMS)."""
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if totp is not None:
        return totp
    return SmsDevice.objects.filter(user=user, confirmed=True).first()


def signature_state(*, user: User) -> SignatureState:
    # One query in the common case (no security device): the devices are read only when the
    # PIN row says there is one. Every signature pays for this read.
    row = (
        TransactionPin.objects.filter(user=user)
        .annotate(
            has_device=Exists(TOTPDevice.objects.filter(user=user, confirmed=True))
            | Exists(SmsDevice.objects.filter(user=user, confirmed=True))
        )
        .first()
    )
    return SignatureState(
        needs_setup=row is None,
        locked=row is not None and row.is_locked,
        device=signature_device(user=user) if row is not None and row.has_device else None,
    )


def signature_prepare(*, user: User) -> None:
    device = signature_device(user=user)
    if isinstance(device, SmsDevice):
        with transaction.atomic():
            device.generate_challenge()


def _canonical(summary: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in summary.items()}


def _device_strike(*, user: User, ip_address: str | None) -> None:
    with transaction.atomic():
        row = TransactionPin.objects.select_for_update().get(user=user)
        if not row.is_locked:
            pin_strike(row=row, ip_address=ip_address)


def signature_verify(
    *,
    user: User,
    pin: str,
    summary: Mapping[str, Any],
    otp_code: str | None = None,
    pin_confirmation: str | None = None,
    ip_address: str | None = None,
    state: SignatureState | None = None,
) -> SignatureReceipt:
    """Verify the member's signature of ``summary``; see the module docstring.

    ``state`` is the member's signature state read earlier in the same request (the form
    reads it to choose its fields); passing it saves reading it again.
    """
    from django.core.exceptions import ValidationError

    state = state or signature_state(user=user)
    if state.needs_setup:
        if pin != pin_confirmation:
            raise SignatureError(_("The two PINs are not the same."), "pin_mismatch")
        try:
            pin_set(user=user, pin=pin, ip_address=ip_address)
        except ValidationError as exc:
            raise SignatureError(" ".join(exc.messages), "pin_invalid") from None
    else:
        if state.locked:
            raise SignatureError(pin_locked_message(), "pin_locked")
        # With a device, a right PIN alone must not clear the strikes of wrong codes.
        if not pin_check(user=user, pin=pin, ip_address=ip_address, reset=state.device is None):
            if signature_state(user=user).locked:
                raise SignatureError(pin_locked_message(), "pin_locked")
            raise SignatureError(_("The PIN is not correct."), "pin_wrong")
        # django-otp's verify_token refuses replays (TOTP remembers the last step used).
        if state.device is not None and (
            not otp_code or not state.device.verify_token(otp_code.strip())
        ):
            _device_strike(user=user, ip_address=ip_address)
            if signature_state(user=user).locked:
                raise SignatureError(pin_locked_message(), "pin_locked")
            raise SignatureError(
                _("The security code is not valid or was already used."), "otp_wrong"
            )
        if state.device is not None:
            pin_strikes_reset(user=user)
    canonical = _canonical(summary)
    digest = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    signed_at = timezone.now()
    audit_record(
        actor=user,
        event="signature.verified",
        subject=user,
        new={"summary": canonical, "digest": digest},
        ip_address=ip_address,
    )
    return SignatureReceipt(user_id=user.pk, signed_at=signed_at, summary=canonical, digest=digest)


class SignatureForm(forms.Form):
    """The "Firma" step. Shapes input only; :meth:`sign` does the one-time check."""

    pin = forms.CharField(
        label=gettext_lazy("PIN"),
        max_length=6,
        strip=True,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.state = signature_state(user=user)
        if self.state.needs_setup:
            self.fields["pin"].help_text = pin_rules_text()
            self.fields["pin_confirmation"] = forms.CharField(
                label=gettext_lazy("Confirm your PIN"),
                max_length=6,
                widget=forms.PasswordInput(
                    attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
                ),
            )
        elif self.state.device is not None:
            self.fields["otp_code"] = forms.CharField(
                label=gettext_lazy("Security code"),
                max_length=8,
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}
                ),
                help_text=(
                    gettext_lazy("The code your authenticator app shows.")
                    if isinstance(self.state.device, TOTPDevice)
                    else gettext_lazy("The code we sent you by SMS.")
                ),
            )

    def sign(
        self, *, summary: Mapping[str, Any], ip_address: str | None = None
    ) -> SignatureReceipt | None:
        """Verify after ``is_valid()``; on failure add the Spanish message and return None."""
        try:
            return signature_verify(
                user=self.user,
                pin=self.cleaned_data["pin"],
                pin_confirmation=self.cleaned_data.get("pin_confirmation"),
                otp_code=self.cleaned_data.get("otp_code"),
                summary=summary,
                ip_address=ip_address,
                state=self.state,
            )
        except SignatureError as exc:
            self.add_error(None, exc.message)
            return None


class KeyedSignatureForm(SignatureForm):
    """The "Firma" step carrying the flow's idempotency key (a hidden field), for flows whose
    last step is this form: a double submit then finds the first result by its key."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
