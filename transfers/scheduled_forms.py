from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.forms import AmountField

from .models import ScheduledTransfer
from .scheduled import Schedule

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if isinstance(value, date) else value


class ScheduleForm(forms.Form):
    """ "Programar": once on a date, or every week / month, until a date or N times."""

    kind = forms.ChoiceField(
        label=_("Frequency"),
        choices=ScheduledTransfer.Kind.choices,
        widget=forms.RadioSelect,
        initial=ScheduledTransfer.Kind.MONTHLY,
    )
    start_date = forms.DateField(
        label=_("First date"), input_formats=DATE_FORMATS, widget=DateInput()
    )
    day_of_month = forms.TypedChoiceField(
        label=_("Day of the month (monthly)"),
        choices=[("", "—"), *[(str(d), str(d)) for d in range(1, 32)], ("0", _("Last day"))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    end_date = forms.DateField(
        label=_("Until (date)"), input_formats=DATE_FORMATS, widget=DateInput(), required=False
    )
    times = forms.IntegerField(
        label=_("Number of times"), min_value=1, max_value=120, required=False
    )

    def schedule(self) -> Schedule:
        data = self.cleaned_data
        monthly = data["kind"] == ScheduledTransfer.Kind.MONTHLY
        once = data["kind"] == ScheduledTransfer.Kind.ONCE
        return Schedule(
            kind=data["kind"],
            start_date=data["start_date"],
            day_of_month=data.get("day_of_month") if monthly else None,
            end_date=None if once else data.get("end_date"),
            times=None if once else data.get("times"),
        )


class AmountForm(forms.Form):
    amount = AmountField(label=_("New amount"))
