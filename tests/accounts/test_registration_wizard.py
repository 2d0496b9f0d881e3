"""The member's side of registration: the wizard, its validation, and what it never reveals."""

import pytest
from django.urls import reverse

from accounts.models import RegistrationRequest
from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import make_member, make_user

from .registration_helpers import COMPANY, PERSON, link_in, post_step, register

pytestmark = pytest.mark.django_db


def _error_texts(response) -> list[str]:
    form = response.context["form"]
    return [str(e) for errors in form.errors.values() for e in errors]


def test_login_page_links_to_registration(client):
    response = client.get(reverse("accounts:login"))
    content = response.content.decode()
    assert "Regístrese" in content
    assert reverse("accounts:registration") in content


def test_person_registers_through_four_steps(client):
    response = client.get(reverse("accounts:registration"))
    content = response.content.decode()
    assert "Paso 1 de 4" in content
    assert "Persona" in content
    assert "Empresa" in content

    response = post_step(client, "kind", {"kind": "person"})
    content = response.content.decode()
    assert "Paso 2 de 4" in content
    assert "Acepto" in content
    assert "checked" not in content  # "Acepto" is never pre-ticked

    response = post_step(client, "terms", {"accept": "on"})
    assert "Paso 3 de 4" in response.content.decode()
    for label in ("Nombres", "Apellidos", "Número de CI", "Expedido en", "Fecha de nacimiento"):
        assert label in response.content.decode()

    response = post_step(client, "person", PERSON)
    content = response.content.decode()
    assert "Paso 4 de 4" in content
    assert "Ferrufino Fernández" in content and "21/03/1988" in content and "La Paz" in content
    assert "No soy un robot" in content
    assert RegistrationRequest.objects.count() == 0  # nothing written before "Confirmar"

    response = post_step(client, "review", {"captcha": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:registration_submitted")
    page = client.get(response["Location"]).content.decode()
    assert "El registro efectuado está en proceso de aprobación" in page
    assert "confirmar el registro realizado" in page
    assert "oficina más cercana para firmar el formulario de servicio" in page

    registration = RegistrationRequest.objects.get()
    assert registration.status == RegistrationRequest.Status.SUBMITTED
    assert registration.document_type == "CI"
    assert registration.member is None  # matched by staff at approval, not here
    assert registration.submitted_ip == "127.0.0.1"
    email = OutboxMessage.objects.get()
    assert email.recipient == PERSON["email"]
    assert email.subject == "Confirme su correo electrónico"
    assert "Silvia Ferrufino Fernández" in email.body_text
    assert link_in(email, "confirmar") in email.body_html
    audit = AuditEvent.objects.get(event="registration.submitted")
    assert audit.subject == f"accounts.registrationrequest:{registration.pk}"
    assert audit.ip_address == "127.0.0.1"
    assert audit.actor is None


def test_company_registers_with_nit(client):
    response = register(client, "company")
    assert response.status_code == 302
    registration = RegistrationRequest.objects.get()
    assert registration.kind == "company"
    assert registration.document_type == "NIT"
    assert registration.business_name == COMPANY["business_name"]
    assert registration.legal_representative_ci == "6677889"


def test_terms_must_be_accepted(client):
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": "person"})
    response = post_step(client, "terms", {})
    assert "Paso 2 de 4" in response.content.decode()
    assert _error_texts(response) == ["Debe aceptar los términos y condiciones para continuar."]


def test_kind_must_be_chosen(client):
    client.get(reverse("accounts:registration"))
    response = post_step(client, "kind", {"kind": "robot"})
    assert "Paso 1 de 4" in response.content.decode()
    assert RegistrationRequest.objects.count() == 0


PERSON_BAD_INPUT = [
    ({"document_number": "12AB"}, "El número de CI debe tener entre 5 y 10 dígitos"),
    ({"document_number": "123"}, "El número de CI debe tener entre 5 y 10 dígitos"),
    ({"birth_date": "31/02/1990"}, "Introduzca una fecha válida"),
    ({"birth_date": "ayer"}, "Introduzca una fecha válida"),
    ({"birth_date": "2999-01-01"}, "Introduzca una fecha de nacimiento válida."),
    ({"birth_date": "2015-01-01"}, "Debe tener al menos 18 años para registrarse."),
    ({"phone": "12345"}, "Introduzca un número de celular boliviano"),
    ({"phone": "5123456789"}, "Introduzca un número de celular boliviano"),
    ({"email": "no-es-correo"}, "Ingrese un correo electrónico válido."),
    ({"username": "ab"}, "El usuario debe tener entre 4 y 20 caracteres"),
    ({"username": "juan pérez"}, "El usuario debe tener entre 4 y 20 caracteres"),
    ({"first_names": "R2-D2"}, "Use solo letras y espacios."),
    ({"document_issued_in": "XX"}, "Escoja una opción válida."),
    ({"address": ""}, "Este campo es obligatorio."),
]


@pytest.mark.parametrize(("change", "message"), PERSON_BAD_INPUT)
def test_person_bad_input_gets_a_spanish_message(client, change, message):
    response = register(client, "person", change)
    assert response.status_code == 200
    assert "Paso 3 de 4" in response.content.decode()
    assert any(message in text for text in _error_texts(response)), _error_texts(response)
    assert RegistrationRequest.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


COMPANY_BAD_INPUT = [
    ({"document_number": "12-34"}, "El NIT debe tener entre 7 y 12 dígitos."),
    ({"legal_representative_ci": "X1"}, "El número de CI debe tener entre 5 y 10 dígitos"),
    ({"phone": "999"}, "Introduzca un número de teléfono boliviano de 7 u 8 dígitos."),
    ({"business_name": ""}, "Este campo es obligatorio."),
]


@pytest.mark.parametrize(("change", "message"), COMPANY_BAD_INPUT)
def test_company_bad_input_gets_a_spanish_message(client, change, message):
    response = register(client, "company", change)
    assert any(message in text for text in _error_texts(response)), _error_texts(response)
    assert RegistrationRequest.objects.count() == 0


def test_duplicate_username_is_case_insensitive(client):
    make_user(username="SFerrufino")
    response = register(client, "person")
    assert _error_texts(response) == ["Ese usuario ya está en uso. Elija otro, por favor."]
    assert RegistrationRequest.objects.count() == 0


def test_duplicate_email_is_refused(client):
    make_user(username="otra", email="Silvia.Ferrufino@example.com")
    response = register(client, "person")
    assert _error_texts(response) == ["Ese correo electrónico ya está registrado."]


def test_document_with_an_open_request_is_refused(client):
    assert register(client, "person").status_code == 302
    response = register(client, "person", {"username": "otrousuario", "email": "otro@example.com"})
    assert _error_texts(response) == [
        "Ese número de documento ya está registrado para la banca web."
    ]
    assert RegistrationRequest.objects.count() == 1


def test_document_of_an_existing_web_user_is_refused(client):
    member = make_member(document_number="3344556")
    make_user(member=member, username="silviaweb")
    response = register(client, "person")
    assert _error_texts(response) == [
        "Ese número de documento ya está registrado para la banca web."
    ]


def test_a_rejected_request_frees_the_identity(client):
    assert register(client, "person").status_code == 302
    RegistrationRequest.objects.update(status=RegistrationRequest.Status.REJECTED)
    assert register(client, "person").status_code == 302
    assert RegistrationRequest.objects.count() == 2


def test_failed_captcha_writes_nothing(client):
    response = register(client, "person", captcha=False)
    assert response.status_code == 200
    assert "Paso 4 de 4" in response.content.decode()
    assert _error_texts(response) == ["Confirme que no es un robot."]
    assert RegistrationRequest.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_without_captcha_keys_the_captcha_is_left_out(client, settings):
    settings.REGISTRATION_CAPTCHA = None  # no keys: the default verifier is NoCaptcha
    settings.RECAPTCHA_PUBLIC_KEY = settings.RECAPTCHA_PRIVATE_KEY = None
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": "person"})
    post_step(client, "terms", {"accept": "on"})
    response = post_step(client, "person", PERSON)
    assert "No soy un robot" not in response.content.decode()
    assert post_step(client, "review").status_code == 302


def test_posting_the_last_step_on_a_fresh_session_skips_nothing(client):
    response = post_step(client, "review", {"captcha": "on"})
    assert response.status_code == 200
    assert "Paso 1 de 4" in response.content.decode()
    assert RegistrationRequest.objects.count() == 0


def test_posting_the_last_step_without_the_data_step_skips_nothing(client):
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": "person"})
    # Straight to "Confirmar" without terms or data: the final re-validation sends the
    # member back to the first step that is missing.
    response = post_step(client, "review", {"captcha": "on"})
    assert response.status_code == 200
    assert "Paso 2 de 4" in response.content.decode()
    assert RegistrationRequest.objects.count() == 0


def test_posting_data_for_the_other_kind_skips_nothing(client):
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": "person"})
    post_step(client, "terms", {"accept": "on"})
    post_step(client, "company", COMPANY)  # not a step of a person's wizard
    response = post_step(client, "review", {"captcha": "on"})
    assert response.status_code == 200
    assert RegistrationRequest.objects.count() == 0


def test_missing_management_form_is_a_400_not_a_500(client):
    client.get(reverse("accounts:registration"))
    response = client.post(reverse("accounts:registration"), {"kind-kind": "person"})
    assert response.status_code == 400


def test_membership_is_not_revealed(client):
    """A member's CI and a stranger's CI get the same pages; only staff see the match."""
    make_member(document_number="3344556", first_names="Silvia")
    pages = []
    for document, username, email in (
        ("3344556", "sferrufino", "silvia@example.com"),
        ("9988776", "otrapersona", "otra@example.com"),
    ):
        review = register(
            client,
            "person",
            {"document_number": document, "username": username, "email": email},
            captcha=False,
        )
        done = post_step(client, "review", {"captcha": "on"})
        page = client.get(done["Location"])
        pages.append(
            (
                review.status_code,
                done.status_code,
                done["Location"],
                page.content.decode(),
            )
        )
    assert pages[0] == pages[1]
    assert RegistrationRequest.objects.filter(member__isnull=False).count() == 0


def test_member_and_stranger_cost_the_same_queries(client):
    """Comparable timing without timing anything: the database work for a member's document
    and for a stranger's is the same statements, differing only in parameters."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_member(document_number="3344556")
    shapes = []
    for document, username, email in (
        ("3344556", "sferrufino", "silvia@example.com"),
        ("9988776", "otrapersona", "otra@example.com"),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert (
                register(
                    client,
                    "person",
                    {"document_number": document, "username": username, "email": email},
                ).status_code
                == 302
            )
        # Strip literals and ids so only the statements' shape is compared; the session's
        # own bookkeeping (first visit or not) is not about the member.
        shapes.append(
            [
                re.sub(r"'[^']*'|\b\d+\b|\"s\w+\"", "?", q["sql"])
                for q in queries.captured_queries
                if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]
            ]
        )
    assert shapes[0] == shapes[1]
    # The member table is read once, by the statement that queues the "web banking was
    # requested" notice to a member's recorded contacts (issue 12): the same statement for
    # both, writing rows only for the member.
    member_reads = [sql for sql in shapes[0] if 'FROM "accounts_member"' in sql]
    assert len(member_reads) == 1
    assert member_reads[0].lstrip().startswith("INSERT INTO")


def test_open_requests_reserve_their_identity_in_the_database():
    """The partial unique indexes settle a race the form checks cannot see."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    base = {
        "kind": "person", "document_type": "CI", "document_number": "1234567",
        "email": "a@example.com", "phone": "70000000", "username": "unico",
        "terms_accepted_at": timezone.now(),
    }  # fmt: skip
    RegistrationRequest.objects.create(**base)
    for clash in (
        {"username": "UNICO", "email": "b@example.com", "document_number": "7654321"},
        {"email": "A@example.com", "username": "otro1", "document_number": "7654321"},
        {"document_number": "1234567", "username": "otro2", "email": "c@example.com"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            RegistrationRequest.objects.create(**{**base, **clash})
    RegistrationRequest.objects.update(status=RegistrationRequest.Status.REJECTED)
    RegistrationRequest.objects.create(**base)  # a rejected request frees them


def test_final_submissions_are_rate_limited_per_ip(client, settings):
    settings.REGISTRATION_RATE_LIMITS = {**settings.REGISTRATION_RATE_LIMITS, "submit": (1, 3600)}
    assert register(client, "person").status_code == 302
    response = register(client, "company")
    assert response.status_code == 429
    assert "Demasiados intentos" in response.content.decode()
    assert RegistrationRequest.objects.count() == 1
    # Another address is not affected.
    from accounts.registration.ratelimit import rate_limit_reset

    rate_limit_reset(scope="submit", ip="10.0.0.9")
    other = register(
        client.__class__(REMOTE_ADDR="10.0.0.9"), "company", {"username": "otraempresa"}
    )
    assert other.status_code == 302


def test_data_step_lookups_are_rate_limited_per_ip(client, settings):
    settings.REGISTRATION_RATE_LIMITS = {**settings.REGISTRATION_RATE_LIMITS, "data": (2, 3600)}
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": "person"})
    post_step(client, "terms", {"accept": "on"})
    for _ in range(2):
        assert post_step(client, "person", {**PERSON, "phone": "1"}).status_code == 200
    assert post_step(client, "person", PERSON).status_code == 429


def test_a_bogus_step_back_does_not_skip_the_rate_limit(client, settings):
    """formtools processes the form when 'wizard_goto_step' names no step, so such a post is
    counted like any other (it used to pass as "going back" and skip the limit)."""
    settings.REGISTRATION_RATE_LIMITS = {**settings.REGISTRATION_RATE_LIMITS, "data": (2, 3600)}
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": "person"})
    post_step(client, "terms", {"accept": "on"})
    for _ in range(2):
        post_step(client, "person", {**PERSON, "phone": "1"}, wizard_goto_step="x")
    assert post_step(client, "person", PERSON, wizard_goto_step="x").status_code == 429


def test_with_captcha_keys_the_review_step_uses_recaptcha(client, settings):
    """Keys set → Google's checkbox (no inline script: the CSP forbids it); an empty answer is
    refused before anything is sent to Google."""
    settings.REGISTRATION_CAPTCHA = None
    settings.RECAPTCHA_PUBLIC_KEY = "public-test-key"
    settings.RECAPTCHA_PRIVATE_KEY = "private-test-key"
    client.get(reverse("accounts:registration"))
    post_step(client, "kind", {"kind": "person"})
    post_step(client, "terms", {"accept": "on"})
    page = post_step(client, "person", PERSON).content.decode()
    assert 'class="g-recaptcha"' in page
    assert 'data-sitekey="public-test-key"' in page
    assert "https://www.google.com/recaptcha/api.js" in page
    assert "<script>" not in page
    response = post_step(client, "review", {})
    assert _error_texts(response) == ["Confirme que no es un robot."]
    assert RegistrationRequest.objects.count() == 0


def test_rate_limit_still_holds_while_redis_is_unreachable(client, settings, caplog):
    """Redis (the shared cache) down: a registration is accepted, not a 500, and the limit is
    counted in the web process's memory until Redis is back."""
    from tests.integration_fixtures import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
        }
    }
    settings.REGISTRATION_RATE_LIMITS = {**settings.REGISTRATION_RATE_LIMITS, "submit": (1, 3600)}
    assert register(client, "person").status_code == 302
    assert register(client, "company").status_code == 429
    assert RegistrationRequest.objects.count() == 1
    assert "counting locally" in caplog.text
