"""The audit trail in the admin: clerks read it, nobody writes it, every event (and what each
PIN signature was for) in Spanish."""

import importlib
import inspect
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.module_loading import module_has_submodule

from audit.labels import event_label, subject_label, value_text
from audit.models import AuditEvent
from audit.registry import Registry, events, purposes
from audit.services import audit_record
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


# What an app's events.py declares, by the enum's name: its audit events (``<App>Event``,
# registered with ``register_events``) and what its PIN signatures are for (``<App>Purpose``,
# ``register_purposes``). The name says which registry must hold the enum.
KINDS: dict[str, Registry] = {"Event": events, "Purpose": purposes}


def _declared(module: types.ModuleType) -> set[type[models.TextChoices]]:
    """The enums ``module`` (an app's ``events.py``) declares."""
    return {
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, models.TextChoices) and cls.__module__ == module.__name__
    }


def _app_enums() -> set[type[models.TextChoices]]:
    """Every enum an installed app declares in its ``events.py``."""
    found = set()
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "events"):
            found |= _declared(importlib.import_module(f"{config.name}.events"))
    return found


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _misfiled(
    declared: set[type[models.TextChoices]], kinds: dict[str, Registry] = KINDS
) -> set[str]:
    """Each declared enum missing from the registry its name calls for (or named for none)."""
    found = set()
    for enum in declared:
        registry = next((r for end, r in kinds.items() if enum.__name__.endswith(end)), None)
        if registry is None or _dotted(enum) not in {_dotted(e) for e in registry.enums()}:
            found.add(_dotted(enum))
    return found


def test_every_enum_an_app_declares_is_registered():
    """An events.py that forgot ``@register_events`` (or ``@register_purposes``) would leave
    its events (or signing purposes) unnamed."""
    declared = _app_enums()
    assert sum(len(enum) for enum in declared) >= 56 + 10, declared  # events and purposes
    assert _misfiled(declared) == set()
    # And nothing is registered from outside an app's events.py (its names would be missed).
    for end, registry in KINDS.items():
        named = {_dotted(e) for e in declared if e.__name__.endswith(end)}
        assert {_dotted(e) for e in registry.enums()} == named
    assert {_dotted(e) for e in purposes.enums()} == {
        "beneficiaries.events.BeneficiaryPurpose",
        "loans.events.LoanPurpose",
        "transfers.events.TransferPurpose",
    }


def test_the_walk_finds_an_unregistered_or_misfiled_enum():
    """The check above can fail: an enum declared and not registered is reported, and so is a
    purpose registered as an event (where purposes are named it would show its stored value)
    and an enum named for neither."""
    module = types.ModuleType("somewhere.events")

    class SomewhereEvent(models.TextChoices):
        DONE = "somewhere.done", "Done"

    class SomewherePurpose(models.TextChoices):
        SIGN = "somewhere.sign", "Sign"

    class SomewhereThing(models.TextChoices):
        THING = "somewhere.thing", "Thing"

    for cls in (SomewhereEvent, SomewherePurpose, SomewhereThing):
        cls.__module__ = module.__name__
        cls.__qualname__ = cls.__name__
        setattr(module, cls.__name__, cls)
    declared = _declared(module)
    kinds = {"Event": Registry("Audit event"), "Purpose": Registry("Signing purpose")}
    assert _misfiled(declared, kinds) == {
        "somewhere.events.SomewhereEvent",
        "somewhere.events.SomewherePurpose",
        "somewhere.events.SomewhereThing",
    }
    kinds["Event"].register(SomewhereEvent)
    kinds["Event"].register(SomewherePurpose)  # the wrong registry
    assert _misfiled(declared, kinds) == {
        "somewhere.events.SomewherePurpose",
        "somewhere.events.SomewhereThing",
    }
    kinds["Purpose"].register(SomewherePurpose)
    assert _misfiled(declared, kinds) == {"somewhere.events.SomewhereThing"}


def test_every_event_and_purpose_is_registered_at_startup():
    """audit's ready() imports every app's events.py: a process that never imports one (a
    worker, a fresh admin process) still knows every name."""
    script = (
        "import django\n"
        "django.setup()\n"
        "from audit.registry import events, purposes\n"
        "for e in events.enums() | purposes.enums():\n"
        "    print(f'{e.__module__}.{e.__qualname__}')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "progresonet.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {_dotted(e) for e in _app_enums()}


def _unnamed(registry: Registry) -> list[str]:
    """The registered values whose label no catalogue translates."""
    unnamed = []
    for member in (member for enum in registry.enums() for member in enum):
        # A label given in the declaration is lazy gettext; Django's default is a plain str
        # made from the member's name, which no catalogue translates.
        if not isinstance(member.label, Promise):
            unnamed.append(member.value)
            continue
        with translation.override("en"):
            english = str(member.label)
        with translation.override("es"):
            spanish = str(member.label)
        if spanish in (english, member.value):
            unnamed.append(member.value)
    return unnamed


def test_every_event_an_app_writes_has_a_spanish_name():
    assert len(events.choices()) >= 56
    assert _unnamed(events) == []
    assert str(event_label("transfer.created")) == "Transferencia realizada"
    assert str(event_label("pin.created")) == "PIN de transacciones creado"


def test_every_signing_purpose_has_its_spanish_name():
    """What each signature was for, as the audit admin shows a "signature verified" row: the
    Spanish audit's catalogue gave each stored purpose before they moved to their apps."""
    assert _unnamed(purposes) == []
    with translation.override("es"):
        shown = {value: str(value_text(None, "purpose", value)) for value, _ in purposes.choices()}
    assert shown == {
        "beneficiary.delete": "Eliminar un producto de terceros",
        "beneficiary.register": "Registrar un producto de terceros",
        "beneficiary.update": "Modificar un producto de terceros",
        "limit.set": "Fijar el límite diario",
        "loan.pay": "Pagar un préstamo",
        "transfer.cosign": "Cofirmar una transferencia",
        "transfer.execute": "Realizar una transferencia",
        "transfer.schedule": "Programar una transferencia",
        "transfer.schedule.amend": "Modificar una transferencia programada",
        "transfer.schedule.resume": "Reanudar una transferencia programada",
    }


def test_an_event_nobody_declares_shows_its_stored_value():
    assert event_label("nada.raro") == "nada.raro"
    assert value_text(None, "purpose", "nada.raro") == "nada.raro"
    # An event value is not a purpose: the two registries are apart.
    assert value_text(None, "purpose", "transfer.created") == "transfer.created"


def test_the_event_filter_offers_every_registered_event_by_its_spanish_name():
    from audit.admin import EventFilter

    with translation.override("es"):
        lookups = EventFilter.lookups(None, None, None)
        assert {value for value, _ in lookups} == {value for value, _ in events.choices()}
        names = [str(label) for _, label in lookups]
        assert names == sorted(names)
        assert ("transfer.created", "Transferencia realizada") in [
            (value, str(label)) for value, label in lookups
        ]


def test_subject_is_named_by_its_model():
    assert subject_label("transfers.transfer:12") == "Transferencia 12"
    assert subject_label("nada.raro:3") == "nada.raro:3"
    # A row named by another field (a "Buscar" of an account number that may not exist).
    assert subject_label("ledger.account.number:1011000784") == "Cuenta, número 1011000784"
    assert subject_label("ledger.account.nada:1") == "ledger.account.nada:1"
    assert subject_label("ledger:1") == "ledger:1"


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
    assert "Transferencia realizada" in html  # the filter names events no row holds yet
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
