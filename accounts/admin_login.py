"""The staff login of the Django admin: password and a verification code in one form.

django-otp's own admin form answers a right password with a device list and "Please select a
device." (in English) before any code is checked, so it tells whoever guesses that the
password was right. Here the username, the password and the code (authenticator app or a
backup code) are checked in one post, and every failure — unknown user, wrong password, not
staff, locked, throttled, missing or wrong code — gets the same Spanish message and the same
page: the first factor cannot be tested on its own.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from progresonet.forms import TextField

from .models import User

LOGIN_REFUSED = _("The username, password or verification code is not correct.")


def staff_device_verify(*, user: User, token: str):
    """The user's confirmed authenticator app or backup-code device that accepts ``token``,
    or None. django-otp's throttling of each device applies (a throttled device accepts
    nothing); devices that need a challenge sent first (SMS) are not offered to staff."""
    token = token.strip().replace(" ", "")
    if not token:
        return None
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.devices_for_user(user, confirmed=True):
            allowed, _detail = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                return device
    return None


class StaffLoginForm(AdminAuthenticationForm):
    # The same cleaned text field as the members' login (progresonet.forms.TextField).
    username = TextField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    otp_token = forms.CharField(
        label=_("Verification code"),
        help_text=_("The 6-digit code of your authenticator app, or one of your backup codes."),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")  # "Usuario", as on the members' login

    def clean(self):
        try:
            super().clean()  # password (through the lockout backend), active, staff
        except ValidationError:
            raise self._refused() from None
        user = self.get_user()
        device = staff_device_verify(user=user, token=self.cleaned_data.get("otp_token") or "")
        if device is None:
            raise self._refused()
        # django-otp's login hook reads this and marks the session verified.
        user.otp_device = device
        return self.cleaned_data

    def _refused(self) -> ValidationError:
        self.user_cache = None
        # A code is single-use and shown again it would tell one failure from another.
        self.data = self.data.copy()
        self.data["otp_token"] = ""
        return ValidationError(LOGIN_REFUSED, code="invalid_login")
