"""The shape of the statement filter: a date range and a keyset cursor, all from GET."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The first and last day a statement may be asked for. Bounding the range keeps every date
# the form accepts convertible to a timezone-aware datetime (``date.max + 1 day`` overflows)
# and rejects typos such as year 20026 with a message instead of an empty page.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# Line ids are PostgreSQL bigints; anything larger can only be a forged cursor.
CURSOR_MAX = 2**63 - 1

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        # The native picker submits ISO dates; render the value the same way. min/max keep
        # the picker inside the range the form accepts (the server still checks it).
        super().__init__(
            format="%Y-%m-%d",
            attrs={"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()},
        )


class StatementFilterForm(forms.Form):
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a valid date, for example 31/01/2026.")},
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a valid date, for example 31/01/2026.")},
    )
    before = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=CURSOR_MAX,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _("The page link is not valid."),
            "min_value": _("The page link is not valid."),
            "max_value": _("The page link is not valid."),
        },
    )

    def _clean_bounded(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(
                _("Enter a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={
                    "first": EARLIEST_DATE.strftime("%d/%m/%Y"),
                    "last": LATEST_DATE.strftime("%d/%m/%Y"),
                },
            )
        return value

    def clean_date_from(self) -> date | None:
        return self._clean_bounded("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_bounded("date_to")

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def filter_params(self) -> dict[str, str]:
        """The valid date filter as query parameters, for links that must keep it."""
        params = {}
        for name in ("date_from", "date_to"):
            value = self.cleaned_data.get(name)
            if value:
                params[name] = value.isoformat()
        return params
