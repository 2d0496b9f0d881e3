"""Writing audit rows, and the one helper that says which address a request came from.

Client address (``client_ip``): every per-address throttle (sign-in, registration, the
beneficiary lookup), every audit row and the member's session list read it, so it is the only
place that knows about reverse proxies. ``settings.TRUSTED_PROXIES`` lists the proxies'
addresses/networks. The client is found by walking from the TCP peer (``REMOTE_ADDR``) back
through ``X-Forwarded-For``, right to left, while the hop is a trusted proxy; the first hop
that is not one is the client. Entries left of it were written by the client and are never
read. With no trusted proxy (or a peer that is not one) the header is ignored entirely, so it
cannot be forged; a malformed entry stops the walk at the last trusted hop.
"""

import datetime
import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest

from progresonet.sql import insert_columns, sql

from .models import AuditEvent

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=16)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(value: str | None) -> IPAddress | None:
    """A parsed address, or None for anything that is not exactly one (IPv6 may be bracketed)."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through a dual-stack socket is the same client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def proxy_trusted(address: IPAddress | str | None) -> bool:
    """True if ``address`` is one of ``settings.TRUSTED_PROXIES``."""
    if isinstance(address, str | None):
        address = _address(address)
    if address is None or not settings.TRUSTED_PROXIES:
        return False
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def request_via_trusted_proxy(request: HttpRequest) -> bool:
    """True if the TCP peer of ``request`` is a trusted reverse proxy (its X-Forwarded-*
    headers may then be believed)."""
    return proxy_trusted(request.META.get("REMOTE_ADDR"))


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from (see the module docstring); None if unknown."""
    if request is None:
        return None
    hop = _address(request.META.get("REMOTE_ADDR"))
    if hop is None or not proxy_trusted(hop):
        return str(hop) if hop is not None else None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(forwarded.split(",") if forwarded else []):
        previous = _address(entry)
        if previous is None:
            break  # malformed: the last trusted hop is all that can be said
        hop = previous
        if not proxy_trusted(hop):
            break
    return str(hop)


def _audit_row(
    *,
    actor: Any,
    event: str,
    subject: models.Model | str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    ip_address: str | None,
) -> AuditEvent:
    """The unsaved audit row of an event (an anonymous actor is none)."""
    if isinstance(subject, models.Model):
        subject = f"{subject._meta.label_lower}:{subject.pk}"
    return AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        event=event,
        subject=subject,
        old=old or {},
        new=new or {},
        ip_address=ip_address,
    )


def audit_record(
    *,
    actor: Any,
    event: str,
    subject: models.Model | str,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    row = _audit_row(
        actor=actor, event=event, subject=subject, old=old, new=new, ip_address=ip_address
    )
    row.save(force_insert=True)  # what AuditEvent.objects.create does
    return row


def _audit_value(value: Any) -> Any:
    """A field's value as the audit JSON keeps it: money (Decimal) and anything else JSON
    cannot hold exactly as ``str``, dates and times in ISO form, plain JSON values as they are."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _concrete_field(row: models.Model, name: str) -> models.Field:
    try:
        field = row._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if field is None or not field.concrete or field.primary_key:
        raise TypeError(f"audited_update: {row._meta.label} has no writable field {name!r}")
    return field


def audited_update(
    row: models.Model,
    /,
    *,
    actor: Any,
    event: str,
    ip_address: str | None = None,
    unaudited: Mapping[str, Any] | None = None,
    **changes: Any,
) -> AuditEvent:
    """Change ``changes`` (field name → new value) on ``row``, write those fields only, and
    record ``event`` on ``row`` with each field's value before and after (``old``/``new``,
    keyed by field name, rendered by :func:`_audit_value`: a foreign key by its id).

    The caller holds the row's lock (``select_for_update``) and its transaction, and decides
    whether there is anything to change: a named field is written and audited even if its
    value is the same. ``unaudited`` fields are written with the change but kept out of the
    audit (a value derived from it, such as a signature fingerprint). An ``auto_now`` field
    (``updated_at``) is written too, as a full ``save()`` would. Any other field changed in
    memory is left unwritten. An unknown name raises ``TypeError`` before anything changes.
    """
    if not changes:
        raise TypeError("audited_update: no field to change")
    unaudited = dict(unaudited or {})
    if both := changes.keys() & unaudited.keys():
        raise TypeError(f"audited_update: {sorted(both)} both audited and unaudited")
    fields = {name: _concrete_field(row, name) for name in [*changes, *unaudited]}
    old = {name: _audit_value(getattr(row, fields[name].attname)) for name in changes}
    for name, value in {**changes, **unaudited}.items():
        setattr(row, name, value)
    stamped = [
        field.name
        for field in row._meta.concrete_fields
        if getattr(field, "auto_now", False) and field.name not in fields
    ]
    row.save(update_fields=[*fields, *stamped])
    return audit_record(
        actor=actor,
        event=event,
        subject=row,
        old=old,
        new={name: _audit_value(getattr(row, fields[name].attname)) for name in changes},
        ip_address=ip_address,
    )


# audit_insert_sql's statements (progresonet.sql): typed placeholders, since an untyped
# parameter in a SELECT list would be read as text. With a caller's WITH query (``src``) the
# subject is the given label and that query's new id.
_INSERT_SQL = "INSERT INTO {e} ({c}) SELECT {c.typed}"
_INSERT_FROM_SQL = (
    "INSERT INTO {e} ({c}, {e.subject}) SELECT {c.typed}, %s || {src}.id::text FROM {src}"
)


def audit_insert_sql(
    *,
    actor: Any,
    event: str,
    subject: models.Model | str,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    ip_address: str | None = None,
    subject_id_from: str = "",
) -> tuple[str, list[Any]]:
    """The row :func:`audit_record` writes, as an INSERT statement and its bound parameters,
    for a hot path that writes it in the same statement as its own row (a data-modifying
    ``WITH``): one round trip and no ORM query building instead of a second ``create``.

    ``subject_id_from`` names a ``WITH`` query of the caller returning ``id``: the subject is
    then ``subject`` (a model class's label, e.g. ``transfers.transfer``) and that id, which
    is only known inside the statement. Every value is the one ``create`` would write, so
    the row is the one ``audit_record`` would write."""
    row = _audit_row(
        actor=actor, event=event, subject=subject, old=old, new=new, ip_address=ip_address
    )
    if subject_id_from:
        columns = insert_columns(AuditEvent, exclude=("subject",))
        statement = sql(_INSERT_FROM_SQL, e=AuditEvent, c=columns, src=subject_id_from)
        return statement, [*columns.params(row), f"{row.subject}:"]
    columns = insert_columns(AuditEvent)
    return sql(_INSERT_SQL, e=AuditEvent, c=columns), columns.params(row)
