"""The branch staff's queue of registration requests in the Django admin.

Staff with ``view_registrationrequest`` see the queue; only those who also hold
``approve_registrationrequest`` (the "Auxiliar de Atención al Socio" group) get the approve
and reject pages, which call the same services as everything else. Requests are never edited
or deleted by hand, and there is no bulk action: every change goes through the state machine
one request at a time and leaves an audit row. The approve page marks every field where the
request differs from the member's record; when the email or mobile differ the service asks
for the counter check and a second staff member's approval (four eyes).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import RegistrationRequest
from audit.services import client_ip
from progresonet.admin_mixins import ReadOnlyMixin

from .forms import ApproveForm, RejectForm
from .kyc import registration_compare
from .selectors import registration_member_match
from .services import (
    APPROVE_PERMISSION,
    RegistrationError,
    registration_approve,
    registration_link_resend,
    registration_reject,
)


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return RegistrationRequest.Status.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


@admin.register(RegistrationRequest)
class RegistrationRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "document",
        "display_name",
        "username",
        "kind",
        "status",
    )
    list_filter = (StatusFilter, "kind")
    search_fields = (
        "document_number",
        "first_names",
        "last_names",
        "business_name",
        "legal_representative",
        "username",
        "email",
    )
    readonly_fields = [f.name for f in RegistrationRequest._meta.fields]
    change_form_template = "admin/accounts/registrationrequest/change_form.html"

    @admin.display(description=_("document"), ordering="document_number")
    def document(self, obj: RegistrationRequest) -> str:
        return f"{obj.document_type} {obj.document_number}"

    @admin.display(description=_("name"))
    def display_name(self, obj: RegistrationRequest) -> str:
        return obj.display_name

    @admin.display(description=_("decision"))
    def decision_links(self, obj: RegistrationRequest) -> str:
        links = []
        if obj.can_move_to(RegistrationRequest.Status.APPROVED):
            url = reverse("admin:accounts_registrationrequest_approve", args=[obj.pk])
            links.append(format_html('<a href="{}">{}</a>', url, _("Approve")))
        if obj.can_move_to(RegistrationRequest.Status.REJECTED):
            url = reverse("admin:accounts_registrationrequest_reject", args=[obj.pk])
            links.append(format_html('<a href="{}">{}</a>', url, _("Reject")))
        return format_html(" · ".join(["{}"] * len(links)), *links) if links else ""

    def get_list_display(self, request):
        # The decision column only for those who may decide (the admin is shared by threads,
        # so this is decided per request, never stored on the instance).
        if self._may_decide(request):
            return (*self.list_display, "decision_links")
        return self.list_display

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_decide": self._may_decide(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _may_decide(request: HttpRequest) -> bool:
        return request.user.has_perm(APPROVE_PERMISSION)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/approve/",
                wrap(self.approve_view),
                name="accounts_registrationrequest_approve",
            ),
            path(
                "<int:pk>/reject/",
                wrap(self.reject_view),
                name="accounts_registrationrequest_reject",
            ),
            path(
                "<int:pk>/resend/",
                wrap(self.resend_view),
                name="accounts_registrationrequest_resend",
            ),
            *super().get_urls(),
        ]

    def _decision_target(self, request: HttpRequest, pk: int) -> RegistrationRequest:
        if not self._may_decide(request):
            raise PermissionDenied
        registration = RegistrationRequest.objects.filter(pk=pk).first()
        if registration is None:
            raise Http404
        return registration

    def _back(self, registration: RegistrationRequest) -> HttpResponse:
        return redirect("admin:accounts_registrationrequest_change", registration.pk)

    def _render(self, request, template: str, registration, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/accounts/registrationrequest/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": registration,
                "registration": registration,
                **context,
            },
        )

    def get_actions(self, request):
        # No bulk action may decide requests (nor delete them): one at a time, four eyes.
        return {}

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        registration = self._decision_target(request, pk)
        member = registration.member or registration_member_match(registration)
        form = ApproveForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            if member is None:
                form.add_error(None, _("No member matches this document; it cannot be approved."))
            else:
                try:
                    registration = registration_approve(
                        registration_id=registration.pk,
                        member=member,
                        actor=request.user,
                        verified_at_counter=form.cleaned_data["verified_at_counter"],
                        ip_address=client_ip(request),
                    )
                except RegistrationError as exc:
                    form.add_error(None, exc.message)
                else:
                    if registration.status == RegistrationRequest.Status.APPROVED:
                        text = _("Request approved; the set-password email has been queued.")
                    else:
                        text = _(
                            "First approval recorded; another staff member must give the "
                            "second approval."
                        )
                    self.message_user(request, text, messages.SUCCESS)
                    return self._back(registration)
        rows = registration_compare(registration, member)
        Status = RegistrationRequest.Status
        return self._render(
            request,
            "approve.html",
            registration,
            member=member,
            form=form,
            rows=rows,
            contacts_differ=any(row.decides and row.differs for row in rows),
            awaiting_second=registration.status == Status.AWAITING_SECOND_APPROVAL,
            first_approver_is_me=registration.first_approved_by_id == request.user.pk,
            title=_("Approve registration request"),
            may_approve=registration.can_move_to(Status.APPROVED),
        )

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        registration = self._decision_target(request, pk)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                registration_reject(
                    registration_id=registration.pk,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except RegistrationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    _("Request rejected; the applicant will be told by email."),
                    messages.SUCCESS,
                )
                return self._back(registration)
        return self._render(
            request,
            "reject.html",
            registration,
            form=form,
            title=_("Reject registration request"),
            may_reject=registration.can_move_to(RegistrationRequest.Status.REJECTED),
        )

    def resend_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        registration = self._decision_target(request, pk)
        if request.method != "POST":
            return self._back(registration)
        try:
            registration_link_resend(
                registration_id=registration.pk, actor=request.user, ip_address=client_ip(request)
            )
        except RegistrationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("A new link has been emailed."), messages.SUCCESS)
        return self._back(registration)
