"""The whole registration path in Chromium, by labels, with real Celery and SMTP."""

import re

import pytest

from tests.factories import make_member

from .registration_helpers import PERSON, link_in, person_step_fill

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_register_confirm_approve_set_password_and_log_in(
    live_server, settings, celery_live, smtp_sink, staff_user, new_page, admin_login
):
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    make_member(
        document_number="3344556",
        first_names="Silvia",
        last_names="Ferrufino Fernández",
        email=PERSON["email"],
        mobile_phone=PERSON["phone"],  # contacts match the record: one approval is enough
    )
    base = live_server.url

    # The member registers from the login page.
    member = new_page()
    member.goto(f"{base}/ingresar/")
    member.get_by_role("link", name="Regístrese").click()
    expect(member.get_by_role("heading", level=1)).to_contain_text("Paso 1 de 4")
    member.get_by_role("button", name="Persona").click()
    acepto = member.get_by_label("Acepto")
    expect(acepto).not_to_be_checked()
    acepto.check()
    member.get_by_role("button", name="Siguiente").click()
    person_step_fill(member)
    member.get_by_role("button", name="Siguiente").click()
    expect(member.get_by_role("heading", level=1)).to_contain_text("Paso 4 de 4")
    member.get_by_label("No soy un robot").check()
    member.get_by_role("button", name="Confirmar").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(
        "El registro efectuado está en proceso de aprobación"
    )

    # The confirmation email arrives through Celery and SMTP; the member confirms.
    (confirmation,) = smtp_sink.wait_for(PERSON["email"])
    member.goto(base + link_in(smtp_sink.text(confirmation), "confirmar"))
    member.get_by_role("button", name="Confirmar").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(
        "Su correo electrónico está confirmado"
    )

    # The clerk approves in the admin, confirming the member match.
    clerk = new_page()
    admin_login(clerk, base, "clerk", "Auxiliar2026")
    clerk.goto(f"{base}/admin/accounts/registrationrequest/?status=email_confirmed")
    clerk.get_by_role("link", name="Aprobar").click()
    expect(clerk.get_by_role("table", name="Solicitud y registro del socio")).to_contain_text(
        "Silvia Ferrufino Fernández"
    )
    clerk.get_by_label("Verifiqué la identidad del solicitante").check()
    clerk.get_by_role("button", name="Aprobar").click()
    expect(clerk.get_by_text("Solicitud aprobada")).to_be_visible()

    # "Confirmación de registro" with the "establecer contraseña" link.
    approved = smtp_sink.wait_for(PERSON["email"], count=2)[1]
    assert approved["Subject"] == "Confirmación de registro"
    member.goto(base + link_in(smtp_sink.text(approved), "contrasena"))
    member.get_by_label(re.compile("Nueva contraseña")).fill("cancionero")
    member.get_by_label("Repita la contraseña").fill("cancionero")
    member.get_by_role("button", name="Confirmar").click()
    expect(member.get_by_text("al menos una letra mayúscula")).to_be_visible()
    member.get_by_label(re.compile("Nueva contraseña")).fill("Cancionero45")
    member.get_by_label("Repita la contraseña").fill("Cancionero45")
    member.get_by_role("button", name="Confirmar").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(
        "¡Listo! Su cuenta está configurada"
    )

    # The member logs in.
    member.get_by_role("link", name="Ingresar a la banca web").click()
    member.get_by_label("Usuario").fill(PERSON["username"])
    member.get_by_label("Contraseña").fill("Cancionero45")
    member.get_by_role("button", name="Confirmar").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Mis cuentas")
    expect(member.get_by_role("navigation", name="Menú de usuario")).to_contain_text("Hola Silvia")
