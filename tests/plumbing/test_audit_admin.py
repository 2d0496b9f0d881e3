"""The audit trail in the admin: clerks read it, nobody writes it, every event in Spanish."""

import importlib
import inspect

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from audit.labels import EVENT_LABELS, event_label, subject_label
from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _app_events() -> set[str]:
    """Every event value an app declares in its ``events.py``."""
    values = set()
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.events")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, models.TextChoices) and cls.__module__ == module.__name__:
                values.update(cls.values)
    return values


def test_every_event_an_app_writes_has_a_spanish_name():
    events = _app_events()
    assert len(events) >= 50, events  # the five apps' events were found
    assert events - set(EVENT_LABELS) == set()
    # And no name is kept for an event nobody declares (a typo would hide the real one).
    assert set(EVENT_LABELS) - events == set()
    assert str(event_label("transfer.created")) == "Transferencia realizada"


def test_subject_is_named_by_its_model():
    assert subject_label("transfers.transfer:12") == "Transferencia 12"
    assert subject_label("nada.raro:3") == "nada.raro:3"


@pytest.fixture
def event(staff_user):
    member_user = make_user(username="socia.audit")
    return audit_record(
        actor=member_user,
        event="password.changed",
        subject=member_user,
        old={"locked": False},
        new={"locked": True, "reason": "tres intentos"},
        ip_address="203.0.113.9",
    )


def test_clerk_reads_the_list_and_an_event(staff_client, event):
    response = staff_client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Contraseña cambiada" in html and "203.0.113.9" in html
    filtered = staff_client.get(
        reverse("admin:audit_auditevent_changelist"), {"event": "password.changed", "q": "socia"}
    )
    assert filtered.status_code == 200 and "Contraseña cambiada" in filtered.content.decode()
    page = staff_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Contraseña cambiada" in html
    assert "Motivo" in html and "tres intentos" in html
    assert 'name="_save"' not in html  # read-only: nothing to submit


def test_nobody_adds_changes_or_deletes_an_event(staff_client, event):
    assert staff_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        )
    ).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    superuser = make_user(username="raiz", is_staff=True, is_superuser=True)
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.has_view_permission(request, event)


def test_staff_without_the_view_permission_sees_nothing(client, event):
    from tests.conftest import admin_force_login

    admin_force_login(client, make_user(username="otro.staff", is_staff=True))
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
