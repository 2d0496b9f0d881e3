"""Spanish names for what the audit trail stores as identifiers: events, signing purposes and
the keys of ``old``/``new``.

Events and signing purposes are named by the apps that own them, beside their declaration (the
labels of the ``TextChoices`` in each app's ``events.py``), which register them in
:mod:`audit.registry`: this app imports none of them (plumbing, see scripts/check_imports.py).
The audit admin tests check that every enum an app declares is registered and names each of its
members; a stored value no enum declares shows itself.
"""

import json

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .registry import events, purposes

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
    return events.label(event)


def _subject_parts(subject: str) -> tuple[type[Model] | None, str, str]:
    """``"app.model:pk"`` or, for a row named by another field (a looked-up account number
    that may not exist), ``"app.model.field:value"``: (model, field name or "", value)."""
    label, _, value = subject.partition(":")
    app_model, dot, field = label.partition(".")[2].partition(".")
    try:
        model = apps.get_model(f"{label.partition('.')[0]}.{app_model}")
    except (LookupError, ValueError):
        return None, "", value
    return model, field if dot else "", value


def subject_model(subject: str) -> type[Model] | None:
    return _subject_parts(subject)[0]


def subject_label(subject: str) -> str:
    """``"transfers.transfer:12"`` → ``"Transferencia 12"`` (the model's own Spanish name);
    ``"ledger.account.number:1011000784"`` → ``"Cuenta, número 1011000784"``."""
    model, field_name, value = _subject_parts(subject)
    if model is None:
        return subject
    name = capfirst(model._meta.verbose_name)
    if field_name:
        try:
            field = model._meta.get_field(field_name)
        except FieldDoesNotExist:
            return subject
        return f"{name}, {field.verbose_name} {value}".strip()
    return f"{name} {value}".strip()


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
    if key == "purpose" and isinstance(value, str):
        # What a signature was for (a "signature verified" event; accounts.signing).
        return purposes.label(value)
    if isinstance(value, str) and value in VALUE_TEXTS:
        return VALUE_TEXTS[value]
    field = _field(model, key)
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    if isinstance(value, (str, int)) and value in choices:
        return choices[value]
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
