from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("entre-mis-cuentas/", views.OwnTransferWizard.as_view(), name="own"),
    path("comprobante/<int:pk>/", views.transfer_receipt, name="receipt"),
    path("comprobante/<int:pk>/pdf/", views.transfer_receipt_pdf, name="receipt_pdf"),
    path("firma-conjunta/<int:pk>/", views.transfer_cosign_view, name="cosign"),
]
