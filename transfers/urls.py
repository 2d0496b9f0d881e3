from django.urls import path

from . import views, wizards

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("entre-mis-cuentas/", wizards.OwnTransferWizard.as_view(), name="own"),
    path("a-cuenta-de-terceros/", wizards.ThirdPartyTransferWizard.as_view(), name="third_party"),
    path("a-otros-bancos/", wizards.OtherBankTransferWizard.as_view(), name="other_bank"),
    path("limites/", views.limits_view, name="limits"),
    path("comprobante/<int:pk>/", views.transfer_receipt, name="receipt"),
    path("comprobante/<int:pk>/pdf/", views.transfer_receipt_pdf, name="receipt_pdf"),
    path("firma-conjunta/<int:pk>/", views.transfer_cosign_view, name="cosign"),
]
