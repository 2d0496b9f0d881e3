from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SECURITY_KINDS, NoticeKind


class PreferencesForm(forms.Form):
    """One "email" and one "SMS" box per kind; security kinds show email ticked and disabled
    (the service keeps it on whatever is posted)."""

    def __init__(self, *args, current: dict[str, tuple[bool, bool]], sms_enrolled: bool, **kw):
        super().__init__(*args, **kw)
        self.rows = []
        for kind in NoticeKind:
            email, sms = current[kind]
            security = kind in SECURITY_KINDS
            self.fields[f"{kind}_email"] = forms.BooleanField(
                label=_("%(kind)s: by email") % {"kind": kind.label},
                required=False,
                initial=True if security else email,
                disabled=security,
            )
            names = [f"{kind}_email"]
            if sms_enrolled:
                self.fields[f"{kind}_sms"] = forms.BooleanField(
                    label=_("%(kind)s: by SMS") % {"kind": kind.label},
                    required=False,
                    initial=sms,
                )
                names.append(f"{kind}_sms")
            self.rows.append((kind, security, [self[name] for name in names]))

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {
            kind: (bool(data.get(f"{kind}_email")), bool(data.get(f"{kind}_sms")))
            for kind in NoticeKind
        }
