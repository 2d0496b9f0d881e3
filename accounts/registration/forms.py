"""Forms of the registration wizard and the set-password page. Shape of input only: the
duplicate checks here give early, friendly messages; ``services`` checks again and decides."""

import datetime
import re

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import new_password_check, password_field
from accounts.models import Member
from progresonet.forms import TextEmailField, TextField

from . import selectors
from .captcha import captcha_verifier

USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{3,19}$")
NAME_RE = re.compile(r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ' .-]{2,100}$")
CI_RE = re.compile(r"^\d{5,10}$", re.ASCII)
NIT_RE = re.compile(r"^\d{7,12}$", re.ASCII)
MOBILE_RE = re.compile(r"^[67]\d{7}$", re.ASCII)  # Bolivian mobile numbers: 8 digits, 6 or 7 first
PHONE_RE = re.compile(r"^[2-7]\d{6,7}$", re.ASCII)  # landline (7-8 digits) or mobile
MIN_AGE_YEARS = 18


def _digits(value: str) -> str:
    return re.sub(r"[\s.]", "", value or "")


class KindForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Registration type"),
        choices=[(Member.Kind.PERSON, _("Person")), (Member.Kind.COMPANY, _("Company"))],
        error_messages={"required": _("Choose Person or Company.")},
    )


class TermsForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I accept"),
        required=True,
        error_messages={"required": _("You must accept the terms and conditions to continue.")},
    )


class _IdentityMixin:
    """Checks shared by the person and company data steps."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if not USERNAME_RE.match(username):
            raise ValidationError(
                _(
                    "The username must have 4 to 20 characters, start with a letter and use only "
                    "letters, digits, dots, hyphens or underscores."
                )
            )
        if selectors.username_taken(username):
            raise ValidationError(_("That username is already taken. Please choose another one."))
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if selectors.email_taken(email):
            raise ValidationError(_("That email address is already registered."))
        return email

    def _document(self, pattern: re.Pattern, document_type: str, message) -> str:
        """``clean_document_number`` of both forms: the digits, if they match ``pattern`` and
        no web-banking user already has that document."""
        number = _digits(self.cleaned_data["document_number"])
        if not pattern.match(number):
            raise ValidationError(message)
        # Says "registered for web banking", never "is a member": the same answer for
        # members and non-members alike.
        if selectors.document_taken(document_type, number):
            raise ValidationError(_("That document number is already registered for web banking."))
        return number


def _text(label, max_length: int = 100, required: bool = True, **attrs) -> forms.CharField:
    return TextField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs),
    )


class PersonForm(_IdentityMixin, forms.Form):
    first_names = _text(_("Names"), autocomplete="given-name")
    last_names = _text(_("Surnames"), autocomplete="family-name")
    document_number = _text(_("CI number"), max_length=20, inputmode="numeric")
    document_issued_in = forms.ChoiceField(
        label=_("Issued in"), choices=[("", "---------"), *Member.Department.choices]
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={"invalid": _("Enter a valid date, for example 14/05/1990.")},
    )
    email = TextEmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = _text(_("Mobile phone"), max_length=20, inputmode="tel", autocomplete="tel")
    address = _text(
        _("Address"), max_length=255, autocomplete="address-line1"
    )  # street-address is for a <textarea>
    username = _text(_("Username"), max_length=20, autocomplete="username", autocapitalize="none")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = _(
            "Easy to remember; we suggest your first initial followed by your surname."
        )

    def _name(self, field: str) -> str:
        value = " ".join(self.cleaned_data[field].split())
        if not NAME_RE.match(value):
            raise ValidationError(_("Use only letters and spaces."))
        return value

    def clean_first_names(self) -> str:
        return self._name("first_names")

    def clean_last_names(self) -> str:
        return self._name("last_names")

    def clean_document_number(self) -> str:
        return self._document(
            CI_RE,
            Member.DocumentType.CI,
            _("The CI number must have 5 to 10 digits, without letters or the issuing place."),
        )

    def clean_birth_date(self) -> datetime.date:
        born = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if born.year < 1900 or born > today:
            raise ValidationError(_("Enter a valid date of birth."))
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < MIN_AGE_YEARS:
            raise ValidationError(_("You must be at least 18 years old to register."))
        return born

    def clean_phone(self) -> str:
        phone = _digits(self.cleaned_data["phone"]).removeprefix("+591")
        if not MOBILE_RE.match(phone):
            raise ValidationError(
                _("Enter a Bolivian mobile number: 8 digits starting with 6 or 7.")
            )
        return phone


class CompanyForm(_IdentityMixin, forms.Form):
    business_name = _text(_("Business name"), max_length=200, autocomplete="organization")
    document_number = _text(_("NIT"), max_length=20, inputmode="numeric")
    legal_representative = _text(_("Legal representative"), max_length=200)
    legal_representative_ci = _text(
        _("Legal representative's CI"), max_length=20, inputmode="numeric"
    )
    email = TextEmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = _text(_("Phone"), max_length=20, inputmode="tel", autocomplete="tel")
    username = _text(_("Username"), max_length=20, autocomplete="username", autocapitalize="none")

    def clean_business_name(self) -> str:
        value = " ".join(self.cleaned_data["business_name"].split())
        if len(value) < 3:
            raise ValidationError(_("Enter the business name."))
        return value

    def clean_legal_representative(self) -> str:
        value = " ".join(self.cleaned_data["legal_representative"].split())
        if not NAME_RE.match(value):
            raise ValidationError(_("Use only letters and spaces."))
        return value

    def clean_document_number(self) -> str:
        return self._document(
            NIT_RE,
            Member.DocumentType.NIT,
            _("The NIT must have 7 to 12 digits."),
        )

    def clean_legal_representative_ci(self) -> str:
        number = _digits(self.cleaned_data["legal_representative_ci"])
        if not CI_RE.match(number):
            raise ValidationError(
                _("The CI number must have 5 to 10 digits, without letters or the issuing place.")
            )
        return number

    def clean_phone(self) -> str:
        phone = _digits(self.cleaned_data["phone"]).removeprefix("+591")
        if not PHONE_RE.match(phone):
            raise ValidationError(_("Enter a Bolivian phone number of 7 or 8 digits."))
        return phone


class ReviewForm(forms.Form):
    """The last step: the captcha, when one is configured (see ``captcha``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        verifier = captcha_verifier()
        field = verifier.field()
        # What the page showing this form must allow (see RegistrationWizard.render).
        self.captcha_csp = verifier.csp if field is not None else None
        if field is not None:
            self.fields["captcha"] = field


class PasswordSetForm(forms.Form):
    password1 = password_field(_("New password"), new=True)
    password2 = password_field(_("Repeat the password"), new=True)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # The guide's rule (the last validator) is the one a member needs to read.
        self.fields["password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()[-1:]
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        new_password_check(self, "password1", "password2", _("The two passwords do not match."))
        return cleaned


class RejectForm(forms.Form):
    reason = TextField(
        multiline=True,
        label=_("Reason for the rejection"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        help_text=_("The applicant reads this reason in the email."),
    )


class ApproveForm(forms.Form):
    confirm_match = forms.BooleanField(
        label=_("I have checked the applicant's identity against this member's record."),
        required=True,
        error_messages={"required": _("Confirm the member match before approving.")},
    )
    # Needed (and checked by the service) only when the request's email or mobile differ
    # from the member's record; the page shows it then.
    verified_at_counter = forms.BooleanField(
        label=_("Identity and data verified at the counter"),
        required=False,
    )
