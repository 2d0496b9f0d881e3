from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("entre-mis-cuentas/", views.OwnTransferWizard.as_view(), name="own"),
    path("a-cuenta-de-terceros/", views.ThirdPartyTransferWizard.as_view(), name="third_party"),
    path("a-otros-bancos/", views.OtherBankTransferWizard.as_view(), name="other_bank"),
    path("limites/", views.limits_view, name="limits"),
    path("comprobante/<int:pk>/", views.transfer_receipt, name="receipt"),
    path("comprobante/<int:pk>/pdf/", views.transfer_receipt_pdf, name="receipt_pdf"),
    path("firma-conjunta/<int:pk>/", views.transfer_cosign_view, name="cosign"),
]
