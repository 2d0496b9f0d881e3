"""'Configuración personal' pages. Thin: validate a form, call one service, render."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import client_ip

from .forms import (
    CodeForm,
    PasswordChangeForm,
    PinChangeForm,
    PinResetForm,
    ProfileForm,
    SecondFactorProofForm,
    SmsNumberForm,
)
from .models import SignInAttempt, SmsDevice
from .selectors import signing_restriction_until
from .services import personal, stepup
from .services.common import user_email
from .services.login import UserLockedError
from .services.pin import pin_change, pin_get
from .services.sessions import session_close, sessions_active, sessions_prune

# The guide's words after any change: "¡Listo! Sus datos han sido modificados…".
DONE_MESSAGE = gettext_lazy(
    "Done! Your data has been changed and you will receive a confirmation message by email."
)


def _done(request: HttpRequest, message: str = DONE_MESSAGE) -> HttpResponse:
    messages.success(request, message)
    return redirect("accounts:settings")


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    sessions_prune(user=user)  # expired sessions leave rows behind; keep the list honest
    sign_ins = list(SignInAttempt.objects.filter(user=user)[:10])
    previous = SignInAttempt.objects.filter(user=user, succeeded=True)[1:2].first()
    return render(
        request,
        "accounts/settings.html",
        {
            "last_access": previous.occurred_at if previous else user.last_login,
            "password_changed_at": user.password_changed_at,
            "sessions": sessions_active(user=user),
            "current_key": request.session.session_key,
            "sign_ins": sign_ins,
            "pin": pin_get(user=user),
            "totp": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
            "sms": SmsDevice.objects.filter(user=user, confirmed=True).first(),
            "restricted_until": signing_restriction_until(user=user),
        },
    )


def _form_page(request, form, *, title: str, intro: str = "", **extra) -> HttpResponse:
    return render(
        request,
        "accounts/form_page.html",
        {"form": form, "title": title, "intro": intro, **extra},
    )


def _refused(request: HttpRequest, form, exc: ValidationError) -> HttpResponse | None:
    """Show a refused secret on the form; a wrong password that locked the user ends this
    session too (the service already ended the others) and says why, at the login page."""
    if isinstance(exc, UserLockedError):
        logout(request)
        messages.error(request, exc.messages[0])
        return redirect("accounts:login")
    form.add_error(None, exc)
    return None


def _change(
    request: HttpRequest,
    form,
    change: Callable[[], object],
    done: Callable[[HttpRequest], HttpResponse],
) -> HttpResponse | None:
    """Run ``change`` (a service that may refuse with ValidationError): ``done(request)`` when
    it went through, the login page when the refusal locked the user, None (the form shows the
    refusal) otherwise."""
    try:
        change()
    except ValidationError as exc:
        return _refused(request, form, exc)
    return done(request)


def _rotated_done(request: HttpRequest, message: str = DONE_MESSAGE) -> HttpResponse:
    """After a new PIN: a new session key (a stolen cookie dies with the old PIN)."""
    personal.session_rotate(request=request)
    return _done(request, message)


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = _change(
            request,
            form,
            lambda: personal.password_change(
                request=request,
                user=request.user,
                current_password=data["current_password"],
                new_password=data["new_password1"],
                end_others=data["end_other_sessions"],
            ),
            done=_done,
        )
        if response is not None:
            return response
    return _form_page(request, form, title=_("Change password"))


@login_required
def pin_change_view(request: HttpRequest) -> HttpResponse:
    has_pin = pin_get(user=request.user) is not None
    form = PinChangeForm(request.POST or None, has_pin=has_pin)
    if request.method == "POST" and form.is_valid():
        response = _change(
            request,
            form,
            lambda: pin_change(
                user=request.user,
                current=form.cleaned_data["current"],
                new_pin=form.cleaned_data["new_pin1"],
                ip_address=client_ip(request),
            ),
            done=_rotated_done,
        )
        if response is not None:
            return response
    return _form_page(
        request,
        form,
        title=_("Change PIN"),
        intro=_("We recommend not using your identity card number."),
        forgot_pin=has_pin,
    )


@login_required
def pin_reset_view(request: HttpRequest) -> HttpResponse:
    """ "¿Olvidó su PIN?": the password and a one-time code (device or email) set a new PIN."""
    user = request.user
    needs = stepup.proof_needs(user=user)
    form = PinResetForm(request.POST if "reset" in request.POST else None)
    if request.method == "POST" and _send_code(request):
        return redirect("accounts:pin_reset")
    if request.method == "POST" and form.is_valid():
        response = _change(
            request,
            form,
            lambda: stepup.pin_reset(
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                new_pin=form.cleaned_data["new_pin1"],
                ip_address=client_ip(request),
            ),
            done=_pin_reset_done,
        )
        if response is not None:
            return response
    return render(
        request,
        "accounts/pin_reset.html",
        {
            "form": form,
            "device": needs.device,
            "sms": isinstance(needs.device, SmsDevice),
            "restriction_hours": settings.PIN_RESET_RESTRICTION_HOURS,
        },
    )


def _pin_reset_done(request: HttpRequest) -> HttpResponse:
    """After a forgotten PIN's reset: as after any new PIN, but the message says how long the
    own-accounts-only window lasts."""
    until = signing_restriction_until(user=request.user)
    return _rotated_done(
        request,
        _(
            "Your new PIN is ready. For your security, until %(until)s you can only "
            "transfer between your own accounts; we sent you an email."
        )
        % {"until": date_format(localtime(until), "DATETIME_FORMAT")},
    )


def _proof_form(request: HttpRequest, action: str, needs) -> SecondFactorProofForm:
    return SecondFactorProofForm(
        request.POST if action in request.POST else None, needs=needs, prefix=action
    )


def _send_code(request: HttpRequest) -> bool:
    """The "send me a code" buttons of the device pages; True if one was pressed."""
    if "send_email_code" not in request.POST and "send_device_code" not in request.POST:
        return False
    try:
        if "send_email_code" in request.POST:
            stepup.email_code_send(user=request.user)
            messages.info(request, _("We sent a one-time code to your email address."))
        else:
            stepup.device_code_send(user=request.user)
            messages.info(request, _("We sent a code by SMS to your current security device."))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return True


@login_required
def profile_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    member = getattr(user, "member", None)
    if member is None:
        messages.error(request, _("Only members have personal data to change here."))
        return redirect("accounts:settings")
    initial = {
        "email": user_email(user),
        "mobile_phone": member.mobile_phone,
        "address": member.address,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = personal.profile_change(
            request=request, user=user, mobile_phone=data["mobile_phone"], address=data["address"]
        )
        email_changed = data["email"].lower() != initial["email"].lower()
        if email_changed:
            personal.email_change_request(request=request, user=user, new_email=data["email"])
            messages.info(
                request,
                _("We sent a link to %(email)s: open it to confirm your new email address.")
                % {"email": data["email"]},
            )
        if changed:
            return _done(request)
        if email_changed:
            return redirect("accounts:settings")
        messages.info(request, _("Nothing was changed."))
        return redirect("accounts:settings")
    return _form_page(request, form, title=_("Change personal data"))


@login_required
def email_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        personal.email_change_confirm(request=request, user=request.user, token=token)
    except personal.EmailTokenError:
        messages.error(
            request,
            _("The link is not valid: it expired, was already used, or belongs to another user."),
        )
        return redirect("accounts:settings")
    return _done(request)


@dataclass
class _DeviceForms:
    """The forms of a device page: the new device's code and its second-factor proof (the
    ``confirm_action`` button), and the proof that removes the current device."""

    confirm_action: str
    code: CodeForm
    proof: SecondFactorProofForm
    remove: SecondFactorProofForm


def _device_forms(request: HttpRequest, confirm_action: str, needs) -> _DeviceForms:
    """Each form bound only when its own button was pressed."""
    return _DeviceForms(
        confirm_action=confirm_action,
        code=CodeForm(request.POST if confirm_action in request.POST else None),
        proof=_proof_form(request, confirm_action, needs),
        remove=_proof_form(request, "remove", needs),
    )


def _device_post(
    request: HttpRequest,
    forms: _DeviceForms,
    *,
    confirm: Callable[..., bool],
    remove: Callable[..., object],
    bad_code: str,
) -> HttpResponse | None:
    """The two proved buttons of a device page: ``forms.confirm_action`` (the new device's
    code plus the second-factor proof) and "remove" (the proof). A response when one went
    through or the refusal locked the user; None to show the page again with the errors."""
    user = request.user
    try:
        if "remove" in request.POST and forms.remove.is_valid():
            remove(request=request, user=user, proof=forms.remove.proof())
            return _done(request)
        if (
            forms.confirm_action in request.POST
            and forms.code.is_valid()
            and forms.proof.is_valid()
        ):
            code = forms.code.cleaned_data["code"]
            if confirm(request=request, user=user, code=code, proof=forms.proof.proof()):
                return _done(request)
            forms.code.add_error("code", bad_code)
    except ValidationError as exc:
        return _refused(request, forms.remove if "remove" in request.POST else forms.proof, exc)
    return None


def _device_page(
    request: HttpRequest, template: str, forms: _DeviceForms, *, needs, confirmed, **extra
) -> HttpResponse:
    """A device page: the current device, the three forms, what the proof needs, and the
    page's own ``extra`` context."""
    return render(
        request,
        template,
        {
            "confirmed": confirmed,
            "code_form": forms.code,
            "proof_form": forms.proof,
            "remove_form": forms.remove,
            "needs": needs,
            "sms_device": isinstance(needs.device, SmsDevice),
            **extra,
        },
    )


