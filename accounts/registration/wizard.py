"""The registration wizard: Persona/Empresa → terms ("Acepto") → data → review ("Confirmar").

django-formtools keeps the steps in the session. Everything is validated again at the end
(``render_done``) so posting a later step directly cannot skip one; the captcha on the review
step is checked once, when that step is posted (reCAPTCHA answers are single-use).
"""

from collections import OrderedDict

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from formtools.wizard.views import SessionWizardView

from accounts.models import Member
from audit.services import client_ip

from .forms import CompanyForm, KindForm, PersonForm, ReviewForm, TermsForm
from .ratelimit import rate_limit_hit
from .services import RegistrationData, RegistrationError, registration_submit

STEP_TITLES = {
    "kind": _("Registration type"),
    "terms": _("Terms and conditions"),
    "person": _("Personal data"),
    "company": _("Company data"),
    "review": _("Check your data"),
}
DATA_STEPS = ("person", "company")


def _kind(wizard: "RegistrationWizard") -> str:
    data = wizard.get_cleaned_data_for_step("kind") or {}
    return data.get("kind", Member.Kind.PERSON)


def _is_person(wizard: "RegistrationWizard") -> bool:
    return _kind(wizard) == Member.Kind.PERSON


def _is_company(wizard: "RegistrationWizard") -> bool:
    return _kind(wizard) == Member.Kind.COMPANY


def _display(name: str, value) -> str:
    if name == "document_issued_in":
        return dict(Member.Department.choices).get(value, value)  # "La Paz", not "LP"
    if name == "birth_date" and value:
        return value.strftime("%d/%m/%Y")
    return value


class RegistrationWizard(SessionWizardView):
    form_list = [
        ("kind", KindForm),
        ("terms", TermsForm),
        ("person", PersonForm),
        ("company", CompanyForm),
        ("review", ReviewForm),
    ]
    condition_dict = {"person": _is_person, "company": _is_company}

    def get_template_names(self) -> list[str]:
        return [f"accounts/registration/step_{self.steps.current}.html"]

    def get_context_data(self, form, **kwargs) -> dict:
        context = super().get_context_data(form=form, **kwargs)
        context["step_title"] = STEP_TITLES[self.steps.current]
        if self.steps.current == "review":
            data_step = "company" if _is_company(self) else "person"
            data_form = self.get_form(step=data_step, data=self.storage.get_step_data(data_step))
            data_form.is_valid()
            context["review_rows"] = [
                (field.label, _display(name, data_form.cleaned_data.get(name, "")))
                for name, field in data_form.fields.items()
            ]
            context["review_kind"] = _kind(self)
        return context

    def render(self, form=None, **kwargs) -> HttpResponse:
        if form is None:
            form = self.get_form()
        response = super().render(form, **kwargs)
        captcha_csp = getattr(form, "captcha_csp", None)
        if captcha_csp:
            # Only the step showing the captcha may load Google's script and frame.
            response._csp_update = captcha_csp
        return response

    def post(self, *args, **kwargs) -> HttpResponse:
        posted_step = self.request.POST.get(f"{self.prefix}-current_step", "")
        # Only a real step name is a step back (formtools ignores any other value and processes
        # the form), so only that may skip the rate limit below.
        going_back = self.request.POST.get("wizard_goto_step") in self.get_form_list()
        if posted_step and posted_step not in self.get_form_list():
            # A step that is not part of this path (e.g. company data on a person's wizard):
            # show the step the member is really on instead of failing.
            return self.render(self.get_form())
        if not going_back and posted_step in (*DATA_STEPS, "review"):
            scope = "submit" if posted_step == "review" else "data"
            if rate_limit_hit(scope=scope, ip=client_ip(self.request)):
                return render(self.request, "accounts/registration/rate_limited.html", status=429)
        return super().post(*args, **kwargs)

    def render_done(self, form, **kwargs) -> HttpResponse:
        final_forms = OrderedDict()
        for step in self.get_form_list():
            if step == "review":
                final_forms[step] = form  # validated (captcha included) in this very request
                continue
            step_form = self.get_form(
                step=step,
                data=self.storage.get_step_data(step),
                files=self.storage.get_step_files(step),
            )
            if not step_form.is_valid():
                return self.render_revalidation_failure(step, step_form, **kwargs)
            final_forms[step] = step_form
        return self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)

    def done(self, form_list, form_dict, **kwargs) -> HttpResponse:
        kind = form_dict["kind"].cleaned_data["kind"]
        data_form = form_dict["company" if kind == Member.Kind.COMPANY else "person"]
        data = RegistrationData(kind=kind, **data_form.cleaned_data)
        try:
            registration_submit(data=data, ip_address=client_ip(self.request))
        except RegistrationError as exc:
            review = form_dict["review"]
            review.add_error(None, exc.message)
            return self.render(review)
        self.storage.reset()
        return redirect("accounts:registration_submitted")
