from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    """Django's login: rotates the session key, and only follows a ``next`` that stays on an
    allowed host (``url_has_allowed_host_and_scheme``)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only; ``logout()`` deletes the server session, so a replayed cookie is dead."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Added after logout(): the message lives in the new, anonymous session and tells the
        # member on the sign-in page that the old one is really over.
        messages.success(request, _("You signed out successfully."))
        return response


@require_GET
def session_expired(request):
    reason = "absolute" if request.GET.get("motivo") == "absolute" else "idle"
    return render(request, "accounts/session_expired.html", {"reason": reason})


@require_GET
def keepalive(request):
    """Touched by the idle warning's "Continue" button: any request renews the idle timer."""
    from django.http import JsonResponse

    return JsonResponse({"ok": request.user.is_authenticated})
