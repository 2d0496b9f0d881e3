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
                            purpose="my.purpose", fingerprint=my_service_fingerprint(...),
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
  It also takes ``purpose`` and ``fingerprint``: the service the receipt is for (see below).
- ``signature_prepare(*, user, state=None)`` sends a fresh SMS code when the member's device is
  an SMS token (call it when showing the step; pass the form's ``state`` to save reading the
  devices again); it does nothing otherwise.
- ``signature_state(*, user)`` tells whether the member needs to set up a PIN, is blocked, or
  has a device.

The signature belongs to the service
------------------------------------
A view that checks the PIN and then calls a service is one forgotten ``if`` away from moving
money without the member. So every member-facing service that moves money or changes who can
receive it (or a limit) takes a required ``signature: SignatureReceipt`` and calls
:func:`signature_consume` at the start of its own transaction. The receipt is refused unless:

- it belongs to the user the service acts for;
- it was made for this service (``purpose``) over the service's OWN fingerprint of what it
  executes, recomputed by the service from its own arguments (``fingerprint``; the view signs
  the same value, computed by the same function the service uses);
- it is fresh (``settings.SIGNATURE_RECEIPT_TTL_SECONDS``);
- it was never used: ``signature_verify`` writes a :class:`~accounts.models.SignatureGrant` row
  and consuming it is one conditional UPDATE (``used_at`` from NULL) in the service's
  transaction: of two concurrent uses one wins; a refused operation rolls the use back.

The receipt is a plain value; the grant row is the authority, so a receipt built by hand
without a row written by a verified PIN is refused.

Code paths and what each passes
-------------------------------
Member-facing (a ``SignatureReceipt``; the purposes below, each a member of the owning app's
``*Purpose`` enum in its ``events.py``, which names it in the audit admin via ``audit.registry``;
a member is a ``str``, so the stored value is the one shown):

- ``transfers.services.transfer_execute`` — ``transfer.execute`` over
  :func:`transfers.services.transfer_signing_fingerprint` (the quote's fingerprint, the
  order's free texts and the "Registrar socio" alias: the one PIN of the transfer wizard
  covers the registration, which the transfer service performs in its own transaction);
- ``transfers.services.transfer_cosign`` — ``transfer.cosign``;
- ``loans.services.loan_pay`` — ``loan.pay``;
- ``beneficiaries.services.beneficiary_register_member`` / ``_register_other_bank`` /
  ``_update`` / ``_delete`` — ``beneficiary.register`` / ``beneficiary.update`` /
  ``beneficiary.delete``;
- ``transfers.limits.member_limit_set`` — ``limit.set`` (a raise needs one; a lowering only
  reduces what can leave the account and may pass ``signature=None``).

``tests/security/test_signature_receipts.py`` keeps this list honest: a new function in those
modules that can post or change a beneficiary or limit without a receipt fails it.

Staff (a :class:`StaffAuthorisation`: the clerk, the permission checked, the audit row the
service writes): ventanilla cash deposits and withdrawals
(``ledger.services.cash_operation_staff``). Other staff actions still pass the clerk as
``actor`` after the admin checked the permission, and audit it: loan disbursement
(``loans.services.loan_create_and_disburse``), PIN and sign-in unlocks, exchange-rate and
fee changes. None of them calls the member-facing services above.

