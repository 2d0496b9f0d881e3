from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from progresonet.forms import TextEmailField, TextField

from .services.pin import PIN_MAX_LENGTH, pin_rules_text

# One message for unknown user, wrong password and locked user (no enumeration); it carries
# the guide's lockout advice so a locked member still knows what to do.
INVALID_LOGIN = _(
    "The username or the password is not correct. After three consecutive wrong passwords the "
    "user is locked for security; to unlock it, visit the cooperative's office and ask the "
    "staff of “Auxiliar de Atención al Socio”."
)


def password_field(label, *, new: bool = False, **kwargs) -> forms.CharField:
    """A password box: never stripped (spaces are part of a password), and marked for the
    browser's password manager as the current password or, with ``new``, a new one."""
    autocomplete = "new-password" if new else "current-password"
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        **kwargs,
    )


class LoginForm(AuthenticationForm):
    username = TextField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = password_field(_("Password"))

    error_messages = {"invalid_login": INVALID_LOGIN, "inactive": INVALID_LOGIN}

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "login_throttled", False):
                raise ValidationError(
                    _("Too many failed attempts from your connection. Try again in 15 minutes."),
                    code="throttled",
                ) from None
            raise


def _pin_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=PIN_MAX_LENGTH,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )


class PasswordChangeForm(forms.Form):
    current_password = password_field(_("Current password"))
    new_password1 = password_field(
        _("New password"),
        new=True,
        help_text=password_validation.password_validators_help_text_html,
    )
    new_password2 = password_field(_("Confirm the new password"), new=True)
    end_other_sessions = forms.BooleanField(
        label=_("Close my other open sessions"), required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["new_password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )

    # The current password is checked by the service (password_change), on the sign-in's
    # strike counter: a form's clean() would let a session guess it without limit.

    def clean(self):
        cleaned = super().clean()
        new1 = new_password_check(
            self, "new_password1", "new_password2", _("The two passwords are not the same.")
        )
        if new1 and cleaned.get("current_password") == new1:
            self.add_error("new_password1", _("The new password must be different."))
        return cleaned


class _NewPinMixin:
    """For a form with ``new_pin1`` and ``new_pin2``: the PIN rules under the first, and the
    two must be the same."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_pin1"].help_text = pin_rules_text()

    def clean(self):
        cleaned = super().clean()
        new1, new2 = cleaned.get("new_pin1"), cleaned.get("new_pin2")
        if new1 and new2 and new1 != new2:
            self.add_error("new_pin2", _("The two PINs are not the same."))
        return cleaned


class PinChangeForm(_NewPinMixin, forms.Form):
    # Only the current PIN (the password is a different secret); a member with no PIN yet
    # creates the first one with the password.
    current = forms.CharField(
        label=_("Current PIN"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )
    new_pin1 = _pin_field(_("New PIN"))
    new_pin2 = _pin_field(_("Confirm your PIN"))

    def __init__(self, *args, has_pin: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_pin:
            self.fields["current"].label = _("Current password")
            self.fields["current"].widget = forms.PasswordInput(
                attrs={"autocomplete": "current-password"}
            )


class ProfileForm(forms.Form):
    email = TextEmailField(label=_("Email"), max_length=254)
    mobile_phone = forms.RegexField(
        label=_("Mobile phone"),
        regex=r"^\+?[0-9]{7,15}$",
        error_messages={"invalid": _("Enter a phone number with 7 to 15 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    address = TextField(label=_("Address"), max_length=255)


def new_password_check(form: forms.Form, first: str, second: str, mismatch: str) -> str | None:
    """A new password typed twice (fields ``first`` and ``second``): the mismatch message, or
    Django's password validators for the user (``form.user``) as errors on ``first``. The
    password when the two agree (valid or not), else None; call it from ``form.clean()``."""
    one, two = form.cleaned_data.get(first), form.cleaned_data.get(second)
    if one and two and one != two:
        form.add_error(second, mismatch)
        return None
    if one:
        try:
            password_validation.validate_password(one, form.user)
        except ValidationError as exc:
            form.add_error(first, exc)
    return one


def _code_field(label) -> forms.RegexField:
    return forms.RegexField(
        label=label,
        regex=r"^\s*[0-9]{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class CodeForm(forms.Form):
    code = _code_field(_("Security code"))


class SecondFactorProofForm(forms.Form):
    """The proof a second-factor change asks (accounts.services.stepup.proof_needs): the
    current PIN and a code from the current device, or the password and an emailed code.
    Shapes input only; the service checks it and counts the strikes."""

    def __init__(self, *args, needs, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs = needs
        if needs.pin:
            self.fields["pin"] = _pin_field(_("Current PIN"))
        if needs.password:
            self.fields["password"] = password_field(_("Current password"))
        if needs.device is not None:
            self.fields["device_code"] = _code_field(_("Code from your current security device"))
        if needs.email_code:
            self.fields["email_code"] = _code_field(_("Code sent to your email"))

    def proof(self):
        from .services.stepup import SecondFactorProof

        data = self.cleaned_data
        return SecondFactorProof(
            pin=data.get("pin", ""),
            device_code=data.get("device_code", ""),
            password=data.get("password", ""),
            email_code=data.get("email_code", ""),
        )


class PinResetForm(_NewPinMixin, forms.Form):
    """ "¿Olvidó su PIN?": the password, a one-time code and the new PIN twice."""

    password = password_field(_("Current password"))
    code = _code_field(_("One-time code"))
    new_pin1 = _pin_field(_("New PIN"))
    new_pin2 = _pin_field(_("Confirm your PIN"))


class SmsNumberForm(forms.Form):
    number = forms.RegexField(
        label=_("Mobile phone"),
        regex=r"^\+?[0-9]{7,15}$",
        error_messages={"invalid": _("Enter a phone number with 7 to 15 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
