from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "ProgresoNet — Administración"
admin.site.site_title = "ProgresoNet"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="ledger:dashboard", permanent=False)),
    path("", include("accounts.urls")),
    path("cuentas/", include("ledger.urls")),
    path("prestamos/", include("loans.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "progresonet.errors.bad_request"
handler403 = "progresonet.errors.permission_denied"
handler404 = "progresonet.errors.page_not_found"
handler500 = "progresonet.errors.server_error"