System (neither: no member and no clerk acts; each is idempotent and audited by its own
service): interbank settlement and rejection reversals (``transfers.interbank``), penalty
accrual (``loans.services.loan_accrue_penalties``), co-signature expiry
(``transfers.services.transfers_expire_pending``), the outbox relay; and the demo loader,
tests and benchmarks, which obtain receipts through :func:`signature_issue` (the same code
path as ``signature_verify`` after the PIN check; never call it from a view).
"""

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SignatureGrant, SmsDevice, TransactionPin, User
from accounts.services.pin import (
    pin_check,
    pin_locked_message,
    pin_rules_text,
    pin_set,
    pin_strike,
    pin_strikes_reset,
)
from audit.services import audit_insert_sql
from progresonet.sql import insert_columns, sql

from .events import AccountEvent


class SignatureError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(code)  # never the PIN, never the message with data in logs
        self.message = message
        self.code = code


class SignatureRefused(SignatureError):
    """A service refused the receipt it was given (see :func:`signature_consume`)."""


@dataclass(frozen=True)
class SignatureReceipt:
    user_id: int
    signed_at: datetime
    summary: dict[str, str]
    digest: str
    purpose: str = ""
    fingerprint: str = ""
    grant_id: uuid.UUID | None = None


@dataclass(frozen=True)
class StaffAuthorisation:
    """What a staff action passes instead of a member's signature: the clerk and the
    permission the admin checked. The service calls :meth:`check` and writes the audit row
    naming the clerk."""

    clerk: User
    permission: str

    def check(self) -> None:
        from django.core.exceptions import PermissionDenied

        clerk = self.clerk
        if not (clerk.is_active and clerk.is_staff and clerk.has_perm(self.permission)):
            raise PermissionDenied(self.permission)


def fingerprint_of(*parts: Any) -> str:
    """A service's fingerprint of what it executes: SHA-256 over its parts, in order."""
    encoded = json.dumps([str(part) for part in parts], ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


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


# The member's signature state in ONE plain statement: the PIN row (none: needs setup) and
# whether a confirmed device exists (read in full only then). The data step (showing step 4)
# and the signing POST both pay for it, and building the ORM query with its two EXISTS
# annotations cost more CPU than the query itself (progresonet.sql: names, bound values).
_STATE_SQL = (
    "SELECT p.{pin.locked_at} IS NOT NULL, "
    "EXISTS (SELECT 1 FROM {totp} t WHERE t.{totp.user} = p.{pin.user} AND t.{totp.confirmed}) "
    "OR EXISTS (SELECT 1 FROM {sms} s WHERE s.{sms.user} = p.{pin.user} AND s.{sms.confirmed}) "
    "FROM {pin} p WHERE p.{pin.user} = %s"
)


def signature_state(*, user: User) -> SignatureState:
    # One query in the common case (no security device): the devices are read only when the
    # PIN row says there is one. Every signature pays for this read (see _STATE_SQL).
    with connection.cursor() as cursor:
        cursor.execute(
            sql(_STATE_SQL, pin=TransactionPin, totp=TOTPDevice, sms=SmsDevice), [user.pk]
        )
        row = cursor.fetchone()
    return SignatureState(
        needs_setup=row is None,
        locked=row is not None and row[0],
        device=signature_device(user=user) if row is not None and row[1] else None,
    )


def signature_prepare(*, user: User, state: SignatureState | None = None) -> None:
    """``state``: the member's signature state read in this request (the signature form's),
    which already names the device; without it (or while the PIN is not set up, when the state
    names none) the device is read here."""
    if state is not None and not state.needs_setup:
        device = state.device
    else:
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
    purpose: str = "",
    fingerprint: str = "",
    otp_code: str | None = None,
    pin_confirmation: str | None = None,
    ip_address: str | None = None,
    state: SignatureState | None = None,
) -> SignatureReceipt:
    """Verify the member's signature of ``summary``; see the module docstring.

    ``purpose`` and ``fingerprint`` name the service that will consume the receipt and its
    fingerprint of what it executes; a receipt without them is refused by every service (so
    forgetting them fails closed).
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
    return signature_issue(
        user=user,
        summary=summary,
        purpose=purpose,
        fingerprint=fingerprint,
        ip_address=ip_address,
    )


_GRANT_INSERT_SQL = "INSERT INTO {g} ({c}) VALUES ({c.values})"


def signature_issue(
    *,
    user: User,
    summary: Mapping[str, Any],
    purpose: str,
    fingerprint: str,
    ip_address: str | None = None,
) -> SignatureReceipt:
    """Write the grant row and the ``signature.verified`` audit row; return the receipt.

    Only :func:`signature_verify` calls this after checking the PIN, and non-interactive
    trusted code (the demo loader, tests, benchmarks) that has no PIN to type.
    """
    canonical = _canonical(summary)
    grant_id = uuid.uuid4()
    digest = hashlib.sha256(
        json.dumps(
            {
                "grant": str(grant_id),
                "purpose": purpose,
                "fingerprint": fingerprint,
                "summary": canonical,
            },
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    signed_at = timezone.now()
    grant = SignatureGrant(
        id=grant_id,
        user=user,
        purpose=purpose,
        fingerprint=fingerprint,
        digest=digest,
        created_at=signed_at,
    )
    audit_sql, audit_params = audit_insert_sql(
        actor=user,
        event=AccountEvent.SIGNATURE_VERIFIED,
        subject=user,
        new={
            "summary": canonical,
            "digest": digest,
            "purpose": purpose,
            "fingerprint": fingerprint,
        },
        ip_address=ip_address,
    )
    # The grant and its audit row in ONE statement (a data-modifying WITH): every signature
    # pays for these two writes, and two ORM creates cost more CPU than the rows. Both commit
    # or neither (one statement); the values are the ones create() would write.
    columns = insert_columns(SignatureGrant)
    grant_sql = sql(_GRANT_INSERT_SQL, g=SignatureGrant, c=columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH g AS ({grant_sql}) {audit_sql}",
            columns.params(grant) + audit_params,
        )
    return SignatureReceipt(
        user_id=user.pk,
        signed_at=signed_at,
        summary=canonical,
        digest=digest,
        purpose=purpose,
        fingerprint=fingerprint,
        grant_id=grant_id,
    )


def signature_ttl() -> timedelta:
    return timedelta(seconds=settings.SIGNATURE_RECEIPT_TTL_SECONDS)


def _refused(code: str) -> SignatureRefused:
    messages = {
        "missing": _("This operation needs your PIN signature."),
        "mismatch": _("The signature does not match this operation. Please sign again."),
        "used": _("This signature was already used. Please sign again."),
        "stale": _("The signature expired. Please sign again."),
    }
    return SignatureRefused(messages[code], f"signature_{code}")


_CONSUME_SQL = (
    "UPDATE {g} SET {g.used_at} = %s WHERE {g.id} = %s AND {g.user} = %s "
    "AND {g.purpose} = %s AND {g.fingerprint} = %s AND {g.digest} = %s "
    "AND {g.used_at} IS NULL AND {g.created_at} > %s"
)


def signature_consume(
    *, signature: SignatureReceipt | None, user: User, purpose: str, fingerprint: str
) -> None:
    """Use ``signature`` once for ``purpose`` over ``fingerprint``, or raise
    :class:`SignatureRefused` (a Spanish ``message``). See the module docstring.

    Call it at the start of the service's own transaction: the use commits or rolls back
    with the operation, and the conditional UPDATE makes a concurrent second use wait for
    the first and then find the row used.
    """
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the use would commit even when the operation fails.
        raise RuntimeError("signature_consume must run inside the service's transaction")
    if not isinstance(signature, SignatureReceipt) or signature.grant_id is None:
        raise _refused("missing")
    if (
        user is None
        or signature.user_id != user.pk
        or not purpose
        or signature.purpose != purpose
        or not constant_time_compare(signature.fingerprint, fingerprint)
    ):
        raise _refused("mismatch")
    now = timezone.now()
    # The use itself: one plain conditional UPDATE (every signed operation runs it; the ORM's
    # query building cost more CPU than the statement; progresonet.sql).
    with connection.cursor() as cursor:
        cursor.execute(
            sql(_CONSUME_SQL, g=SignatureGrant),
            [
                now,
                signature.grant_id,
                user.pk,
                purpose,
                fingerprint,
                signature.digest,
                now - signature_ttl(),
            ],
        )
        if cursor.rowcount:
            return
    # Refused (rare): say why.
    row = SignatureGrant.objects.filter(
        pk=signature.grant_id,
        user_id=user.pk,
        purpose=purpose,
        fingerprint=fingerprint,
        digest=signature.digest,
    ).first()
    if row is None:
        raise _refused("mismatch")  # no grant written by a verified PIN says this
    raise _refused("used" if row.used_at is not None else "stale")


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
        self,
        *,
        summary: Mapping[str, Any],
        purpose: str = "",
        fingerprint: str = "",
        ip_address: str | None = None,
    ) -> SignatureReceipt | None:
        """Verify after ``is_valid()``; on failure add the Spanish message and return None."""
        try:
            return signature_verify(
                user=self.user,
                pin=self.cleaned_data["pin"],
                pin_confirmation=self.cleaned_data.get("pin_confirmation"),
                otp_code=self.cleaned_data.get("otp_code"),
                summary=summary,
                purpose=purpose,
                fingerprint=fingerprint,
                ip_address=ip_address,
                state=self.state,
            )
        except SignatureError as exc:
            self.add_error(None, exc.message)
            return None


class KeyedSignatureForm(SignatureForm):
    """The "Firma" step carrying the flow's idempotency key (a hidden field), for flows whose
    last step is this form: a double submit then finds the first result by its key."""

    idempotency_key = forms.CharField(
        label=gettext_lazy("Operation key"), widget=forms.HiddenInput, max_length=64
    )
