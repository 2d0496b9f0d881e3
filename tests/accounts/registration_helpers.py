"""Drive the registration wizard the way a browser posts it."""

import re
from urllib.parse import urlparse

from django.urls import reverse

from outbox.models import OutboxMessage

PREFIX = "registration_wizard"

PERSON = {
    "first_names": "Silvia",
    "last_names": "Ferrufino Fernández",
    "document_number": "3344556",
    "document_issued_in": "LP",
    "birth_date": "1988-03-21",
    "email": "silvia.ferrufino@example.com",
    "phone": "70011223",
    "address": "Av. Busch 1020, La Paz",
    "username": "sferrufino",
}
COMPANY = {
    "business_name": "Textiles Illimani S.R.L.",
    "document_number": "1029384756",
    "legal_representative": "Rosa Condori Apaza",
    "legal_representative_ci": "6677889",
    "email": "gerencia@textiles-illimani.example.com",
    "phone": "22334455",
    "username": "tillimani",
}


def post_step(client, step: str, data: dict | None = None, **extra):
    payload = {f"{PREFIX}-current_step": step}
    payload.update({f"{step}-{key}": value for key, value in (data or {}).items()})
    payload.update(extra)
    return client.post(reverse("accounts:registration"), payload)


def register(client, kind: str = "person", data: dict | None = None, captcha: bool = True):
    """Walk all four steps; return the last response."""
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": kind})
    post_step(client, "terms", {"accept": "on"})
    fields = dict(PERSON if kind == "person" else COMPANY)
    fields.update(data or {})
    response = post_step(client, kind, fields)
    form = response.context.get("form") if response.context else None
    if form is not None and form.errors:
        return response
    return post_step(client, "review", {"captcha": "on"} if captcha else {})


def link_in(message: OutboxMessage | str, kind: str) -> str:
    """The path of the confirmation ("confirmar") or set-password ("contrasena") link."""
    body = message if isinstance(message, str) else message.body_text
    match = re.search(rf"https?://\S+/registro/{kind}/\S+/", body)
    assert match, body
    return urlparse(match.group(0)).path


def person_step_fill(page, person: dict = PERSON) -> None:
    """Paso 3 of the registration wizard in a browser (Playwright page), by the guide's labels."""
    page.get_by_label("Nombres").fill(person["first_names"])
    page.get_by_label("Apellidos").fill(person["last_names"])
    page.get_by_label("Número de CI").fill(person["document_number"])
    page.get_by_label("Expedido en").select_option(label="La Paz")
    page.get_by_label("Fecha de nacimiento").fill(person["birth_date"])
    page.get_by_label("Correo electrónico").fill(person["email"])
    page.get_by_label("Teléfono celular").fill(person["phone"])
    page.get_by_label("Dirección").fill(person["address"])
    page.get_by_label("Usuario").fill(person["username"])


def make_approver(username: str):
    """A staff user holding the approval permission (registration_approve checks it)."""
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    user = make_user(username=username, is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            codename="approve_registrationrequest", content_type__app_label="accounts"
        )
    )
    return user


def make_member_like(data: dict = PERSON, **overrides):
    """The member whose record holds the same document, email and mobile as ``data``."""
    from tests.factories import make_member

    fields = {
        "document_number": data["document_number"],
        "email": data["email"],
        "mobile_phone": data["phone"],
    }
    fields.update(overrides)
    return make_member(**fields)
