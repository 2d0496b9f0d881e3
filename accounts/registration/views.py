"""Thin views for the registration pages outside the wizard: the "in process" page, the
email-confirmation link and the set-password link."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from audit.services import client_ip

from . import selectors
from .forms import PasswordSetForm
from .services import LinkError, password_set, registration_confirm_email
from .tokens import TokenResult, email_confirm_token, password_set_token

LINK_STATUS = {TokenResult.INVALID: 400, TokenResult.EXPIRED: 410}


def submitted(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/registration/submitted.html")


def _link_problem(request: HttpRequest, purpose: str, result: TokenResult) -> HttpResponse:
    return render(
        request,
        "accounts/registration/link_problem.html",
        {"purpose": purpose, "expired": result is TokenResult.EXPIRED},
        status=LINK_STATUS[result],
    )


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that prefetch links must not use the token up.
    registration = selectors.registration_from_uid(uid)
    if request.method == "GET":
        result = (
            email_confirm_token.check(registration, token) if registration else TokenResult.INVALID
        )
        if result is not TokenResult.VALID:
            return _link_problem(request, "email", result)
        return render(request, "accounts/registration/confirm_email.html")
    try:
        if registration is None:
            raise LinkError(TokenResult.INVALID)
        registration_confirm_email(
            registration_id=registration.pk, token=token, ip_address=client_ip(request)
        )
    except LinkError as exc:
        return _link_problem(request, "email", exc.result)
    return render(request, "accounts/registration/email_confirmed.html")


@require_http_methods(["GET", "POST"])
def set_password(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    registration = selectors.registration_from_uid(uid)
    result = (
        password_set_token.check(registration, token)
        if registration and registration.user_id
        else TokenResult.INVALID
    )
    if result is not TokenResult.VALID:
        return _link_problem(request, "password", result)
    form = PasswordSetForm(
        request.POST if request.method == "POST" else None, user=registration.user
    )
    if request.method == "POST" and form.is_valid():
        try:
            password_set(
                registration_id=registration.pk,
                token=token,
                password=form.cleaned_data["password1"],
                ip_address=client_ip(request),
            )
        except LinkError as exc:
            return _link_problem(request, "password", exc.result)
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            return render(request, "accounts/registration/password_done.html")
    return render(request, "accounts/registration/password_set.html", {"form": form})
