"""Spanish names for what the audit trail stores as identifiers: events, signing purposes and
the keys of ``old``/``new``.

Events are named by the apps that write them (their ``events.py``); this app imports none of
them (plumbing, see scripts/check_imports.py), so the name of each event lives here, keyed by
the stored value, which never changes. ``tests/plumbing/test_audit_admin.py`` checks that every
event an app declares has a name here; one that somehow lacks it shows its stored value.
"""

import json

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    # accounts: who you are
    "device.sms_enrolled": _("SMS code phone enrolled"),
    "device.sms_removed": _("SMS code phone removed"),
    "device.totp_enrolled": _("Authenticator app enrolled"),
    "device.totp_removed": _("Authenticator app removed"),
    "email.change_requested": _("Email address change requested"),
    "email.changed": _("Email address changed"),
    "member.contact_updated": _("Member contact details updated"),
    "password.changed": _("Password changed"),
    "pin.locked": _("Transaction PIN locked"),
    "pin.unlocked": _("Transaction PIN unlocked"),
    "profile.changed": _("Personal details changed"),
    "registration.approved": _("Registration approved"),
    "registration.email_confirmed": _("Registration email confirmed"),
    "registration.first_approval": _("Registration: first approval"),
    "registration.link_resent": _("Registration: link sent again"),
    "registration.password_set": _("Registration: password set"),
    "registration.rejected": _("Registration rejected"),
    "registration.submitted": _("Registration submitted"),
    "session.closed": _("Session closed"),
    "signature.verified": _("Signature verified"),
    "signing.restricted": _("Signing restricted"),
    "user.locked": _("User locked"),
    "user.unlocked": _("User unlocked"),
    # Written by accounts.services.pin under names its events.py does not declare.
    "pin.created": _("Transaction PIN created"),
    "pin.changed": _("Transaction PIN changed"),
    # ledger: what you have
    "ledger.cash_deposit": _("Cash deposit"),
    "ledger.cash_withdrawal": _("Cash withdrawal"),
    "ledger.exchange_rate_approved": _("Exchange rate approved"),
    "ledger.exchange_rate_proposed": _("Exchange rate proposed"),
    "ledger.exchange_rate_published": _("Exchange rate published"),
    "ledger.exchange_rate_rejected": _("Exchange rate rejected"),
    # loans
    "loan.disbursed": _("Loan disbursed"),
    "loan.paid": _("Loan payment"),
    "loan.penalty_rate_changed": _("Loan penalty rate changed"),
    # beneficiaries
    "beneficiary.deleted": _("Third-party product deleted"),
    "beneficiary.lookup": _("Third-party account looked up"),
    "beneficiary.registered": _("Third-party product registered"),
    "beneficiary.updated": _("Third-party product updated"),
    # transfers
    "transfer.cosigned": _("Transfer co-signed"),
    "transfer.created": _("Transfer made"),
    "transfer.declined": _("Transfer declined by a co-holder"),
    "transfer.scheduled_posted": _("Scheduled transfer made"),
    "transfer.scheduled": _("Transfer scheduled"),
    "transfer.schedule_paused": _("Scheduled transfer paused"),
    "transfer.schedule_cancelled": _("Scheduled transfer cancelled"),
    "transfer.schedule_paused_by_staff": _("Scheduled transfer paused by staff"),
    "transfer.schedule_resumed": _("Scheduled transfer resumed"),
    "transfer.schedule_amended": _("Scheduled transfer amended"),
    "qr.created": _("QR code created"),
    "qr.revoked": _("QR code revoked"),
    "qr.released": _("QR code released (its payment was declined or expired)"),
    "transfer.limit_lowered": _("Daily limit lowered"),
    "transfer.limit_raise_requested": _("Daily limit raise requested"),
    "transfers.fee_band_added": _("Fee band added"),
    "transfers.fee_band_fee_changed": _("Fee band fee changed"),
    "transfers.fee_band_removed": _("Fee band removed"),
}

# What a signature was for (``purpose`` of a "signature verified" event; accounts.signing).
PURPOSE_LABELS = {
    "beneficiary.delete": _("Delete a third-party product"),
    "beneficiary.register": _("Register a third-party product"),
    "beneficiary.update": _("Update a third-party product"),
    "limit.set": _("Set the daily limit"),
    "loan.pay": _("Pay a loan"),
    "transfer.cosign": _("Co-sign a transfer"),
    "transfer.execute": _("Make a transfer"),
    "transfer.schedule": _("Schedule a transfer"),
    "transfer.schedule.amend": _("Amend a scheduled transfer"),
    "transfer.schedule.resume": _("Resume a scheduled transfer"),
}

# Keys of ``old``/``new`` that are not a field of the subject's model (or name one by
# another name: ``type`` is a transfer's ``transfer_type``).
VALUE_LABELS = {
    "device": _("device"),
    "extended_band": _("extended band"),
    "ip": _("IP address"),
    "other_sessions_ended": _("other sessions ended"),
    "posting": _("posting"),
    "proposed_by": _("proposed by"),
    "rate_type": _("rate type"),
    "reason": _("reason"),
    "result": _("result"),
    "session": _("session"),
    "split_band": _("split band"),
    "until": _("until"),
    "purpose": _("purpose"),
    "summary": _("signed summary"),
    "digest": _("digest"),
    "fingerprint": _("fingerprint"),
    "schedule": _("schedule"),
    "valid_until": _("valid until"),
    "valid_from": _("valid from"),
    "four_eyes": _("four eyes"),
    "verified_at_counter": _("verification counter"),
    "registration": _("registration request"),
    "first_approved_by": _("first approved by"),
    "instalments": _("instalments"),
    "payment": _("payment"),
    "pin": _("PIN"),
    "source": _("source account"),
    # Fields declared without a verbose name (transfers.qr.models.QrCode).
    "account": _("account"),
    "member": _("member"),
}
KEY_FIELDS = {"type": "transfer_type", "source": "source_account"}
# Literal values some events store instead of a secret ("pin": "set").
VALUE_TEXTS = {"set": _("set (not shown)")}


def event_label(event: str) -> str:
    return EVENT_LABELS.get(event, event)


def subject_model(subject: str) -> type[Model] | None:
    label, _, _ = subject.partition(":")
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def subject_label(subject: str) -> str:
    """``"transfers.transfer:12"`` → ``"Transferencia 12"`` (the model's own Spanish name)."""
    model = subject_model(subject)
    if model is None:
        return subject
    return f"{capfirst(model._meta.verbose_name)} {subject.partition(':')[2]}".strip()


def _field(model: type[Model] | None, key: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(KEY_FIELDS.get(key, key))
    except FieldDoesNotExist:
        return None


def key_label(model: type[Model] | None, key: str) -> str:
    if key in VALUE_LABELS:
        return capfirst(VALUE_LABELS[key])
    field = _field(model, key)
    if field is not None and hasattr(field, "verbose_name"):
        return capfirst(field.verbose_name)
    return key


def value_text(model: type[Model] | None, key: str, value: object) -> str:
    """A stored value as staff read it: a choice by its Spanish name, yes/no, a signing purpose
    by what it was for; anything else as stored (it is evidence)."""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if value is None or value == "":
        return "—"
    if key == "purpose":
        return PURPOSE_LABELS.get(value, value)
    if isinstance(value, str) and value in VALUE_TEXTS:
        return VALUE_TEXTS[value]
    field = _field(model, key)
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    if isinstance(value, (str, int)) and value in choices:
        return choices[value]
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
