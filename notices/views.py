"""The notice centre ("Avisos") and its preferences ("Configuración personal → Avisos")."""

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from progresonet.decorators import member_only

from .forms import PreferencesForm
from .models import NoticeKind
from .selectors import PAGE_SIZE, notices_page
from .services import channels_for, notice_preferences_set, notices_mark_read


@login_required
@member_only
def notice_list(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("antes")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500).
    wellformed = before and before.isascii() and before.isdigit() and len(before) < 12
    before_id = int(before) if wellformed else None
    rows = notices_page(user=request.user, before_id=before_id)
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    return render(
        request,
        "notices/list.html",
        {
            "notices": page,
            "next_before": page[-1].pk if more and page else None,
            "is_first_page": before_id is None,
        },
    )


@login_required
@require_POST
@member_only
def notice_mark_read(request: HttpRequest) -> HttpResponse:
    notices_mark_read(user=request.user)
    messages.success(request, _("All notices were marked as read."))
    return redirect("notices:list")


@login_required
@member_only
def notice_preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = {kind: channels_for(user_id=user.pk, kind=kind) for kind in NoticeKind}
    sms_enrolled = (
        apps.get_model("accounts", "SmsDevice").objects.filter(user=user, confirmed=True).exists()
    )
    form = PreferencesForm(request.POST or None, current=current, sms_enrolled=sms_enrolled)
    if request.method == "POST" and form.is_valid():
        notice_preferences_set(user=user, choices=form.choices())
        messages.success(request, _("Your notice settings were saved."))
        return redirect("notices:preferences")
    return render(request, "notices/preferences.html", {"form": form})