@login_required
def device_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    needs = stepup.proof_needs(user=user)
    forms = _device_forms(request, "enrol", needs)
    if request.method == "POST":
        if _send_code(request):
            return redirect("accounts:device_change")
        response = _device_post(
            request,
            forms,
            confirm=personal.totp_confirm,
            remove=personal.totp_remove,
            bad_code=_("The code is not valid. Check the time on your phone."),
        )
        if response is not None:
            return response
    pending = personal.totp_pending(user=user)
    return _device_page(
        request,
        "accounts/device.html",
        forms,
        needs=needs,
        confirmed=confirmed,
        qr=personal.totp_qr_data_uri(device=pending),
        secret=personal.totp_secret_text(device=pending),
    )


@login_required
def sms_token_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    member = getattr(user, "member", None)
    confirmed = SmsDevice.objects.filter(user=user, confirmed=True).first()
    pending = SmsDevice.objects.filter(user=user, confirmed=False).first()
    needs = stepup.proof_needs(user=user)
    number_form = SmsNumberForm(
        request.POST if "send" in request.POST else None,
        initial={"number": member.mobile_phone if member else ""},
    )
    forms = _device_forms(request, "confirm", needs)
    if request.method == "POST":
        if _send_code(request):
            return redirect("accounts:sms_token")
        if "send" in request.POST and number_form.is_valid():
            try:
                pending = personal.sms_device_start(
                    user=user, number=number_form.cleaned_data["number"]
                )
            except ValidationError as exc:
                number_form.add_error(None, exc)
            else:
                messages.info(
                    request, _("We sent a code by SMS to %(number)s.") % {"number": pending.number}
                )
                return redirect("accounts:sms_token")
        response = _device_post(
            request,
            forms,
            confirm=personal.sms_device_confirm,
            remove=personal.sms_device_remove,
            bad_code=_("The code is not valid or has expired."),
        )
        if response is not None:
            return response
    return _device_page(
        request,
        "accounts/sms.html",
        forms,
        needs=needs,
        confirmed=confirmed,
        pending=pending,
        number_form=number_form,
    )


@login_required
@require_POST
def session_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    if session_close(
        user=request.user,
        row_id=pk,
        current_key=request.session.session_key,
        ip_address=client_ip(request),
    ):
        messages.success(request, _("The session was closed."))
    else:
        messages.error(request, _("That session cannot be closed here."))
    return redirect("accounts:settings")
