"""Writing audit rows. Call inside the transaction that makes the change."""

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from. Behind the proxy, REMOTE_ADDR is set by gunicorn's
    ``--forwarded-allow-ips``; a client-supplied X-Forwarded-For is never trusted here."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: Any,
    event: str,
    subject: models.Model | str,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    if isinstance(subject, models.Model):
        subject = f"{subject._meta.label_lower}:{subject.pk}"
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        event=event,
        subject=subject,
        old=old or {},
        new=new or {},
        ip_address=ip_address,
    )
