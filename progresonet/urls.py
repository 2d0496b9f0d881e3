from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

from accounts.admin_login import StaffLoginForm

# Staff reach the admin only after a verified OTP device (django-otp), not a password alone;
# password and code are checked together, with one message for any failure.
admin.site.__class__ = OTPAdminSite
admin.site.login_form = StaffLoginForm
admin.site.login_template = "admin/login.html"
admin.site.site_header = "ProgresoNet — Administración"
admin.site.site_title = "ProgresoNet"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="ledger:dashboard", permanent=False)),
    path("", include("accounts.urls")),
    path("cuentas/", include("ledger.urls")),
    path("transferencias/", include("transfers.urls")),
    path("administracion/productos-de-terceros/", include("beneficiaries.urls")),
    path("prestamos/", include("loans.urls")),
    path("avisos/", include("notices.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "progresonet.errors.bad_request"
handler403 = "progresonet.errors.permission_denied"
handler404 = "progresonet.errors.page_not_found"
handler500 = "progresonet.errors.server_error"
