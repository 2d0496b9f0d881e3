"""The "No soy un robot" check on the registration review page, behind a small interface.

``settings.REGISTRATION_CAPTCHA`` names a verifier class (dotted path). A verifier offers
:meth:`field`: the form field to add to the review step, or ``None`` to leave the captcha out.
The field's validation *is* the verification, and the wizard validates the review step once
(it is not re-validated at the end: a reCAPTCHA answer is single-use at Google).

- ``RecaptchaVerifier``: django-recaptcha's v2 checkbox; chosen when RECAPTCHA_PUBLIC_KEY and
  RECAPTCHA_PRIVATE_KEY are set (production refuses to start without them).
- ``NoCaptcha``: development without keys; the captcha is left out (settings warn).
- ``CheckboxCaptcha``: a development stand-in with the same label — it passes only when ticked,
  so tests exercise both outcomes of the review step without calling Google.
"""

from django import forms
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

CAPTCHA_LABEL = _("I am not a robot")


class CaptchaVerifier:
    # Content-Security-Policy sources the captcha needs, added (django-csp's ``_csp_update``)
    # only to the response of the step that shows it; every other page keeps the strict policy.
    csp: dict[str, list[str]] | None = None

    def field(self) -> forms.Field | None:
        raise NotImplementedError


class NoCaptcha(CaptchaVerifier):
    def field(self) -> None:
        return None


class CheckboxCaptcha(CaptchaVerifier):
    def field(self) -> forms.Field:
        return forms.BooleanField(
            label=CAPTCHA_LABEL,
            required=True,
            error_messages={"required": _("Confirm that you are not a robot.")},
        )


class RecaptchaVerifier(CaptchaVerifier):
    # Google's script (api.js, then gstatic) and the checkbox's frame.
    csp = {
        "script-src": ["https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"],
        "frame-src": ["https://www.google.com/recaptcha/"],
    }

    def field(self) -> forms.Field:
        # Imported here: django_recaptcha validates its settings on import and the keys are
        # unset outside production.
        from django_recaptcha.fields import ReCaptchaField
        from django_recaptcha.widgets import ReCaptchaV2Checkbox

        class Widget(ReCaptchaV2Checkbox):
            template_name = "accounts/registration/recaptcha_widget.html"

        return ReCaptchaField(
            label=CAPTCHA_LABEL,
            widget=Widget(attrs={"data-size": "normal"}),
            error_messages={
                "required": _("Confirm that you are not a robot."),
                "captcha_invalid": _("The captcha could not be verified. Please try again."),
                "captcha_error": _("The captcha could not be verified. Please try again."),
            },
        )


def default_verifier_path() -> str:
    if settings.RECAPTCHA_PUBLIC_KEY and settings.RECAPTCHA_PRIVATE_KEY:
        return "accounts.registration.captcha.RecaptchaVerifier"
    return "accounts.registration.captcha.NoCaptcha"


def captcha_verifier() -> CaptchaVerifier:
    path = settings.REGISTRATION_CAPTCHA or default_verifier_path()
    return import_string(path)()
